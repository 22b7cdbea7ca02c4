"""Who may see an application and its attachments (SPEC §8, §9).

A draft is its organisation's alone. A submitted (admitted, rejected) application is
seen by its organisation, by the contest's organisers and by jurors assigned to it who
have declared no conflict of interest: the content opens only after that declaration,
and never after a recusal (SPEC §11). Views answer 404 to everyone else, so nothing
leaks.
"""

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import sessions
from ..extensions import db
from ..models import Application, ApplicationState, Conflict, Scoresheet


def can_view(application: Application, user) -> bool:
    """Whether ``user`` (possibly anonymous) may see ``application`` and its files."""
    if not getattr(user, "is_authenticated", False):
        return False
    if application.belongs_to(user):
        return True
    if application.state == ApplicationState.DRAFT:
        return False
    if user.is_organiser:
        return application.contest.is_organised_by(user)
    if user.is_juror:
        # A contest that asks its jurors for two-factor sign-in opens nothing without it.
        if application.contest.jurors_two_factor and sessions.two_factor_missing(user):
            return False
        return is_assigned_juror(application, user)
    return False


def is_assigned_juror(application: Application, user) -> bool:
    """Whether ``user`` is assigned to ``application`` and has declared no conflict."""
    return (
        db.session.scalar(
            select(Scoresheet.id).where(
                Scoresheet.application_id == application.id,
                Scoresheet.juror_id == user.id,
                Scoresheet.conflict == Conflict.NONE,
            )
        )
        is not None
    )


def admitted_or_404(contest, number: str) -> Application:
    """The contest's admitted application with this number (organisation loaded), or 404."""
    application = db.session.scalar(
        select(Application)
        .where(
            Application.contest_id == contest.id,
            Application.number == number,
            Application.state == ApplicationState.ADMITTED,
        )
        .options(selectinload(Application.organisation))
    )
    if application is None:
        abort(404)
    return application
