"""Sign-in sessions kept on the server (SPEC §8): a copied cookie stops working at logout.

The signed session cookie carries a random token (``sid``); the ``user_sessions`` table
keeps its SHA-256, the browser and system it was started from, whether a second factor
was used, and when it started and was last seen. A request is signed in only while its
token's row exists, belongs to the person the cookie names and is younger than
``PERMANENT_SESSION_LIFETIME``. Logging out deletes the row; so do "end" and "end all
others" on the account page, a new password (for the other sessions), turning on
two-factor sign-in (for the other sessions) and anonymisation (for all of them).

The page cache (pagecache.py) serves a page only to a session that ``alive_state``
finds alive, in the same query that reads the database's state: an ended session is
never served a kept page.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, timedelta

from flask import current_app, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, select, update
from sqlalchemy.orm.attributes import set_committed_value
from ua_parser import parse as parse_user_agent

from . import clock
from .database import READ_ONLY_METHODS
from .extensions import db
from .models import User, UserSession

KEY = "sid"  # the token's name in the signed cookie
SEEN_EVERY = timedelta(minutes=5)  # "last seen" is written at most this often


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime() -> timedelta:
    lifetime = current_app.permanent_session_lifetime
    return lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=lifetime)


def device_name(user_agent: str) -> str:
    """«Firefox 128 · Windows 10» from a User-Agent header; empty when unknown."""
    parsed = parse_user_agent(user_agent or "")
    parts = []
    if parsed.user_agent is not None:
        parts.append(" ".join(filter(None, [parsed.user_agent.family, parsed.user_agent.major])))
    if parsed.os is not None and parsed.os.family != "Other":
        parts.append(" ".join(filter(None, [parsed.os.family, parsed.os.major])))
    return " · ".join(parts)[:200]


def start(user: User, *, two_factor: bool = False) -> UserSession:
    """Sign ``user`` in on this browser: a new token in the cookie, its row in the table.

    Sessions of the person that have outlived their lifetime are cleared on the way.
    """
    now = clock.now()
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id, UserSession.started_at <= now - _lifetime()
        )
    )
    token = secrets.token_urlsafe(32)
    record = UserSession(
        user_id=user.id,
        token_hash=_hash(token),
        device=device_name(request.headers.get("User-Agent", "")),
        two_factor=two_factor,
        started_at=now,
        last_seen_at=now,
    )
    db.session.add(record)
    session[KEY] = token
    session.permanent = True
    g.user_session = record
    return record


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the person of this request's live session, or None.

    ``user_id`` is what the cookie says (``User.get_id()``, which changes with the
    password); the row of the cookie's token must belong to that person.
    """
    token = session.get(KEY)
    person = user_id.partition(":")[0]
    if not isinstance(token, str) or not person.isdigit():
        return None
    row = db.session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == _hash(token),
            User.id == int(person),
            UserSession.started_at > clock.now() - _lifetime(),
        )
    ).first()
    if row is None or row.User.get_id() != user_id:
        return None
    g.user_session = row.UserSession
    _seen(row.UserSession)
    return row.User


def _seen(record: UserSession) -> None:
    """Note when the session was last seen, at most every ``SEEN_EVERY``.

    A page view writes in a short transaction of its own (it holds no write lock to
    wait for); a form's request writes with its own change, if it commits one.
    """
    now = clock.now()
    if now - record.last_seen_at < SEEN_EVERY:
        return
    statement = update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now)
    if request.method in READ_ONLY_METHODS:
        with db.engine.begin() as connection:
            connection.execute(statement)
    else:
        db.session.execute(statement)
    set_committed_value(record, "last_seen_at", now)  # as written: nothing left to flush


def current() -> UserSession | None:
    """This request's session row, or None when the request is not signed in."""
    if "user_session" not in g:
        g.user_session = None
        _ = current_user.is_authenticated  # loads the person, and with them the row
    return g.user_session


def two_factor_used() -> bool:
    """Whether this request's session was signed in (or confirmed) with a second factor."""
    record = current()
    return record is not None and record.two_factor


def two_factor_missing(user) -> bool:
    """``user`` has no two-factor sign-in, or this session was not signed in with it."""
    return not (user.has_two_factor and two_factor_used())


def lead_to_set_up(next_url: str | None = None):
    """The answer to someone who must use two-factor sign-in and does not: its set-up."""
    return redirect(url_for("security.two_factor", next=next_url or request.full_path))


def end(record: UserSession | None = None) -> None:
    """End a session (this request's by default): its cookie stops working."""
    record = record or current()
    if record is not None:
        db.session.execute(delete(UserSession).where(UserSession.id == record.id))
    if record is None or record is current():
        session.pop(KEY, None)


def end_others(user: User) -> int:
    """End every session of ``user`` but this request's; how many were ended."""
    keep = current()
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None and keep.user_id == user.id:
        statement = statement.where(UserSession.id != keep.id)
    return db.session.execute(statement).rowcount


def end_all(user: User) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def open_sessions(user: User) -> list[UserSession]:
    """The person's live sessions, the most recently seen first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.started_at > clock.now() - _lifetime(),
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def describe(record: UserSession):
    return record.device or _l("Unknown browser")


# The page cache's one query: the contest's state, and whether the session is alive.
# The state is the newest audit entry of the contest, of no contest and of the shared
# action (pagecache.py says why); a session that is not alive gives no row at all.

_ALIVE = (
    "SELECT state.id, state.hash FROM user_sessions"
    " LEFT JOIN audit_log AS state ON state.id IN ("
    "(SELECT max(id) FROM audit_log WHERE contest_id = (SELECT id FROM contests WHERE slug = {p})),"
    "(SELECT max(id) FROM audit_log WHERE contest_id IS NULL),"
    "(SELECT max(id) FROM audit_log WHERE action = {p}))"
    " WHERE token_hash = {p} AND user_id = {p} AND started_at > {p}"
    " ORDER BY state.id"
)


def alive_state(user_id: str, slug: str, shared_action: str) -> tuple | None:
    """The state of the contest at ``slug`` if this request's session is alive.

    None when the cookie has no token or its session has ended: no kept page for it.
    Read on a driver connection of the pool, outside the request's ORM session.
    """
    token = session.get(KEY)
    person = str(user_id).partition(":")[0]
    if not isinstance(token, str) or not person.isdigit():
        return None
    dialect = db.engine.dialect
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    since = clock.now() - _lifetime()
    if dialect.name == "sqlite":  # stored as naive UTC text (models.UTCDateTime)
        since = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    connection = db.engine.raw_connection()
    # One statement needs no transaction of its own: on PostgreSQL the driver then sends
    # no BEGIN before it and no ROLLBACK when the pool takes the connection back, two of
    # the four round trips of a kept page (``make bench``). SQLite's has none to save.
    driver = connection.driver_connection if dialect.name == "postgresql" else None
    try:
        if driver is not None:
            driver.autocommit = True
        cursor = connection.cursor()
        parameters = (slug, shared_action, _hash(token), int(person), since)
        cursor.execute(_ALIVE.format(p=placeholder), parameters)
        rows = cursor.fetchall()
        cursor.close()
    finally:
        if driver is not None and not driver.closed:
            driver.autocommit = False  # as the pool gives connections out
        connection.close()  # back to the pool
    return ("alive", *(tuple(row) for row in rows)) if rows else None
