"""Clarification requests during screening (SPEC §14).

1. ``ask``: while the contest is in screening, an organiser asks the applicant of a
   submitted application to fix named answers or files, in a message, by a deadline (by
   default the end of the third working day, ``default_deadline``); an application has
   at most one open request at a time. The view e-mails the applicant (``notify``).
2. The applicant edits only the named questions, in a draft kept with the request
   (``save_draft``): texts in ``draft``, files as ``ClarificationFile`` rows. The
   application does not change.
3. ``send_answer`` checks the deadline on the server and the named answers as a
   submission does, then puts the draft's texts and files into the application and
   keeps what they replaced in ``previous``. After the deadline it is refused and the
   draft is kept, for the applicant to read.
4. Screening resumes when the request is answered or its deadline passes: until then the
   application is neither admitted nor rejected (``contests.applications.decide``) and
   judging cannot start (``lifecycle``).
5. ``send_reminders``: the day before the deadline the applicant is e-mailed once
   (``flask send-reminders``).

Asking, every saved draft, the answer and each reminder are in the audit log; the
organisers' page of the application shows the requests, the answers and their times.
Functions change models and write the audit entry; the view commits.
"""

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from .. import audit, clock, lifecycle, mail
from ..extensions import db
from ..i18n import long_datetime
from ..links import external_url
from ..models import (
    Answer,
    Application,
    ApplicationState,
    Attachment,
    ClarificationFile,
    ClarificationRequest,
    Contest,
    Question,
    QuestionKind,
    User,
)
from ..organisations import applicant_accounts
from .attachments import Upload, checked_file
from .operations import (
    ApplicationError,
    answer_problem,
    clean_text,
    field_name,
    question_label,
)

WORKING_DAYS = 3  # the usual rule for a missing document
LONGEST = timedelta(days=60)
MESSAGE_MAX = 5000
NOTE_MAX = 5000
TEXT_MAX = 50_000  # a draft answer; the question's own limit is checked on sending
ASKABLE = (ApplicationState.SUBMITTED, ApplicationState.ADMITTED, ApplicationState.REJECTED)


class ClarificationError(Exception):
    """A refusal; ``errors`` maps form fields ("" for the page) to messages."""

    def __init__(self, errors: dict):
        super().__init__(", ".join(errors))
        self.errors = errors


def default_deadline(moment: datetime) -> datetime:
    return clock.working_days_after(moment, WORKING_DAYS)


def requests_of(application: Application) -> list[ClarificationRequest]:
    """The application's requests, oldest first, with their files' names (two queries)."""
    return db.session.scalars(
        select(ClarificationRequest)
        .where(ClarificationRequest.application_id == application.id)
        .options(
            selectinload(ClarificationRequest.files),
            selectinload(ClarificationRequest.asked_by),
        )
        .order_by(ClarificationRequest.asked_at, ClarificationRequest.id)
    ).all()


def open_request(application: Application, moment: datetime) -> ClarificationRequest | None:
    """The request the applicant may still answer, if any."""
    return db.session.scalar(
        select(ClarificationRequest).where(
            ClarificationRequest.application_id == application.id,
            ClarificationRequest.answered_at.is_(None),
            ClarificationRequest.deadline > moment,
        )
    )


def named_questions(request: ClarificationRequest, contest: Contest) -> list[Question]:
    """The questions the request reopens, in the form's order."""
    wanted = set(request.question_ids or [])
    return [q for q in contest.questions if q.id in wanted]


# Asking --------------------------------------------------------------------------------


def ask(
    application: Application,
    *,
    message: str,
    question_ids: list[int],
    deadline: datetime | None,
    actor: User,
) -> ClarificationRequest:
    """Open a request on ``application``; ``ClarificationError`` names the fields at fault.
    The caller holds the application's row lock; a start of judging at once waits for
    this, or this for it (and then refuses)."""
    contest = application.contest
    lifecycle.hold_stage(contest)
    now = clock.now()
    if not lifecycle.screening_open(contest):
        raise ClarificationError(
            {"": _l("Clarifications are asked while the applications are being screened.")}
        )
    if application.state not in ASKABLE:
        raise ClarificationError({"": _l("Only a submitted application can be clarified.")})
    if open_request(application, now) is not None:
        raise ClarificationError(
            {
                "": _l(
                    "The applicant has an open request already: wait for the answer or its "
                    "deadline."
                )
            }
        )
    errors = {}
    message = (message or "").strip()
    if not message:
        errors["message"] = _l("Write what the applicant should fix or add.")
    elif len(message) > MESSAGE_MAX:
        errors["message"] = _l("Use at most %(max)d characters.", max=MESSAGE_MAX)
    known = {q.id for q in contest.questions}
    chosen = sorted(set(question_ids or []))
    if not chosen:
        errors["questions"] = _l("Choose at least one answer or file to reopen.")
    elif not set(chosen) <= known:
        errors["questions"] = _l("Choose from the options given.")
    if deadline is None:
        errors["deadline"] = _l("Enter the date and the time.")
    elif deadline <= now:
        errors["deadline"] = _l("The deadline must be in the future.")
    elif deadline > now + LONGEST:
        errors["deadline"] = _l("The deadline can be at most 60 days away.")
    if errors:
        raise ClarificationError(errors)
    request = ClarificationRequest(
        application=application,
        asked_by_id=actor.id,
        asked_at=now,
        deadline=deadline,
        message=message,
        question_ids=chosen,
        draft={},
        previous={},
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        "clarification.requested",
        actor=actor,
        contest=contest,
        obj=application,
        number=application.number,
        request=request.id,
        questions=chosen,
        deadline=deadline.isoformat(),
    )
    return request


def notify(request: ClarificationRequest, *, reminder: bool = False) -> int:
    """E-mail the request (or the reminder of its deadline) to the applicant; how many."""
    application = request.application
    contest = application.contest
    recipients = applicant_accounts(application)
    for user in recipients:
        language = user.language
        if reminder:
            subject = _l(
                "Reminder: answer the request about application %(number)s by %(moment)s",
                number=application.number,
                moment=long_datetime(request.deadline),
            )
        else:
            subject = _l(
                "Application %(number)s: the organisers ask for a clarification",
                number=application.number,
            )
        mail.send(
            user.email,
            subject,
            "clarification_requested",
            language=language,
            reminder=reminder,
            application=application,
            contest_title=contest.title(language),
            message=request.message,
            fields=[question_label(q, language) for q in named_questions(request, contest)],
            deadline=request.deadline,
            link=external_url("applications.clarification", number=application.number),
        )
    return len(recipients)


# Answering -----------------------------------------------------------------------------


def _refuse_unless_open(request: ClarificationRequest, now: datetime) -> None:
    if request.answered_at is not None:
        raise ClarificationError({"": _l("This request is answered already.")})
    if now >= request.deadline:
        raise ClarificationError(
            {
                "": _l(
                    "The answer was not sent: the deadline was %(moment)s (Kyiv time). Your "
                    "draft is kept.",
                    moment=long_datetime(request.deadline),
                )
            }
        )


def lock_request(request_id: int) -> ClarificationRequest | None:
    """The request, read afresh under a row lock held until the commit."""
    return db.session.scalar(
        select(ClarificationRequest)
        .where(ClarificationRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _other_files_size(request: ClarificationRequest, question_id: int) -> int:
    """The size the application's files would take without the one for ``question_id``,
    counting the files the draft replaces by their new versions."""
    replaced = {f.question_id: f.size for f in request.files if f.question_id != question_id}
    kept = db.session.execute(
        select(Attachment.question_id, Attachment.size).where(
            Attachment.application_id == request.application_id
        )
    ).all()
    total = sum(replaced.values())
    total += sum(size for qid, size in kept if qid != question_id and qid not in replaced)
    return total


def save_draft(
    request: ClarificationRequest,
    texts: dict,
    uploads: list[tuple[Question, Upload]],
    note: str | None,
    *,
    actor: User,
    language: str = "uk",
) -> dict:
    """Keep what the applicant typed and uploaded for the named questions; the errors by
    field name (what could be kept is kept). The caller holds the request's row lock.

    After the deadline the draft is still kept (the applicant loses nothing typed), but
    it can no longer be sent: it never reaches the application."""
    if request.answered_at is not None:
        raise ClarificationError({"": _l("This request is answered already.")})
    contest = request.application.contest
    named = {field_name(q): q for q in named_questions(request, contest)}
    errors = {}
    draft = dict(request.draft or {})
    for name, raw in texts.items():
        question = named.get(name)
        if question is None or question.kind == QuestionKind.FILE:
            continue  # only the named answers reopen
        if not isinstance(raw, str):
            errors[name] = _l("This value cannot be saved.")
            continue
        value = clean_text(raw)
        if len(value) > TEXT_MAX:
            errors[name] = _l("Too long to save: at most %(max)d characters.", max=TEXT_MAX)
            continue
        draft[str(question.id)] = value
    stored = []
    for question, upload in uploads:
        if field_name(question) not in named or question.kind != QuestionKind.FILE:
            continue
        try:
            detected, filename = checked_file(
                contest,
                question,
                upload,
                others=_other_files_size(request, question.id),
                language=language,
            )
        except ApplicationError as error:
            errors.update({name: message for name, message in error.problems})
            continue
        for old in [f for f in request.files if f.question_id == question.id]:
            request.files.remove(old)
        db.session.flush()
        item = ClarificationFile(
            question_id=question.id,
            filename=filename,
            content_type=detected,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            content=upload.data,
        )
        request.files.append(item)
        stored.append({"question": question.id, "sha256": item.sha256})
    if note is not None:
        note = clean_text(note).strip()
        if len(note) > NOTE_MAX:
            errors["note"] = _l("Use at most %(max)d characters.", max=NOTE_MAX)
        else:
            request.note = note
    request.draft = draft
    request.draft_saved_at = clock.now()
    db.session.flush()
    audit.record(
        "clarification.draft_saved",
        actor=actor,
        contest=contest,
        obj=request,
        application=request.application_id,
        questions=sorted(int(k) for k in draft),
        files=stored,
    )
    return errors


def draft_value(request: ClarificationRequest, question: Question, current: str) -> str:
    """The text of a named question as the applicant left it: the draft's, else ``current``
    (the application's answer)."""
    return (request.draft or {}).get(str(question.id), current)


def send_answer(request: ClarificationRequest, *, actor: User) -> list[int]:
    """Put the draft into the application; the ids of the questions changed.

    Refused after the deadline (the draft stays) and while a named answer would not pass
    submission (``ClarificationError`` by field name). The caller holds the row lock; a
    stage move at once waits for this, or this for it.
    """
    lifecycle.hold_stage(request.application.contest)
    now = clock.now()  # read under the lock: waiting for it cannot beat the deadline
    _refuse_unless_open(request, now)
    application = request.application
    contest = application.contest
    answers = {a.question_id: a for a in application.answers}
    files = {a.question_id: a for a in application.attachments}
    drafted = {f.question_id: f for f in request.files}
    errors = {}
    for question in named_questions(request, contest):
        name = field_name(question)
        if question.kind == QuestionKind.FILE:
            if question.required and question.id not in drafted and question.id not in files:
                errors[name] = _l("Attach the file.")
            continue
        current = answers.get(question.id)
        value = draft_value(request, question, current.value if current else "")
        if not value.strip():
            if question.required:
                errors[name] = _l("This field is required.")
            continue
        problem = answer_problem(question, value.strip())
        if problem is not None:
            errors[name] = problem
    if errors:
        raise ClarificationError(errors)
    previous, changed = {}, []
    for question in named_questions(request, contest):
        key = str(question.id)
        if question.kind == QuestionKind.FILE:
            new = drafted.get(question.id)
            if new is None:
                continue
            old = files.get(question.id)
            previous[key] = {"file": old.filename, "sha256": old.sha256} if old else {"file": ""}
            if old is not None:
                application.attachments.remove(old)
            application.attachments.append(
                Attachment(
                    question_id=question.id,
                    filename=new.filename,
                    content_type=new.content_type,
                    size=new.size,
                    sha256=new.sha256,
                    content=new.content,
                    uploaded_by_id=actor.id,
                )
            )
            changed.append(question.id)
        elif key in (request.draft or {}):
            old = answers.get(question.id)
            value = request.draft[key]
            if old is not None and old.value == value:
                continue
            previous[key] = {"text": old.value if old else ""}
            if old is None:
                application.answers.append(Answer(question_id=question.id, value=value))
            else:
                old.value = value
            changed.append(question.id)
    request.files.clear()  # moved into the application
    request.previous = previous
    request.answered_at = now
    request.answered_by_id = actor.id
    application.updated_at = now
    db.session.flush()
    audit.record(
        "clarification.answered",
        actor=actor,
        contest=contest,
        obj=application,
        number=application.number,
        request=request.id,
        changed=changed,
        files=[
            {"question": a.question_id, "sha256": a.sha256}
            for a in application.attachments
            if a.question_id in changed
        ],
    )
    return changed


# Reminders -----------------------------------------------------------------------------


def due_for_reminder(moment: datetime) -> list[int]:
    """Ids of the open requests whose deadline is tomorrow or today (Kyiv) and whose
    applicant has not been reminded."""
    tomorrow = clock.end_of_day(clock.kyiv_day(moment) + timedelta(days=1))
    return db.session.scalars(
        select(ClarificationRequest.id)
        .where(
            ClarificationRequest.answered_at.is_(None),
            ClarificationRequest.reminded_at.is_(None),
            ClarificationRequest.deadline > moment,
            ClarificationRequest.deadline <= tomorrow,
        )
        .order_by(ClarificationRequest.deadline, ClarificationRequest.id)
    ).all()


def send_reminders() -> tuple[int, int]:
    """Remind each applicant once, the day before the deadline; (sent, failed).

    Each reminder is claimed (``reminded_at`` set where it was empty) and committed with
    its audit entry only once the e-mail has gone: two runs at once send it once, and a
    failed e-mail is tried again at the next run.
    """
    sent = failed = 0
    now = clock.now()
    for request_id in due_for_reminder(now):
        claimed = db.session.execute(
            update(ClarificationRequest)
            .where(
                ClarificationRequest.id == request_id,
                ClarificationRequest.reminded_at.is_(None),
            )
            .values(reminded_at=now)
        ).rowcount
        if not claimed:
            db.session.rollback()
            continue
        request = db.session.get(ClarificationRequest, request_id)
        try:
            count = notify(request, reminder=True)
        except OSError:
            current_app.logger.exception("clarification reminder %s not sent", request_id)
            db.session.rollback()
            failed += 1
            continue
        audit.record(
            "clarification.reminded",
            contest=request.application.contest,
            obj=request,
            application=request.application_id,
            recipients=count,
        )
        db.session.commit()
        sent += 1
    return sent, failed
