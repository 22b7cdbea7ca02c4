"""State changes of applications (SPEC §5); an organisation's details are in
``scoring.organisations``.

The workflow of an application:

1. ``start_application`` checks eligibility (kind, oblast, the contest accepting
   applications now) and creates the draft; one per organisation and contest, so
   starting again returns the existing one.
2. ``save_answers`` stores what was typed, field by field, checking only sane maximum
   sizes; ``attachments.store_attachment`` / ``remove_attachment`` manage the files
   of file questions, checked by content and size. The caller holds the application's row
   lock (``lock_application``), so concurrent saves of different fields queue and none
   is lost; on SQLite a writing request already holds the database's write lock.
3. ``submit`` validates everything at once, checks the deadline on the server under
   the contest's row lock and gives the first submission the next registration number
   ``<PREFIX>-<YEAR>-<NNN>`` from ``Contest.last_number`` (never reused).
4. ``withdraw`` returns a submitted application to a draft before the deadline; the
   number stays and the next submission keeps it.

Functions change models and write the audit entry; the view commits. Draft answers are
not audited one by one (they change as the applicant types); starting, files,
submission and withdrawal are.
"""

from decimal import Decimal
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, clock, i18n, lifecycle, money
from ..extensions import db
from ..forms import LINE_BREAKS, ONE_LINE
from ..i18n import input_number, kind_label, long_datetime, oblast_name
from ..models import (
    Answer,
    Application,
    ApplicationState,
    Contest,
    Organisation,
    Question,
    QuestionKind,
    Stage,
    User,
)

TITLE_FIELD = "title"
TITLE_MAX = 300  # the column's size
# What a draft may hold beyond a question's own limit: typing past the limit is saved
# (and reported on submission), a pasted book is not.
LOOSE_TEXT_MAX = 2_000
LOOSE_TEXTAREA_MAX = 50_000


class ApplicationError(Exception):
    """A refusal; ``problems`` are (field name or "", message) pairs, every one at once;
    ``late``: refused because the deadline has passed (nothing to correct in the form)."""

    def __init__(self, problems: list[tuple[str, object]], late: bool = False):
        super().__init__("; ".join(str(message) for _field, message in problems))
        self.problems, self.late = problems, late


# Starting an application ------------------------------------------------------------


LATER_ROUND = _l(
    "This is a later round of the contest: only the applicants who advanced from the round "
    "before take part in it; their applications are created when that round's results are "
    "published."
)


def eligibility_problems(contest: Contest, organisation: Organisation | None, now) -> list:
    """Why ``organisation`` cannot start an application to ``contest`` at ``now``. Nobody
    starts one in a later round (SPEC §13): publishing the round before creates the
    applications of those who advance."""
    if contest.previous_round_id is not None:
        return [LATER_ROUND]
    return organisation_problems(contest, organisation) + deadline_problems(contest, now)


def organisation_problems(contest: Contest, organisation: Organisation | None) -> list:
    """Why ``organisation`` is not eligible for ``contest`` (its kind, its oblast)."""
    if organisation is None:
        return [_l("Fill in your organisation’s details first.")]
    problems = []
    if organisation.kind.value not in contest.applicant_kinds:
        problems.append(
            _l(
                "This contest accepts applications from: %(kinds)s. Your organisation is "
                "registered as: %(kind)s.",
                kinds=", ".join(kind_label(k) for k in contest.applicant_kinds),
                kind=kind_label(organisation.kind),
            )
        )
    if contest.oblasts and organisation.oblast not in contest.oblasts:
        problems.append(
            _l(
                "This contest is open to organisations of these oblasts: %(oblasts)s. Your "
                "organisation is in %(oblast)s.",
                oblasts=", ".join(oblast_name(o) for o in contest.oblasts),
                oblast=oblast_name(organisation.oblast),
            )
        )
    return problems


def deadline_problems(contest: Contest, now) -> list:
    """Why the contest does not accept applications at ``now`` (empty when it does)."""
    if contest.accepts_applications(now):
        return []
    if contest.stage == Stage.OPEN and now < contest.opens_at:
        return [
            _l(
                "Applications are accepted from %(moment)s (Kyiv time).",
                moment=long_datetime(contest.opens_at),
            )
        ]
    if contest.stage in (Stage.DRAFT, Stage.OPEN) and now < contest.closes_at:
        return [_l("The contest does not accept applications.")]
    return [
        _l(
            "Applications to this contest closed at %(moment)s (Kyiv time).",
            moment=long_datetime(contest.closes_at),
        )
    ]


def find_application(contest: Contest, organisation: Organisation) -> Application | None:
    return db.session.scalar(
        select(Application).where(
            Application.contest_id == contest.id, Application.organisation_id == organisation.id
        )
    )


def start_application(contest: Contest, user: User) -> Application:
    """The organisation's application to ``contest``: the existing one, or a new draft."""
    organisation = user.organisation
    if organisation is not None:
        existing = find_application(contest, organisation)
        if existing is not None:
            return existing
    problems = eligibility_problems(contest, organisation, clock.now())
    if problems:
        raise ApplicationError([("", p) for p in problems])
    application = Application(contest=contest, organisation=organisation)
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:
        # Started at the same moment in another tab: that one is the application.
        return find_application(contest, organisation)
    audit.record("application.started", actor=user, contest=contest, obj=application)
    return application


# Drafts -----------------------------------------------------------------------------


def lock_application(application_id: int) -> Application | None:
    """The application, read afresh under a row lock held until the commit."""
    return db.session.scalar(
        select(Application)
        .where(Application.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def field_name(question: Question) -> str:
    """The name of a question's input in forms and in autosave requests."""
    return f"q-{question.id}"


def clean_text(value: str) -> str:
    """What a person typed, storable everywhere: no NUL bytes, Unix line ends."""
    return value.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def _loose_limit(question: Question) -> int:
    base = LOOSE_TEXTAREA_MAX if question.kind == QuestionKind.TEXTAREA else LOOSE_TEXT_MAX
    return max(base, 2 * (question.max_length or 0))


def editable(application: Application) -> bool:
    """Whether the applicant can change the application now (a draft of an open contest)."""
    return application.state == ApplicationState.DRAFT and application.contest.stage == Stage.OPEN


def save_answers(application: Application, values: dict) -> tuple[list[str], dict]:
    """Store the typed ``values`` ({field name: text}); return (saved names, errors).

    Only sizes are checked here; ``submit`` checks the rest. Unknown names are ignored
    (a question the organisers have since removed). Each answer is an upsert of its own
    row, so saving one field never touches another.
    """
    if not editable(application):
        raise ApplicationError([("", _l("This application cannot be changed now."))])
    questions = {field_name(q): q for q in application.contest.questions}
    answers = {a.question_id: a for a in application.answers}
    saved, errors = [], {}
    for name, raw in values.items():
        if not isinstance(raw, str):
            errors[name] = _l("This value cannot be saved.")
            continue
        value = clean_text(raw)
        if name == TITLE_FIELD:
            value = value.strip()
            if len(value) > TITLE_MAX:
                errors[name] = _l("Too long to save: at most %(max)d characters.", max=TITLE_MAX)
                continue
            application.title = value
        elif name == money.REQUESTED_FIELD:
            problem = money.save_requested(application, value)
            if problem is not None:
                errors[name] = problem
                continue
        elif name in questions and questions[name].kind != QuestionKind.FILE:
            question = questions[name]
            if len(value) > _loose_limit(question):
                errors[name] = _l(
                    "Too long to save: at most %(max)d characters.", max=_loose_limit(question)
                )
                continue
            answer = answers.get(question.id)
            if answer is None:
                answer = Answer(question_id=question.id, value=value)
                application.answers.append(answer)
                answers[question.id] = answer
            else:
                answer.value = value
        else:
            continue
        saved.append(name)
    if saved:
        application.updated_at = clock.now()
        db.session.flush()
    return saved, errors


def question_label(question: Question, language: str = "uk") -> str:
    return (question.label_en if language == "en" else "") or question.label_uk


# Submission -------------------------------------------------------------------------


def _number_text(value: Decimal) -> str:
    return input_number(value)  # «1,5» in Ukrainian, as the applicant would type it


def answer_problem(question: Question, value: str):
    """What is wrong with a non-empty answer to ``question`` for submission, or None."""
    if question.kind in (QuestionKind.TEXT, QuestionKind.TEXTAREA):
        if question.kind == QuestionKind.TEXT and LINE_BREAKS.search(value):
            return ONE_LINE
        if question.max_length and len(value) > question.max_length:
            return _l(
                "Shorten the text to %(max)d characters (now %(count)d).",
                max=question.max_length,
                count=len(value),
            )
    elif question.kind == QuestionKind.NUMBER:
        number = i18n.parse_number(value)
        if number is None:
            return _l("Enter a number, e.g. 1250 or 12.5.")
        low, high = question.min_value, question.max_value
        if low is not None and high is not None and not low <= number <= high:
            return _l(
                "Enter a number from %(min)s to %(max)s.",
                min=_number_text(low),
                max=_number_text(high),
            )
        if low is not None and number < low:
            return _l("Enter a number not less than %(min)s.", min=_number_text(low))
        if high is not None and number > high:
            return _l("Enter a number not greater than %(max)s.", max=_number_text(high))
    elif question.kind == QuestionKind.URL:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            return _l("Enter a web address that starts with http:// or https://.")
        if len(value) > 2000:
            return _l("The address is too long.")
    elif question.kind == QuestionKind.CHOICE and value not in {
        str(c.get("value")) for c in question.choices or []
    }:
        return _l("Choose one of the options.")
    return None


def submission_problems(application: Application) -> list:
    """Every problem that keeps the application from being submitted, in form order."""
    problems = []
    if not application.title.strip():
        problems.append((TITLE_FIELD, _l("Give the application a title.")))
    elif LINE_BREAKS.search(application.title):
        problems.append((TITLE_FIELD, ONE_LINE))
    problems.extend(money.requested_problems(application))
    answers = {a.question_id: a.value for a in application.answers}
    files = {a.question_id for a in application.attachments}
    for question in application.contest.questions:
        name = field_name(question)
        if question.kind == QuestionKind.FILE:
            if question.required and question.id not in files:
                problems.append((name, _l("Attach the file.")))
            continue
        value = answers.get(question.id, "").strip()
        if not value:
            if question.required:
                problems.append((name, _l("This field is required.")))
            continue
        problem = answer_problem(question, value)
        if problem is not None:
            problems.append((name, problem))
    problems.extend(
        ("", problem)
        for problem in organisation_problems(application.contest, application.organisation)
    )
    return problems


def lock_contest(contest_id: int) -> Contest:
    return db.session.execute(
        select(Contest)
        .where(Contest.id == contest_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def register(application: Application, contest: Contest, now) -> None:
    """Submit the application at ``now``, numbered the first time with the contest's next
    registration number; the caller holds the contest's row lock (``lock_contest``)."""
    if application.serial is None:
        contest.last_number += 1
        application.serial = contest.last_number
        year = now.astimezone(clock.KYIV).year
        application.number = f"{contest.number_prefix}-{year}-{application.serial:03d}"
    application.state = ApplicationState.SUBMITTED
    application.submitted_at = now


def submit(application: Application, *, actor: User) -> None:
    """Submit a draft: validate, check the deadline, number it (the first time), audit.

    The caller holds the application's row lock; this takes the contest's, so
    registration numbers are handed out one at a time and never twice.
    """
    if application.state != ApplicationState.DRAFT:
        raise ApplicationError([("", _l("The application is already submitted."))])
    contest = lock_contest(application.contest_id)
    now = clock.now()  # read under the lock: a wait for it cannot beat the deadline
    late = deadline_problems(contest, now)
    if late:
        raise ApplicationError(
            [
                (
                    "",
                    _l(
                        "The application was not submitted: %(reason)s Your draft is kept.",
                        reason=late[0],
                    ),
                )
            ],
            late=True,
        )
    problems = submission_problems(application)
    if problems:
        raise ApplicationError(problems)
    register(application, contest, now)
    db.session.flush()
    audit.record(
        "application.submitted",
        actor=actor,
        contest=contest,
        obj=application,
        number=application.number,
    )


def can_withdraw(application: Application, now) -> bool:
    return (
        application.state == ApplicationState.SUBMITTED
        and application.contest.accepts_applications(now)
    )


def withdraw(application: Application, *, actor: User) -> None:
    """Back to a draft before the deadline; the registration number stays."""
    if application.state != ApplicationState.SUBMITTED:
        raise ApplicationError([("", _l("Only a submitted application can be withdrawn."))])
    lifecycle.hold_stage(application.contest)  # an early close waits for this, or it for it
    if not application.contest.accepts_applications(clock.now()):
        raise ApplicationError(
            [("", _l("Applications are closed: the application can no longer be withdrawn."))]
        )
    application.state = ApplicationState.DRAFT
    application.submitted_at = None
    application.updated_at = clock.now()
    db.session.flush()
    audit.record(
        "application.withdrawn",
        actor=actor,
        contest=application.contest,
        obj=application,
        number=application.number,
    )
