"""Rule 10 of the ranking engine (SPEC §13) on a two-round contest worked out by hand.

Round 1, «Концепція»: one criterion of 10 points, two jurors, two places advance.
Round 2, «Повна заявка»: criteria of 20 points (weight 1) and 5 points (weight 2), so
its maximum total is 30; three jurors; one winner. The final score is 40 % of the first
round and 60 % of the second, each as a share of its round's maximum:
``score = 40 × S₁ / 10 + 60 × S₂ / 30``.
"""

from decimal import Decimal
from fractions import Fraction

import pytest

from scoring.ranking import (
    ApplicationSpec,
    Note,
    Settings,
    TieDecision,
    carried_share,
    round_share,
    to_json,
)

from .test_ranking import criterion, rank

CONCEPT = [criterion("C1", max_points="10")]
FULL = [criterion("F1", max_points="20"), criterion("F2", weight="2", max_points="5")]


def first_round(decisions=()):
    """A (9), B and C (8 each: tied at the cut of two places), D (5)."""
    table = {n: {"j1": points, "j2": points} for n, points in ((1, 9), (2, 8), (3, 8), (4, 5))}
    return rank(table, CONCEPT, decisions=decisions, winners=2, jury_size=2)


def second_round(first, table, **settings):
    """The second round of the applications that advanced, carrying the first's scores."""
    carried = {
        row.application_id: carried_share(row, first, Decimal(40))
        for row in first.rows
        if row.winner
    }
    apps = [
        ApplicationSpec(10 + n, f"T2-2024-{n:03d}", f"Organisation {n}", "UA-63", carried=c)
        for n, c in carried.items()
    ]
    table = {10 + n: sheets for n, sheets in table.items()}
    settings = {"winners": 1, "round_weight": Decimal(60), "jury_size": 3} | settings
    return rank(table, FULL, apps=apps, **settings)


def by_number(result):
    return {row.number: row for row in result.rows}


def test_the_tie_at_the_cut_waits_for_the_commission_then_the_chosen_one_advances():
    first = first_round()
    rows = by_number(first)
    assert rows["T-2024-001"].winner is True
    assert rows["T-2024-002"].winner is None and rows["T-2024-003"].winner is None
    assert any(n.code == "tie_undecided" for n in rows["T-2024-002"].notes)
    assert rows["T-2024-004"].winner is False
    # The first round ranks on its own scores; its share of the final score is
    # 40 × S / 10, carried into the second round.
    assert rows["T-2024-001"].score == 9 and rows["T-2024-001"].own_score is None
    assert carried_share(rows["T-2024-001"], first, Decimal(40)) == 36
    assert carried_share(rows["T-2024-002"], first, Decimal(40)) == 32

    decided = by_number(first_round([TieDecision(None, frozenset({3}))]))
    assert decided["T-2024-003"].winner is True and decided["T-2024-002"].winner is False
    assert Note("decision", {}) in [Note(n.code, {}) for n in decided["T-2024-003"].notes]
    # The decision never changes a score or a place.
    assert decided["T-2024-002"].rank == decided["T-2024-003"].rank == 2


def test_the_combined_score_can_reverse_the_second_rounds_own_order():
    first = first_round([TieDecision(None, frozenset({3}))])
    # Round 2 alone: C (21) before A (20). Combined: A 36 + 60 × 20 / 30 = 76,
    # C 32 + 60 × 21 / 30 = 74: A wins.
    a = {"j3": (10, 5), "j4": (10, 5), "j5": (10, 5)}  # 10 + 2 × 5 = 20
    c = {"j3": (11, 5), "j4": (11, 5), "j5": (11, 5)}  # 21
    final = second_round(first, {1: a, 3: c})
    rows = by_number(final)
    assert [row.number for row in final.rows] == ["T2-2024-001", "T2-2024-003"]
    assert rows["T2-2024-001"].score == 76 and rows["T2-2024-001"].own_score == 20
    assert rows["T2-2024-003"].score == 74 and rows["T2-2024-003"].own_score == 21
    assert rows["T2-2024-001"].winner is True and rows["T2-2024-003"].winner is False
    # A third round would carry the combined score as it is.
    assert carried_share(rows["T2-2024-003"], final, Decimal(10)) == 74

    alone = rank({11: a, 13: c}, FULL, winners=1, jury_size=3)
    assert [row.number for row in alone.rows] == ["T-2024-013", "T-2024-011"]

    document = to_json(final, "bud-2027-2")
    assert [(r["score"], r["round_score"]) for r in document["ranking"]] == [
        ("76.00", "20.00"),
        ("74.00", "21.00"),
    ]


def test_an_equal_combined_score_is_ordered_by_the_last_rounds_criteria_then_is_a_tie():
    first = first_round([TieDecision(None, frozenset({3}))])
    # A: 36 + 60 × 20 / 30 = 76 with F1 = 10; C: 32 + 60 × 22 / 30 = 76 with F1 = 12.
    a = {"j3": (10, 5), "j4": (10, 5), "j5": (10, 5)}
    c = {"j3": (12, 5), "j4": (12, 5), "j5": (12, 5)}
    rows = second_round(first, {1: a, 3: c}).rows
    assert [(r.number, r.score, r.rank, r.tie, r.winner) for r in rows] == [
        ("T2-2024-003", 76, 1, False, True),
        ("T2-2024-001", 76, 2, False, False),
    ]
    # The same carried score and the same sheets: a tie at the last winning place,
    # which the commission decides as in a one-round contest.
    apps = [
        ApplicationSpec(n, f"T2-2024-{n:03d}", f"Organisation {n}", "UA-63", carried=Fraction(36))
        for n in (11, 13)
    ]
    settings = {"winners": 1, "round_weight": Decimal(60), "jury_size": 3}
    tied = rank({11: a, 13: a}, FULL, apps=apps, **settings)
    assert [(r.score, r.rank, r.tie, r.winner) for r in tied.rows] == [
        (76, 1, True, None),
        (76, 1, True, None),
    ]
    decided = rank({11: a, 13: a}, FULL, apps=apps, decisions=[TieDecision(None, {13})], **settings)
    assert {r.application_id: r.winner for r in decided.rows} == {11: False, 13: True}


def test_the_thresholds_apply_to_the_rounds_own_score():
    first = first_round([TieDecision(None, frozenset({3}))])
    a = {"j3": (10, 5), "j4": (10, 5), "j5": (10, 5)}  # own 20, combined 76
    c = {"j3": (11, 5), "j4": (11, 5), "j5": (11, 5)}  # own 21, combined 74
    rows = by_number(second_round(first, {1: a, 3: c}, min_total=Decimal("20.5")))
    assert not rows["T2-2024-001"].eligible and rows["T2-2024-001"].winner is False
    assert rows["T2-2024-003"].winner is True


def test_a_share_is_exact():
    assert round_share(Fraction(262, 3), Fraction(100), Decimal("60")) == Fraction(262, 5)
    assert round_share(Decimal("7.5"), Fraction(10), Decimal("33.33")) == Fraction(249975, 10000)


@pytest.mark.parametrize(
    "settings, apps, message",
    [
        ({"round_weight": Decimal(0)}, None, "weight"),
        ({"round_weight": Decimal(101)}, None, "weight"),
        ({"round_weight": 40}, None, "weight"),
        ({"round_weight": Decimal(40), "aggregation": "sum"}, None, "sums"),
        ({}, [ApplicationSpec(1, "T-1", "O", "UA-63", carried=Fraction(3))], "carries"),
    ],
)
def test_a_combination_that_cannot_be_computed_is_refused(settings, apps, message):
    with pytest.raises(ValueError, match=message):
        rank({1: {"j1": 5, "j2": 5}}, CONCEPT, apps=apps, **settings)


def test_without_a_weight_a_round_ranks_on_its_own_scores():
    result = rank({1: {"j1": 9, "j2": 9}}, CONCEPT, winners=1)
    assert result.rows[0].score == 9 and result.rows[0].own_score is None
    assert "round_score" not in to_json(result, "x")["ranking"][0]
    assert Settings().round_weight is None
