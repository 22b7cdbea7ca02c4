"""The criteria editor under /manage/contests/<slug>/criteria (rules in ``criteria.py``)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import lifecycle
from ..access import own_contest
from ..auth import role_required
from ..extensions import db
from ..forms import show_errors
from ..models import Contest, Criterion, Role
from . import criteria
from .operations import ContestError
from .setup_forms import CriterionForm, MoveForm
from .views import bp


def _own_criterion(contest: Contest, criterion_id: int) -> Criterion:
    criterion = db.session.get(Criterion, criterion_id)
    if criterion is None or criterion.contest_id != contest.id:
        abort(404)
    return criterion


def _list_url(contest: Contest) -> str:
    return url_for(".criteria_list", slug=contest.slug)


@bp.route("/<slug>/criteria")
@role_required(Role.ORGANISER)
def criteria_list(slug: str):
    contest = own_contest(slug)
    scored = criteria.scored_criteria(contest)
    return render_template(
        "contests/criteria.html",
        contest=contest,
        lock=criteria.scoring_lock(contest, scored),
        scored=scored,
        archived=lifecycle.archived(contest),
    )


@bp.route("/<slug>/criteria/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def criterion_new(slug: str):
    contest = own_contest(slug)
    lock = criteria.scoring_lock(contest, criteria.scored_criteria(contest))
    form = CriterionForm()
    if not lock and form.validate_on_submit():
        try:
            criterion = criteria.add_criterion(contest, form.criterion_values(), actor=current_user)
        except ContestError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("The criterion %(code)s is added.", code=criterion.code), "success")
            return redirect(_list_url(contest))
    return render_template(
        "contests/criterion_form.html", contest=contest, form=form, criterion=None, lock=lock
    )


@bp.route("/<slug>/criteria/<int:criterion_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def criterion_edit(slug: str, criterion_id: int):
    contest = own_contest(slug)
    criterion = _own_criterion(contest, criterion_id)
    form = CriterionForm()
    if not form.is_submitted():
        form.load(criterion)
    elif form.validate():
        try:
            changed = criteria.update_criterion(
                criterion, form.criterion_values(), actor=current_user
            )
        except ContestError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            if changed:
                flash(_("The criterion %(code)s is saved.", code=criterion.code), "success")
            return redirect(_list_url(contest))
    return render_template(
        "contests/criterion_form.html",
        contest=contest,
        form=form,
        criterion=criterion,
        lock=criteria.scoring_lock(contest, criteria.scored_criteria(contest), criterion),
    )


@bp.route("/<slug>/criteria/<int:criterion_id>/remove", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def criterion_remove(slug: str, criterion_id: int):
    """GET asks for confirmation (or explains why not); POST removes."""
    contest = own_contest(slug)
    criterion = _own_criterion(contest, criterion_id)
    problem = criteria.removal_problem(criterion)
    if request.method == "POST" and not problem:  # CSRFProtect has checked the token
        criteria.remove_criterion(criterion, actor=current_user)
        db.session.commit()
        flash(_("The criterion %(code)s is removed.", code=criterion.code), "success")
        return redirect(_list_url(contest))
    return render_template(
        "contests/confirm.html",
        contest=contest,
        heading=_("Remove the criterion %(code)s?", code=criterion.code),
        subject=f"{criterion.code}. {criterion.title_uk}",
        text=_("The criterion disappears from the contest page and from the scoresheets."),
        problem=problem,
        submit=_("Remove the criterion"),
        back=_list_url(contest),
    ), (409 if problem and request.method == "POST" else 200)


@bp.route("/<slug>/criteria/<int:criterion_id>/move", methods=["POST"])
@role_required(Role.ORGANISER)
def criterion_move(slug: str, criterion_id: int):
    contest = own_contest(slug)
    criterion = _own_criterion(contest, criterion_id)
    form = MoveForm()
    if form.validate_on_submit():
        try:
            criteria.move_criterion(criterion, form.direction.data, actor=current_user)
        except ContestError as error:
            flash(error.errors["criterion"], "warning")
        else:
            db.session.commit()
    return redirect(_list_url(contest) + f"#criterion-{criterion.id}")
