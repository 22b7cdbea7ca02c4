"""The append-only, hash-chained audit log (SPEC §8, §11).

Each entry stores the hash of the previous one and its own hash over a canonical
JSON of its fields, so any edit, deletion or insertion in the middle breaks the
chain. Appends are serialised: PostgreSQL takes a transaction-scoped advisory lock,
SQLite write transactions already hold the database's write lock (see database.py).
The database itself refuses UPDATE and DELETE on the table (triggers in the
migration) and a second entry after the same predecessor (unique ``prev_hash``).
"""

import hashlib
import hmac
import json
import os
import re
from collections import namedtuple
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import String, func, insert, select, text, type_coerce

from . import clock
from .extensions import db
from .models import AuditEntry

GENESIS = "0" * 64
_ADVISORY_KEY = 7_301_100  # any constant shared by every app server


# Sorted keys, no spaces, UTF-8 as is: the same text on every machine and database.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _digest(entry) -> str:
    """The entry's hash; ``entry`` is an ``AuditEntry`` or anything with its attributes."""
    return _hash(entry, entry.at.isoformat(timespec="microseconds"), entry.details)


def _hash(entry, at: str, details) -> str:
    payload = {
        "prev": entry.prev_hash,
        "at": at,
        "actor": entry.actor_id,
        "contest": entry.contest_id,
        "action": entry.action,
        "object": [entry.object_type, entry.object_id],
        "details": details,
        "reason": entry.reason,
    }
    return hashlib.sha256(_CANONICAL.encode(payload).encode()).hexdigest()


def _last_hash() -> str:
    """The hash the next entry follows, once no other transaction can append (see the module)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
    last = db.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    return last or GENESIS


def record(action: str, *, actor=None, contest=None, obj=None, reason: str = "", **details):
    """Append an entry to the log in the current transaction and return it.

    ``obj`` is the model the action concerns; ``details`` must be JSON-serialisable
    and should name objects by id, never hold personal data.
    """
    last = _last_hash()
    entry = AuditEntry(
        at=clock.now(),
        actor_id=getattr(actor, "id", None),
        contest_id=getattr(contest, "id", None),
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "id", "")) if obj is not None else "",
        details=details,
        reason=reason,
        prev_hash=last,
    )
    entry.hash = _digest(entry)
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class Entry:
    """An entry for ``record_many``: ``record``'s arguments, the objects named by id."""

    action: str
    actor_id: int | None = None
    contest_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    details: dict = field(default_factory=dict)
    reason: str = ""
    at: datetime | None = None
    prev_hash: str = ""
    hash: str = ""


def record_many(entries: list[Entry]) -> None:
    """Append many entries in the current transaction, in order: one lock, one read of the
    last hash and one INSERT of all (an import of 420,000 scores records as many)."""
    if not entries:
        return
    previous, now = _last_hash(), clock.now()
    for entry in entries:
        entry.at, entry.prev_hash = now, previous
        entry.hash = previous = _digest(entry)
    db.session.execute(
        insert(AuditEntry.__table__),
        [{name: getattr(entry, name) for name in _ENTRY_COLUMNS} for entry in entries],
    )


_ENTRY_COLUMNS = (
    "at", "actor_id", "contest_id", "action", "object_type", "object_id", "details", "reason",
    "prev_hash", "hash",
)  # fmt: skip


@dataclass(frozen=True)
class ChainReport:
    entries: int
    last_hash: str
    broken_at: int | None  # id of the first entry that does not verify
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(*, whole: bool = False) -> ChainReport:
    """Walk the chain in the database and report the first entry that does not fit.

    ``at`` and ``details`` are read as the driver gives them, without the models'
    conversions: 50,000 entries are checked in well under a second.

    The walk goes on from the ``Checkpoint`` of the last one that found the chain intact,
    when it can be trusted (see there): an import of 10,000 applications' scores makes
    half a million entries, and hashing them all again would cost every protocol
    seconds, in every new process. ``whole`` walks from the first entry
    (``flask audit-verify``, a restore).
    """
    table = AuditEntry.__table__
    start = None if whole else _trusted_checkpoint()
    raw = {"at": type_coerce(table.c.at, String), "details": type_coerce(table.c.details, String)}
    query = select(*(raw.get(name, table.c[name]) for name in _Stored._fields)).order_by(table.c.id)
    if start is not None:
        query = query.where(table.c.id > start.entry)
    rows = db.session.execute(query.execution_options(yield_per=5000))
    last = [start.entry if start else None]

    def walked(entries):  # remembers the last entry walked: the next walk goes on after it
        for entry in entries:
            last[0] = entry.id
            yield entry

    try:
        if start is None:
            report = check_chain(walked(_stored(rows)), digest=_stored_digest)
        else:
            report = check_chain(walked(_stored(rows)), digest=_stored_digest,
                                 previous=start.hash, count=start.entries)  # fmt: skip
    finally:
        rows.close()  # a broken chain stops the walk early: release the server's cursor
    if report.ok and last[0] is not None and (start is None or last[0] != start.entry):
        hashed_at = start.hashed_at if start else clock.now()
        _save_checkpoint(Checkpoint(last[0], report.entries, report.last_hash, hashed_at))
    return report


# The checkpoint ----------------------------------------------------------------------

CHECKPOINT_FILE = "audit-checked.json"
CHECKPOINT_AGE = timedelta(days=1)  # the part before a checkpoint is hashed again after


@dataclass(frozen=True)
class Checkpoint:
    """How far a walk found the chain intact: up to ``entry`` (its id), ``entries`` in
    all, ending with ``hash``; the part up to it was last hashed from the first entry on
    at ``hashed_at``.

    Kept in ``instance/audit-checked.json``, signed with an HMAC under a key derived from
    ``SECRET_KEY`` (which the database does not hold), so that every process of the app
    goes on from it. A walk starts after it only while it can be trusted
    (``_trusted_checkpoint``): its signature holds, its entry still has its hash, the
    part before it still has as many entries each linked to the one before (one query
    in the database), and the part was hashed whole less than ``CHECKPOINT_AGE`` ago.
    What that leaves unseen for at most a day is an entry before the checkpoint whose
    content was changed in place with its stored hashes kept: the next whole walk finds
    it, and ``flask audit-verify`` always walks whole.
    """

    entry: int
    entries: int
    hash: str
    hashed_at: datetime


def _checkpoint_path() -> Path:
    return Path(current_app.instance_path) / CHECKPOINT_FILE


def _signature(text: str) -> str:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"audit-checked", "sha256")
    return hmac.new(key.digest(), text.encode(), "sha256").hexdigest()


def _save_checkpoint(checkpoint: Checkpoint) -> None:
    body = _CANONICAL.encode(
        {
            "entry": checkpoint.entry,
            "entries": checkpoint.entries,
            "hash": checkpoint.hash,
            "hashed_at": checkpoint.hashed_at.isoformat(),
        }
    )
    path = _checkpoint_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps({"checkpoint": body, "mac": _signature(body)}))
        os.replace(partial, path)  # never half a file; the last writer wins, both hold
    except OSError as error:  # the walk stands; the next one is only longer
        current_app.logger.warning("audit checkpoint not saved: %s", error)


def _read_checkpoint() -> Checkpoint | None:
    try:
        document = json.loads(_checkpoint_path().read_text())
        body = document["checkpoint"]
        if not hmac.compare_digest(str(document["mac"]), _signature(body)):
            return None
        fields = json.loads(body)
        return Checkpoint(
            int(fields["entry"]),
            int(fields["entries"]),
            str(fields["hash"]),
            datetime.fromisoformat(fields["hashed_at"]),
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _trusted_checkpoint() -> Checkpoint | None:
    """The checkpoint a walk may go on from, or None: walk from the first entry."""
    checkpoint = _read_checkpoint()
    if checkpoint is None or clock.now() - checkpoint.hashed_at > CHECKPOINT_AGE:
        return None
    table = AuditEntry.__table__
    before = func.lag(table.c.hash).over(order_by=table.c.id)
    head = select(table.c.prev_hash, before.label("before")).where(table.c.id <= checkpoint.entry)
    head = head.subquery()
    entries, broken = db.session.execute(
        select(
            func.count(),
            func.count().filter(head.c.prev_hash != func.coalesce(head.c.before, GENESIS)),
        ).select_from(head)
    ).one()
    stored = db.session.scalar(select(table.c.hash).where(table.c.id == checkpoint.entry))
    if stored != checkpoint.hash or entries != checkpoint.entries or broken:
        return None  # changed since: the whole walk says where
    return checkpoint


# An entry as stored, with ``at`` as the text the hash covers.
_Stored = namedtuple(
    "_Stored",
    "id at actor_id contest_id action object_type object_id details reason prev_hash hash",
)
_SQLITE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def _stored_digest(entry: _Stored) -> str:
    return _hash(entry, entry.at, entry.details)


def _stored(rows) -> Iterator[_Stored]:
    for id_, at, actor, contest, action, kind, key, details, reason, prev, own in rows:
        if not isinstance(at, str):  # PostgreSQL gives a datetime
            at = at.astimezone(UTC).isoformat(timespec="microseconds")
        elif _SQLITE_TIME.fullmatch(at):  # SQLite keeps UTC as "2026-11-21 13:19:26.570727"
            at = f"{at[:10]}T{at[11:]}+00:00"
        else:
            at = datetime.fromisoformat(at).replace(tzinfo=UTC).isoformat(timespec="microseconds")
        if isinstance(details, str):
            details = json.loads(details)
        yield _Stored(id_, at, actor, contest, action, kind, key, details, reason, prev, own)


def check_chain(
    entries: Iterable, digest=_digest, previous: str = GENESIS, count: int = 0
) -> ChainReport:
    """Check entries given in chain order (by id), from the first one on (or from after
    an entry already checked: its hash ``previous``, ``count`` entries up to it).

    The entries are ``AuditEntry`` rows or any objects with the same attributes (a
    backup being restored checks its entries before it writes them).
    """
    for entry in entries:
        count += 1
        if entry.prev_hash != previous:
            return ChainReport(count, previous, entry.id, "prev_hash")
        if digest(entry) != entry.hash:
            return ChainReport(count, previous, entry.id, "hash")
        previous = entry.hash
    return ChainReport(count, previous, None)
