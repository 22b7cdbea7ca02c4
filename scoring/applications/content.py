"""An application's content as people read it: answers in form order, files with labels.

``answer_rows`` serves the applicant's pages (the "check your answers" page links each
row back to its field), the receipt e-mail and the receipt PDF; ``required_progress``
counts the required answers a draft has; ``answers_and_files`` the pages of the
organisers and the jurors (``judging/_answers.html``), where a blind contest shows files
under neutral labels.
"""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..i18n import file_size_text
from ..models import Answer, Application, Attachment, Contest, QuestionKind
from .operations import field_name, question_label

FILE_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def with_content(number: str) -> Application | None:
    """The application numbered ``number`` with what ``answer_rows`` reads loaded: its
    contest's questions, its organisation, answers and attachments; None if there is none."""
    return db.session.scalar(
        select(Application)
        .where(Application.number == number)
        .options(
            joinedload(Application.contest).selectinload(Contest.questions),
            joinedload(Application.organisation),
            selectinload(Application.answers),
            selectinload(Application.attachments),
        )
    )


def answer_rows(application: Application, language: str) -> list[dict]:
    """Each question in order with its answer (text) or its file, for pages and e-mails."""
    answers = {a.question_id: a.value for a in application.answers}
    files = {a.question_id: a for a in application.attachments}
    rows = []
    for question in application.contest.questions:
        value = answers.get(question.id, "")
        if question.kind == QuestionKind.CHOICE:  # the option's label, not its code
            option = next((c for c in question.choices or [] if str(c.get("value")) == value), None)
            if option is not None:
                value = (option.get("en") if language == "en" else "") or option.get("uk") or value
        rows.append(
            {
                "label": question_label(question, language),
                "name": field_name(question),
                "required": question.required,
                "kind": question.kind.value,
                "value": value,
                "file": files.get(question.id),
            }
        )
    return rows


def required_progress(application: Application) -> tuple[int, int]:
    """(answered, required): the title and the required questions, counted as saved."""
    answers = {a.question_id: a.value.strip() for a in application.answers}
    files = {a.question_id for a in application.attachments}
    required = [q for q in application.contest.questions if q.required]
    answered = sum(
        q.id in files if q.kind == QuestionKind.FILE else bool(answers.get(q.id)) for q in required
    )
    return answered + bool(application.title.strip()), len(required) + 1


def attachment_label(attachment: Attachment, index: int, blind: bool) -> str:
    """«Файл 1 (PDF, 1,2 МБ)» in a blind contest, else the file's own name with the same."""
    kind = FILE_TYPES.get(attachment.content_type) or attachment.content_type.rpartition("/")[2]
    size = file_size_text(attachment.size)
    if blind:
        return _("File %(n)s (%(type)s, %(size)s)", n=index, type=kind.upper(), size=size)
    return _("%(name)s (%(type)s, %(size)s)", name=attachment.filename, type=kind, size=size)


def answers_and_files(application: Application, *, blind: bool, url) -> dict:
    """The answers by question and the attachments for ``judging/_answers.html`` (two
    queries); ``url(attachment)`` is where each file is downloaded from."""
    answers = {
        a.question_id: a.value
        for a in db.session.scalars(select(Answer).where(Answer.application_id == application.id))
    }
    attachments = db.session.scalars(
        select(Attachment)
        .where(Attachment.application_id == application.id)
        .order_by(Attachment.id)
    ).all()
    files = [
        {"question_id": a.question_id, "label": attachment_label(a, i, blind), "url": url(a)}
        for i, a in enumerate(attachments, start=1)
    ]
    questions = application.contest.questions
    question_ids = {q.id for q in questions}
    return {
        "questions": questions,
        "answers": answers,
        "files": files,
        "other_files": [f for f in files if f["question_id"] not in question_ids],
    }
