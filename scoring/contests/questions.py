"""The application form of a contest: its questions (SPEC §4, §5).

While the contest is a draft, anything about a question can change. Once it has opened,
applicants may have answered, so nothing may change that would make a submitted
application invalid or lose an answer: a question cannot be removed, its key and kind
stay, an optional question cannot become required (nor can a required one be added),
and limits can only widen (a longer text, a wider range of numbers, more options or
file types). Wording, help texts and the order can still change. An archived contest
changes no more.

Functions take models and plain values, check these rules, change the models and write
the audit entry; the view commits. A refusal raises ``ContestError`` naming the fields
to blame, before anything has changed.
"""


from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import audit, lifecycle
from ..extensions import db
from ..models import Contest, Question, Stage, User
from . import naming
from .criteria import differs, move
from .operations import ContestError

ARCHIVED = _l("The contest is archived: nothing in it can change.")
OPEN = _l(
    "The contest has opened and applicants may already have answered. To keep every "
    "submitted application valid, this cannot change now; wording and help texts can."
)
KEY_TAKEN = _l("Another question of this contest already has this key; choose another one.")

# File types an organiser may meet among a contest's attachment types, by MIME type.
FILE_TYPE_NAMES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/msword": "DOC",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "text/plain": "TXT",
    "text/csv": "CSV",
    "application/zip": "ZIP",
}


def file_type_name(mime_type: str) -> str:
    return FILE_TYPE_NAMES.get(mime_type, mime_type)


def _key_taken(contest: Contest, key: str, question: Question | None = None) -> bool:
    query = select(Question.id).where(
        Question.contest_id == contest.id, func.lower(Question.key) == key.lower()
    )
    if question is not None:
        query = query.where(Question.id != question.id)
    return db.session.scalar(query) is not None


def add_question(contest: Contest, values: dict, *, actor: User) -> Question:
    """A new question at the end of the form; an empty key is made from its wording."""
    if not values["key"]:
        values = {
            **values,
            "key": naming.key_from(values["label_uk"], lambda key: _key_taken(contest, key)),
        }
    if lifecycle.archived(contest):
        raise ContestError({"key": ARCHIVED})
    if contest.stage != Stage.DRAFT and values["required"]:
        raise ContestError(
            {
                "required": _l(
                    "The contest has opened: a new question can only be optional, because "
                    "applications already submitted have no answer to it."
                )
            }
        )
    if _key_taken(contest, values["key"]):
        raise ContestError({"key": KEY_TAKEN})
    last = db.session.scalar(
        select(func.max(Question.position)).where(Question.contest_id == contest.id)
    )
    question = Question(contest=contest, position=0 if last is None else last + 1, **values)
    db.session.add(question)
    db.session.flush()
    audit.record(
        "question.created",
        actor=actor,
        contest=contest,
        obj=question,
        key=question.key,
        kind=question.kind.value,
        required=question.required,
    )
    return question


def _allowed_types(question_types, contest: Contest) -> set[str]:
    return set(question_types or contest.attachment_types or [])


def _narrowed(question: Question, values: dict) -> list[str]:
    """The limits in ``values`` that would refuse an answer the question accepts now."""
    narrowed = []
    old, new = question.max_length, values["max_length"]
    if new is not None and (old is None or new < old):
        narrowed.append("max_length")
    old, new = question.min_value, values["min_value"]
    if new is not None and (old is None or new > old):
        narrowed.append("min_value")
    old, new = question.max_value, values["max_value"]
    if new is not None and (old is None or new < old):
        narrowed.append("max_value")
    old_values = {option["value"] for option in question.choices or []}
    if old_values - {option["value"] for option in values["choices"] or []}:
        narrowed.append("choices")
    contest = question.contest
    if _allowed_types(question.file_types, contest) - _allowed_types(values["file_types"], contest):
        narrowed.append("file_types")
    return narrowed


def update_question(question: Question, values: dict, *, actor: User) -> list[str]:
    """Apply the changed values and return their names; refuse what the stage forbids."""
    if not values["key"]:  # left empty: it stays
        values = {**values, "key": question.key}
    contest = question.contest
    changed = [name for name, value in values.items() if differs(getattr(question, name), value)]
    errors = {}
    if lifecycle.archived(contest):
        errors = dict.fromkeys(changed, ARCHIVED)
    elif contest.stage != Stage.DRAFT:
        refused = [name for name in ("key", "kind") if name in changed]
        if values["required"] and not question.required:
            refused.append("required")
        if "kind" not in changed:  # a changed kind is refused already; its limits differ
            refused += [name for name in _narrowed(question, values) if name in changed]
        errors = dict.fromkeys(refused, OPEN)
    if "key" in changed and "key" not in errors and _key_taken(contest, values["key"], question):
        errors["key"] = KEY_TAKEN
    if errors:
        raise ContestError(errors)
    for name in changed:
        setattr(question, name, values[name])
    if changed:
        db.session.flush()
        audit.record(
            "question.updated",
            actor=actor,
            contest=contest,
            obj=question,
            key=question.key,
            fields=changed,
        )
    return changed


def removal_problem(question: Question):
    """Why the question cannot be removed now, or None."""
    stage = question.contest.stage
    if lifecycle.archived(question.contest):
        return ARCHIVED
    if stage != Stage.DRAFT:
        return _l(
            "The contest has opened and applicants may already have answered this question: "
            "removing it would lose their answers. You can make it optional or reword it."
        )
    return None


def remove_question(question: Question, *, actor: User) -> None:
    problem = removal_problem(question)
    if problem:
        raise ContestError({"question": problem})
    contest = question.contest
    audit.record(
        "question.removed",
        actor=actor,
        contest=contest,
        obj=question,
        key=question.key,
        label_uk=question.label_uk,
    )
    contest.questions.remove(question)  # delete-orphan deletes the row
    for position, item in enumerate(contest.questions):
        item.position = position
    db.session.flush()


def move_question(question: Question, direction: str, *, actor: User) -> bool:
    """Move the question one place up or down; False when it is already at that end."""
    contest = question.contest
    if lifecycle.archived(contest):
        raise ContestError({"question": ARCHIVED})
    moved = move(contest.questions, question, direction)
    if moved is None:
        return False
    db.session.flush()
    audit.record(
        "question.moved",
        actor=actor,
        contest=contest,
        obj=question,
        key=question.key,
        from_position=moved[0] + 1,
        to_position=moved[1] + 1,
    )
    return True
