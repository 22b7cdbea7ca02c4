"""State changes of contests: creation, edits, stage moves (SPEC §3, §4).

Functions take models and plain values, check the rules, change the models and write
the audit entry; the view commits. A refusal raises ``ContestError`` naming the fields
to blame, before anything has changed.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import audit, clock
from ..extensions import db
from ..models import STAGE_BACK, STAGE_FORWARD, Application, ApplicationState, Contest, Stage, User
from ..results.operations import publication_problems

# What submitted applications depend on: frozen once the contest has left the draft.
FROZEN_AFTER_DRAFT = ("slug", "applicant_kinds", "oblasts", "number_prefix")
# What decides the ranking: frozen once the results are published (SPEC §3).
FROZEN_AFTER_PUBLICATION = (
    "winners",
    "aggregation",
    "normalise",
    "quorum",
    "divergence_threshold",
    "min_total",
    "max_winners_per_oblast",
)
# Paths under /manage/contests/ that a slug would shadow.
RESERVED_SLUGS = {"new"}


class ContestError(Exception):
    """A request that cannot be carried out; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict):
        super().__init__(", ".join(errors))
        self.errors = errors


def _slug_error(slug: str, contest: Contest | None = None):
    if slug in RESERVED_SLUGS:
        return _l("This address is reserved; choose another one.")
    taken = db.session.scalar(select(Contest.id).where(Contest.slug == slug))
    if taken is not None and (contest is None or taken != contest.id):
        return _l("Another contest already has this address; choose another one.")
    return None


def _years(opens_at, closes_at) -> range:
    """The years (in Kyiv) whose numbers a contest open in this window can give out."""
    return range(opens_at.astimezone(clock.KYIV).year, closes_at.astimezone(clock.KYIV).year + 1)


def contests_sharing_numbers(prefix: str, opens_at, closes_at, exclude_id=None) -> list[str]:
    """Slugs of other contests whose registration numbers could collide with these.

    Numbers read PREFIX-YEAR-NNN, so two contests may share a prefix only when their
    application windows fall in different years (a yearly contest keeps its prefix).
    """
    years = _years(opens_at, closes_at)
    others = db.session.execute(
        select(Contest.slug, Contest.opens_at, Contest.closes_at)
        .where(Contest.number_prefix == prefix, Contest.id != exclude_id)
        .order_by(Contest.slug)
    )
    return [slug for slug, start, end in others if set(years) & set(_years(start, end))]


def _prefix_error(values: dict, contest: Contest | None = None):
    shared = contests_sharing_numbers(
        values["number_prefix"],
        values["opens_at"],
        values["closes_at"],
        exclude_id=contest.id if contest else None,
    )
    if shared:
        return _l(
            "Another contest of the same year already numbers its applications with this "
            "prefix (%(slugs)s); choose another one.",
            slugs=", ".join(shared),
        )
    return None


def create_contest(values: dict, *, organiser: User) -> Contest:
    """A new draft contest with ``values`` as its settings and ``organiser`` as its organiser."""
    errors = {"slug": _slug_error(values["slug"]), "number_prefix": _prefix_error(values)}
    errors = {name: message for name, message in errors.items() if message}
    if errors:
        raise ContestError(errors)
    contest = Contest(**values, stage=Stage.DRAFT, organisers=[organiser])
    db.session.add(contest)
    db.session.flush()
    audit.record(
        "contest.created", actor=organiser, contest=contest, obj=contest, slug=contest.slug
    )
    return contest


def _differs(old, new) -> bool:
    if isinstance(old, list) and isinstance(new, list):
        return sorted(old) != sorted(new)
    return old != new


def _frozen(contest: Contest, changed: list[str], values: dict) -> dict:
    """Why each of the ``changed`` settings cannot change in the contest's current stage."""
    if contest.stage == Stage.DRAFT:
        return {}
    if contest.stage == Stage.ARCHIVED:
        return dict.fromkeys(changed, _l("The contest is archived: nothing in it can change."))
    errors = dict.fromkeys(
        [name for name in changed if name in FROZEN_AFTER_DRAFT],
        _l(
            "The contest is no longer a draft: this cannot change, "
            "because submitted applications depend on it."
        ),
    )
    if "opens_at" in changed and values["opens_at"] > contest.opens_at:
        errors["opens_at"] = _l(
            "The contest is no longer a draft: the opening can move earlier, not later."
        )
    if contest.stage == Stage.PUBLISHED:
        errors |= dict.fromkeys(
            [name for name in changed if name in FROZEN_AFTER_PUBLICATION],
            _l("The results are published: the settings that decide the ranking cannot change."),
        )
    return errors


def update_contest(contest: Contest, values: dict, *, actor: User) -> list[str]:
    """Apply the changed settings and return their names; refuse what the stage freezes."""
    changed = [name for name, value in values.items() if _differs(getattr(contest, name), value)]
    errors = _frozen(contest, changed, values)
    if "slug" in changed and "slug" not in errors:
        error = _slug_error(values["slug"], contest)
        if error:
            errors["slug"] = error
    if {"number_prefix", "opens_at", "closes_at"} & set(changed) and "number_prefix" not in errors:
        error = _prefix_error(values, contest)
        if error:
            errors["number_prefix"] = error
    if errors:
        raise ContestError(errors)
    for name in changed:
        setattr(contest, name, values[name])
    if changed:
        db.session.flush()
        audit.record("contest.updated", actor=actor, contest=contest, obj=contest, fields=changed)
    return changed


def application_counts(contest: Contest) -> dict[ApplicationState, int]:
    """How many of the contest's applications are in each state (one grouped query)."""
    rows = db.session.execute(
        select(Application.state, func.count())
        .where(Application.contest_id == contest.id)
        .group_by(Application.state)
    ).all()
    counts = dict.fromkeys(ApplicationState, 0)
    counts.update({state: count for state, count in rows})
    return counts


def stage_target(contest: Contest, value: str | None) -> Stage | None:
    """The stage named ``value`` if the contest may move there from where it is now."""
    moves = (STAGE_FORWARD.get(contest.stage), STAGE_BACK.get(contest.stage))
    return next((stage for stage in moves if stage is not None and stage.value == value), None)


def is_backward(contest: Contest, target: Stage) -> bool:
    return STAGE_BACK.get(contest.stage) == target


def stage_problems(contest: Contest, target: Stage) -> list:
    """What must be put right before the contest can move to ``target``."""
    problems = []
    if target == Stage.OPEN:
        if not contest.criteria:
            problems.append(_l("Add at least one criterion: a contest cannot open without them."))
        # The schema requires both dates; a deadline already past would open nothing.
        if contest.closes_at <= clock.now():
            problems.append(
                _l("Set the dates first: the closing time of applications has already passed.")
            )
        shared = contests_sharing_numbers(
            contest.number_prefix, contest.opens_at, contest.closes_at, exclude_id=contest.id
        )
        if shared:
            problems.append(
                _l(
                    "Another contest of the same year numbers its applications with the prefix "
                    "%(prefix)s (%(slugs)s): change the prefix in the settings.",
                    prefix=contest.number_prefix,
                    slugs=", ".join(shared),
                )
            )
    if target == Stage.DRAFT and sum(application_counts(contest).values()):
        problems.append(
            _l(
                "Applicants have already started applications, so the contest cannot "
                "return to the draft."
            )
        )
    if target == Stage.PUBLISHED:
        problems.extend(publication_problems(contest))  # undecided ties (SPEC §6.8)
    return problems


def change_stage(contest: Contest, target: Stage, *, actor: User, reason: str = "") -> None:
    """Move the contest one step along its lifecycle and record who, when and why."""
    if stage_target(contest, target.value) is None:
        raise ContestError(
            {"to": _l("The contest cannot move to this stage from its current one.")}
        )
    problems = stage_problems(contest, target)
    if problems:
        raise ContestError({"to": problems[0]})
    reason = (reason or "").strip()
    if is_backward(contest, target) and not reason:
        raise ContestError({"reason": _l("Give the reason for moving the contest back.")})
    previous = contest.stage
    contest.stage = target
    if target == Stage.PUBLISHED:
        contest.published_at = clock.now()
    db.session.flush()
    audit.record(
        "contest.stage",
        actor=actor,
        contest=contest,
        obj=contest,
        reason=reason,
        from_stage=previous.value,
        to_stage=target.value,
    )
