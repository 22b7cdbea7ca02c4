"""Who may see or change what (SPEC §8, §9): the access checks every feature shares.

- ``own_contest``: a contest's pages for its organisers;
- ``jury_contest`` and ``juror_assignment``: a juror's contest and assignment;
- ``admitted_or_404``: an admitted application of a contest, by its number;
- ``can_view``: an application and its attachments;
- ``may_see_contacts``: the applicant's contact details and the receipt that holds them;
- ``own_submitted_or_404``: the current applicant's own submitted application.

A contest that asks its jurors for two-factor sign-in (``jurors_two_factor``) opens
nothing of itself to a juror whose session was not signed in with two factors: its
jury pages lead to the set-up first, its applications' pages answer 404.

Each answers 404 (``abort``) rather than 403 for what the person may not see, so that
nothing leaks about what exists.

Applications: a draft is its organisation's alone. A submitted (admitted, rejected) application is
seen by its organisation, by the contest's organisers and by jurors assigned to it who
have declared no conflict of interest: the content opens only after that declaration,
and never after a recusal (SPEC §11). The applicant's contact details (and the receipt
that holds them) are the applicant's and the organisers' alone: jurors judge the
application, they do not contact the applicant. Views answer 404 to everyone else, so
nothing leaks.
"""

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import lifecycle, sessions
from .extensions import db
from .models import (
    Application,
    ApplicationState,
    Conflict,
    Contest,
    JuryMember,
    Scoresheet,
    SheetState,
)


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


def may_see_contacts(application: Application, user) -> bool:
    """Whether ``user`` may see the contact details and the receipt of ``application``."""
    return can_view(application, user) and (user.is_organiser or application.belongs_to(user))


def own_submitted_or_404(number: str, *options) -> Application:
    """The current applicant's organisation's submitted (admitted, rejected) application
    with this number, loaded with ``options``, or 404."""
    application = db.session.scalar(
        select(Application).where(Application.number == number).options(*options)
    )
    if (
        application is None
        or application.state == ApplicationState.DRAFT
        or not application.belongs_to(current_user)
    ):
        abort(404)
    return application


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


def own_contest(slug: str) -> Contest:
    """The contest at ``slug`` if the current user organises it, else 404 (nothing leaks).

    The organisers come with it (one query), as ``is_organised_by`` reads them anyway.
    """
    contest = db.session.scalar(
        select(Contest).where(Contest.slug == slug).options(selectinload(Contest.organisers))
    )
    if contest is None or not contest.is_organised_by(current_user):
        abort(404)
    return contest


def jury_contest(slug: str) -> Contest:
    """The contest if the current juror is on its jury and it is judging or later, else 404."""
    contest = db.session.scalar(
        select(Contest)
        .join(JuryMember, JuryMember.contest_id == Contest.id)
        .where(Contest.slug == slug, JuryMember.user_id == current_user.id)
    )
    if contest is None or not lifecycle.scoring_started(contest):
        abort(404)
    if contest.jurors_two_factor and sessions.two_factor_missing(current_user):
        abort(sessions.lead_to_set_up())  # the contest asks its jurors for two factors
    return contest


def juror_assignment(
    contest: Contest, number: str, *, closed_drafts: bool = False
) -> tuple[Application, Scoresheet]:
    """The application and the juror's sheet for it, if the juror may open it, else 404.

    Once scoring has closed only submitted sheets stay open; with ``closed_drafts`` an
    unsubmitted one is returned too, for the page that tells the juror what happened."""
    row = db.session.execute(
        select(Application, Scoresheet)
        .join(Scoresheet, Scoresheet.application_id == Application.id)
        .where(
            Application.contest_id == contest.id,
            Application.number == number,
            Application.state == ApplicationState.ADMITTED,
            Scoresheet.juror_id == current_user.id,
        )
        .options(selectinload(Application.organisation))
    ).first()
    if row is None:
        abort(404)
    application, sheet = row
    if sheet.conflict == Conflict.RECUSED:
        abort(404)  # SPEC §6: a recused juror never sees the application again
    if (
        not closed_drafts
        and not lifecycle.scoring_open(contest)
        and sheet.state != SheetState.SUBMITTED
    ):
        abort(404)  # scoring is closed; only submitted sheets stay readable
    return application, sheet
