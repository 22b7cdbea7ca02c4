"""The append-only, hash-chained, anchored audit log (SPEC §8, §11).

Each entry stores the hash of the previous one and its own hash over a canonical
JSON of its fields, so any edit, deletion or insertion in the middle breaks the
chain. Appends are serialised: PostgreSQL takes a transaction-scoped advisory lock,
SQLite write transactions already hold the database's write lock (see database.py).
The database itself refuses UPDATE, DELETE and (PostgreSQL) TRUNCATE on the table
(triggers in the migrations) and a second entry after the same predecessor (unique
``prev_hash``).

A chain cut from its end, or rewritten and chained anew, is still a valid chain. So
the newest entry's number and hash are kept outside the database as well: the
**anchor**, ``instance/audit-anchor.json``, signed with an HMAC under a key derived
from ``SECRET_KEY`` (which the database does not hold). After every commit that adds
entries the anchor moves forward to the newest one, under a file lock shared by the
app's processes, and only when the entry it named before still has the hash it had:
it never moves back and never over a changed chain. ``verify`` walks the chain and
then checks that the anchored entry is still there with its hash. Someone who can
change the database but not the app server's files cannot make that check pass after
removing the newest entries, truncating the table or rewriting an entry; the protocol
prints the newest number and hash too, on paper. Only ``move_anchor`` moves it back:
restoring a backup, or ``audit-verify --reanchor`` by an administrator.

``record_many`` appends many entries in one INSERT (an import of 420,000 scores records
as many); ``verify`` goes on from a signed checkpoint of the last walk that found the
chain intact (``Checkpoint``), so a protocol does not hash half a million entries again.
"""

import fcntl
import hashlib
import hmac
import json
import os
import re
from collections import namedtuple
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import String, event, func, insert, select, text, type_coerce
from sqlalchemy.orm import Session

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
    db.session.info[_NEWEST] = Anchor(entry.id, entry.hash)
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
    newest = db.session.scalar(select(AuditEntry.id).where(AuditEntry.hash == previous))
    db.session.info[_NEWEST] = Anchor(newest, previous)


_ENTRY_COLUMNS = (
    "at", "actor_id", "contest_id", "action", "object_type", "object_id", "details", "reason",
    "prev_hash", "hash",
)  # fmt: skip


def _last_hash() -> str:
    """The hash the next entry follows, once no other transaction can append (see the
    module); notes for the commit's anchoring the entry the transaction's first follows."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
    newest = db.session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    db.session.info.setdefault(_PREDECESSOR, Anchor(*newest) if newest else Anchor(0, GENESIS))
    return newest.hash if newest else GENESIS


@dataclass(frozen=True)
class ChainReport:
    entries: int
    last_hash: str
    broken_at: int | None  # id of the first entry that does not verify
    problem: str = ""
    last_id: int = 0  # the newest entry's number (0: none)
    anchor: "Anchor | None" = None  # the anchor ``verify`` checked the chain against
    anchor_problem: str = ""  # "", or one of ANCHOR_PROBLEMS (see ``anchor_problem_text``)

    @property
    def ok(self) -> bool:
        return self.broken_at is None and not self.anchor_problem


def verify(*, whole: bool = False) -> ChainReport:
    """Walk the chain in the database and report the first entry that does not fit, then
    whether the chain still holds the anchored entry with its hash.

    ``at`` and ``details`` are read as the driver gives them, without the models'
    conversions: 50,000 entries are checked in well under a second.

    The walk goes on from the ``Checkpoint`` of the last one that found the chain intact,
    when it can be trusted (see there): an import of 10,000 applications' scores makes
    half a million entries, and hashing them all again would cost every protocol
    seconds, in every new process. ``whole`` walks from the first entry
    (``flask audit-verify``, a restore).
    """
    try:
        anchor, problem = read_anchor(), ""
    except AnchorError as error:
        anchor, problem = None, error.problem
    anchored = []  # the hash the chain holds at the anchor's entry

    def watched(entries):
        for entry in entries:
            if anchor is not None and entry.id == anchor.entry:
                anchored.append(entry.hash)
            yield entry

    table = AuditEntry.__table__
    start = None if whole else _trusted_checkpoint()
    raw = {"at": type_coerce(table.c.at, String), "details": type_coerce(table.c.details, String)}
    query = select(*(raw.get(name, table.c[name]) for name in _Stored._fields)).order_by(table.c.id)
    if start is not None:
        query = query.where(table.c.id > start.entry)
        if anchor is not None and 0 < anchor.entry <= start.entry:  # not walked again
            held = db.session.scalar(select(table.c.hash).where(table.c.id == anchor.entry))
            anchored.extend([held] if held is not None else [])
    rows = db.session.execute(query.execution_options(yield_per=5000))
    try:
        if start is None:
            report = check_chain(watched(_stored(rows)), digest=_stored_digest)
        else:
            report = check_chain(watched(_stored(rows)), digest=_stored_digest,
                                 previous=start.hash, count=start.entries,
                                 last_id=start.entry)  # fmt: skip
    finally:
        rows.close()  # a broken chain stops the walk early: release the server's cursor
    if report.ok and report.last_id and (start is None or report.last_id != start.entry):
        hashed_at = start.hashed_at if start else clock.now()
        _save_checkpoint(Checkpoint(report.last_id, report.entries, report.last_hash, hashed_at))
    if not problem and report.ok:  # a broken chain is reported where it breaks
        if anchor is None:
            problem = "none" if report.entries else ""
        elif anchor.entry and not anchored:  # entry 0: anchored while the log was empty
            problem = "cut" if report.last_id < anchor.entry else "missing"
        elif anchored[0] != anchor.hash:
            problem = "changed"
    return replace(report, anchor=anchor, anchor_problem=problem)


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
    entries: Iterable,
    digest=_digest,
    previous: str = GENESIS,
    count: int = 0,
    last_id: int = 0,
) -> ChainReport:
    """Check entries given in chain order (by id), from the first one on (or from after
    an entry already checked: its hash ``previous``, ``count`` entries up to it, its id
    ``last_id``).

    The entries are ``AuditEntry`` rows or any objects with the same attributes (a
    backup being restored checks its entries before it writes them).
    """
    for entry in entries:
        count += 1
        if entry.prev_hash != previous:
            return ChainReport(count, previous, entry.id, "prev_hash", last_id)
        if digest(entry) != entry.hash:
            return ChainReport(count, previous, entry.id, "hash", last_id)
        previous, last_id = entry.hash, entry.id
    return ChainReport(count, previous, None, last_id=last_id)


# The anchor ------------------------------------------------------------------------------

ANCHOR_FILE = "audit-anchor.json"
ANCHOR_FORMAT = "scoring.audit-anchor/1"
_PREDECESSOR = "audit_predecessor"  # session.info keys, for the commit's anchoring
_NEWEST = "audit_newest"
_CHECKED = "audit_anchor_checked"


@dataclass(frozen=True)
class Anchor:
    """An entry's number and hash, kept outside the database."""

    entry: int
    hash: str


class AnchorError(Exception):
    """The anchor file cannot be trusted: ``problem`` is "unreadable" or "foreign"."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def anchor_path() -> Path:
    return Path(current_app.instance_path) / ANCHOR_FILE


def _mac(entry: int, hash_: str) -> str:
    # A key of its own, derived from SECRET_KEY: the anchor's signature is no session's.
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"audit-anchor", "sha256")
    return hmac.new(key.digest(), f"{entry}:{hash_}".encode(), "sha256").hexdigest()


def read_anchor() -> Anchor | None:
    """The anchor of this installation, None when there is none yet; ``AnchorError``
    when the file cannot be read or was not signed with this installation's key."""
    try:
        document = json.loads(anchor_path().read_text())
        anchor = Anchor(int(document["entry"]), str(document["hash"]))
        signature = str(document["mac"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise AnchorError("unreadable") from error
    if not hmac.compare_digest(signature, _mac(anchor.entry, anchor.hash)):
        raise AnchorError("foreign")
    return anchor


@contextmanager
def _anchor_lock() -> Iterator[None]:
    """One process at a time reads and moves the anchor (every worker of the machine)."""
    with open(anchor_path().with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_anchor(anchor: Anchor) -> None:
    path = anchor_path()
    document = {
        "format": ANCHOR_FORMAT,
        "entry": anchor.entry,
        "hash": anchor.hash,
        "at": clock.now().isoformat(timespec="seconds"),
        "mac": _mac(anchor.entry, anchor.hash),
    }
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "w") as file:
        file.write(json.dumps(document, indent=2) + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)  # never a half-written anchor


def move_anchor(anchor: Anchor) -> Anchor | None:
    """Put the anchor at ``anchor``, back or forward; return the one it replaces (None when
    there was none or it could not be trusted). For a restore and ``--reanchor`` only."""
    with _anchor_lock():
        try:
            before = read_anchor()
        except AnchorError:
            before = None
        _write_anchor(anchor)
    return before


def _advance(newest: Anchor, predecessor: Anchor, checked: tuple) -> None:
    """After a commit that added entries up to ``newest``, the first of them following
    ``predecessor``: move the anchor forward, if the entry it names still has its hash.

    ``checked`` is (the anchor seen before the commit, the hash the log held at its entry
    then, or None when the commit's own entries follow it directly); it was read in the
    committing transaction, since no second connection may be taken here: under many
    concurrent writers the pool would have none left to give.
    """
    with _anchor_lock():
        try:
            current = read_anchor()
        except AnchorError as error:
            current_app.logger.error("audit anchor: not moved, the file is %s", error.problem)
            return
        if current is not None and newest.entry <= current.entry:
            return  # another process anchored a newer entry already
        seen, stored = checked
        # Entries of other transactions came between: was the anchored one still there?
        # (If another process has moved the anchor since, it checked its own step.)
        between = current is not None and current != predecessor and current == seen
        if between and stored != current.hash:
            current_app.logger.error(
                "audit anchor: not moved, entry %s no longer has the anchored hash %s: "
                "the log was changed outside the app (run flask audit-verify)",
                current.entry,
                current.hash,
            )
            return
        _write_anchor(newest)


@event.listens_for(Session, "before_commit")
def _check_before_commit(session: Session) -> None:
    newest, predecessor = session.info.get(_NEWEST), session.info.get(_PREDECESSOR)
    if newest is None or predecessor is None or not has_app_context():
        return
    try:
        seen = read_anchor()
    except AnchorError:
        seen = None  # _advance says why it does not move it
    stored = None
    if seen is not None and seen != predecessor and seen.entry < newest.entry:
        stored = session.scalar(select(AuditEntry.hash).where(AuditEntry.id == seen.entry))
    session.info[_CHECKED] = (seen, stored)


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    newest = session.info.pop(_NEWEST, None)
    predecessor = session.info.pop(_PREDECESSOR, None)
    checked = session.info.pop(_CHECKED, None)
    if newest is None or predecessor is None or checked is None or not has_app_context():
        return
    try:
        _advance(newest, predecessor, checked)
    except OSError as error:  # the data are committed: say so, do not fail the request
        current_app.logger.error("audit anchor: not moved, %s", error)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous_transaction) -> None:
    # Entries rolled back are no anchor; the next commit checks against the stored log.
    for key in (_NEWEST, _PREDECESSOR, _CHECKED):
        session.info.pop(key, None)


ANCHOR_PROBLEMS = ("none", "unreadable", "foreign", "cut", "missing", "changed")


def anchor_problem_text(report: ChainReport) -> str:
    """What is wrong with the chain's end, for the person who runs audit-verify or reads
    the protocol; "" when nothing is."""
    anchor = report.anchor
    if report.anchor_problem == "none":
        return _(
            "There is no anchor of the audit log in the instance folder (%(file)s), so "
            "entries removed from the end would not show. «flask init-db» creates it on a "
            "new installation; after a restore on another server, run «flask audit-verify "
            "--reanchor» there.",
            file=ANCHOR_FILE,
        )
    if report.anchor_problem == "unreadable":
        return _("The anchor of the audit log (%(file)s) cannot be read.", file=ANCHOR_FILE)
    if report.anchor_problem == "foreign":
        return _(
            "The anchor of the audit log (%(file)s) is not signed with this installation's "
            "key: it was edited, or SECRET_KEY has changed since it was written.",
            file=ANCHOR_FILE,
        )
    if report.anchor_problem == "cut":
        return _(
            "Entries were removed from the end of the audit log: the anchor names entry "
            "%(anchor)s, but the log ends at entry %(last)s (%(count)s entries).",
            anchor=anchor.entry,
            last=report.last_id or "—",
            count=report.entries,
        )
    if report.anchor_problem == "missing":
        return _(
            "The anchored entry %(anchor)s is missing from the audit log: entries were "
            "removed and the log chained anew.",
            anchor=anchor.entry,
        )
    if report.anchor_problem == "changed":
        return _(
            "Entry %(anchor)s of the audit log no longer has the hash it had when it was "
            "anchored (%(hash)s): the log was rewritten and chained anew.",
            anchor=anchor.entry,
            hash=anchor.hash,
        )
    return ""
