"""An application's attached files (SPEC §5): recognised by their first bytes and never
by their name, checked against the contest's rules and sizes, stored without their
metadata, named safely; removed while the application can be changed. The
clarification answers (``clarifications``) check their files here too.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import audit, clock, files
from ..extensions import db
from ..i18n import file_size_text
from ..models import Application, Attachment, Contest, Question, User
from .operations import ApplicationError, editable, field_name, question_label

# Attachments are recognised by their first bytes, never by their name.
SIGNATURES = (
    ("application/pdf", b"%PDF-"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
)
TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
EXTENSIONS = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
DEFAULT_EXTENSION = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
FILENAME_MAX = 150


def sniff(data: bytes) -> str | None:
    """The content type that ``data`` really is, by its first bytes, or None."""
    return next((kind for kind, magic in SIGNATURES if data.startswith(magic)), None)


def allowed_types(contest: Contest, question: Question) -> list[str]:
    """The types a file question accepts: the contest's, narrowed by the question's own."""
    return [
        t
        for t in contest.attachment_types
        if t in TYPE_LABELS and (not question.file_types or t in question.file_types)
    ]


def type_names(types) -> str:
    return ", ".join(TYPE_LABELS.get(t, t) for t in types)


def clean_filename(name: str | None, content_type: str) -> str:
    """A file name safe to show and to offer for download, close to the original."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters (a right-to-left override can disguise «fdp.exe»).
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r'[<>:"|?*;]', "_", name)
    name = " ".join(name.split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = f".{extension}" if extension else ""
    if not stem:
        stem, extension = "file", DEFAULT_EXTENSION.get(content_type, "")
    if len(stem) + len(extension) > FILENAME_MAX:
        extension = extension[:10]
        stem = stem[: FILENAME_MAX - len(extension)]
    return stem + extension


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as sent and its first ``limit + 1`` bytes at most."""

    filename: str
    data: bytes


def store_attachment(
    application: Application, question: Question, upload: Upload, *, actor: User, language="uk"
) -> Attachment:
    """Keep ``upload`` as the answer to a file question, replacing the previous file."""
    if not editable(application):
        raise ApplicationError([("", _l("This application cannot be changed now."))])
    contest = application.contest
    previous = next((a for a in application.attachments if a.question_id == question.id), None)
    others = db.session.scalar(
        select(func.coalesce(func.sum(Attachment.size), 0)).where(
            Attachment.application_id == application.id,
            Attachment.id != (previous.id if previous else -1),
        )
    )
    detected, name = checked_file(contest, question, upload, others=others, language=language)
    attachment = Attachment(
        question_id=question.id,
        filename=name,
        content_type=detected,
        size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        content=upload.data,
        uploaded_by_id=actor.id,
    )
    if previous is not None:
        application.attachments.remove(previous)
    application.attachments.append(attachment)
    application.updated_at = clock.now()
    db.session.flush()
    audit.record(
        "attachment.uploaded",
        actor=actor,
        contest=contest,
        obj=attachment,
        application=application.id,
        question=question.id,
        size=attachment.size,
        sha256=attachment.sha256,
        replaced=previous.id if previous else None,
    )
    return attachment


def checked_file(
    contest: Contest, question: Question, upload: Upload, *, others: int, language="uk"
) -> tuple[str, str]:
    """The type ``upload`` really is and the name to keep it under, once it passes every
    check of the contest's rules; ``others``: the size of the application's other files.
    Refused with ``ApplicationError`` naming the field."""
    name = field_name(question)
    label = question_label(question, language)
    data = upload.data

    def refuse(message):
        return ApplicationError([(name, message)])

    if not data:
        raise refuse(_l("«%(field)s»: the file is empty.", field=label))
    allowed = allowed_types(contest, question)
    detected = sniff(data)
    claimed = EXTENSIONS.get(
        "." + upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    )
    shown = clean_filename(upload.filename, detected or "")
    if claimed and detected != claimed:
        raise refuse(
            _l(
                "«%(field)s»: the file «%(file)s» is not a real %(type)s document: "
                "its content is of another kind. Upload the file itself, not a "
                "renamed one.",
                field=label,
                file=shown,
                type=TYPE_LABELS[claimed],
            )
        )
    if detected not in allowed:
        raise refuse(
            _l(
                "«%(field)s»: the file «%(file)s» is not of an accepted type. Accepted: %(types)s.",
                field=label,
                file=shown,
                types=type_names(allowed),
            )
        )
    if len(data) > contest.max_file_size:
        raise refuse(
            _l(
                "«%(field)s»: the file «%(file)s» is larger than %(max)s allowed for one file.",
                field=label,
                file=shown,
                max=file_size_text(contest.max_file_size),
            )
        )
    if contest.blind:
        try:
            files.without_metadata(data, detected)
        except files.Unreadable as error:
            raise refuse(files.refusal(error, label, shown)) from error
    if others + len(data) > contest.max_total_size:
        raise refuse(
            _l(
                "«%(field)s»: with the file «%(file)s» the application’s files would "
                "take %(total)s, more than %(max)s allowed for one application. Make "
                "the files smaller or remove one.",
                field=label,
                file=shown,
                total=file_size_text(others + len(data)),
                max=file_size_text(contest.max_total_size),
            )
        )
    return detected, files.typed_name(shown, detected)


def remove_attachment(application: Application, attachment_id: int, *, actor: User) -> None:
    if not editable(application):
        raise ApplicationError([("", _l("This application cannot be changed now."))])
    attachment = next((a for a in application.attachments if a.id == attachment_id), None)
    if attachment is None:
        return  # already removed (a second click)
    application.attachments.remove(attachment)
    application.updated_at = clock.now()
    db.session.flush()
    audit.record(
        "attachment.removed",
        actor=actor,
        contest=application.contest,
        obj=attachment,
        application=application.id,
        sha256=attachment.sha256,
    )
