"""The application form builder under /manage/contests/<slug>/questions (rules in ``questions.py``).

``question_limits`` is a template global: ``templates/_macros/questions.html`` tells the
applicant what each question accepts with it.
"""

from decimal import ROUND_HALF_UP, Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..access import own_contest
from ..auth import role_required
from ..extensions import db
from ..forms import show_errors
from ..i18n import number
from ..models import Contest, Question, QuestionKind, Role
from . import questions
from .operations import ContestError
from .setup_forms import KIND_LABELS, KIND_LIMITS, MoveForm, QuestionForm
from .views import bp


@bp.app_template_global()
def question_limits(question: Question) -> str:
    """What the question accepts, in a sentence for the applicant ("" when nothing to say)."""
    kind = question.kind
    if kind in (QuestionKind.TEXT, QuestionKind.TEXTAREA) and question.max_length:
        return ngettext(
            "At most %(num)d character.", "At most %(num)d characters.", question.max_length
        )
    if kind == QuestionKind.NUMBER:
        low, high = question.min_value, question.max_value
        if low is not None and high is not None:
            return _("A number from %(min)s to %(max)s.", min=number(low), max=number(high))
        if low is not None:
            return _("A number not less than %(min)s.", min=number(low))
        if high is not None:
            return _("A number not greater than %(max)s.", max=number(high))
        return ""
    if kind == QuestionKind.URL:
        return _("A web address, e.g. https://example.org/practice.")
    if kind == QuestionKind.FILE:
        contest = question.contest
        types = question.file_types or contest.attachment_types or []
        size = (Decimal(contest.max_file_size) / 1024 / 1024).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        return _(
            "%(types)s, at most %(size)s MB per file.",
            types=", ".join(questions.file_type_name(t) for t in types),
            size=number(size),
        )
    return ""


@bp.app_template_global()
def question_kind_label(kind) -> str:
    return str(KIND_LABELS.get(kind, kind))


def _own_question(contest: Contest, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.contest_id != contest.id:
        abort(404)
    return question


def _list_url(contest: Contest) -> str:
    return url_for(".questions_list", slug=contest.slug)


def _render_form(contest: Contest, form: QuestionForm, question: Question | None):
    return render_template(
        "contests/question_form.html",
        contest=contest,
        form=form,
        question=question,
        kind_limits={kind.value: list(names) for kind, names in KIND_LIMITS.items()},
    )


def _form(contest: Contest) -> QuestionForm:
    types = [(t, questions.file_type_name(t)) for t in contest.attachment_types or []]
    return QuestionForm(file_type_choices=types)


@bp.route("/<slug>/questions")
@role_required(Role.ORGANISER)
def questions_list(slug: str):
    contest = own_contest(slug)
    return render_template("contests/questions.html", contest=contest)


@bp.route("/<slug>/questions/preview")
@role_required(Role.ORGANISER)
def questions_preview(slug: str):
    contest = own_contest(slug)
    return render_template("contests/questions_preview.html", contest=contest)


@bp.route("/<slug>/questions/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def question_new(slug: str):
    contest = own_contest(slug)
    form = _form(contest)
    if form.validate_on_submit():
        try:
            question = questions.add_question(contest, form.question_values(), actor=current_user)
        except ContestError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("The question «%(key)s» is added.", key=question.key), "success")
            return redirect(_list_url(contest))
    return _render_form(contest, form, None)


@bp.route("/<slug>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def question_edit(slug: str, question_id: int):
    contest = own_contest(slug)
    question = _own_question(contest, question_id)
    form = _form(contest)
    if not form.is_submitted():
        form.load(question)
    elif form.validate():
        try:
            changed = questions.update_question(
                question, form.question_values(), actor=current_user
            )
        except ContestError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            if changed:
                flash(_("The question «%(key)s» is saved.", key=question.key), "success")
            return redirect(_list_url(contest))
    return _render_form(contest, form, question)


@bp.route("/<slug>/questions/<int:question_id>/remove", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def question_remove(slug: str, question_id: int):
    """GET asks for confirmation (or explains why not); POST removes."""
    contest = own_contest(slug)
    question = _own_question(contest, question_id)
    problem = questions.removal_problem(question)
    if request.method == "POST" and not problem:  # CSRFProtect has checked the token
        questions.remove_question(question, actor=current_user)
        db.session.commit()
        flash(_("The question «%(key)s» is removed.", key=question.key), "success")
        return redirect(_list_url(contest))
    return render_template(
        "contests/confirm.html",
        contest=contest,
        heading=_("Remove the question «%(key)s»?", key=question.key),
        subject=question.label_uk,
        text=_("The question disappears from the application form."),
        problem=problem,
        submit=_("Remove the question"),
        back=_list_url(contest),
    ), (409 if problem and request.method == "POST" else 200)


@bp.route("/<slug>/questions/<int:question_id>/move", methods=["POST"])
@role_required(Role.ORGANISER)
def question_move(slug: str, question_id: int):
    contest = own_contest(slug)
    question = _own_question(contest, question_id)
    form = MoveForm()
    if form.validate_on_submit():
        try:
            questions.move_question(question, form.direction.data, actor=current_user)
        except ContestError as error:
            flash(error.errors["question"], "warning")
        else:
            db.session.commit()
    return redirect(_list_url(contest) + f"#question-{question.id}")
