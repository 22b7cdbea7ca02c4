"""Files uploaded for an import, kept on the server from the preview to the import.

Each upload is a folder ``<IMPORT_FOLDER>/<token>/`` (``instance/imports`` by default)
holding the file as sent (``data``) and what is known about it (``upload.json``): who
uploaded it, for which contest and which kind of import, its name and size, how it
reads (``facts``: the encoding, the separator, the headings, the first lines), the
columns chosen for it and the state of its check and import (``jobs``). The token is
random: it names the folder and is the address of the upload's pages, and only its
uploader, while they organise the contest, is shown them (``find``).

The file is removed once it is imported or discarded. Uploads older than
``IMPORT_KEEP_HOURS``, and a person's beyond their ``KEPT`` newest, are removed whenever
someone uploads: a file of personal data is never kept longer than its import needs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from .. import clock

KEPT = 5  # a person's uploads kept at a time
_TOKEN = re.compile(r"[A-Za-z0-9_-]{24}")


@dataclass
class Upload:
    token: str
    user_id: int
    contest_id: int | None  # None for a contest document (it makes a contest)
    kind: str  # applications, scores, contest
    filename: str
    size: int
    uploaded_at: str  # ISO 8601, UTC
    facts: dict = field(default_factory=dict)
    columns: list[str | None] | None = None  # the file's columns mapped onto ours


def folder() -> Path:
    return Path(current_app.config["IMPORT_FOLDER"])


def _path(token: str) -> Path:
    return folder() / token


def save(user_id: int, contest_id: int | None, kind: str, filename: str, data: bytes, facts):
    """Keep ``data`` for an import and return its ``Upload``; older ones are swept first."""
    sweep(user_id)
    token = secrets.token_urlsafe(18)
    building = folder() / f".{token}"  # not a token: the sweep leaves it alone
    building.mkdir(parents=True)
    (building / "data").write_bytes(data)
    upload = Upload(
        token=token,
        user_id=user_id,
        contest_id=contest_id,
        kind=kind,
        filename=filename[:200],
        size=len(data),
        uploaded_at=clock.now().isoformat(),
        facts=facts,
    )
    _write_json(building / "upload.json", asdict(upload))
    os.replace(building, _path(token))
    return upload


def write(upload: Upload) -> None:
    _write_json(_path(upload.token) / "upload.json", asdict(upload))


def find(token: str) -> Upload | None:
    """The upload of ``token``, or None (no such upload, or not a token at all)."""
    if not _TOKEN.fullmatch(token):
        return None
    try:
        return Upload(**json.loads((_path(token) / "upload.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def data(upload: Upload) -> bytes | None:
    """The file as it was sent; None once it is imported."""
    try:
        return (_path(upload.token) / "data").read_bytes()
    except OSError:
        return None


def remove_data(upload: Upload) -> None:
    """The file is imported: remove it, keep what the result page shows."""
    (_path(upload.token) / "data").unlink(missing_ok=True)


def discard(upload: Upload) -> None:
    shutil.rmtree(_path(upload.token), ignore_errors=True)


def read_json(upload: Upload, name: str) -> dict | None:
    try:
        return json.loads((_path(upload.token) / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(upload: Upload, name: str, value: dict) -> None:
    _write_json(_path(upload.token) / name, value)


def path_of(upload: Upload, name: str) -> Path:
    return _path(upload.token) / name


def _write_json(path: Path, value: dict) -> None:
    """Written whole or not at all: a reader never sees half a file."""
    temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    temporary.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def sweep(user_id: int) -> None:
    """Remove uploads past their time, and ``user_id``'s beyond the newest ``KEPT - 1``."""
    root = folder()
    if not root.is_dir():
        return
    oldest = clock.now() - timedelta(hours=current_app.config["IMPORT_KEEP_HOURS"])
    mine = []
    for path in root.iterdir():
        upload = find(path.name)
        if upload is None:
            continue
        if (path / "running").exists():
            continue  # being checked or imported
        if datetime.fromisoformat(upload.uploaded_at) < oldest:
            discard(upload)
        elif upload.user_id == user_id:
            mine.append(upload)
    mine.sort(key=lambda upload: upload.uploaded_at, reverse=True)
    for upload in mine[KEPT - 1 :]:
        discard(upload)
