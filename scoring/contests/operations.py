"""State changes of contests: creation and edits (SPEC §4); stage moves are in
``scoring.lifecycle``.

Functions take models and plain values, check the rules, change the models and write
the audit entry; the view commits. A refusal raises ``ContestError`` naming the fields
to blame, before anything has changed.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit, rounds
from ..extensions import db
from ..lifecycle import (
    contests_sharing_numbers,
    frozen_money,
    frozen_settings,
    hold_stage,
    results_frozen,
)
from ..models import Application, ApplicationState, Category, Contest, Stage, User
from . import naming

# Paths under /manage/contests/ that a slug would shadow.
RESERVED_SLUGS = {"new"}


class ContestError(Exception):
    """A request that cannot be carried out; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict):
        super().__init__(", ".join(errors))
        self.errors = errors


def slug_error(slug: str, contest: Contest | None = None):
    if slug in RESERVED_SLUGS:
        return _l("This address is reserved; choose another one.")
    taken = db.session.scalar(select(Contest.id).where(Contest.slug == slug))
    if taken is not None and (contest is None or taken != contest.id):
        return _l("Another contest already has this address; choose another one.")
    return None


@contextmanager
def storing_at(slug: str):
    """Store a new contest at ``slug`` inside: when another contest has taken the address
    since it was checked (two organisers, a double click), ``ContestError`` beside the
    address rather than the unique index's refusal; nothing of the new one is kept."""
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError:
        problem = slug_error(slug)
        if problem is None:
            raise
        raise ContestError({"slug": problem}) from None


def prefix_error(values: dict, contest: Contest | None = None):
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


def slug_taken(slug: str) -> bool:
    return slug in RESERVED_SLUGS or slug_error(slug) is not None


def create_contest(values: dict, *, organiser: User) -> Contest:
    """A new draft contest with ``values`` as its settings and ``organiser`` as its
    organiser; an empty address is made from the Ukrainian title."""
    if not values["slug"]:
        values = {**values, "slug": naming.slug_from(values["title_uk"], slug_taken)}
    errors = {"slug": slug_error(values["slug"]), "number_prefix": prefix_error(values)}
    errors = {name: message for name, message in errors.items() if message}
    if errors:
        raise ContestError(errors)
    contest = Contest(**values, stage=Stage.DRAFT, organisers=[organiser])
    with storing_at(contest.slug):
        db.session.add(contest)
        db.session.flush()
    audit.record(
        "contest.created", actor=organiser, contest=contest, obj=contest, slug=contest.slug
    )
    return contest


def settings_stamp(values: dict) -> dict:
    """Settings as comparable plain values (``0.3`` is ``0.30``, a moment is its UTC time,
    a list is in order): what a form showed, what it sends, what is stored now."""

    def plain(value):
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
        if isinstance(value, list | tuple):
            return sorted(plain(v) for v in value)
        return value.value if isinstance(value, Enum) else value

    return {name: plain(value) for name, value in values.items()}


@dataclass(frozen=True)
class Merged:
    """A form sent after others changed what it showed (``merge_stale``)."""

    theirs: frozenset  # changed by others since the form was loaded, not by this person
    conflicts: frozenset  # changed by both, to different values


def merge_stale(sent: dict, loaded: dict, now: dict) -> Merged:
    """Which settings of a form sent back (``sent``) others changed since it was loaded
    (``loaded``: the settings it showed; ``now``: as stored), all ``settings_stamp``s: the
    ones this person left as they were keep the others' values; the ones both changed
    are conflicts, for the person to look at again. Nothing is decided by who saved last."""
    theirs = {name for name, value in now.items() if name in loaded and loaded[name] != value}
    mine = {name for name, value in sent.items() if name in loaded and loaded[name] != value}
    return Merged(
        theirs=frozenset(theirs - mine),
        conflicts=frozenset(n for n in theirs & mine if sent[n] != now[n]),
    )


def _differs(old, new) -> bool:
    if isinstance(old, list) and isinstance(new, list):
        return sorted(old) != sorted(new)
    return old != new


_NOT_THEIR_ROUND = _l(
    "You do not organise this round, and a setting of the whole contest changes in every "
    "round: its organisers can change it."
)


def update_contest(
    contest: Contest, values: dict, *, actor: User, categories: dict | None = None
) -> list[str]:
    """Apply the changed settings and return their names; refuse what the stage freezes.
    An address left empty stays as it is. A setting of the contest as a whole
    (``rounds.SHARED``: its title, who may apply) changes in every round of it.

    ``categories`` maps a category to its ``fund`` and ``max_request`` (SPEC §12); a
    change is named ``fund_<category id>`` (the form's field) and audited with its code.
    """
    # A stage move waits for the edit, or it for it: of every round, as a setting of the
    # contest as a whole changes in each (rounds.SHARED); in one order, so that two edits
    # from two rounds wait for each other instead of each holding what the other needs.
    chain = rounds.chain(contest)
    for each in sorted(chain, key=lambda round_: round_.id):
        hold_stage(each, to_change=True)
    if not values["slug"]:
        values = {**values, "slug": contest.slug}
    changed = [name for name, value in values.items() if _differs(getattr(contest, name), value)]
    errors = frozen_settings(contest, changed, values)
    changed_categories = {
        category: grants
        for category, grants in (categories or {}).items()
        if (category.fund, category.max_request) != (grants["fund"], grants["max_request"])
    }
    for category, grants in changed_categories.items():
        errors |= _frozen_category(contest, category, grants)
    if "slug" in changed and "slug" not in errors:
        error = slug_error(values["slug"], contest)
        if error:
            errors["slug"] = error
    if {"number_prefix", "opens_at", "closes_at"} & set(changed) and "number_prefix" not in errors:
        error = prefix_error(values, contest)
        if error:
            errors["number_prefix"] = error
    shared = [name for name in changed if name in rounds.SHARED]
    others = [r for r in chain if r is not contest] if shared else []
    for other in others:  # the other rounds take the change: they must be able to
        why_not = frozen_settings(other, shared, values)
        if not other.is_organised_by(actor):
            why_not = dict.fromkeys(shared, _NOT_THEIR_ROUND) | why_not
        for name, why in why_not.items():
            errors.setdefault(
                name, _l("Round %(number)s: %(why)s", number=rounds.number(other), why=why)
            )
    if errors:
        raise ContestError(errors)
    for name in changed:
        setattr(contest, name, values[name])
    for other in others:
        for name in shared:
            setattr(other, name, values[name])
        audit.record("contest.updated", actor=actor, contest=other, obj=other, fields=shared)
    for category, grants in changed_categories.items():
        for name in ("fund", "max_request"):
            if getattr(category, name) != grants[name]:
                setattr(category, name, grants[name])
                changed.append(f"categories.{category.code}.{name}")
    if changed:
        db.session.flush()
        audit.record("contest.updated", actor=actor, contest=contest, obj=contest, fields=changed)
    return changed


def _frozen_category(contest: Contest, category: Category, grants: dict) -> dict:
    """Why the grants of ``category`` cannot change now, by the form's field names."""
    before = (category.fund, category.max_request)
    after = (grants["fund"], grants["max_request"])
    errors = frozen_money(contest, before, after)
    if results_frozen(contest) and before[0] != after[0]:
        errors.setdefault(
            "fund",
            _l("The results are published: the settings that decide the ranking cannot change."),
        )
    return {f"{name}_{category.id}": message for name, message in errors.items()}


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
