"""The hash-chained audit log: entries link, and any tampering is found where it happened."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

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
