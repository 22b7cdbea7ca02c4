"""State changes of deliberation and publication (SPEC §3, §6.6, §6.8, §11).

Functions take models and plain values, check the rules, change the models and write
the audit entry; the view commits. A refusal raises ``ResultsError`` naming the form
fields to blame, before anything has changed.

- ``record_tie_decision``: the commission decides which of the applications tied at the
  last winning place win. The engine itself checks the choice (``ValueError`` → the
  message beside the field). Deliberation only: while jurors still score, a tie may
  come and go.
- ``record_partial_award``: with a fund (SPEC §12), the commission funds one application
  that does not fit in what is left of it partly, with at most what is left; the engine
  checks it as it checks a tie's decision. Deliberation only.
- ``record_divergence_decision``: how the commission resolved a divergent application
  (a juror added, a sheet reopened, or the scores kept, and why). Judging or
  deliberation.
- ``revoke_decision``: a decision recorded by mistake, or one that no longer fits the
  ranking after the scores changed, is withdrawn with a reason; the audit log keeps it.
- ``add_juror``: one juror more for a divergent application: ``pick_juror`` proposes
  the least-loaded juror of the jury without a conflict, with the rules of
  ``judging.assignment``, for every divergent application at once (no query per row);
  the assignment itself is ``judging.jury.add_assignment``.
- What keeps the results from being published is a guardrail of the lifecycle
  (``scoring.lifecycle.publication_problems``), shown on the stage page.
- The e-mails of publication are sent in the background: ``results.announcements``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from .. import audit, clock, lifecycle, ranking
from ..extensions import db
from ..i18n import money
from ..judging.assignment import Juror, conflicts, least_loaded
from ..judging.assignments import add_assignment
from ..judging.jury import JuryError
from ..judging.operations import applicant_party, juror_party
from ..models import (
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Decision,
    DecisionKind,
    JuryMember,
    Scoresheet,
    SheetState,
    User,
)
from .loading import Loaded, load
from .presentation import TieGroup, find_tie

MAX_REASON = 2000


class ResultsError(Exception):
    """A request that cannot be carried out; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict):
        super().__init__(", ".join(errors))
        self.errors = errors


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if not reason:
        raise ResultsError({"reason": _l("Write down the reason: it goes into the protocol.")})
    if len(reason) > MAX_REASON:
        raise ResultsError(
            {"reason": _l("The reason is too long (at most %(max)d characters).", max=MAX_REASON)}
        )
    return reason


def _engine_accepts(
    loaded: Loaded, stale: list[Decision], candidate: ranking.TieDecision | ranking.PartialAward
) -> bool:
    """Whether the ranking engine takes ``candidate`` beside the recorded decisions that
    still fit (those not in ``stale``)."""
    kept = tuple(spec for spec, model in loaded.recorded if model not in stale)
    try:
        replace(loaded.inputs, decisions=(*kept, candidate)).rank()
    except ValueError:
        return False
    return True


def record_tie_decision(
    contest: Contest, category: str | None, rank: int, winner_ids, reason: str, *, actor: User
) -> Decision:
    """Record which applications of the tie at ``rank`` (in ``category``) win, once the
    engine has accepted the choice."""
    lifecycle.hold_stage(contest)  # a publication waits for the decision, or it for it
    if not lifecycle.ties_open(contest):
        raise ResultsError(
            {"winners": _l("Ties are decided in deliberation, once scoring has closed.")}
        )
    chosen = frozenset(winner_ids)
    errors = {}
    try:
        reason = _reason(reason)
    except ResultsError as error:
        errors.update(error.errors)
    loaded = load(contest)
    result, stale = loaded.rank()
    group = find_tie(result, category, rank)
    if group is None:
        raise ResultsError({"winners": _l("This tie is no longer awaiting a decision.")})
    candidate = ranking.TieDecision(category=group.category, winner_ids=chosen)
    if not _engine_accepts(loaded, stale, candidate):
        errors["winners"] = _tie_refusal(contest, group, chosen)
    if errors:
        raise ResultsError(errors)
    category_id = next((c.id for c in loaded.categories if c.code == group.category), None)
    return _record(
        contest,
        DecisionKind.TIE,
        actor=actor,
        reason=reason,
        audited={
            "category": group.category,
            "rank": group.rank,
            "places": group.places,
            "tied": sorted(row.application_id for row in group.rows),
            "winners": sorted(chosen),
        },
        category_id=category_id,
        winner_ids=sorted(chosen),
    )


def _tie_refusal(contest: Contest, group: TieGroup, chosen: frozenset) -> str:
    """Why the engine refused the choice, in the interface language."""
    if len(chosen) != group.places:
        return ngettext(
            "Choose exactly %(num)d application: that many places are left for this tie.",
            "Choose exactly %(num)d applications: that many places are left for this tie.",
            group.places,
        )
    if contest.max_winners_per_oblast is not None:
        return str(
            _l(
                "This choice gives one oblast more winners than the contest allows "
                "(%(cap)s); choose applications from other oblasts.",
                cap=contest.max_winners_per_oblast,
            )
        )
    return str(_l("This choice does not fit the tie; choose among the tied applications."))


def award_candidates(result: ranking.Ranking) -> set:
    """The applications the commission may fund partly (SPEC §12): skipped for the fund,
    in a category without a partial award yet."""
    awarded = {r.category for r in result.rows if any(n.code == "partial" for n in r.notes)}
    return {
        row.application_id
        for row in result.rows
        if row.winner is False
        and row.category not in awarded
        and any(n.code == "fund" for n in row.notes)
    }


def award_candidate(result: ranking.Ranking, application_id: int) -> ranking.Row | None:
    """The row of ``application_id`` when it is one of ``award_candidates``, else None."""
    if application_id not in award_candidates(result):
        return None
    return next(r for r in result.rows if r.application_id == application_id)


def award_limit(result: ranking.Ranking, row: ranking.Row):
    """The most ``row`` can get: what was left of the fund when the walk passed it, less
    what the rows tied with it took (a row the commission's decision on its tie left out
    was noted with what they left)."""
    left = next(n.params["left"] for n in row.notes if n.code == "fund")
    if any(n.code == "decision" for n in row.notes):
        return left
    tied = (r for r in result.rows if (r.category, r.rank) == (row.category, row.rank))
    return left - sum((r.awarded for r in tied if r.awarded is not None), 0)


def record_partial_award(
    contest: Contest, application: Application, amount, reason: str, *, actor: User
) -> Decision:
    """Fund ``application`` with ``amount`` from what is left of its fund, once the engine
    has accepted it (SPEC §12)."""
    lifecycle.hold_stage(contest)  # a publication waits for the award, or it for it
    if not lifecycle.ties_open(contest):
        raise ResultsError(
            {
                "amount": _l(
                    "The commission decides on the fund in deliberation, once scoring has closed."
                )
            }
        )
    errors = {}
    try:
        reason = _reason(reason)
    except ResultsError as error:
        errors.update(error.errors)
    loaded = load(contest)
    result, stale = loaded.rank()
    row = award_candidate(result, application.id)
    if row is None:
        raise ResultsError(
            {
                "amount": _l(
                    "This application cannot be funded in part: it is not skipped for the fund, "
                    "or its category has a partial award already."
                )
            }
        )
    candidate = ranking.PartialAward(row.category, application.id, amount)
    if not _engine_accepts(loaded, stale, candidate):
        errors["amount"] = _l(
            "The commission can award at most what is left of the fund when the ranking "
            "reaches this application: %(left)s.",
            left=money(award_limit(result, row)),
        )
    if errors:
        raise ResultsError(errors)
    category_id = next((c.id for c in loaded.categories if c.code == row.category), None)
    return _record(
        contest,
        DecisionKind.PARTIAL,
        actor=actor,
        reason=reason,
        audited={
            "category": row.category,
            "application": application.id,
            "amount": str(amount),
            "requested": str(row.requested),
            "left": str(award_limit(result, row)),
        },
        category_id=category_id,
        application_id=application.id,
        amount=amount,
    )


# Divergences and decisions ---------------------------------------------------------


def record_divergence_decision(
    contest: Contest, application: Application, reason: str, *, actor: User
) -> Decision:
    """How the commission resolved a divergence of the jurors' totals on an application."""
    lifecycle.hold_stage(contest)
    if not lifecycle.revisions_open(contest):
        raise ResultsError(
            {"reason": _l("Divergences are resolved while the jury scores or deliberates.")}
        )
    reason = _reason(reason)
    return _record(
        contest,
        DecisionKind.DIVERGENCE,
        actor=actor,
        reason=reason,
        audited={"application": application.id},
        application_id=application.id,
    )


def _record(
    contest: Contest, kind: DecisionKind, *, actor, reason: str, audited: dict, **columns
) -> Decision:
    """Store one decision of the commission and audit it as ``decision.<kind>`` with
    ``audited`` beside the reason."""
    decision = Decision(
        contest_id=contest.id,
        kind=kind,
        reason=reason,
        decided_by_id=actor.id,
        decided_at=clock.now(),
        **columns,
    )
    db.session.add(decision)
    db.session.flush()
    action = f"decision.{kind.value}"
    audit.record(action, actor=actor, contest=contest, obj=decision, reason=reason, **audited)
    return decision


def revocation_problem(contest: Contest, decision: Decision):
    """Why the decision cannot be revoked now, or None."""
    if decision.kind == DecisionKind.TIE and not lifecycle.ties_open(contest):
        return _l("Decisions on ties can be revoked only in deliberation.")
    if decision.kind == DecisionKind.PARTIAL and not lifecycle.ties_open(contest):
        return _l("Decisions on the fund can be revoked only in deliberation.")
    if decision.kind == DecisionKind.DIVERGENCE and not lifecycle.revisions_open(contest):
        return _l(
            "Decisions on divergences can be revoked only while the jury scores or deliberates."
        )
    return None


def revoke_decision(contest: Contest, decision: Decision, reason: str, *, actor: User) -> None:
    """Withdraw a decision; the audit log keeps what it said."""
    lifecycle.hold_stage(contest)
    problem = revocation_problem(contest, decision)
    if problem:
        raise ResultsError({"reason": problem})
    reason = _reason(reason)
    audit.record(
        "decision.revoked",
        actor=actor,
        contest=contest,
        obj=decision,
        reason=reason,
        kind=decision.kind.value,
        application=decision.application_id,
        category=decision.category_id,
        winners=list(decision.winner_ids or []),
        amount=None if decision.amount is None else str(decision.amount),
        decided_at=decision.decided_at.isoformat(),
        decided_by=decision.decided_by_id,
    )
    db.session.delete(decision)
    db.session.flush()


# Adding a juror --------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    """The jury and everyone who has scored in the contest (one query)."""

    users: dict[int, User]
    jury: list[User]  # the members of the contest's jury, by name


def people(contest: Contest, juror_ids=()) -> People:
    """Jury members and the other jurors named in ``juror_ids``, in one query."""
    member = select(JuryMember.user_id).where(JuryMember.contest_id == contest.id).scalar_subquery()
    users = {}
    jury = []
    rows = db.session.execute(
        select(User, User.id.in_(member))
        .where(User.id.in_(member) | User.id.in_(list(juror_ids)))
        .order_by(User.name, User.id)
    )
    for user, on_jury in rows:
        users[user.id] = user
        if on_jury:
            jury.append(user)
    return People(users, jury)


def jury_load(contest: Contest) -> dict[int, int]:
    """How many admitted applications each juror has to score (recusals not counted)."""
    return dict(
        db.session.execute(
            select(Scoresheet.juror_id, func.count())
            .join(Application, Scoresheet.application_id == Application.id)
            .where(
                Application.contest_id == contest.id,
                Application.state == ApplicationState.ADMITTED,
                Scoresheet.conflict != Conflict.RECUSED,
            )
            .group_by(Scoresheet.juror_id)
        ).all()
    )


def uncounted_sheets(contest: Contest) -> dict[tuple[int, int], str]:
    """(application id, juror id) → ``recused`` or ``not_submitted`` for the sheets of
    admitted applications that do not count, so the pages never show the two alike."""
    rows = db.session.execute(
        select(Scoresheet.application_id, Scoresheet.juror_id, Scoresheet.conflict)
        .join(Application, Scoresheet.application_id == Application.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
            (Scoresheet.conflict == Conflict.RECUSED) | (Scoresheet.state != SheetState.SUBMITTED),
        )
    )
    return {
        (app_id, juror_id): "recused" if conflict == Conflict.RECUSED else "not_submitted"
        for app_id, juror_id, conflict in rows
    }


def sheets_of(contest: Contest, application_ids) -> list[tuple]:
    """(sheet id, application id, juror id, state, conflict) of these applications."""
    if not application_ids:
        return []
    return db.session.execute(
        select(
            Scoresheet.id,
            Scoresheet.application_id,
            Scoresheet.juror_id,
            Scoresheet.state,
            Scoresheet.conflict,
        )
        .join(Application, Scoresheet.application_id == Application.id)
        .where(Application.contest_id == contest.id, Application.id.in_(list(application_ids)))
        .order_by(Scoresheet.application_id, Scoresheet.id)
    ).all()


def pick_juror(
    contest: Contest,
    application: Application,
    jury: list[User],
    assigned: set[int],
    load_by_juror: dict[int, int],
) -> User | None:
    """The juror "add a juror" proposes: a member of the jury with no sheet for the
    application (recusals included) and no conflict the system knows of, the least
    loaded first (``judging.assignment``: equal loads in a stable hashed order)."""
    applicant = applicant_party(application)
    free = [
        Juror(user.id, juror_party(user))
        for user in jury
        if user.id not in assigned
        and not conflicts(
            juror_party(user),
            applicant,
            same_oblast=contest.conflict_same_oblast,
            same_community=contest.conflict_same_community,
        )
    ]
    chosen = least_loaded(application.id, free, load_by_juror)
    by_id = {user.id: user for user in jury}
    return by_id[chosen[0].id] if chosen else None


def add_juror(contest: Contest, application: Application, juror: User, *, actor: User):
    """Assign one more juror to a divergent application (``judging.jury.add_assignment``
    checks the jury, the pair and the conflicts, and writes the audit entry)."""
    if not lifecycle.revisions_open(contest):
        raise ResultsError({"juror": _l("Jurors are added while the jury scores or deliberates.")})
    try:
        return add_assignment(contest, application, juror, actor=actor)
    except JuryError as error:
        raise ResultsError({"juror": error.message}) from error
