"""Writing a backup: every table inside one read-only transaction, into one ZIP archive.

Consistency while the app keeps serving: PostgreSQL reads in one ``REPEATABLE READ``
read-only transaction (one snapshot for every ``SELECT``). SQLite in WAL mode gives a
read transaction a snapshot at its first ``SELECT`` and keeps it until the
transaction ends, while writers go on appending to the WAL. The app's engine begins
every transaction outside a request with ``BEGIN IMMEDIATE`` (``database.py``), which
would hold the write lock and stop every writer for the whole backup; so the backup
reads through a connection of its own whose transactions begin with a plain ``BEGIN``,
issued before the first ``SELECT`` and kept until the last one.

The archive is written next to ``path`` under a temporary name and renamed when it is
complete, so ``path`` is never a half-written archive.
"""

import hashlib
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Connection, create_engine, event, select
from sqlalchemy.pool import NullPool

from .. import audit, clock, database, schema
from ..extensions import db
from . import archive

PROGRESS_EVERY = 10_000  # rows between two progress reports inside a large table


class BackupError(Exception):
    """The backup cannot be taken; the message says why, for the person at the terminal."""


@dataclass(frozen=True)
class Progress:
    """Where the backup or the restore is: table ``number`` of ``of``, ``rows`` so far."""

    table: str
    number: int
    of: int
    rows: int
    done: bool


@dataclass
class Summary:
    """What an archive holds."""

    revision: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    file_bytes: int = 0
    audit_entries: int = 0
    audit_last_hash: str = audit.GENESIS
    signed: bool = False


def signing_key() -> str | None:
    """``BACKUP_SIGNING_KEY``, or None when the installation has none; ``BackupError`` when
    it is too short to be a secret."""
    key = current_app.config.get("BACKUP_SIGNING_KEY") or None
    if key is not None and len(key) < archive.MIN_SIGNING_KEY:
        raise BackupError(
            _(
                "BACKUP_SIGNING_KEY is too short: use a random string of at least %(min)s "
                "characters, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))'.",
                min=archive.MIN_SIGNING_KEY,
            )
        )
    return key


def write(path: Path, progress: Callable[[Progress], None] | None = None) -> Summary:
    """Write a consistent copy of the whole database into the archive ``path``, signed
    with ``BACKUP_SIGNING_KEY`` when the installation has one."""
    key = signing_key()
    partial = path.with_name(f".{path.name}.partial")
    try:
        with (
            _snapshot() as connection,
            zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zip_file,
        ):
            summary = _write(connection, zip_file, progress or (lambda _progress: None), key)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return summary


@contextmanager
def _snapshot() -> Iterator[Connection]:
    """A connection inside one read-only transaction that sees one moment of the database."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection:
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            with connection.begin():
                yield connection
        return
    reader = create_engine(engine.url, poolclass=NullPool)
    # The app's pragmas (WAL, busy timeout) and its manual transaction control, but a
    # plain BEGIN: a reader that blocks no writer.
    event.listen(reader, "connect", database._sqlite_on_connect)
    event.listen(reader, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
    try:
        with reader.connect() as connection, connection.begin():
            yield connection
    finally:
        reader.dispose()


def _member_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


class _HashingWriter:
    """Writes into a ZIP member and keeps its SHA-256 and size."""

    def __init__(self, member):
        self.member = member
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.member.write(data)
        self.digest.update(data)
        self.size += len(data)

    def entry(self) -> dict:
        return {"sha256": self.digest.hexdigest(), "size": self.size}


def _write(connection: Connection, zip_file: zipfile.ZipFile, progress, key) -> Summary:
    revision = schema.current(connection)
    if revision != schema.head():
        raise BackupError(
            _(
                "The database is at schema revision %(database)s, but this version of the "
                "application expects %(head)s. Run “flask --app scoring init-db” first.",
                database=revision or "—",
                head=schema.head(),
            )
        )
    summary = Summary(revision=revision)
    members: dict[str, dict] = {}
    listed = []
    tables = archive.tables()
    for number, table in enumerate(tables, 1):
        plain = [c for c in table.columns if not archive.is_binary(c)]
        binary = [c for c in table.columns if archive.is_binary(c)]
        binary_names = {c.name for c in binary}
        keys = list(table.primary_key.columns)
        # Binary values go into members of their own; the row says whether there is one.
        query = select(*plain, *(c.is_not(None).label(c.name) for c in binary)).order_by(*keys)
        name = archive.table_member(table.name)
        rows = 0
        with zip_file.open(_member_info(name), "w", force_zip64=True) as member:
            writer = _HashingWriter(member)
            result = connection.execute(query.execution_options(yield_per=1000)).mappings()
            for row in result:
                record = {
                    c.name: (
                        (archive.file_member(table, c, row) if row[c.name] else None)
                        if c.name in binary_names
                        else archive.encode(row[c.name])
                    )
                    for c in table.columns
                }
                line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
                writer.write(line.encode())
                rows += 1
                if table.name == "audit_log":
                    summary.audit_last_hash = row["hash"]
                if rows % PROGRESS_EVERY == 0:
                    progress(Progress(table.name, number, len(tables), rows, done=False))
        members[name] = writer.entry()
        for column in binary:
            query = select(*keys, column).where(column.is_not(None)).order_by(*keys)
            for row in connection.execute(query.execution_options(yield_per=20)).mappings():
                file_name = archive.file_member(table, column, row)
                with zip_file.open(_member_info(file_name), "w", force_zip64=True) as member:
                    writer = _HashingWriter(member)
                    writer.write(bytes(row[column.name]))
                members[file_name] = writer.entry()
                summary.files += 1
                summary.file_bytes += writer.size
        listed.append(
            {
                "name": table.name,
                "member": name,
                "columns": [c.name for c in table.columns],
                "rows": rows,
            }
        )
        summary.rows[table.name] = rows
        progress(Progress(table.name, number, len(tables), rows, done=True))
    summary.audit_entries = summary.rows.get("audit_log", 0)
    manifest = {
        "format": archive.FORMAT,
        "created_at": archive.encode(clock.now()),
        "database": connection.dialect.name,
        "revision": revision,
        "tables": listed,
        "members": members,
        "audit": {"entries": summary.audit_entries, "last_hash": summary.audit_last_hash},
    }
    written = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    zip_file.writestr(archive.MANIFEST, written)
    if key:
        zip_file.writestr(archive.SIGNATURE, archive.sign(written, key))
        summary.signed = True
    return summary
