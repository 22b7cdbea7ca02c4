"""A contest's organisers under /manage/contests/<slug>/organisers (rules in ``organisers.py``)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import own_contest
from ..auth import operations as accounts
from ..auth import role_required
from ..extensions import db
from ..forms import show_errors
from ..models import Role, User
from . import organisers
from .operations import ContestError
from .setup_forms import OrganiserForm
from .views import bp


@bp.route("/<slug>/organisers", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def organisers_list(slug: str):
    """The organisers, invitations pending, and a form that adds or invites one by e-mail."""
    contest = own_contest(slug)
    form = OrganiserForm()
    if form.validate_on_submit():
        user = accounts.find_user(form.email.data)
        actor = current_user._get_current_object()
        try:
            if user is not None:
                organisers.add_organiser(contest, user, actor=actor)
            else:
                invitation, token = accounts.invite(
                    inviter=actor,
                    email=form.email.data,
                    name=form.name.data or "",
                    role=Role.ORGANISER,
                    contest=contest,
                )
                accounts.send_invitation(invitation, token)
        except ContestError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            if user is not None:
                flash(_("%(name)s is now an organiser of the contest.", name=user.name), "success")
            else:
                flash(
                    _(
                        "There is no account with this address yet: an invitation is sent "
                        "to %(email)s. Once accepted, they organise this contest.",
                        email=form.email.data,
                    ),
                    "success",
                )
            return redirect(url_for(".organisers_list", slug=slug))
    return render_template(
        "contests/organisers.html",
        contest=contest,
        form=form,
        invitations=organisers.pending_invitations(contest),
        can_remove=organisers.removal_problem(contest, current_user) is None,
    )


@bp.route("/<slug>/organisers/<int:user_id>/remove", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def organiser_remove(slug: str, user_id: int):
    """GET asks for confirmation (or explains why not); POST removes."""
    contest = own_contest(slug)
    user = db.session.get(User, user_id)
    if user is None or user not in contest.organisers:
        abort(404)
    problem = organisers.removal_problem(contest, user)
    themself = user.id == current_user.id
    if request.method == "POST" and not problem:  # CSRFProtect has checked the token
        organisers.remove_organiser(contest, user, actor=current_user)
        db.session.commit()
        if themself:
            flash(
                _("You no longer organise the contest «%(title)s».", title=contest.title_uk),
                "success",
            )
            return redirect(url_for(".index"))
        flash(_("%(name)s no longer organises the contest.", name=user.name), "success")
        return redirect(url_for(".organisers_list", slug=slug))
    if themself:
        heading = _("Stop organising this contest?")
        text = _("You will no longer see the contest’s pages. Another organiser can add you again.")
    else:
        heading = _("Remove %(name)s from the organisers?", name=user.name)
        text = _("They will no longer see the contest’s pages. You can add them again later.")
    return render_template(
        "contests/confirm.html",
        contest=contest,
        heading=heading,
        subject=f"{user.name} ({user.email})",
        text=text,
        problem=problem,
        submit=_("Stop organising") if themself else _("Remove from the organisers"),
        back=url_for(".organisers_list", slug=slug),
    ), (409 if problem and request.method == "POST" else 200)
