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
from collections import OrderedDict, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal

from flask import current_app, has_request_context, request
from sqlalchemy import func, select

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
    (GET, HEAD) use it: a request that writes reads the database as it is. A reading
    outlives the writes that only change jurors' drafts (``_still_true``).
    """

    applications: tuple[ranking.ApplicationSpec, ...]
    applicants: dict[int, Applicant]
    sheets: tuple[ranking.Sheet, ...]
    jury_size: int  # the members, and whoever else has sheets that count
    ranked: tuple | None = None  # (Ranking, indexes of the decisions left out)
    totals: dict | None = None  # ranking.juror_totals of the sheets


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


# What a juror's draft records: its points and comments. A draft is not in the ranking.
DRAFT_ACTIONS = frozenset({"score.changed", "comment.changed"})
DRAFT_WRITES_LIMIT = 1000  # more entries than this since a kept reading: read anew


def _still_true(key: tuple) -> _Kept | None:
    """The contest's last kept reading, when every write since only changed drafts.

    Jurors save their drafts every few seconds while they score, and a draft counts in
    no ranking: after such a write the ranking page is rendered anew (it is kept by the
    newest entry), but the applications, the sheets and the ranking read and computed
    before are still true. They are, when the entries of no contest and of the shared
    action are the same as then, the contest's entry of then is still in the log with
    its hash (the same chain), and each of the contest's entries since records points
    or comments of a sheet that is a draft now (a sheet submitted or reopened in
    between has an entry of its own, which is not such an entry). Two small queries,
    instead of reading every score and ranking them again.
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
        .limit(DRAFT_WRITES_LIMIT + 1)
    ).all()
    if not entries or tuple(entries[0][:2]) != tuple(own_then[:2]) or entries[-1][0] != own_now[0]:
        return None  # another chain (a restored database), or too many entries to look at
    since = entries[1:]
    if not all(
        action in DRAFT_ACTIONS and kind == "Scoresheet" and sheet.isdigit()
        for _id, _hash, action, kind, sheet in since
    ):
        return None
    sheets = {int(sheet) for *_entry, sheet in since}
    not_drafts = db.session.scalar(
        select(func.count())
        .select_from(Scoresheet)
        .where(Scoresheet.id.in_(sheets), Scoresheet.state != SheetState.DRAFT)
    )
    return kept if not_drafts == 0 else None


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
        if self.kept.totals is None:
            self.kept.totals = ranking.juror_totals(self.inputs.criteria, self.inputs.sheets)
        return self.kept.totals

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
        kept = _kept_rankings().get(key) or _still_true(key)
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
    scores: dict[tuple[int, int], dict[int, object]] = defaultdict(dict)
    exact: dict = {}  # each distinct value of the driver as a Decimal, made once
    for application_id, juror_id, criterion_id, points in driver_rows(
        select(Scoresheet.application_id, Scoresheet.juror_id, Score.criterion_id, Score.points)
        .join(Score, Score.scoresheet_id == Scoresheet.id)
        .join(Application, Scoresheet.application_id == Application.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
            Scoresheet.state == SheetState.SUBMITTED,
            Scoresheet.conflict == Conflict.NONE,
        )
    ):
        value = exact.get(points)
        if value is None and points is not None:
            value = exact[points] = Decimal(str(points))
        scores[application_id, juror_id][criterion_id] = value
    sheets = tuple(
        ranking.Sheet(application_id=app_id, juror_id=juror_id, scores=points)
        for (app_id, juror_id), points in scores.items()
    )
    jury = set(
        db.session.scalars(select(JuryMember.user_id).where(JuryMember.contest_id == contest.id))
    )
    jury.update(juror_id for _app_id, juror_id in scores)
    return _Kept(tuple(applications), applicants, sheets, len(jury))


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
