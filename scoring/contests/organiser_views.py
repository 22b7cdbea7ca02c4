"""A contest's organisers under /manage/contests/<slug>/organisers (rules in ``organisers.py``),
and the contest's invitations, to its organisers or its jury, sent again or withdrawn
(``/invitations/<id>/resend`` and ``…/withdraw``; rules in ``scoring.auth.operations``)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock, lifecycle
from ..access import own_contest
from ..auth import operations as accounts
from ..auth import role_required
from ..extensions import db
from ..forms import show_errors
from ..judging.jury import FROZEN_MESSAGE
from ..models import Invitation, Role, User
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
        now=clock.now(),
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


# Invitations ------------------------------------------------------------------------

def _invitation(contest, invitation_id: int) -> Invitation:
    """The contest's invitation, else 404 (another contest's is not found either); for
    a POST read under its row lock, so two organisers' actions on it come one by one."""
    if request.method == "POST":
        invitation = accounts.lock_invitation(Invitation.id == invitation_id)
    else:
        invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.contest_id != contest.id:
        abort(404)
    return invitation


def _invitation_problem(contest, invitation: Invitation):
    if invitation.role == Role.JUROR and lifecycle.results_frozen(contest):
        return FROZEN_MESSAGE
    return accounts.invitation_problem(invitation)


def _invitations_page(contest, invitation: Invitation) -> str:
    if invitation.role == Role.JUROR:
        return url_for("jury.members", slug=contest.slug)
    return url_for(".organisers_list", slug=contest.slug)


@bp.route("/<slug>/invitations/<int:invitation_id>/resend", methods=["POST"])
@role_required(Role.ORGANISER)
def invitation_resend(slug: str, invitation_id: int):
    """A new link with a new term, e-mailed; the previous link stops working."""
    contest = own_contest(slug)
    invitation = _invitation(contest, invitation_id)
    problem = _invitation_problem(contest, invitation)
    if problem:
        flash(str(problem), "warning")
        return redirect(_invitations_page(contest, invitation))
    new, token = accounts.resend_invitation(invitation, actor=current_user._get_current_object())
    accounts.send_invitation(new, token)
    db.session.commit()
    flash(
        _(
            "The invitation is sent again to %(email)s with a new link; the link of the "
            "previous e-mail no longer works.",
            email=new.email,
        ),
        "success",
    )
    return redirect(_invitations_page(contest, new))


@bp.route("/<slug>/invitations/<int:invitation_id>/withdraw", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def invitation_withdraw(slug: str, invitation_id: int):
    """GET asks for confirmation (or explains why not); POST withdraws the invitation."""
    contest = own_contest(slug)
    invitation = _invitation(contest, invitation_id)
    problem = _invitation_problem(contest, invitation)
    back = _invitations_page(contest, invitation)
    if request.method == "POST" and not problem:  # CSRFProtect has checked the token
        accounts.withdraw_invitation(invitation, actor=current_user._get_current_object())
        db.session.commit()
        flash(_("The invitation to %(email)s is withdrawn.", email=invitation.email), "success")
        return redirect(back)
    return render_template(
        "contests/confirm.html",
        contest=contest,
        heading=_("Withdraw the invitation?"),
        subject=invitation.email,
        text=_(
            "The link in the e-mail stops working: whoever opens it reads that the "
            "invitation was withdrawn. You can invite the address again later."
        ),
        problem=problem,
        submit=_("Withdraw the invitation"),
        back=back,
    ), (409 if problem and request.method == "POST" else 200)
