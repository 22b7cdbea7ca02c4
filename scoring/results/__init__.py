"""Results: the contest's ranking from the database, deliberation and publication.

``contest_ranking`` is the one bridge between the models and the pure engine in
``scoring.ranking``: it reads the contest in four queries, whatever its size.
"""

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import ranking
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
)


def contest_ranking(contest: Contest) -> ranking.Ranking:
    """The ranking of SPEC §6 for the contest as the database holds it now."""
    criteria = db.session.scalars(
        select(Criterion).where(Criterion.contest_id == contest.id).order_by(Criterion.position)
    ).all()
    categories = db.session.scalars(
        select(Category).where(Category.contest_id == contest.id).order_by(Category.position)
    ).all()
    category_codes = {c.id: c.code for c in categories}
    applications = [
        ranking.ApplicationSpec(
            id=app_id,
            number=number,
            organisation=name,
            oblast=oblast,
            category=category_codes.get(category_id),
        )
        for app_id, number, name, oblast, category_id in db.session.execute(
            select(
                Application.id,
                Application.number,
                Organisation.name,
                Organisation.oblast,
                Application.category_id,
            )
            .join(Organisation, Application.organisation_id == Organisation.id)
            .where(
                Application.contest_id == contest.id, Application.state == ApplicationState.ADMITTED
            )
        )
    ]
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
    decisions = [
        ranking.TieDecision(
            category=category_codes.get(d.category_id), winner_ids=frozenset(d.winner_ids)
        )
        for d in db.session.scalars(
            select(Decision).where(
                Decision.contest_id == contest.id, Decision.kind == DecisionKind.TIE
            )
        )
    ]
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
    return ranking.rank_applications(
        criteria=[
            ranking.CriterionSpec(
                id=c.id,
                code=c.code,
                weight=c.weight,
                max_points=c.max_points,
                min_points=c.min_points,
            )
            for c in criteria
        ],
        applications=applications,
        sheets=[
            ranking.Sheet(application_id=app_id, juror_id=juror_id, scores=points)
            for (app_id, juror_id), points in scores.items()
        ],
        settings=settings,
        decisions=decisions,
    )


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
