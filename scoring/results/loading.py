"""The contest's ranking from the database: ``load`` is the one bridge between the models
and the pure engine in ``scoring.ranking``. It reads the contest in six queries,
whatever its size, and ``contest_ranking`` ranks what it read. What is heavy is kept
per app by the state of the contest (``_Kept``): the ranking is computed once per change
and shared by the ranking page, its exports and the documents.

The applicants are read as they were submitted (SPEC §8: the ``applicant_*`` facts of
the application, never the organisation's profile as it is now), with the amounts they
request and the funds of the contest or its categories (SPEC §12); the quorum is
capped by the size of the jury: its members, and anyone else whose submitted sheets
count (SPEC §6.1), never only those who have submitted something.
"""

import gc
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal

from flask import current_app, has_request_context, request
from sqlalchemy import select

from .. import ranking, rounds
from ..database import READ_ONLY_METHODS, driver_rows
from ..extensions import db
from ..models import (
    Application,
    ApplicationState,
    AuditEntry,
    Category,
    Conflict,
    Contest,
    Criterion,
    Decision,
    DecisionKind,
    JuryMember,
    Score,
    Scoresheet,
    SheetState,
    User,
)
from ..pagecache import state_in_session


@dataclass(frozen=True)
class Applicant:
    """What the pages show of an admitted application besides what the engine keeps."""

    serial: int | None
    community: str
    category_id: int | None


@dataclass
class _Kept:
    """The heavy part of a contest's ranking — its applications, its sheets and, once
    asked for, the ranking itself — kept by the state of the contest.

    A page view computes the ranking once after a change, and the ranking page, its
    exports, the protocol and the other pages read after it share the result until the
    contest changes again. The state is ``pagecache.state_in_session`` (the newest audit
    entries that concern the contest), read in the request's own transaction before
    the data, so what is kept is never older than its key. Only requests that read
    (GET, HEAD) use it: a request that writes reads the database as it is. After writes
    that change only scoresheets — a draft saved, a sheet submitted, reopened or
    recused — the reading is brought up to date by reading those sheets alone
    (``_brought_up_to_date``), the jurors' totals kept with it. Threads share it: its
    sheets never change once read; the ranking and the totals are filled in once.
    """

    applications: tuple[ranking.ApplicationSpec, ...]
    applicants: dict[int, Applicant]
    counted: dict[int, ranking.Sheet]  # the sheets that count, by scoresheet id
    members: frozenset  # the jury's members (user ids)
    ranked: tuple | None = None  # (Ranking, indexes of the decisions left out)
    totals: tuple | None = None  # (criteria, ranking.juror_totals of the sheets by them)
    sheets: tuple[ranking.Sheet, ...] = field(init=False)
    jury_size: int = field(init=False)  # the members, and whoever else has sheets that count

    def __post_init__(self):
        self.sheets = tuple(self.counted.values())
        self.jury_size = len(self.members.union(s.juror_id for s in self.sheets))


class _KeptRankings:
    """The last few contests ranked in this process, least recently used first out."""

    SIZE = 4

    def __init__(self):
        self.items: OrderedDict[tuple, _Kept] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> _Kept | None:
        with self.lock:
            kept = self.items.get(key)
            if kept is not None:
                self.items.move_to_end(key)
            return kept

    def latest(self, contest_id: int) -> tuple[tuple, _Kept] | None:
        """The contest's most recently used key and reading."""
        with self.lock:
            for key in reversed(self.items):
                if key[0] == contest_id:
                    return key, self.items[key]
        return None

    def put(self, key: tuple, kept: _Kept) -> None:
        with self.lock:
            self.items[key] = kept
            while len(self.items) > self.SIZE:
                self.items.popitem(last=False)


@contextmanager
def _without_cyclic_gc():
    """Python's cycle collector paused while a ranking is read or computed: they make
    hundreds of thousands of objects and no cycle, and the collector's passes over them
    cost a fifth of the CPU of reading 420,000 scores (``make bench``)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _kept_rankings() -> _KeptRankings:
    """This app's kept rankings (one per app: a process may serve several databases)."""
    return current_app.extensions.setdefault("kept_rankings", _KeptRankings())


def _reading_state(contest: Contest) -> tuple | None:
    if not has_request_context() or request.method not in READ_ONLY_METHODS:
        return None
    return (contest.id, state_in_session(contest.id))


# The actions that change one scoresheet (its ``object_id``) and nothing else the
# ranking reads: its points and comments, its submission or reopening, its conflict.
SHEET_ACTIONS = frozenset(
    {
        "score.changed",
        "comment.changed",
        "scoresheet.submitted",
        "scoresheet.reopened",
        "conflict.declared_none",
        "conflict.recused",
    }
)
SHEET_WRITES_LIMIT = 1000  # more entries than this since a kept reading: read anew


def _brought_up_to_date(key: tuple) -> _Kept | None:
    """The contest's last kept reading, brought up to date when every write since only
    changed scoresheets (``SHEET_ACTIONS``); None when the contest must be read anew.

    Jurors save their drafts every few seconds while they score, and submit a sheet
    now and then; an organiser reopens one. After such writes the applications and the
    other sheets read before are still true: only the sheets written are read again
    (their scores, when they count now) and put in place of what was kept of them. When
    none of them counts differently — drafts saved — the kept reading is still the
    same, its ranking included. It applies when the entries of no contest and of the
    shared action are the same as then, the contest's entry of then is still in the log
    with its hash (the same chain), and each of the contest's entries since is a
    ``SHEET_ACTIONS`` entry. Two small queries instead of reading every score.
    """
    contest_id, state = key
    found = _kept_rankings().latest(contest_id)
    if found is None:
        return None
    (_id, then), kept = found
    own_then = max((row for row in then if row[2] == contest_id), default=None)
    own_now = max((row for row in state if row[2] == contest_id), default=None)
    if own_then is None or own_now is None or own_now[0] <= own_then[0]:
        return None
    if [row for row in then if row[2] != contest_id] != [r for r in state if r[2] != contest_id]:
        return None
    entries = db.session.execute(
        select(
            AuditEntry.id,
            AuditEntry.hash,
            AuditEntry.action,
            AuditEntry.object_type,
            AuditEntry.object_id,
        )  # fmt: skip
        .where(
            AuditEntry.contest_id == contest_id,
            AuditEntry.id >= own_then[0],
            AuditEntry.id <= own_now[0],
        )
        .order_by(AuditEntry.id)
        .limit(SHEET_WRITES_LIMIT + 1)
    ).all()
    if not entries or tuple(entries[0][:2]) != tuple(own_then[:2]) or entries[-1][0] != own_now[0]:
        return None  # another chain (a restored database), or too many entries to look at
    since = entries[1:]
    if not all(
        action in SHEET_ACTIONS and kind == "Scoresheet" and sheet.isdigit()
        for _id, _hash, action, kind, sheet in since
    ):
        return None
    written = {int(sheet) for *_entry, sheet in since}
    now = _counted_sheets(contest_id, written)
    if all(kept.counted.get(sheet) == now.get(sheet) for sheet in written):
        return kept  # drafts saved: nothing that counts has changed
    counted = {i: sheet for i, sheet in kept.counted.items() if i not in written}
    counted.update(now)
    totals = None
    if kept.totals is not None:  # the jurors' totals of the other sheets stay
        criteria, before = kept.totals
        removed = [kept.counted[i] for i in written if i in kept.counted]
        added = list(now.values())
        totals = (criteria, ranking.juror_totals_after(criteria, before, removed, added))
    return _Kept(kept.applications, kept.applicants, counted, kept.members, totals=totals)


@dataclass(frozen=True)
class Loaded:
    """A contest as the ranking sees it, with the models the pages print beside it."""

    inputs: ranking.Inputs
    criteria: list[Criterion]
    categories: list[Category]
    applicants: dict[int, Applicant]  # admitted applications by id
    decisions: list[Decision]  # every decision of the contest, oldest first
    decided_by: dict[int, str]  # decision id → the name of who recorded it
    # The decisions the engine applies (on ties, partial awards) with their models.
    recorded: tuple[tuple[ranking.TieDecision | ranking.PartialAward, Decision], ...]
    kept: _Kept

    def rank(self) -> tuple[ranking.Ranking, list[Decision]]:
        """The ranking, and the decisions that no longer fit it (left out of it).

        Computed once per state of the contest in this process (see ``_Kept``)."""
        if self.kept.ranked is None:
            with _without_cyclic_gc():
                result, dropped = ranking.rank_fitting(self.inputs)
            decisions = self.inputs.decisions
            self.kept.ranked = (
                result,
                [i for i, spec in enumerate(decisions) if any(spec is d for d in dropped)],
            )
        result, dropped = self.kept.ranked
        return result, [self.recorded[i][1] for i in dropped]

    def juror_totals(self) -> dict:
        """Each juror's totals (``ranking.juror_totals``), kept with the ranking."""
        criteria = self.inputs.criteria
        if self.kept.totals is None or self.kept.totals[0] != criteria:
            self.kept.totals = (criteria, ranking.juror_totals(criteria, self.inputs.sheets))
        return self.kept.totals[1]

    @property
    def category_codes(self) -> dict[int, str]:
        return {c.id: c.code for c in self.categories}


def load(contest: Contest) -> Loaded:
    """Read what the ranking of the contest needs, in six queries (four while the
    contest's reading is kept).

    The scores are read as the driver gives them (``database.driver_rows``): 420,000
    of them through SQLAlchemy's rows would cost seconds.
    """
    criteria = db.session.scalars(
        select(Criterion).where(Criterion.contest_id == contest.id).order_by(Criterion.position)
    ).all()
    categories = db.session.scalars(
        select(Category).where(Category.contest_id == contest.id).order_by(Category.position)
    ).all()
    category_codes = {c.id: c.code for c in categories}
    key = _reading_state(contest)
    kept = None
    if key is not None:
        kept = _kept_rankings().get(key) or _brought_up_to_date(key)
    if kept is None:
        with _without_cyclic_gc():
            kept = _read(contest, category_codes)
    if key is not None:
        _kept_rankings().put(key, kept)
    decisions, decided_by = [], {}
    for decision, name in db.session.execute(
        select(Decision, User.name)
        .outerjoin(User, Decision.decided_by_id == User.id)
        .where(Decision.contest_id == contest.id)
        .order_by(Decision.decided_at, Decision.id)
    ):
        decisions.append(decision)
        decided_by[decision.id] = name or ""
    recorded = tuple((_engine_decision(d, category_codes), d) for d in decisions)
    recorded = tuple((spec, d) for spec, d in recorded if spec is not None)
    shortlist = rounds.next_round(contest) is not None
    settings = ranking.Settings(
        aggregation=contest.aggregation.value,
        normalise=contest.normalise.value,
        quorum=contest.quorum,
        divergence_threshold=contest.divergence_threshold,
        min_total=contest.min_total,
        max_winners_per_oblast=contest.max_winners_per_oblast,
        winners=contest.winners,
        categories={c.code: c.winners for c in categories} or None,
        jury_size=kept.jury_size,
        # A round that others follow decides who advances, by the scores alone: the money
        # is the last round's (SPEC §13).
        fund=None if categories or shortlist else contest.fund,
        category_funds=None if shortlist else {c.code: c.fund for c in categories} or None,
        round_weight=_round_weight(contest),
    )
    applications = kept.applications
    if settings.round_weight is not None:
        carried = rounds.carried_scores(contest)
        applications = tuple(replace(a, carried=carried.get(a.id, 0)) for a in applications)
    inputs = ranking.Inputs(
        criteria=tuple(
            ranking.CriterionSpec(
                id=c.id,
                code=c.code,
                weight=c.weight,
                max_points=c.max_points,
                min_points=c.min_points,
            )
            for c in criteria
        ),
        applications=applications,
        sheets=kept.sheets,
        settings=settings,
        decisions=tuple(spec for spec, _model in recorded),
    )
    return Loaded(
        inputs=inputs,
        criteria=list(criteria),
        categories=list(categories),
        applicants=kept.applicants,
        decisions=decisions,
        decided_by=decided_by,
        recorded=recorded,
        kept=kept,
    )


def _round_weight(contest: Contest):
    """A later round's share of the final score when the rounds are combined (rule 10;
    the first round ranks on its own scores)."""
    if contest.previous_round_id is None or contest.round_weight is None:
        return None
    return contest.round_weight if rounds.weighted(rounds.chain(contest)) else None


def _read(contest: Contest, category_codes: dict) -> _Kept:
    """The admitted applications and the submitted sheets of the contest: the heavy part."""
    applications, applicants = [], {}
    for (
        app_id,
        number_,
        name,
        oblast,
        community,
        category_id,
        serial,
        requested,
    ) in db.session.execute(
        select(
            Application.id,
            Application.number,
            Application.applicant_name,
            Application.applicant_oblast,
            Application.applicant_community,
            Application.category_id,
            Application.serial,
            Application.requested,
        ).where(
            Application.contest_id == contest.id, Application.state == ApplicationState.ADMITTED
        )
    ):
        applications.append(
            ranking.ApplicationSpec(
                id=app_id,
                number=number_,
                organisation=name,
                oblast=oblast,
                category=category_codes.get(category_id),
                requested=requested,
            )
        )
        applicants[app_id] = Applicant(serial, community, category_id)
    members = frozenset(
        db.session.scalars(select(JuryMember.user_id).where(JuryMember.contest_id == contest.id))
    )
    return _Kept(tuple(applications), applicants, _counted_sheets(contest.id), members)


def _counted_sheets(contest_id: int, only: set[int] | None = None) -> dict[int, ranking.Sheet]:
    """The sheets that count in the ranking (submitted, without a conflict, of an
    admitted application) with their scores, by scoresheet id: every one of the contest,
    or of the sheets ``only`` names."""
    statement = (
        select(
            Scoresheet.id,
            Scoresheet.application_id,
            Scoresheet.juror_id,
            Score.criterion_id,
            Score.points,
        )
        .join(Score, Score.scoresheet_id == Scoresheet.id)
        .join(Application, Scoresheet.application_id == Application.id)
        .where(
            Application.contest_id == contest_id,
            Application.state == ApplicationState.ADMITTED,
            Scoresheet.state == SheetState.SUBMITTED,
            Scoresheet.conflict == Conflict.NONE,
        )
    )
    if only is not None:
        statement = statement.where(Scoresheet.id.in_(sorted(only)))
    owners: dict[int, tuple[int, int]] = {}
    scores: dict[int, dict[int, object]] = {}
    exact: dict = {}  # each distinct value of the driver as a Decimal, made once
    for sheet_id, application_id, juror_id, criterion_id, points in driver_rows(statement):
        value = exact.get(points)
        if value is None and points is not None:
            value = exact[points] = Decimal(str(points))
        sheet = scores.get(sheet_id)
        if sheet is None:
            sheet = scores[sheet_id] = {}
            owners[sheet_id] = (application_id, juror_id)
        sheet[criterion_id] = value
    return {
        sheet_id: ranking.Sheet(*owners[sheet_id], scores=points)
        for sheet_id, points in scores.items()
    }


def _engine_decision(decision: Decision, category_codes: dict):
    """A decision as the engine applies it, or None (a divergence's resolution)."""
    category = category_codes.get(decision.category_id)
    if decision.kind == DecisionKind.TIE:
        return ranking.TieDecision(category=category, winner_ids=frozenset(decision.winner_ids))
    if decision.kind == DecisionKind.PARTIAL:
        return ranking.PartialAward(category, decision.application_id, decision.amount)
    return None


def contest_ranking(contest: Contest) -> ranking.Ranking:
    """The ranking of SPEC §6 for the contest as the database holds it now.

    Tie decisions that no longer fit the scores are left out (see ``Loaded.rank``).
    """
    return load(contest).rank()[0]
