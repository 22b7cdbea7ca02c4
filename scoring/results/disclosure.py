"""What of the results each audience may see (SPEC §6, §8): the one place that decides.

- The contest's organisers see everything from the judging stage on: the ranking with
  every juror's total, divergences and their resolutions, the decisions, the exports
  and the protocol (``deliberation_views`` and ``documents`` check that they organise it).
- A juror sees their own scoresheets, never another juror's scores or comments
  (``judging``); of the results, a juror sees what the public sees.
- Applicants and the public see nothing of the results before publication
  (``results_public``). Afterwards they see ``public_results``: the winners and, when
  the contest publishes its full ranking (``Contest.results_full_ranking``), every
  ranked application and those not ranked; place, number, applicant, community,
  oblast, score and the notes of each; with a fund (SPEC §12), the amount each requested
  and was awarded, and the fund, the total awarded and what is left; and the
  commission's decisions on ties and on funding in part, with their reasons
  (``disclosed_decisions``). The public page, the JSON API
  (``public_json``), the announcement PDF and the applicant's personal-data file show
  this and nothing more. Jurors' totals, the number of sheets, divergences and how the
  commission resolved them stay with the organisers.

Before publication the organisers' draft of the announcement shows what publication
will show, with the ties still awaiting a decision.

An applicant sees, besides, their own application's result once the results are out
(SPEC §14): ``applicant_outcome`` (winner or not, the place among the winners, the rank
and the score, what was awarded, the remarks of its row), even when the contest
publishes only the winners: their own place and score are theirs to know, and nothing
of another application comes with them. ``applicant_feedback`` adds what the contest
declared before judging (``Contest.feedback``): the mean of the counted sheets per
criterion against the maximum, and with ``comments`` the jurors' comments without
names, criterion by criterion and in an order made from the comments themselves
(``anonymous_order``), never by juror or sheet, so that no order and no grouping maps a
comment to its author. Neither says how many jurors scored.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from flask import Response, request, session
from flask_babel import gettext as _
from sqlalchemy import select

from .. import lifecycle, ranking, rounds
from ..csrftokens import written_token
from ..extensions import db
from ..models import (
    Application,
    ApplicationState,
    Category,
    Conflict,
    Contest,
    Criterion,
    Decision,
    DecisionKind,
    Feedback,
    Score,
    Scoresheet,
    SheetState,
)
from .loading import Loaded, load
from .presentation import describe, notes_text, tie_groups


def results_public(contest: Contest) -> bool:
    """Whether the results are out: anyone may see ``public_results`` (SPEC §3)."""
    return lifecycle.results_frozen(contest)


def shared_published(response: Response, etag: str | None = None) -> Response:
    """Published results (the API, the announcement PDF) as any cache may keep them, but
    asked again each time with their ETag (of the body, unless ``etag`` is given): a
    reopening after an appeal or an erased name shows at once, and an unchanged answer
    comes back as a 304 without its body."""
    response.headers["Cache-Control"] = "public, no-cache"
    if etag is None:
        response.add_etag()
    else:
        response.set_etag(etag)
    return response.make_conditional(request)


def private_conditional(response: Response) -> Response:
    """A page of the published results (HTML) as only the visitor's browser may keep it,
    asked again each time with its ETag: what the page shows, their own page around it
    included (name, menu, language, messages), and their session's CSRF secret, whose
    token the page's forms carry. The token itself, masked anew for each response
    (``csrftokens``), is left out, so that an unchanged page comes back as a 304. Not
    ``public``: the page holds a form token of this session, which a shared cache must
    not give to another."""
    secret = session.get("csrf_token", "")
    token = written_token()
    body = response.get_data()
    if token:
        body = body.replace(token.encode(), b"")
    digest = hashlib.sha256(body)
    digest.update(secret.encode())
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    response.set_etag(digest.hexdigest())
    return response.make_conditional(request)


def disclosed_decisions(contest: Contest, decisions: Iterable[Decision]) -> list[Decision]:
    """The decisions of the commission that applicants and the public may read: those on
    ties and on funding in part, once the results are published (a decision that no
    longer fits the scores blocks publication, and the scores are frozen after it).
    Resolutions of divergences speak of the jurors' totals: never."""
    return _on_ties(decisions) if results_public(contest) else []


def _on_ties(decisions: Iterable[Decision]) -> list[Decision]:
    """The decisions that settle who wins: on ties, and on funding in part."""
    return [d for d in decisions if d.kind in (DecisionKind.TIE, DecisionKind.PARTIAL)]


@dataclass(frozen=True)
class PublicRow:
    """A ranked application as the public sees it (no juror's total, no flag of theirs)."""

    application_id: int
    rank: int
    number: str
    organisation: str
    community: str
    oblast: str
    category: str | None
    score: Fraction | Decimal
    tie: bool
    winner: bool | None  # None: a tie awaiting the decision (only before publication)
    winner_place: int | None  # the place among the winners (SPEC §16)
    notes: tuple[ranking.Note, ...]
    requested: Decimal | None = None  # SPEC §12, with a fund
    awarded: Decimal | None = None
    own_score: Fraction | Decimal | None = None  # rounds combined (SPEC §13): the round's


@dataclass(frozen=True)
class PublicUnranked:
    """An admitted application with too few scoresheets, and why."""

    number: str
    organisation: str
    category: str | None
    note: ranking.Note


@dataclass(frozen=True)
class PublicDecision:
    """The commission's decision on a tie: which applications won it, and why."""

    category: str | None
    numbers: tuple[str, ...]  # the applications the commission named as winners
    reason: str
    decided_at: datetime
    amount: Decimal | None = None  # funded in part with this amount (SPEC §12)


@dataclass(frozen=True)
class PublicTie:
    """A tie at the last winning places: the tied applications the public sees (all of
    them, or only the winners when the contest publishes only them), and the decision."""

    category: str | None
    rank: int
    rows: tuple[PublicRow, ...]
    complete: bool  # every tied application is among ``rows``
    decision: PublicDecision | None  # None while it awaits the commission


@dataclass(frozen=True)
class PublicResults:
    """What the public results show, and all that the public files may show."""

    full_ranking: bool
    places: int  # how many can win, over the categories
    max_total: Fraction
    quorum: int  # as the ranking applied it: capped by the jury's size
    unequal_sums: tuple[int, int] | None  # (fewest, most) jurors summed, when unequal (§6.3)
    rows: tuple[PublicRow, ...]  # in ranking order, category by category
    not_ranked: tuple[PublicUnranked, ...]
    decisions: tuple[PublicDecision, ...]
    ties: tuple[PublicTie, ...]
    criteria: tuple[Criterion, ...]
    categories: tuple[Category, ...]
    funds: Mapping[str | None, ranking.Fund] = field(default_factory=dict)  # SPEC §12
    settings: ranking.Settings | None = None  # for the JSON of the funds

    @property
    def winners(self) -> tuple[PublicRow, ...]:
        return tuple(row for row in self.rows if row.winner)


def public_results(contest: Contest, loaded: Loaded | None = None) -> PublicResults:
    """The results as published, whatever the stage: callers check ``results_public``
    (or that the organisers look at their draft). ``loaded`` saves a second load."""
    loaded = loaded or load(contest)
    result, stale = loaded.rank()
    full = contest.results_full_ranking
    names = {app.id: app.organisation for app in loaded.inputs.applications}
    places = ranking.winner_places(result)
    categories = {c.id: c.code for c in loaded.categories}
    # Winners only: the undecided rows stay, so that the organisers' draft says that
    # places await a decision (after publication none does).
    rows = {
        row.application_id: PublicRow(
            application_id=row.application_id,
            rank=row.rank,
            number=row.number,
            organisation=row.organisation,
            community=loaded.applicants[row.application_id].community,
            oblast=row.oblast,
            category=row.category,
            score=row.score,
            tie=row.tie,
            winner=row.winner,
            winner_place=places.get(row.application_id),
            notes=row.notes,
            requested=row.requested if result.funds else None,
            awarded=row.awarded,
            own_score=row.own_score,
        )
        for row in result.rows
        if full or row.winner is not False
    }
    decisions = {
        d.id: PublicDecision(
            category=categories.get(d.category_id),
            numbers=tuple(rows[i].number for i in _named(d) if i in rows),
            reason=d.reason,
            decided_at=d.decided_at,
            amount=d.amount,
        )
        for d in _on_ties(loaded.decisions)
        if all(d is not s for s in stale)
    }
    ties = []
    for group in tie_groups(result):
        ids = {row.application_id for row in group.rows}
        decision = next(
            (
                decisions[d.id]
                for d in _on_ties(loaded.decisions)
                if group.decided and d.id in decisions and ids & set(d.winner_ids)
            ),
            None,
        )
        shown = tuple(rows[i] for i in (row.application_id for row in group.rows) if i in rows)
        ties.append(PublicTie(group.category, group.rank, shown, len(shown) == len(ids), decision))
    return PublicResults(
        full_ranking=full,
        places=sum(c.winners for c in loaded.categories) or contest.winners,
        max_total=result.max_total,
        quorum=result.quorum,
        unequal_sums=result.unequal_sums,
        rows=tuple(rows.values()),
        not_ranked=tuple(
            PublicUnranked(item.number, names[item.application_id], item.category, item.as_note)
            for item in result.not_ranked
        )
        if full
        else (),
        decisions=tuple(decisions.values()),
        ties=tuple(ties),
        criteria=tuple(loaded.criteria),
        categories=tuple(loaded.categories),
        funds=result.funds,
        settings=result.settings,
    )


def _named(decision: Decision) -> list[int]:
    """The applications a decision names: a tie's winners, or the one funded in part."""
    if decision.kind == DecisionKind.PARTIAL:
        return [decision.application_id]
    return list(decision.winner_ids or [])


def unequal_sums_note(unequal: tuple[int, int] | None) -> str | None:
    """What the public page and the API say when the scores are sums over different
    numbers of jurors (SPEC §6.3): a lower sum may mean fewer jurors, not a worse one."""
    if unequal is None:
        return None
    return _(
        "Note: the scores are sums of the jurors’ totals, and the applications were scored "
        "by different numbers of jurors (from %(fewest)s to %(most)s): an application "
        "scored by fewer jurors has a lower sum.",
        fewest=unequal[0],
        most=unequal[1],
    )


def public_json(results: PublicResults, contest_slug: str) -> dict:
    """The public results as the JSON of ``/api/contests/<slug>/results``: the shape of
    ``rank --format json`` (SPEC §9) with what the public page shows and only that (its
    community, and the decisions on ties), without the jurors' count and divergence."""
    with_category = bool(results.categories)
    with_fund = bool(results.funds)

    def row_json(row: PublicRow) -> dict:
        item = {
            "rank": row.rank,
            "number": row.number,
            "organisation": row.organisation,
            "community": row.community,
            "oblast": row.oblast,
        }
        if with_category:
            item["category"] = row.category
        item["score"] = ranking.format_score(row.score)
        if row.own_score is not None:
            item["round_score"] = ranking.format_score(row.own_score)
        if with_fund:
            item["requested"] = ranking.optional_amount(row.requested)
            item["awarded"] = ranking.optional_amount(row.awarded)
        item.update(
            tie=row.tie,
            winner=row.winner,
            note=notes_text(row.notes),
        )
        return item

    document: dict = {"contest": contest_slug, "winners": results.places}
    if with_fund:
        document.update(ranking.fund_json(results.funds, results.settings))
    if results.unequal_sums is not None:
        fewest, most = results.unequal_sums
        document["unequal_sums"] = {
            "fewest": fewest,
            "most": most,
            "note": unequal_sums_note(results.unequal_sums),
        }
    return document | {
        "ranking": [row_json(row) for row in results.rows],
        "not_ranked": [
            {"number": n.number, "organisation": n.organisation, "reason": describe(n.note)}
            | ({"category": n.category} if with_category else {})
            for n in results.not_ranked
        ],
        "decisions": [
            {
                "winners": list(d.numbers),
                "reason": d.reason,
                "decided_at": d.decided_at.isoformat(),
            }
            | ({"category": d.category} if with_category else {})
            | ({"amount": ranking.format_amount(d.amount)} if d.amount is not None else {})
            for d in results.decisions
        ],
    }


# An applicant's own result (SPEC §14) ---------------------------------------------------

WINNER, RANKED, NOT_RANKED, NOT_ADMITTED = "winner", "ranked", "not_ranked", "not_admitted"


@dataclass(frozen=True)
class Outcome:
    """One application's result as its applicant sees it after publication."""

    application_id: int
    number: str
    kind: str  # WINNER, RANKED, NOT_RANKED (too few sheets) or NOT_ADMITTED (screening)
    rank: int | None = None
    place: int | None = None  # among the winners of its category (SPEC §16), winners only
    score: Fraction | Decimal | None = None
    category: str | None = None
    notes: tuple[ranking.Note, ...] = ()  # its row's remarks, or why it is not ranked
    # What the fund gives it (SPEC §12), as the ranking reckons it (``ranking.Row.awarded``:
    # the amount requested, or the commission's partial award); None without a fund or a grant.
    awarded: Decimal | None = None
    # A round that others follow (SPEC §13): its winners advance to ``next_round``, the
    # round number ``next_number``; None in the last round and a one-round contest.
    next_round: Contest | None = None
    next_number: int | None = None
    own_score: Fraction | Decimal | None = None  # rounds combined: the round's own score

    @property
    def winner(self) -> bool:
        return self.kind == WINNER

    @property
    def advances(self) -> bool:
        return self.winner and self.next_round is not None


def outcomes(contest: Contest, loaded: Loaded | None = None) -> dict[int, Outcome]:
    """Every submitted application's outcome by application id, from one ranking; callers
    check ``results_public`` (the publication e-mail is sent once it is)."""
    loaded = loaded or load(contest)
    result, _stale = loaded.rank()
    places = ranking.winner_places(result)
    later = rounds.next_round(contest)
    following = {"next_round": later, "next_number": rounds.number(later) if later else None}
    found = {
        row.application_id: Outcome(
            application_id=row.application_id,
            number=row.number,
            kind=WINNER if row.winner else RANKED,
            rank=row.rank,
            place=places.get(row.application_id),
            score=row.score,
            category=row.category,
            notes=row.notes,
            # A round that others follow awards nothing yet: its winners advance.
            awarded=row.awarded if later is None else None,
            own_score=row.own_score,
            **following,
        )
        for row in result.rows
    }
    for item in result.not_ranked:
        found[item.application_id] = Outcome(
            item.application_id,
            item.number,
            NOT_RANKED,
            category=item.category,
            notes=(item.as_note,),
            **following,
        )
    for app_id, number in db.session.execute(
        select(Application.id, Application.number).where(
            Application.contest_id == contest.id,
            Application.state.in_((ApplicationState.SUBMITTED, ApplicationState.REJECTED)),
        )
    ):
        found[app_id] = Outcome(app_id, number, NOT_ADMITTED, **following)
    return found


def applicant_outcome(application: Application) -> Outcome | None:
    """The application's result for its applicant, or None before publication."""
    if not results_public(application.contest) or application.state == ApplicationState.DRAFT:
        return None
    return outcomes(application.contest).get(application.id)


@dataclass(frozen=True)
class CriterionFeedback:
    criterion: Criterion
    mean: Fraction | None  # of the counted sheets' points; None when none scored it
    comments: tuple[str, ...]  # empty unless the contest gives the comments


@dataclass(frozen=True)
class ApplicantFeedback:
    """What the jury's scoring tells the applicant (SPEC §14), and nothing of who said it."""

    with_comments: bool
    criteria: tuple[CriterionFeedback, ...]
    overall: tuple[str, ...]  # the sheets' overall comments

    @property
    def max_total(self) -> Decimal:
        return ranking.max_total([line.criterion for line in self.criteria], Decimal)


def anonymous_order(texts: Iterable[str], seed: str) -> tuple[str, ...]:
    """The non-empty ``texts`` in an order that says nothing of who wrote them: sorted by
    their content first, so that no order of jurors or sheets survives, then shuffled
    by a generator seeded with ``seed`` (the page and the PDF agree every time)."""
    ordered = sorted(text.strip() for text in texts if text and text.strip())
    # Not for secrecy (the sort already dropped every trace of the author): a fixed order.
    random.Random(hashlib.sha256(seed.encode()).digest()).shuffle(ordered)  # noqa: S311
    return tuple(ordered)


def applicant_feedback(application: Application) -> ApplicantFeedback | None:
    """The feedback the contest declared, for the application's own applicant, or None
    (no feedback declared, results not public, or the application was not scored).

    The sheets are those the ranking counts: submitted, without a conflict of interest.
    Two queries, whatever the size of the jury.
    """
    contest = application.contest
    if (
        contest.feedback == Feedback.NONE
        or not results_public(contest)
        or application.state != ApplicationState.ADMITTED
    ):
        return None
    with_comments = contest.feedback == Feedback.COMMENTS
    counted = (
        Scoresheet.application_id == application.id,
        Scoresheet.state == SheetState.SUBMITTED,
        Scoresheet.conflict == Conflict.NONE,
    )
    points, comments = defaultdict(list), defaultdict(list)
    for criterion_id, value, comment in db.session.execute(
        select(Score.criterion_id, Score.points, Score.comment)
        .join(Scoresheet, Score.scoresheet_id == Scoresheet.id)
        .where(*counted)
    ):
        if value is not None:
            points[criterion_id].append(Fraction(value))
        comments[criterion_id].append(comment)
    overall = (
        db.session.scalars(select(Scoresheet.overall_comment).where(*counted)).all()
        if with_comments
        else []
    )
    criteria = db.session.scalars(
        select(Criterion).where(Criterion.contest_id == contest.id).order_by(Criterion.position)
    ).all()
    return ApplicantFeedback(
        with_comments=with_comments,
        criteria=tuple(
            CriterionFeedback(
                criterion=c,
                mean=sum(points[c.id]) / len(points[c.id]) if points[c.id] else None,
                comments=anonymous_order(comments[c.id], f"{application.id}:{c.id}")
                if with_comments
                else (),
            )
            for c in criteria
        ),
        overall=anonymous_order(overall, f"{application.id}:overall"),
    )
