"""Applicants' pages: the organisation, starting, filling in, submitting and withdrawing
applications, attachments, "My applications", and the application's page (SPEC §5, §9).

Every page works without JavaScript. With it, ``static/js/autosave.js`` saves the
draft as one types through the JSON endpoint ``…/autosave`` (401 JSON when the session
has ended, so the script can ask to log in again and resend), ``communities.js``
refreshes the community list and ``countdown.js`` keeps the time left current.
"""

import io
import math

from babel import Locale
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import access, clock, files, hromadas, lifecycle, mail, money, organisations
from ..auth import role_required
from ..csrftokens import masked_token
from ..extensions import db
from ..i18n import OBLASTS, current_language, file_size_text, input_amount
from ..links import external_url
from ..models import (
    Application,
    ApplicationState,
    Attachment,
    Contest,
    QuestionKind,
    Role,
    Stage,
)
from ..requestguard import accepts_files, json_endpoint, refuse_files_except
from ..results import appeals
from ..results.disclosure import applicant_feedback, applicant_outcome
from ..results.presentation import notes_text, outcome_text
from . import attachments, clarifications, operations
from .content import answer_rows, required_progress, with_content
from .forms import OrganisationForm
from .operations import TITLE_FIELD, ApplicationError, field_name

bp = Blueprint("applications", __name__)
# The JSON endpoints answer in JSON even when the CSRF token is missing or stale.
api = Blueprint("api", __name__)

STATE_LABELS = {
    ApplicationState.DRAFT: _l("Draft"),
    ApplicationState.SUBMITTED: _l("Submitted"),
    ApplicationState.ADMITTED: _l("Admitted to evaluation"),
    ApplicationState.REJECTED: _l("Rejected"),
}


bp.add_app_template_global(outcome_text, "outcome_text")
bp.add_app_template_global(notes_text, "notes_text")


@bp.app_template_global()
def application_state_label(state) -> str:
    return str(STATE_LABELS.get(ApplicationState(state), state))


@bp.app_template_filter()
def file_size(size: int) -> str:
    return file_size_text(size)


# The time left until the deadline ----------------------------------------------------


def _time_left(closes_at, now) -> tuple[str, int] | None:
    """The largest whole unit of time left: ("days", 3), ("hours", 5), ("minutes", 1)."""
    seconds = (closes_at - now).total_seconds()
    if seconds <= 0:
        return None
    if seconds >= 86400:
        return "days", int(seconds // 86400)
    if seconds >= 3600:
        return "hours", int(seconds // 3600)
    return "minutes", max(1, math.ceil(seconds / 60))


def _left_text(unit: str, count) -> str:
    if unit == "days":
        return ngettext("%(count)s day left", "%(count)s days left", count, count=count)
    if unit == "hours":
        return ngettext("%(count)s hour left", "%(count)s hours left", count, count=count)
    return ngettext("%(count)s minute left", "%(count)s minutes left", count, count=count)


def _plural_samples() -> dict[str, int]:
    """One whole number for each plural category of the current language (CLDR)."""
    rule = Locale.parse(str(get_locale())).plural_form
    samples: dict[str, int] = {}
    for n in range(0, 200):
        samples.setdefault(rule(n), n)
    return samples


@bp.app_template_global()
def countdown(contest: Contest, now) -> dict | None:
    """The server-rendered time left and the patterns countdown.js updates it with."""
    if contest.stage != Stage.OPEN or now < contest.opens_at:
        return None
    left = _time_left(contest.closes_at, now)
    # Patterns per unit and plural category; the script puts the number in for {n}.
    forms = {
        unit: {
            category: _left_text(unit, n).replace(str(n), "{n}", 1)
            for category, n in _plural_samples().items()
        }
        for unit in ("days", "hours", "minutes")
    }
    forms["closed"] = _("Applications are closed.")
    return {
        "text": _left_text(*left) if left else forms["closed"],
        "closes_at": contest.closes_at.isoformat(),
        "now": now.isoformat(),  # the script corrects a device clock that is off
        "forms": forms,
    }


# Contest page: the Apply panel -------------------------------------------------------


@bp.app_template_global()
def application_panel(contest: Contest, now) -> dict:
    """What the contest page offers the current user about applying."""
    later_round = {"kind": "later_round", "message": operations.LATER_ROUND}  # SPEC §13
    if not current_user.is_authenticated:
        return later_round if contest.previous_round_id is not None else {"kind": "anonymous"}
    if not current_user.is_applicant:
        return {"kind": "other"}
    organisation = current_user.organisation
    application = (
        operations.find_application(contest, organisation) if organisation is not None else None
    )
    if application is not None:
        return {"kind": "existing", "application": application}
    if contest.previous_round_id is not None:
        return later_round
    problems = operations.eligibility_problems(contest, organisation, now)
    return {"kind": "refused" if problems else "eligible", "problems": problems}


@bp.app_template_global()
def application_url(application: Application) -> str:
    if application.state == ApplicationState.DRAFT:
        return url_for("applications.draft", application_id=application.id)
    return url_for("applications.show", number=application.number)


@bp.route("/contests/<slug>/apply", methods=["POST"])
@role_required(Role.APPLICANT)
def apply(slug: str):
    contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
    if contest is None or not contest.is_public:
        abort(404)
    try:
        application = operations.start_application(contest, current_user._get_current_object())
    except ApplicationError as error:
        for _field, message in error.problems:
            flash(message, "danger")
        return redirect(url_for("pages.contest", slug=slug))
    db.session.commit()
    return redirect(application_url(application))


# The organisation --------------------------------------------------------------------


@bp.route("/communities/<oblast>")
def communities(oblast: str):
    """The communities of an oblast as JSON, for communities.js (the list rarely changes)."""
    if oblast not in OBLASTS:
        abort(404)
    response = jsonify(hromadas.communities(oblast))
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/organisation", methods=["GET", "POST"])
@role_required(Role.APPLICANT)
def organisation():
    form = OrganisationForm()
    saved = current_user.organisation
    if not form.is_submitted():
        if saved is not None:
            form.load(saved)
    elif form.validate():
        try:
            organisations.save_organisation(current_user._get_current_object(), form.values())
        except organisations.OrganisationError as error:
            form[error.field].errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The organisation’s details are saved."), "success")
            return redirect(url_for("applications.organisation"))
    return render_template("applications/organisation.html", form=form, saved=saved)


# Drafts ------------------------------------------------------------------------------


def _own_application(application_id: int, lock: bool = False) -> Application:
    """The current user's organisation's application, else 404 (nothing leaks)."""
    if lock:
        application = operations.lock_application(application_id)
    else:
        application = db.session.get(Application, application_id)
    if application is None or not application.belongs_to(current_user):
        abort(404)
    return application


def _load_draft(application_id: int, lock: bool = False) -> Application:
    application = _own_application(application_id, lock)
    # Questions, answers and attachments (without their content) in three queries.
    db.session.scalars(
        select(Application)
        .where(Application.id == application.id)
        .options(
            selectinload(Application.answers),
            selectinload(Application.attachments),
            joinedload(Application.contest).selectinload(Contest.questions),
        )
    ).one()
    return application


def _saved_at_text() -> str:
    return _("Saved at %(time)s", time=format_datetime(clock.now(), "HH:mm"))


def _render_draft(application: Application, *, typed=None, errors=None, problems=None, late=None):
    """The draft's form: saved values, what was just typed where it was refused, errors;
    ``late``: why it was not submitted when the deadline has passed (not a form error)."""
    values = {field_name(a.question): a.value for a in application.answers}
    values[TITLE_FIELD] = application.title
    values[money.REQUESTED_FIELD] = input_amount(application.requested)
    values.update(typed or {})
    errors = {name: [str(m) for m in messages] for name, messages in (errors or {}).items()}
    problems = problems or []
    for name, message in problems:
        if name:
            errors.setdefault(name, []).append(str(message))
    questions = application.contest.questions
    labels = {field_name(q): operations.question_label(q, current_language()) for q in questions}
    labels[TITLE_FIELD] = _("Title of the application")
    labels[money.REQUESTED_FIELD] = _("Amount requested")
    summary = [(name, labels.get(name, ""), str(message)) for name, message in problems]
    for name, messages in errors.items():
        if not any(name == item[0] for item in summary):
            summary.extend((name, labels.get(name, ""), m) for m in messages)
    files = {a.question_id: a for a in application.attachments}
    now = clock.now()
    return render_template(
        "applications/draft.html",
        application=application,
        contest=application.contest,
        questions=questions,
        values=values,
        errors=errors,
        summary=summary,
        files=files,
        editable=operations.editable(application),
        accepting=application.contest.accepts_applications(now),
        progress=required_progress(application),
        late=late,
        now=now,
        asks_amount=money.asks_amount(application.contest, application.category),
        request_limit=money.request_limit(application.contest, application.category),
    )


def _typed_values(application: Application) -> dict:
    names = [
        TITLE_FIELD,
        money.REQUESTED_FIELD,
        *(field_name(q) for q in application.contest.questions),
    ]
    return {name: request.form[name] for name in names if name in request.form}


@bp.route("/applications/draft/<int:application_id>", methods=["GET", "POST"])
@role_required(Role.APPLICANT)
@accepts_files
def draft(application_id: int):
    """The application form; a POST saves every field, stores files, then does ``action``."""
    application = _load_draft(application_id, lock=request.method == "POST")
    if application.state != ApplicationState.DRAFT:
        return redirect(application_url(application))
    if request.method == "GET":
        return _render_draft(application)
    if not operations.editable(application):
        flash(_("This application cannot be changed now."), "warning")
        return redirect(url_for("applications.draft", application_id=application.id))

    refuse_files_except(
        {field_name(q) for q in application.contest.questions if q.kind == QuestionKind.FILE}
    )
    user = current_user._get_current_object()
    typed = _typed_values(application)
    saved, errors = operations.save_answers(application, typed)
    errors = {name: [message] for name, message in errors.items()}
    for question in application.contest.questions:
        upload = request.files.get(field_name(question))
        if question.kind != QuestionKind.FILE or upload is None or not upload.filename:
            continue
        data = upload.stream.read(application.contest.max_file_size + 1)
        try:
            attachments.store_attachment(
                application,
                question,
                attachments.Upload(upload.filename, data),
                actor=user,
                language=current_language(),
            )
        except ApplicationError as error:
            for name, message in error.problems:
                errors.setdefault(name, []).append(message)
    action = request.form.get("action", "save")
    if action.startswith("remove:") and action[7:].isascii() and action[7:].isdigit():
        attachments.remove_attachment(application, int(action[7:]), actor=user)
    refused = {name: value for name, value in typed.items() if name in errors}
    if errors:
        db.session.commit()  # what could be saved is kept
        return _render_draft(application, typed=refused, errors=errors)
    if action == "review":  # on to "check your answers", once nothing is missing
        db.session.commit()
        late = operations.deadline_problems(application.contest, clock.now())
        if late:
            return _render_draft(application, late=late[0])
        problems = operations.submission_problems(application)
        if problems:
            return _render_draft(application, problems=problems)
        return redirect(url_for("applications.check", application_id=application.id))
    if action == "submit":
        try:
            operations.submit(application, actor=user)
        except ApplicationError as error:
            db.session.commit()  # the draft as typed is kept
            if error.late:
                return _render_draft(application, late=error.problems[0][1])
            return _render_draft(application, problems=error.problems)
        db.session.commit()
        try:
            _send_receipt(application, user)
        except OSError:  # the mail server is down: the submission itself is safe
            current_app.logger.exception("receipt for %s not sent", application.number)
            flash(_("The receipt could not be e-mailed; this page is your proof."), "warning")
        flash(
            _(
                "The application is submitted. Its registration number is %(number)s.",
                number=application.number,
            ),
            "success",
        )
        return redirect(url_for("applications.show", number=application.number))
    db.session.commit()
    flash(_saved_at_text(), "success")
    anchor = action.partition(":")[2] if action.startswith("upload:") else ""
    target = url_for("applications.draft", application_id=application.id)
    return redirect(f"{target}#{anchor}" if anchor else target)


@bp.route("/applications/draft/<int:application_id>/check")
@role_required(Role.APPLICANT)
def check(application_id: int):
    """Every answer and file with a link back to its field, then "Submit" (GOV.UK's
    "check your answers"); what is still missing or late is said instead of the button."""
    application = _load_draft(application_id)
    if application.state != ApplicationState.DRAFT:
        return redirect(application_url(application))
    now = clock.now()
    late = operations.deadline_problems(application.contest, now)
    return render_template(
        "applications/check.html",
        application=application,
        contest=application.contest,
        organisation=application.organisation,
        rows=answer_rows(application, current_language()),
        asks_amount=money.asks_amount(application.contest, application.category),
        problems=operations.submission_problems(application),
        late=late[0] if late else None,
        editable=operations.editable(application),
        now=now,
    )


def _json_error(status: int, error: str, message) -> tuple:
    return jsonify(error=error, message=str(message)), status


@api.errorhandler(CSRFError)
def autosave_csrf_error(_error):
    return _json_error(
        400, "csrf", _l("The page is out of date: its security token is no longer valid.")
    )


@api.route("/applications/draft/<int:application_id>/autosave", methods=["GET", "POST"])
@json_endpoint
def autosave(application_id: int):
    """POST {"fields": {name: text}} saves those fields; GET gives a fresh CSRF token.

    A request without a session answers 401 JSON (not a redirect to the login page), so
    the script can ask the person to log in in another tab and then send again.
    """
    if not current_user.is_authenticated:
        return jsonify(
            error="login",
            message=_("Your session has ended."),
            login_url=url_for("auth.login"),
        ), 401
    if request.method == "GET":
        application = db.session.get(Application, application_id)
        if application is None or not application.belongs_to(current_user):
            return _json_error(404, "not_found", _("There is no such application."))
        return jsonify(csrf_token=masked_token())
    payload = request.get_json(silent=True)
    fields = payload.get("fields") if isinstance(payload, dict) else None
    if not isinstance(fields, dict):
        return _json_error(400, "bad_request", _("The request cannot be processed"))
    application = operations.lock_application(application_id)
    if application is None or not application.belongs_to(current_user):
        return _json_error(404, "not_found", _("There is no such application."))
    if not operations.editable(application):
        return _json_error(409, "closed", _("This application cannot be changed now."))
    saved, errors = operations.save_answers(application, fields)
    db.session.commit()
    return jsonify(
        saved=saved,
        errors={name: str(message) for name, message in errors.items()},
        message=_saved_at_text(),
    ), (422 if errors else 200)


bp.register_blueprint(api)


# Submitted applications --------------------------------------------------------------


def _send_receipt(application: Application, user) -> None:
    language = user.language
    mail.send(
        user.email,
        _l("Application %(number)s is submitted", number=application.number),
        "application_submitted",
        language=language,
        application=application,
        contest_title=application.contest.title(language),
        rows=answer_rows(application, language),
        attachments=application.attachments,
        link=external_url("applications.show", number=application.number),
    )


@bp.route("/applications/<number>")
@login_required
def show(number: str):
    application = with_content(number)
    if application is None or not access.can_view(application, current_user):
        abort(404)
    if application.state == ApplicationState.DRAFT:  # withdrawn: its owner edits it
        return redirect(application_url(application))
    now = clock.now()
    owner = application.belongs_to(current_user)
    return render_template(
        "applications/show.html",
        application=application,
        contest=application.contest,
        rows=answer_rows(application, current_language()),
        owner=owner,
        can_withdraw=owner and operations.can_withdraw(application, now),
        hide_applicant=current_user.is_juror and application.contest.blind,
        contacts=access.may_see_contacts(application, current_user),
        now=now,
        **(_after_the_decision(application, now) if owner else {}),
    )


def _after_the_decision(application: Application, now) -> dict:
    """What the applicant's own page shows of SPEC §14: the outcome and the feedback once
    published, the appeal, and a request for a clarification."""
    contest = application.contest
    requests = clarifications.requests_of(application)
    return {
        "outcome": applicant_outcome(application),
        "feedback": applicant_feedback(application),
        "appeal": appeals.appeal_of(application) if contest.appeal_days else None,
        "appeal_problem": appeals.filing_problem(application, now),
        "appeals_close": lifecycle.appeals_close(contest),
        "clarification": requests[-1] if requests else None,
    }


@bp.route("/applications/<number>/withdraw", methods=["GET", "POST"])
@role_required(Role.APPLICANT)
def withdraw(number: str):
    """GET says what withdrawing does and until when the application can come back;
    POST withdraws it to a draft."""
    found = db.session.scalar(select(Application.id).where(Application.number == number))
    if found is None:
        abort(404)
    application = _own_application(found, lock=request.method == "POST")
    if request.method == "GET":
        if application.state == ApplicationState.DRAFT:
            return redirect(application_url(application))
        return render_template(
            "applications/withdraw.html",
            application=application,
            contest=application.contest,
            allowed=operations.can_withdraw(application, clock.now()),
        )
    try:
        operations.withdraw(application, actor=current_user._get_current_object())
    except ApplicationError as error:
        for _field, message in error.problems:
            flash(message, "danger")
        return redirect(application_url(application))
    db.session.commit()
    flash(
        _(
            "The application is withdrawn and is a draft again. Its number %(number)s stays: "
            "submit it again before the deadline.",
            number=application.number,
        ),
        "warning",
    )
    return redirect(application_url(application))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not access.can_view(attachment.application, current_user):
        abort(404)
    if current_user.is_juror and attachment.application.contest.blind:
        abort(404)  # blind scoring: jurors get files under a neutral name (judging.attachment)
    response = send_file(
        io.BytesIO(attachment.content),
        mimetype=attachment.content_type,
        etag=attachment.sha256,
        last_modified=attachment.uploaded_at,
        max_age=0,
    )
    name = files.typed_name(attachment.filename, attachment.content_type)
    response.headers["Content-Disposition"] = files.disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/my/applications")
@role_required(Role.APPLICANT)
def mine():
    organisation = current_user.organisation
    applications = (
        db.session.scalars(
            select(Application)
            .where(Application.organisation_id == organisation.id)
            .options(joinedload(Application.contest))
            .order_by(Application.created_at.desc())
        ).all()
        if organisation is not None
        else []
    )
    return render_template(
        "applications/mine.html",
        applications=applications,
        outcomes={a.id: applicant_outcome(a) for a in applications if a.state != "draft"},
        organisation=organisation,
        now=clock.now(),
    )
