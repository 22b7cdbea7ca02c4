"""Heavy pages rendered once and served again while nothing they show has changed.

The juror's scoresheet and the organiser's ranking page are read far more often than
anything they show changes: a juror reloads a sheet, a commission sits over a ranking
of 1,000 applications computed from 42,000 scores. ``@cached_page`` keeps the rendered
page in the process and serves it again to the same person while the contest is in
the same state.

The state is read from the audit log, which every write of the app adds to in the same
transaction (SPEC §8; under the tests, ``tests/_audit_guard.py`` fails a request that
commits without an entry). A contest's pages show that contest and, beside it, people
and organisations, which other contests share. So the state of a contest is its newest
entry, the newest entry of no contest (accounts, organisations: ``user.*``,
``organisation.*``) and the newest entry of the one action that, recorded in one
contest, changes what others show (``SHARED_ACTION``: anonymising a person renames them
everywhere). A write in one contest therefore leaves the other contests' pages valid.
Each entry's hash covers the whole chain, so a restored or different database never
matches. Two indexes, ``(contest_id, id)`` and ``(action, id)``, make this one cheap
query however long the log is.
The same query checks that the session is alive (sessions.py): a session ended by
logout, from another device or by a new password gets no kept page.

The key also holds the page's URL with its query and, from the signed session, the
person (with the token that a new password changes), the language chosen and the CSRF
secret (the page's forms carry a token made from it). Access needs no second check: a
page is kept only after the access checks and the view answered 200 to this session's
person, and any change of who may see what — an assignment, a recusal, a stage, an
account — writes the audit log of that contest (or of none) and so changes the key.

A page is kept compressed as well, once per ``Accept-Encoding`` a browser sends
(Flask-Compress chooses Brotli or gzip), so a page served again costs no compression.
A page is not kept when the session holds flashed messages, for requests other than
GET, or when the answer is not a plain 200 page. ``kept_fragment`` keeps, beside the
pages, a part of a page that everyone who may see it sees alike (the published results,
for every visitor); its caller puts what it shows in the key. Each app keeps at most
``PAGE_CACHE_BYTES`` of pages with their compressed copies (least recently used first
out; 0 turns it off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, request, session
from flask.globals import request_ctx
from sqlalchemy import text

from . import sessions
from .extensions import compress, db

# The action recorded in one contest whose effect shows in others' pages.
SHARED_ACTION = "person.anonymised"


@dataclass
class Page:
    """A rendered page, and its compressed copies by the ``Accept-Encoding`` that chose them."""

    body: bytes
    mimetype: str
    encoded: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(data) for data, _encoding in self.encoded.values())


class PageCache:
    """Rendered pages by key, least recently used first out, within a size in bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self.pages: OrderedDict[tuple, Page] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Page | None:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key: tuple, body: bytes, mimetype: str) -> Page | None:
        """Keep a page (unless it is over a quarter of the limit); the kept page."""
        if len(body) > self.limit // 4:
            return None
        page = Page(body, mimetype)
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= old.size
            self.pages[key] = page
            self.size += page.size
            self._shrink()
        return page

    def add_encoding(self, page: Page, accept: str, data: bytes, encoding: str) -> None:
        """Keep a compressed copy of a kept page beside it."""
        with self.lock:
            if accept in page.encoded:
                return
            page.encoded[accept] = (data, encoding)
            if any(kept is page for kept in self.pages.values()):
                self.size += len(data)
                self._shrink()

    def _shrink(self) -> None:
        while self.size > self.limit:
            _key, dropped = self.pages.popitem(last=False)
            self.size -= dropped.size


def init_app(app) -> None:
    app.extensions["page_cache"] = PageCache(app.config.get("PAGE_CACHE_BYTES", 64 << 20))


STATE_BY_ID = text(
    "SELECT id, hash, contest_id FROM audit_log WHERE id IN ("
    "(SELECT max(id) FROM audit_log WHERE contest_id = :contest),"
    "(SELECT max(id) FROM audit_log WHERE contest_id IS NULL),"
    "(SELECT max(id) FROM audit_log WHERE action = :shared)"
    ") ORDER BY id"
)


def state_in_session(contest_id: int) -> tuple:
    """The state of a contest by id (as ``sessions.alive_state`` reads it for a page),
    read in the session's own transaction: what the session reads after it is never
    older than the state (``results._Kept``). Each entry comes as ``(id, hash,
    contest_id)``: which one is the contest's own newest."""
    rows = db.session.execute(STATE_BY_ID, {"contest": contest_id, "shared": SHARED_ACTION})
    return tuple(tuple(row) for row in rows)


def _key(slug: str) -> tuple | None:
    """The page's key in this session, or None when it must not come from the cache."""
    person, secret = session.get("_user_id"), session.get("csrf_token")
    if request.method != "GET" or not person or not secret or session.get("_flashes"):
        return None
    if current_app.config.get("WTF_CSRF_TIME_LIMIT"):
        return None  # the page's tokens would expire while the page is served again
    state = sessions.alive_state(person, slug, SHARED_ACTION)  # one query, with the state
    if state is None:
        return None  # an ended session: the view (and its login check) answers
    return (request.full_path, person, session.get("language"), secret, state)


def _response(cache: PageCache, page: Page):
    """The page as this request accepts it, compressed once per ``Accept-Encoding``."""
    accept = request.headers.get("Accept-Encoding", "")
    if accept in page.encoded:
        data, encoding = page.encoded[accept]
        response = current_app.response_class(data, mimetype=page.mimetype)
        response.headers["Content-Encoding"] = encoding
        response.vary.add("Accept-Encoding")
        return response
    response = compress.after_request(current_app.response_class(page.body, mimetype=page.mimetype))
    encoding = response.headers.get("Content-Encoding")
    if encoding:
        cache.add_encoding(page, accept, response.get_data(), encoding)
    return response


def kept_fragment(key: tuple, make) -> str:
    """A part of a page that shows the same to everyone who may see it (the published
    results: nothing of who asks, no form token), made by ``make`` once per ``key`` and
    kept beside the pages. The key holds what the part shows (e.g. ``state_in_session``
    of its contest) and the caller checks, before asking, that the visitor may see it."""
    cache: PageCache = current_app.extensions["page_cache"]
    page = cache.get(key) if cache.limit else None
    if page is not None:
        return page.body.decode()
    text = make()
    if cache.limit:
        cache.put(key, text.encode(), "text/html")
    return text


def cached_page(view):
    """Serve the contest's page from the cache while the key is the same (see the module).

    The view takes the contest's ``slug``. Put the decorator above the access
    decorators: a page is kept only after they and the view let this session's person
    see it, so the key alone proves the right to see it again.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        cache: PageCache = current_app.extensions["page_cache"]
        key = _key(kwargs["slug"]) if cache.limit else None
        page = cache.get(key) if key is not None else None
        if page is not None:
            return _response(cache, page)
        response = current_app.make_response(view(*args, **kwargs))
        if (
            key is not None
            and response.status_code == 200
            and not response.direct_passthrough
            and session.get("_user_id") == key[1]
            and not session.get("_flashes")
            and not request_ctx.flashes  # messages shown once are in this page
        ):
            page = cache.put(key, response.get_data(), response.mimetype)
            if page is not None:
                return _response(cache, page)
        return response

    return wrapped
