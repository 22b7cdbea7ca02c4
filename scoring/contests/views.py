"""Organisers' contest pages under /manage/contests: list, create, copy, edit, dashboard
(with the set-up checklist before opening), stage."""

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from .. import clock, lifecycle, rounds
from ..access import own_contest
from ..auth import role_required
from ..extensions import db
from ..forms import show_errors
from ..i18n import (
    AGGREGATION_LABELS,
    FEEDBACK_LABELS,
    NORMALISE_LABELS,
    current_language,
    long_datetime,
    percent,
    stage_label,
)
from ..judging import notices
from ..lifecycle import STAGE_BACK, STAGE_FORWARD
from ..models import Contest, Role, Stage, contest_organisers
from ..results import announcements
from . import operations
from .copying import copy_contest
from .forms import ContestForm, CopyForm, StageForm

bp = Blueprint("contests", __name__, url_prefix="/manage/contests")


@bp.route("")
@role_required(Role.ORGANISER)
def index():
    return render_template("contests/index.html", contests=_own_contests())


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def new():
    form = ContestForm.for_contest(None, current_language())
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
    return render_template("contests/form.html", form=form, contest=None, sources=_own_contests())


def _own_contests():
    return db.session.scalars(
        select(Contest)
        .join(contest_organisers)
        .where(contest_organisers.c.user_id == current_user.id)
        .order_by(Contest.opens_at.desc())
    ).all()


@bp.route("/<slug>/copy", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def copy(slug: str):
    """A new draft from this contest's settings, criteria, questions and categories."""
    source = own_contest(slug)
    form = CopyForm()
    if not form.is_submitted():
        form.title_uk.data, form.title_en.data = source.title_uk, source.title_en
        form.number_prefix.data = source.number_prefix
    elif form.validate():
        try:
            contest = copy_contest(
                source, form.values(), organiser=current_user._get_current_object()
            )
        except operations.ContestError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "The copy is created as a draft with the settings, criteria, questions "
                    "and categories of «%(title)s»; no application, juror or result is "
                    "copied. Check the set-up below before opening it.",
                    title=source.title(current_language()),
                ),
                "success",
            )
            return redirect(url_for(".dashboard", slug=contest.slug))
    return render_template("contests/copy.html", form=form, source=source)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit(slug: str):
    contest = own_contest(slug)
    form = ContestForm.for_contest(contest, current_language())
    if not form.is_submitted():
        form.load(contest)
        form.stamp_loaded(contest)
    elif form.validate() and _merged(form, contest):
        try:
            operations.update_contest(
                contest,
                form.contest_values(),
                actor=current_user,
                categories=form.category_values(),
            )
        except operations.ContestError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".dashboard", slug=contest.slug))
    return render_template("contests/form.html", form=form, contest=contest)


def _merged(form: ContestForm, contest: Contest) -> bool:
    """A form loaded before someone else changed the settings (another organiser, another
    round's settings): what this person left as it was takes the others' values; what
    both changed is shown again beside its field, the person's value kept in it, to be
    saved again knowingly. False while there is such a conflict."""
    loaded = form.loaded_stamp()
    if loaded is None:
        return True
    values = form.contest_values()
    now = {name: getattr(contest, name) for name in values}
    merged = operations.merge_stale(
        operations.settings_stamp(values), loaded, operations.settings_stamp(now)
    )
    form.load(contest, merged.theirs)
    form.stamp_loaded(contest)  # saved again, the form starts from what is stored now
    for name in merged.conflicts:
        form[name].errors.append(
            _(
                "Someone else changed this after you opened the form. Look at it again: "
                "your value stays here, and saving keeps it."
            )
        )
    return not merged.conflicts


@dataclass(frozen=True)
class SetupItem:
    """A line of the set-up checklist: done or not, what is there or what is missing."""

    label: str
    done: bool
    detail: str
    endpoint: str  # where it is done
    required: bool  # the contest cannot open without it (``lifecycle.opening_checks``)


def setup_checklist(contest: Contest, chain: list[Contest]) -> list[SetupItem]:
    """What a draft contest has and lacks before it opens: the guardrail of opening
    (``lifecycle.opening_checks``) item by item, then what applicants will miss; the
    rounds' items for a contest of rounds (``chain``: ``rounds.chain``)."""
    checks = {check.code: check for check in lifecycle.opening_checks(contest)}

    def required(code, label, done_text, endpoint) -> SetupItem:
        check = checks[code]
        detail = done_text if check.done else str(check.problem)
        return SetupItem(label, check.done, detail, endpoint, True)

    window = _(
        "from %(start)s to %(end)s (Kyiv time)",
        start=long_datetime(contest.opens_at),
        end=long_datetime(contest.closes_at),
    )
    criteria = ngettext("%(num)d criterion", "%(num)d criteria", len(contest.criteria))
    questions = (
        ngettext("%(num)d question", "%(num)d questions", len(contest.questions))
        if contest.questions
        else _("Applicants are asked only for a title: add the questions.")
    )
    described = bool(contest.description_uk and contest.rules_uk)
    in_rounds = [
        required(code, label, done_text, "contests.rounds_list")
        for code, label, done_text, shown in (
            (
                "previous_round",
                _("The round before"),
                _("Its results are published."),
                contest.previous_round_id is not None,
            ),
            ("weights", _("Shares of the final score"), _shares(chain), len(chain) > 1),
        )
        if shown or not checks[code].done
    ]
    return [
        *in_rounds,
        required("criteria", _("Evaluation criteria"), criteria, "contests.criteria_list"),
        required("dates", _("Dates of the applications"), window, "contests.edit"),
        required(
            "prefix", _("Prefix of registration numbers"), contest.number_prefix, "contests.edit"
        ),
        SetupItem(
            _("Application form"),
            bool(contest.questions),
            questions,
            "contests.questions_list",
            False,
        ),
        SetupItem(
            _("Description and rules"),
            described,
            _("Both are written.")
            if described
            else _("Applicants read them on the contest’s page: write both in Ukrainian."),
            "contests.edit",
            False,
        ),
    ]


def _shares(chain: list[Contest]) -> str:
    if not rounds.weighted(chain):
        return _("None: the last round’s ranking is the final one.")
    return " + ".join(percent(r.round_weight / 100) for r in chain)


@bp.route("/<slug>")
@role_required(Role.ORGANISER)
def dashboard(slug: str):
    contest = own_contest(slug)
    chain = rounds.chain(contest)
    back = STAGE_BACK.get(contest.stage)
    if contest.stage == Stage.PUBLISHED and not lifecycle.appeals_to_reopen(contest):
        back = None  # published results are reopened only on an upheld appeal
    mailing = announcements.progress(contest)
    if mailing is not None and mailing.waiting:
        announcements.start(contest)  # after a restart: nobody sends them in this process
    return render_template(
        "contests/dashboard.html",
        contest=contest,
        checklist=setup_checklist(contest, chain) if contest.stage == Stage.DRAFT else None,
        chain=chain,
        round_number=next(n for n, r in enumerate(chain, start=1) if r.id == contest.id),
        counts=operations.application_counts(contest),
        forward=STAGE_FORWARD.get(contest.stage),
        back=back,
        aggregation=AGGREGATION_LABELS[contest.aggregation],
        normalise=NORMALISE_LABELS[contest.normalise],
        feedback=FEEDBACK_LABELS[contest.feedback],
        asked=lifecycle.open_clarifications(contest),
        waiting=lifecycle.unanswered_appeals(contest),
        appeals_close=lifecycle.appeals_close(contest),
        mailing=mailing,
        now=clock.now(),
    )


@bp.route("/<slug>/notices/retry", methods=["POST"])
@role_required(Role.ORGANISER)
def notices_retry(slug: str):
    """Send the e-mails of publication that failed once more."""
    contest = own_contest(slug)
    again = announcements.retry(contest, current_user._get_current_object())
    db.session.commit()
    if again:
        announcements.start(contest)
        flash(
            ngettext(
                "%(num)d e-mail is being sent again.",
                "%(num)d e-mails are being sent again.",
                again,
            ),
            "info",
        )
    else:
        flash(_("No e-mail about the results waits to be sent again."), "info")
    return redirect(url_for(".dashboard", slug=slug) + "#mailing-heading")


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
            # Who is to be told is written with the publication: a restart resumes it.
            told = announcements.queue(contest) if target == Stage.PUBLISHED else 0
            db.session.commit()
            flash(
                _("The contest has moved to the stage «%(stage)s».", stage=stage_label(target)),
                "success",
            )
            if told:
                announcements.start(contest)
                flash(
                    ngettext(
                        "%(num)d e-mail to the applicants is being sent; this page shows how "
                        "far it has gone.",
                        "%(num)d e-mails to the applicants are being sent; this page shows how "
                        "far they have gone.",
                        told,
                    ),
                    "info",
                )
            if target == Stage.JUDGING:
                notices.tell(*notices.announce_judging(contest))
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
