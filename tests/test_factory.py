"""The factory and configuration: instance folder, secret key, databases, SQLite settings."""

from pathlib import Path

from sqlalchemy import text

from scoring import create_app
from scoring.extensions import db


def test_defaults_put_sqlite_and_a_generated_secret_key_into_the_instance_folder(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    first = create_app({"INSTANCE_PATH": str(instance)})
    second = create_app({"INSTANCE_PATH": str(instance)})
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'scoring.sqlite'}"
    key = (instance / "secret_key").read_text()
    assert len(key) >= 40 and first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key
    assert oct((instance / "secret_key").stat().st_mode & 0o777) == "0o600"
    other = create_app({"INSTANCE_PATH": str(tmp_path / "elsewhere")})
    assert other.config["SECRET_KEY"] != key  # generated per installation, not a constant


def test_environment_selects_the_database_and_the_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.internal/scoring")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.internal/scoring"
    assert not (Path(tmp_path) / "secret_key").exists()


def test_sqlite_connections_use_wal_a_busy_timeout_and_foreign_keys(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
            assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    else:
        with app.app_context():
            assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_wsgi_module_exposes_the_app(monkeypatch, tmp_path):
    monkeypatch.chdir(Path(__file__).parent.parent)
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'w.sqlite'}")
    import importlib

    import wsgi

    importlib.reload(wsgi)
    assert wsgi.app.name == "scoring"
