"""Long lists shown a page at a time: Flask-SQLAlchemy's ``Pagination`` over a list that
is already in memory (a ranking), so that such a list and a query's pages share one
pager (``templates/_macros/pager.html``)."""

from __future__ import annotations

from collections.abc import Sequence

from flask_sqlalchemy.pagination import Pagination


class ListPagination(Pagination):
    """One page of ``rows``; ``page`` from 1, already checked by the caller (``page_number``)."""

    def __init__(self, rows: Sequence, page: int, per_page: int):
        self._rows = rows
        super().__init__(page=page, per_page=per_page, max_per_page=None, error_out=False)

    def _query_items(self) -> list:
        return list(self._rows[self._query_offset : self._query_offset + self.per_page])

    def _query_count(self) -> int:
        return len(self._rows)


def page_number(raw: str, total: int, per_page: int) -> tuple[int, bool]:
    """The page a ``page`` parameter asks for among ``total`` rows, and whether it is one:
    an empty parameter is the first page; a number past the end gives the last page and
    anything else (not a number, 0, negative) the first, each with False, for the page
    to say that the page asked for does not exist."""
    pages = max(1, -(-total // per_page))
    if not raw:
        return 1, True
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        return 1, False
    if int(raw) > pages:
        return pages, False
    return int(raw), True
