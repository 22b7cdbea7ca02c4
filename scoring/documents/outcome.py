"""The records of the documents after the decision (SPEC §14): the applicant's feedback
and the protocol's addendum of appeals, read from the database beside ``data.py``.

What an applicant may see is decided in ``scoring.results.disclosure``; the views and
the command line decide who gets which document.
"""

from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from ..extensions import db
from ..models import Application, Contest, JuryMember, User
from ..results import appeals as appeal_rules
from ..results.disclosure import applicant_feedback, applicant_outcome, results_public
from ..results.presentation import display_score, notes_text, outcome_text, title
from .data import letterhead, results_url
from .pdf import records


class NoFeedback(Exception):
    """The application has no feedback to give (none declared, not published, not scored)."""


def result(outcome) -> records.Result | None:
    """An application's own result, worded in the current language."""
    if outcome is None:
        return None
    return records.Result(
        kind=outcome.kind,
        text=outcome_text(outcome),
        note=notes_text(outcome.notes) if outcome.kind in ("winner", "ranked") else "",
        awarded=outcome.awarded,
    )


def feedback(application: Application, language: str) -> records.Feedback:
    """The jury's feedback for the application's applicant; ``NoFeedback`` when none."""
    with force_locale(language):
        given = applicant_feedback(application)
        if given is None:
            raise NoFeedback(application.number)
        contest = application.contest
        return records.Feedback(
            letterhead=letterhead(contest, language),
            number=application.number,
            title=application.title,
            organisation=application.facts.name,
            published_at=contest.published_at if results_public(contest) else None,
            result=result(applicant_outcome(application)),
            lines=tuple(
                records.FeedbackLine(
                    code=line.criterion.code,
                    title=title(line.criterion, language),
                    mean=display_score(line.mean) if line.mean is not None else None,
                    max_points=line.criterion.max_points,
                    comments=line.comments,
                )
                for line in given.criteria
            ),
            overall=given.overall,
            with_comments=given.with_comments,
            max_total=given.max_total,
            results_url=results_url(contest),
        )


def appeals_addendum(contest: Contest, language: str, *, secretary: str) -> records.AppealsAddendum:
    """The appeals of the contest and the commission's answers, in the order filed."""
    with force_locale(language):
        chair = db.session.scalar(
            select(User.name)
            .join(JuryMember, JuryMember.user_id == User.id)
            .where(JuryMember.contest_id == contest.id, JuryMember.is_chair.is_(True))
        )
        filed = sorted(appeal_rules.contest_appeals(contest), key=lambda a: (a.filed_at, a.id))
        return records.AppealsAddendum(
            letterhead=letterhead(contest, language),
            protocol_number=contest.protocol_number,
            protocol_date=contest.protocol_date,
            published_at=contest.published_at,
            appeal_days=contest.appeal_days,
            appeals=tuple(
                records.AppealRecord(
                    number=a.application.number,
                    organisation=a.application.facts.name,
                    filed_at=a.filed_at,
                    reason=a.reason,
                    answer_due=a.answer_due,
                    decision=a.decision.value if a.decision else "",
                    answer=a.answer,
                    answered_at=a.answered_at,
                    reopened_at=a.reopened_at,
                )
                for a in filed
            ),
            chair=chair or "",
            secretary=secretary,
        )
