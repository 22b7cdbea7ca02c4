"""The hash-chained audit log: entries link, and any tampering is found where it happened,
at its end too (the anchor kept outside the database)."""

import json
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from scoring import audit
from scoring.extensions import db
from scoring.models import AuditEntry


def test_entries_chain_and_verify(app):
    with app.app_context():
        first = audit.record("contest.created", reason="", slug="a")
        second = audit.record("contest.stage", reason="Настав час", to="open")
        db.session.commit()
        assert first.prev_hash == audit.GENESIS and second.prev_hash == first.hash
        report = audit.verify()
        assert report.ok and report.entries == 2 and report.last_hash == second.hash


def test_audit_verify_reports_an_intact_chain(app, runner):
    with app.app_context():
        entries = [audit.record("contest.created", slug=f"c{n}") for n in range(3)]
        db.session.commit()
        last = entries[-1].hash
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0
    assert "3" in result.output and last in result.output and "цілісний" in result.output


def test_a_changed_entry_is_found(app, runner):
    with app.app_context():
        for n in range(3):
            audit.record("score.changed", n=n)
        db.session.commit()
        middle = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()[1]
        # Bypass the database's own guard, as an intruder with the file would.
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("DROP TRIGGER audit_log_no_update"))
        else:
            db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        db.session.execute(
            text("UPDATE audit_log SET reason = 'forged' WHERE id = :id"), {"id": middle.id}
        )
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        db.session.commit()
        report = audit.verify()
        assert not report.ok and report.broken_at == middle.id and report.problem == "hash"
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"на записі {middle.id}" in result.output


def _walked(monkeypatch) -> list[int]:
    """The ids of the entries the walks hash, as they go."""
    walked = []
    stored = audit._stored

    def counting(rows):
        for entry in stored(rows):
            walked.append(entry.id)
            yield entry

    monkeypatch.setattr(audit, "_stored", counting)
    return walked


def _forge(entry_id: int, column: str, value: str) -> None:
    """Change a stored entry behind the database's guard, as an intruder with its file."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
    else:
        db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    table = AuditEntry.__table__
    db.session.execute(table.update().where(table.c.id == entry_id).values({column: value}))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    db.session.commit()


def test_every_process_goes_on_from_the_checkpoint_of_the_last_walk(app, make_app, monkeypatch):
    walked = _walked(monkeypatch)
    with app.app_context():
        for n in range(3):
            audit.record("score.changed", n=n)
        db.session.commit()
        assert audit.verify().entries == 3 and len(walked) == 3
        newest = [audit.record("score.changed", n=n) for n in range(3, 5)][-1].hash
        db.session.commit()
    other = make_app()  # another process of the app: its database and instance folder
    with other.app_context():
        walked.clear()
        report = audit.verify()
        assert len(walked) == 2  # only the new entries
        assert (report.ok, report.entries, report.last_hash) == (True, 5, newest)
        walked.clear()
        whole = audit.verify(whole=True)  # what `flask audit-verify` asks for
        assert len(walked) == 5 and whole == report


def test_a_checkpoint_is_trusted_only_while_it_holds(app, monkeypatch, clock_at):
    walked = _walked(monkeypatch)
    now = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    clock_at(now)
    checkpoint = Path(app.instance_path) / audit.CHECKPOINT_FILE
    with app.app_context():
        for n in range(4):
            audit.record("score.changed", n=n)
        db.session.commit()
        audit.verify()
        signed = checkpoint.read_text()

        def walk_from_the_checkpoint() -> int:
            checkpoint.write_text(signed)
            walked.clear()
            audit.verify()
            return len(walked)

        assert walk_from_the_checkpoint() == 0  # nothing new: nothing hashed
        checkpoint.write_text(signed.replace('\\"entries\\":4', '\\"entries\\":3'))
        walked.clear()
        assert audit.verify().entries == 4 and len(walked) == 4  # a forged file: whole

        clock_at(now + timedelta(days=1, seconds=1))  # hashed whole over a day ago
        assert walk_from_the_checkpoint() == 4
        clock_at(now)


def test_an_entry_changed_before_the_checkpoint(app, monkeypatch, clock_at):
    walked = _walked(monkeypatch)
    now = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    clock_at(now)
    with app.app_context():
        entries = [audit.record("score.changed", n=n) for n in range(4)]
        db.session.commit()
        audit.verify()
        # Changed in place with its hashes kept, it stays unseen until the next whole walk:
        # `flask audit-verify` at any time, the protocol within a day.
        _forge(entries[1].id, "reason", "forged")
        walked.clear()
        assert audit.verify().ok and walked == []
        assert audit.verify(whole=True).broken_at == entries[1].id
        clock_at(now + timedelta(days=1, seconds=1))
        report = audit.verify()
        assert (report.broken_at, report.problem) == (entries[1].id, "hash")


def test_an_entry_whose_hash_was_changed_is_found_at_once(app, monkeypatch):
    walked = _walked(monkeypatch)
    with app.app_context():
        entries = [audit.record("score.changed", n=n) for n in range(4)]
        db.session.commit()
        audit.verify()
        # It no longer links to the next one: the checkpoint is not trusted, and the walk
        # from the first entry says where the chain breaks.
        _forge(entries[2].id, "hash", "f" * 64)
        walked.clear()
        report = audit.verify()
        assert (report.broken_at, report.problem) == (entries[2].id, "hash")
        assert len(walked) == 3


# The anchor: the end of the log kept outside the database (issue 12, SPEC §8) -------------


def _write(app, count: int, action: str = "score.changed") -> list[tuple[int, str]]:
    """``count`` entries, each committed as the app commits its writes; (id, hash) of each."""
    written = []
    with app.app_context():
        for n in range(count):
            entry = audit.record(action, n=n)
            db.session.commit()
            written.append((entry.id, entry.hash))
    return written


@contextmanager
def intruder(app):
    """A connection of someone who has the database's password but not the app server: the
    table's owner can lift its guards, as they would, and put them back afterwards."""
    with app.app_context(), db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
            yield connection
            connection.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")
            return
        guards = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        ).all()
        for name, _sql in guards:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield connection
        for _name, sql in guards:
            connection.exec_driver_sql(sql)


def _rechain(connection, start_id: int, change) -> None:
    """Rewrite the entries from ``start_id`` on, ``change`` applied to the first, with every
    hash after it computed anew: a chain that verifies by itself."""
    rows = connection.execute(
        select(AuditEntry.__table__).where(AuditEntry.id >= start_id).order_by(AuditEntry.id)
    ).all()
    before = connection.scalar(
        select(AuditEntry.hash).where(AuditEntry.id < start_id).order_by(AuditEntry.id.desc())
    )
    previous = before or audit.GENESIS
    for n, row in enumerate(rows):
        entry = SimpleNamespace(**row._mapping)
        if entry.at.tzinfo is None:  # SQLite gives the stored UTC moment without its zone
            entry.at = entry.at.replace(tzinfo=UTC)
        if n == 0:
            change(entry)
        entry.prev_hash = previous
        entry.hash = audit._digest(entry)
        connection.execute(
            text(
                "UPDATE audit_log SET reason = :reason, actor_id = :actor, prev_hash = :prev, "
                "hash = :hash WHERE id = :id"
            ),
            {
                "reason": entry.reason,
                "actor": entry.actor_id,
                "prev": entry.prev_hash,
                "hash": entry.hash,
                "id": entry.id,
            },
        )
        previous = entry.hash


def _verify(runner):
    result = runner.invoke(args=["audit-verify"])
    assert "Traceback" not in result.output
    return result


def test_entries_removed_from_the_end_are_found(app, runner):
    """Found by the outside attack of issue 12: audit-verify said "intact"."""
    written = _write(app, 5)
    assert _verify(runner).exit_code == 0
    with intruder(app) as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id > :id"), {"id": written[2][0]})
    with app.app_context():
        report = audit.verify()
        assert report.broken_at is None and report.entries == 3  # the chain itself holds
        assert not report.ok and report.anchor_problem == "cut"
    result = _verify(runner)
    assert result.exit_code == 1
    assert (
        f"З кінця журналу аудиту видалено записи: контрольна точка вказує на запис "
        f"{written[4][0]}, а журнал закінчується записом {written[2][0]} (записів: 3)."
    ) in result.output


def test_the_database_refuses_truncate_and_a_truncated_log_is_found(app, runner):
    written = _write(app, 3)
    with app.app_context(), db.engine.connect() as connection:
        statements = (
            [
                "TRUNCATE audit_log",
                "TRUNCATE TABLE ONLY audit_log RESTART IDENTITY",
                "TRUNCATE users CASCADE",  # reaches the log through its foreign key
                "TRUNCATE contests, audit_log CASCADE",
            ]
            if connection.dialect.name == "postgresql"
            else ["DELETE FROM audit_log"]  # SQLite's TRUNCATE
        )
        for statement in statements:
            with pytest.raises(DatabaseError, match="append-only"):
                connection.exec_driver_sql(statement)
            connection.rollback()
    with app.app_context():
        assert audit.verify().ok and audit.verify().entries == 3
    with intruder(app) as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("TRUNCATE audit_log")
        else:
            connection.exec_driver_sql("DELETE FROM audit_log")
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"контрольна точка вказує на запис {written[-1][0]}" in result.output
    assert "(записів: 0)" in result.output


def test_a_rewritten_entry_with_its_chain_computed_anew_is_found(app, runner):
    """The chain verifies by itself; the anchored hash does not match any more, and the
    app's next writes do not move the anchor over the rewritten chain."""
    written = _write(app, 4)
    with intruder(app) as connection:
        _rechain(connection, written[1][0], lambda entry: setattr(entry, "reason", "forged"))
    with app.app_context():
        assert audit.verify().broken_at is None
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"Запис {written[-1][0]} журналу аудиту вже не має хешу" in result.output
    assert written[-1][1] in result.output

    _write(app, 2, "contest.stage")  # the app goes on writing after the rewrite
    with app.app_context():
        assert audit.read_anchor() == audit.Anchor(*written[-1])  # not moved over it
        assert audit.verify().anchor_problem == "changed"
    assert _verify(runner).exit_code == 1


def test_a_removed_middle_entry_with_the_chain_computed_anew_is_found(app, runner):
    written = _write(app, 4)
    with intruder(app) as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": written[1][0]})
        _rechain(connection, written[2][0], lambda entry: None)
    with app.app_context():
        assert audit.verify().broken_at is None
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"Запис {written[-1][0]} журналу аудиту вже не має хешу" in result.output


def test_a_cut_log_written_on_afterwards_is_still_found(app, runner):
    """Cut, then the app appends: on SQLite the new entries take the removed numbers, on
    PostgreSQL they go on after them; either way the anchor stays where it was."""
    written = _write(app, 4)
    with intruder(app) as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id > :id"), {"id": written[1][0]})
    after = _write(app, 3, "contest.stage")
    with app.app_context():
        assert audit.read_anchor() == audit.Anchor(*written[-1])
        report = audit.verify()
        assert report.broken_at is None and report.entries == 5
        assert report.anchor_problem in ("changed", "missing")
    assert _verify(runner).exit_code == 1
    assert after[-1][0] >= written[-1][0] - 1


def test_the_anchor_is_signed_with_a_key_the_database_does_not_hold(app, make_app, runner):
    written = _write(app, 3)
    with app.app_context():
        path = audit.anchor_path()
    document = json.loads(path.read_text())
    assert (document["entry"], document["hash"]) == written[-1]

    # Moved back by hand to hide the newest entry, without the key: refused.
    path.write_text(json.dumps({**document, "entry": written[0][0], "hash": written[0][1]}))
    result = _verify(runner)
    assert result.exit_code == 1
    assert "підписано не ключем цього встановлення" in result.output
    # An anchor written by an installation with another SECRET_KEY: refused as well.
    other = make_app(SECRET_KEY="another-installation-secret-key-0123456789")
    with other.app_context():
        audit.move_anchor(audit.Anchor(*written[0]))
    assert _verify(runner).exit_code == 1
    path.write_text("{not json")
    assert "неможливо прочитати" in _verify(runner).output


def test_without_an_anchor_the_end_cannot_be_checked_until_init_db_sets_one(app, runner):
    written = _write(app, 2)
    with app.app_context():
        audit.anchor_path().unlink()
    result = _verify(runner)
    assert result.exit_code == 1
    assert "немає контрольної точки журналу аудиту" in result.output
    assert "flask init-db" in result.output

    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0
    assert f"на його найновішому записі {written[-1][0]}" in result.output
    assert _verify(runner).exit_code == 0
    assert runner.invoke(args=["init-db"]).output.count("контрольну точку") == 0  # once


def test_reanchor_accepts_the_end_of_an_intact_chain_only(app, runner):
    written = _write(app, 4)
    with intruder(app) as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id > :id"), {"id": written[1][0]})
    result = runner.invoke(args=["audit-verify", "--reanchor"])
    assert result.exit_code == 0, result.output
    assert f"Контрольна точка була на записі {written[-1][0]}." in result.output
    assert "Журнал аудиту цілісний: записів — 2" in result.output
    assert _verify(runner).exit_code == 0

    with intruder(app) as connection:  # a chain broken in the middle is never accepted
        connection.execute(
            text("UPDATE audit_log SET reason = 'forged' WHERE id = :id"), {"id": written[0][0]}
        )
    result = runner.invoke(args=["audit-verify", "--reanchor"])
    assert result.exit_code == 1 and f"на записі {written[0][0]}" in result.output
    with app.app_context():
        assert audit.read_anchor() == audit.Anchor(*written[1])


def test_the_anchor_follows_the_newest_entry_of_concurrent_writers(app):
    """Several threads commit entries at once (the processes of a server do the same): the
    anchor ends at the newest entry, never behind it and never past a missing one."""
    errors = []

    def writer(n: int):
        try:
            _write(app, 8, f"writer.{n}")
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with app.app_context():
        report = audit.verify()
        assert report.ok and report.entries == 32
        assert audit.read_anchor() == audit.Anchor(report.last_id, report.last_hash)
