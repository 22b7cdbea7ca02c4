"""Organisers' jury pages under /manage/contests/<slug> (the rules are in ``jury``).

- ``/jury``: the members with their progress, adding or inviting a juror by e-mail, the
  chair, removing a member who has not scored, reminders to jurors with sheets left.
- ``/assignments``: the matrix of applications × jurors, a page of applications at a
  time, and "assign automatically"; ``/assignments/<number>`` adds or removes the
  jurors of one application.
- ``/scoresheets/<id>/reopen``: a submitted sheet back to a draft, with a reason.

Only the contest's organisers see these pages (anyone else gets 404, other roles 403).
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from .. import lifecycle
from ..access import admitted_or_404, own_contest
from ..auth import operations as accounts
from ..auth import role_required
from ..extensions import db
from ..forms import PersonForm, strip
from ..mail import send as send_mail
from ..models import Application, JuryMember, Role, Scoresheet, User
from . import jury

bp = Blueprint("jury", __name__, url_prefix="/manage/contests")


class JurorForm(PersonForm):
    """The juror's e-mail and, for an invitation, a name to greet them with."""


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Give the reason for reopening the scoresheet.")),
            Length(
                max=jury.MAX_REASON,
                message=_l("The reason is too long (at most %(max)d characters)."),
            ),
        ],
        filters=[strip],
        description=_l(
            "Why the scoresheet needs another look, for example a divergence the commission "
            "discussed. It is written into the audit log."
        ),
        render_kw={"rows": 3, "maxlength": jury.MAX_REASON},
    )


def _actor() -> User:
    return current_user._get_current_object()


def _member(contest, user_id: int) -> tuple[User, JuryMember]:
    member = db.session.get(JuryMember, (contest.id, user_id))
    if member is None:
        abort(404)
    return member.user, member


# The jury --------------------------------------------------------------------------


@bp.route("/<slug>/jury", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def members(slug: str):
    """The members and their progress, and a form that adds or invites a juror."""
    contest = own_contest(slug)
    form = JurorForm()
    if form.validate_on_submit():
        user = accounts.find_user(form.email.data)
        try:
            if user is not None:
                jury.add_member(contest, user, actor=_actor())
            else:
                invitation, token = jury.invite_juror(
                    contest, form.email.data, form.name.data or "", actor=_actor()
                )
                accounts.send_invitation(invitation, token)
        except jury.JuryError as error:
            db.session.rollback()
            form[error.field or "email"].errors.append(error.message)
        else:
            db.session.commit()
            if user is not None:
                flash(_("%(name)s is now on the jury.", name=user.name), "success")
            else:
                flash(
                    _(
                        "There is no account with this address yet: an invitation is sent to "
                        "%(email)s. Once accepted, they join the jury.",
                        email=form.email.data,
                    ),
                    "success",
                )
            return redirect(url_for(".members", slug=slug))
    jury_members = jury.members(contest)
    return render_template(
        "jury/members.html",
        contest=contest,
        form=form,
        members=jury_members,
        summary=jury.applications_summary(contest, len(jury_members)),
        invitations=jury.pending_invitations(contest),
        frozen=lifecycle.results_frozen(contest),
    )


@bp.route("/<slug>/jury/<int:user_id>/chair", methods=["POST"])
@role_required(Role.ORGANISER)
def chair(slug: str, user_id: int):
    contest = own_contest(slug)
    user, _member_row = _member(contest, user_id)
    try:
        jury.set_chair(contest, user, actor=_actor())
    except jury.JuryError as error:
        db.session.rollback()
        flash(str(error.message), "warning")
    else:
        db.session.commit()
        flash(_("%(name)s chairs the jury.", name=user.name), "success")
    return redirect(url_for(".members", slug=slug))


@bp.route("/<slug>/jury/<int:user_id>/remove", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def remove(slug: str, user_id: int):
    """GET asks for confirmation (or explains why not); POST removes."""
    contest = own_contest(slug)
    user, member = _member(contest, user_id)
    problem = jury.removal_problem(contest, user)
    if request.method == "POST" and not problem:  # CSRFProtect has checked the token
        try:
            jury.remove_member(contest, user, actor=_actor())
        except jury.JuryError as error:
            db.session.rollback()
            problem = error.message
        else:
            db.session.commit()
            flash(_("%(name)s is no longer on the jury.", name=user.name), "success")
            return redirect(url_for(".members", slug=slug))
    text = _("Their assignments in this contest are removed with them; none of them holds a score.")
    if member.is_chair:
        text += " " + _("They chair the jury: mark another member as the chair afterwards.")
    return render_template(
        "contests/confirm.html",
        contest=contest,
        heading=_("Remove %(name)s from the jury?", name=user.name),
        subject=f"{user.name} ({user.email})",
        text=text,
        problem=problem,
        submit=_("Remove from the jury"),
        back=url_for(".members", slug=slug),
    ), (409 if problem and request.method == "POST" else 200)


@bp.route("/<slug>/jury/remind", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def remind(slug: str):
    """GET lists who would be reminded; POST sends one e-mail to each of them."""
    contest = own_contest(slug)
    reminders = jury.unfinished(contest)
    problem = jury.reminder_problem(contest, reminders)
    if request.method == "POST" and not problem:  # CSRFProtect has checked the token
        link = url_for("judging.assignments", slug=contest.slug, _external=True)
        for reminder in reminders:
            user = reminder.user
            send_mail(
                user.email,
                _l("Scoresheets are waiting for you"),
                "jury_reminder",
                language=user.language,
                name=user.name,
                remaining=reminder.remaining,
                contest_title=contest.title(user.language),
                link=link,
            )
        jury.record_reminders(contest, reminders, actor=_actor())
        db.session.commit()
        flash(
            ngettext(
                "A reminder is sent to %(num)d juror.",
                "Reminders are sent to %(num)d jurors.",
                len(reminders),
            ),
            "success",
        )
        return redirect(url_for(".members", slug=slug))
    return render_template(
        "jury/remind.html", contest=contest, reminders=reminders, problem=problem
    ), (409 if problem and request.method == "POST" else 200)


# Assignments -----------------------------------------------------------------------


@bp.route("/<slug>/assignments")
@role_required(Role.ORGANISER)
def assignments(slug: str):
    """The matrix of admitted applications × jurors, ``?page=N``."""
    contest = own_contest(slug)
    page = request.args.get("page", 1, type=int)
    return render_template(
        "jury/assignments.html",
        contest=contest,
        matrix=jury.matrix(contest, page),
        assigning=lifecycle.assignments_open(contest),
        reopening=lifecycle.revisions_open(contest),
    )


@bp.route("/<slug>/assignments/auto", methods=["POST"])
@role_required(Role.ORGANISER)
def assign_automatically(slug: str):
    contest = own_contest(slug)
    try:
        result = jury.assign_automatically(contest, actor=_actor())
    except jury.JuryError as error:
        db.session.rollback()
        flash(str(error.message), "warning")
        return redirect(url_for(".assignments", slug=slug))
    db.session.commit()
    if result.added:
        flash(
            ngettext(
                "%(num)d assignment is added.", "%(num)d assignments are added.", result.added
            ),
            "success",
        )
    else:
        flash(_("Every application already has its jurors: nothing is added."), "info")
    if result.conflicts:
        flash(
            ngettext(
                "%(num)d pair of a juror and an application is left out because of a "
                "conflict of interest.",
                "%(num)d pairs of a juror and an application are left out because of a "
                "conflict of interest.",
                result.conflicts,
            ),
            "info",
        )
    if result.short:
        flash(
            _(
                "Not enough jurors without a conflict of interest for: %(applications)s "
                "(in brackets, how many jurors are missing). Add members to the jury, then "
                "assign again.",
                applications=", ".join(f"{number} ({missing})" for number, missing in result.short),
            ),
            "warning",
        )
    return redirect(url_for(".assignments", slug=slug))


@bp.route("/<slug>/assignments/<number>")
@role_required(Role.ORGANISER)
def application(slug: str, number: str):
    """One application's jurors: who is assigned, in what state, with what conflicts."""
    contest = own_contest(slug)
    item = admitted_or_404(contest, number)
    return render_template(
        "jury/application.html",
        contest=contest,
        application=item,
        seats=jury.application_seats(contest, item),
        assigning=lifecycle.assignments_open(contest),
        reopening=lifecycle.revisions_open(contest),
    )


def _back_to(contest, application):
    return redirect(url_for(".application", slug=contest.slug, number=application.number))


@bp.route("/<slug>/assignments/<number>/jurors/<int:user_id>", methods=["POST"])
@role_required(Role.ORGANISER)
def add(slug: str, number: str, user_id: int):
    contest = own_contest(slug)
    item = admitted_or_404(contest, number)
    user, _member_row = _member(contest, user_id)
    try:
        jury.add_assignment(contest, item, user, actor=_actor())
    except jury.JuryError as error:
        db.session.rollback()
        flash(str(error.message), "warning")
    else:
        db.session.commit()
        flash(_("%(name)s is assigned to %(number)s.", name=user.name, number=number), "success")
    return _back_to(contest, item)


@bp.route("/<slug>/assignments/<number>/least-loaded", methods=["POST"])
@role_required(Role.ORGANISER)
def add_least_loaded(slug: str, number: str):
    contest = own_contest(slug)
    item = admitted_or_404(contest, number)
    try:
        user = jury.add_least_loaded(contest, item, actor=_actor())
    except jury.JuryError as error:
        db.session.rollback()
        flash(str(error.message), "warning")
    else:
        db.session.commit()
        flash(_("%(name)s is assigned to %(number)s.", name=user.name, number=number), "success")
    return _back_to(contest, item)


@bp.route("/<slug>/assignments/<number>/jurors/<int:user_id>/remove", methods=["POST"])
@role_required(Role.ORGANISER)
def unassign(slug: str, number: str, user_id: int):
    contest = own_contest(slug)
    item = admitted_or_404(contest, number)
    sheet = db.session.scalar(
        select(Scoresheet).where(
            Scoresheet.application_id == item.id, Scoresheet.juror_id == user_id
        )
    )
    if sheet is None:
        abort(404)
    name = sheet.juror.name
    try:
        jury.remove_assignment(contest, sheet, actor=_actor())
    except jury.JuryError as error:
        db.session.rollback()
        flash(str(error.message), "warning")
    else:
        db.session.commit()
        flash(
            _("%(name)s is no longer assigned to %(number)s.", name=name, number=number),
            "success",
        )
    return _back_to(contest, item)


# Reopening -------------------------------------------------------------------------


@bp.route("/<slug>/scoresheets/<int:sheet_id>/reopen", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def reopen(slug: str, sheet_id: int):
    """GET asks for the reason (or explains why not); POST makes the sheet a draft again."""
    contest = own_contest(slug)
    row = db.session.execute(
        select(Scoresheet, Application)
        .join(Application, Scoresheet.application_id == Application.id)
        .where(Scoresheet.id == sheet_id, Application.contest_id == contest.id)
        .options(selectinload(Scoresheet.juror))
    ).first()
    if row is None:
        abort(404)
    sheet, item = row
    form = ReopenForm()
    problem = jury.reopen_problem(contest, sheet)
    if not problem and form.validate_on_submit():
        try:
            jury.reopen(contest, sheet, form.reason.data, actor=_actor())
        except jury.JuryError as error:
            db.session.rollback()
            if error.field:
                form[error.field].errors.append(error.message)
            else:
                problem = error.message
        else:
            db.session.commit()
            if lifecycle.scoring_open(contest):
                flash(
                    _(
                        "The scoresheet is a draft again: %(name)s can change it and submit "
                        "it again.",
                        name=sheet.juror.name,
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "The scoresheet is a draft again. %(name)s can change it once the "
                        "contest moves back to judging.",
                        name=sheet.juror.name,
                    ),
                    "success",
                )
            return _back_to(contest, item)
    return render_template(
        "jury/reopen.html",
        contest=contest,
        application=item,
        sheet=sheet,
        form=form,
        problem=problem,
    ), (409 if problem and request.method == "POST" else 200)
