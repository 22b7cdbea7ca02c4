"""``GET /healthz`` for load balancers and monitoring.

200 ``{"status": "ok", "database": "ok", "migrations": "current"}`` when the database
answers and its schema revision is the newest of ``scoring/migrations``; otherwise 503
with ``status: "error"`` and a ``reason`` (nothing internal: the details go to the log).
No login, no session cookie, no CSRF token, never cached.
"""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from . import schema
from .extensions import csrf, db, limiter
from .requestguard import json_endpoint

bp = Blueprint("health", __name__)
csrf.exempt(bp)


@bp.route("/healthz")
@limiter.exempt
@json_endpoint
def healthz():
    try:
        connection = db.session.connection()
        connection.execute(text("SELECT 1"))
        revision = schema.current(connection)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Health check: the database does not answer")
        return _answer(
            database="unavailable", migrations="unknown", reason="the database does not answer"
        )
    head = schema.head()
    if revision == head:
        return _answer(database="ok", migrations="current")
    if revision is None:
        return _answer(
            database="ok",
            migrations="missing",
            reason="the database has no schema: run flask --app scoring init-db",
        )
    if revision in schema.known():
        return _answer(
            database="ok",
            migrations="behind",
            reason=f"the schema is at revision {revision}, the code expects {head}: "
            "run flask --app scoring init-db",
        )
    return _answer(
        database="ok",
        migrations="unknown",
        reason=f"the schema is at revision {revision}, which this code does not know "
        f"(its newest is {head})",
    )


def _answer(*, database: str, migrations: str, reason: str = ""):
    healthy = database == "ok" and migrations == "current"
    document = {"status": "ok" if healthy else "error", "database": database}
    document["migrations"] = migrations
    if reason:
        document["reason"] = reason
    response = jsonify(document)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
