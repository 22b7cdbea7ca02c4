"""The ranking rules of SPEC §6 on small contests worked out by hand.

Each application is written as ``{number: {juror: scores}}``; a single number stands for
a sheet on a one-criterion contest. Application ``n`` has the registration number
``T-2024-00n`` and the id ``n``.
"""

from decimal import Decimal
from fractions import Fraction

import pytest

from scoring.ranking import (
    ApplicationSpec,
    CriterionSpec,
    Inputs,
    Note,
    PartialAward,
    Settings,
    Sheet,
    TieDecision,
    format_score,
    rank_applications,
    rank_fitting,
    to_json,
    winner_places,
)


def criterion(code, weight="1", max_points="10", min_points=None):
    limit = None if min_points is None else Decimal(min_points)
    return CriterionSpec(code, code, Decimal(weight), Decimal(max_points), limit)


ONE = [criterion("C1", max_points="100")]
TWO = [criterion("C1"), criterion("C2")]


def application(n, oblast="UA-63", category=None, number=None):
    return ApplicationSpec(n, number or f"T-2024-{n:03d}", f"Organisation {n}", oblast, category)


def rank(table, criteria=ONE, apps=None, decisions=(), **settings):
    """Rank ``table`` ({application: {juror: scores}}) with the given settings."""
    ids = [c.id for c in criteria]
    sheets = [
        Sheet(n, juror, dict(zip(ids, map(_points, _as_tuple(scores)), strict=True)))
        for n, by_juror in table.items()
        for juror, scores in by_juror.items()
    ]
    apps = apps if apps is not None else [application(n) for n in table]
    return rank_applications(criteria, apps, sheets, Settings(**settings), decisions)


def _as_tuple(scores):
    return scores if isinstance(scores, tuple) else (scores,)


def _points(value):
    return Decimal(str(value))


def panel(*totals):
    """One sheet per juror j0, j1, … with these totals (one criterion)."""
    return {f"j{i}": total for i, total in enumerate(totals)}


def by_app(ranking, attribute):
    return {row.application_id: getattr(row, attribute) for row in ranking.rows}


def shown(ranking, attribute="score"):
    return {row.application_id: format_score(getattr(row, attribute)) for row in ranking.rows}


def order(ranking):
    return [(row.application_id, row.rank) for row in ranking.rows]


def note_codes(ranking):
    return {row.application_id: [n.code for n in row.notes] for row in ranking.rows}


# --- Rules 2–4: totals, aggregation, exactness, display -------------------------------


def test_juror_total_is_the_weighted_sum_of_scores():
    criteria = [criterion("C1"), criterion("C2", weight="2")]
    ranking = rank({1: {"a": (7, 8), "b": (6, 9)}}, criteria)
    (row,) = ranking.rows
    assert row.juror_totals == {"a": 23, "b": 24}
    assert row.score == row.raw_score == Fraction(47, 2)
    assert format_score(row.score) == "23.50"
    assert row.criterion_means == (Fraction(13, 2), Fraction(17, 2))
    assert row.jurors == 2
    assert ranking.max_total == 30


@pytest.mark.parametrize(
    ("aggregation", "totals", "expected", "display"),
    [
        ("mean", (10, 20, 40, 50, 100), 44, "44.00"),
        ("median", (10, 20, 40, 50, 100), 40, "40.00"),
        ("median", (10, 20, 40, 70), 30, "30.00"),  # even count: mean of the middle two
        ("trimmed_mean", (10, 20, 40, 50, 100), Fraction(110, 3), "36.67"),
        ("trimmed_mean", (10, 20, 40, 70), 30, "30.00"),
        ("trimmed_mean", (10, 20, 60), 30, "30.00"),  # fewer than 4: plain mean
        ("sum", (10, 20, 60), 90, "90.00"),
    ],
)
def test_aggregation_of_juror_totals(aggregation, totals, expected, display):
    (row,) = rank({1: panel(*totals)}, aggregation=aggregation).rows
    assert row.score == expected
    assert format_score(row.score) == display


def test_half_points_and_decimal_weights_are_exact():
    # 7.5 × 1.5 = 11.25 and 8 × 1.5 = 12: the mean 11.625 shows as 11.63 (half up).
    (row,) = rank({1: {"a": 7.5, "b": 8}}, [criterion("C1", weight="1.5")]).rows
    assert row.score == Fraction(93, 8)
    assert format_score(row.score) == "11.63"
    assert row.criterion_means == (Fraction(31, 4),)


def test_equal_decimals_written_differently_are_one_score():
    sheets = [Sheet(1, "a", {"C1": Decimal("8")}), Sheet(1, "b", {"C1": Decimal("8.0")})]
    ranking = rank_applications(ONE, [application(1)], sheets, Settings())
    assert ranking.rows[0].score == 8


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(262, 3), "87.33"),
        (Fraction(93, 8), "11.63"),
        (Fraction(1, 200), "0.01"),
        (Decimal("2.675"), "2.68"),
        (Decimal("2.674999"), "2.67"),
        (Fraction(-1, 1000), "0.00"),
        (Fraction(-1, 200), "-0.01"),
        (5, "5.00"),
    ],
)
def test_format_score_rounds_half_up_to_two_places(value, expected):
    assert format_score(value) == expected


def test_format_score_refuses_floats():
    with pytest.raises(TypeError):
        format_score(0.1)


def test_point_one_plus_point_two_equals_point_three():
    # In floats 0.1 + 0.2 != 0.3; exactly, these two scores are equal and criterion C1
    # decides the order.
    criteria = [criterion("C1", "0.1"), criterion("C2", "0.2"), criterion("C3", "0.3")]
    ranking = rank({1: panel((0, 0, 1), (0, 0, 1)), 2: panel((1, 1, 0), (1, 1, 0))}, criteria)
    assert by_app(ranking, "score") == {1: Fraction(3, 10), 2: Fraction(3, 10)}
    assert order(ranking) == [(2, 1), (1, 2)]
    assert not any(by_app(ranking, "tie").values())


def test_near_tie_is_separated_by_exact_arithmetic():
    # 31/3 = 10.3333… against 10.3333: both show as 10.33, but they are not equal.
    criteria = [criterion("C1", max_points="20"), criterion("C2", weight="0.3333", max_points="1")]
    ranking = rank({1: panel((10, 1), (10, 1)), 2: panel((10, 0), (10, 0), (11, 0))}, criteria)
    assert shown(ranking) == {1: "10.33", 2: "10.33"}
    assert order(ranking) == [(2, 1), (1, 2)]
    assert by_app(ranking, "tie") == {1: False, 2: False}


# --- Rule 5: order, tie-break, ties ---------------------------------------------------


def test_equal_scores_are_ordered_by_criterion_means_in_criterion_order():
    criteria = [criterion("C1"), criterion("C2"), criterion("C3")]
    table = {
        1: panel((5, 5, 6), (5, 5, 6)),  # S 16, C1 5, C2 5
        2: panel((5, 6, 5), (5, 6, 5)),  # S 16, C1 5, C2 6
        3: panel((6, 4, 6), (6, 4, 6)),  # S 16, C1 6
    }
    ranking = rank(table, criteria)
    assert order(ranking) == [(3, 1), (2, 2), (1, 3)]
    assert not any(by_app(ranking, "tie").values())


def test_true_tie_shares_a_competition_rank():
    # 2 and 3 have the same score and the same criterion mean, from different sheets.
    table = {4: panel(10, 10), 3: panel(14, 16), 2: panel(15, 15), 1: panel(20, 20)}
    ranking = rank(table)
    assert order(ranking) == [(1, 1), (2, 2), (3, 2), (4, 4)]  # tied: by number
    assert by_app(ranking, "tie") == {1: False, 2: True, 3: True, 4: False}
    assert ranking.rows[1].notes == (Note("tie", {"rank": 2}),)
    assert ranking.rows[1].note == "tied at rank 2"


def test_tied_rows_follow_registration_numbers_in_natural_order():
    apps = [application(1, number="T-2024-1000"), application(2, number="T-2024-999")]
    ranking = rank({1: panel(5, 5), 2: panel(5, 5)}, apps=apps)
    assert order(ranking) == [(2, 1), (1, 1)]


# --- Rule 6: divergence ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("totals", "divergent"),
    [((5, 8), False), ((5, 8.5), True), ((6, 6), False)],
)
def test_divergence_is_strictly_above_the_threshold(totals, divergent):
    # Maximum total 10 × 1, threshold 0.3: a spread of 3 is allowed, 3.5 is flagged.
    (row,) = rank({1: panel(*totals)}, [criterion("C1")], divergence_threshold=Decimal("0.3")).rows
    assert row.divergent is divergent


def test_divergence_uses_the_weighted_maximum_total():
    criteria = [criterion("C1", weight="2"), criterion("C2")]  # maximum total 30, limit 9
    ranking = rank({1: panel((5, 0), (9, 1)), 2: panel((5, 0), (9, 2))}, criteria)
    assert by_app(ranking, "divergent") == {1: False, 2: True}


# --- Rule 7: thresholds ----------------------------------------------------------------


def test_below_min_total_keeps_its_place_but_cannot_win():
    table = {1: panel(16, 16), 2: panel(14, 15), 3: panel(15, 15), 4: panel(10, 10)}
    ranking = rank(table, min_total=Decimal(15), winners=3)
    assert order(ranking) == [(1, 1), (3, 2), (2, 3), (4, 4)]
    assert by_app(ranking, "eligible") == {1: True, 2: False, 3: True, 4: False}
    assert by_app(ranking, "winner") == {1: True, 2: False, 3: True, 4: False}
    row = ranking.rows[2]
    assert row.reasons == (Note("below_min_total", {"min_total": "15.00"}),)
    assert row.note == "cannot win: score below the minimum total 15.00"


def test_below_min_points_on_a_criterion_cannot_win():
    criteria = [criterion("C1"), criterion("C2", min_points="5")]
    ranking = rank({1: panel((10, 4), (10, 5)), 2: panel((6, 5), (6, 5))}, criteria, winners=1)
    assert order(ranking) == [(1, 1), (2, 2)]  # mean 4.5 on C2 for 1; exactly 5 is enough
    assert by_app(ranking, "winner") == {1: False, 2: True}
    assert note_codes(ranking) == {1: ["below_min_points"], 2: []}
    assert ranking.rows[0].notes[0].params == {"criterion": "C2", "min_points": "5"}


# --- Rule 8: winners -------------------------------------------------------------------


def test_oblast_cap_skips_to_the_next_oblast():
    apps = [application(1), application(2), application(3, "UA-12"), application(4, "UA-12")]
    table = {1: panel(20, 20), 2: panel(18, 18), 3: panel(15, 15), 4: panel(10, 10)}
    ranking = rank(table, apps=apps, winners=2, max_winners_per_oblast=1)
    assert by_app(ranking, "winner") == {1: True, 2: False, 3: True, 4: False}
    assert ranking.rows[1].notes == (Note("oblast_cap", {"oblast": "UA-63", "cap": 1}),)
    assert "UA-63" in ranking.rows[1].note


def test_categories_rank_separately_with_their_own_winners():
    kinds = {1: "ngo", 2: "community", 3: "ngo", 4: "community", 5: "ngo"}
    apps = [application(n, category=kind) for n, kind in kinds.items()]
    table = {1: panel(20, 20), 2: panel(18, 18), 3: panel(15, 15), 4: panel(12, 12), 5: panel(9, 9)}
    ranking = rank(table, apps=apps, categories={"community": 1, "ngo": 2})
    assert order(ranking) == [(2, 1), (4, 2), (1, 1), (3, 2), (5, 3)]
    assert [row.category for row in ranking.rows] == ["community"] * 2 + ["ngo"] * 3
    assert by_app(ranking, "winner") == {1: True, 2: True, 3: True, 4: False, 5: False}


def test_an_application_in_an_unknown_category_is_refused():
    with pytest.raises(ValueError, match="unknown category"):
        rank({1: panel(5, 5)}, apps=[application(1, category="ngo")], categories={"x": 1})


TIE_AT_THE_CUT = {1: panel(20, 20), 2: panel(15, 15), 3: panel(14, 16), 4: panel(10, 10)}


def test_a_tie_at_the_last_winning_place_is_undecided():
    ranking = rank(TIE_AT_THE_CUT, winners=2)
    assert by_app(ranking, "winner") == {1: True, 2: None, 3: None, 4: False}
    assert ranking.undecided
    assert note_codes(ranking)[2] == ["tie_undecided"]
    assert ranking.rows[1].notes[0].params == {"places": 1}


def test_a_recorded_decision_settles_the_tie_and_changes_nothing_else():
    undecided = rank(TIE_AT_THE_CUT, winners=2)
    decided = rank(TIE_AT_THE_CUT, winners=2, decisions=[TieDecision(None, frozenset({3}))])
    assert by_app(decided, "winner") == {1: True, 2: False, 3: True, 4: False}
    assert not decided.undecided
    assert note_codes(decided)[2] == note_codes(decided)[3] == ["decision"]
    assert order(decided) == order(undecided)
    assert by_app(decided, "score") == by_app(undecided, "score")


def test_a_tie_that_fits_in_the_places_wins_together():
    ranking = rank(TIE_AT_THE_CUT, winners=3)
    assert by_app(ranking, "winner") == {1: True, 2: True, 3: True, 4: False}
    assert note_codes(ranking)[2] == ["tie"]


def test_a_tie_above_the_cut_needs_no_decision():
    ranking = rank(TIE_AT_THE_CUT, winners=1)
    assert by_app(ranking, "winner") == {1: True, 2: False, 3: False, 4: False}
    assert not ranking.undecided


def test_a_tie_within_one_oblast_under_a_cap_is_undecided_and_rows_below_still_win():
    # Places 3, one per oblast: 2 and 3 (UA-63) tie for the one UA-63 place, so 4 (UA-63)
    # is skipped whoever wins, and 5 (UA-14) takes the third place.
    oblasts = {1: "UA-12", 2: "UA-63", 3: "UA-63", 4: "UA-63", 5: "UA-14"}
    apps = [application(n, oblast) for n, oblast in oblasts.items()]
    table = {**TIE_AT_THE_CUT, 4: panel(12, 12), 5: panel(10, 10)}
    settings = {"apps": apps, "winners": 3, "max_winners_per_oblast": 1}
    ranking = rank(table, **settings)
    assert by_app(ranking, "winner") == {1: True, 2: None, 3: None, 4: False, 5: True}
    assert note_codes(ranking)[4] == ["oblast_cap"]
    decided = rank(table, decisions=[TieDecision(None, frozenset({2}))], **settings)
    assert by_app(decided, "winner") == {1: True, 2: True, 3: False, 4: False, 5: True}


def test_a_decision_must_respect_the_oblast_cap():
    apps = [application(1, "UA-14"), application(2), application(3), application(4, "UA-12")]
    table = {1: panel(20, 20), 2: panel(15, 15), 3: panel(15, 15), 4: panel(15, 15)}
    settings = {"apps": apps, "winners": 3, "max_winners_per_oblast": 1}
    with pytest.raises(ValueError, match="oblast UA-63 more winners than its cap"):
        rank(table, decisions=[TieDecision(None, frozenset({2, 3}))], **settings)
    decided = rank(table, decisions=[TieDecision(None, frozenset({3, 4}))], **settings)
    assert by_app(decided, "winner") == {1: True, 2: False, 3: True, 4: True}


@pytest.mark.parametrize(
    ("decisions", "message"),
    [
        ([TieDecision(None, frozenset({2, 3}))], r"names 2 winner\(s\) for 1 place"),
        ([TieDecision(None, frozenset({3, 4}))], "not among the tied"),
        ([TieDecision(None, frozenset({1}))], "does not fit any undecided tie"),
        ([TieDecision("ngo", frozenset({3}))], "does not fit any undecided tie"),
        ([TieDecision(None, frozenset({2}))] * 2, "more than one decision"),
    ],
)
def test_a_decision_that_does_not_fit_the_tie_is_refused(decisions, message):
    with pytest.raises(ValueError, match=message):
        rank(TIE_AT_THE_CUT, winners=2, decisions=decisions)


def test_a_decision_without_a_tie_is_refused():
    with pytest.raises(ValueError, match="does not fit any undecided tie"):
        rank(TIE_AT_THE_CUT, winners=3, decisions=[TieDecision(None, frozenset({2}))])


# --- Rule 1: quorum --------------------------------------------------------------------


def test_applications_below_quorum_are_not_ranked():
    ranking = rank({1: {"a": 5, "b": 6}, 2: {"a": 9}, 3: {}}, quorum=2)
    assert order(ranking) == [(1, 1)]
    assert [(n.application_id, n.reason, n.jurors, n.quorum) for n in ranking.not_ranked] == [
        (2, "below_quorum", 1, 2),
        (3, "below_quorum", 0, 2),
    ]
    assert ranking.not_ranked[0].note == "below quorum: 1 of 2 scoresheets"


def test_quorum_is_capped_by_the_size_of_the_jury():
    ranking = rank({1: {"a": 5}, 2: {"a": 9}}, quorum=3, jury_size=1)
    assert ranking.quorum == 1
    assert order(ranking) == [(2, 1), (1, 2)]
    assert ranking.not_ranked == []


def test_one_jurors_sheets_of_a_jury_of_three_rank_nothing_at_quorum_2():
    # SPEC §6.1 (clarified): "the number of jurors if fewer" is the jury's size, never the
    # number of jurors who have submitted something.
    ranking = rank({1: {"a": 5}, 2: {"a": 9}, 3: {"a": 7}}, quorum=2, jury_size=3, winners=2)
    assert ranking.quorum == 2
    assert ranking.rows == [] and ranking.winners == []
    assert [(n.number, n.jurors, n.quorum) for n in ranking.not_ranked] == [
        ("T-2024-001", 1, 2),
        ("T-2024-002", 1, 2),
        ("T-2024-003", 1, 2),
    ]


def test_without_a_jury_size_the_quorum_applies_as_set():
    ranking = rank({1: {"a": 5}, 2: {"a": 9, "b": 8}}, quorum=2)
    assert ranking.quorum == 2
    assert order(ranking) == [(2, 1)]


def test_sheets_of_more_jurors_than_the_jury_has_break_the_contract():
    with pytest.raises(ValueError, match="more than the jury"):
        rank({1: {"a": 5, "b": 6}}, quorum=2, jury_size=1)


# --- Rule 3: normalisation -----------------------------------------------------------


def test_zscore_by_hand():
    # Totals: a 2 (app 1), 4 (app 2); b 6, 10; c 7 (app 1 only, so c keeps it raw).
    # All five: mean 5.8, population variance 36.8 / 5 = 7.36, sd 2.712932.
    # a and b each have z = −1 on app 1 and +1 on app 2: T' = 5.8 ∓ 2.712932.
    # App 1: (3.087068 × 2 + 7) / 3 = 4.391379; app 2: 8.512932.
    table = {1: {"a": 2, "b": 6, "c": 7}, 2: {"a": 4, "b": 10}}
    ranking = rank(table, [criterion("C1")], normalise="zscore")
    assert order(ranking) == [(2, 1), (1, 2)]
    assert shown(ranking) == {1: "4.39", 2: "8.51"}
    assert shown(ranking, "raw_score") == {1: "5.00", 2: "7.00"}
    row = ranking.rows[1]
    assert isinstance(row.score, Decimal)
    assert row.score.quantize(Decimal("0.000001")) == Decimal("4.391379")
    assert isinstance(row.raw_score, Fraction)


def test_zscore_reorders_lenient_and_strict_jurors():
    # Totals 9, 5 | 7, 5 | 4, 4 | 2, 4: mean 5, sd 2. a (mean 7, sd 2) and b (6, 1) and
    # d (3, 1) map to 5 ± 2; c has zero spread and keeps 4 and 4.
    table = {
        1: {"a": 9, "d": 2},  # raw 5.5, normalised (7 + 3) / 2 = 5
        2: {"a": 5, "c": 4},  # raw 4.5, normalised (3 + 4) / 2 = 3.5
        3: {"b": 7, "c": 4},  # raw 5.5, normalised (7 + 4) / 2 = 5.5
        4: {"b": 5, "d": 4},  # raw 4.5, normalised (3 + 7) / 2 = 5
    }
    raw = rank(table, [criterion("C1")])
    assert order(raw) == [(1, 1), (3, 1), (2, 3), (4, 3)]
    ranking = rank(table, [criterion("C1")], normalise="zscore")
    assert shown(ranking) == {1: "5.00", 2: "3.50", 3: "5.50", 4: "5.00"}
    # 1 and 4 are both 5 normalised: the raw mean on C1 (5.5 against 4.5) breaks it.
    assert order(ranking) == [(3, 1), (1, 2), (4, 3), (2, 4)]


def test_zscore_compares_at_six_decimal_places():
    # a (3, 8, 10, 10) and b (7, 2, 0, 6) have the same spread, so applications 1–3, whose
    # two totals add up to 10, have equal normalised scores; at 28 digits the roundings
    # leave them one unit apart in the last place.
    table = {1: {"a": 3, "b": 7}, 2: {"a": 8, "b": 2}, 3: {"a": 10, "b": 0}, 4: {"a": 10, "b": 6}}
    ranking = rank(table, [criterion("C1")], normalise="zscore")
    assert len({row.score for row in ranking.rows[1:]}) > 1
    assert order(ranking) == [(4, 1), (1, 2), (2, 2), (3, 2)]
    assert all(row.tie for row in ranking.rows[1:])


# --- The JSON document of SPEC §9 -----------------------------------------------------


def test_to_json_has_the_shape_of_rank_format_json():
    ranking = rank({1: panel(88, 87, 87), 2: panel(50, 60, 70), 3: {"a": 10}}, winners=1)
    assert to_json(ranking, "uspishna-uchast-2024", winners=5) == {
        "contest": "uspishna-uchast-2024",
        "winners": 5,
        "ranking": [
            {
                "rank": 1,
                "number": "T-2024-001",
                "organisation": "Organisation 1",
                "oblast": "UA-63",
                "score": "87.33",
                "jurors": 3,
                "tie": False,
                "divergent": False,
                "winner": True,
                "note": "",
            },
            {
                "rank": 2,
                "number": "T-2024-002",
                "organisation": "Organisation 2",
                "oblast": "UA-63",
                "score": "60.00",
                "jurors": 3,
                "tie": False,
                "divergent": False,
                "winner": False,
                "note": "",
            },
        ],
        "not_ranked": [{"number": "T-2024-003", "reason": "below quorum: 1 of 2 scoresheets"}],
    }


def test_to_json_with_categories_names_the_category_of_every_row():
    apps = [application(1, category="ngo"), application(2, category="community")]
    ranking = rank(
        {1: panel(5, 5), 2: panel(5, 5)}, apps=apps, categories={"ngo": 1, "community": 2}
    )
    document = to_json(ranking, "c")
    assert document["winners"] == 3
    assert [(r["category"], r["rank"], r["winner"]) for r in document["ranking"]] == [
        ("ngo", 1, True),
        ("community", 1, True),
    ]


# --- The contract ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sheets", "message"),
    [
        ([Sheet(1, "a", {"C1": Decimal(1)})] * 2, "two sheets"),
        ([Sheet(1, "a", {})], "every criterion"),
        ([Sheet(1, "a", {"C1": Decimal(1), "C9": Decimal(1)})], "every criterion"),
        ([Sheet(7, "a", {"C1": Decimal(1)})], "unknown application"),
    ],
)
def test_broken_sheets_are_refused(sheets, message):
    with pytest.raises(ValueError, match=message):
        rank_applications(ONE, [application(1)], sheets, Settings())


@pytest.mark.parametrize(
    "settings",
    [
        Settings(aggregation="mode"),
        Settings(normalise="minmax"),
        Settings(quorum=0),
        Settings(max_winners_per_oblast=0),
        Settings(winners=0),
        Settings(categories={"ngo": 0}),
    ],
)
def test_bad_settings_are_refused(settings):
    with pytest.raises(ValueError):
        rank_applications(ONE, [], [], settings)


def test_duplicate_applications_and_missing_criteria_are_refused():
    with pytest.raises(ValueError, match="twice"):
        rank_applications(ONE, [application(1), application(1)], [], Settings())
    with pytest.raises(ValueError, match="at least one criterion"):
        rank_applications([], [application(1)], [], Settings())


# --- Rule 9: a fund (SPEC §12) --------------------------------------------------------


def grant(n, requested, oblast="UA-63", category=None):
    """Application ``n`` asking for ``requested`` hryvnias (None: no amount given)."""
    amount = None if requested is None else Decimal(requested)
    return ApplicationSpec(n, f"T-2024-{n:03d}", f"Organisation {n}", oblast, category, amount)


def awarded(ranking):
    return {
        row.application_id: None if row.awarded is None else str(row.awarded)
        for row in ranking.rows
    }


def notes(ranking, n):
    return next(row.notes for row in ranking.rows if row.application_id == n)


# Scores 20, 18, 16, 14, 12 (no ties); requests below.
LADDER = {1: panel(20, 20), 2: panel(18, 18), 3: panel(16, 16), 4: panel(14, 14), 5: panel(12, 12)}


def test_a_request_that_does_not_fit_is_skipped_and_a_smaller_one_below_wins():
    apps = [
        grant(1, "60000"),
        grant(2, "50000"),
        grant(3, "45000"),
        grant(4, "30000.50"),
        grant(5, "20000"),
    ]
    ranking = rank(LADDER, apps=apps, fund=Decimal("100000.00"), winners=5)
    assert by_app(ranking, "winner") == {1: True, 2: False, 3: False, 4: True, 5: False}
    assert awarded(ranking) == {1: "60000", 2: None, 3: None, 4: "30000.50", 5: None}
    assert notes(ranking, 2) == (
        Note("fund", {"requested": Decimal("50000"), "left": Decimal("40000.00")}),
    )
    assert notes(ranking, 3)[0].params["left"] == Decimal("40000.00")
    assert notes(ranking, 5) == (
        Note("fund", {"requested": Decimal("20000"), "left": Decimal("9999.50")}),
    )
    assert ranking.rows[1].note == (
        "skipped: requested 50000 does not fit in the 40000.00 left of the fund"
    )
    fund = ranking.funds[None]
    assert (fund.fund, fund.awarded, fund.left) == (
        Decimal("100000.00"),
        Decimal("90000.50"),
        Decimal("9999.50"),
    )
    assert order(ranking) == [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]  # places never move


def test_winners_still_caps_the_number_of_funded_applications():
    apps = [grant(n, "10000") for n in LADDER]
    ranking = rank(LADDER, apps=apps, fund=Decimal(1_000_000), winners=2)
    assert by_app(ranking, "winner") == {1: True, 2: True, 3: False, 4: False, 5: False}
    assert ranking.funds[None].left == Decimal(980_000)
    assert all(not row.notes for row in ranking.rows)  # not skipped: the places are taken


def test_thresholds_and_the_oblast_cap_skip_before_the_fund_is_asked():
    apps = [
        grant(1, "30000"),
        grant(2, "10000"),
        grant(3, "50000", "UA-12"),
        grant(4, "5000", "UA-12"),
        grant(5, "5000", "UA-14"),
    ]
    ranking = rank(
        LADDER,
        apps=apps,
        fund=Decimal(100_000),
        max_winners_per_oblast=1,
        min_total=Decimal(13),
    )
    assert by_app(ranking, "winner") == {1: True, 2: False, 3: True, 4: False, 5: False}
    assert note_codes(ranking) == {
        1: [],
        2: ["oblast_cap"],
        3: [],
        4: ["oblast_cap"],
        5: ["below_min_total"],
    }
    assert ranking.funds[None].left == Decimal(20_000)  # 5 would fit, but cannot win


def test_an_application_without_an_amount_is_skipped():
    apps = [grant(1, None), grant(2, "10000")]
    ranking = rank({1: panel(20, 20), 2: panel(10, 10)}, apps=apps, fund=Decimal(50_000))
    assert by_app(ranking, "winner") == {1: False, 2: True}
    assert note_codes(ranking)[1] == ["no_request"]
    assert ranking.rows[0].note == "skipped: no amount requested"


def test_without_a_fund_requests_change_nothing():
    apps = [
        grant(1, "60000"),
        grant(2, "50000"),
        grant(3, "45000"),
        grant(4, "30000"),
        grant(5, "20000"),
    ]
    with_requests = rank(LADDER, apps=apps, winners=3)
    plain = rank(LADDER, winners=3)
    assert [(r.application_id, r.rank, r.winner, r.notes) for r in with_requests.rows] == [
        (r.application_id, r.rank, r.winner, r.notes) for r in plain.rows
    ]
    assert with_requests.funds == {} and all(r.awarded is None for r in with_requests.rows)
    assert (
        "fund" not in to_json(with_requests, "c")
        and "awarded" not in to_json(with_requests, "c")["ranking"][0]
    )


# 1 alone on top; 2 and 3 tie; 4 and 5 below.
EDGE = {1: panel(20, 20), 2: panel(15, 15), 3: panel(14, 16), 4: panel(12, 12), 5: panel(10, 10)}


def edge(requests, **settings):
    apps = [grant(n, r) for n, r in zip(EDGE, requests, strict=True)]
    return rank(EDGE, apps=apps, **{"fund": Decimal(100_000), "winners": 5, **settings})


def test_a_tie_that_does_not_fit_in_what_is_left_awaits_the_commission():
    # 50 000 left for 2 and 3 (30 000 each): one of them; 4 (10 000) fits whoever wins,
    # but how much is left for it depends on the decision; 5 (60 000) fits in no case.
    ranking = edge(["50000", "30000", "30000", "10000", "60000"])
    assert by_app(ranking, "winner") == {1: True, 2: None, 3: None, 4: None, 5: False}
    assert ranking.undecided
    assert notes(ranking, 2) == (Note("tie_undecided", {"places": 2, "left": Decimal(50_000)}),)
    assert note_codes(ranking)[4] == ["fund_pending"]
    assert notes(ranking, 5) == (
        Note("fund", {"requested": Decimal(60_000), "left": Decimal(50_000)}),
    )
    assert ranking.funds[None].awarded == Decimal(50_000)  # only what is decided

    decided = edge(
        ["50000", "30000", "30000", "10000", "60000"], decisions=[TieDecision(None, frozenset({3}))]
    )
    assert by_app(decided, "winner") == {1: True, 2: False, 3: True, 4: True, 5: False}
    assert note_codes(decided)[2] == ["decision", "fund"]  # 30 000 > the 20 000 left
    assert note_codes(decided)[3] == ["decision"]
    assert decided.funds[None].left == Decimal(10_000)
    assert order(decided) == order(ranking)


def test_a_tie_whose_rows_all_fit_wins_together_and_one_too_large_alone_is_skipped():
    assert by_app(edge(["40000", "20000", "30000", "0.01", "1"]), "winner") == dict.fromkeys(
        EDGE, True
    )
    # 3 (70 000) cannot fit whoever wins: nothing for the commission to decide.
    ranking = edge(["50000", "30000", "70000", "10000", "20000"])
    assert by_app(ranking, "winner") == {1: True, 2: True, 3: False, 4: True, 5: False}
    assert not ranking.undecided
    assert note_codes(ranking)[3] == ["fund", "tie"]


@pytest.mark.parametrize(
    ("winners", "message"),
    [
        ({2}, "leaves out T-2024-003, whose request still fits"),
        ({2, 3, 4}, "not among the tied"),
        ({2, 3, 6}, "request more than is left"),
    ],
)
def test_a_decision_within_a_fund_must_fit_and_leave_out_nothing_that_fits(winners, message):
    # 50 000 left for 2 (30 000) and 3 (15 000) and 6 (15 000): not all three.
    table = {**EDGE, 6: panel(16, 14)}
    apps = [
        grant(1, "50000"),
        grant(2, "30000"),
        grant(3, "15000"),
        grant(4, "1"),
        grant(5, "1"),
        grant(6, "15000"),
    ]
    settings = {"apps": apps, "fund": Decimal(100_000), "winners": 6}
    assert by_app(rank(table, **settings), "winner")[6] is None
    with pytest.raises(ValueError, match=message):
        rank(table, decisions=[TieDecision(None, frozenset(winners))], **settings)
    decided = rank(table, decisions=[TieDecision(None, frozenset({3, 6}))], **settings)
    assert by_app(decided, "winner") == {1: True, 2: False, 3: True, 4: True, 5: True, 6: True}
    assert decided.funds[None].left == Decimal(19_998)


def test_below_an_undecided_tie_the_last_place_is_taken_whoever_wins():
    ranking = edge(["50000", "30000", "30000", "10000", "1"], winners=2)
    assert by_app(ranking, "winner") == {1: True, 2: None, 3: None, 4: False, 5: False}
    assert note_codes(ranking)[4] == []


def test_the_commission_funds_one_application_partly_from_what_is_left():
    apps = [
        grant(1, "60000"),
        grant(2, "50000"),
        grant(3, "45000"),
        grant(4, "30000"),
        grant(5, "20000"),
    ]
    award = PartialAward(None, 2, Decimal("40000.00"))
    ranking = rank(LADDER, apps=apps, fund=Decimal(100_000), decisions=[award])
    assert by_app(ranking, "winner") == {1: True, 2: True, 3: False, 4: False, 5: False}
    assert awarded(ranking) == {1: "60000", 2: "40000.00", 3: None, 4: None, 5: None}
    assert notes(ranking, 2) == (
        Note("partial", {"amount": Decimal("40000.00"), "requested": Decimal(50_000)}),
    )
    assert notes(ranking, 4)[0].params["left"] == 0
    assert ranking.funds[None].left == 0
    # Less than what is left: the walk goes on with the rest.
    smaller = rank(
        LADDER, apps=apps, fund=Decimal(100_000), decisions=[PartialAward(None, 2, Decimal(10_000))]
    )
    assert awarded(smaller) == {1: "60000", 2: "10000", 3: None, 4: "30000", 5: None}


@pytest.mark.parametrize(
    ("award", "message"),
    [
        (PartialAward(None, 2, Decimal("40000.01")), "partial award does not fit"),  # > left
        (PartialAward(None, 1, Decimal(10_000)), "partial award does not fit"),  # fits whole
        (PartialAward(None, 7, Decimal(10_000)), "partial award does not fit"),  # unknown
        (PartialAward("ngo", 2, Decimal(10_000)), "partial award does not fit"),
        (PartialAward(None, 2, Decimal("0")), "positive"),
        (PartialAward(None, 2, Decimal("0.001")), "two places"),
    ],
)
def test_a_partial_award_that_does_not_fit_is_refused(award, message):
    apps = [
        grant(1, "60000"),
        grant(2, "50000"),
        grant(3, "45000"),
        grant(4, "30000"),
        grant(5, "20000"),
    ]
    with pytest.raises(ValueError, match=message):
        rank(LADDER, apps=apps, fund=Decimal(100_000), decisions=[award])


def test_a_partial_award_respects_thresholds_the_cap_and_one_per_category():
    apps = [grant(1, "60000"), grant(2, "50000"), grant(3, "45000", "UA-12")]
    table = {1: panel(20, 20), 2: panel(18, 18), 3: panel(10, 10)}
    settings = {"apps": apps, "fund": Decimal(100_000)}
    with pytest.raises(ValueError, match="does not fit"):  # 2 is capped, not skipped
        rank(
            table,
            max_winners_per_oblast=1,
            decisions=[PartialAward(None, 2, Decimal(1))],
            **settings,
        )
    with pytest.raises(ValueError, match="does not fit"):  # 3 is below the minimum
        rank(
            table, min_total=Decimal(15), decisions=[PartialAward(None, 3, Decimal(1))], **settings
        )
    with pytest.raises(ValueError, match="more than one partial award"):
        rank(
            table,
            decisions=[PartialAward(None, 2, Decimal(1)), PartialAward(None, 3, Decimal(1))],
            **settings,
        )


def test_a_decision_that_no_longer_fits_is_left_out_by_rank_fitting():
    apps = [grant(1, "60000"), grant(2, "50000")]
    table = {1: panel(20, 20), 2: panel(18, 18)}
    award = PartialAward(None, 2, Decimal(30_000))
    settings = Settings(fund=Decimal(120_000))
    inputs = Inputs(tuple(ONE), tuple(apps), tuple(_sheets(table)), settings, (award,))
    result, dropped = rank_fitting(inputs)
    assert dropped == (award,)  # 2 fits whole now: nothing to fund partly
    assert awarded(result) == {1: "60000", 2: "50000"}


def _sheets(table):
    return [
        Sheet(n, juror, {"C1": _points(score)})
        for n, by in table.items()
        for juror, score in by.items()
    ]


def test_categories_have_funds_of_their_own():
    kinds = {1: "ngo", 2: "community", 3: "ngo", 4: "community", 5: "ngo"}
    requests = {1: "40000", 2: "90000", 3: "20000", 4: "70000", 5: "15000"}
    apps = [grant(n, requests[n], category=kind) for n, kind in kinds.items()]
    ranking = rank(
        LADDER,
        apps=apps,
        categories={"community": 2, "ngo": 3},
        category_funds={"ngo": Decimal(55_000), "community": None},
    )
    assert by_app(ranking, "winner") == {1: True, 2: True, 3: False, 4: True, 5: True}
    assert set(ranking.funds) == {"ngo"}
    assert ranking.funds["ngo"].left == Decimal(0)
    document = to_json(ranking, "c")
    assert document["fund"] == {"community": None, "ngo": "55000.00"}
    assert document["awarded_total"] == {"community": None, "ngo": "55000.00"}
    assert document["fund_left"] == {"community": None, "ngo": "0.00"}
    rows = {row["number"]: row for row in document["ranking"]}
    assert rows["T-2024-002"]["requested"] == "90000.00"
    assert rows["T-2024-002"]["awarded"] is None  # a community winner: no fund there
    assert rows["T-2024-003"]["awarded"] is None and rows["T-2024-005"]["awarded"] == "15000.00"


def test_to_json_with_a_fund_adds_the_amounts():
    apps = [grant(1, "60000"), grant(2, "50000.5")]
    ranking = rank({1: panel(20, 20), 2: panel(18, 18)}, apps=apps, fund=Decimal("100000"))
    document = to_json(ranking, "grants")
    assert list(document)[:5] == ["contest", "winners", "fund", "awarded_total", "fund_left"]
    assert (document["fund"], document["awarded_total"], document["fund_left"]) == (
        "100000.00",
        "60000.00",
        "40000.00",
    )
    first, second = document["ranking"]
    assert (first["requested"], first["awarded"], first["winner"]) == ("60000.00", "60000.00", True)
    assert (second["requested"], second["awarded"], second["winner"]) == ("50000.50", None, False)
    assert list(first)[list(first).index("score") + 1 :][:2] == ["requested", "awarded"]


def test_winner_places_leave_no_gap_for_rows_skipped_by_the_fund():
    apps = [
        grant(1, "60000"),
        grant(2, "50000"),
        grant(3, "45000"),
        grant(4, "30000"),
        grant(5, "20000"),
    ]
    ranking = rank(LADDER, apps=apps, fund=Decimal(100_000))
    assert winner_places(ranking) == {1: 1, 4: 2}


@pytest.mark.parametrize(
    ("settings", "apps", "message"),
    [
        ({"fund": Decimal(0)}, None, "a fund must be a positive"),
        ({"fund": Decimal("-5")}, None, "a fund must be a positive"),
        ({"fund": Decimal("10.005")}, None, "two places"),
        ({"fund": Decimal("NaN")}, None, "a fund must be a positive"),
        ({"fund": Decimal(5), "categories": {"ngo": 1}}, None, "its own fund"),
        ({"categories": {"ngo": 1}, "category_funds": {"x": Decimal(1)}}, None, "does not have"),
        ({"fund": Decimal(5)}, [grant(1, "0")], "requested by T-2024-001 must be a positive"),
        ({"fund": Decimal(5)}, [grant(1, "1.234")], "two places"),
    ],
)
def test_bad_amounts_are_refused(settings, apps, message):
    with pytest.raises(ValueError, match=message):
        rank_applications(ONE, apps or [], [], Settings(**settings))


# Edges of the fund: exact fits, one kopiyka over, ties, categories, recusals.


@pytest.mark.parametrize(
    ("second", "winners", "left"),
    [
        ("40000.00", {1: True, 2: True, 3: False}, "0.00"),  # exactly what is left
        ("40000.01", {1: True, 2: False, 3: True}, "0.00"),  # one kopiyka over
    ],
)
def test_a_request_of_exactly_what_is_left_wins_and_one_kopiyka_more_is_skipped(
    second, winners, left
):
    table = {1: panel(20, 20), 2: panel(18, 18), 3: panel(16, 16)}
    apps = [grant(1, "60000"), grant(2, second), grant(3, "40000")]
    ranking = rank(table, apps=apps, fund=Decimal("100000.00"))
    assert by_app(ranking, "winner") == winners
    assert str(ranking.funds[None].left) == left
    assert sum(r.awarded for r in ranking.rows if r.awarded) == Decimal(100_000)
    if not winners[2]:
        assert notes(ranking, 2) == (
            Note("fund", {"requested": Decimal("40000.01"), "left": Decimal("40000.00")}),
        )


def test_the_whole_fund_to_one_request_and_a_fund_of_one_kopiyka():
    table = {1: panel(20, 20), 2: panel(18, 18)}
    whole = rank(table, apps=[grant(1, "100000"), grant(2, "0.01")], fund=Decimal(100_000))
    assert by_app(whole, "winner") == {1: True, 2: False}
    assert whole.funds[None].left == 0
    assert notes(whole, 2) == (Note("fund", {"requested": Decimal("0.01"), "left": Decimal(0)}),)
    tiny = rank(table, apps=[grant(1, "0.02"), grant(2, "0.01")], fund=Decimal("0.01"))
    assert by_app(tiny, "winner") == {1: False, 2: True}
    assert tiny.funds[None].awarded == Decimal("0.01")


def test_a_tie_whose_requests_add_up_to_exactly_what_is_left_wins_together():
    # 1 takes 60 000; 2 and 3 tie for the 40 000 left.
    together = edge(["60000", "20000", "20000", "1", "1"])
    assert by_app(together, "winner") == {1: True, 2: True, 3: True, 4: False, 5: False}
    assert not together.undecided and together.funds[None].left == 0
    assert note_codes(together)[2] == ["tie"]
    # One kopiyka more and they no longer fit together: the commission chooses, and
    # either choice is accepted (the other then no longer fits).
    requests = ["60000", "20000.01", "20000", "1", "1"]
    over = edge(requests)
    assert by_app(over, "winner") == {1: True, 2: None, 3: None, 4: None, 5: None}
    assert notes(over, 3) == (Note("tie_undecided", {"places": 2, "left": Decimal(40_000)}),)
    for chosen, lost, left in ((2, 3, "19997.99"), (3, 2, "19998")):
        decided = edge(requests, decisions=[TieDecision(None, frozenset({chosen}))])
        assert {n for n, won in by_app(decided, "winner").items() if won} == {1, chosen, 4, 5}
        assert decided.funds[None].left == Decimal(left)  # 4 and 5 ask 1 each
        assert [n.code for n in notes(decided, lost)] == ["decision", "fund"]
    with pytest.raises(ValueError, match="request more than is left"):
        edge(requests, decisions=[TieDecision(None, frozenset({2, 3}))])


def test_ties_at_the_edge_of_each_categorys_fund_are_decided_apart():
    # ngo: 1 (score 20) and 3 (16) and 5 (12); community: 2 (18) and 4 (14) tie with 6 (14).
    table = {**LADDER, 6: panel(13, 15)}
    kinds = {1: "ngo", 2: "community", 3: "ngo", 4: "community", 5: "ngo", 6: "community"}
    requests = {1: "30000", 2: "10000", 3: "25000", 4: "8000", 5: "5000", 6: "8000"}
    apps = [grant(n, requests[n], category=kind) for n, kind in kinds.items()]
    settings = {
        "apps": apps,
        "categories": {"ngo": 3, "community": 3},
        "category_funds": {"ngo": Decimal(60_000), "community": Decimal(25_000)},
    }
    ranking = rank(table, **settings)
    # ngo: 30 000 + 25 000 + 5 000 fit exactly; community: 15 000 left for 8 000 + 8 000.
    assert by_app(ranking, "winner") == {1: True, 2: True, 3: True, 4: None, 5: True, 6: None}
    assert ranking.funds["ngo"].left == 0 and ranking.funds["community"].left == Decimal(15_000)
    with pytest.raises(ValueError, match="not among the tied"):  # ngo's row, community's tie
        rank(table, decisions=[TieDecision("community", frozenset({4, 5}))], **settings)
    decided = rank(table, decisions=[TieDecision("community", frozenset({6}))], **settings)
    assert by_app(decided, "winner") == {1: True, 2: True, 3: True, 4: False, 5: True, 6: True}
    assert decided.funds["community"].left == Decimal(7_000)
    # The community's leftover funds its tied loser partly; the ngo fund is untouched.
    partly = rank(
        table,
        decisions=[
            TieDecision("community", frozenset({6})),
            PartialAward("community", 4, Decimal(7_000)),
        ],
        **settings,
    )
    assert awarded(partly)[4] == "7000" and partly.funds["community"].left == 0
    assert partly.funds["ngo"] == ranking.funds["ngo"]
    with pytest.raises(ValueError, match="does not fit"):  # the ngo fund has nothing left
        rank(table, decisions=[PartialAward("ngo", 4, Decimal(1))], **settings)


def test_recusals_rank_on_the_sheets_left_and_below_quorum_take_nothing_of_the_fund():
    # 2's third juror recused: its mean of two sheets (17) still ranks it second. Two of
    # 3's jurors recused: below the quorum of 2, it is not ranked and asks nothing of the
    # fund, so 4's request fits in what 3 would have taken.
    table = {
        1: panel(20, 20, 20),
        2: {"j0": 18, "j1": 16},
        3: {"j2": 19},
        4: panel(12, 12, 12),
    }
    apps = [grant(1, "50000"), grant(2, "30000"), grant(3, "20000"), grant(4, "20000")]
    ranking = rank(table, apps=apps, fund=Decimal(100_000), jury_size=3)
    assert order(ranking) == [(1, 1), (2, 2), (4, 3)]
    assert [(r.application_id, r.reason) for r in ranking.not_ranked] == [(3, "below_quorum")]
    assert by_app(ranking, "jurors") == {1: 3, 2: 2, 4: 3}
    assert awarded(ranking) == {1: "50000", 2: "30000", 4: "20000"}
    assert ranking.funds[None].left == 0
    # Without the recusals 3 (then 17) would have taken the 20 000 before 4.
    unrecused = rank({**table, 3: panel(19, 16, 16)}, apps=apps, fund=Decimal(100_000), jury_size=3)
    assert awarded(unrecused) == {1: "50000", 2: "30000", 3: "20000", 4: None}


def test_a_tie_for_the_places_within_a_fund_that_covers_it_leaves_the_walk_below_alone():
    # Places 3, one per oblast: 2 and 3 (UA-63) tie for the one UA-63 place and both fit
    # the fund; 5 (UA-14) fits whoever wins, so it wins as it would without a fund (found
    # by the property test: a fund larger than every request changes no winner).
    oblasts = {1: "UA-12", 2: "UA-63", 3: "UA-63", 4: "UA-63", 5: "UA-14"}
    requests = {1: "10000", 2: "20000", 3: "30000", 4: "1000", 5: "40000"}
    apps = [grant(n, requests[n], oblasts[n]) for n in EDGE]
    table = {**EDGE, 3: panel(15, 15)}
    settings = {"apps": apps, "winners": 3, "max_winners_per_oblast": 1}
    plain = rank(table, **settings)
    covered = rank(table, fund=Decimal(100_000), **settings)
    expected = {1: True, 2: None, 3: None, 4: False, 5: True}
    assert by_app(plain, "winner") == by_app(covered, "winner") == expected
    assert note_codes(covered)[4] == ["oblast_cap"]
    assert covered.funds[None].awarded == Decimal(50_000)  # only what is decided
    # 40 000 for 5 fits after 3's 30 000 but not after a fund of 75 000: 5 waits.
    tight = rank(table, fund=Decimal(75_000), **settings)
    assert by_app(tight, "winner") == {1: True, 2: None, 3: None, 4: False, 5: None}
    assert note_codes(tight)[5] == ["fund_pending"]
    for chosen, five in ((2, True), (3, False)):
        decided = rank(
            table,
            fund=Decimal(75_000),
            decisions=[TieDecision(None, frozenset({chosen}))],
            **settings,
        )
        assert by_app(decided, "winner")[5] is five
