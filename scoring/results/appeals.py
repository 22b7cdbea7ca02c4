"""Appeals (скарги) against the published results (SPEC §14).

1. A contest that allows appeals (``Contest.appeal_days`` > 0) takes them for so many
   days after publication, until the end of the last day in Kyiv
   (``lifecycle.appeals_close``):
   the applicant of a submitted application files one, with its reason
   (``file_appeal``). A late appeal is refused and the reason typed is kept in the form.
   Its answer is due within ``Contest.appeal_answer_days`` working days.
2. The organisers see the appeals in one list with their deadlines (``contest_appeals``)
   and record the commission's answer, upheld or rejected, with its reasons
   (``answer_appeal``); the view e-mails it to the applicant (``send_answer``).
3. An upheld appeal can reopen the decision: on the stage page the contest moves back
   from ``published`` to ``deliberation`` (``scoring.lifecycle``: only on an upheld
   appeal not yet acted on, with a reason and the organiser's confirmation of what the
   move withdraws). The revision then takes the usual audited paths (a sheet reopened, a
   juror added, a tie decided anew) and the results are published again: every applicant
   is e-mailed again, and those who have not appealed yet get a new window.
4. The appeals and their answers are an addendum to the protocol (``documents``).
5. ``send_reminders``: the organisers are e-mailed once, the day before an answer is due
   (``flask send-reminders``).

Functions change models and write the audit entry; the view commits.
"""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from .. import audit, clock, lifecycle, mail
from ..extensions import db
from ..i18n import long_datetime
from ..links import external_url
from ..models import (
    Appeal,
    AppealDecision,
    Application,
    ApplicationState,
    Contest,
    Stage,
    User,
)
from ..organisations import applicant_accounts

REASON_MAX = 10_000
ANSWER_MAX = 10_000


class AppealError(Exception):
    """A refusal; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict):
        super().__init__(", ".join(errors))
        self.errors = errors


def appeal_of(application: Application) -> Appeal | None:
    return db.session.scalar(select(Appeal).where(Appeal.application_id == application.id))


def filing_problem(application: Application, moment: datetime):
    """Why the applicant cannot appeal now, or None."""
    contest = application.contest
    if not contest.appeal_days:
        return _l("The rules of this contest provide no appeals.")
    if application.state == ApplicationState.DRAFT:
        return _l("Only a submitted application can be appealed.")
    if contest.stage == Stage.ARCHIVED:
        return _l("The contest is archived: appeals are no longer taken.")
    if contest.stage != Stage.PUBLISHED:
        if contest.published_at is not None:
            return _l(
                "The commission is reviewing the results: you can appeal once they are "
                "published again."
            )
        return _l("Appeals are filed after the results are published.")
    if appeal_of(application) is not None:
        return _l("An appeal against these results has been filed already: one is allowed.")
    closes = lifecycle.appeals_close(contest)
    if moment >= closes:
        return _l(
            "The time for appeals ended on %(moment)s (Kyiv time).", moment=long_datetime(closes)
        )
    return None


def file_appeal(application: Application, reason: str, *, actor: User) -> Appeal:
    """The applicant's one appeal; ``AppealError`` when it is refused (nothing kept).

    The caller holds the application's row lock (two filings at once queue, the second
    sees the first); a reopening of the results at once waits for this, or this for it.
    """
    lifecycle.hold_stage(application.contest)
    now = clock.now()
    problem = filing_problem(application, now)
    if problem is not None:
        raise AppealError({"reason": problem})
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise AppealError({"reason": _l("Write why you appeal: what the decision got wrong.")})
    if len(reason) > REASON_MAX:
        raise AppealError({"reason": _l("Use at most %(max)d characters.", max=REASON_MAX)})
    contest = application.contest
    appeal = Appeal(
        contest_id=contest.id,
        application=application,
        filed_by_id=actor.id,
        filed_at=now,
        reason=reason,
        answer_due=clock.working_days_after(now, contest.appeal_answer_days),
        answer="",
    )
    db.session.add(appeal)
    db.session.flush()
    audit.record(
        "appeal.filed",
        actor=actor,
        contest=contest,
        obj=appeal,
        application=application.id,
        number=application.number,
        answer_due=appeal.answer_due.isoformat(),
    )
    return appeal


def contest_appeals(contest: Contest) -> list[Appeal]:
    """The contest's appeals, those awaiting an answer first (the nearest due first)."""
    appeals = db.session.scalars(
        select(Appeal)
        .where(Appeal.contest_id == contest.id)
        .options(joinedload(Appeal.application), joinedload(Appeal.answered_by))
        .order_by(Appeal.filed_at, Appeal.id)
    ).all()
    return sorted(appeals, key=lambda a: (a.decision is not None, a.answer_due, a.id))


def find_appeal(contest: Contest, number: str) -> Appeal | None:
    return db.session.scalar(
        select(Appeal)
        .join(Application, Appeal.application_id == Application.id)
        .where(Appeal.contest_id == contest.id, Application.number == number)
        .options(joinedload(Appeal.application), joinedload(Appeal.answered_by))
    )


def answer_problem(contest: Contest, appeal: Appeal):
    if appeal.decision is not None:
        return _l("The commission’s answer to this appeal is recorded already.")
    if contest.stage == Stage.ARCHIVED:
        return _l("The contest is archived: nothing in it can change.")
    return None


def answer_appeal(
    appeal: Appeal, decision: AppealDecision | None, answer: str, *, actor: User
) -> None:
    """Record the commission's answer; the view e-mails it (``send_answer``). The caller
    holds the appeal's row lock; an archiving at once waits for this, or this for it."""
    contest = appeal.application.contest
    lifecycle.hold_stage(contest)
    problem = answer_problem(contest, appeal)
    if problem is not None:
        raise AppealError({"decision": problem})
    errors = {}
    if decision not in (AppealDecision.UPHELD, AppealDecision.REJECTED):
        errors["decision"] = _l("Choose whether the commission upholds or rejects the appeal.")
    answer = (answer or "").replace("\x00", "").strip()
    if not answer:
        errors["answer"] = _l("Write the commission’s reasons: the applicant receives them.")
    elif len(answer) > ANSWER_MAX:
        errors["answer"] = _l("Use at most %(max)d characters.", max=ANSWER_MAX)
    if errors:
        raise AppealError(errors)
    appeal.decision = decision
    appeal.answer = answer
    appeal.answered_by_id = actor.id
    appeal.answered_at = clock.now()
    db.session.flush()
    audit.record(
        "appeal.answered",
        actor=actor,
        contest=contest,
        obj=appeal,
        reason=answer,
        application=appeal.application_id,
        decision=decision.value,
    )


def _to_organisers(appeal: Appeal, subject, template: str) -> int:
    contest = appeal.application.contest
    for user in contest.organisers:
        language = user.language
        mail.send(
            user.email,
            subject,
            template,
            language=language,
            appeal=appeal,
            contest_title=contest.title(language),
            link=external_url(
                "results.appeal", slug=contest.slug, number=appeal.application.number
            ),
        )
    return len(contest.organisers)


def announce_filed(appeal: Appeal) -> int:
    """E-mail the contest's organisers the new appeal and when its answer is due."""
    return _to_organisers(
        appeal,
        _l("An appeal about application %(number)s", number=appeal.application.number),
        "appeal_filed",
    )


def send_answer(appeal: Appeal) -> int:
    """E-mail the commission's answer to the applicant; how many e-mails went out."""
    application = appeal.application
    contest = application.contest
    recipients = applicant_accounts(application)
    for user in recipients:
        language = user.language
        mail.send(
            user.email,
            _l("The answer to your appeal about application %(number)s", number=application.number),
            "appeal_answered",
            language=language,
            appeal=appeal,
            upheld=appeal.decision == AppealDecision.UPHELD,
            contest_title=contest.title(language),
            link=external_url("applications.show", number=application.number),
        )
    return len(recipients)


# Reminders -----------------------------------------------------------------------------


def due_for_reminder(moment: datetime) -> list[int]:
    """Unanswered appeals due tomorrow or today (Kyiv) whose organisers were not reminded."""
    tomorrow = clock.end_of_day(clock.kyiv_day(moment) + timedelta(days=1))
    return db.session.scalars(
        select(Appeal.id)
        .join(Contest, Appeal.contest_id == Contest.id)
        .where(
            Appeal.decision.is_(None),
            Appeal.reminded_at.is_(None),
            Appeal.answer_due > moment,
            Appeal.answer_due <= tomorrow,
            Contest.stage != Stage.ARCHIVED,
        )
        .order_by(Appeal.answer_due, Appeal.id)
    ).all()


def _remind(appeal: Appeal) -> int:
    return _to_organisers(
        appeal,
        _l(
            "Reminder: the answer to the appeal about %(number)s is due %(moment)s",
            number=appeal.application.number,
            moment=long_datetime(appeal.answer_due),
        ),
        "appeal_reminder",
    )


def send_reminders() -> tuple[int, int]:
    """Remind the organisers once, the day before an answer is due; (sent, failed).

    Each reminder is claimed (``reminded_at`` set where it was empty) and committed with
    its audit entry only once its e-mails have gone: two runs at once send it once, and
    one that failed is tried again at the next run.
    """
    sent = failed = 0
    now = clock.now()
    for appeal_id in due_for_reminder(now):
        claimed = db.session.execute(
            update(Appeal)
            .where(Appeal.id == appeal_id, Appeal.reminded_at.is_(None))
            .values(reminded_at=now)
        ).rowcount
        if not claimed:
            db.session.rollback()
            continue
        appeal = db.session.get(Appeal, appeal_id)
        try:
            count = _remind(appeal)
        except OSError:
            current_app.logger.exception("appeal reminder %s not sent", appeal_id)
            db.session.rollback()
            failed += 1
            continue
        audit.record(
            "appeal.reminded",
            contest=appeal.application.contest,
            obj=appeal,
            recipients=count,
        )
        db.session.commit()
        sent += 1
    return sent, failed
