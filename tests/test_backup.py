"""Backups and restores (SPEC §8, §9): every row survives a round trip between SQLite and
PostgreSQL, a backup taken while the app writes is one moment, and a bad archive changes
nothing."""

import hashlib
import json
import os
import threading
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import DatabaseError

from scoring import audit, clock, edrpou, schema
from scoring.backup import archive as backup_archive
from scoring.backup import backup
from scoring.extensions import db
from scoring.models import (
    AgendaItem,
    Appeal,
    AppealDecision,
    Application,
    Attachment,
    AuditEntry,
    Category,
    ClarificationFile,
    ClarificationRequest,
    Contest,
    Decision,
    DecisionKind,
    DiscussionNote,
    ImportMapping,
    Invitation,
    Organisation,
    OrganisationKind,
    ProtocolVote,
    PublicationNotice,
    RecoveryCode,
    Role,
    Score,
    Stage,
    User,
    UserSession,
)

from ._databases import SUITE_KIND, Databases, dump
from .conftest import TEST_DATABASE_URL, _settings

BINARY = bytes(range(256)) * 40 + b"%%EOF"  # every byte value, as an attachment's content
KEY = _settings(Path("."), "")["BACKUP_SIGNING_KEY"]  # the suite's BACKUP_SIGNING_KEY
# What the migrations after 0001 added: columns (0002, 0003, 0006, 0011, 0013, 0014, 0015,
# 0016)
# and tables (0003, 0012, 0010, 0011, 0015); 0008 adds only indexes, which a backup does
# not hold.
ADDED_AFTER_0001 = {
    "contests": [
        "protocol_number",
        "protocol_place",
        "published_at",  # 0002
        "jurors_two_factor",  # 0003
        "protocol_date",
        "closed_early_at",
        "closed_early_reason",  # 0006
        "fund",
        "max_request",  # 0014
        "feedback",
        "appeal_days",
        "appeal_answer_days",  # 0015
        "protocol_secretary",
        "protocol_secretary_position",  # 0011
        "previous_round_id",
        "round_title_uk",
        "round_title_en",
        "round_weight",  # 0016
    ],
    "categories": ["fund", "max_request"],  # 0014
    "jury_members": ["position", "present"],  # 0011
    "organisations": ["anonymised_at"],
    "users": [
        "anonymised_at",
        "totp_secret",
        "two_factor_since",
        "totp_last_step",  # 0003
        "community_code",  # 0006
    ],
    "applications": [
        "applicant_name",
        "applicant_kind",
        "applicant_oblast",
        "applicant_community",
        "applicant_community_code",
        "applicant_status",
        "requested",  # 0014
        "previous_id",  # 0016
    ],
    "scoresheets": ["entered_by_id", "entered_at"],
    "invitations": ["withdrawn_at", "replaced_by_id"],  # 0013
    "decisions": ["amount"],  # 0014
}
TABLES_AFTER_0001 = (
    "user_sessions",  # 0003
    "recovery_codes",  # 0003
    "discussion_notes",  # 0012
    "import_mappings",  # 0010
    "protocol_votes",  # 0011
    "clarification_requests",
    "clarification_files",
    "appeals",  # 0015
    "publication_notices",  # 0017
)


@pytest.fixture
def databases(tmp_path):
    made = Databases(tmp_path)
    yield made
    made.close()


def _run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=[str(a) for a in args], input=input)


def _ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _loaded(databases, kind: str):
    """An app on a new database of ``kind`` holding the demo, with every table filled."""
    app = databases.app(databases.new(kind))
    _ok(_run(app, "init-db"))
    _ok(_run(app, "demo"))
    with app.app_context():
        judged = db.session.scalar(select(Contest).where(Contest.stage == Stage.JUDGING))
        other = db.session.scalar(select(Contest).where(Contest.stage == Stage.OPEN))
        organiser = judged.organisers[0]
        application = db.session.scalar(
            select(Application).where(Application.contest_id == judged.id).order_by(Application.id)
        )
        application.attachments.append(
            Attachment(
                filename="Рішення сесії.pdf",
                content_type="application/pdf",
                size=len(BINARY),
                sha256=_sha(BINARY),
                content=BINARY,
                uploaded_by_id=application.organisation.members[0].id,
            )
        )
        other.categories.append(Category(code="small", title_uk="Малі громади", winners=2))
        db.session.add(
            Decision(
                contest_id=judged.id,
                kind=DecisionKind.DIVERGENCE,
                application_id=application.id,
                reason="Розбіжність обговорено на засіданні комісії.",
                decided_by_id=organiser.id,
            )
        )
        db.session.add(
            DiscussionNote(
                contest_id=judged.id,
                application_id=application.id,
                text="Комісія попросила пояснити розкид за C2.",
                author_id=organiser.id,
            )
        )
        db.session.add(
            Invitation(
                token_hash=_sha(b"an invitation"),
                email="nova.chlenkynia@example.org",
                name="Нова Членкиня",
                role=Role.JUROR,
                contest_id=judged.id,
                invited_by_id=organiser.id,
                expires_at=clock.now() + timedelta(days=14),
            )
        )
        db.session.add(
            ImportMapping(
                contest_id=judged.id,
                kind="applications",
                columns={"назва організації": "organisation"},
            )
        )
        # A juror's sign-in session and recovery code (the secret stays unset: the
        # archive of an older schema below restores the users' columns as defaults).
        juror = db.session.scalar(select(User.id).where(User.role == Role.JUROR))
        db.session.add(UserSession(user_id=juror, token_hash=_sha(b"a session"), two_factor=True))
        db.session.add(RecoveryCode(user_id=juror, code_hash=_sha(b"a recovery code")))
        # After the decision (SPEC §14): a request for a clarification with a file in its
        # draft, and an appeal answered.
        question = judged.questions[0].id
        db.session.add(
            ClarificationRequest(
                application_id=application.id,
                asked_by_id=organiser.id,
                deadline=clock.now() + timedelta(days=3),
                message="Додайте підписане рішення сесії.",
                question_ids=[question],
                draft={str(question): "Уточнений опис."},
                files=[
                    ClarificationFile(
                        question_id=question,
                        filename="Рішення сесії, підписане.pdf",
                        content_type="application/pdf",
                        size=len(BINARY),
                        sha256=_sha(BINARY),
                        content=BINARY,
                    )
                ],
            )
        )
        db.session.add(
            Appeal(
                contest_id=judged.id,
                application_id=application.id,
                filed_by_id=application.organisation.members[0].id,
                reason="Комісія не врахувала рішення сесії.",
                answer_due=clock.now() + timedelta(days=7),
                decision=AppealDecision.REJECTED,
                answer="Підстав для перегляду немає.",
                answered_by_id=organiser.id,
                answered_at=clock.now(),
            )
        )
        # The record of the jury's meeting: a vote on a question of its agenda.
        db.session.add(
            ProtocolVote(
                contest_id=judged.id,
                item=AgendaItem.RANKING,
                votes_for=2,
                votes_against=0,
                abstained=1,
            )
        )
        # An e-mail of a publication, sent (the results' notices).
        db.session.add(
            PublicationNotice(
                contest_id=judged.id,
                published_at=clock.now(),
                application_id=application.id,
                user_id=application.organisation.members[0].id,
                state="sent",
            )
        )
        audit.record("attachment.added", actor=organiser, contest=judged, obj=application)
        db.session.commit()
        slug = judged.slug
    assert all(dump(app).values()), "every table holds rows"
    return app, slug


def _outputs(app, slug: str) -> dict[str, str]:
    return {
        "rank": _ok(_run(app, "rank", slug, "--format", "json")),
        "scores": _ok(_run(app, "export-scores", slug)),
        "audit": _ok(_run(app, "audit-verify")),
    }


def _manifest(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("sqlite", "sqlite"),
        ("sqlite", "postgresql"),
        ("postgresql", "sqlite"),
        ("postgresql", "postgresql"),
    ],
)
def test_a_restored_backup_has_every_row_and_gives_the_same_results(
    databases, tmp_path, source, target
):
    if "postgresql" in (source, target) and not TEST_DATABASE_URL:
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
    old, slug = _loaded(databases, source)
    before = dump(old)
    outputs = _outputs(old, slug)
    archive = tmp_path / "backup.zip"

    written = _ok(_run(old, "backup", archive))
    rows = sum(len(table) for table in before.values())
    # Two files: the statute attached, and the one in a clarification's draft.
    assert f"Tables: {len(before)}, rows: {rows}, attached files: 2" in written
    tables, scores = len(before), len(before["scores"])
    assert f"Table {tables} of {tables}: scores, rows: {scores}." in written
    manifest = _manifest(archive)
    assert manifest["revision"] == schema.head() and manifest["database"] == source
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == {
        name: len(table) for name, table in before.items()
    }

    new = databases.app(databases.new(target))  # empty: restore creates the schema
    restored = _ok(_run(new, "restore", archive))
    assert f"Tables: {len(before)}, rows: {rows}, attached files: 2" in restored
    assert dump(new) == before
    assert _outputs(new, slug) == outputs
    with new.app_context():
        attachment = db.session.scalar(select(Attachment).where(Attachment.sha256 == _sha(BINARY)))
        assert attachment.content == BINARY

    # The restored database goes on: new rows get ids after the restored ones.
    _ok(_run(new, "create-user", "after@example.org", "--role", "juror", "--password-stdin",
             input="a long enough password\n"))  # fmt: skip
    with new.app_context():
        user = db.session.scalar(select(User).where(User.email == "after@example.org"))
        assert user.id == max(row[0] for row in before["users"]) + 1
        assert audit.verify().ok and audit.verify().entries == len(before["audit_log"]) + 1


def test_a_backup_taken_while_the_app_writes_is_one_moment(databases, tmp_path):
    app, _slug = _loaded(databases, SUITE_KIND)
    with app.app_context():
        score_key = db.session.execute(
            select(Score.scoresheet_id, Score.criterion_id).order_by(Score.scoresheet_id)
        ).first()
    writes = [0]
    changed = threading.Condition()
    stop = threading.Event()
    failures = []

    def write_in_a_loop():
        """An applicant registers and a score changes, with their audit entries, again and
        again: each time the organisation, the user, the score and the entry together."""
        n = 0
        try:
            with app.app_context():
                while not stop.is_set():
                    n += 1
                    organisation = Organisation(
                        kind=OrganisationKind.NGO,
                        name=f"ГО «Під час копії {n}»",
                        edrpou=edrpou.complete(f"{5200000 + n:07d}"),
                        oblast="UA-63",
                        community="Харківська міська громада",
                        contact_person="Особа",
                        email=f"during{n}@example.org",
                        phone="+380501234567",
                    )
                    user = User(
                        email=f"during{n}@example.org",
                        name=f"Заявник {n}",
                        role=Role.APPLICANT,
                        organisation=organisation,
                    )
                    db.session.add(user)
                    db.session.flush()
                    score = db.session.get(Score, tuple(score_key))
                    score.points = Decimal(n % 6)
                    audit.record("score.changed", actor=user, obj=user, points=str(score.points))
                    db.session.commit()
                    with changed:
                        writes[0] += 1
                        changed.notify_all()
        except Exception as error:  # reported by the test below
            failures.append(error)

    def after_each_table(progress: backup.Progress):
        # Let the writer commit at least once between every two tables the backup reads.
        if progress.done:
            with changed:
                seen = writes[0]
                assert changed.wait_for(lambda: writes[0] > seen or failures, timeout=30)

    thread = threading.Thread(target=write_in_a_loop)
    thread.start()
    with changed:  # some writes before the backup begins, so that it holds a few
        assert changed.wait_for(lambda: writes[0] >= 3 or failures, timeout=30)
    archive = tmp_path / "live.zip"
    try:
        with app.app_context():
            summary = backup.write(archive, progress=after_each_table)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not failures, failures
    manifest = _manifest(archive)
    assert writes[0] >= len(manifest["tables"])  # the app really wrote during the backup

    new = databases.app(databases.new(SUITE_KIND))
    _ok(_run(new, "restore", archive))
    with new.app_context():
        report = audit.verify()
        assert report.ok
        assert (
            (report.entries, report.last_hash)
            == (
                manifest["audit"]["entries"],
                manifest["audit"]["last_hash"],
            )
            == (summary.audit_entries, summary.audit_last_hash)
        )
        for entry in manifest["tables"]:
            table = db.metadata.tables[entry["name"]]
            assert db.session.scalar(select(func.count()).select_from(table)) == entry["rows"]
        # One moment: as many applicants as audit entries of the loop, and the score as the
        # last entry left it, although users, the audit log and scores were read apart.
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "score.changed").order_by(AuditEntry.id)
        ).all()
        during = db.session.scalar(select(func.count(User.id)).where(User.name.like("Заявник %")))
        assert entries and during == len(entries)
        score = db.session.get(Score, tuple(score_key))
        assert score.points == Decimal(entries[-1].details["points"])


# Bad archives ---------------------------------------------------------------------------


def _rewrite(source, target, *, change=None, manifest=None, rehash=True, sign=KEY):
    """A copy of the archive with members changed (``None`` removes one), the manifest
    edited, the manifest's checksums recomputed unless ``rehash`` is false, and signed
    anew with the key ``sign`` (the test's own by default: the checks behind the
    signature hold even for a signed archive); ``sign=None`` keeps the old signature."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    document = json.loads(members.pop("manifest.json"))
    signature = members.pop("signature.json", None)
    for name, data in (change or {}).items():
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    if rehash:
        document["members"] = {
            name: {"sha256": _sha(data), "size": len(data)} for name, data in members.items()
        }
    if manifest:
        manifest(document)
    written = json.dumps(document, ensure_ascii=False).encode()
    if sign is not None:
        signature = backup_archive.sign(written, sign)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", written)
        if signature is not None:
            archive.writestr("signature.json", signature)
    return target


def _lines(path, member: str) -> list[dict]:
    with zipfile.ZipFile(path) as archive:
        return [json.loads(line) for line in archive.read(member).decode().splitlines()]


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A good archive of the demo with an attachment, and the rows it was taken from."""
    made = Databases(tmp_path_factory.mktemp("demo"))
    try:
        app, _slug = _loaded(made, SUITE_KIND)
        path = made.tmp_path / "good.zip"
        _ok(_run(app, "backup", path))
        return SimpleNamespace(path=path, rows=dump(app))
    finally:
        made.close()


@pytest.fixture
def archive(demo):
    return demo.path


@pytest.fixture
def target(make_app):
    """The test's database (at the newest schema) holding data of its own."""
    app = make_app(BABEL_DEFAULT_LOCALE="en")
    _ok(_run(app, "create-user", "kept@example.org", "--role", "organiser", "--password-stdin",
             input="a long enough password\n"))  # fmt: skip
    return app


def _damage(kind: str, good, path):
    """The archive ``good`` damaged in one way, written to ``path``; the expected message."""
    if kind == "random bytes":
        path.write_bytes(os.urandom(5000))
        return "cannot be read as a ZIP archive"
    if kind == "truncated":
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        return "cannot be read as a ZIP archive"
    if kind == "zip without a manifest":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("tables/users.jsonl", "{}\n")
        return "it has no manifest.json"
    if kind == "another format":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("manifest.json", json.dumps({"format": "something/2"}))
        return "its format is not scoring.backup/1"
    if kind == "member changed":
        data = good.read_bytes()
        with zipfile.ZipFile(good) as source:
            scores = source.read("tables/scores.jsonl")
        changed = scores.replace(b'"points":"', b'"points":"1', 1)
        _rewrite(good, path, change={"tables/scores.jsonl": changed}, rehash=False)
        assert data != path.read_bytes()
        return "tables/scores.jsonl does not match its SHA-256"
    if kind == "member added":
        _rewrite(good, path, change={"tables/extra.jsonl": b"{}\n"}, rehash=False)
        return "tables/extra.jsonl is not in the manifest"
    if kind == "member removed":
        _rewrite(good, path, change={"tables/answers.jsonl": None}, rehash=False)
        return "tables/answers.jsonl is missing"
    if kind == "row removed":
        rows = _lines(good, "tables/scores.jsonl")
        _rewrite(good, path, change={"tables/scores.jsonl": _jsonl(rows[1:])})
        return f"scores has {len(rows) - 1} rows, the manifest says {len(rows)}"
    if kind == "bad value":
        rows = _lines(good, "tables/users.jsonl")
        rows[0]["created_at"] = "yesterday"
        _rewrite(good, path, change={"tables/users.jsonl": _jsonl(rows)})
        return "line 1 of the table users: the value of created_at is not valid"
    if kind == "audit entry changed":
        rows = _lines(good, "tables/audit_log.jsonl")
        rows[0]["reason"] = "forged"
        _rewrite(good, path, change={"tables/audit_log.jsonl": _jsonl(rows)})
        return f"chain breaks at entry {rows[0]['id']}"
    if kind == "audit entry removed":
        rows = _lines(good, "tables/audit_log.jsonl")
        _rewrite(
            good,
            path,
            change={"tables/audit_log.jsonl": _jsonl(rows[:-1])},
            manifest=lambda m: next(t for t in m["tables"] if t["name"] == "audit_log").update(
                rows=len(rows) - 1
            ),
        )
        return "the audit log does not end where the manifest says"
    if kind == "foreign key broken":  # passes every check; the database itself refuses it
        rows = _lines(good, "tables/scores.jsonl")
        rows[-1]["scoresheet_id"] = 999_999
        _rewrite(good, path, change={"tables/scores.jsonl": _jsonl(rows)})
        return "The archive’s data do not fit the database"
    if kind == "attachment replaced":
        (row,) = _lines(good, "tables/attachments.jsonl")
        _rewrite(good, path, change={row["content"]: BINARY[::-1]})
        return f"the content of attachment {row['id']} does not match its SHA-256"
    raise AssertionError(kind)


DAMAGES = [
    "random bytes",
    "truncated",
    "zip without a manifest",
    "another format",
    "member changed",
    "member added",
    "member removed",
    "row removed",
    "bad value",
    "audit entry changed",
    "audit entry removed",
    "attachment replaced",
    "foreign key broken",
]


@pytest.mark.parametrize("kind", DAMAGES)
def test_a_damaged_or_foreign_archive_is_refused_and_changes_nothing(
    archive, target, tmp_path, kind
):
    before = dump(target)
    damaged = tmp_path / "damaged.zip"
    expected = _damage(kind, archive, damaged)

    result = _run(target, "restore", damaged, "--replace")

    assert result.exit_code == 1
    assert expected in result.output and "Nothing was restored." in result.output
    assert "Traceback" not in result.output
    assert dump(target) == before


def test_a_damaged_archive_creates_nothing_in_an_empty_database(archive, databases, tmp_path):
    empty = databases.app(databases.new())
    damaged = _rewrite(
        archive,
        tmp_path / "damaged.zip",
        change={"tables/organisations.jsonl": b"{}\n"},
        rehash=False,
    )
    result = _run(empty, "restore", damaged)
    assert result.exit_code == 1 and "does not match its SHA-256" in result.output
    with empty.app_context():
        assert inspect(db.engine).get_table_names() == []


def test_an_archive_from_a_newer_version_is_refused(archive, target, tmp_path):
    before = dump(target)
    newer = _rewrite(archive, tmp_path / "newer.zip", manifest=lambda m: m.update(revision="0099"))
    result = _run(target, "restore", newer, "--replace")
    assert result.exit_code == 1
    assert "newer version of the application" in result.output and "0099" in result.output
    assert dump(target) == before


def test_a_database_with_data_is_replaced_only_when_asked(demo, target):
    before = dump(target)
    refused = _run(target, "restore", demo.path)
    assert refused.exit_code == 1
    assert "The database is not empty (users: 1, audit_log: 1)" in refused.output
    assert "--replace" in refused.output
    assert dump(target) == before

    replaced = _ok(_run(target, "restore", demo.path, "--replace"))
    assert "What the database held before was deleted." in replaced
    assert dump(target) == demo.rows
    # The audit log's guards are back after the delete.
    with target.app_context(), db.engine.connect() as connection:
        statements = ["DELETE FROM audit_log"]
        if connection.dialect.name == "postgresql":
            statements.append("TRUNCATE audit_log")
        for statement in statements:
            with pytest.raises(DatabaseError, match="append-only"):
                connection.exec_driver_sql(statement)
            connection.rollback()


def test_an_archive_of_an_older_schema_is_loaded_and_upgraded(demo, databases, tmp_path):
    def as_0001(document):
        document["revision"] = "0001"
        document["tables"] = [t for t in document["tables"] if t["name"] not in TABLES_AFTER_0001]
        for entry in document["tables"]:
            for column in ADDED_AFTER_0001.get(entry["name"], []):
                entry["columns"].remove(column)

    change = {f"tables/{table}.jsonl": None for table in TABLES_AFTER_0001}
    for table, columns in ADDED_AFTER_0001.items():
        member = f"tables/{table}.jsonl"
        rows = _lines(demo.path, member)
        for row in rows:
            for column in columns:
                del row[column]
        change[member] = _jsonl(rows)
    older = _rewrite(demo.path, tmp_path / "older.zip", change=change, manifest=as_0001)
    target = databases.app(databases.new())
    _ok(_run(target, "init-db"))  # at the newest revision, without data

    restored = _ok(_run(target, "restore", older))

    assert "schema revision: 0001" in restored
    assert f"upgraded to revision {schema.head()}" in restored
    # The new columns hold their defaults (the submitted applications the facts of their
    # organisations, revision 0006, as the demo stored them), the new tables are empty.
    assert dump(target) == {**demo.rows, **dict.fromkeys(TABLES_AFTER_0001, [])}


def test_a_database_behind_the_code_is_not_backed_up(databases, tmp_path):
    app = databases.app(databases.new())
    with app.app_context():
        upgrade(revision="0001")
    result = _run(app, "backup", tmp_path / "behind.zip")
    assert result.exit_code == 1 and "init-db" in result.output and "0001" in result.output
    assert not (tmp_path / "behind.zip").exists()
    assert list(tmp_path.glob("*.partial")) == []


def test_backup_and_restore_explain_themselves(runner):
    for command in ("backup", "restore"):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
    missing = runner.invoke(args=["restore", "/no/such/file.zip"])
    assert missing.exit_code == 1 and "/no/such/file.zip" in missing.output


# Signed archives (issue 12, SPEC §8) -------------------------------------------------------

ANOTHER_KEY = "another-installation-backup-key-0123456789"


def _edited(good, path, *, sign=None):
    """The attack of issue 12: a score changed in the archive and every checksum of the
    manifest computed anew, so that the archive passes every check but its signature."""
    rows = _lines(good, "tables/scores.jsonl")
    rows[0]["points"] = "10.0" if rows[0]["points"] != "10.0" else "0.0"
    return _rewrite(good, path, change={"tables/scores.jsonl": _jsonl(rows)}, sign=sign)


def _signed_with(good, path, signature: bytes | None):
    """The archive with its signature member replaced (``None``: removed)."""
    with zipfile.ZipFile(good) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members.pop("signature.json")
    if signature is not None:
        members["signature.json"] = signature
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("edited", "The archive was changed after it was signed"),
        ("unsigned", "The archive is not signed"),
        ("another key", "signed with another key than this installation’s BACKUP_SIGNING_KEY"),
        ("garbled signature", "The archive’s signature (signature.json) cannot be read."),
    ],
)
def test_an_archive_without_this_installations_signature_is_refused(
    archive, target, tmp_path, kind, expected
):
    """Found by the outside attack of issue 12: an archive edited with its checksums
    computed anew was restored. Now only --skip-signature-check restores it, and says so."""
    path = tmp_path / "suspect.zip"
    if kind == "edited":
        _edited(archive, path)
    elif kind == "unsigned":
        _signed_with(archive, path, None)
    elif kind == "another key":
        _edited(archive, path, sign=ANOTHER_KEY)
    else:
        _signed_with(archive, path, b"[1, 2]")
    before = dump(target)

    result = _run(target, "restore", path, "--replace")

    assert result.exit_code == 1
    assert expected in result.output and "Nothing was restored." in result.output
    assert "--skip-signature-check" in result.output and "Traceback" not in result.output
    assert dump(target) == before

    forced = _ok(_run(target, "restore", path, "--replace", "--skip-signature-check"))
    warning = forced.split("Warning: the signature was not checked, as asked: ")[1]
    assert warning.startswith("The archive") and expected in warning.splitlines()[0]
    assert dump(target) != before


def test_a_signed_archive_restores_and_says_its_signature_is_valid(archive, target):
    restored = _ok(_run(target, "restore", archive, "--replace"))
    assert "The archive’s signature is valid." in restored
    with zipfile.ZipFile(archive) as written:
        signature = json.loads(written.read("signature.json"))
        manifest = written.read("manifest.json")
    assert signature["algorithm"] == "HMAC-SHA256"
    assert signature["key"] == backup_archive.key_fingerprint(KEY) and KEY not in str(signature)
    assert backup_archive.signature_problem(json.dumps(signature).encode(), manifest, KEY) is None


def test_without_a_signing_key_backups_are_unsigned_and_restore_asks_for_the_key(
    databases, tmp_path
):
    keyless = databases.app(databases.new(), BACKUP_SIGNING_KEY=None)
    _ok(_run(keyless, "init-db"))
    _ok(_run(keyless, "create-user", "kept@example.org", "--role", "organiser",
             "--password-stdin", input="a long enough password\n"))  # fmt: skip
    path = tmp_path / "unsigned.zip"
    written = _ok(_run(keyless, "backup", path))
    assert "Warning: the archive is not signed, because BACKUP_SIGNING_KEY is not set" in written
    with zipfile.ZipFile(path) as made:
        assert "signature.json" not in made.namelist()

    elsewhere = databases.app(databases.new())  # with the suite's key
    refused = _run(elsewhere, "restore", path)
    assert refused.exit_code == 1 and "The archive is not signed" in refused.output

    signed = tmp_path / "signed.zip"
    _ok(_run(elsewhere, "restore", path, "--skip-signature-check"))
    _ok(_run(elsewhere, "backup", signed))
    refused = _run(keyless, "restore", signed, "--replace")
    assert refused.exit_code == 1
    assert "BACKUP_SIGNING_KEY is not set, so the archive’s signature cannot be checked" in (
        refused.output
    )


def test_a_signing_key_too_short_to_be_secret_is_refused(archive, databases, tmp_path):
    weak = databases.app(databases.new(), BACKUP_SIGNING_KEY="secret")
    _ok(_run(weak, "init-db"))
    for command, path in (("backup", tmp_path / "new.zip"), ("restore", archive)):
        result = _run(weak, command, path)
        assert result.exit_code == 1, command
        assert "BACKUP_SIGNING_KEY is too short" in result.output
    assert not (tmp_path / "new.zip").exists()


def test_restoring_an_older_backup_moves_the_anchor_back_and_says_so(demo, target):
    """The one legitimate way back: the person restoring replaces newer data with an
    older backup; the audit log verifies against its moved anchor afterwards."""
    _ok(_run(target, "restore", demo.path, "--replace"))
    for n in range(3):  # the app writes on after the backup was taken
        _ok(_run(target, "create-user", f"later{n}@example.org", "--role", "juror",
                 "--password-stdin", input="a long enough password\n"))  # fmt: skip
    with target.app_context():
        newest = audit.read_anchor()
    manifest = _manifest(demo.path)

    restored = _ok(_run(target, "restore", demo.path, "--replace"))

    with target.app_context():
        report = audit.verify()
        assert report.ok and report.last_hash == manifest["audit"]["last_hash"]
        assert audit.read_anchor() == audit.Anchor(report.last_id, report.last_hash)
    assert (
        f"The audit log’s anchor moved back from entry {newest.entry} to entry "
        f"{report.last_id}, the end of the restored log."
    ) in restored
    assert _ok(_run(target, "audit-verify")).startswith("The audit log is intact")
