"""The applicant's answer to a request for a clarification (SPEC §14), joining ``views.bp``.

``/applications/<number>/clarification`` shows the latest request of the organisation's
own application: exactly what is asked, the deadline, and a form with only the named
answers and files. "Save the draft" keeps what was typed; "Send the answer" saves and
sends it before the deadline, after which it is refused and the draft kept. Anyone but
the applicant, and an application without a request, gets 404.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..access import own_submitted_or_404
from ..auth import role_required
from ..extensions import db
from ..i18n import current_language, long_datetime
from ..models import Application, Contest, QuestionKind, Role
from ..requestguard import accepts_files, refuse_files_except
from . import clarifications
from .attachments import Upload
from .operations import field_name
from .views import bp


def _answer(current, typed: dict, questions, *, send: bool) -> dict:
    """Save the draft from the request, then send it when asked; the errors by field."""
    uploads = []
    for question in questions:
        upload = request.files.get(field_name(question))
        if question.kind == QuestionKind.FILE and upload is not None and upload.filename:
            data = upload.stream.read(current.application.contest.max_file_size + 1)
            uploads.append((question, Upload(upload.filename, data)))
    user = current_user._get_current_object()
    errors = clarifications.save_draft(
        current, typed, uploads, request.form.get("note"), actor=user, language=current_language()
    )
    if not errors and send:
        clarifications.send_answer(current, actor=user)
    return errors


@bp.route("/applications/<number>/clarification", methods=["GET", "POST"])
@role_required(Role.APPLICANT)
@accepts_files
def clarification(number: str):
    application = own_submitted_or_404(
        number,
        joinedload(Application.contest).selectinload(Contest.questions),
        selectinload(Application.answers),
        selectinload(Application.attachments),
    )
    requests = clarifications.requests_of(application)
    if not requests:
        abort(404)
    current = requests[-1]
    contest = application.contest
    questions = clarifications.named_questions(current, contest)
    errors, typed, status = {}, {}, 200
    if request.method == "POST":
        refuse_files_except({field_name(q) for q in questions if q.kind == QuestionKind.FILE})
        current = clarifications.lock_request(current.id)
        typed = {
            field_name(q): request.form[field_name(q)]
            for q in questions
            if q.kind != QuestionKind.FILE and field_name(q) in request.form
        }
        try:
            errors = _answer(current, typed, questions, send=request.form.get("action") == "send")
        except clarifications.ClarificationError as error:
            errors = error.errors
        db.session.commit()  # the draft as typed is kept, even when it cannot be sent
        if not errors:
            if current.answered_at is not None:
                flash(
                    _(
                        "The answer is sent to the organisers at %(moment)s; they will "
                        "continue screening the application.",
                        moment=long_datetime(current.answered_at),
                    ),
                    "success",
                )
                return redirect(url_for("applications.show", number=number))
            flash(_("The draft of the answer is saved; it is not sent yet."), "success")
            return redirect(url_for(".clarification", number=number))
        status = 409 if "" in errors else 422
    now = clock.now()
    answers = {a.question_id: a.value for a in application.answers}
    return render_template(
        "applications/clarification.html",
        application=application,
        contest=contest,
        current=current,
        earlier=requests[:-1],
        questions=questions,
        values={
            field_name(q): typed.get(
                field_name(q), clarifications.draft_value(current, q, answers.get(q.id, ""))
            )
            for q in questions
        },
        files={a.question_id: a for a in application.attachments},
        drafted={f.question_id: f for f in current.files},
        errors={name: [str(message)] for name, message in errors.items() if name},
        refusal=errors.get(""),
        can_send=current.is_open(now),
        now=now,
    ), status
