"""Long lists shown a page at a time: the page number from the address, and one page of a
query or of a list already in memory, as Flask-SQLAlchemy's ``Pagination`` (what the
``pager`` macro of ``templates/_macros/pages.html`` draws under the list).

A page number that is not a number, or is below one, gives the first page; one past the
end gives the last page: never a 404 or a 500 for a link that was right yesterday.
"""

from flask_sqlalchemy.pagination import Pagination
from werkzeug.datastructures import MultiDict

from .extensions import db

MAX_PAGE = 100_000  # a larger page number in the address is no page at all


def page_number(args: MultiDict) -> int:
    """The ``page`` asked for in the query string, between 1 and ``MAX_PAGE``: ASCII
    digits (of any length: a longer number is past the end); anything else («３», ``+3``,
    ``2.5``) is the first page."""
    raw = args.get("page", "")
    if not (raw.isascii() and raw.isdigit()):
        return 1
    return min(max(int(raw), 1), MAX_PAGE) if len(raw) <= 6 else MAX_PAGE


def asked_for(raw: str, page: int) -> bool:
    """Whether ``page`` is the page ``raw`` (the query string's ``page``) names; none
    named is the first."""
    return not raw or (raw.isascii() and raw.isdigit() and len(raw) <= 6 and int(raw) == page)


class ListPagination(Pagination):
    """A page of a list already in memory (it is sorted in Python, not in SQL)."""

    def _query_items(self) -> list:
        start = self._query_offset
        return self._query_args["items"][start : start + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def _within(one, page: int) -> Pagination:
    """``one(page)``, or the last page when ``page`` is past the end."""
    pagination = one(page)
    if pagination.page > 1 and pagination.page > pagination.pages:
        return one(max(pagination.pages, 1))
    return pagination


def paginate(statement, page: int, per_page: int) -> Pagination:
    """One page of a ``select``: two queries (the page's rows and the count), four when
    the page asked for is past the end."""
    return _within(
        lambda number: db.paginate(
            statement, page=number, per_page=per_page, max_per_page=None, error_out=False
        ),
        page,
    )


def paginate_list(items: list, page: int, per_page: int) -> Pagination:
    """One page of ``items``; no query."""
    return _within(
        lambda number: ListPagination(
            page=number, per_page=per_page, max_per_page=None, error_out=False, items=items
        ),
        page,
    )
