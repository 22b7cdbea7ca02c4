"""Rounds (SPEC §13): a contest judged twice or more, a shortlist advancing each time.

A later round is a contest of its own — its criteria and scoring settings, its jury and
assignments, its form, deliberation, stability check and protocol — that names the
round before it (``Contest.previous_round_id``). The winners of a round are the
applications that advance: the round's ranking proposes them, ties at the cut take the
commission's decision (SPEC §6.8) and publishing the round is the decision, audited and
printed in its protocol. Publishing it creates the next round's applications of those
who advance (``advance``), each naming its application of the round before
(``Application.previous_id``); nobody else can apply to a later round.

The final ranking is the last round's, or a weighted combination declared in advance on
every round (``Contest.round_weight``, percent, summing to 100; no round scored as a
sum or z-scored, whose scores have no maximum: ``weights_problem``): see rule 10 of
``scoring.ranking``. A contest with one round is what it always was.
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import audit, clock, money, ranking
from .documents.pdf.records import Rounds  # the words of the rounds, as documents print them
from .extensions import db
from .i18n import current_language, long_datetime, percent
from .models import Aggregation, Application, Contest, Normalise, Stage

MAX_ROUNDS = 10  # rounds of one contest, the first included
# The settings of the contest as a whole: every round has the first round's.
SHARED = ("title_uk", "title_en", "applicant_kinds", "oblasts", "organising_body")


def chain(contest: Contest) -> list[Contest]:
    """Every round of the contest's chain, the first first (one query per round). A chain
    is never a loop (rounds are only ever added after the last); one written into the
    database by hand is cut where it comes back, not followed for ever."""
    rounds = [contest]
    while rounds[0].previous_round_id is not None:
        earlier = db.session.get(Contest, rounds[0].previous_round_id)
        if earlier in rounds:
            break
        rounds.insert(0, earlier)
    while (later := next_round(rounds[-1])) is not None and later not in rounds:
        rounds.append(later)
    return rounds


def next_round(contest: Contest) -> Contest | None:
    return db.session.scalar(select(Contest).where(Contest.previous_round_id == contest.id))


def previous_round(contest: Contest) -> Contest | None:
    if contest.previous_round_id is None:
        return None
    return db.session.get(Contest, contest.previous_round_id)


def number(contest: Contest) -> int:
    """The round's number, 1 for the first round (and for a one-round contest)."""
    found, current, seen = 1, contest, {contest.id}
    while current.previous_round_id is not None and current.previous_round_id not in seen:
        current = db.session.get(Contest, current.previous_round_id)
        seen.add(current.id)
        found += 1
    return found


def in_rounds(contest: Contest) -> bool:
    """The contest is one round of several (not a one-round contest)."""
    return contest.previous_round_id is not None or next_round(contest) is not None


def weighted(rounds: list[Contest]) -> bool:
    """The final score combines the rounds (a weight declared on every round, the
    weights sound: ``weights_problem``; publication is refused while they are not)."""
    return (
        len(rounds) > 1
        and all(r.round_weight is not None for r in rounds)
        and weights_problem(rounds) is None
    )


def weights_problem(rounds: list[Contest]):
    """Why the declared weights cannot combine the rounds, or None."""
    problem = shares_problem([r.round_weight for r in rounds])
    if problem is not None or all(r.round_weight is None for r in rounds):
        return problem
    if any(r.aggregation == Aggregation.SUM for r in rounds):
        return _l(
            "Rounds whose score is the sum of the jurors' totals cannot be combined into a "
            "final score (a sum has no maximum): choose another aggregation or no shares."
        )
    if any(r.normalise == Normalise.ZSCORE for r in rounds):
        return _l(
            "Rounds scored with the z-score normalisation cannot be combined into a final "
            "score (a normalised score can go beyond the round's maximum, and a round would "
            "give more than its share): switch the normalisation off or give no shares."
        )
    return None


def shares_problem(weights: list[Decimal | None]):
    """Why the shares of the final score, one per round in order, do not add up, or None."""
    if all(w is None for w in weights):
        return None
    if len(weights) < 2:
        return _l("A contest with one round has no weights: its score is the final score.")
    if any(w is None for w in weights):
        return _l("Give every round its share of the final score, or none of them.")
    if sum(weights) != Decimal(100):
        return _l("The rounds' shares of the final score must add up to 100 percent.")
    return None


def carried_scores(contest: Contest) -> dict[int, Fraction]:
    """For each application of a weighted later round, by its id: what the rounds before
    gave towards its final score (``ranking.carried_share``, rule 10)."""
    from .results.loading import contest_ranking  # the ranking loads the rounds

    before = previous_round(contest)
    if before is None or not weighted(chain(contest)):
        return {}
    result = contest_ranking(before)
    scores = {
        row.application_id: ranking.carried_share(row, result, before.round_weight)
        for row in result.rows
    }
    pairs = db.session.execute(
        select(Application.id, Application.previous_id).where(
            Application.contest_id == contest.id, Application.previous_id.is_not(None)
        )
    )
    return {app_id: scores[previous] for app_id, previous in pairs if previous in scores}


def round_title(contest: Contest, language: str | None = None) -> str:
    """The round's own title, or the contest's when it has none."""
    language = language or current_language()
    return contest.round_title(language) or contest.title(language)


# Advancing (SPEC §13) ---------------------------------------------------------------


def advancing(contest: Contest) -> bool:
    """The contest is a round that others follow: its winners advance, none wins yet."""
    return next_round(contest) is not None


def asks_form(contest: Contest) -> bool:
    """The round has its own form, which those who advance to it fill in."""
    return bool(contest.questions)


def advance_problems(contest: Contest) -> list:
    """Why publishing the round cannot create the next round's applications now: the
    next round is judged already, or those who advance could not fill in its form."""
    later = next_round(contest)
    if later is None:
        return []
    title = round_title(later)
    if later.stage not in (Stage.DRAFT, Stage.OPEN):
        return [
            _l(
                "The next round «%(title)s» is past its applications: those who advance "
                "from this round can no longer join it.",
                title=title,
            )
        ]
    if asks_form(later) and later.closes_at <= clock.now():
        return [
            _l(
                "The next round «%(title)s» has its own form, and its deadline (%(moment)s, "
                "Kyiv time) has passed: move it later in that round’s settings so that those "
                "who advance can fill the form in.",
                title=title,
                moment=long_datetime(later.closes_at),
            )
        ]
    if later.categories:  # each ranks in a category of the next round, by its code
        from .results.loading import contest_ranking  # noqa: PLC0415

        codes = {c.code for c in later.categories}
        lost = [
            row.number
            for row in contest_ranking(contest).rows
            if row.winner and row.category not in codes
        ]
        if lost:
            return [
                _l(
                    "The next round «%(title)s» ranks the applications by categories, and "
                    "these applications that advance would have none of them: %(numbers)s. "
                    "Give the next round the categories of this round (with the same codes).",
                    title=title,
                    numbers=", ".join(lost),
                )
            ]
    return []


def advance(contest: Contest, actor) -> list[Application]:
    """Publishing a round that has a next round: an application in the next round for
    each winner of this one, naming it (``previous_id``), with its title, the amount it
    requests and its category (the one with the same code, when the next round has it).
    A draft when the next round has its own form (the applicant fills it in before the
    next round's deadline), else submitted with the next round's registration number.
    Each is audited; a winner that has its next application already gets none (a
    publication after a reopening), so publishing again duplicates nothing."""
    from .applications.operations import lock_contest, register  # noqa: PLC0415
    from .results.loading import contest_ranking  # noqa: PLC0415

    later = next_round(contest)
    if later is None:
        return []
    winners = [row.application_id for row in contest_ranking(contest).rows if row.winner]
    if not winners:
        return []
    later = lock_contest(later.id)  # registration numbers one at a time
    organisations = set(
        db.session.scalars(
            select(Application.organisation_id).where(Application.contest_id == later.id)
        )
    )
    categories = {c.code: c for c in later.categories}
    sources = db.session.scalars(
        select(Application)
        .where(Application.id.in_(winners))
        .options(selectinload(Application.category))
        .order_by(Application.serial, Application.id)
    ).all()
    now, created = clock.now(), []
    for source in sources:
        if source.organisation_id in organisations:
            continue
        category = categories.get(source.category.code) if source.category else None
        application = Application(
            contest=later,
            organisation_id=source.organisation_id,
            previous_id=source.id,
            title=source.title,
            category=category,
            requested=source.requested if money.asks_amount(later, category) else None,
        )
        db.session.add(application)
        if not asks_form(later):
            register(application, later, now)
        db.session.flush()
        audit.record(
            "application.advanced",
            actor=actor,
            contest=later,
            obj=application,
            previous=source.id,
            number=application.number,
        )
        created.append(application)
    return created


def reopening_problem(contest: Contest):
    """Why the round's published results cannot be reopened: those who advanced from it
    have their applications in the next round already. None when they can."""
    later = next_round(contest)
    if later is None:
        return None
    found = db.session.scalar(
        select(Application.id).where(Application.contest_id == later.id).limit(1)
    )
    if found is None:
        return None
    return _l(
        "Those who advanced from this round already have their applications in the next "
        "round «%(title)s»: the results of this round can no longer be reopened.",
        title=round_title(later),
    )


def next_application(application: Application) -> Application | None:
    """The same applicant's application in the next round, once it advanced."""
    return db.session.scalar(select(Application).where(Application.previous_id == application.id))


def advanced(contest: Contest) -> dict[int, Application]:
    """The next round's applications of those who advanced from the round, by the id of
    their application in this round (one query; empty in the last round)."""
    later = next_round(contest)
    if later is None:
        return {}
    found = db.session.scalars(
        select(Application).where(
            Application.contest_id == later.id, Application.previous_id.is_not(None)
        )
    )
    return {application.previous_id: application for application in found}


@dataclass(frozen=True)
class Earlier:
    """An application's link to the same applicant's application of the round before."""

    application: Application
    number: int  # the earlier round's number
    title: str


def earlier(application: Application, reader) -> Earlier | None:
    """The same applicant's application of the round before, when ``reader`` may open
    it (its applicant, its organisers), or None."""
    from .access import can_view  # noqa: PLC0415 (access asks the lifecycle, which asks us)

    before = application.previous
    if before is None or not can_view(before, reader):
        return None
    return Earlier(before, number(before.contest), round_title(before.contest))


# What the results of a round say of the rounds (SPEC §13) ------------------------------


def words(contest: Contest) -> Rounds | None:
    """What the results of one round of several say of the rounds, in the current
    language: the results page, the announcement and the protocol word them alike.
    None for a one-round contest."""
    rounds = chain(contest)
    if len(rounds) < 2:
        return None
    position = next(i for i, r in enumerate(rounds) if r.id == contest.id)
    number_ = position + 1
    later = rounds[position + 1] if position + 1 < len(rounds) else None
    # The rows of a later round of a combination carry both scores; the first round
    # ranks on its own scores (rule 10), its share shown in the next round.
    combined = weighted(rounds) and position > 0
    named = ", ".join(
        _("round %(number)s «%(title)s»", number=i, title=round_title(r))
        for i, r in enumerate(rounds, start=1)
    )
    summary = [
        ngettext(
            "The contest is judged in %(num)d round: %(rounds)s.",
            "The contest is judged in %(num)d rounds: %(rounds)s.",
            len(rounds),
            rounds=named,
        )
    ]
    if later is not None:
        summary.append(
            _(
                "The applications that win round %(number)s advance to round %(next)s «%(title)s».",
                number=number_,
                next=number_ + 1,
                title=round_title(later),
            )
        )
    if weighted(rounds):
        parts = ", ".join(
            _(
                "%(share)s of the score of round %(number)s",
                share=percent(r.round_weight / 100),
                number=i,
            )
            for i, r in enumerate(rounds, start=1)
        )
        summary.append(_("Final score: %(parts)s.", parts=parts))
    elif later is None:
        summary.append(_("The final ranking is that of the last round."))
    return Rounds(
        number=number_,
        heading=_("Round %(number)s «%(title)s»", number=number_, title=round_title(contest)),
        summary=" ".join(summary),
        advancing=later is not None,
        winners=_(
            "Advance to round %(number)s «%(title)s»", number=number_ + 1, title=round_title(later)
        )
        if later is not None
        else _("Winners"),
        winner=_("Advances") if later is not None else _("Winner"),
        combined=combined,
        score=(_("Towards the final score") if later is not None else _("Final score"))
        if combined
        else _("Score"),
        own_score=_("Round score"),
    )
