"""Heavy pages rendered once and served again while nothing in the database has changed.

The juror's scoresheet and the organiser's ranking page are read far more often than
anything they show changes: a juror reloads a sheet, a commission sits over a ranking
of 1,000 applications computed from 42,000 scores. ``@cached_page`` keeps the rendered
page in the process and serves it again to the same person while the database is in
the same state.

The state is the newest entry of the audit log: every write of the app records one in
the same transaction (SPEC §8), and the entry's hash covers the whole chain, so a
restored or different database never matches. The same query checks that the
session is alive (sessions.py): a session ended by logout, from another device or by a
new password gets no kept page. The key also holds the page's URL with its query and,
from the signed session, the person (with the token that a new password changes), the
language chosen and the CSRF secret (the page's forms carry a token made from it).
Access needs no second check: a page is kept only after the access checks and the view
answered 200 to this session's person, and any change of who may see what — an
assignment, a recusal, a stage, an account — writes the audit log and so changes the
key.

A page is not kept when the session holds flashed messages, for requests other than
GET, or when the answer is not a plain 200 page. Each app keeps at most
``PAGE_CACHE_BYTES`` of pages (least recently used first out; 0 turns it off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import wraps

from flask import current_app, request, session
from flask.globals import request_ctx

from . import sessions


class PageCache:
    """Rendered pages by key, least recently used first out, within a size in bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self.pages: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> tuple[bytes, str] | None:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key: tuple, body: bytes, mimetype: str) -> None:
        if len(body) > self.limit // 4:
            return
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= len(old[0])
            self.pages[key] = (body, mimetype)
            self.size += len(body)
            while self.size > self.limit:
                _key, (dropped, _mimetype) = self.pages.popitem(last=False)
                self.size -= len(dropped)


def init_app(app) -> None:
    app.extensions["page_cache"] = PageCache(app.config.get("PAGE_CACHE_BYTES", 64 << 20))


def _key() -> tuple | None:
    """The page's key in this session, or None when it must not come from the cache."""
    person, secret = session.get("_user_id"), session.get("csrf_token")
    if request.method != "GET" or not person or not secret or session.get("_flashes"):
        return None
    if current_app.config.get("WTF_CSRF_TIME_LIMIT"):
        return None  # the page's tokens would expire while the page is served again
    state = sessions.alive_state(person)  # one query: the log's newest entry, if alive
    if state is None:
        return None  # an ended session: the view (and its login check) answers
    return (request.full_path, person, session.get("language"), secret, state)


def cached_page(view):
    """Serve the page from the cache while the key is the same (see the module).

    Put it above the access decorators: a page is kept only after they and the view let
    this session's person see it, so the key alone proves the right to see it again.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        cache: PageCache = current_app.extensions["page_cache"]
        key = _key() if cache.limit else None
        if key is not None:
            page = cache.get(key)
            if page is not None:
                return current_app.response_class(page[0], mimetype=page[1])
        response = current_app.make_response(view(*args, **kwargs))
        if (
            key is not None
            and response.status_code == 200
            and not response.direct_passthrough
            and session.get("_user_id") == key[1]
            and not session.get("_flashes")
            and not request_ctx.flashes  # messages shown once are in this page
        ):
            cache.put(key, response.get_data(), response.mimetype)
        return response

    return wrapped
