"""Running the app in production: start-up checks, /healthz, request ids in headers and logs."""

import json
import logging
import re
from pathlib import Path

import pytest
from flask_migrate import upgrade

from scoring import config, create_app
from scoring.extensions import db
from scoring.requestlog import JsonFormatter

from ._databases import Databases

STRONG_KEY = "k7Qp2vX9sL4mN8wR1tY6uI3oP5aS0dF2gH7jK4lZ"


@pytest.fixture
def databases(tmp_path):
    made = Databases(tmp_path)
    yield made
    made.close()


@pytest.fixture
def production(monkeypatch, tmp_path):
    """The environment of a production server; tests change one thing at a time."""
    for name in ("FLASK_DEBUG", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCORING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    monkeypatch.setenv("PUBLIC_URL", "https://contests.example.org")
    return monkeypatch


def _start(tmp_path):
    return create_app({"INSTANCE_PATH": str(tmp_path / "instance")})


def test_a_well_configured_production_app_starts(production, tmp_path):
    production.setenv("WEB_CONCURRENCY", "4")  # SQLite on a local disk, in WAL mode
    app = _start(tmp_path)
    assert app.config["SCORING_ENV"] == "production" and app.config["SECRET_KEY"] == STRONG_KEY


def test_production_refuses_to_start_without_a_secret_key(production, tmp_path):
    production.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set") as refusal:
        _start(tmp_path)
    assert "at least 32 characters" in str(refusal.value)
    # A generated key file would differ between servers: none is made, none is used.
    assert not (tmp_path / "instance" / "secret_key").exists()
    (tmp_path / "instance" / "secret_key").write_text(STRONG_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        _start(tmp_path)


@pytest.mark.parametrize("key", ["dev", "changeme", "x" * 40, STRONG_KEY[:31]])
def test_production_refuses_a_weak_secret_key(production, tmp_path, key):
    production.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY is too weak"):
        _start(tmp_path)


def test_production_refuses_debug_mode(production, tmp_path):
    production.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="Debug mode is on. Unset FLASK_DEBUG"):
        _start(tmp_path)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_production_refuses_sqlite_in_memory(production, tmp_path, url):
    production.setenv("DATABASE_URL", url)
    with pytest.raises(RuntimeError, match="in-memory SQLite database"):
        _start(tmp_path)


@pytest.mark.parametrize(
    "workers",
    [{"WEB_CONCURRENCY": "3"}, {"GUNICORN_CMD_ARGS": "--bind 0.0.0.0:8000 --workers=2"}],
)
def test_production_refuses_sqlite_on_a_network_disk_for_several_processes(
    production, tmp_path, workers
):
    # The test machine has no NFS mount: the mount table says the folder is on one.
    production.setattr(config, "_filesystem", lambda folder: "nfs4")
    _start(tmp_path)  # one process may use it...
    for name, value in workers.items():
        production.setenv(name, value)
    production.setattr(config, "_filesystem", lambda folder: "ext4")
    _start(tmp_path)  # ...and several on a local disk
    production.setattr(config, "_filesystem", lambda folder: "nfs4")
    with pytest.raises(RuntimeError, match=r"on a network file system \(nfs4\)"):
        _start(tmp_path)


def test_the_process_count_and_the_file_system_are_read_as_gunicorn_and_linux_give_them(
    tmp_path,
):
    assert config._processes({}) == 1
    assert config._processes({"WEB_CONCURRENCY": "4"}) == 4
    assert config._processes({"GUNICORN_CMD_ARGS": "-w 3 --timeout 60"}) == 3
    assert config._processes({"GUNICORN_CMD_ARGS": "--workers 5"}) == 5
    mounts = Path("/proc/self/mounts").read_text()
    kind = config._filesystem(tmp_path)
    assert kind and f" {kind} " in mounts


def test_every_production_problem_is_listed_at_once(production, tmp_path):
    production.setenv("SECRET_KEY", "short")
    production.setenv("FLASK_DEBUG", "1")
    production.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError) as refusal:
        _start(tmp_path)
    message = str(refusal.value)
    assert message.startswith("scoring does not start with SCORING_ENV=production:")
    assert message.count("\n- ") == 3


def test_outside_production_nothing_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("SCORING_ENV", raising=False)
    monkeypatch.setenv("SECRET_KEY", "dev")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"] == "dev"


# /healthz ----------------------------------------------------------------------------


def test_healthz_says_ok_without_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "current"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_schema_is_behind_the_code(databases):
    app = databases.app(databases.new())
    with app.app_context():
        upgrade(revision="0001")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    document = response.get_json()
    assert document["status"] == "error" and document["database"] == "ok"
    assert document["migrations"] == "behind"
    assert "revision 0001" in document["reason"] and "init-db" in document["reason"]


def test_healthz_is_503_without_a_schema(databases):
    app = databases.app(databases.new())
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["migrations"] == "missing"


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path, caplog):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'folder' / 'db.sqlite'}",
        }
    )
    with caplog.at_level(logging.INFO, logger="scoring"):
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    document = response.get_json()
    assert document == {
        "status": "error",
        "database": "unavailable",
        "migrations": "unknown",
        "reason": "the database does not answer",
    }
    (failure,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failure.exc_info and failure.request_id == response.headers["X-Request-ID"]
    with app.app_context():
        db.engine.dispose()


# Request ids and request logs ----------------------------------------------------------


def _request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "scoring" and hasattr(r, "status")]


def test_every_response_carries_a_request_id(client):
    given = client.get("/", headers={"X-Request-ID": "lb-4f2a.9c:01"})
    assert given.headers["X-Request-ID"] == "lb-4f2a.9c:01"
    for bad in ("two words", "<script>", "x" * 200, ""):
        made = client.get("/", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_each_request_is_one_json_log_line(client, build, caplog):
    user_id = build.user(email="juror@example.org")
    client.login("juror@example.org")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="scoring"):
        response = client.get("/account", headers={"X-Request-ID": "req-123"})
        client.get("/no/such/page")
    logged, missing = _request_lines(caplog)
    assert (logged.method, logged.path, logged.status) == ("GET", "/account", 200)
    assert logged.request_id == "req-123" == response.headers["X-Request-ID"]
    assert logged.user_id == user_id and logged.duration_ms >= 0
    line = json.loads(JsonFormatter().format(logged))
    assert {k: line[k] for k in ("method", "path", "status", "user_id", "request_id")} == {
        "method": "GET",
        "path": "/account",
        "status": 200,
        "user_id": user_id,
        "request_id": "req-123",
    }
    assert line["level"] == "INFO" and "duration_ms" in line and "time" in line
    assert (missing.status, missing.user_id) == (404, user_id)


def test_a_failure_is_logged_with_its_request_and_the_page_names_only_the_id(app, client, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/explode")
    def explode():
        raise RuntimeError("secret internal detail")

    with caplog.at_level(logging.INFO, logger="scoring"):
        response = client.get("/explode", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "boom-1" in page and "secret internal detail" not in page
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert (error.request_id, error.path, error.method) == ("boom-1", "/explode", "GET")
    line = json.loads(JsonFormatter().format(error))
    assert "secret internal detail" in line["exception"] and line["request_id"] == "boom-1"
    (finished,) = _request_lines(caplog)
    assert finished.status == 500 and finished.request_id == "boom-1"
