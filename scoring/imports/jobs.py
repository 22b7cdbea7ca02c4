"""Checks and imports, run while the organiser watches how far they are (SPEC §15).

A check (a dry run: every problem of the file, nothing stored) and an import run the
same function of their kind (``kinds.run``). With ``IMPORT_IN_BACKGROUND`` (the
default) they run in a thread of the app (``scoring.background``), so that the page
answers at once and then shows the progress (a file of 420,000 scores takes minutes);
without it the request waits for the end (the tests).

The state of an upload's latest job lives beside its file (``job.json``), so that any
process of the app can show it: which job (``check`` or ``import``), its state, the
lines done of the total, the time of its last report, and, once it has ended, the
problems found or what was (or would be) stored. One job runs at a time per upload: the
marker file ``running`` is created only where there is none. A job whose last report is
older than ``STALE`` has stopped with its process: it is told so, and nothing of it is
stored, since an import commits only at its very end.
"""

from __future__ import annotations

import os
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import background, clock, database
from ..extensions import db
from ..models import Contest, User
from . import kinds, uploads

STALE = timedelta(minutes=10)
REPORT_EVERY = 0.5  # seconds between two writes of the progress
MAX_PROBLEMS = 1000  # listed on the page; the count says how many there are in all
RUNNING, PASSED, REFUSED, IMPORTED, FAILED, STOPPED = (
    "running",
    "passed",
    "refused",
    "imported",
    "failed",
    "stopped",
)


@dataclass
class Job:
    action: str  # check, import
    state: str = RUNNING
    done: int = 0
    total: int = 0
    reported_at: str = ""
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    summary: list[str] = field(default_factory=list)
    slug: str | None = None  # where to look at what was imported

    @property
    def percent(self) -> int:
        return min(100, 100 * self.done // self.total) if self.total else 0


def current(upload: uploads.Upload) -> Job | None:
    """The upload's latest job; a running one that stopped reporting is ``STOPPED``."""
    found = uploads.read_json(upload, "job.json")
    if not isinstance(found, dict) or not isinstance(found.get("action"), str):
        return None
    job = Job(**{name: value for name, value in found.items() if name in Job.__annotations__})
    try:
        reported = datetime.fromisoformat(job.reported_at)
    except (TypeError, ValueError):
        reported = None
    if job.state == RUNNING and (reported is None or reported < clock.now() - STALE):
        job.state = STOPPED
    return job


def start(upload: uploads.Upload, action: str, actor: User, language: str) -> bool:
    """Start ``action`` on the upload; False when one of its jobs is still running."""
    marker = uploads.path_of(upload, "running")
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        job = current(upload)
        if job is None or job.state != STOPPED:
            return False
        marker.unlink(missing_ok=True)  # its process is gone: start afresh
        return start(upload, action, actor, language)
    _write(upload, Job(action, reported_at=clock.now().isoformat()))
    app = current_app._get_current_object()
    arguments = (app, upload.token, action, actor.id, language)
    if app.config["IMPORT_IN_BACKGROUND"]:
        # Not a daemon: an import ends (and commits) before the process does.
        background.start(f"import-{upload.token}", _run, *arguments, daemon=False)
    else:
        db.session.rollback()  # the request's transaction would hold SQLite's write lock
        _run(*arguments)
    return True


def _write(upload: uploads.Upload, job: Job) -> None:
    uploads.write_json(upload, "job.json", asdict(job))


class _Reporter:
    """``progress(done, total)`` of the job, written at most every ``REPORT_EVERY``."""

    def __init__(self, upload: uploads.Upload, job: Job):
        self.upload, self.job, self.written = upload, job, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.written < REPORT_EVERY and done < total:
            return
        self.written = now
        self.job.done, self.job.total = done, total
        self.job.reported_at = clock.now().isoformat()
        _write(self.upload, self.job)


def _run(app, token: str, action: str, actor_id: int, language: str) -> None:
    """Run the job in an app context of its own (a thread's, or nested in the request)."""
    with (
        app.app_context(),
        force_locale(language),
        database.reading() if action == "check" else nullcontext(),
    ):
        upload = uploads.find(token)
        if upload is None:
            return  # discarded meanwhile
        job = Job(action, reported_at=clock.now().isoformat())
        try:
            data = uploads.data(upload)
            if data is None:
                raise kinds.Refused([_("This file is already imported.")])
            contest = db.session.get(Contest, upload.contest_id) if upload.contest_id else None
            outcome = kinds.run(
                upload.kind,
                contest,
                data,
                actor=db.session.get(User, actor_id),
                columns=upload.columns,
                progress=_Reporter(upload, job),
                dry_run=action == "check",
            )
            if action == "import":
                db.session.commit()
                uploads.remove_data(upload)
            else:
                db.session.rollback()
            job.state, job.summary, job.slug = (
                IMPORTED if action == "import" else PASSED,
                outcome.summary,
                outcome.slug,
            )
        except kinds.Refused as refused:
            db.session.rollback()
            job.state, job.problem_count = REFUSED, len(refused.problems)
            job.problems = refused.problems[:MAX_PROBLEMS]
        except Exception:  # a thread has nobody to tell: the page does, and the log
            db.session.rollback()
            app.logger.exception("import %s of %s failed", action, token)
            job.state = FAILED
        finally:
            job.done = job.total = max(job.total, 1)
            job.reported_at = clock.now().isoformat()
            _write(upload, job)
            uploads.path_of(upload, "running").unlink(missing_ok=True)
            db.session.remove()
