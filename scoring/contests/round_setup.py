"""Rounds declared in advance (SPEC §13, issue 20): the organiser adds, names, weighs and
removes the rounds of a contest; ``scoring.rounds`` reads the chain they make.

A later round is a draft contest of its own that names the round before it. Adding one
copies the last round's criteria, settings, categories and questions as a starting
point (the ``scoring.contest/1`` document exported and imported, as a copy of a contest
is made), never its jury, applications or results; it gets the first round's title and
organisers, an address and a number prefix of its own (``naming.round_slug``,
``naming.round_prefix``) and the dates the organiser gives (the next round's form deadline).

The rounds are declared in advance: they are added and removed, and their shares of the
final score changed, only while the first round is a draft (``declaration_problem``).
A round's title changes until its results are published. Removing the last round
detaches it from the chain: the audit log keeps what was done to it, so its draft stays
among the organiser's contests as a contest of its own.

Functions change the models and write the audit entry; the view commits. A refusal
raises ``ContestError`` naming the fields to blame, before anything has changed.
"""

import json

from flask_babel import lazy_gettext as _l

from .. import audit, lifecycle, rounds
from ..i18n import long_datetime
from ..models import Contest, Stage, User
from . import document, naming
from .operations import ContestError, slug_taken, storing_at


def _held_chain(contest: Contest) -> list[Contest]:
    """The chain read again once its first round's stage is held (``hold_stage``): two
    organisers adding or removing a round at once do it one after the other."""
    lifecycle.hold_stage(rounds.chain(contest)[0], to_change=True)
    return rounds.chain(contest)


def declaration_problem(chain: list[Contest]):
    """Why the rounds cannot be added or removed, nor their shares changed, or None."""
    if chain[0].stage != Stage.DRAFT:
        return _l(
            "The rounds are declared in advance: they are added or removed, and their shares "
            "of the final score changed, only while the first round is a draft."
        )
    return None


def addition_problem(chain: list[Contest]):
    """Why no round can be added after the last one, or None."""
    if len(chain) >= rounds.MAX_ROUNDS:
        return _l("A contest has at most %(max)s rounds.", max=rounds.MAX_ROUNDS)
    return declaration_problem(chain)


def add_round(contest: Contest, values: dict, *, actor: User) -> Contest:
    """A draft round after the last one of ``contest``'s chain, with ``values``
    (round_title_uk, round_title_en, opens_at, closes_at)."""
    chain = _held_chain(contest)
    first, last = chain[0], chain[-1]
    problem = addition_problem(chain)
    if problem:
        raise ContestError({"round_title_uk": problem})
    if values["opens_at"] < last.closes_at:
        raise ContestError(
            {
                "opens_at": _l(
                    "The round opens once the applications of the round before have closed: "
                    "not before %(moment)s (Kyiv time).",
                    moment=long_datetime(last.closes_at),
                )
            }
        )
    number = len(chain) + 1
    slug = naming.round_slug(first.slug, number, slug_taken)
    prefix = naming.round_prefix(
        first.number_prefix,
        number,  # one that no other contest of the same year uses: opening refuses that
        lambda p: bool(
            lifecycle.contests_sharing_numbers(p, values["opens_at"], values["closes_at"])
        ),
    )
    copied = document.export_round(last) | {
        "slug": slug,
        "title": {"uk": first.title_uk, "en": first.title_en},
        "number_prefix": prefix,
        "opens_at": document.moment_text(values["opens_at"]),
        "closes_at": document.moment_text(values["closes_at"]),
    }
    # Through the file's own text, as an exported file is read back (decimals exact).
    parsed = document.parse_contest_document(json.dumps(copied).encode())
    try:
        with storing_at(slug):
            added = document.import_contest(
                parsed,
                [organiser.email for organiser in first.organisers],
                actor=actor,
                via="round",
                source=last.id,
            )
    except document.ExchangeError as error:  # a round set up before today's rules
        raise ContestError({"round_title_uk": "; ".join(error.problems)}) from error
    added.previous_round_id = last.id
    added.round_title_uk, added.round_title_en = values["round_title_uk"], values["round_title_en"]
    audit.record(
        "contest.round_added",
        actor=actor,
        contest=added,
        obj=added,
        previous=last.id,
        number=number,
    )
    return added


def update_rounds(chain: list[Contest], values: dict, *, actor: User) -> list[Contest]:
    """Set the round titles and shares of ``values`` ({contest: {"round_title_uk": …,
    "round_title_en": …, "round_weight": …}}, the rounds the organiser may change);
    the field names in ``ContestError`` are ``<name>_<contest id>``. Returns the rounds
    changed."""
    lifecycle.hold_stage(chain[0], to_change=True)
    errors, changes = {}, {}
    for contest, typed in values.items():
        changed = {name: value for name, value in typed.items() if getattr(contest, name) != value}
        if "round_weight" in changed and declaration_problem(chain):
            errors[f"round_weight_{contest.id}"] = declaration_problem(chain)
        titles = {"round_title_uk", "round_title_en"} & set(changed)
        if titles and lifecycle.results_frozen(contest):
            for name in titles:
                errors[f"{name}_{contest.id}"] = _l(
                    "The round’s results are published: its title no longer changes."
                )
        if changed:
            changes[contest] = changed
    if not errors and any("round_weight" in changed for changed in changes.values()):
        errors = _weights_errors(chain, values)
    if errors:
        raise ContestError(errors)
    for contest, changed in changes.items():
        for name, value in changed.items():
            setattr(contest, name, value)
        audit.record(
            "contest.updated", actor=actor, contest=contest, obj=contest, fields=sorted(changed)
        )
    return list(changes)


def _weights_errors(chain: list[Contest], values: dict) -> dict:
    """``rounds.shares_problem`` of the shares as typed, beside the share to correct: an
    empty one when some are missing, else the last one the organiser may change."""
    weights = [values.get(r, {}).get("round_weight", r.round_weight) for r in chain]
    problem = rounds.shares_problem(weights)
    if problem is None:
        return {}
    editable = [r for r in chain if r in values]
    empty = [r for r, w in zip(chain, weights, strict=True) if w is None and r in values]
    blamed = empty[0] if empty else editable[-1]
    return {f"round_weight_{blamed.id}": problem}


def removal_problem(contest: Contest, chain: list[Contest]):
    """Why ``contest`` (the last round of ``chain``) cannot be removed, or None."""
    if len(chain) < 2 or contest is not chain[-1]:
        return _l("Only a later round, the last one, can be removed.")
    problem = declaration_problem(chain)
    if problem:
        return problem
    if contest.stage != Stage.DRAFT or lifecycle.has_applications(contest):
        return _l("Only a round still a draft, without applications, can be removed.")
    return None


def remove_round(contest: Contest, *, actor: User) -> None:
    """Take the last round out of its chain (``removal_problem`` says when it cannot)."""
    chain = _held_chain(contest)
    problem = removal_problem(contest, chain)
    if problem:
        raise ContestError({"": problem})
    previous = contest.previous_round_id
    contest.previous_round_id = None
    contest.round_title_uk = contest.round_title_en = ""
    contest.round_weight = None
    audit.record(
        "contest.round_removed",
        actor=actor,
        contest=contest,
        obj=contest,
        previous=previous,
        number=len(chain),
    )


def advancing(contest: Contest) -> int:
    """How many applications the round's ranking makes winners: those who advance from a
    round that is not the last."""
    if contest.categories:
        return sum(category.winners for category in contest.categories)
    return contest.winners
