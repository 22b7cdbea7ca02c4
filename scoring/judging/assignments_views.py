"""Organisers' assignment pages under /manage/contests/<slug> (rules in ``assignments``).

- ``/assignments``: the matrix of applications × jurors, a page of applications at a
  time, and "assign automatically"; ``/assignments/<number>`` adds or removes the
  jurors of one application.
- ``/assignments/bulk``: one juror to the applications ticked in the matrix, after a
  page that says what will happen to each.
- ``/scoresheets/<id>/reopen``: a submitted sheet back to a draft, with a reason.

The routes join the jury's blueprint (``jury_views.bp``): only the contest's organisers
see them (anyone else gets 404, other roles 403).
"""

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import lifecycle
from ..access import admitted_or_404, own_contest
from ..auth import role_required
from ..extensions import db
from ..forms import choices
from ..models import Application, Contest, Role, Scoresheet, User
from . import assignments, jury, notices
from .forms import BulkAssignForm, ReopenForm
from .jury_views import actor, bp, jury_member


@bp.route("/<slug>/assignments", endpoint="assignments")
@role_required(Role.ORGANISER)
def matrix_page(slug: str):
    """The matrix of admitted applications × jurors, ``?page=N``."""
    contest = own_contest(slug)
    page = request.args.get("page", 1, type=int)
    return render_template(
        "jury/assignments.html",
        contest=contest,
        matrix=assignments.matrix(contest, page),
        assigning=lifecycle.assignments_open(contest),
        reopening=lifecycle.revisions_open(contest),
        scoring_closed=lifecycle.scoring_closed(contest),
    )


@bp.route("/<slug>/assignments/auto", methods=["POST"])
@role_required(Role.ORGANISER)
def assign_automatically(slug: str):
    contest = own_contest(slug)
    try:
        result = assignments.assign_automatically(contest, actor=actor())
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
        notices.tell(*notices.announce_assignments(contest, result.pairs))
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
        seats=assignments.application_seats(contest, item),
        assigning=lifecycle.assignments_open(contest),
        reopening=lifecycle.revisions_open(contest),
        scoring_closed=lifecycle.scoring_closed(contest),
    )


def _back_to(contest, application):
    return redirect(url_for(".application", slug=contest.slug, number=application.number))


def _assigned(contest: Contest, item: Application, assign: Callable[[], User]):
    """One more juror on ``item`` by ``assign`` (it gives the juror): committed, said and
    announced to them; the refusal said instead. Back to the application's page."""
    try:
        user = assign()
    except jury.JuryError as error:
        db.session.rollback()
        flash(str(error.message), "warning")
    else:
        db.session.commit()
        flash(
            _("%(name)s is assigned to %(number)s.", name=user.name, number=item.number),
            "success",
        )
        notices.tell(*notices.announce_assignments(contest, [(item.id, user.id)]))
    return _back_to(contest, item)


@bp.route("/<slug>/assignments/<number>/jurors/<int:user_id>", methods=["POST"])
@role_required(Role.ORGANISER)
def add(slug: str, number: str, user_id: int):
    contest = own_contest(slug)
    item = admitted_or_404(contest, number)
    user, _member_row = jury_member(contest, user_id)

    def assign() -> User:
        assignments.add_assignment(contest, item, user, actor=actor())
        return user

    return _assigned(contest, item, assign)


@bp.route("/<slug>/assignments/<number>/least-loaded", methods=["POST"])
@role_required(Role.ORGANISER)
def add_least_loaded(slug: str, number: str):
    contest = own_contest(slug)
    item = admitted_or_404(contest, number)
    return _assigned(
        contest, item, lambda: assignments.add_least_loaded(contest, item, actor=actor())
    )


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
        assignments.remove_assignment(contest, sheet, actor=actor())
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
    problem = assignments.reopen_problem(contest, sheet)
    if not problem and form.validate_on_submit():
        try:
            assignments.reopen(contest, sheet, form.reason.data, actor=actor())
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


# Several applications at once --------------------------------------------------------


@bp.route("/<slug>/assignments/bulk", methods=["POST"])
@role_required(Role.ORGANISER)
def assign_bulk(slug: str):
    """One juror to the ticked applications: first what will happen to each, then
    (``confirmed``) the assignments, each audited as one is."""
    contest = own_contest(slug)
    form = BulkAssignForm()
    team = jury.members(contest)
    form.juror.choices = choices(
        [("", _l("— choose the juror —"))] + [(m.id, m.name) for m in team]
    )
    valid = form.validate()  # first: the numbers are looked up only within the limit
    numbers = [] if form.numbers.errors else form.numbers.data
    found, unknown = assignments.admitted_with_numbers(contest, numbers)
    user = None
    if valid:
        member = next((m for m in team if str(m.id) == form.juror.data), None)
        user = db.session.get(User, member.id) if member else None
        if user is None:
            form.juror.errors.append(_("Choose a member of the jury."))
            valid = False
    problem = None
    if unknown:
        problem = _(
            "These numbers are not among the admitted applications of this contest: "
            "%(numbers)s. Nothing is changed; go back to the matrix and tick again.",
            numbers=", ".join(unknown[:20]),
        )
    plan = None
    if not problem and valid:
        try:
            plan = assignments.plan_bulk(contest, found, user)
        except jury.JuryError as error:
            problem = error.message
    if problem or not valid or not form.confirmed.data:
        return render_template(
            "jury/assignments_bulk.html",
            contest=contest,
            form=form,
            problem=problem,
            plan=plan,
            found=found,
            juror=user,
        ), (422 if problem else 200)
    done = assignments.assign_many(contest, found, user, actor=actor())
    db.session.commit()
    if done.assign:
        flash(
            ngettext(
                "%(name)s is assigned to %(num)d application: %(numbers)s.",
                "%(name)s is assigned to %(num)d applications: %(numbers)s.",
                len(done.assign),
                name=user.name,
                numbers=", ".join(a.number for a in done.assign),
            ),
            "success",
        )
    for application, why in done.refused:
        flash(_("%(number)s is not changed: %(why)s", number=application.number, why=why), "danger")
    return redirect(url_for(".assignments", slug=slug))
