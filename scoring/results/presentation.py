"""The ranking as people see it: tie groups, …

Pure apart from the interface language: a ``Ranking`` in, plain values out.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ranking


@dataclass(frozen=True)
class TieGroup:
    """Applications tied at the last winning place, of which ``places`` can win."""

    category: str | None
    rank: int
    places: int
    rows: tuple[ranking.Row, ...]


def undecided_ties(result: ranking.Ranking) -> list[TieGroup]:
    """The ties that await the commission's decision, in ranking order."""
    groups: dict[tuple, list[ranking.Row]] = {}
    for row in result.rows:
        if row.winner is None:
            groups.setdefault((row.category, row.rank), []).append(row)
    found = []
    for (category, rank), rows in groups.items():
        note = next(n for n in rows[0].notes if n.code == "tie_undecided")
        found.append(TieGroup(category, rank, note.params["places"], tuple(rows)))
    return found


def find_tie(result: ranking.Ranking, category: str | None, rank: int) -> TieGroup | None:
    return next(
        (g for g in undecided_ties(result) if g.category == category and g.rank == rank), None
    )
