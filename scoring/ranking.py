"""The ranking engine of SPEC §6: plain data in, a ranking out.

Pure Python (stdlib only): no Flask, no SQLAlchemy, no clock, no configuration. The
caller loads the contest, passes frozen dataclasses and gets a ``Ranking`` back; the
same input gives the same output whatever the order of the input.

The rules, as implemented:

1. **Quorum.** Only submitted, non-recused sheets are passed in. An application is
   ranked when it has at least ``quorum`` sheets, where the quorum is capped by the size
   of the jury, ``max(1, min(settings.quorum, settings.jury_size))`` ("default 2, or the
   number of jurors if fewer"). The jury is every member of the contest's jury, never
   only the jurors who happen to have submitted something: with a jury of three and one
   juror's sheets in, nothing is ranked at quorum 2. Without ``jury_size`` the quorum
   applies as set. The others are listed in ``not_ranked`` with ``below_quorum``,
   ordered by registration number.
2. **Juror total** ``T = Σ weight_c × score_c`` over all criteria (every criterion must
   be scored). Totals are exact: scores and weights are scaled to integers by a common
   denominator, so the hot loop adds integers and Fractions are built once per value.
3. **Score** ``S`` aggregates the jurors' totals of the application: ``mean``,
   ``median`` (even count: mean of the middle two), ``trimmed_mean`` (drop one highest
   and one lowest when there are at least 4 totals, else plain mean) or ``sum``.
   ``raw_score`` is always that aggregation of the raw totals.
   With ``normalise = "zscore"`` every juror's totals are first standardised over all
   the applications that juror scored in the input (quorum or not) and mapped back onto
   the scale of raw totals: ``T' = mean_all + (T − mean_j) / sd_j × sd_all``, where
   ``mean_all`` and ``sd_all`` are over all totals of all jurors and every standard
   deviation is a population one. A juror with fewer than 2 totals or zero spread keeps
   raw totals. Sums and variances are exact integers; the rest is computed with 28
   significant decimal digits (the overall mean, the square roots, each deviation, each
   mapped total and the aggregation round once each), and ``S`` is then a ``Decimal``.
4. **Exactness.** Without normalisation ``S`` is a ``Fraction``, so two applications
   tie only when their scores are truly equal. With ``zscore`` scores are compared
   (for order and for ``min_total``) after rounding half up to 6 decimal places.
   ``format_score`` rounds half up to 2 decimals for display only.
5. **Order** within a category (or the whole contest): ``S`` descending; equal ``S``:
   the mean raw score of each criterion in criterion order, each descending; still
   equal: a tie, the rows share a competition rank (1, 2, 2, 4) and ``tie`` is set.
   Tied rows are listed by registration number (digits compared as numbers), then id.
6. **Divergence**: ``max(T) − min(T)`` of the raw totals strictly greater than
   ``divergence_threshold × max_total`` with ``max_total = Σ weight_c × max_points_c``.
   A flag only.
7. **Thresholds**: a row is not ``eligible`` (cannot win, keeps its place) when
   ``S < min_total`` or when the mean score on a criterion with ``min_points`` is below
   it; ``notes`` say which.
8. **Winners**, per category with its own number of places, or for the whole contest:
   walk the tie groups from the top until the places are taken. Rows that fail a
   threshold are skipped, and so are rows whose oblast already has
   ``max_winners_per_oblast`` winners (note ``oblast_cap``). When the eligible rows of
   a tie group cannot all be taken — more of them than places left, or more from one
   oblast than that oblast has room for — the group is undecided: its rows get
   ``winner = None`` (note ``tie_undecided``) and the places it will fill, whoever wins,
   are counted as taken: rows below the last place get ``False``, and when an oblast cap
   alone made the tie, the walk goes on below it. A ``TieDecision`` for
   that category naming exactly as many of those rows as can win settles it: named
   rows win, the others in the group do not, both noted ``decision``. A decision that
   does not fit an undecided tie raises ``ValueError``. Scores and ranks never change.
9. **Fund** (SPEC §12), per category or for the whole contest when it has one
   (``Settings.fund``, ``Settings.category_funds``): the walk of rule 8 also takes an
   application only when its ``requested`` amount fits in what is left of the fund. One
   that does not fit is skipped (note ``fund``, with the amount left when it was
   passed) and the walk goes on, so a smaller request further down can still win; one
   without an amount is skipped too (``no_request``); thresholds, the oblast cap and
   ``winners`` (the most winners) still apply. Rows of a tie group whose request alone
   does not fit are skipped first; when the others do not all fit together (in the
   places, the oblasts' room and the fund), the group is undecided (``tie_undecided``
   with ``left``). Whoever the commission picks, what is left below it is not known:
   the rows below that could still be funded get ``winner = None`` (``fund_pending``)
   until the decision, unless the tied requests all fit together and everything below
   would fit even after the dearest pick (then the walk below goes on). A
   ``TieDecision`` there names winners that fit together and leave out no tied row
   that would still fit; a tied row it leaves out whose request no longer fits is
   skipped (``fund``). A ``PartialAward`` funds one skipped application of its
   category with part of what is left when the walk reaches it (note ``partial``);
   one that does not fit raises ``ValueError``. ``Row.awarded`` is the amount awarded
   (None when nothing is), ``Ranking.funds`` the fund, the total awarded and what is
   left, per category with a fund. Amounts are ``Decimal``s with at
   most two places and are never rounded. Without a fund nothing of this applies.

10. **Rounds** (SPEC §13). A later round of a combination declared in advance has
   ``Settings.round_weight`` (percent): the row's own score ``S`` (as compared, rule 4)
   becomes ``round_share(S) = weight × S / max_total`` percentage points, and its
   ``score`` is that plus ``ApplicationSpec.carried``, what the rounds before gave:
   the first round's ``round_share`` of its score, or the previous later round's
   ``score`` (see ``carried_share``); after the last round, out of 100. ``own_score``
   keeps ``S``. Order, ties and winners follow the combined score (then the criterion
   means of this round); thresholds (rule 7) apply to ``S``. A combination needs the
   aggregation not to be ``sum`` (a sum has no maximum). The first round ranks on its
   own scores (the same order as its shares); without ``round_weight`` ``carried``
   must be empty.

Preconditions the caller keeps (not checked here): every score lies in
``0..max_points`` in multiples of the criterion's step.

Categories: when ``Settings.categories`` maps category codes to places, each category
is ranked on its own (ranks restart) and ``rows`` lists the categories in mapping
order; otherwise ``Row.category`` is ``None`` and ``Settings.winners`` applies.

Longer than 600 lines: the engine is one pure module, its rules (above) and their
implementation read together with nothing of the app around them, and tested as such
(``tests/test_ranking.py``, ``tests/test_ranking_properties.py``).
"""

from __future__ import annotations

import bisect
import functools
import math
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from fractions import Fraction
from typing import Any, NamedTuple

AGGREGATIONS = ("mean", "median", "trimmed_mean", "sum")
NORMALISATIONS = ("none", "zscore")

# SPEC §6.4: 28 significant digits, then compare at 6 decimal places.
_ZSCORE_CONTEXT = Context(
    prec=28, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
_COMPARE_STEP = Decimal("0.000001")

# Totals and means repeat a lot (a few hundred distinct values in a contest), and
# building a Fraction costs more than looking one up; Fractions are immutable.
_exact = functools.lru_cache(maxsize=4096)(Fraction)


@dataclass(frozen=True)
class CriterionSpec:
    """A criterion; the order of the list passed in is the tie-break order."""

    id: Any
    code: str
    weight: Decimal
    max_points: Decimal
    min_points: Decimal | None = None


@dataclass(frozen=True)
class ApplicationSpec:
    """An admitted application."""

    id: Any
    number: str
    organisation: str
    oblast: str
    category: str | None = None
    requested: Decimal | None = None  # the amount asked for (SPEC §12), in hryvnias
    # Rule 10: what the rounds before gave towards the final score (percentage points).
    carried: Fraction | None = None


@dataclass(frozen=True)
class Sheet:
    """A submitted, non-recused scoresheet: a score for every criterion id."""

    application_id: Any
    juror_id: Any
    scores: Mapping[Any, Decimal]


@dataclass(frozen=True)
class Settings:
    """The scoring settings of SPEC §4 that the ranking uses."""

    aggregation: str = "mean"
    normalise: str = "none"
    quorum: int = 2
    divergence_threshold: Decimal = Decimal("0.3")
    min_total: Decimal = Decimal(0)
    max_winners_per_oblast: int | None = None
    winners: int = 5
    categories: Mapping[str, int] | None = None  # code -> places; empty or None: none
    # The members of the jury (rule 1); None: the quorum is not capped.
    jury_size: int | None = None
    # Rule 9: the fund of the whole contest (without categories), or of each category.
    fund: Decimal | None = None
    category_funds: Mapping[str, Decimal | None] | None = None  # code -> fund
    # Rule 10: this round's share of the final score, in percent; None: not combined.
    round_weight: Decimal | None = None


@dataclass(frozen=True)
class PartialAward:
    """The commission's decision to fund one application partly from what is left of its
    category's fund (rule 9)."""

    category: str | None
    application_id: Any
    amount: Decimal


@dataclass(frozen=True)
class Fund:
    """A fund as the walk of rule 9 spent it."""

    fund: Decimal
    awarded: Decimal  # the total awarded
    left: Decimal  # fund − awarded


@dataclass(frozen=True)
class TieDecision:
    """The commission's decision on an undecided tie: which of the tied rows win."""

    category: str | None
    winner_ids: frozenset


class Note(NamedTuple):
    """A machine-readable remark on a row, e.g. ``Note("oblast_cap", {"oblast": "UA-63"})``.

    Codes: ``below_min_total`` (min_total), ``below_min_points`` (criterion,
    min_points), ``oblast_cap`` (oblast, cap), ``tie`` (rank), ``tie_undecided``
    (places: how many of the group can win; with a fund also left), ``decision``,
    ``fund`` (requested, left), ``no_request``, ``fund_pending``, ``partial`` (amount,
    requested). Amounts are ``Decimal``s.
    """

    code: str
    params: Mapping[str, Any]

    def text(self) -> str:
        """Plain English, for the command line and the JSON API."""
        return _NOTE_TEXTS[self.code].format(**self.params)


_NOTE_TEXTS = {
    "below_min_total": "cannot win: score below the minimum total {min_total}",
    "below_min_points": "cannot win: mean on {criterion} below the minimum {min_points}",
    "oblast_cap": "skipped: oblast {oblast} already has {cap} winner(s)",
    "tie": "tied at rank {rank}",
    "tie_undecided": "tie at the last winning place ({places} place(s)): "
    "awaits the commission's decision",
    "decision": "tie decided by the commission",
    "below_quorum": "below quorum: {jurors} of {quorum} scoresheets",
    "fund": "skipped: requested {requested} does not fit in the {left} left of the fund",
    "no_request": "skipped: no amount requested",
    "fund_pending": "awaits the commission's decision on the tie above: "
    "what is left of the fund depends on it",
    "partial": "funded in part by the commission's decision: {amount} of {requested} requested",
}

_THRESHOLD_CODES = frozenset({"below_min_total", "below_min_points"})


@dataclass(frozen=True)
class Row:
    """One ranked application."""

    rank: int
    application_id: Any
    number: str
    organisation: str
    oblast: str
    category: str | None
    score: Fraction | Decimal
    raw_score: Fraction
    juror_totals: Mapping[Any, Fraction]
    jurors: int
    criterion_means: tuple[Fraction, ...]
    tie: bool
    divergent: bool
    eligible: bool
    winner: bool | None
    notes: tuple[Note, ...] = ()
    requested: Decimal | None = None  # rule 9: the amount asked for
    awarded: Decimal | None = None  # rule 9: the amount awarded; None when nothing is
    own_score: Fraction | Decimal | None = None  # rule 10: this round's own score

    @property
    def note(self) -> str:
        """The notes in plain English, joined with "; " ("" when there are none)."""
        return "; ".join(n.text() for n in self.notes)

    @property
    def reasons(self) -> tuple[Note, ...]:
        """Why the row cannot win: its threshold notes (empty when eligible)."""
        return tuple(n for n in self.notes if n.code in _THRESHOLD_CODES)


@dataclass(frozen=True)
class NotRanked:
    """An admitted application with fewer sheets than the quorum."""

    application_id: Any
    number: str
    category: str | None
    reason: str  # "below_quorum"
    jurors: int
    quorum: int

    @property
    def as_note(self) -> Note:
        return Note(self.reason, {"jurors": self.jurors, "quorum": self.quorum})

    @property
    def note(self) -> str:
        """The reason in plain English."""
        return self.as_note.text()


@dataclass(frozen=True)
class Ranking:
    """The result: ranked rows (category by category), then the applications not ranked."""

    rows: list[Row]
    not_ranked: list[NotRanked]
    max_total: Fraction
    quorum: int  # the quorum actually applied (rule 1)
    settings: Settings = field(repr=False)
    funds: Mapping[str | None, Fund] = field(default_factory=dict)  # rule 9, by category

    @property
    def undecided(self) -> bool:
        """True while a tie at the last winning place awaits the commission's decision."""
        return any(row.winner is None for row in self.rows)

    @property
    def winners(self) -> list[Row]:
        """The rows that win, in ranking order."""
        return [row for row in self.rows if row.winner]

    @property
    def unequal_sums(self) -> tuple[int, int] | None:
        """(fewest, most) jurors behind the scores when they are sums (``sum``) of
        different numbers of jurors' totals: an application scored by fewer jurors has a
        lower sum. None otherwise."""
        if self.settings.aggregation != "sum":
            return None
        counts = {row.jurors for row in self.rows}
        return (min(counts), max(counts)) if len(counts) > 1 else None


def juror_total(weights: Iterable, points: Iterable, start: Any = 0) -> Any:
    """A juror's total ``T = Σ weight × points`` (rule 2): the one place it is summed.

    ``weights`` and ``points`` go criterion by criterion. The sum is exact in the numbers
    given: the ``Decimal`` weights and points of a scoresheet (the pages, the documents,
    ``juror_totals``), ``Fraction``s (``max_total``) or the integer images of ``_Scale``
    in the engine's own loop.
    """
    return sum(map(operator.mul, weights, points), start)


def max_total(criteria: Sequence[CriterionSpec], number: Callable = Fraction) -> Any:
    """The largest total a juror can give, ``Σ weight × max_points`` (rules 6 and 7), as
    ``number``s: exact ``Fraction``s for the engine, ``Decimal``s for the pages."""
    return juror_total(
        (number(c.weight) for c in criteria), (number(c.max_points) for c in criteria), number(0)
    )


def rank_applications(
    criteria: Sequence[CriterionSpec],
    applications: Iterable[ApplicationSpec],
    sheets: Iterable[Sheet],
    settings: Settings,
    decisions: Iterable[TieDecision | PartialAward] = (),
) -> Ranking:
    """Rank the applications by SPEC §6 and §12 (see the module docstring for the rules).

    Raises ``ValueError`` for input that breaks the contract: unknown settings,
    duplicate ids, a sheet for an unknown application or with missing or extra
    criteria, two sheets of one juror for one application, an application in an
    unknown category, an amount that is not a positive number of hryvnias and kopecks,
    a decision that does not fit an undecided tie, or a partial award that does not fit.
    """
    _check_settings(settings)
    if not criteria:
        raise ValueError("a contest needs at least one criterion to be ranked")
    apps = _index_applications(applications, settings)
    sheets = list(sheets)
    scale = _Scale.of(criteria, sheets)
    totals, scored = _read_sheets(scale, sheets, apps)

    jurors_present = {juror for per_app in totals.values() for juror in per_app}
    if settings.jury_size is not None and len(jurors_present) > settings.jury_size:
        raise ValueError(
            f"{len(jurors_present)} jurors have sheets, more than the jury's "
            f"{settings.jury_size} members"
        )
    quorum = applied_quorum(settings.quorum, settings.jury_size)
    adjusted = _zscore(totals, scale.den) if settings.normalise == "zscore" else None
    maximum = max_total(criteria)

    entries, not_ranked = [], []
    for app_id, app in apps.items():
        count = len(totals.get(app_id, ()))
        if count < quorum:
            reason = "below_quorum"
            not_ranked.append(NotRanked(app_id, app.number, app.category, reason, count, quorum))
        else:
            entry = _score(app, totals[app_id], scored[app_id], scale, settings, adjusted)
            entries.append(_combined(entry, maximum, settings.round_weight))
    not_ranked.sort(key=lambda n: (_number_key(n.number), _id_key(n.application_id)))

    divergence_limit = Fraction(settings.divergence_threshold) * maximum * scale.den
    thresholds = _Thresholds.of(criteria, settings)
    for entry in entries:
        entry.divergent = entry.spread > divergence_limit
        entry.notes.extend(thresholds.notes(entry))

    pending = list(decisions)
    rows = []
    funds = {}
    for category, places in _places(settings).items():
        groups = _tie_groups([e for e in entries if e.app.category == category])
        walk = _Walk(places, settings.max_winners_per_oblast, category, pending)
        fund = _funds(settings).get(category)
        if fund is None:
            walk.choose(groups)
        else:
            funds[category] = walk.choose_within(groups, fund)
        rows.extend(_freeze(entry, category) for group in groups for entry in group)
    if pending:
        raise ValueError(_misfit(pending[0]))
    return Ranking(rows, not_ranked, maximum, quorum, settings, funds)


def _misfit(decision: TieDecision | PartialAward) -> str:
    if isinstance(decision, PartialAward):
        return (
            f"a partial award does not fit: category {decision.category!r}, application "
            f"{decision.application_id!r}, amount {format_amount(decision.amount)}"
        )
    return (
        f"a recorded decision does not fit any undecided tie: category {decision.category!r}"
        f", winners {sorted(decision.winner_ids, key=_id_key)}"
    )


def winner_places(ranking: Ranking) -> dict[Any, int]:
    """Each winner's place among the winners of its category (SPEC §16: a diploma names
    it, not the row's rank in the full ranking): 1 + the winners ranked strictly above,
    so winners tied in the ranking share a place and a skipped row leaves no gap."""
    places: dict[Any, int] = {}
    above: Counter = Counter()  # winners seen so far, per category
    for group in _groups_of(ranking.winners):
        for row in group:
            places[row.application_id] = above[row.category] + 1
        above[group[0].category] += len(group)
    return places


def _groups_of(rows: list[Row]) -> list[list[Row]]:
    """Rows of equal category and rank, in order."""
    groups: list[list[Row]] = []
    for row in rows:
        if groups and (groups[-1][0].category, groups[-1][0].rank) == (row.category, row.rank):
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


def applied_quorum(quorum: int, jury_size: int | None) -> int:
    """The quorum of rule 1: the setting, capped by the size of the jury (never below 1)."""
    if jury_size is None:
        return quorum
    return max(1, min(quorum, jury_size))


def format_amount(value: Decimal) -> str:
    """An amount of hryvnias as the JSON of SPEC §12 writes it: ``"48000.00"``."""
    return f"{value:.2f}"


def format_score(value: Fraction | Decimal | int) -> str:
    """Round half up (away from zero) to 2 decimals for display: ``Fraction(262, 3)`` → "87.33"."""
    if isinstance(value, float):
        raise TypeError("scores are exact: pass a Fraction, Decimal or int, not a float")
    exact = Fraction(value)
    cents = math.floor(abs(exact) * 100 + Fraction(1, 2))
    sign = "-" if exact < 0 and cents else ""
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def to_json(
    ranking: Ranking,
    contest_slug: str,
    winners: int | None = None,
    describe: Callable[[Note], str] = Note.text,
) -> dict:
    """The ``rank --format json`` document of SPEC §9, ready for ``json.dumps``.

    ``winners`` defaults to the number of places (summed over the categories);
    ``describe`` words a note (the app passes one that speaks the user's language).
    With a fund (rule 9) the document adds ``fund``, ``awarded_total`` and ``fund_left``
    at the top (each a mapping of category to amount, with categories) and
    ``requested`` and ``awarded`` on every row; amounts are decimal strings, ``None``
    where there is none.
    """
    with_category = bool(ranking.settings.categories)
    with_fund = bool(ranking.funds)
    places = sum(_places(ranking.settings).values()) if winners is None else winners

    def row_json(row: Row) -> dict:
        item = {
            "rank": row.rank,
            "number": row.number,
            "organisation": row.organisation,
            "oblast": row.oblast,
        }
        if with_category:
            item["category"] = row.category
        item["score"] = format_score(row.score)
        if row.own_score is not None:
            item["round_score"] = format_score(row.own_score)
        if with_fund:
            item["requested"] = optional_amount(row.requested)
            item["awarded"] = optional_amount(row.awarded)
        item.update(
            jurors=row.jurors,
            tie=row.tie,
            divergent=row.divergent,
            winner=row.winner,
            note="; ".join(describe(n) for n in row.notes),
        )
        return item

    document: dict[str, Any] = {"contest": contest_slug, "winners": places}
    if with_fund:
        document.update(fund_json(ranking.funds, ranking.settings))
    document["ranking"] = [row_json(row) for row in ranking.rows]
    document["not_ranked"] = [
        {"number": n.number, "reason": describe(n.as_note)} for n in ranking.not_ranked
    ]
    return document


def optional_amount(value: Decimal | None) -> str | None:
    """An amount as a decimal string, or None."""
    return None if value is None else format_amount(value)


def fund_json(funds: Mapping[str | None, Fund], settings: Settings) -> dict:
    """``fund``, ``awarded_total`` and ``fund_left`` of rule 9 as the JSON writes them: one
    amount each, or with categories a mapping of every category to its own (``None``:
    the category has no fund)."""
    keys = (("fund", "fund"), ("awarded_total", "awarded"), ("fund_left", "left"))

    def amount(category, part: str) -> str | None:
        spent = funds.get(category)
        return None if spent is None else format_amount(getattr(spent, part))

    if not settings.categories:
        return {key: amount(None, part) for key, part in keys}
    return {key: {code: amount(code, part) for code in settings.categories} for key, part in keys}


@dataclass(frozen=True)
class Inputs:
    """Everything ``rank_applications`` takes, kept together so that the same contest can
    be ranked again with one thing changed (the stability check of SPEC §11)."""

    criteria: tuple[CriterionSpec, ...]
    applications: tuple[ApplicationSpec, ...]
    sheets: tuple[Sheet, ...]
    settings: Settings
    decisions: tuple[TieDecision | PartialAward, ...] = ()

    def rank(self) -> Ranking:
        return rank_applications(
            self.criteria, self.applications, self.sheets, self.settings, self.decisions
        )


def rank_fitting(inputs: Inputs) -> tuple[Ranking, tuple[TieDecision | PartialAward, ...]]:
    """Rank with the decisions that fit and return those that do not, oldest kept first.

    A decision stops fitting when the scores change after it was recorded (the contest
    went back to judging): the tie it settled is gone or has other members. Taking the
    decisions one by one in their order keeps every one that still fits. Input that
    breaks the contract in any other way still raises ``ValueError``.
    """
    try:
        return inputs.rank(), ()
    except ValueError:
        if not inputs.decisions:
            raise
    kept: list[TieDecision | PartialAward] = []
    dropped: list[TieDecision | PartialAward] = []
    for decision in inputs.decisions:
        try:
            replace(inputs, decisions=(*kept, decision)).rank()
        except ValueError:
            dropped.append(decision)
        else:
            kept.append(decision)
    return replace(inputs, decisions=tuple(kept)).rank(), tuple(dropped)


def juror_totals(criteria: Sequence[CriterionSpec], sheets: Iterable[Sheet]) -> dict[Any, list]:
    """Each juror's raw totals ``T = Σ weight × score``, one per sheet, in ascending order.

    Totals are ``Decimal``: products and sums of the short decimals of weights and scores
    are exact in 28 digits. Every criterion must be scored (as for the ranking).
    """
    weights = [(c.id, Decimal(c.weight)) for c in criteria]
    totals: dict[Any, list[Decimal]] = defaultdict(list)
    with localcontext(_ZSCORE_CONTEXT):
        for sheet in sheets:
            scores = sheet.scores
            totals[sheet.juror_id].append(
                juror_total((w for _cid, w in weights), (Decimal(scores[c]) for c, _w in weights))
            )
    for values in totals.values():
        values.sort()
    return dict(totals)


def juror_totals_after(
    criteria: Sequence[CriterionSpec],
    totals: Mapping[Any, Sequence[Decimal]],
    removed: Iterable[Sheet],
    added: Iterable[Sheet],
) -> dict[Any, list]:
    """``juror_totals`` of the sheets once ``removed`` are taken out and ``added`` put in,
    from ``totals``, the ``juror_totals`` of the sheets before: only the sheets that
    change are summed. A juror left without a sheet has no entry, as in ``juror_totals``."""
    after = {juror: list(values) for juror, values in totals.items()}
    for juror, values in juror_totals(criteria, removed).items():
        for value in values:
            after[juror].remove(value)
    for juror, values in juror_totals(criteria, added).items():
        for value in values:
            bisect.insort(after.setdefault(juror, []), value)
    return {juror: values for juror, values in after.items() if values}


@dataclass(frozen=True)
class Spread:
    """How many values, their mean and their population standard deviation."""

    count: int
    mean: Decimal
    sd: Decimal


def spread(values: Sequence[Decimal]) -> Spread:
    """Mean and population standard deviation, in 28 significant digits (as for z-scores)."""
    if not values:
        return Spread(0, Decimal(0), Decimal(0))
    with localcontext(_ZSCORE_CONTEXT):
        n = Decimal(len(values))
        mean = sum(values, Decimal(0)) / n
        variance = sum(((v - mean) ** 2 for v in values), Decimal(0)) / n
        return Spread(len(values), mean, variance.sqrt())


@dataclass(frozen=True)
class Leniency:
    """Each juror's totals against the panel's (SPEC §11, transparent normalisation)."""

    jurors: Mapping[Any, Spread]
    panel: Spread

    def difference(self, juror: Any) -> Decimal:
        """How much higher (+) or lower (−) the juror scores than the panel, on average."""
        return self.jurors[juror].mean - self.panel.mean


def leniency(totals: Mapping[Any, Sequence[Decimal]]) -> Leniency:
    """Leniency from ``juror_totals``: the panel is every total of every juror together,
    as the z-score normalisation maps totals back onto it (rule 3)."""
    everything = [value for values in totals.values() for value in values]
    return Leniency({juror: spread(values) for juror, values in totals.items()}, spread(everything))


# --- Reading the input -------------------------------------------------------------


def _check_settings(settings: Settings) -> None:
    if settings.aggregation not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {settings.aggregation!r}")
    if settings.normalise not in NORMALISATIONS:
        raise ValueError(f"unknown normalisation {settings.normalise!r}")
    if settings.quorum < 1:
        raise ValueError("the quorum must be at least 1")
    if settings.jury_size is not None and settings.jury_size < 0:
        raise ValueError("the jury cannot have fewer than 0 members")
    if settings.max_winners_per_oblast is not None and settings.max_winners_per_oblast < 1:
        raise ValueError("max_winners_per_oblast must be empty or at least 1")
    if any(places < 1 for places in _places(settings).values()):
        raise ValueError("every category (or the contest) needs at least one winner")
    if settings.categories and settings.fund is not None:
        raise ValueError("with categories, each category has its own fund")
    if settings.category_funds and set(settings.category_funds) - set(settings.categories or ()):
        raise ValueError("a fund is given for a category the contest does not have")
    for fund in _funds(settings).values():
        if fund is not None:
            _check_amount(fund, "a fund")
    weight = settings.round_weight
    if weight is not None:
        if not isinstance(weight, Decimal) or not weight.is_finite() or not 0 < weight <= 100:
            raise ValueError(f"a round's weight is a Decimal percentage in (0, 100]: {weight!r}")
        if settings.aggregation == "sum":
            raise ValueError("rounds cannot be combined when scores are sums of totals")


def _check_amount(value: Any, what: str) -> None:
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or value <= 0
        or decimal_places(value) > 2
    ):
        raise ValueError(f"{what} must be a positive Decimal with at most two places: {value!r}")


def decimal_places(value: Decimal) -> int:
    """How many digits ``value`` has after the point, trailing zeros aside (exact)."""
    _sign, digits, exponent = value.as_tuple()
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + zeros)) if any(digits) else 0


def _places(settings: Settings) -> dict[str | None, int]:
    """Places per ranking group: the categories in their order, or the whole contest."""
    if settings.categories:
        return dict(settings.categories)
    return {None: settings.winners}


def _funds(settings: Settings) -> dict[str | None, Decimal | None]:
    """The fund of each ranking group (rule 9); None: the group has none."""
    if settings.categories:
        return dict(settings.category_funds or {})
    return {None: settings.fund}


def _index_applications(
    applications: Iterable[ApplicationSpec], settings: Settings
) -> dict[Any, ApplicationSpec]:
    apps: dict[Any, ApplicationSpec] = {}
    for app in applications:
        if app.id in apps:
            raise ValueError(f"application id {app.id!r} is given twice")
        if app.requested is not None:
            _check_amount(app.requested, f"the amount requested by {app.number}")
        if app.carried is not None and settings.round_weight is None:
            raise ValueError(f"{app.number} carries a score from a round, yet nothing is combined")
        if settings.categories:
            if app.category not in settings.categories:
                raise ValueError(
                    f"application {app.number} is in unknown category {app.category!r}"
                )
        elif app.category is not None:
            # Without categories the whole contest is one group.
            app = replace(app, category=None)
        apps[app.id] = app
    return apps


@dataclass(frozen=True)
class _Scale:
    """Integer images of scores and weights: T = Σ w_int × s_int / den, exactly."""

    criterion_ids: tuple
    weights: tuple[int, ...]  # weight × weight_den
    points: dict[Decimal, int]  # score value → score × score_den
    score_den: int
    den: int  # score_den × weight_den

    @classmethod
    def of(cls, criteria: Sequence[CriterionSpec], sheets: list[Sheet]) -> _Scale:
        ids = tuple(c.id for c in criteria)
        if len(set(ids)) != len(ids):
            raise ValueError("criterion ids must be unique")
        weights = [Fraction(c.weight) for c in criteria]
        weight_den = math.lcm(*(w.denominator for w in weights))
        # Few distinct score values (0, 0.5, … max): convert each once. Decimal("1") and
        # Decimal("1.0") are equal and hash alike, so one entry serves both.
        distinct: set[Decimal] = set()
        for sheet in sheets:
            distinct.update(sheet.scores.values())
        values = {value: Fraction(value) for value in distinct}
        score_den = math.lcm(1, *(v.denominator for v in values.values()))
        points = {value: int(exact * score_den) for value, exact in values.items()}
        return cls(
            ids,
            tuple(int(w * weight_den) for w in weights),
            points,
            score_den,
            score_den * weight_den,
        )


def _read_sheets(
    scale: _Scale, sheets: list[Sheet], apps: Mapping[Any, ApplicationSpec]
) -> tuple[dict[Any, dict[Any, int]], dict[Any, list[list[int]]]]:
    """Per application: scaled totals by juror, and scaled scores (criterion order) by sheet."""
    totals: dict[Any, dict[Any, int]] = defaultdict(dict)
    scored: dict[Any, list[list[int]]] = defaultdict(list)
    expected = set(scale.criterion_ids)
    point, weights, ids = scale.points.__getitem__, scale.weights, scale.criterion_ids
    for sheet in sheets:
        app_id, juror, scores = sheet.application_id, sheet.juror_id, sheet.scores
        if app_id not in apps:
            raise ValueError(f"a sheet refers to unknown application {app_id!r}")
        if juror in totals[app_id]:
            raise ValueError(f"juror {juror!r} has two sheets for {apps[app_id].number}")
        if scores.keys() != expected:
            raise ValueError(
                f"the sheet of juror {juror!r} for {apps[app_id].number} "
                "must score every criterion and nothing else"
            )
        ints = [point(scores[cid]) for cid in ids]
        totals[app_id][juror] = juror_total(weights, ints)
        scored[app_id].append(ints)
    return totals, scored


# --- Scores --------------------------------------------------------------------------


@dataclass
class _Entry:
    """A row under construction (mutable while winners are chosen)."""

    app: ApplicationSpec
    score: Fraction | Decimal
    raw_score: Fraction
    key: tuple  # the greater, the better (rules 4 and 5)
    juror_totals: dict[Any, Fraction]
    criterion_means: tuple[Fraction, ...]
    spread: int  # max(T) − min(T), scaled
    compare_score: Fraction | Decimal  # the score as compared (rule 4)
    rank: int = 0
    tie: bool = False
    divergent: bool = False
    winner: bool | None = False
    notes: list[Note] = field(default_factory=list)
    awarded: Decimal | None = None  # rule 9
    own_score: Fraction | Decimal | None = None  # rule 10

    @property
    def eligible(self) -> bool:
        return not any(n.code in _THRESHOLD_CODES for n in self.notes)


def _aggregate(values: list, how: str, divide: Callable[[Any, int], Any]) -> Any:
    """Aggregate sorted totals; ``divide(numerator, k)`` makes the exact or decimal quotient."""
    n = len(values)
    if how == "sum":
        return divide(sum(values), 1)
    if how == "median":
        middle = n // 2
        if n % 2:
            return divide(values[middle], 1)
        return divide(values[middle - 1] + values[middle], 2)
    if how == "trimmed_mean" and n >= 4:
        values = values[1:-1]
    return divide(sum(values), len(values))


def _score(
    app: ApplicationSpec,
    totals: Mapping[Any, int],
    scored: list[list[int]],
    scale: _Scale,
    settings: Settings,
    adjusted: Mapping[tuple, Decimal] | None,
) -> _Entry:
    ordered = sorted(totals.values())
    raw = _aggregate(ordered, settings.aggregation, lambda num, k: _exact(num, k * scale.den))
    if adjusted is None:
        score, compare = raw, raw
    else:
        normalised = sorted(adjusted[app.id, juror] for juror in totals)
        with localcontext(_ZSCORE_CONTEXT):
            score = _aggregate(normalised, settings.aggregation, lambda num, k: num / k)
            compare = _compared(score)
    count = len(ordered)
    means = tuple(
        _exact(sum(column), count * scale.score_den) for column in zip(*scored, strict=True)
    )
    return _Entry(
        app=app,
        score=score,
        raw_score=raw,
        key=(compare, *means),
        juror_totals={j: _exact(t, scale.den) for j, t in totals.items()},
        criterion_means=means,
        spread=ordered[-1] - ordered[0],
        compare_score=compare,
    )


def round_share(score: Fraction | Decimal, maximum: Fraction, weight: Decimal) -> Fraction:
    """Rule 10: a round's score as percentage points of the final score, exactly."""
    return Fraction(weight) * Fraction(score) / maximum


def carried_share(row: Row, ranking: Ranking, weight: Decimal) -> Fraction:
    """Rule 10: what a row of a round gives the next round towards the final score —
    its combined score in a later round, its share (of ``weight``) in the first."""
    if row.own_score is not None:
        return Fraction(row.score)
    return round_share(_compared(row.score), ranking.max_total, weight)


def _compared(score: Fraction | Decimal) -> Fraction | Decimal:
    """The score as rule 4 compares it (a normalised score at 6 decimal places)."""
    if isinstance(score, Decimal):
        return score.quantize(_COMPARE_STEP, rounding=ROUND_HALF_UP)
    return score


def _combined(entry: _Entry, maximum: Fraction, weight: Decimal | None) -> _Entry:
    """Rule 10: the entry ranked on the rounds combined (itself when nothing is)."""
    if weight is None:
        return entry
    own = entry.compare_score
    entry.own_score = entry.score
    entry.score = (entry.app.carried or 0) + round_share(own, maximum, weight)
    entry.key = (entry.score, *entry.key[1:])
    return entry


def _zscore(totals: Mapping[Any, Mapping[Any, int]], den: int) -> dict[tuple, Decimal]:
    """Normalised totals per (application, juror), rule 3."""
    by_juror: dict[Any, list[tuple[Any, int]]] = defaultdict(list)
    for app_id, per_app in totals.items():
        for juror, total in per_app.items():
            by_juror[juror].append((app_id, total))
    everything = [total for pairs in by_juror.values() for _, total in pairs]
    with localcontext(_ZSCORE_CONTEXT):
        mean_all = Decimal(sum(everything)) / Decimal(len(everything) * den) if everything else 0
        sd_all = _population_sd(everything, den)
        adjusted = {}
        for juror, pairs in by_juror.items():
            n, total_j = len(pairs), sum(t for _, t in pairs)
            sd_j = _population_sd([t for _, t in pairs], den)
            for app_id, total in pairs:
                if not sd_j:  # zero spread, or a single total
                    adjusted[app_id, juror] = Decimal(total) / Decimal(den)
                else:
                    # (T − mean_j) = (n·T − ΣT) / (n·den), exact until this division.
                    deviation = Decimal(n * total - total_j) / Decimal(n * den)
                    adjusted[app_id, juror] = mean_all + deviation / sd_j * sd_all
    return adjusted


def _population_sd(values: list[int], den: int) -> Decimal:
    """sqrt of the population variance of values/den; the variance itself is exact."""
    n = len(values)
    if n == 0:
        return Decimal(0)
    # Var = (nΣx² − (Σx)²) / (n²·den²): integers, so only the square root rounds.
    numerator = n * sum(v * v for v in values) - sum(values) ** 2
    return (Decimal(numerator) / Decimal(n * n * den * den)).sqrt()


@dataclass(frozen=True)
class _Thresholds:
    """Rule 7, with the limits converted to Fractions once."""

    min_total: Fraction
    min_points: tuple[tuple[int, CriterionSpec, Fraction], ...]  # (position, criterion, limit)

    @classmethod
    def of(cls, criteria: Sequence[CriterionSpec], settings: Settings) -> _Thresholds:
        return cls(
            Fraction(settings.min_total),
            tuple(
                (i, c, Fraction(c.min_points))
                for i, c in enumerate(criteria)
                if c.min_points is not None
            ),
        )

    def notes(self, entry: _Entry) -> list[Note]:
        notes = []
        if entry.compare_score < self.min_total:
            notes.append(Note("below_min_total", {"min_total": format_score(self.min_total)}))
        for position, criterion, limit in self.min_points:
            if entry.criterion_means[position] < limit:
                params = {"criterion": criterion.code, "min_points": str(criterion.min_points)}
                notes.append(Note("below_min_points", params))
        return notes


# --- Order and winners -------------------------------------------------------------


def _number_key(number: str) -> tuple:
    """Registration numbers in natural order: "X-2024-999" before "X-2024-1000"."""
    parts = re.split(r"(\d+)", number)  # text, digits, text, …
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts))


def _id_key(value: Any) -> tuple[str, Any]:
    # The last resort of the order (numbers are unique anyway); the type name keeps
    # ids of different types from being compared with each other.
    return (type(value).__name__, value)


def _integer_keys(keys: list[tuple]) -> list[tuple[int, ...]]:
    """The keys as tuples of integers in the same order, exactly: each position's values
    (``Fraction``s, or the ``Decimal``s of normalised scores) over their common
    denominator. Integers compare some ten times faster than ``Fraction``s."""
    columns = []
    for column in zip(*keys, strict=True):
        exact = [value if type(value) is Fraction else Fraction(value) for value in column]
        den = math.lcm(*{value.denominator for value in exact})
        columns.append([value.numerator * (den // value.denominator) for value in exact])
    return list(zip(*columns, strict=True)) if columns else [() for _ in keys]


def _tie_groups(entries: list[_Entry]) -> list[list[_Entry]]:
    """Sort one category and cut it into groups of equal key; set rank and tie."""
    # Two stable sorts: by number ascending, then by key descending (ties keep number order).
    entries.sort(key=lambda e: (_number_key(e.app.number), _id_key(e.app.id)))
    keys = dict(zip(map(id, entries), _integer_keys([e.key for e in entries]), strict=True))
    entries.sort(key=lambda e: keys[id(e)], reverse=True)
    groups: list[list[_Entry]] = []
    for position, entry in enumerate(entries, start=1):
        if groups and keys[id(groups[-1][0])] == keys[id(entry)]:
            entry.rank = groups[-1][0].rank
            groups[-1].append(entry)
        else:
            entry.rank = position
            groups.append([entry])
    for group in groups:
        for entry in group:
            entry.tie = len(group) > 1
    return groups


class _Walk:
    """Rules 8 and 9 for one category: ``choose`` without a fund, ``choose_within`` with
    one. Consumes the category's decisions from ``pending``."""

    def __init__(self, places: int, cap: int | None, category: str | None, pending: list):
        self.places = places
        self.cap = cap
        self.category = category
        self.pending = pending
        self.taken = 0
        self.per_oblast: Counter[str] = Counter()

    def choose(self, groups: list[list[_Entry]]) -> None:
        """Rule 8: walk the tie groups from the top until the places are taken."""
        for group in groups:
            if not self._open(group):
                continue
            candidates = self._candidates(group)
            room = self._room(candidates)
            can_win = min(self.places - self.taken, sum(room.values()))
            if can_win == len(candidates):
                chosen = candidates
            else:
                decision = self._decision(group)
                if decision is None:
                    self._undecided(candidates, {"places": can_win})
                    # Whoever the commission picks, the group fills can_win places and,
                    # if places are left below, each oblast's room: the walk below is
                    # determined.
                    self.taken += can_win
                    self.per_oblast.update(room)
                    continue
                chosen = _check_decision(decision, candidates, can_win, room)
                for entry in candidates:
                    entry.notes.append(Note("decision", {}))
            self._win(chosen)

    def choose_within(self, groups: list[list[_Entry]], fund: Decimal) -> Fund:
        """Rule 9: as ``choose``, taking only requests that fit in what is left."""
        left = fund
        reserved = Decimal(0)  # the most undecided ties above may still take
        award = self._award()
        blocked = False  # below an undecided tie, what is left is not known
        for index, group in enumerate(groups):
            if not self._open(group):
                continue
            candidates, skipped = [], []
            for entry in self._candidates(group):
                requested = entry.app.requested
                if requested is None:
                    entry.notes.append(Note("no_request", {}))
                elif requested > left - reserved:
                    entry.notes.append(Note("fund", {"requested": requested, "left": left}))
                    skipped.append(entry)
                else:
                    candidates.append(entry)
            if blocked:
                for entry in candidates:
                    entry.winner = None
                    entry.notes.append(Note("fund_pending", {}))
                continue
            room = self._room(candidates)
            can_win = min(self.places - self.taken, sum(room.values()))
            if can_win == len(candidates) and _requested(candidates) <= left:
                chosen = candidates
            else:
                decision = self._decision(group)
                if decision is None:
                    self._undecided(candidates, {"places": can_win, "left": left - reserved})
                    blocked = self._reserve(
                        candidates, can_win, room, left - reserved, groups[index + 1 :]
                    )
                    if not blocked:
                        reserved += _requested(sorted(candidates, key=_asks)[-can_win:])
                    continue
                chosen = _check_decision(decision, candidates, can_win, room, left - reserved)
                for entry in candidates:
                    entry.notes.append(Note("decision", {}))
            self._win(chosen)
            for entry in chosen:
                entry.awarded = entry.app.requested
                left -= entry.app.requested
            for entry in candidates:
                # Left out by the commission's decision since it no longer fits: skipped
                # for the fund (and so it may be funded in part, from what is left now).
                if entry not in chosen and entry.app.requested > left - reserved:
                    params = {"requested": entry.app.requested, "left": left - reserved}
                    entry.notes.append(Note("fund", params))
                    skipped.append(entry)
            target = next((e for e in group if award and e.app.id == award.application_id), None)
            if target is not None:
                left -= self._fund_partly(target, award, skipped, left - reserved)
                award = None
        return Fund(fund, fund - left, left)

    def _reserve(
        self, candidates: list[_Entry], can_win: int, room: Counter, left: Decimal, below: list
    ) -> bool:
        """Count the places an undecided tie within a fund takes; whether what it leaves
        is unknown to the rows ``below`` (they then await the decision).

        When the tied requests all fit in ``left`` together, the commission must pick
        exactly ``can_win`` of them (leaving out none that fits), and when everything
        below would fit even after the dearest such pick, the walk below is the same
        whoever wins: it goes on with that pick's amount held back. Otherwise at least
        one of them takes a place and the rows below wait."""
        if _requested(candidates) > left:
            self.taken += 1
            return True
        self.taken += can_win
        self.per_oblast.update(room)
        dearest = _requested(sorted(candidates, key=_asks)[-can_win:])
        rest = [e.app.requested or Decimal(0) for group in below for e in group if e.eligible]
        return sum(rest, Decimal(0)) > left - dearest

    def _open(self, group: list[_Entry]) -> bool:
        """Whether places are left for the group (its rows lose until they win)."""
        for entry in group:
            entry.winner = False
        return self.taken < self.places

    def _candidates(self, group: list[_Entry]) -> list[_Entry]:
        """The rows of the group that pass the thresholds and the oblast cap."""
        candidates = []
        for entry in group:
            if not entry.eligible:
                continue
            oblast = entry.app.oblast
            if self.cap is not None and self.per_oblast[oblast] >= self.cap:
                entry.notes.append(Note("oblast_cap", {"oblast": oblast, "cap": self.cap}))
                continue
            candidates.append(entry)
        return candidates

    def _room(self, candidates: list[_Entry]) -> Counter:
        """How many of the candidates each oblast can still take."""
        room: Counter = Counter()
        for oblast, count in Counter(e.app.oblast for e in candidates).items():
            room[oblast] = (
                count if self.cap is None else min(count, self.cap - self.per_oblast[oblast])
            )
        return room

    def _win(self, chosen: list[_Entry]) -> None:
        for entry in chosen:
            entry.winner = True
            self.per_oblast[entry.app.oblast] += 1
        self.taken += len(chosen)

    def _undecided(self, candidates: list[_Entry], params: dict) -> None:
        for entry in candidates:
            entry.winner = None
            entry.notes.append(Note("tie_undecided", params))

    def _decision(self, group: list[_Entry]) -> TieDecision | None:
        ids = {entry.app.id for entry in group}
        found = [
            d
            for d in self.pending
            if isinstance(d, TieDecision) and d.category == self.category and d.winner_ids & ids
        ]
        if len(found) > 1:
            raise ValueError(
                f"more than one decision recorded for the tie in category {self.category!r}"
            )
        if found:
            self.pending.remove(found[0])
            return found[0]
        return None

    def _award(self) -> PartialAward | None:
        found = [
            d for d in self.pending if isinstance(d, PartialAward) and d.category == self.category
        ]
        if len(found) > 1:
            raise ValueError(f"more than one partial award in category {self.category!r}")
        return found[0] if found else None

    def _fund_partly(
        self, entry: _Entry, award: PartialAward, skipped: list[_Entry], left: Decimal
    ) -> Decimal:
        """Fund ``entry``, skipped for the fund, with ``award.amount`` of the ``left``."""
        _check_amount(award.amount, "a partial award")
        oblast = entry.app.oblast
        if (
            entry not in skipped
            or self.taken >= self.places
            or (self.cap is not None and self.per_oblast[oblast] >= self.cap)
            or award.amount > left
        ):
            raise ValueError(_misfit(award))
        self.pending.remove(award)
        entry.notes = [n for n in entry.notes if n.code != "fund"]
        entry.notes.append(
            Note("partial", {"amount": award.amount, "requested": entry.app.requested})
        )
        entry.awarded = award.amount
        self._win([entry])
        return award.amount


def _asks(entry: _Entry) -> Decimal:
    return entry.app.requested


def _requested(entries: Iterable[_Entry]) -> Decimal:
    return sum((entry.app.requested for entry in entries), Decimal(0))


def _check_decision(
    decision: TieDecision,
    candidates: list[_Entry],
    can_win: int,
    room: Mapping[str, int],
    left: Decimal | None = None,
) -> list[_Entry]:
    """The candidates the decision names, after checking that it fits the tie: without a
    fund, exactly as many as can win; within ``left`` of a fund, winners whose requests
    fit together, leaving out no tied candidate that would still fit."""
    by_id = {entry.app.id: entry for entry in candidates}
    strangers = [i for i in decision.winner_ids if i not in by_id]
    if strangers:
        raise ValueError(
            f"the decision names applications that are not among the tied ones that can win: "
            f"{sorted(strangers, key=_id_key)}"
        )
    count = len(decision.winner_ids)
    if (count != can_win) if left is None else not 1 <= count <= can_win:
        raise ValueError(f"the decision names {count} winner(s) for {can_win} place(s)")
    chosen = sorted((by_id[i] for i in decision.winner_ids), key=candidates.index)
    taken = Counter(e.app.oblast for e in chosen)
    for oblast, count in taken.items():
        if count > room[oblast]:
            raise ValueError(f"the decision gives oblast {oblast} more winners than its cap")
    if left is not None:
        rest = left - _requested(chosen)
        if rest < 0:
            raise ValueError("the decision's winners request more than is left of the fund")
        for entry in candidates:
            if (
                entry not in chosen
                and len(chosen) < can_win
                and taken[entry.app.oblast] < room[entry.app.oblast]
                and entry.app.requested <= rest
            ):
                raise ValueError(
                    f"the decision leaves out {entry.app.number}, whose request still fits "
                    "in what is left of the fund"
                )
    return chosen


def _freeze(entry: _Entry, category: str | None) -> Row:
    notes = list(entry.notes)
    if entry.tie and not any(n.code in {"tie_undecided", "decision"} for n in notes):
        notes.append(Note("tie", {"rank": entry.rank}))
    return Row(
        rank=entry.rank,
        application_id=entry.app.id,
        number=entry.app.number,
        organisation=entry.app.organisation,
        oblast=entry.app.oblast,
        category=category,
        score=entry.score,
        raw_score=entry.raw_score,
        juror_totals=entry.juror_totals,
        jurors=len(entry.juror_totals),
        criterion_means=entry.criterion_means,
        tie=entry.tie,
        divergent=entry.divergent,
        eligible=entry.eligible,
        winner=entry.winner,
        notes=tuple(notes),
        requested=entry.app.requested,
        awarded=entry.awarded,
        own_score=entry.own_score,
    )
