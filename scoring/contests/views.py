"""Organisers' contest pages under /manage/contests: list, create, edit, dashboard, stage."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from .. import lifecycle
from ..access import own_contest
from ..auth import role_required
from ..extensions import db
from ..forms import show_errors
from ..i18n import AGGREGATION_LABELS, NORMALISE_LABELS, stage_label
from ..lifecycle import STAGE_BACK, STAGE_FORWARD
from ..links import external_url
from ..models import Contest, Role, Stage, contest_organisers
from ..results.operations import announce_publication
from . import operations
from .forms import ContestForm, StageForm

bp = Blueprint("contests", __name__, url_prefix="/manage/contests")


@bp.route("")
@role_required(Role.ORGANISER)
def index():
    contests = db.session.scalars(
        select(Contest)
        .join(contest_organisers)
        .where(contest_organisers.c.user_id == current_user.id)
        .order_by(Contest.opens_at.desc())
    ).all()
    return render_template("contests/index.html", contests=contests)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def new():
    form = ContestForm()
    if form.validate_on_submit():
        try:
            contest = operations.create_contest(
                form.contest_values(), organiser=current_user._get_current_object()
            )
        except operations.ContestError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("The contest is created as a draft."), "success")
            return redirect(url_for(".dashboard", slug=contest.slug))
    return render_template("contests/form.html", form=form, contest=None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit(slug: str):
    contest = own_contest(slug)
    form = ContestForm()
    if not form.is_submitted():
        form.load(contest)
    elif form.validate():
        try:
            operations.update_contest(contest, form.contest_values(), actor=current_user)
        except operations.ContestError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".dashboard", slug=contest.slug))
    return render_template("contests/form.html", form=form, contest=contest)


@bp.route("/<slug>")
@role_required(Role.ORGANISER)
def dashboard(slug: str):
    contest = own_contest(slug)
    return render_template(
        "contests/dashboard.html",
        contest=contest,
        counts=operations.application_counts(contest),
        forward=STAGE_FORWARD.get(contest.stage),
        back=STAGE_BACK.get(contest.stage),
        aggregation=AGGREGATION_LABELS[contest.aggregation],
        normalise=NORMALISE_LABELS[contest.normalise],
    )


@bp.route("/<slug>/stage", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def stage(slug: str):
    """GET ``?to=STAGE`` shows what the move will do, what refuses it and what to confirm
    (``lifecycle.preview``); POST moves the contest."""
    contest = own_contest(slug)
    form = StageForm(to=request.args.get("to"))
    target = lifecycle.stage_target(contest, form.to.data)
    if target is None:
        flash(_("The contest cannot move to this stage from its current one."), "warning")
        return redirect(url_for(".dashboard", slug=slug))
    plan = lifecycle.preview(contest, target)
    # Marks the field; change_stage enforces it.
    form.reason.flags.required = lifecycle.is_backward(contest, target) or plan.needs_reason
    if plan.closes_early:
        form.reason.description = _(
            "Required: it is written into the audit log and shown on the contest’s public page."
        )
    if not plan.problems and form.validate_on_submit():
        confirmed = form.warnings.data if form.confirm.data else ""
        try:
            lifecycle.change_stage(
                contest, target, actor=current_user, reason=form.reason.data, confirmed=confirmed
            )
        except lifecycle.StageError as error:
            db.session.rollback()
            show_errors(form, error)
            plan = lifecycle.preview(contest, target)
            if plan.fingerprint != form.warnings.data:
                form.confirm.data = False  # new warnings: confirmed anew
        else:
            db.session.commit()
            flash(
                _("The contest has moved to the stage «%(stage)s».", stage=stage_label(target)),
                "success",
            )
            if target == Stage.PUBLISHED:
                _announce_results(contest)
            return redirect(url_for(".dashboard", slug=slug))
    form.warnings.data = plan.fingerprint
    if plan.warnings:
        form.confirm.flags.required = True
    return render_template(
        "contests/stage.html",
        contest=contest,
        form=form,
        target=target,
        plan=plan,
        problems=plan.problems,
    )


def _announce_results(contest: Contest) -> None:
    """After publication: e-mail the applicants the link to the results (SPEC §3)."""
    sent, failed = announce_publication(
        contest, external_url("results.public", slug=contest.slug)
    )
    if sent:
        flash(
            ngettext(
                "%(num)d applicant is informed by e-mail.",
                "%(num)d applicants are informed by e-mail.",
                sent,
            ),
            "info",
        )
    if failed:
        flash(
            ngettext(
                "%(num)d e-mail could not be sent; see the server log.",
                "%(num)d e-mails could not be sent; see the server log.",
                failed,
            ),
            "warning",
        )
