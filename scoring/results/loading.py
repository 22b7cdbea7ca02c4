"""The contest's ranking from the database: ``load`` is the one bridge between the models
and the pure engine in ``scoring.ranking``. It reads the contest in six queries,
whatever its size, and ``contest_ranking`` ranks what it read.

The applicants are read as they were submitted (SPEC §8: the ``applicant_*`` facts of
the application, never the organisation's profile as it is now), with the amounts they
request and the funds of the contest or its categories (SPEC §12); the quorum is
capped by the size of the jury: its members, and anyone else whose submitted sheets
count (SPEC §6.1), never only those who have submitted something.
"""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from .. import ranking
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
    JuryMember,
    Score,
    Scoresheet,
    SheetState,
    User,
)


@dataclass(frozen=True)
class Applicant:
    """What the pages show of an admitted application besides what the engine keeps."""

    serial: int | None
    community: str
    category_id: int | None


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

    def rank(self) -> tuple[ranking.Ranking, list[Decision]]:
        """The ranking, and the decisions that no longer fit it (left out of it)."""
        result, dropped = ranking.rank_fitting(self.inputs)
        stale = [model for spec, model in self.recorded if any(spec is d for d in dropped)]
        return result, stale

    @property
    def category_codes(self) -> dict[int, str]:
        return {c.id: c.code for c in self.categories}


def load(contest: Contest) -> Loaded:
    """Read what the ranking of the contest needs, in six queries."""
    criteria = db.session.scalars(
        select(Criterion).where(Criterion.contest_id == contest.id).order_by(Criterion.position)
    ).all()
    categories = db.session.scalars(
        select(Category).where(Category.contest_id == contest.id).order_by(Category.position)
    ).all()
    category_codes = {c.id: c.code for c in categories}
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
    for application_id, juror_id, criterion_id, points in db.session.execute(
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
        scores[application_id, juror_id][criterion_id] = points
    jury = set(
        db.session.scalars(select(JuryMember.user_id).where(JuryMember.contest_id == contest.id))
    )
    jury.update(juror_id for _app_id, juror_id in scores)
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
    settings = ranking.Settings(
        aggregation=contest.aggregation.value,
        normalise=contest.normalise.value,
        quorum=contest.quorum,
        divergence_threshold=contest.divergence_threshold,
        min_total=contest.min_total,
        max_winners_per_oblast=contest.max_winners_per_oblast,
        winners=contest.winners,
        categories={c.code: c.winners for c in categories} or None,
        jury_size=len(jury),
        fund=None if categories else contest.fund,
        category_funds={c.code: c.fund for c in categories} or None,
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
        applications=tuple(applications),
        sheets=tuple(
            ranking.Sheet(application_id=app_id, juror_id=juror_id, scores=points)
            for (app_id, juror_id), points in scores.items()
        ),
        settings=settings,
        decisions=tuple(spec for spec, _model in recorded),
    )
    return Loaded(
        inputs=inputs,
        criteria=list(criteria),
        categories=list(categories),
        applicants=applicants,
        decisions=decisions,
        decided_by=decided_by,
        recorded=recorded,
    )


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
