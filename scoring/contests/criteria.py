"""A contest's criteria: add, edit, remove and reorder them (SPEC §4, §6).

The order of the criteria is also the tie-break order of the ranking (SPEC §6.5). A
criterion's maximum, weight and step decide every juror's total, so they are fixed —
and criteria can be neither added, removed nor reordered — once scoring has started:
from the judging stage on, or as soon as any score exists in the contest (scores can
also arrive earlier, through ``import-scores``). Wording (titles, guidance, the code)
can change until the contest is archived; the minimum for a criterion, like the other
thresholds, until the results are published.

Functions take models and plain values, check these rules, change the models and write
the audit entry; the view commits. A refusal raises ``ContestError`` naming the fields
to blame, before anything has changed.
"""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import audit, lifecycle
from ..extensions import db
from ..models import Contest, Criterion, Score, User
from .operations import ContestError

SCORING_FIELDS = ("max_points", "weight", "step")
ARCHIVED = _l("The contest is archived: nothing in it can change.")


def scored_criteria(contest: Contest) -> set[int]:
    """Ids of the contest's criteria that have at least one score (one query)."""
    return set(
        db.session.scalars(
            select(Score.criterion_id)
            .join(Criterion, Criterion.id == Score.criterion_id)
            .where(Criterion.contest_id == contest.id)
            .distinct()
        )
    )


def scoring_lock(contest: Contest, scored: set[int], criterion: Criterion | None = None):
    """Why the scoring rules (maximum, weight, step, the set and order of criteria) are
    fixed now, or None when they can still change. ``scored`` is ``scored_criteria``."""
    if lifecycle.archived(contest):
        return ARCHIVED
    if criterion is not None and criterion.id in scored:
        return _l(
            "Jurors have already given points on this criterion. Its maximum, weight and "
            "step cannot change and it cannot be removed: the scores given would no longer "
            "fit."
        )
    if lifecycle.scoring_started(contest):
        return _l(
            "Judging has started. The criteria’s maximum points, weights and steps, their "
            "order and their number are fixed, so that every application is scored and "
            "ranked by the same rules."
        )
    if scored:
        return _l(
            "Jurors have already given points in this contest. The criteria’s maximum points, "
            "weights and steps, their order and their number are fixed, so that every "
            "application is scored and ranked by the same rules."
        )
    return None


def _code_taken(contest: Contest, code: str, criterion: Criterion | None = None) -> bool:
    query = select(Criterion.id).where(
        Criterion.contest_id == contest.id, func.upper(Criterion.code) == code.upper()
    )
    if criterion is not None:
        query = query.where(Criterion.id != criterion.id)
    return db.session.scalar(query) is not None


CODE_TAKEN = _l("Another criterion of this contest already has this code; choose another one.")


def add_criterion(contest: Contest, values: dict, *, actor: User) -> Criterion:
    """A new criterion at the end of the list."""
    lock = scoring_lock(contest, scored_criteria(contest))
    if lock:
        raise ContestError({"code": lock})
    if _code_taken(contest, values["code"]):
        raise ContestError({"code": CODE_TAKEN})
    last = db.session.scalar(
        select(func.max(Criterion.position)).where(Criterion.contest_id == contest.id)
    )
    criterion = Criterion(contest=contest, position=0 if last is None else last + 1, **values)
    db.session.add(criterion)
    db.session.flush()
    audit.record(
        "criterion.created",
        actor=actor,
        contest=contest,
        obj=criterion,
        code=criterion.code,
        **_scoring_details(criterion),
    )
    return criterion


def _scoring_details(criterion: Criterion) -> dict:
    """The numbers of a criterion as plain strings («1.5», «10»), for the audit log."""
    values = {name: getattr(criterion, name) for name in (*SCORING_FIELDS, "min_points")}
    return {
        name: None if value is None else format(Decimal(value).normalize(), "f")
        for name, value in values.items()
    }


def differs(old, new) -> bool:
    """Whether a posted value changes a stored one (a number by its value: 5 is 5.0)."""
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return (old is None) != (new is None) or (old is not None and Decimal(old) != new)
    return old != new


def update_criterion(criterion: Criterion, values: dict, *, actor: User) -> list[str]:
    """Apply the changed values and return their names; refuse what is fixed now."""
    contest = criterion.contest
    changed = [name for name, value in values.items() if differs(getattr(criterion, name), value)]
    errors = {}
    if lifecycle.archived(contest):
        errors = dict.fromkeys(changed, ARCHIVED)
    else:
        lock = scoring_lock(contest, scored_criteria(contest), criterion)
        if lock:
            errors |= dict.fromkeys([n for n in changed if n in SCORING_FIELDS], lock)
        if "min_points" in changed and lifecycle.results_frozen(contest):
            errors["min_points"] = _l(
                "The results are published: the settings that decide the ranking cannot change."
            )
        if "code" in changed and _code_taken(contest, values["code"], criterion):
            errors["code"] = CODE_TAKEN
    if errors:
        raise ContestError(errors)
    before = _scoring_details(criterion)
    for name in changed:
        setattr(criterion, name, values[name])
    if changed:
        db.session.flush()
        after = _scoring_details(criterion)
        audit.record(
            "criterion.updated",
            actor=actor,
            contest=contest,
            obj=criterion,
            code=criterion.code,
            fields=changed,
            **{name: [before[name], after[name]] for name in before if before[name] != after[name]},
        )
    return changed


def removal_problem(criterion: Criterion):
    """Why the criterion cannot be removed now, or None."""
    return scoring_lock(criterion.contest, scored_criteria(criterion.contest), criterion)


def remove_criterion(criterion: Criterion, *, actor: User) -> None:
    problem = removal_problem(criterion)
    if problem:
        raise ContestError({"criterion": problem})
    contest = criterion.contest
    audit.record(
        "criterion.removed",
        actor=actor,
        contest=contest,
        obj=criterion,
        code=criterion.code,
        title_uk=criterion.title_uk,
        **_scoring_details(criterion),
    )
    contest.criteria.remove(criterion)  # delete-orphan deletes the row
    _renumber(contest.criteria)
    db.session.flush()


def _renumber(items) -> None:
    for position, item in enumerate(items):
        item.position = position


def move(items: list, item, direction: str) -> tuple[int, int] | None:
    """Swap ``item`` with its neighbour above or below in ``items`` (kept in order) and
    renumber positions 0, 1, …; return (old index, new index), or None at either end."""
    ordered = list(items)
    index = ordered.index(item)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(ordered):
        return None
    ordered[index], ordered[target] = ordered[target], ordered[index]
    _renumber(ordered)
    return index, target


def move_criterion(criterion: Criterion, direction: str, *, actor: User) -> bool:
    """Move the criterion one place up or down; False when it is already at that end."""
    contest = criterion.contest
    lock = scoring_lock(contest, scored_criteria(contest))
    if lock:
        raise ContestError({"criterion": lock})
    moved = move(contest.criteria, criterion, direction)
    if moved is None:
        return False
    db.session.flush()
    audit.record(
        "criterion.moved",
        actor=actor,
        contest=contest,
        obj=criterion,
        code=criterion.code,
        from_position=moved[0] + 1,
        to_position=moved[1] + 1,
    )
    return True
