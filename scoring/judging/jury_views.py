"""Organisers' jury pages under /manage/contests/<slug> (the rules are in ``jury``).

- ``/jury``: the members with their progress (``/jury.xlsx``, ``/jury.csv`` to download),
  adding or inviting a juror by e-mail, the chair, removing a member who has not scored,
  reminders to one juror or to every juror with sheets left.

The assignment pages (``assignments_views``) add their routes to the same blueprint.

Only the contest's organisers see these pages (anyone else gets 404, other roles 403).
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from .. import clock, lifecycle, tables
from ..access import own_contest
from ..auth import operations as accounts
from ..auth import role_required
from ..extensions import db
from ..forms import MAX_INTEGER
from ..links import external_url
from ..mail import send as send_mail
from ..models import JuryMember, Role, User
from . import jury
from .forms import JurorForm

bp = Blueprint("jury", __name__, url_prefix="/manage/contests")


def actor() -> User:
    return current_user._get_current_object()


def jury_member(contest, user_id: int) -> tuple[User, JuryMember]:
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
                jury.add_member(contest, user, actor=actor())
            else:
                invitation, token = jury.invite_juror(
                    contest, form.email.data, form.name.data or "", actor=actor()
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
        now=clock.now(),
    )


@bp.route("/<slug>/jury.<any(csv, xlsx):fmt>")
@role_required(Role.ORGANISER)
def progress_download(slug: str, fmt: str):
    """Each member's progress: XLSX or CSV (``?excel=1`` for Excel)."""
    contest = own_contest(slug)
    excel = request.args.get("excel") == "1"
    return tables.respond(jury.progress_table(contest), fmt, excel, f"{contest.slug}-jury")


@bp.route("/<slug>/jury/<int:user_id>/chair", methods=["POST"])
@role_required(Role.ORGANISER)
def chair(slug: str, user_id: int):
    contest = own_contest(slug)
    user, _member_row = jury_member(contest, user_id)
    try:
        jury.set_chair(contest, user, actor=actor())
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
    user, member = jury_member(contest, user_id)
    problem = jury.removal_problem(contest, user)
    if request.method == "POST" and not problem:  # CSRFProtect has checked the token
        try:
            jury.remove_member(contest, user, actor=actor())
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
    """GET lists who would be reminded (every juror with sheets left, or ``?juror=ID``
    alone); POST sends one e-mail to each, audited one by one, and names any it could
    not send."""
    contest = own_contest(slug)
    reminders = jury.unfinished(contest)
    only = request.args.get("juror")
    if only is not None:
        # 404 for someone not on the jury, and for what is no id at all (not everyone).
        if not only.isascii() or not only.isdigit() or int(only) > MAX_INTEGER:
            abort(404)
        only = int(only)
        jury_member(contest, only)
        reminders = [r for r in reminders if r.user.id == only]
    problem = jury.reminder_problem(contest, reminders)
    if request.method == "POST" and not problem:  # CSRFProtect has checked the token
        link = external_url("judging.assignments", slug=contest.slug)
        failed = []
        for reminder in reminders:
            user = reminder.user
            try:
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
            except OSError:  # this one address or the server: the others still go
                current_app.logger.exception("reminder to %s not sent", user.email)
                failed.append(user)
                continue
            jury.record_reminder(contest, reminder, actor=actor())
        db.session.commit()
        sent = len(reminders) - len(failed)
        if sent:
            flash(
                ngettext(
                    "A reminder is sent to %(num)d juror.",
                    "Reminders are sent to %(num)d jurors.",
                    sent,
                ),
                "success",
            )
        if failed:
            flash(
                _(
                    "The e-mail could not be sent to: %(people)s. Nothing is recorded for "
                    "them; try again later or call them.",
                    people=", ".join(f"{u.name} ({u.email})" for u in failed),
                ),
                "danger",
            )
        return redirect(url_for(".members", slug=slug))
    return render_template(
        "jury/remind.html", contest=contest, reminders=reminders, problem=problem, only=only
    ), (409 if problem and request.method == "POST" else 200)
