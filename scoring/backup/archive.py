"""The archive's format, ``scoring.backup/1``: member names and portable column values.

::

    manifest.json                      what the archive holds (see ``backup.write``)
    tables/<table>.jsonl               one JSON object per row, keys = column names
    files/<table>/<column>/<key>       the bytes of one binary value (the row holds the name)

Rows are ordered by primary key and tables by their foreign keys, parents first.
"""

import enum
import hashlib
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
CHUNK = 1 << 20


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
