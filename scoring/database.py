"""Engine behaviour that must hold on every connection.

SQLite runs in WAL mode with a busy timeout and enforced foreign keys. Its default
deferred transactions fail at once ("database is locked") when two writers race, so a
transaction that may write begins with ``BEGIN IMMEDIATE``: writers queue for the lock
(up to the busy timeout) instead of failing, while page views keep plain ``BEGIN``
and read concurrently. Work outside a request that only reads (a document made in the
background, an import's check in the background, ``rank``, ``pdf``) says so with
``reading()``: it would hold the write lock for all its seconds otherwise, and every save
would wait for it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, has_request_context, request
from sqlalchemy import event

from .extensions import db

BUSY_TIMEOUT_MS = 15_000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_reading: ContextVar[bool] = ContextVar("reading", default=False)


@contextmanager
def reading() -> Iterator[None]:
    """Transactions begun inside the block only read: plain ``BEGIN`` on SQLite."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def register(app: Flask) -> None:
    """Attach the SQLite behaviour to the app's engine (after ``db.init_app``)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)


def _sqlite_on_connect(dbapi_connection, _record):
    # Take transaction control away from the sqlite3 module (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection):
    only_reads = _reading.get() or (has_request_context() and request.method in READ_ONLY_METHODS)
    connection.exec_driver_sql("BEGIN" if only_reads else "BEGIN IMMEDIATE")


def driver_rows(statement) -> list[tuple]:
    """The rows of a Core ``statement`` as the database driver gives them, in the
    session's transaction: for large reads of plain columns, where SQLAlchemy's row and
    type processing costs more than the query (42,000 scores: 150 ms instead of 390).
    Values come as the driver makes them: a NUMERIC is an int or a float on SQLite and a
    Decimal on PostgreSQL."""
    connection = db.session.connection()
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )  # an IN list's values as parameters of their own
    if compiled.positional:
        parameters = tuple(compiled.params[name] for name in compiled.positiontup)
    else:
        parameters = compiled.params
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(compiled.string, parameters)
        return cursor.fetchall()
    finally:
        cursor.close()
