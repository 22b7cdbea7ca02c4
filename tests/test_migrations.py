"""Migrations build the schema from empty and match the models; the audit log is append-only."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DatabaseError

from scoring import audit, create_app
from scoring.extensions import db

from .conftest import TEST_DATABASE_URL, _settings


@pytest.fixture
def empty_database(tmp_path):
    """A brand-new empty database of the kind under test."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    from scoring.config import database_url

    server = create_engine(database_url(TEST_DATABASE_URL, tmp_path), isolation_level="AUTOCOMMIT")
    name = f"scoring_empty_{uuid.uuid4().hex[:8]}"
    with server.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield server.url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    server.dispose()


def test_init_db_creates_the_whole_schema_from_empty(empty_database, tmp_path):
    app = create_app(_settings(tmp_path, empty_database))
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        assert "alembic_version" in tables
        db.engine.dispose()


def test_the_models_and_the_migrations_agree(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_the_audit_log_refuses_updates_and_deletes(app):
    with app.app_context():
        audit.record("test.entry", note="first")
        db.session.commit()
        for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert audit.verify().ok


def test_init_db_upgrades_an_existing_database_without_loss(app, runner, build):
    build.user(email="kept@example.org")
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    with app.app_context():
        upgrade()  # idempotent
        assert db.session.execute(text("SELECT email FROM users")).scalar() == "kept@example.org"
