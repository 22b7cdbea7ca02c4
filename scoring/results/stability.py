"""Stability of the winners (SPEC §11): would they change with one juror fewer, or with
a criterion's weight moved by ±10 %?

Pure: ranking inputs in, a report out (no Flask, no database). Each change is one more
ranking by the engine with the inputs modified:

- ``without_juror``: every sheet of that juror is left out, and the jury is one member
  smaller. The quorum is applied as the engine applies it, so an application can fall
  below it and leave the ranking — that is a real consequence of losing a juror and is
  reported as such.
- ``weight``: one criterion's weight multiplied by 0.9 or 1.1 (exactly).

The commission's tie decisions are kept where they still fit the changed ranking
(``ranking.rank_fitting``); where they do not, the tie they settled is undecided again.

A winning place *holds* under a change when its application still wins there. A winner
that holds under every change is *stable*. With a fund (SPEC §12) the check also says
under which changes the funded set would change: other applications funded, or the same
ones with other amounts (a partial award that no longer fits, say). The cost is
``jurors + 2 × criteria`` rankings (``cost``): nothing for a contest of a few dozen
applications, a couple of seconds for 1,000 applications × 7 jurors × 6 criteria, which
is why the deliberation page computes it for large contests only on request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from .. import ranking

FACTORS = (Decimal("0.9"), Decimal("1.1"))


@dataclass(frozen=True)
class Change:
    """One modification of the inputs: a juror left out, or a weight moved."""

    kind: str  # "without_juror" or "weight"
    juror: Any = None
    criterion: str = ""  # the criterion's code
    factor: Decimal = Decimal(1)


@dataclass(frozen=True)
class Upset:
    """What a change does to a winner: ``loses``, ``tied`` (an undecided tie) or
    ``not_ranked`` (below quorum without the juror)."""

    change: Change
    outcome: str
    rank: int | None  # the application's rank under the change, when it is ranked


@dataclass(frozen=True)
class Place:
    """One winning place and the changes that overturn it (none: stable)."""

    application_id: Any
    number: str
    category: str | None
    rank: int
    upsets: tuple[Upset, ...]

    @property
    def stable(self) -> bool:
        return not self.upsets


@dataclass(frozen=True)
class Stability:
    places: tuple[Place, ...]
    changes: tuple[Change, ...]
    overturning: tuple[Change, ...]  # the changes under which the set of winners differs
    undecided: bool  # some winning places await the commission, so are not checked
    funded: bool = False  # the contest (or a category) has a fund
    refunding: tuple[Change, ...] = ()  # the changes under which the funded set differs

    @property
    def stable(self) -> bool:
        return not self.overturning

    @property
    def funds_stable(self) -> bool:
        """With a fund: the same applications are funded with the same amounts under
        every change."""
        return not self.refunding


def changes(inputs: ranking.Inputs) -> tuple[Change, ...]:
    """Every change checked: each juror with a sheet left out, then each weight ±10 %."""
    jurors = sorted({sheet.juror_id for sheet in inputs.sheets}, key=lambda j: (str(type(j)), j))
    return (
        *(Change("without_juror", juror=juror) for juror in jurors),
        *(
            Change("weight", criterion=c.code, factor=factor)
            for c in inputs.criteria
            for factor in FACTORS
        ),
    )


def cost(inputs: ranking.Inputs) -> int:
    """How many rankings the check takes."""
    return len(changes(inputs))


def apply(inputs: ranking.Inputs, change: Change) -> ranking.Inputs:
    """The inputs with the change made."""
    if change.kind == "without_juror":
        sheets = tuple(s for s in inputs.sheets if s.juror_id != change.juror)
        # The juror leaves the jury as well: the quorum is capped by one member fewer.
        size = inputs.settings.jury_size
        settings = replace(inputs.settings, jury_size=None if size is None else size - 1)
        return replace(inputs, sheets=sheets, settings=settings)
    if change.kind == "weight":
        criteria = tuple(
            replace(c, weight=Decimal(c.weight) * change.factor)
            if c.code == change.criterion
            else c
            for c in inputs.criteria
        )
        return replace(inputs, criteria=criteria)
    raise ValueError(f"unknown change {change.kind!r}")


def check(inputs: ranking.Inputs, baseline: ranking.Ranking | None = None) -> Stability:
    """Rank the inputs once per change and say which winning places each one overturns."""
    if baseline is None:
        baseline = ranking.rank_fitting(inputs)[0]
    winners = [row for row in baseline.rows if row.winner]
    all_changes = changes(inputs)
    upsets: dict[Any, list[Upset]] = {row.application_id: [] for row in winners}
    overturning, refunding = [], []
    for change in all_changes:
        changed = ranking.rank_fitting(apply(inputs, change))[0]
        by_id = {row.application_id: row for row in changed.rows}
        if _outcome(changed) != _outcome(baseline):
            overturning.append(change)
        if _funded(changed) != _funded(baseline):
            refunding.append(change)
        for row in winners:
            now = by_id.get(row.application_id)
            if now is None:
                upsets[row.application_id].append(Upset(change, "not_ranked", None))
            elif now.winner is None:
                upsets[row.application_id].append(Upset(change, "tied", now.rank))
            elif not now.winner:
                upsets[row.application_id].append(Upset(change, "loses", now.rank))
    return Stability(
        places=tuple(
            Place(
                row.application_id,
                row.number,
                row.category,
                row.rank,
                tuple(upsets[row.application_id]),
            )
            for row in winners
        ),
        changes=all_changes,
        overturning=tuple(overturning),
        undecided=baseline.undecided,
        funded=bool(baseline.funds),
        refunding=tuple(refunding),
    )


def _outcome(result: ranking.Ranking) -> tuple[frozenset, frozenset]:
    """Who wins, and who awaits the commission's decision."""
    return (
        frozenset(row.application_id for row in result.rows if row.winner),
        frozenset(row.application_id for row in result.rows if row.winner is None),
    )


def _funded(result: ranking.Ranking) -> dict:
    """Who is funded, with how much (SPEC §12)."""
    return {row.application_id: row.awarded for row in result.rows if row.awarded is not None}
