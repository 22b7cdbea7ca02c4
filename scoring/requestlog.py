"""Structured logging: a request id for every request, one JSON line per request.

Each request gets an id: the ``X-Request-ID`` header sent by the reverse proxy when it
looks like one (letters, digits and ``._:-``, at most 128), else a new random one. The
response carries it back in ``X-Request-ID``. Every line the app logs during a request
carries the id, the method, the path and the signed-in user's id; once the response is
ready, one line says how it ended (status, duration in ms). Lines are JSON objects on
standard error (gunicorn's error log), errors with their traceback, so a line of a
failure leads to everything else logged for the same request. Nothing of this is shown
to users; the error page names the request id only.
"""

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_request_context, request, session
from flask.logging import default_handler, wsgi_errors_stream
from sqlalchemy import inspect

REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
HEADER = "X-Request-ID"
FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id")


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message and request fields."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                document[name] = getattr(record, name)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False, default=str)


class RequestContext(logging.Filter):
    """Puts the current request's id, method, path and user on every record logged in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            for name, value in _context().items():
                if not hasattr(record, name):
                    setattr(record, name, value)
        return True


# One handler and one filter per process: every app of the process logs through the
# same logger ("scoring"), and registering an app twice must not double the lines.
_handler = logging.StreamHandler(wsgi_errors_stream)
_handler.setFormatter(JsonFormatter())
_filter = RequestContext()


def register(app: Flask) -> None:
    app.logger.removeHandler(default_handler)
    app.logger.addHandler(_handler)
    app.logger.addFilter(_filter)
    app.logger.setLevel(app.config.get("LOG_LEVEL") or logging.INFO)
    # First of all before_request functions, so even a refused request has its id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)


def request_id() -> str:
    """The current request's id (made now if the request has none yet)."""
    if "request_id" not in g:
        given = request.headers.get(HEADER, "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return g.request_id


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish(response):
    response.headers[HEADER] = request_id()
    logger = current_app.logger
    if not logger.isEnabledFor(logging.INFO):
        return response
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    status = response.status_code
    # The record made directly: ``logger.info`` would first walk the stack for the
    # caller's file and line, which no line shows (a tenth of a cached page's CPU).
    record = logger.makeRecord(
        logger.name,
        logging.INFO,
        __file__,
        0,
        "%s %s %s",
        (request.method, request.path, status),
        None,
        extra={"status": status, "duration_ms": duration},
    )
    logger.handle(record)
    return response


def _context() -> dict:
    return {
        "request_id": request_id(),
        "method": request.method,
        "path": request.path,
        "user_id": _user_id(),
    }


def _user_id() -> int | None:
    # Flask-Login keeps the user it has loaded in g; asking current_user here would load
    # one from the session for requests that never needed it (static files, /healthz).
    # The id comes from the identity map: no query, even in a failed transaction.
    user = g.get("_login_user")
    if user is None:  # not loaded (a page from the page cache): the signed session says
        person = str(session.get("_user_id") or "").partition(":")[0]
        return int(person) if person.isdigit() else None
    if not getattr(user, "is_authenticated", False):
        return None
    state = inspect(user, raiseerr=False)
    return state.identity[0] if state is not None and state.identity else None
