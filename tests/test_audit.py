"""The hash-chained audit log: entries link, and any tampering is found where it happened."""

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


def test_the_app_goes_on_from_the_part_of_the_chain_it_has_checked(app, monkeypatch):
    walked = []
    stored = audit._stored

    def counting(rows):
        for entry in stored(rows):
            walked.append(entry.id)
            yield entry

    monkeypatch.setattr(audit, "_stored", counting)
    with app.app_context():
        for n in range(3):
            audit.record("score.changed", n=n)
        db.session.commit()
        assert audit.verify().entries == 3 and len(walked) == 3
        newer = [audit.record("score.changed", n=n) for n in range(3, 5)]
        db.session.commit()
        walked.clear()
        report = audit.verify()
        assert len(walked) == 2  # only the new entries
        assert (report.ok, report.entries, report.last_hash) == (True, 5, newer[-1].hash)
        walked.clear()
        whole = audit.verify(whole=True)  # what `flask audit-verify` asks for
        assert len(walked) == 5 and whole == report
