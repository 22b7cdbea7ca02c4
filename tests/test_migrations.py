"""Migrations build the schema from empty and match the models; the audit log is append-only."""

import uuid
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
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


def _revision_before(revision: str) -> str:
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_revision(revision).down_revision


def test_0006_copies_the_organisation_into_applications_already_submitted(empty_database, tmp_path):
    # SPEC §8: the facts the ranking uses are those of submission. Applications submitted
    # before the columns existed get the organisation's facts as they stand at the upgrade;
    # drafts keep following the profile.
    app = create_app(_settings(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision=_revision_before("0006"))
        now = "2026-03-01 10:00:00"
        statements = [
            "INSERT INTO organisations (id, kind, name, edrpou, oblast, community, "
            "community_code, status, contact_person, email, phone, created_at) VALUES "
            "(1, 'community', 'Балаклійська міська рада', '04058364', 'UA-63', "
            "'Балаклійська міська територіальна громада', 'UA63020030000063020', "
            "'relocated', 'Особа', 'o@example.org', '+380501234567', :now)",
            "INSERT INTO contests (id, slug, title_uk, title_en, description_uk, description_en,"
            " rules_uk, rules_en, organising_body, applicant_kinds, oblasts, opens_at, "
            "closes_at, winners, stage, number_prefix, last_number, aggregation, normalise, "
            "jurors_per_application, quorum, divergence_threshold, min_total, blind, "
            "conflict_same_oblast, conflict_same_community, results_full_ranking, "
            "attachment_types, max_file_size, max_total_size, created_at, updated_at) VALUES "
            "(1, 'c', 'К', '', '', '', '', '', '', '[]', '[]', :now, '2026-04-01 10:00:00', 5,"
            " 'judging', 'K', 2, 'mean', 'none', 0, 2, 0.3, 0, false, false, false, true, "
            "'[]', 1, 1, :now, :now)",
            "INSERT INTO contests (id, slug, title_uk, title_en, description_uk, description_en,"
            " rules_uk, rules_en, organising_body, applicant_kinds, oblasts, opens_at, "
            "closes_at, winners, stage, number_prefix, last_number, aggregation, normalise, "
            "jurors_per_application, quorum, divergence_threshold, min_total, blind, "
            "conflict_same_oblast, conflict_same_community, results_full_ranking, "
            "attachment_types, max_file_size, max_total_size, created_at, updated_at) VALUES "
            "(2, 'd', 'Д', '', '', '', '', '', '', '[]', '[]', :now, '2026-04-01 10:00:00', 5,"
            " 'open', 'D', 0, 'mean', 'none', 0, 2, 0.3, 0, false, false, false, true, "
            "'[]', 1, 1, :now, :now)",
            "INSERT INTO applications (id, contest_id, organisation_id, state, serial, number, "
            "title, created_at, updated_at, submitted_at) VALUES "
            "(1, 1, 1, 'admitted', 1, 'K-2026-001', 'Т', :now, :now, :now)",
            "INSERT INTO applications (id, contest_id, organisation_id, state, title, "
            "created_at, updated_at) VALUES (2, 2, 1, 'draft', 'Т', :now, :now)",
        ]
        for statement in statements:
            db.session.execute(text(statement), {"now": now})
        db.session.commit()
        upgrade()
        rows = db.session.execute(
            text(
                "SELECT id, applicant_name, applicant_kind, applicant_oblast, "
                "applicant_community, applicant_community_code, applicant_status "
                "FROM applications ORDER BY id"
            )
        ).all()
        assert [tuple(row) for row in rows] == [
            (
                1,
                "Балаклійська міська рада",
                "community",
                "UA-63",
                "Балаклійська міська територіальна громада",
                "UA63020030000063020",
                "relocated",
            ),
            (2, None, None, None, None, None, None),
        ]
        db.session.remove()
        db.engine.dispose()


def test_0014_keeps_the_decisions_and_takes_partial_awards_then_goes_back(
    empty_database, tmp_path
):
    # SQLite cannot alter the CHECK of the decision kinds: the table is built anew.
    app = create_app(_settings(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision=_revision_before("0014"))
        now = "2026-03-01 10:00:00"
        db.session.execute(
            text(
                "INSERT INTO contests (id, slug, title_uk, title_en, description_uk, "
                "description_en, rules_uk, rules_en, organising_body, applicant_kinds, oblasts,"
                " opens_at, closes_at, winners, stage, number_prefix, last_number, aggregation,"
                " normalise, jurors_per_application, quorum, divergence_threshold, min_total, "
                "blind, conflict_same_oblast, conflict_same_community, results_full_ranking, "
                "attachment_types, max_file_size, max_total_size, created_at, updated_at, "
                "closed_early_reason, protocol_number, protocol_place) VALUES (1, 'c', 'К', '',"
                " '', '', '', '', '', '[]', '[]', :now, '2026-04-01 10:00:00', 5, 'judging', "
                "'K', 0, 'mean', 'none', 0, 2, 0.3, 0, false, false, false, true, '[]', 1, 1, "
                ":now, :now, '', '', '')"
            ),
            {"now": now},
        )
        db.session.execute(
            text(
                "INSERT INTO decisions (id, contest_id, kind, winner_ids, reason, decided_at) "
                "VALUES (7, 1, 'tie', '[3, 4]', 'Жеребкування', :now)"
            ),
            {"now": now},
        )
        db.session.commit()
        upgrade()
        assert db.session.execute(
            text("SELECT id, kind, reason, amount FROM decisions")
        ).all() == [(7, "tie", "Жеребкування", None)]
        db.session.execute(
            text(
                "INSERT INTO decisions (id, contest_id, kind, winner_ids, amount, reason, "
                "decided_at) VALUES (8, 1, 'partial', '[]', 12500.50, 'Частково', :now)"
            ),
            {"now": now},
        )
        db.session.execute(text("UPDATE contests SET fund = 100000.00, max_request = 50000"))
        db.session.commit()
        assert db.session.execute(text("SELECT amount FROM decisions WHERE id = 8")).scalar() == (
            Decimal("12500.50")
        )
        for statement in (
            "UPDATE contests SET fund = 0",
            "UPDATE decisions SET amount = -1 WHERE id = 8",
            "UPDATE decisions SET kind = 'other' WHERE id = 8",
        ):
            with pytest.raises(DatabaseError):
                db.session.execute(text(statement))
            db.session.rollback()
        downgrade(revision=_revision_before("0014"))
        assert db.session.execute(text("SELECT id, kind FROM decisions")).all() == [(7, "tie")]
        db.session.remove()
        db.engine.dispose()
