"""Long documents made in the background, with their progress for the person who waits
(SPEC §10: long work shows progress).

The protocol and the scoresheets of a large contest take seconds to lay out, and the
workbooks of every score tens of seconds at 10,000 applications. On a page
with its script (``static/js/progress.js``) the link to such a document asks for it by
POST at the same address: ``start`` makes it in a thread (``scoring.background``) and
the answer, at once, names the address of its progress. The script asks there twice a
second (``status``), shows a progress bar, and downloads the file once it is ready
(``take``). Without the script the link downloads the document as before, in one
request. The thread only reads (``database.reading``): it never holds SQLite's write
lock while the document is made.

A job is kept as files in ``instance/documents/``: ``<id>.json`` (whose it is, which
document, how far it has gone) and, once made, ``<id>.file``. Every process of the app
reads them, so whichever one answers the script's next question knows the job. The id
is random (128 bits) and a job answers only its owner, and only while they may still
have the document (``contest``: while they organise that contest). A person asking
again for a document already being made gets that job (a second tab). The file is kept
``GRACE`` seconds after its first download, so that every tab that asked gets it, then
deleted, as is whatever is older than ``MAX_AGE`` when the next job starts. A person has
at most ``MOST_AT_ONCE`` jobs at work: the next is refused (``Busy``), and the script
downloads the document directly. A job that has told
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

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import force_locale
from flask_login import current_user

from .. import background as threads
from .. import database
from ..i18n import current_language
from ..progress import Progress

MAX_AGE = 3600  # seconds a job's files are kept
GRACE = 120  # seconds a file is kept after its first download (another tab, a HEAD first)
MOST_AT_ONCE = 3  # a person's jobs at work at once
STALE = 600  # seconds without news after which a job counts as failed (its process ended)
WORKING, READY, FAILED = "working", "ready", "failed"


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(path: Path, state: dict) -> None:
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")  # one a writer
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


class Busy(Exception):
    """The person has ``MOST_AT_ONCE`` jobs at work already."""


def _now() -> float:
    return time.time()


def _gone(path: Path, state: dict) -> bool:
    """Whether a job's files are past their time (downloaded ``GRACE`` seconds ago): if so,
    they are deleted."""
    if _now() - state.get("taken", _now()) <= GRACE:
        return False
    for stale in (path.with_suffix(".file"), path):
        stale.unlink(missing_ok=True)
    return True


def _sweep(folder: Path) -> None:
    """Delete the files of jobs older than ``MAX_AGE``."""
    limit = _now() - MAX_AGE
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass  # another process took it first


def start(
    owner: int,
    key: str,
    make: Callable[[Progress], tuple[bytes, str]],
    contest: int | None = None,
) -> str:
    """Make a document in a thread; the job's id (``Busy`` when the owner has too many).

    ``key`` names the document (its address); ``make(progress)`` returns the file's bytes
    and name, and runs in an app context of its own, in the language of the request (it
    reads the database through its own session). The owner's job for the same document,
    while it is still being made, is given instead of a second one. ``contest``: the
    contest the document is of (its organisers alone may have it).
    """
    folder = _folder()
    _sweep(folder)
    working = 0
    for path in folder.glob("*.json"):
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if _gone(path, state) or state.get("owner") != owner or state["state"] != WORKING:
            continue
        if state.get("key") == key:
            return path.stem
        working += _now() - path.stat().st_mtime <= STALE
    if working >= MOST_AT_ONCE:
        raise Busy
    job = secrets.token_urlsafe(16)
    path = folder / f"{job}.json"
    state = {"owner": owner, "key": key, "state": WORKING, "done": 0, "total": 0, "name": "",
             "contest": contest}  # fmt: skip
    _write(path, state)
    language = current_language()

    def run() -> None:
        shown = [-1]

        def progress(done: int, total: int) -> None:
            percent = 100 * done // total if total else 0
            if percent != shown[0]:  # at most a hundred writes
                shown[0] = percent
                _write(path, {**state, "done": done, "total": total})

        with database.reading(), force_locale(language):
            try:
                content, name = make(progress)
                (folder / f"{job}.file").write_bytes(content)
                _write(path, {**state, "state": READY, "done": 1, "total": 1, "name": name})
            except Exception:
                current_app.logger.exception("document job %s failed", job)
                _write(path, {**state, "state": FAILED})

    threads.start(f"document-{job}", run)
    return job


def background(
    make: Callable[[Progress], tuple[bytes, str]], contest: int | None = None
) -> tuple[Response, int]:
    """The answer to the page's script (a POST): ``make`` started for the person signed
    in, and where to follow it; 429 when they have too many at work (the script then
    downloads the document directly)."""
    try:
        job = start(current_user.id, request.full_path, make, contest)
    except Busy:
        return jsonify(busy=True), 429
    return jsonify(progress=url_for("documents.job", job=job)), 202


def status(owner: int, job: str) -> dict | None:
    """How far the owner's job has gone: state, done, total, and the contest it is of
    (``contest``); None for no such job."""
    found = _read(job)
    if found is None or found[1].get("owner") != owner or _gone(*found):
        return None
    path, state = found
    shown = {key: state[key] for key in ("state", "done", "total")}
    try:
        silent = _now() - path.stat().st_mtime
    except OSError:
        return None
    if shown["state"] == WORKING and silent > STALE:
        shown["state"] = FAILED  # the process making it is gone: the script downloads it
    return {**shown, "contest": state.get("contest")}


def take(owner: int, job: str) -> tuple[bytes, str] | None:
    """The finished document of the owner's job and its file name; None while it is not
    ready, for no such job, or ``GRACE`` seconds after its first download (then deleted)."""
    found = _read(job)
    if found is None or found[1].get("owner") != owner or found[1]["state"] != READY:
        return None
    path, state = found
    if _gone(path, state):
        return None
    try:
        content = path.with_suffix(".file").read_bytes()
    except OSError:
        return None
    if "taken" not in state:
        _write(path, {**state, "taken": _now()})
    return content, state["name"]


join = threads.join  # the tests wait for the documents being made
