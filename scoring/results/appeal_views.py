"""Appeals over HTTP (SPEC §14); the rules are in ``appeals``.

- ``/applications/<number>/appeal``: the applicant's page for their own application: the
  rules and the deadline, the form while appeals are taken, then the appeal filed and the
  commission's answer. Anyone else gets 404 (a signed-in organiser or juror: 403).
- ``/manage/contests/<slug>/appeals``: the contest's appeals in one list, with the answers'
  deadlines; ``…/appeals/<number>``: one appeal and the commission's answer, and, when
  it is upheld, the way to reopen the results (the stage page). The contest's organisers
  only (anyone else: 404).
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import clock, lifecycle, rounds
from ..access import own_contest, own_submitted_or_404
from ..applications.operations import lock_application
from ..auth import role_required
from ..extensions import db
from ..forms import show_errors
from ..i18n import long_datetime
from ..models import Appeal, AppealDecision, Application, Role, Stage
from . import appeals
from .blueprint import bp
from .disclosure import applicant_outcome, outcomes
from .forms import AppealAnswerForm, AppealForm


@bp.route("/applications/<number>/appeal", methods=["GET", "POST"], endpoint="file_appeal")
@role_required(Role.APPLICANT)
def file_appeal_page(number: str):
    application = own_submitted_or_404(number, joinedload(Application.contest))
    contest = application.contest
    form = AppealForm()
    status = 200
    if request.method == "POST" and form.validate():
        application = lock_application(application.id)  # two filings at once: one wins
        try:
            appeal = appeals.file_appeal(
                application, form.reason.data, actor=current_user._get_current_object()
            )
        except appeals.AppealError as error:
            show_errors(form, error)
            status = 409 if appeals.filing_problem(application, clock.now()) else 422
        else:
            db.session.commit()
            _tell_organisers(appeal)
            flash(
                _(
                    "The appeal is filed. The commission answers by %(moment)s (Kyiv time); "
                    "the answer comes by e-mail and shows on the application’s page.",
                    moment=long_datetime(appeal.answer_due),
                ),
                "success",
            )
            return redirect(url_for("applications.show", number=number) + "#appeal")
    elif request.method == "POST":
        status = 422
    now = clock.now()
    return render_template(
        "results/appeal_file.html",
        application=application,
        contest=contest,
        form=form,
        appeal=appeals.appeal_of(application),
        problem=appeals.filing_problem(application, now),
        closes=lifecycle.appeals_close(contest),
        outcome=applicant_outcome(application),
        now=now,
    ), status


def _tell_organisers(appeal: Appeal) -> None:
    try:
        appeals.announce_filed(appeal)
    except OSError:  # the mail server is down: the appeal itself is kept
        current_app.logger.exception("appeal %s not mailed to the organisers", appeal.id)


@bp.route("/manage/contests/<slug>/appeals", endpoint="appeals")
@role_required(Role.ORGANISER)
def appeals_list(slug: str):
    contest = own_contest(slug)
    return render_template(
        "results/appeals.html",
        contest=contest,
        appeals=appeals.contest_appeals(contest),
        closes=lifecycle.appeals_close(contest),
        to_reopen=lifecycle.appeals_to_reopen(contest),
        now=clock.now(),
    )


@bp.route("/manage/contests/<slug>/appeals/<number>", methods=["GET", "POST"], endpoint="appeal")
@role_required(Role.ORGANISER)
def appeal_page(slug: str, number: str):
    contest = own_contest(slug)
    appeal = appeals.find_appeal(contest, number)
    if appeal is None:
        abort(404)
    form = AppealAnswerForm()
    status = 200
    if request.method == "POST":
        appeal = db.session.scalar(
            select(Appeal)
            .where(Appeal.id == appeal.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if form.validate():
            try:
                appeals.answer_appeal(
                    appeal,
                    form.decision_value(),
                    form.answer.data,
                    actor=current_user._get_current_object(),
                )
            except appeals.AppealError as error:
                show_errors(form, error)
                status = 409 if appeals.answer_problem(contest, appeal) else 422
            else:
                db.session.commit()
                _report_answer(appeal)
                return redirect(url_for(".appeal", slug=slug, number=number))
        else:
            status = 422
    return render_template(
        "results/appeal.html",
        contest=contest,
        appeal=appeal,
        application=appeal.application,
        form=form,
        problem=appeals.answer_problem(contest, appeal),
        outcome=outcomes(contest).get(appeal.application_id)
        if lifecycle.scoring_started(contest)
        else None,
        can_reopen=contest.stage == Stage.PUBLISHED
        and appeal.decision == AppealDecision.UPHELD
        and appeal.reopened_at is None,
        # SPEC §13: once those who advanced from the round are in the next one, never.
        cannot_reopen=rounds.reopening_problem(contest),
    ), status


def _report_answer(appeal: Appeal) -> None:
    try:
        sent = appeals.send_answer(appeal)
    except OSError:
        current_app.logger.exception("answer to appeal %s not mailed", appeal.id)
        sent = 0
    flash(
        _("The commission’s answer is recorded; the applicant is informed by e-mail.")
        if sent
        else _(
            "The commission’s answer is recorded, but no e-mail reached the applicant: they "
            "see it on the application’s page."
        ),
        "success" if sent else "warning",
    )
