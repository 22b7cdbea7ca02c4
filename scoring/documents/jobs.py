"""Long documents made in the background, with their progress for the person who waits
(SPEC §10: long work shows progress).

The protocol and the scoresheets of a large contest take seconds to lay out. On a page
with its script (``static/js/progress.js``) the link to such a document asks for it by
POST at the same address: ``start`` makes it in a thread (``scoring.background``) and
the answer, at once, names the address of its progress. The script asks there twice a
second (``status``), shows a progress bar, and downloads the file once it is ready
(``take``). Without the script the link downloads the document as before, in one
request. The thread only reads (``database.reading``): it never holds SQLite's write
lock while the document is made.

A job is kept as files in ``instance/documents/``: ``<id>.json`` (whose it is, which
document, how far it has gone) and, once made, ``<id>.pdf``. Every process of the app
reads them, so whichever one answers the script's next question knows the job. The id
is random (128 bits) and a job answers only its owner. A person asking again for a
document already being made gets that job; the file is deleted when it is downloaded,
and whatever is older than ``MAX_AGE`` when the next job starts. A job that has told
nothing for ``STALE`` seconds has lost its process (a restart): it counts as failed, and
the script downloads the document directly.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from flask import current_app

from .. import background, database
from ..progress import Progress

MAX_AGE = 3600  # seconds a job's files are kept
STALE = 600  # seconds without news after which a job counts as failed (its process ended)
WORKING, READY, FAILED = "working", "ready", "failed"


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(path: Path, state: dict) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(state))
    os.replace(partial, path)  # a reader never sees half a file


def _read(job: str) -> tuple[Path, dict] | None:
    if not (job.isascii() and job.replace("-", "").replace("_", "").isalnum()):
        return None  # not an id this module made: no path is built from it
    path = _folder() / f"{job}.json"
    try:
        return path, json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _sweep(folder: Path) -> None:
    """Delete the files of jobs older than ``MAX_AGE``."""
    limit = time.time() - MAX_AGE
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass  # another process took it first


def start(owner: int, key: str, make: Callable[[Progress], tuple[bytes, str]]) -> str:
    """Make a document in a thread; the job's id.

    ``key`` names the document (its address); ``make(progress)`` returns the PDF bytes and
    the file's name, and runs in an app context of its own (it reads the database through
    its own session). The owner's job for the same document, while it is still being
    made, is given instead of a second one.
    """
    folder = _folder()
    _sweep(folder)
    for path in folder.glob("*.json"):
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if state.get("owner") == owner and state.get("key") == key and state["state"] == WORKING:
            return path.stem
    job = secrets.token_urlsafe(16)
    path = folder / f"{job}.json"
    state = {"owner": owner, "key": key, "state": WORKING, "done": 0, "total": 0, "name": ""}
    _write(path, state)

    def run() -> None:
        shown = [-1]

        def progress(done: int, total: int) -> None:
            percent = 100 * done // total if total else 0
            if percent != shown[0]:  # at most a hundred writes
                shown[0] = percent
                _write(path, {**state, "done": done, "total": total})

        with database.reading():
            try:
                content, name = make(progress)
                (folder / f"{job}.pdf").write_bytes(content)
                _write(path, {**state, "state": READY, "done": 1, "total": 1, "name": name})
            except Exception:
                current_app.logger.exception("document job %s failed", job)
                _write(path, {**state, "state": FAILED})

    background.start(f"document-{job}", run)
    return job


def status(owner: int, job: str) -> dict | None:
    """How far the owner's job has gone: state, done, total; None for no such job."""
    found = _read(job)
    if found is None or found[1].get("owner") != owner:
        return None
    path, state = found
    shown = {key: state[key] for key in ("state", "done", "total")}
    try:
        silent = time.time() - path.stat().st_mtime
    except OSError:
        return None
    if shown["state"] == WORKING and silent > STALE:
        shown["state"] = FAILED  # the process making it is gone: the script downloads it
    return shown


def take(owner: int, job: str) -> tuple[bytes, str] | None:
    """The finished document of the owner's job and its file name, its files deleted;
    None while it is not ready, or for no such job."""
    found = _read(job)
    if found is None or found[1].get("owner") != owner or found[1]["state"] != READY:
        return None
    path, state = found
    pdf = path.with_suffix(".pdf")
    try:
        content = pdf.read_bytes()
    except OSError:
        return None
    pdf.unlink(missing_ok=True)
    path.unlink(missing_ok=True)
    return content, state["name"]


join = background.join  # the tests wait for the documents being made
