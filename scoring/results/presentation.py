"""A ``Ranking`` as people see it: remarks in words, scores formatted, applicants named,
ties grouped. The deliberation page, the public page and the API, the exports, the
``rank`` command and the documents all take the ranking through here, so each of these
says the same thing the same way.

- ``describe`` and ``notes_text``: the engine's remarks (``ranking.Note``) in the
  interface language; ``ranking_json``: the JSON of SPEC §9 with them;
- ``Points``: scores for pages («87,33», two places, half up), each value formatted
  once; ``display_score``: the same rounding as a ``Decimal`` for files and documents;
  ``to_decimal``: an exact score (a ``Fraction``) as a ``Decimal`` for arithmetic;
- ``applicant_names``: the applicants as the organisers' pages show them, hidden while
  a blind contest is being scored; ``title``: a category's or a criterion's title;
- ``tie_groups``: the ties at the last winning places, decided by the commission or
  awaiting it (``undecided_ties``, ``find_tie``);
- ``balances``: with a fund (SPEC §12), what is left of it after each row.
- ``outcome_text``: an applicant's own result in words (``disclosure.Outcome``), for the
  application's page, the e-mail of publication and the feedback PDF alike.

No database and no request: a ranking (and what ``loading`` read beside it) in, plain
values out, in the language of the moment (``flask_babel``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import ranking
from ..i18n import MINUS, money, number, oblast_name, points
from ..rounds import round_title


def describe(note: ranking.Note) -> str:
    """A remark of the engine in the interface language (SPEC §9 ``note``)."""
    params = dict(note.params)
    for key in ("min_total", "min_points"):
        if key in params:
            params[key] = number(params[key])
    for key in ("requested", "left", "amount"):
        if key in params:
            params[key] = money(params[key])
    if "oblast" in params:
        params["oblast"] = oblast_name(params["oblast"])
    code = note.code
    if code == "tie_undecided" and "left" in params:
        code = "tie_undecided_fund"
    return str(NOTE_TEXTS[code]).format(**params)


# Written with str.format names so the engine's parameters fill them after translation.
NOTE_TEXTS = {
    "below_min_total": _l("cannot win: the score is below the minimum total {min_total}"),
    "below_min_points": _l(
        "cannot win: the mean on criterion {criterion} is below the minimum {min_points}"
    ),
    "oblast_cap": _l("skipped: {oblast} already has the most winners allowed ({cap})"),
    "tie": _l("equal score: shares place {rank}"),
    "tie_undecided": _l(
        "tie at the last winning place (places left: {places}): awaits the commission's decision"
    ),
    "decision": _l("the tie is decided by the commission"),
    "below_quorum": _l("too few scoresheets: {jurors} of the {quorum} required"),
    "fund": _l("skipped: the request of {requested} does not fit in the {left} left of the fund"),
    "no_request": _l("skipped: no amount requested"),
    "fund_pending": _l(
        "awaits the commission’s decision on the tie above: what is left of the fund depends "
        "on it"
    ),
    "partial": _l("funded in part by the commission’s decision: {amount} of the {requested}"),
    "tie_undecided_fund": _l(
        "tie at the edge of the fund ({left} left, places left: {places}): awaits the "
        "commission’s decision"
    ),
}


def notes_text(notes, memo: dict | None = None) -> str:
    """The remarks of a row in words, joined with "; " (``memo``: texts already made)."""
    if memo is None:
        return "; ".join(describe(note) for note in notes)
    texts = []
    for note in notes:
        key = (note.code, tuple(sorted(note.params.items())))
        text = memo.get(key)
        if text is None:
            text = memo[key] = describe(note)
        texts.append(text)
    return "; ".join(texts)


def outcome_text(outcome) -> str:
    """«Winner: place 2 among the winners, score 87,33» and the like (SPEC §14)."""
    score = points(ranking.format_score(outcome.score)) if outcome.score is not None else ""
    if getattr(outcome, "own_score", None) is not None:  # rounds combined (SPEC §13)
        score = _(
            "%(own)s in this round, %(combined)s in the final score",
            own=points(ranking.format_score(outcome.own_score)),
            combined=score,
        )
    later = getattr(outcome, "next_round", None)
    if later is not None and outcome.kind == "winner":
        return _(
            "Advances to round %(round)s «%(title)s»: place %(place)s among those who "
            "advance, score %(score)s",
            round=outcome.next_number,
            title=round_title(later),
            place=outcome.place,
            score=score,
        )
    if later is not None and outcome.kind == "ranked":
        return _(
            "Does not advance to round %(round)s: place %(rank)s in the ranking, score "
            "%(score)s",
            round=outcome.next_number,
            rank=outcome.rank,
            score=score,
        )
    if outcome.kind == "winner":
        if outcome.category:
            return _(
                "Winner in its category: place %(place)s among the winners, score %(score)s",
                place=outcome.place,
                score=score,
            )
        return _(
            "Winner: place %(place)s among the winners, score %(score)s",
            place=outcome.place,
            score=score,
        )
    if outcome.kind == "ranked":
        return _(
            "Not among the winners: place %(rank)s in the ranking, score %(score)s",
            rank=outcome.rank,
            score=score,
        )
    if outcome.kind == "not_ranked":
        return _("Not ranked: %(reason)s", reason=notes_text(outcome.notes))
    return _("Not admitted to evaluation: the jury did not score it")


def ranking_json(result: ranking.Ranking, slug: str) -> dict:
    """The ranking as the JSON document of SPEC §9, the remarks in the current language."""
    return ranking.to_json(result, slug, describe=describe)


class Points:
    """``i18n.points`` for many values: each distinct value is formatted once.

    A value is looked up by identity before it is by value: the engine's totals and
    means repeat as the same objects (a ranking page shows 8,000 of them), and hashing a
    ``Fraction`` costs a microsecond. Each value is kept beside its text, so that its
    identity stays its own while it is looked up."""

    def __init__(self):
        self.cache: dict = {}
        self.same: dict[int, tuple] = {}  # id(value) → (value, text)

    def __call__(self, value) -> str:
        seen = self.same.get(id(value))
        if seen is not None:
            return seen[1]
        text = self.cache.get(value)
        if text is None:
            text = self.cache[value] = points(ranking.format_score(value))
        self.same[id(value)] = (value, text)
        return text

    def signed(self, value) -> str:
        text = self(value)
        return text if text.startswith(MINUS) or value == 0 else "+" + text


@functools.lru_cache(maxsize=4096)  # a protocol repeats the same totals thousands of times
def display_score(value: Fraction | Decimal) -> Decimal:
    """A score rounded for display (two places, half up), SPEC §6.4."""
    return Decimal(ranking.format_score(value))


def to_decimal(value: Fraction | Decimal) -> Decimal:
    """An exact score or total as a ``Decimal`` (for arithmetic with the settings)."""
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)


def title(item, language: str) -> str:
    """A category's or a criterion's title in ``language`` (Ukrainian when not given)."""
    return (item.title_en if language == "en" else "") or item.title_uk


def applicant_names(loaded, *, hidden: bool) -> dict:
    """Applicants by application id as the organisers' pages show them; ``hidden`` (a
    blind contest while the jury is scoring): «Application 3» instead of the name."""
    if hidden:
        pattern = _("Application %(serial)s")  # without arguments: the pattern itself
        return {
            app.id: pattern % {"serial": loaded.applicants[app.id].serial or app.number}
            for app in loaded.inputs.applications
        }
    return {app.id: app.organisation for app in loaded.inputs.applications}


@dataclass(frozen=True)
class TieGroup:
    """Applications tied at the last winning places, of which ``places`` can win;
    ``decided`` once the commission has named the winners among them."""

    category: str | None
    rank: int
    places: int
    rows: tuple[ranking.Row, ...]
    decided: bool = False
    left: Decimal | None = None  # what is left of the fund for them (SPEC §12)


def tie_groups(result: ranking.Ranking) -> list[TieGroup]:
    """The ties at the last winning places (SPEC §6.8), decided or not, in ranking order."""
    groups: dict[tuple, list[ranking.Row]] = {}
    for row in result.rows:
        if any(n.code in ("decision", "tie_undecided") for n in row.notes):
            groups.setdefault((row.category, row.rank), []).append(row)
    found = []
    for (category, rank), rows in groups.items():
        note = next((n for n in rows[0].notes if n.code == "tie_undecided"), None)
        if note is None:  # decided: its places are those the commission filled
            winners = sum(1 for row in rows if row.winner)
            found.append(TieGroup(category, rank, winners, tuple(rows), decided=True))
        else:
            places, left = note.params["places"], note.params.get("left")
            found.append(TieGroup(category, rank, places, tuple(rows), left=left))
    return found


def undecided_ties(result: ranking.Ranking) -> list[TieGroup]:
    """The ties that await the commission's decision, in ranking order."""
    return [group for group in tie_groups(result) if not group.decided]


def find_tie(result: ranking.Ranking, category: str | None, rank: int) -> TieGroup | None:
    return next(
        (g for g in undecided_ties(result) if g.category == category and g.rank == rank), None
    )


def balances(result: ranking.Ranking) -> dict:
    """With a fund (SPEC §12): what is left of it after each row's award, by application
    id, row after row in ranking order (the fund's running balance); rows of a category
    without a fund are not in it."""
    left: dict = {code: fund.fund for code, fund in result.funds.items()}
    found = {}
    for row in result.rows:
        if row.category in left:
            left[row.category] -= row.awarded or 0
            found[row.application_id] = left[row.category]
    return found
