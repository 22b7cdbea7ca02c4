"""Stability of the winners (SPEC §11) and the ranking helpers of the deliberation page,
on small contests worked out by hand.

Application ``n`` has the id ``n`` and the number ``T-2026-00n``; jurors are j0, j1, ….
"""

from decimal import Decimal
from fractions import Fraction

import pytest

from scoring.ranking import (
    ApplicationSpec,
    CriterionSpec,
    Inputs,
    PartialAward,
    Settings,
    Sheet,
    TieDecision,
    juror_totals,
    leniency,
    rank_fitting,
    spread,
)
from scoring.results import stability
from scoring.results.stability import Change

ONE = (CriterionSpec("C1", "C1", Decimal(1), Decimal(10)),)
TWO = (
    CriterionSpec("C1", "C1", Decimal(1), Decimal(10)),
    CriterionSpec("C2", "C2", Decimal(1), Decimal(10)),
)


def inputs(table, criteria=ONE, decisions=(), **settings) -> Inputs:
    """``table``: {application: {juror: score or (score, score)}}; the jury is the jurors
    it names."""
    ids = [c.id for c in criteria]
    sheets = tuple(
        Sheet(n, juror, dict(zip(ids, [Decimal(str(v)) for v in _tuple(s)], strict=True)))
        for n, by_juror in table.items()
        for juror, s in by_juror.items()
    )
    apps = tuple(ApplicationSpec(n, f"T-2026-{n:03d}", f"Org {n}", "UA-63") for n in table)
    settings.setdefault(
        "jury_size", len({juror for by_juror in table.values() for juror in by_juror})
    )
    return Inputs(criteria, apps, sheets, Settings(**settings), tuple(decisions))


def _tuple(value):
    return value if isinstance(value, tuple) else (value,)


def upsets(result: stability.Stability) -> dict:
    return {
        p.application_id: [(u.change, u.outcome, u.rank) for u in p.upsets] for p in result.places
    }


def test_a_winner_far_ahead_is_stable_under_every_change():
    data = inputs({1: {"j0": 9, "j1": 9, "j2": 10}, 2: {"j0": 3, "j1": 4, "j2": 2}}, winners=1)
    result = stability.check(data)
    assert [p.application_id for p in result.places] == [1]
    assert result.places[0].stable and result.stable and not result.undecided
    assert len(result.changes) == 3 + 2 * 1 == stability.cost(data)


def test_leaving_out_one_juror_overturns_a_winner():
    # 2 wins with mean 8 against 7; without j2, who gave 1 its 1, application 1 has 10.
    data = inputs({1: {"j0": 10, "j1": 10, "j2": 1}, 2: {"j0": 8, "j1": 8, "j2": 8}}, winners=1)
    result = stability.check(data)
    assert upsets(result) == {2: [(Change("without_juror", juror="j2"), "loses", 2)]}
    assert result.overturning == (Change("without_juror", juror="j2"),)
    assert not result.stable


def test_moving_a_weight_by_ten_percent_overturns_a_narrow_winner():
    # 1: 10 + 4 = 14 against 2: 4 + 9.5 = 13.5.
    # C1 × 0.9: 9 + 4 = 13 against 3.6 + 9.5 = 13.1; C2 × 1.1: 10 + 4.4 = 14.4 against
    # 4 + 10.45 = 14.45. The other two changes widen the gap.
    data = inputs(
        {1: {"j0": (10, 4), "j1": (10, 4)}, 2: {"j0": (4, "9.5"), "j1": (4, "9.5")}},
        criteria=TWO,
        winners=1,
    )
    result = stability.check(data)
    assert upsets(result) == {
        1: [
            (Change("weight", criterion="C1", factor=Decimal("0.9")), "loses", 2),
            (Change("weight", criterion="C2", factor=Decimal("1.1")), "loses", 2),
        ]
    }
    # Leaving out either juror changes nothing: both scored alike.
    assert Change("without_juror", juror="j0") not in result.overturning


def test_a_change_can_leave_a_winner_tied_or_below_quorum():
    # 1: (5 + 5 + 8) / 3 = 6 against 2: (5 + 5 + 2) / 3 = 4 and 3: j0 and j2 only, 5.
    # Without j2, 1 and 2 tie at 5 for the one place (3 falls below the quorum of 2).
    data = inputs(
        {
            1: {"j0": 5, "j1": 5, "j2": 8},
            2: {"j0": 5, "j1": 5, "j2": 2},
            3: {"j0": 1, "j2": 9},
        },
        winners=1,
    )
    assert [p.application_id for p in stability.check(data).places] == [1]
    changed = rank_fitting(stability.apply(data, Change("without_juror", juror="j2")))[0]
    assert {r.application_id: r.winner for r in changed.rows} == {1: None, 2: None}
    assert [n.application_id for n in changed.not_ranked] == [3]
    assert upsets(stability.check(data))[1] == [(Change("without_juror", juror="j2"), "tied", 1)]

    below = inputs({1: {"j0": 9, "j2": 9}, 2: {"j0": 5, "j1": 5, "j2": 5}}, winners=1)
    assert upsets(stability.check(below))[1] == [
        (Change("without_juror", juror="j0"), "not_ranked", None),
        (Change("without_juror", juror="j2"), "not_ranked", None),
    ]


def test_a_commission_decision_keeps_its_winner_while_the_tie_remains():
    table = {1: {"j0": 7, "j1": 7}, 2: {"j0": 7, "j1": 7}, 3: {"j0": 2, "j1": 2}}
    decided = inputs(table, winners=1, decisions=[TieDecision(None, frozenset({2}))])
    result = stability.check(decided)
    # Weights scale every total alike and each juror scored both alike: the tie stays,
    # and so does the decision that settles it.
    assert [(p.application_id, p.stable) for p in result.places] == [(2, True)]
    undecided = stability.check(inputs(table, winners=1))
    assert undecided.places == () and undecided.undecided and undecided.stable


def test_apply_changes_only_what_it_names():
    data = inputs({1: {"j0": (5, 5), "j1": (6, 6)}}, criteria=TWO)
    weighted = stability.apply(data, Change("weight", criterion="C2", factor=Decimal("1.1")))
    assert [c.weight for c in weighted.criteria] == [Decimal(1), Decimal("1.1")]
    assert weighted.sheets == data.sheets
    without = stability.apply(data, Change("without_juror", juror="j1"))
    assert [s.juror_id for s in without.sheets] == ["j0"] and without.criteria == data.criteria
    with pytest.raises(ValueError):
        stability.apply(data, Change("nonsense"))


# --- Helpers of the ranking engine -------------------------------------------------


def test_rank_fitting_leaves_out_a_decision_that_no_longer_fits():
    stale = TieDecision(None, frozenset({1}))  # recorded when 1 and 2 were tied
    data = inputs({1: {"j0": 6, "j1": 6}, 2: {"j0": 7, "j1": 7}}, winners=1, decisions=[stale])
    with pytest.raises(ValueError):
        data.rank()
    result, dropped = rank_fitting(data)
    assert dropped == (stale,)
    assert [(r.application_id, r.winner) for r in result.rows] == [(2, True), (1, False)]
    # A decision that fits is kept, and bad input still raises.
    fits = inputs({1: {"j0": 7}, 2: {"j0": 7}}, winners=1, decisions=[stale])
    assert rank_fitting(fits)[1] == ()
    with pytest.raises(ValueError):
        rank_fitting(inputs({1: {"j0": 7}}, aggregation="nonsense"))


def test_juror_totals_spread_and_leniency():
    data = inputs(
        {1: {"j0": (10, 4), "j1": (6, 6)}, 2: {"j0": (8, 8), "j1": (2, 2)}},
        criteria=(
            CriterionSpec("C1", "C1", Decimal(1), Decimal(10)),
            CriterionSpec("C2", "C2", Decimal("1.5"), Decimal(10)),
        ),
    )
    totals = juror_totals(data.criteria, data.sheets)
    assert totals == {"j0": [Decimal(16), Decimal(20)], "j1": [Decimal(5), Decimal(15)]}
    assert spread(totals["j1"]) == spread([Decimal(15), Decimal(5)])
    assert spread(totals["j1"]).mean == 10 and spread(totals["j1"]).sd == 5
    assert spread([]).count == 0
    lenient = leniency(totals)
    # Panel: 16, 20, 5, 15 → mean 14, variance (4 + 36 + 81 + 1) / 4 = 30.5.
    assert lenient.panel.mean == 14 and lenient.panel.count == 4
    assert lenient.panel.sd == Decimal("30.5").sqrt()
    assert lenient.difference("j0") == 4 and lenient.difference("j1") == -4
    # The engine agrees on the totals.
    row = {r.application_id: r for r in data.rank().rows}[1]
    assert row.juror_totals == {"j0": Fraction(16), "j1": Fraction(15)}


def test_leaving_a_juror_out_keeps_the_silent_members_in_the_quorum():
    # A jury of three in which j2 has scored nothing: without j0, two members remain and
    # the quorum of 2 still applies, so one sheet per application ranks nothing.
    data = inputs({1: {"j0": 9, "j1": 9}, 2: {"j0": 5, "j1": 5}}, winners=1, jury_size=3)
    assert upsets(stability.check(data))[1] == [
        (Change("without_juror", juror="j0"), "not_ranked", None),
        (Change("without_juror", juror="j1"), "not_ranked", None),
    ]
    assert stability.apply(data, Change("without_juror", juror="j0")).settings.jury_size == 2


# --- With a fund (SPEC §12) -----------------------------------------------------------


def grant_inputs(table, requests, decisions=(), **settings) -> Inputs:
    data = inputs(table, decisions=decisions, **settings)
    apps = tuple(
        ApplicationSpec(a.id, a.number, a.organisation, a.oblast, requested=Decimal(r))
        for a, r in zip(data.applications, requests, strict=True)
    )
    return Inputs(data.criteria, apps, data.sheets, data.settings, data.decisions)


# 1 has 9 from everyone; 2 has 10, 10 and 1 from j2: without j2, 2 ranks first.
SWING = {
    1: {"j0": 9, "j1": 9, "j2": 9},
    2: {"j0": 10, "j1": 10, "j2": 1},
    3: {"j0": 5, "j1": 5, "j2": 5},
}


def test_the_check_says_when_a_juror_left_out_would_fund_other_applications():
    # Fund 100 000: 1 (60 000) and 3 (40 000) are funded, 2 (50 000) does not fit. Without
    # j2, 2 is first: 2 and 3 are funded, 1 (60 000) no longer fits.
    data = grant_inputs(
        SWING, ["60000", "50000", "40000"], fund=Decimal(100_000), winners=3, quorum=1
    )
    baseline = rank_fitting(data)[0]
    assert {r.application_id: r.awarded for r in baseline.rows if r.winner} == {
        1: Decimal(60_000),
        3: Decimal(40_000),
    }
    result = stability.check(data)
    assert result.funded and not result.funds_stable
    assert result.refunding == (Change("without_juror", juror="j2"),)
    assert upsets(result)[1] == [(Change("without_juror", juror="j2"), "loses", 2)]


def test_a_partial_award_that_no_longer_fits_changes_the_funded_set():
    # 1 (60 000) is funded and 2 (50 000) in part with the 40 000 left. Without j2, 2 is
    # first and fits whole, so the award no longer fits and 1 does not fit either.
    award = PartialAward(None, 2, Decimal(40_000))
    data = grant_inputs(
        {1: SWING[1], 2: SWING[2]},
        ["60000", "50000"],
        decisions=[award],
        fund=Decimal(100_000),
    )
    assert [r.awarded for r in rank_fitting(data)[0].rows] == [Decimal(60_000), Decimal(40_000)]
    result = stability.check(data)
    assert result.refunding == (Change("without_juror", juror="j2"),)
    # Without a fund, the check says nothing of funds.
    plain = stability.check(inputs({1: SWING[1], 2: SWING[2]}))
    assert not plain.funded and plain.refunding == () and plain.funds_stable
