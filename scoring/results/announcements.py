"""The e-mails of a publication: each applicant told their own outcome, once (SPEC §3,
§14), without keeping the organiser's request waiting (issue 17: 10,000 e-mails take
minutes with a real mail server).

- ``queue``: in the publication's own transaction, one ``PublicationNotice`` per applicant
  and submitted application (``lifecycle.applicants_to_notify``), pending. Who is still
  to be told is in the database, not in a process's memory.
- ``start``: after the commit, a thread of the app (``scoring.background``) sends them
  (``send_pending``); the page answers at once. The contest page starts one too while
  notices wait (after a restart; ``start`` starts none where one runs already), and
  ``flask send-notices`` sends them in the foreground.
- ``send_pending``: takes one pending notice at a time (an UPDATE from ``pending`` to
  ``sending`` that only one sender can win, committed before the e-mail goes: two
  threads, two processes or a retry never send one notice twice), sends it over one SMTP
  connection for the whole run (``mail.Batch``) and marks it ``sent`` or ``failed``. What
  the e-mails say is read once per run: the results are frozen once published. It stops
  when nothing is pending, or when the contest is no longer published (a step back).
- ``progress``: how many of how many applicants are told, and which e-mails failed, for
  the contest page. A notice taken more than ``STALE`` ago and never marked lost its
  sender in the middle of that one e-mail (a restart): it may or may not have arrived,
  so it is not sent again by itself but shown as failed, for the organiser to decide.
- ``retry``: the organiser sends the failed ones again (audited).
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, select, update

from .. import audit, background, clock, database, lifecycle, mail, rounds
from ..extensions import db
from ..links import external_url
from ..models import (
    Application,
    ApplicationState,
    Contest,
    Feedback,
    PublicationNotice,
    Stage,
    User,
)
from .disclosure import NOT_ADMITTED, outcomes
from .presentation import notes_text, outcome_text

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
PUBLIC = (Stage.PUBLISHED, Stage.ARCHIVED)  # the stages where the e-mails are sent
STALE = timedelta(minutes=10)  # a notice taken this long ago without an answer: in doubt
LISTED = 50  # failed e-mails named on the contest page; the count says how many in all
ERROR_LENGTH = 300  # the column's size


def _current(contest: Contest):
    """The notices of the contest's publication now in force."""
    return (
        PublicationNotice.contest_id == contest.id,
        PublicationNotice.published_at == contest.published_at,
    )


def queue(contest: Contest) -> int:
    """Notices for everyone to be told of the publication just made, in its transaction;
    how many."""
    rows = [
        {
            "contest_id": contest.id,
            "published_at": contest.published_at,
            "application_id": application_id,
            "user_id": user_id,
            "state": PENDING,
            "error": "",
        }
        for user_id, application_id in lifecycle.applicants_to_notify(contest)
    ]
    if rows:
        db.session.execute(insert(PublicationNotice), rows)
    return len(rows)


def start(contest: Contest) -> bool:
    """Send the contest's pending notices in a thread, unless one does in this process."""
    return background.start(f"notices-{contest.id}", send_pending, contest.id)


def contests_waiting() -> list[int]:
    """The ids of the contests with e-mails of publication still pending."""
    return list(
        db.session.scalars(
            select(PublicationNotice.contest_id)
            .where(PublicationNotice.state == PENDING)
            .distinct()
            .order_by(PublicationNotice.contest_id)
        )
    )


@dataclass(frozen=True)
class Failure:
    name: str
    email: str
    number: str
    error: str  # the mail server's answer; empty for an e-mail interrupted by a restart


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    failed: int
    failures: list[Failure]  # the first ``LISTED``

    @property
    def waiting(self) -> int:
        return self.total - self.sent - self.failed


def progress(contest: Contest) -> Progress | None:
    """How far the e-mails of the contest's publication have gone; None before it (and
    for a contest published before the e-mails were recorded)."""
    if contest.published_at is None or contest.stage not in PUBLIC:
        return None
    doubt = _in_doubt(contest)
    counts = dict(
        db.session.execute(
            select(PublicationNotice.state, func.count())
            .where(*_current(contest))
            .group_by(PublicationNotice.state)
        ).all()
    )
    total = sum(counts.values())
    if not total:
        return None
    stale = db.session.scalar(select(func.count(PublicationNotice.id)).where(doubt))
    failures = [
        Failure(name, email, number, error)
        for name, email, number, error in db.session.execute(
            select(User.name, User.email, Application.number, PublicationNotice.error)
            .join(User, User.id == PublicationNotice.user_id)
            .join(Application, Application.id == PublicationNotice.application_id)
            .where(*_current(contest), (PublicationNotice.state == FAILED) | doubt)
            .order_by(Application.number, User.id)
            .limit(LISTED)
        )
    ]
    return Progress(total, counts.get(SENT, 0), counts.get(FAILED, 0) + stale, failures)


def _in_doubt(contest: Contest):
    """Notices taken by a sender that has not answered for ``STALE``."""
    return (
        (PublicationNotice.contest_id == contest.id)
        & (PublicationNotice.published_at == contest.published_at)
        & (PublicationNotice.state == SENDING)
        & (PublicationNotice.claimed_at < clock.now() - STALE)
    )


def retry(contest: Contest, actor: User) -> int:
    """The failed notices (and those in doubt) pending again, audited; how many. The view
    commits, then starts a sender. Nothing while the results are not public."""
    if contest.stage not in PUBLIC:
        return 0
    retried = (PublicationNotice.state == FAILED) | _in_doubt(contest)
    ids = db.session.scalars(select(PublicationNotice.id).where(*_current(contest), retried)).all()
    if not ids:
        return 0  # nothing written: a second click changes nothing
    again = db.session.execute(
        update(PublicationNotice)
        .where(PublicationNotice.id.in_(ids), retried)
        .values(state=PENDING, claimed_at=None, error="")
    ).rowcount
    if again:
        audit.record(
            "contest.notices_retried", actor=actor, contest=contest, obj=contest, count=again
        )
    return again


# Sending ---------------------------------------------------------------------------


def _next_link(application: Application | None) -> str | None:
    """Where an applicant who advanced finds their application of the next round: its
    form while it is a draft, else its page."""
    if application is None:
        return None
    if application.state == ApplicationState.DRAFT:
        return external_url("applications.draft", application_id=application.id)
    return external_url("applications.show", number=application.number)


class _Letters:
    """What the contest's e-mails of publication say, read once for all of them."""

    def __init__(self, contest: Contest):
        self.contest = contest
        self.outcomes = outcomes(contest)
        self.following = rounds.advanced(contest)  # by the id of the application in this round
        self.round = rounds.number(contest) if rounds.in_rounds(contest) else None
        self.appeals_close = lifecycle.appeals_close(contest)
        self.link = external_url("results.public", slug=contest.slug)

    def compose(self, user: User, application_id: int, number: str):
        contest, language = self.contest, user.language or "uk"
        outcome = self.outcomes.get(application_id)
        later = self.following.get(application_id) if outcome is not None else None
        feedback = (
            contest.feedback != Feedback.NONE
            and outcome is not None
            and outcome.kind != NOT_ADMITTED
        )
        title = contest.title(language)
        subject = (
            _l(
                "The results of round %(round)s of «%(contest)s» are published",
                round=self.round,
                contest=title,
            )
            if self.round
            else _l("The results of «%(contest)s» are published", contest=title)
        )
        return mail.compose(
            user.email,
            subject,
            "results_published",
            language=language,
            name=user.name,
            contest_title=title,
            round_number=self.round,
            round_title=rounds.round_title(contest, language),
            number=number,
            outcome=outcome,
            describe_outcome=outcome_text,
            describe_notes=notes_text,
            feedback=feedback,
            feedback_link=external_url("documents.feedback", number=number) if feedback else None,
            next_application=later,
            next_title=rounds.round_title(later.contest, language) if later else "",
            next_link=_next_link(later),
            appeals_close=self.appeals_close,
            published_at=contest.published_at,
            full_ranking=contest.results_full_ranking,
            link=self.link,
            application_link=external_url("applications.show", number=number),
        )


# The statements of the sending loop, made once (bound to each notice's values).
_NEXT = (
    select(PublicationNotice.id, User, Application.id, Application.number)
    .join(User, User.id == PublicationNotice.user_id)
    .join(Application, Application.id == PublicationNotice.application_id)
    .join(Contest, Contest.id == PublicationNotice.contest_id)
    .where(
        PublicationNotice.id > bindparam("after"),
        PublicationNotice.contest_id == bindparam("contest"),
        PublicationNotice.published_at == bindparam("published"),
        PublicationNotice.state == PENDING,
        Contest.published_at == bindparam("published"),
        Contest.stage.in_(PUBLIC),
    )
    .order_by(PublicationNotice.id)
    .limit(1)
)
_TAKE = (
    update(PublicationNotice)
    .where(PublicationNotice.id == bindparam("notice"), PublicationNotice.state == PENDING)
    .values(state=SENDING, claimed_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)
_MARK = (
    update(PublicationNotice)
    .where(PublicationNotice.id == bindparam("notice"))
    .values(state=bindparam("state"), error=bindparam("error"), sent_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


def _mark_and_take(
    contest_id: int, published_at: datetime, after: int, done: tuple[int, str, str] | None
):
    """In one transaction: mark the e-mail just sent (``done``: the notice's id, its new
    state, the server's error) and take the next pending notice of the publication after
    the id ``after`` (no other sender can take it once this commits). The taken notice's
    row (id, user, application id and number), or None when there is none left (or the
    contest is no longer published)."""
    now = clock.now()
    if done is not None:
        notice_id, state, error = done
        db.session.execute(
            _MARK,
            {
                "notice": notice_id,
                "state": state,
                "error": error,
                "now": now if state == SENT else None,
            },
        )
    while True:
        found = db.session.execute(
            _NEXT, {"after": after, "contest": contest_id, "published": published_at}
        ).first()
        if (
            found is not None
            and not db.session.execute(_TAKE, {"notice": found[0], "now": now}).rowcount
        ):
            after = found[0]  # another sender was quicker
            continue
        db.session.commit()
        return found


def _send(batch: mail.Batch, letters: _Letters, user: User, application_id: int, number: str):
    """Send one e-mail; the notice's new state and the server's error. Only reads
    meanwhile: SQLite's write lock is not held while the mail server answers."""
    with database.reading():
        try:
            batch.send(letters.compose(user, application_id, number))
        except (smtplib.SMTPException, OSError) as error:
            current_app.logger.exception("results e-mail to user %s failed", user.id)
            return FAILED, str(error)[:ERROR_LENGTH]
        finally:
            db.session.commit()  # ends a read, if any (a rollback would forget what is loaded)
    return SENT, ""


def send_pending(contest_id: int) -> tuple[int, int]:
    """Send the pending notices of the contest's publication; (sent, failed) by this run."""
    db.session().expire_on_commit = False  # the contest and its outcomes are read once
    with database.reading():
        contest = db.session.get(Contest, contest_id)
        if contest is None or contest.published_at is None:
            return 0, 0
        letters = _Letters(contest)
        db.session.commit()
    published_at, sent, failed, after, wrapped, done = contest.published_at, 0, 0, 0, False, None
    with mail.Batch() as batch:
        while True:
            taken = _mark_and_take(contest_id, published_at, after, done)
            if taken is None:
                if wrapped or not after:
                    break
                after, wrapped, done = 0, True, None  # a retry may have made earlier ones pending
                continue
            after, user, application_id, number = taken
            state, error = _send(batch, letters, user, application_id, number)
            done = (after, state, error)
            sent, failed = sent + (state == SENT), failed + (state == FAILED)
    if sent or failed:
        audit.record("contest.notices_sent", contest=contest, obj=contest, sent=sent, failed=failed)
        db.session.commit()
    return sent, failed
