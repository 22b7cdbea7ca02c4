"""Restoring a backup: check the whole archive first, then load it in one transaction.

Before anything is written, ``check`` reads the whole archive: it must be a ZIP with a
``manifest.json`` of our format, from a schema revision this code knows, signed with
this installation's ``BACKUP_SIGNING_KEY`` (an unsigned archive, one signed with
another key or changed after signing is refused unless ``skip_signature_check``, which
the command's ``--skip-signature-check`` gives, and then said aloud); every member
must have the SHA-256 and size the manifest gives and no member may be missing or
added; every row must have the manifest's columns and values that fit them, and each
table its row count; each attachment's content must have the attachment's SHA-256 and
size; the audit chain must verify (``audit.check_chain``) and end where the manifest
says. A damaged or foreign file is refused with the reason, and nothing is changed.

Then the target database:

- without the app's tables, migrations first create the schema at the archive's
  revision;
- at another revision and without any data, its schema is taken down and created
  again at the archive's revision (nothing is lost);
- with data, it is refused unless ``replace``: then everything is deleted inside the
  loading transaction (the audit log's guards are lifted for that delete and restored
  in the same transaction), so a failure leaves the old data in place.

After loading, PostgreSQL's sequences continue after the largest restored id, an
archive older than the code is upgraded to the newest revision by the migrations, and
the audit log's anchor (``audit``) moves to the restored chain's end: back, when an
older backup replaces newer data, which only the person restoring can decide.
"""

import io
import json
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import Connection, Integer, Table, func, insert, inspect, select, text
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.exc import DBAPIError

from .. import audit, schema
from ..extensions import db
from . import archive
from .backup import PROGRESS_EVERY, BackupError, Progress, signing_key

BATCH_ROWS = 1000
BATCH_BYTES = 16 << 20
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, UnicodeDecodeError)


class RestoreError(Exception):
    """The archive is not restored; the message says why, for the person at the terminal."""


@dataclass
class Checked:
    """An archive that passed every check, ready to be loaded."""

    manifest: dict
    tables: list[tuple[Table, dict]]  # in dependency order, with the manifest's entry
    chain: audit.ChainReport
    unverified: str | None = None  # why the signature was not vouched for, when skipped

    @property
    def revision(self) -> str:
        return self.manifest["revision"]


@dataclass
class Restored:
    """What a restore did."""

    revision: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    replaced: bool = False
    upgraded_to: str | None = None
    chain: audit.ChainReport | None = None
    unverified: str | None = None  # the signature problem skipped with skip_signature_check
    anchor_before: audit.Anchor | None = None  # the audit log's anchor before the restore


# Checking ------------------------------------------------------------------------------


@contextmanager
def _opened(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        zip_file = zipfile.ZipFile(path)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        raise RestoreError(
            _("Cannot read %(file)s: %(reason)s", file=path, reason=error.strerror or error)
        ) from error
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise RestoreError(_not_a_backup(path)) from error
    with zip_file:
        yield zip_file


def _not_a_backup(path: Path) -> str:
    return _(
        "%(file)s is not a backup of this application, or it is damaged: it cannot be read "
        "as a ZIP archive.",
        file=path,
    )


def _damaged(problem: str) -> RestoreError:
    return RestoreError(_("The archive is damaged: %(problem)s", problem=problem))


def check(path: Path, skip_signature_check: bool = False) -> Checked:
    """Read and check the whole archive; ``RestoreError`` names the first problem found."""
    with _opened(path) as zip_file:
        return _check(zip_file, path, skip_signature_check)


def _check(zip_file: zipfile.ZipFile, path: Path, skip_signature_check: bool) -> Checked:
    raw, manifest = _manifest(zip_file, path)
    unverified = _signature_problem(zip_file, raw)
    if unverified and not skip_signature_check:
        advice = _("Restore it with --skip-signature-check only if you know where it comes from.")
        raise RestoreError(f"{signature_text(unverified)}\n{advice}")
    tables = _tables(manifest)
    _check_members(zip_file, manifest)
    chain = None
    for table, entry in tables:
        with closing(_rows(zip_file, table, entry, manifest["members"])) as rows:
            if table.name == "audit_log":
                chain = audit.check_chain(SimpleNamespace(**row) for row in rows)
                if not chain.ok:
                    raise _damaged(
                        _(
                            "the audit log’s chain breaks at entry %(id)s (the entry was "
                            "changed, removed or inserted after the backup).",
                            id=chain.broken_at,
                        )
                    )
            elif table.name == "attachments":
                for row in rows:
                    _check_attachment(row, manifest["members"])
            else:
                deque(rows, maxlen=0)  # read to the end: every row decoded, the count checked
    chain = chain or audit.check_chain([])
    expected = manifest["audit"]
    if (chain.entries, chain.last_hash) != (expected["entries"], expected["last_hash"]):
        raise _damaged(_("the audit log does not end where the manifest says."))
    return Checked(manifest=manifest, tables=tables, chain=chain, unverified=unverified)


def _signature_problem(zip_file: zipfile.ZipFile, manifest: bytes) -> str | None:
    try:
        key = signing_key()
    except BackupError as error:
        raise RestoreError(str(error)) from error
    try:
        signature = zip_file.read(archive.SIGNATURE)
    except KeyError:
        signature = None
    except READ_ERRORS as error:
        raise _damaged(_("%(member)s cannot be read.", member=archive.SIGNATURE)) from error
    return archive.signature_problem(signature, manifest, key)


def signature_text(problem: str) -> str:
    """What ``archive.signature_problem`` found, for the person restoring."""
    if problem == "unsigned":
        return _(
            "The archive is not signed: it was written without BACKUP_SIGNING_KEY or by an "
            "older version, or its signature was removed."
        )
    if problem == "no key":
        return _(
            "BACKUP_SIGNING_KEY is not set, so the archive’s signature cannot be checked. "
            "Set it to the key the backups are signed with."
        )
    if problem == "another key":
        return _(
            "The archive is signed with another key than this installation’s "
            "BACKUP_SIGNING_KEY. Set the key it was written with."
        )
    if problem == "changed":
        return _(
            "The archive was changed after it was signed: its manifest does not match the "
            "signature."
        )
    return _("The archive’s signature (%(member)s) cannot be read.", member=archive.SIGNATURE)


def _manifest(zip_file: zipfile.ZipFile, path: Path) -> tuple[bytes, dict]:
    try:
        raw = zip_file.read(archive.MANIFEST)
    except KeyError as error:
        raise RestoreError(
            _(
                "%(file)s is not a backup of this application: it has no %(manifest)s.",
                file=path,
                manifest=archive.MANIFEST,
            )
        ) from error
    except READ_ERRORS as error:
        raise _damaged(_("%(member)s cannot be read.", member=archive.MANIFEST)) from error
    try:
        manifest = json.loads(raw)
    except ValueError as error:
        raise _damaged(_("%(member)s is not JSON.", member=archive.MANIFEST)) from error
    if not isinstance(manifest, dict) or manifest.get("format") != archive.FORMAT:
        raise RestoreError(
            _(
                "%(file)s is not a backup of this application (its format is not %(format)s).",
                file=path,
                format=archive.FORMAT,
            )
        )
    revision = manifest.get("revision")
    if revision not in schema.known():
        raise RestoreError(
            _(
                "The archive comes from a newer version of the application: its schema "
                "revision %(revision)s is unknown here (this version knows revisions up to "
                "%(head)s). Install the version that made the backup, or a newer one, and "
                "restore again.",
                revision=revision,
                head=schema.head(),
            )
        )
    problem = _manifest_problem(manifest)
    if problem:
        raise _damaged(_("the manifest is incomplete (%(place)s).", place=problem))
    return raw, manifest


def _manifest_problem(manifest: dict) -> str | None:
    """The first place where the manifest's structure is wrong, or ``None``."""
    tables = manifest.get("tables")
    if not isinstance(tables, list):
        return "tables"
    for n, entry in enumerate(tables):
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and isinstance(entry.get("member"), str)
            and isinstance(entry.get("columns"), list)
            and all(isinstance(c, str) for c in entry["columns"])
            and isinstance(entry.get("rows"), int)
            and entry["rows"] >= 0
        ):
            return f"tables[{n}]"
    members = manifest.get("members")
    if not isinstance(members, dict):
        return "members"
    for name, entry in members.items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("size"), int)
        ):
            return f"members[{name}]"
    chain = manifest.get("audit")
    if not (
        isinstance(chain, dict)
        and isinstance(chain.get("entries"), int)
        and isinstance(chain.get("last_hash"), str)
    ):
        return "audit"
    return None


def _tables(manifest: dict) -> list[tuple[Table, dict]]:
    """The manifest's tables in dependency order; each must be a table of the models."""
    known = {t.name: t for t in archive.tables()}
    entries = {}
    for entry in manifest["tables"]:
        table = known.get(entry["name"])
        if table is None or entry["name"] in entries:
            raise _damaged(
                _("the table %(table)s is unknown or listed twice.", table=entry["name"])
            )
        unknown = [c for c in entry["columns"] if c not in table.c]
        if unknown or len(set(entry["columns"])) != len(entry["columns"]):
            raise _damaged(
                _(
                    "the columns of the table %(table)s do not fit this version: %(columns)s.",
                    table=table.name,
                    columns=", ".join(unknown) or entry["columns"],
                )
            )
        if entry["member"] != archive.table_member(table.name):
            raise _damaged(_("the table %(table)s is not where it should be.", table=table.name))
        entries[table.name] = entry
    return [(t, entries[t.name]) for t in archive.tables() if t.name in entries]


def _check_members(zip_file: zipfile.ZipFile, manifest: dict) -> None:
    """Every member is listed, present, and has its SHA-256 and size."""
    listed = manifest["members"]
    present = set(zip_file.namelist()) - {archive.MANIFEST, archive.SIGNATURE}
    for name in sorted(present - set(listed)):
        raise _damaged(_("the member %(member)s is not in the manifest.", member=name))
    for name in sorted(set(listed) - present):
        raise _damaged(_("the member %(member)s is missing.", member=name))
    for entry in manifest["tables"]:
        if entry["member"] not in listed:
            raise _damaged(_("the member %(member)s is missing.", member=entry["member"]))
    for name, entry in listed.items():
        try:
            with zip_file.open(name) as member:
                digest, size = archive.sha256_of(member)
        except READ_ERRORS as error:
            raise _damaged(_("the member %(member)s cannot be read.", member=name)) from error
        if (digest, size) != (entry["sha256"], entry["size"]):
            raise _damaged(
                _(
                    "the member %(member)s does not match its SHA-256 in the manifest (it was "
                    "changed after the backup).",
                    member=name,
                )
            )


def _rows(zip_file: zipfile.ZipFile, table: Table, entry: dict, members: dict) -> Iterator[dict]:
    """The table's rows decoded to Python values; binary values stay member names."""
    columns = [table.c[name] for name in entry["columns"]]
    names = set(entry["columns"])
    count = 0
    try:
        with zip_file.open(entry["member"]) as member:
            for number, line in enumerate(io.TextIOWrapper(member, encoding="utf-8"), 1):
                yield _row(table, columns, names, members, line, number)
                count += 1
    except READ_ERRORS as error:
        raise _damaged(
            _("the member %(member)s cannot be read.", member=entry["member"])
        ) from error
    if count != entry["rows"]:
        raise _damaged(
            _(
                "the table %(table)s has %(found)s rows, the manifest says %(expected)s.",
                table=table.name,
                found=count,
                expected=entry["rows"],
            )
        )


def _row(table: Table, columns, names: set, members: dict, line: str, number: int) -> dict:
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if not isinstance(record, dict) or set(record) != names:
        raise _damaged(
            _("line %(line)s of the table %(table)s is not a row.", line=number, table=table.name)
        )
    row = {}
    for column in columns:
        value = record[column.name]
        try:
            if archive.is_binary(column):
                if value is not None and (
                    value != archive.file_member(table, column, record) or value not in members
                ):
                    raise archive.BadValue("no such member")
            else:
                value = archive.decode(column, value)
        except archive.BadValue:
            raise _damaged(
                _(
                    "line %(line)s of the table %(table)s: the value of %(column)s is not valid.",
                    line=number,
                    table=table.name,
                    column=column.name,
                )
            ) from None
        row[column.name] = value
    return row


def _check_attachment(row: dict, members: dict) -> None:
    """The stored content is the file the attachment's SHA-256 and size describe."""
    name = row.get("content")
    if name is None:
        return
    if (members[name]["sha256"], members[name]["size"]) != (row["sha256"], row["size"]):
        raise _damaged(
            _(
                "the content of attachment %(id)s does not match its SHA-256.",
                id=row["id"],
            )
        )


# Loading -------------------------------------------------------------------------------


def restore(
    path: Path,
    *,
    replace: bool = False,
    progress: Callable[[Progress], None] | None = None,
    skip_signature_check: bool = False,
) -> Restored:
    """Check the archive ``path`` and load it into the app's database (see the module)."""
    from flask_migrate import upgrade  # Alembic loads only here

    progress = progress or (lambda _progress: None)
    with _opened(path) as zip_file:
        checked = _check(zip_file, path, skip_signature_check)
        _prepare_schema(checked.revision, replace)
        restored = Restored(revision=checked.revision, unverified=checked.unverified)
        try:
            with db.engine.begin() as connection:
                holding = _rows_held(connection)
                if holding and not replace:
                    raise _not_empty(holding)
                if holding:
                    _empty(connection)
                    restored.replaced = True
                _load(connection, zip_file, checked, restored, progress)
                _continue_sequences(connection)
        except DBAPIError as error:
            raise RestoreError(
                _(
                    "The archive’s data do not fit the database: %(reason)s",
                    reason=str(error.orig).strip().splitlines()[0],
                )
            ) from error
    if checked.revision != schema.head():
        upgrade()
        restored.upgraded_to = schema.head()
    db.session.remove()
    restored.anchor_before = audit.move_anchor(
        audit.Anchor(checked.chain.last_id, checked.chain.last_hash)
    )
    restored.chain = audit.verify(whole=True)
    return restored


def _not_empty(holding: dict[str, int]) -> RestoreError:
    return RestoreError(
        _(
            "The database is not empty (%(rows)s). Restore into an empty database, or add "
            "--replace to delete everything it holds and put the archive in its place.",
            rows=", ".join(f"{table}: {count}" for table, count in holding.items()),
        )
    )


def _existing_tables(connection: Connection) -> list[Table]:
    present = set(inspect(connection).get_table_names())
    return [t for t in archive.tables() if t.name in present]


def _rows_held(connection: Connection) -> dict[str, int]:
    """Rows per table of the app's tables that hold any."""
    counts = {}
    for table in _existing_tables(connection):
        count = connection.scalar(select(func.count()).select_from(table))
        if count:
            counts[table.name] = count
    return counts


def _prepare_schema(revision: str, replace: bool) -> None:
    """Bring the database's schema to the archive's revision where nothing can be lost."""
    from flask_migrate import downgrade, upgrade  # Alembic loads only here

    with db.engine.connect() as connection:
        current = schema.current(connection)
        tables = _existing_tables(connection)
        holding = _rows_held(connection)
    if current is None and not tables:
        upgrade(revision=revision)
        return
    if current is None:
        raise RestoreError(
            _(
                "The database has tables of this application but no schema revision "
                "(alembic_version): it was not made by init-db. Restore into an empty "
                "database."
            )
        )
    if current not in schema.known():
        raise RestoreError(
            _(
                "The database is at schema revision %(revision)s, which this version of the "
                "application does not know. Restore with the newer version.",
                revision=current,
            )
        )
    if current == revision:
        if holding and not replace:
            raise _not_empty(holding)
        return
    if holding:
        raise RestoreError(
            _(
                "The database holds data at schema revision %(database)s, the archive is at "
                "revision %(archive)s. Restore into an empty database.",
                database=current,
                archive=revision,
            )
        )
    # No data to lose: take the schema down and build it at the archive's revision.
    downgrade(revision="base")
    upgrade(revision=revision)


def _empty(connection: Connection) -> None:
    """Delete every row of the app's tables, in the caller's transaction."""
    tables = _existing_tables(connection)
    if connection.dialect.name == "postgresql":
        # The audit log refuses TRUNCATE (migration 0004): its guards are lifted for this
        # transaction and back before it commits (ALTER TABLE is transactional here).
        names = ", ".join(connection.dialect.identifier_preparer.quote(t.name) for t in tables)
        connection.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        connection.exec_driver_sql(f"TRUNCATE {names} CASCADE")
        connection.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")
        return
    # SQLite: lift the audit log's guards for the delete and put them back exactly as
    # the migration made them; all of it inside this transaction.
    guards = connection.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        )
    ).all()
    for name, _sql in guards:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    for table in reversed(tables):
        connection.execute(table.delete())
    for _name, sql in guards:
        connection.exec_driver_sql(sql)


def _load(connection, zip_file, checked: Checked, restored: Restored, progress) -> None:
    members = checked.manifest["members"]
    for number, (table, entry) in enumerate(checked.tables, 1):
        columns = [table.c[name] for name in entry["columns"]]
        binary = [c.name for c in columns if archive.is_binary(c)]
        # A bare table of the archive's columns: no defaults of the models are added.
        target = sql_table(table.name, *(sql_column(c.name, c.type) for c in columns))
        batch: list[dict] = []
        size = 0
        rows = 0
        with closing(_rows(zip_file, table, entry, members)) as table_rows:
            for row in table_rows:
                for name in binary:
                    if row[name] is not None:
                        row[name] = zip_file.read(row[name])
                        size += len(row[name])
                        restored.files += 1
                batch.append(row)
                rows += 1
                if len(batch) >= BATCH_ROWS or size >= BATCH_BYTES:
                    connection.execute(insert(target), batch)
                    batch, size = [], 0
                if rows % PROGRESS_EVERY == 0:
                    progress(Progress(table.name, number, len(checked.tables), rows, done=False))
        if batch:
            connection.execute(insert(target), batch)
        restored.rows[table.name] = rows
        progress(Progress(table.name, number, len(checked.tables), rows, done=True))


def _continue_sequences(connection: Connection) -> None:
    """PostgreSQL: new rows get ids after the restored ones."""
    if connection.dialect.name != "postgresql":
        return  # SQLite gives max(rowid) + 1 by itself
    for table in _existing_tables(connection):
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        sequence = connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": keys[0].name},
        )
        if sequence is None:
            continue
        largest = connection.scalar(select(func.max(keys[0])))
        connection.execute(
            text("SELECT setval(:sequence, :value, :called)"),
            {"sequence": sequence, "value": largest or 1, "called": largest is not None},
        )
