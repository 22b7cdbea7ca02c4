"""The archive's format, ``scoring.backup/1``: member names and portable column values.

::

    manifest.json                      what the archive holds (see ``backup.write``)
    signature.json                     the manifest's HMAC (absent: an unsigned archive)
    tables/<table>.jsonl               one JSON object per row, keys = column names
    files/<table>/<column>/<key>       the bytes of one binary value (the row holds the name)

Rows are ordered by primary key and tables by their foreign keys, parents first.

The manifest names every other member with its SHA-256, so its signature covers the
whole archive: HMAC-SHA256 of the manifest's bytes under ``BACKUP_SIGNING_KEY``, which
the administrator keeps off the database server. Someone who edits an archive and
recomputes its checksums cannot sign the new manifest without the key. The signature
names the key by a fingerprint (an HMAC of a constant, which reveals nothing of it), so
that restore can tell "signed with another key" from "changed after signing".
"""

import enum
import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Enum,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    TypeDecorator,
)

from ..extensions import db

FORMAT = "scoring.backup/1"
MANIFEST = "manifest.json"
SIGNATURE = "signature.json"
SIGNATURE_FORMAT = "scoring.backup-signature/1"
MIN_SIGNING_KEY = 32
CHUNK = 1 << 20


def key_fingerprint(key: str) -> str:
    return hmac.new(key.encode(), b"scoring backup key", "sha256").hexdigest()[:16]


def sign(manifest: bytes, key: str) -> bytes:
    """The ``signature.json`` member for the manifest's bytes."""
    document = {
        "format": SIGNATURE_FORMAT,
        "algorithm": "HMAC-SHA256",
        "key": key_fingerprint(key),
        "signature": hmac.new(key.encode(), manifest, "sha256").hexdigest(),
    }
    return json.dumps(document, indent=2).encode()


def signature_problem(signature: bytes | None, manifest: bytes, key: str | None) -> str | None:
    """Why the signature does not vouch for ``manifest`` under ``key``, or None when it
    does: "unsigned", "no key", "unreadable", "another key" or "changed"."""
    if signature is None:
        return "unsigned"
    if not key:
        return "no key"
    try:
        document = json.loads(signature)
        fingerprint, value = str(document["key"]), str(document["signature"])
    except (ValueError, TypeError, KeyError):
        return "unreadable"
    if not hmac.compare_digest(fingerprint, key_fingerprint(key)):
        return "another key"
    if not hmac.compare_digest(value, hmac.new(key.encode(), manifest, "sha256").hexdigest()):
        return "changed"
    return None


def tables() -> list[Table]:
    """Every table of the models, parents before the tables that refer to them."""
    return list(db.metadata.sorted_tables)


def table_member(table: str) -> str:
    return f"tables/{table}.jsonl"


def file_member(table: Table, column: Column, row: dict) -> str:
    key = "-".join(str(row[c.name]) for c in table.primary_key.columns)
    return f"files/{table.name}/{column.name}/{key}"


def is_binary(column: Column) -> bool:
    return isinstance(_base_type(column), LargeBinary)


def _base_type(column: Column):
    kind = column.type
    return kind.impl if isinstance(kind, TypeDecorator) else kind


class BadValue(ValueError):
    """A value in the archive that does not fit its column."""


def encode(value):
    """A column value as JSON: moments in UTC ISO 8601, decimals as strings, enums by value."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # only UTCDateTime columns exist; they are always aware
            raise BadValue("naive datetime")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def decode(column: Column, value):
    """The Python value of ``column`` for a JSON ``value``; ``BadValue`` when it cannot be."""
    if value is None:
        if not column.nullable:
            raise BadValue("empty, but the column requires a value")
        return None
    kind = _base_type(column)
    if isinstance(kind, DateTime):
        if not isinstance(value, str):
            raise BadValue("not a date and time")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as error:
            raise BadValue("not a date and time") from error
        if moment.tzinfo is None:
            raise BadValue("a date and time without a time zone")
        return moment.astimezone(UTC)
    if isinstance(kind, Numeric):
        if not isinstance(value, str):
            raise BadValue("not a decimal number written as a string")
        try:
            number = Decimal(value)
        except InvalidOperation as error:
            raise BadValue("not a decimal number") from error
        if not number.is_finite():
            raise BadValue("not a finite number")
        return number
    if isinstance(kind, Enum):
        allowed = kind.enums
        if value not in allowed:
            raise BadValue(f"not one of {', '.join(allowed)}")
        return kind.enum_class(value) if kind.enum_class else value
    if isinstance(kind, Boolean):
        if not isinstance(value, bool):
            raise BadValue("not true or false")
        return value
    if isinstance(kind, Integer):
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadValue("not a whole number")
        return value
    if isinstance(kind, String):  # String and Text
        if not isinstance(value, str):
            raise BadValue("not text")
        return value
    if isinstance(kind, JSON):
        return value
    raise BadValue(f"a column of an unknown type {kind!r}")


def sha256_of(member) -> tuple[str, int]:
    """SHA-256 and size of a readable binary stream, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    while chunk := member.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size
