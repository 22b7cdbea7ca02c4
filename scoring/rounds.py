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
every round (``Contest.round_weight``, percent, summing to 100): see rule 10 of
``scoring.ranking``. A contest with one round is what it always was.
"""

from decimal import Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .extensions import db
from .models import Application, Contest

MAX_ROUNDS = 10  # rounds of one contest, the first included


def chain(contest: Contest) -> list[Contest]:
    """Every round of the contest's chain, the first first (one query per round)."""
    rounds = [contest]
    while rounds[0].previous_round_id is not None:
        rounds.insert(0, db.session.get(Contest, rounds[0].previous_round_id))
    while (later := next_round(rounds[-1])) is not None:
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
    found, current = 1, contest
    while current.previous_round_id is not None:
        current = db.session.get(Contest, current.previous_round_id)
        found += 1
    return found


def weighted(rounds: list[Contest]) -> bool:
    """The final score combines the rounds (a weight declared on every round)."""
    return len(rounds) > 1 and all(r.round_weight is not None for r in rounds)


def weights_problem(rounds: list[Contest]):
    """Why the declared weights cannot combine the rounds, or None."""
    weights = [r.round_weight for r in rounds]
    if all(w is None for w in weights):
        return None
    if len(rounds) < 2:
        return _l("A contest with one round has no weights: its score is the final score.")
    if any(w is None for w in weights):
        return _l("Give every round its share of the final score, or none of them.")
    if sum(weights) != Decimal(100):
        return _l("The rounds' shares of the final score must add up to 100 percent.")
    return None


def carried_scores(contest: Contest) -> dict[int, Fraction]:
    """For each application of a weighted later round, by its id: what the rounds before
    gave towards its final score (the previous round's combined score, rule 10)."""
    from .results.loading import contest_ranking  # the ranking loads the rounds

    before = previous_round(contest)
    if before is None or not weighted(chain(contest)):
        return {}
    scores = {row.application_id: Fraction(row.score) for row in contest_ranking(before).rows}
    pairs = db.session.execute(
        select(Application.id, Application.previous_id).where(
            Application.contest_id == contest.id, Application.previous_id.is_not(None)
        )
    )
    return {app_id: scores[previous] for app_id, previous in pairs if previous in scores}
