"""Results: the contest's ranking from the database, deliberation and publication.

``load`` is the one bridge between the models and the pure engine in
``scoring.ranking``: it reads the contest in five queries, whatever its size, and
``contest_ranking`` ranks what it read.

The workflow of the organisers (SPEC §3, §6, §11), in ``views``:

1. From the judging stage on, ``/manage/contests/<slug>/ranking`` shows the ranking as
   it stands, with every juror's total, the flags of the engine, the applications not
   ranked, each juror's leniency, the stability of the winners and two charts. While
   the contest is still judging, the page says that scores may still change.
2. Divergent applications get a juror more (``operations.add_juror``, the least-loaded
   juror of the jury without a conflict) or a reopened sheet, and the commission records
   how it resolved each one (a ``Decision`` of kind ``divergence``).
3. In deliberation the commission decides each tie at the last winning place (a
   ``Decision`` of kind ``tie``, checked by the engine itself); results cannot be
   published while any winning place is undecided (``operations.publication_problems``,
   shown on the stage page).
4. Publication (the stage page) stamps ``Contest.published_at`` and e-mails the
   applicants; the public page ``/contests/<slug>/results``, the JSON of SPEC §9 at
   ``/api/contests/<slug>/results`` and the results PDF appear.

A tie decision recorded before the scores changed again may stop fitting the ranking;
it is then left out of the ranking (``Loaded.rank``), shown as such to the organisers,
and blocks publication until it is revoked.
"""

import gc
import threading
from collections import OrderedDict, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import ranking
from ..database import READ_ONLY_METHODS, driver_rows
from ..extensions import db
from ..i18n import number, oblast_name
from ..models import (
    Application,
    ApplicationState,
    Category,
    Conflict,
    Contest,
    Criterion,
    Decision,
    DecisionKind,
    Organisation,
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
    contest changes again. The state is ``pagecache.contest_state`` (the newest audit
    entries that concern the contest), read in the request's own transaction before
    the data, so what is kept is never older than its key. Only requests that read
    (GET, HEAD) use it: a request that writes reads the database as it is.
    """

    applications: tuple[ranking.ApplicationSpec, ...]
    applicants: dict[int, Applicant]
    sheets: tuple[ranking.Sheet, ...]
    ranked: tuple | None = None  # (Ranking, indexes of the decisions left out)


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


@dataclass(frozen=True)
class Loaded:
    """A contest as the ranking sees it, with the models the pages print beside it."""

    inputs: ranking.Inputs
    criteria: list[Criterion]
    categories: list[Category]
    applicants: dict[int, Applicant]  # admitted applications by id
    decisions: list[Decision]  # every decision of the contest, oldest first
    decided_by: dict[int, str]  # decision id → the name of who recorded it
    tie_decisions: tuple[tuple[ranking.TieDecision, Decision], ...]
    kept: _Kept

    def rank(self) -> tuple[ranking.Ranking, list[Decision]]:
        """The ranking, and the tie decisions that no longer fit it (left out of it).

        Computed once per state of the contest in this process (see ``_Kept``)."""
        if self.kept.ranked is None:
            with _without_cyclic_gc():
                result, dropped = ranking.rank_fitting(self.inputs)
            decisions = self.inputs.decisions
            self.kept.ranked = (result, [i for i, d in enumerate(decisions) if d in dropped])
        result, dropped = self.kept.ranked
        return result, [self.tie_decisions[i][1] for i in dropped]

    @property
    def category_codes(self) -> dict[int, str]:
        return {c.id: c.code for c in self.categories}


def load(contest: Contest) -> Loaded:
    """Read what the ranking of the contest needs, in five queries.

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
    kept = _kept_rankings().get(key) if key is not None else None
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
    tie_decisions = tuple(
        (
            ranking.TieDecision(
                category=category_codes.get(d.category_id), winner_ids=frozenset(d.winner_ids)
            ),
            d,
        )
        for d in decisions
        if d.kind == DecisionKind.TIE
    )
    settings = ranking.Settings(
        aggregation=contest.aggregation.value,
        normalise=contest.normalise.value,
        quorum=contest.quorum,
        divergence_threshold=contest.divergence_threshold,
        min_total=contest.min_total,
        max_winners_per_oblast=contest.max_winners_per_oblast,
        winners=contest.winners,
        categories={c.code: c.winners for c in categories} or None,
    )
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
        applications=kept.applications,
        sheets=kept.sheets,
        settings=settings,
        decisions=tuple(spec for spec, _model in tie_decisions),
    )
    return Loaded(
        inputs=inputs,
        criteria=list(criteria),
        categories=list(categories),
        applicants=kept.applicants,
        decisions=decisions,
        decided_by=decided_by,
        tie_decisions=tie_decisions,
        kept=kept,
    )


def _read(contest: Contest, category_codes: dict) -> _Kept:
    """The admitted applications and the submitted sheets of the contest: the heavy part."""
    applications, applicants = [], {}
    for app_id, number_, name, oblast, community, category_id, serial in db.session.execute(
        select(
            Application.id,
            Application.number,
            Organisation.name,
            Organisation.oblast,
            Organisation.community,
            Application.category_id,
            Application.serial,
        )
        .join(Organisation, Application.organisation_id == Organisation.id)
        .where(Application.contest_id == contest.id, Application.state == ApplicationState.ADMITTED)
    ):
        applications.append(
            ranking.ApplicationSpec(
                id=app_id,
                number=number_,
                organisation=name,
                oblast=oblast,
                category=category_codes.get(category_id),
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
    return _Kept(tuple(applications), applicants, sheets)


def contest_ranking(contest: Contest) -> ranking.Ranking:
    """The ranking of SPEC §6 for the contest as the database holds it now.

    Tie decisions that no longer fit the scores are left out (see ``Loaded.rank``).
    """
    return load(contest).rank()[0]


def describe(note: ranking.Note) -> str:
    """A remark of the engine in the interface language (SPEC §9 ``note``)."""
    params = dict(note.params)
    for key in ("min_total", "min_points"):
        if key in params:
            params[key] = number(params[key])
    if "oblast" in params:
        params["oblast"] = oblast_name(params["oblast"])
    return str(NOTE_TEXTS[note.code]).format(**params)


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
}
