"""The lifecycle of a contest (SPEC §3): its stages, what each allows, moving between them.

    draft → open → screening → judging → deliberation → published → archived

A contest moves forward one stage at a time (``STAGE_FORWARD``) and back only where
nothing is lost (``STAGE_BACK``), then with a reason. ``preview`` says before anything
changes what a move will do, what refuses it (``stage_problems``) and what the organiser
must confirm knowingly (``stage_warnings``); ``change_stage`` moves the contest once
nothing refuses it and the warnings shown are confirmed (by their ``fingerprint``, so a
warning that appeared meanwhile is shown again), and writes the move, the warnings and
the reason to the audit log; the view commits.

The guardrails of each move (issue 13):

- **open → screening** before the announced deadline: a warning (with the drafts not
  yet submitted) and a reason, recorded on the contest and shown on its public page;
- **screening → judging**: refused while no application is admitted, while an admitted
  application has no juror or the jury no chair; a warning for applications not yet
  admitted or rejected;
- **judging → deliberation**: the sheets not submitted, listed by juror and number,
  must be confirmed; from then on they show as "not submitted", never as a recusal;
- **deliberation → published**: refused with an undecided tie, a decision that no longer
  fits, nothing ranked, no chair, the meeting's number, date or place missing, its
  attendance not recorded or short of a quorum (all entered on the page «The jury's
  meeting», which the refusal links to: ``PagedProblem``); a warning when scores are
  sums of unequal numbers of jurors' totals, and for admitted applications left
  unranked; the page says how many e-mails will go out;
- **published → deliberation** (reopening the results, SPEC §14): only on an appeal the
  commission upheld and no reopening has acted on yet, with a reason; the organiser
  confirms that the results stop being public (page, API, announcement, the applicants'
  results, feedback and diplomas) until they are published again, which e-mails every
  applicant again. The appeals it answers are marked reopened in the same step;
- **published → deliberation** is refused, besides, once those who advanced from the
  round have their applications in the next round (SPEC §13);
- **deliberation → published** of a round that has a next round: its winners advance,
  each with an application in the next round (``rounds.advance``); refused while the
  next round cannot take them (judged already, or its form's deadline passed);
- **published → archived**: refused while an appeal awaits its answer; a warning while
  applicants may still appeal;
- **screening → judging**: also refused while a clarification request awaits the
  applicant's answer before its deadline.

What each stage allows is answered here, each rule by one predicate that every feature
asks instead of naming stages itself:

- ``screening_open``: applications are admitted or rejected (screening);
- ``assignments_open``: jurors are assigned to admitted applications (screening to
  deliberation);
- ``scoring_open``: jurors score and change their drafts (judging);
- ``scoring_started``: the criteria's scoring rules are fixed, the jurors see the
  contest and the organisers its ranking (judging and later);
- ``scoring_closed``: jurors only read their submitted sheets (deliberation and later);
- ``revisions_open``: a sheet is reopened, a juror added, a divergence resolved (judging
  and deliberation);
- ``ties_open``: the commission decides ties (deliberation);
- ``meeting_open``: the record of the jury's meeting for its protocol changes (judging
  and deliberation);
- ``results_frozen``: the results are public and the jury, its work and the settings
  that decide the ranking no longer change (published and archived);
- ``archived``: nothing in the contest changes any more.

The stage tuples beside them (``SCORING_STARTED``, ``RESULTS_FROZEN``, …) are for
queries. ``frozen_settings`` says which contest settings a stage freezes. The
guardrail of publication reads the ranking (``scoring.results.loading``), so nothing is
published while a tie at a winning place awaits the commission.

The ``Stage`` enumeration itself is a column of ``scoring.models``.

Longer than 600 lines: the guardrails of every move are written beside the moves they
guard and the predicates they use, so that one stage's rules are read in one place.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import case, func, select

from . import audit, clock, rounds
from .extensions import db
from .i18n import long_date, long_datetime
from .models import (
    Appeal,
    AppealDecision,
    Application,
    ApplicationState,
    ClarificationRequest,
    Conflict,
    Contest,
    JuryMember,
    Role,
    Scoresheet,
    SheetState,
    Stage,
    User,
)
from .results.loading import load
from .results.presentation import undecided_ties

LISTED = 10  # numbers named in a message before "and N more"

# SPEC §3: forward one step at a time; backwards only where nothing is lost,
# and then with a reason.
STAGE_FORWARD = {
    Stage.DRAFT: Stage.OPEN,
    Stage.OPEN: Stage.SCREENING,
    Stage.SCREENING: Stage.JUDGING,
    Stage.JUDGING: Stage.DELIBERATION,
    Stage.DELIBERATION: Stage.PUBLISHED,
    Stage.PUBLISHED: Stage.ARCHIVED,
}
STAGE_BACK = {
    Stage.OPEN: Stage.DRAFT,
    Stage.SCREENING: Stage.OPEN,
    Stage.JUDGING: Stage.SCREENING,
    Stage.DELIBERATION: Stage.JUDGING,
    # Only on an upheld appeal (``reopening_problems``): what was public is withdrawn.
    Stage.PUBLISHED: Stage.DELIBERATION,
}

SCREENING = (Stage.SCREENING,)
ASSIGNMENTS_OPEN = (Stage.SCREENING, Stage.JUDGING, Stage.DELIBERATION)
SCORING_OPEN = (Stage.JUDGING,)
SCORING_STARTED = (Stage.JUDGING, Stage.DELIBERATION, Stage.PUBLISHED, Stage.ARCHIVED)
SCORING_CLOSED = (Stage.DELIBERATION, Stage.PUBLISHED, Stage.ARCHIVED)
REVISIONS_OPEN = (Stage.JUDGING, Stage.DELIBERATION)
TIES_OPEN = (Stage.DELIBERATION,)
MEETING_OPEN = (Stage.JUDGING, Stage.DELIBERATION)
RESULTS_FROZEN = (Stage.PUBLISHED, Stage.ARCHIVED)


def hold_stage(contest: Contest, *, to_change: bool = False) -> None:
    """Re-read the contest's stage and keep it as read until the transaction ends.

    A write that depends on the stage (a score saved while scoring is open) holds it
    shared; a stage change holds it to change it, so it waits for those writes and they
    wait for it, and two moves at once are made one after the other, the second seeing
    the first (PostgreSQL row locks; SQLite's write transactions are one at a time).
    """
    db.session.refresh(contest, ["stage"], with_for_update=True if to_change else {"read": True})


def screening_open(contest: Contest) -> bool:
    return contest.stage in SCREENING


def assignments_open(contest: Contest) -> bool:
    return contest.stage in ASSIGNMENTS_OPEN


def scoring_open(contest: Contest) -> bool:
    return contest.stage in SCORING_OPEN


def scoring_started(contest: Contest) -> bool:
    return contest.stage in SCORING_STARTED


def scoring_closed(contest: Contest) -> bool:
    return contest.stage in SCORING_CLOSED


def revisions_open(contest: Contest) -> bool:
    return contest.stage in REVISIONS_OPEN


def ties_open(contest: Contest) -> bool:
    return contest.stage in TIES_OPEN


def meeting_open(contest: Contest) -> bool:
    return contest.stage in MEETING_OPEN


def results_frozen(contest: Contest) -> bool:
    return contest.stage in RESULTS_FROZEN


def archived(contest: Contest) -> bool:
    return contest.stage == Stage.ARCHIVED


# What each stage freezes ------------------------------------------------------------

# What submitted applications depend on: frozen once the contest has left the draft.
FROZEN_AFTER_DRAFT = ("slug", "applicant_kinds", "oblasts", "number_prefix")
# What decides the ranking: frozen once the results are published (SPEC §3).
FROZEN_AFTER_PUBLICATION = (
    "winners",
    "aggregation",
    "normalise",
    "quorum",
    "divergence_threshold",
    "min_total",
    "max_winners_per_oblast",
    "fund",
)
# What applicants were promised before the jury scored (SPEC §14).
FROZEN_FROM_JUDGING = ("feedback",)
# The rules of appeal the results were published with.
FROZEN_ONCE_PUBLISHED = ("appeal_days", "appeal_answer_days")


def frozen_settings(contest: Contest, changed: list[str], values: dict) -> dict:
    """Why each of the ``changed`` settings cannot change in the contest's current stage."""
    if contest.stage == Stage.DRAFT:
        return {}
    if archived(contest):
        return dict.fromkeys(changed, _l("The contest is archived: nothing in it can change."))
    errors = dict.fromkeys(
        [name for name in changed if name in FROZEN_AFTER_DRAFT],
        _l(
            "The contest is no longer a draft: this cannot change, "
            "because submitted applications depend on it."
        ),
    )
    if "opens_at" in changed and values["opens_at"] > contest.opens_at:
        errors["opens_at"] = _l(
            "The contest is no longer a draft: the opening can move earlier, not later."
        )
    if results_frozen(contest):  # published (archived returned above)
        errors |= dict.fromkeys(
            [name for name in changed if name in FROZEN_AFTER_PUBLICATION],
            _l("The results are published: the settings that decide the ranking cannot change."),
        )
    elif contest.published_at is not None:  # reopened on an appeal: reviewed, not remade
        errors |= dict.fromkeys(
            [name for name in changed if name in FROZEN_AFTER_PUBLICATION],
            _l(
                "The results were published under these settings: while they are reviewed "
                "on an appeal, the settings that decide the ranking cannot change."
            ),
        )
    if scoring_started(contest):
        errors |= dict.fromkeys(
            [name for name in changed if name in FROZEN_FROM_JUDGING],
            _l("The feedback was declared to applicants before the jury scored: it cannot change."),
        )
    if contest.published_at is not None:  # published, even when reopened since
        errors |= dict.fromkeys(
            [name for name in changed if name in FROZEN_ONCE_PUBLISHED],
            _l("The results were published with these rules of appeal: they cannot change."),
        )
    if {"fund", "max_request"} & set(changed):
        before = (contest.fund, contest.max_request)
        errors = frozen_money(contest, before, (values["fund"], values["max_request"])) | errors
    return errors


def frozen_money(contest: Contest, before: tuple, after: tuple) -> dict:
    """Why a fund and its largest request (of the contest or of a category) cannot go
    from ``before`` to ``after`` (each ``(fund, max_request)``) in the contest's stage:
    once applications may be submitted, whether they state an amount is fixed (a fund
    is neither added nor removed) and the largest request may only grow; the amount of
    the fund may change until the results are published."""
    if contest.stage == Stage.DRAFT:
        return {}
    (fund, limit), (new_fund, new_limit) = before, after
    errors = {}
    if (fund is None) != (new_fund is None):
        errors["fund"] = _l(
            "The contest is no longer a draft: applications are submitted with or without an "
            "amount as it was set, so a fund can change but cannot be added or removed."
        )
    if new_limit is not None and (limit is None or new_limit < limit):
        errors["max_request"] = _l(
            "The contest is no longer a draft: the most one application may request can "
            "grow, not shrink, since applications were made under it."
        )
    return errors


# Moving between stages --------------------------------------------------------------


class StageError(Exception):
    """A move that cannot be made; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict):
        super().__init__(", ".join(errors))
        self.errors = errors


def _years(opens_at, closes_at) -> range:
    """The years (in Kyiv) whose numbers a contest open in this window can give out."""
    return range(opens_at.astimezone(clock.KYIV).year, closes_at.astimezone(clock.KYIV).year + 1)


def contests_sharing_numbers(prefix: str, opens_at, closes_at, exclude_id=None) -> list[str]:
    """Slugs of other contests whose registration numbers could collide with these.

    Numbers read PREFIX-YEAR-NNN, so two contests may share a prefix only when their
    application windows fall in different years (a yearly contest keeps its prefix).
    """
    years = _years(opens_at, closes_at)
    others = db.session.execute(
        select(Contest.slug, Contest.opens_at, Contest.closes_at)
        .where(Contest.number_prefix == prefix, Contest.id != exclude_id)
        .order_by(Contest.slug)
    )
    return [slug for slug, start, end in others if set(years) & set(_years(start, end))]


def has_applications(contest: Contest) -> bool:
    return (
        db.session.scalar(
            select(Application.id).where(Application.contest_id == contest.id).limit(1)
        )
        is not None
    )


def _numbers(numbers: list[str]) -> str:
    """«A, B, C» or «A, B, … and 5 more»."""
    if len(numbers) <= LISTED:
        return ", ".join(numbers)
    rest = len(numbers) - LISTED
    return ngettext(
        "%(numbers)s and %(num)d more",
        "%(numbers)s and %(num)d more",
        rest,
        numbers=", ".join(numbers[:LISTED]),
    )


def _has_chair(contest: Contest) -> bool:
    return (
        db.session.scalar(
            select(JuryMember.user_id)
            .where(JuryMember.contest_id == contest.id, JuryMember.is_chair.is_(True))
            .limit(1)
        )
        is not None
    )


NO_CHAIR = _l(
    "No member of the jury is its chair: mark the chair on the jury page (the protocol "
    "and the diplomas name the chair)."
)


@dataclass(frozen=True)
class PagedProblem:
    """A refusal that one page of the contest puts right: the stage page links to it
    (``endpoint``, given the contest's slug) by its name (``link``); as text, the
    message alone."""

    message: object
    endpoint: str
    link: object

    def __str__(self) -> str:
        return str(self.message)


def meeting_details_missing(contest: Contest) -> list:
    """The details of the jury's meeting (SPEC §16) that the protocol still lacks."""
    labels = {
        "protocol_number": _l("its number"),
        "protocol_date": _l("its date"),
        "protocol_place": _l("its place"),
    }
    return [label for name, label in labels.items() if not getattr(contest, name)]


def meeting_quorum(members: int) -> int:
    """How many members of the jury must be at its meeting for it to decide: more than
    half (SPEC §16)."""
    return members // 2 + 1


def meeting_problems(contest: Contest) -> list[PagedProblem]:
    """What the protocol must say before the results it approves are published: the
    meeting's number, date and place, who was present, and that the meeting could
    decide. All of it is entered on the page «The jury's meeting»."""
    problems = []
    missing = meeting_details_missing(contest)
    if missing:
        problems.append(
            _l(
                "The protocol of the jury’s meeting lacks %(missing)s: enter them on the "
                "page «The jury’s meeting».",
                missing=", ".join(str(m) for m in missing),
            )
        )
    marks = db.session.scalars(
        select(JuryMember.present).where(JuryMember.contest_id == contest.id)
    ).all()
    if any(mark is None for mark in marks):
        problems.append(
            _l(
                "The protocol does not say who was present at the jury’s meeting: mark every "
                "member as present or absent on the page «The jury’s meeting»."
            )
        )
    elif marks and sum(marks) < meeting_quorum(len(marks)):
        problems.append(
            _l(
                "The jury’s meeting was not quorate (%(present)s of %(members)s members "
                "present, %(needed)s needed): the commission could not decide the results.",
                present=sum(marks),
                members=len(marks),
                needed=meeting_quorum(len(marks)),
            )
        )
    link = _l("Open the page «The jury’s meeting»")
    return [PagedProblem(problem, "results.meeting", link) for problem in problems]


def publication_problems(contest: Contest) -> list:
    """What must be put right before the results can be published (SPEC §6.8, §16)."""
    problems = []
    if not _has_chair(contest):
        problems.append(NO_CHAIR)
    problems += meeting_problems(contest)
    loaded = load(contest)
    try:
        result, stale = loaded.rank()
    except ValueError:
        return [
            *problems,
            _l("The ranking cannot be computed from the scores as they are; check them."),
        ]
    if not result.rows:
        problems.append(_l("No application is ranked yet: there are no results to publish."))
    problems += rounds.advance_problems(contest)
    shares = rounds.weights_problem(rounds.chain(contest))
    if shares is not None:
        problems.append(shares)
    for group in undecided_ties(result):
        problems.append(
            ngettext(
                "The applications %(numbers)s are tied at place %(rank)s, and %(num)d place "
                "is left for them: record the commission’s decision on the ranking page.",
                "The applications %(numbers)s are tied at place %(rank)s, and %(num)d places "
                "are left for them: record the commission’s decision on the ranking page.",
                group.places,
                numbers=", ".join(row.number for row in group.rows),
                rank=group.rank,
            )
        )
    for decision in stale:
        problems.append(
            _l(
                "The commission’s decision of %(date)s no longer fits the ranking: the "
                "scores, the places or the fund changed after it. Revoke it on the ranking "
                "page and decide again.",
                date=long_date(decision.decided_at),
            )
        )
    return problems


def applicants_to_notify(contest: Contest) -> list[tuple[int, int]]:
    """(user id, application id): the applicants' accounts of every submitted application
    (admitted, rejected or not yet screened), in the order of the applications' numbers;
    drafts never reached the jury. They get the e-mail of publication."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(User.id, Application.id)
            .join(Application, Application.organisation_id == User.organisation_id)
            .where(
                Application.contest_id == contest.id,
                Application.state != ApplicationState.DRAFT,
                User.role == Role.APPLICANT,
                User.anonymised_at.is_(None),
            )
            .order_by(Application.number, User.id)
        )
    ]


def stage_target(contest: Contest, value: str | None) -> Stage | None:
    """The stage named ``value`` if the contest may move there from where it is now."""
    moves = (STAGE_FORWARD.get(contest.stage), STAGE_BACK.get(contest.stage))
    return next((stage for stage in moves if stage is not None and stage.value == value), None)


def is_backward(contest: Contest, target: Stage) -> bool:
    return STAGE_BACK.get(contest.stage) == target


@dataclass(frozen=True)
class OpeningCheck:
    """One thing a contest needs before it opens: done, or what to put right."""

    code: str  # ``criteria``, ``dates``, ``prefix``
    done: bool
    problem: object = None  # the refusal while it is not done


def opening_checks(contest: Contest) -> list[OpeningCheck]:
    """The guardrail of draft → open, item by item (the dashboard's set-up checklist).

    Rounds (SPEC §13): a later round opens once the round before is published (its
    winners are those who advance); the first round once the shares of the final score
    declared on the rounds can combine them (``rounds.weights_problem``).
    """
    shared = contests_sharing_numbers(
        contest.number_prefix, contest.opens_at, contest.closes_at, exclude_id=contest.id
    )
    previous = rounds.previous_round(contest)
    weights = rounds.weights_problem(rounds.chain(contest)) if previous is None else None
    return [
        OpeningCheck(
            "previous_round",
            previous is None or previous.stage in RESULTS_FROZEN,
            _l(
                "This is a later round: it opens once the results of the round before are "
                "published, which decides who advances."
            ),
        ),
        OpeningCheck("weights", weights is None, weights),
        OpeningCheck(
            "criteria",
            bool(contest.criteria),
            _l("Add at least one criterion: a contest cannot open without them."),
        ),
        # The schema requires both dates; a deadline already past would open nothing.
        OpeningCheck(
            "dates",
            contest.closes_at > clock.now(),
            _l("Set the dates first: the closing time of applications has already passed."),
        ),
        OpeningCheck(
            "prefix",
            not shared,
            _l(
                "Another contest of the same year numbers its applications with the prefix "
                "%(prefix)s (%(slugs)s): change the prefix in the settings.",
                prefix=contest.number_prefix,
                slugs=", ".join(shared),
            ),
        ),
    ]


def stage_problems(contest: Contest, target: Stage) -> list:
    """What must be put right before the contest can move to ``target``."""
    problems = []
    if target == Stage.OPEN:
        problems.extend(check.problem for check in opening_checks(contest) if not check.done)
    if target == Stage.DRAFT and has_applications(contest):
        problems.append(
            _l(
                "Applicants have already started applications, so the contest cannot "
                "return to the draft."
            )
        )
    if target == Stage.JUDGING and not is_backward(contest, target):
        problems.extend(_judging_problems(contest))
    if target == Stage.PUBLISHED:
        problems.extend(publication_problems(contest))  # undecided ties (SPEC §6.8)
    if contest.stage == Stage.PUBLISHED and target == Stage.DELIBERATION:
        problems.extend(reopening_problems(contest))
    if target == Stage.ARCHIVED:
        problems.extend(_archiving_problems(contest))
    return problems


# After the decision (SPEC §14): clarifications, appeals, reopening ---------------------


def open_clarifications(contest: Contest) -> list[tuple[str, object]]:
    """(number, deadline) of the clarification requests still awaiting the applicant's
    answer before their deadline, the nearest first (one query)."""
    return db.session.execute(
        select(Application.number, ClarificationRequest.deadline)
        .join(Application, ClarificationRequest.application_id == Application.id)
        .where(
            Application.contest_id == contest.id,
            ClarificationRequest.answered_at.is_(None),
            ClarificationRequest.deadline > clock.now(),
        )
        .order_by(ClarificationRequest.deadline, Application.serial)
    ).all()


def appeals_close(contest: Contest):
    """The end of the last day to appeal (Kyiv), counted from the latest publication, or
    None (the contest takes no appeals, or has not been published)."""
    if not contest.appeal_days or contest.published_at is None:
        return None
    last = clock.kyiv_day(contest.published_at) + timedelta(days=contest.appeal_days)
    return clock.end_of_day(last)


def unanswered_appeals(contest: Contest) -> list[tuple[str, object]]:
    """(number, answer due) of the appeals awaiting the commission's answer, the nearest
    due first (one query)."""
    return db.session.execute(
        select(Application.number, Appeal.answer_due)
        .join(Application, Appeal.application_id == Application.id)
        .where(Appeal.contest_id == contest.id, Appeal.decision.is_(None))
        .order_by(Appeal.answer_due, Application.serial)
    ).all()


def appeals_to_reopen(contest: Contest) -> list[Appeal]:
    """The upheld appeals no reopening of the results has acted on yet."""
    return db.session.scalars(
        select(Appeal)
        .where(
            Appeal.contest_id == contest.id,
            Appeal.decision == AppealDecision.UPHELD,
            Appeal.reopened_at.is_(None),
        )
        .order_by(Appeal.answered_at, Appeal.id)
    ).all()


def reopening_problems(contest: Contest) -> list:
    advanced = rounds.reopening_problem(contest)
    if advanced is not None:
        return [advanced]
    if appeals_to_reopen(contest):
        return []
    return [
        _l(
            "Published results are reopened only on an appeal the commission upheld: record "
            "the commission’s answer on the appeals page first."
        )
    ]


def _archiving_problems(contest: Contest) -> list:
    waiting = unanswered_appeals(contest)
    if not waiting:
        return []
    return [
        ngettext(
            "The appeal about %(numbers)s awaits the commission’s answer: record it on the "
            "appeals page before archiving.",
            "%(num)d appeals await the commission’s answer (%(numbers)s): record them on the "
            "appeals page before archiving.",
            len(waiting),
            numbers=_numbers([number for number, _due in waiting]),
        )
    ]


def _judging_problems(contest: Contest) -> list:
    """The jury can start scoring: something admitted, every admitted application with a
    juror who has not recused, and a chair."""
    counting = func.coalesce(
        func.sum(case((Scoresheet.conflict != Conflict.RECUSED, 1), else_=0)), 0
    )
    rows = db.session.execute(
        select(Application.number, func.count(Scoresheet.id), counting)
        .outerjoin(Scoresheet, Scoresheet.application_id == Application.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
        )
        .group_by(Application.id, Application.number, Application.serial)
        .order_by(Application.serial, Application.id)
    ).all()
    problems = []
    if not rows:
        problems.append(
            _l("No application is admitted: admit applications before the jury starts scoring.")
        )
    asked = open_clarifications(contest)
    if asked:
        problems.append(
            ngettext(
                "The applicant of %(numbers)s has until %(moment)s to answer the request for a "
                "clarification: screening resumes when it is answered or the deadline passes.",
                "%(num)d applicants have yet to answer requests for a clarification "
                "(%(numbers)s), the last until %(moment)s: screening resumes when they are "
                "answered or the deadlines pass.",
                len(asked),
                numbers=_numbers([number for number, _deadline in asked]),
                moment=long_datetime(max(deadline for _number, deadline in asked)),
            )
        )
    alone = [number for number, _sheets, jurors in rows if not jurors]
    if alone:
        problems.append(
            ngettext(
                "The admitted application %(numbers)s has no juror: assign jurors on the "
                "page «Assignments and progress».",
                "%(num)d admitted applications have no juror (%(numbers)s): assign jurors "
                "on the page «Assignments and progress».",
                len(alone),
                numbers=_numbers(alone),
            )
        )
    if not _has_chair(contest):
        problems.append(NO_CHAIR)
    return problems


@dataclass(frozen=True)
class StageWarning:
    """What a move does that the organiser confirms knowingly, with the lines it concerns."""

    code: str
    message: str
    lines: tuple[str, ...] = ()


def stage_warnings(contest: Contest, target: Stage) -> list[StageWarning]:
    """What the organiser must confirm before the contest moves to ``target``."""
    if contest.stage == Stage.PUBLISHED and target == Stage.DELIBERATION:
        return _reopening_warnings(contest)
    if is_backward(contest, target):
        return []
    if target == Stage.ARCHIVED:
        return _archiving_warnings(contest)
    if target == Stage.SCREENING:
        return _closing_warnings(contest)
    if target == Stage.JUDGING:
        return _screening_warnings(contest)
    if target == Stage.DELIBERATION:
        return _deliberation_warnings(contest)
    if target == Stage.PUBLISHED:
        return _publication_warnings(contest)
    return []


def closes_early(contest: Contest, target: Stage) -> bool:
    """Applications would stop before the deadline announced on the contest's page."""
    return (
        contest.stage == Stage.OPEN
        and target == Stage.SCREENING
        and (clock.now() < contest.closes_at)
    )


def _closing_warnings(contest: Contest) -> list[StageWarning]:
    if not closes_early(contest, Stage.SCREENING):
        return []
    drafts = db.session.scalar(
        select(func.count()).where(
            Application.contest_id == contest.id, Application.state == ApplicationState.DRAFT
        )
    )
    lines = ()
    if drafts:
        lines = (
            ngettext(
                "%(num)d application is still a draft: it can no longer be submitted.",
                "%(num)d applications are still drafts: they can no longer be submitted.",
                drafts,
            ),
        )
    return [
        StageWarning(
            "closing_early",
            str(
                _l(
                    "Applications were announced to close at %(deadline)s (Kyiv time). "
                    "Closing them now stops them early; the reason you give is recorded and "
                    "shown on the contest’s public page.",
                    deadline=long_datetime(contest.closes_at),
                )
            ),
            lines,
        )
    ]


def _screening_warnings(contest: Contest) -> list[StageWarning]:
    undecided = db.session.scalars(
        select(Application.number)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.SUBMITTED,
        )
        .order_by(Application.serial)
    ).all()
    if not undecided:
        return []
    return [
        StageWarning(
            "unscreened",
            ngettext(
                "%(num)d submitted application is neither admitted nor rejected: it will not "
                "be scored, and its applicant gets no decision.",
                "%(num)d submitted applications are neither admitted nor rejected: they will "
                "not be scored, and their applicants get no decision.",
                len(undecided),
            ),
            (_numbers(list(undecided)),),
        )
    ]


def unsubmitted_sheets(contest: Contest) -> dict[str, list[str]]:
    """The sheets of admitted applications neither submitted nor recused, by juror name:
    the numbers, in registration order (one query)."""
    rows = db.session.execute(
        select(User.name, Application.number)
        .select_from(Scoresheet)
        .join(Application, Scoresheet.application_id == Application.id)
        .join(User, Scoresheet.juror_id == User.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
            Scoresheet.state == SheetState.DRAFT,
            Scoresheet.conflict != Conflict.RECUSED,
        )
        .order_by(User.name, User.id, Application.serial, Application.id)
    ).all()
    found: dict[str, list[str]] = defaultdict(list)
    for name, number in rows:
        found[name].append(number)
    return dict(found)


def _deliberation_warnings(contest: Contest) -> list[StageWarning]:
    drafts = unsubmitted_sheets(contest)
    if not drafts:
        return []
    count = sum(len(numbers) for numbers in drafts.values())
    return [
        StageWarning(
            "unsubmitted",
            ngettext(
                "%(num)d scoresheet is not submitted. Scoring closes: it will not count, and "
                "the ranking, the protocol and the juror’s list will show it as not submitted "
                "(not as a recusal).",
                "%(num)d scoresheets are not submitted. Scoring closes: they will not count, "
                "and the ranking, the protocol and the jurors’ lists will show them as not "
                "submitted (not as recusals).",
                count,
            ),
            tuple(f"{name}: {', '.join(numbers)}" for name, numbers in drafts.items()),
        )
    ]


def _publication_warnings(contest: Contest) -> list[StageWarning]:
    try:
        result = load(contest).rank()[0]
    except ValueError:
        return []  # refused anyway (publication_problems)
    warnings = []
    unequal = result.unequal_sums
    if unequal:
        warnings.append(
            StageWarning(
                "unequal_sums",
                str(
                    _l(
                        "Scores are sums of the jurors’ totals, and the applications were "
                        "scored by different numbers of jurors (from %(fewest)s to "
                        "%(most)s): an application scored by fewer jurors has a lower sum. "
                        "The protocol and the announcement say so.",
                        fewest=unequal[0],
                        most=unequal[1],
                    )
                ),
            )
        )
    if result.not_ranked:
        warnings.append(
            StageWarning(
                "not_ranked",
                ngettext(
                    "%(num)d admitted application has too few submitted scoresheets: it is "
                    "published as not ranked.",
                    "%(num)d admitted applications have too few submitted scoresheets: they "
                    "are published as not ranked.",
                    len(result.not_ranked),
                ),
                (_numbers([item.number for item in result.not_ranked]),),
            )
        )
    later = rounds.next_round(contest)
    if later is not None:  # SPEC §13: the winners advance
        advancing = [row.number for row in result.rows if row.winner]
        warnings.append(
            StageWarning(
                "advancing",
                ngettext(
                    "%(num)d application advances to round %(round)s «%(title)s» and gets its "
                    "application there. From then on the results of this round cannot be "
                    "reopened.",
                    "%(num)d applications advance to round %(round)s «%(title)s» and get their "
                    "applications there. From then on the results of this round cannot be "
                    "reopened.",
                    len(advancing),
                    round=rounds.number(later),
                    title=rounds.round_title(later),
                ),
                (_numbers(advancing),),
            )
        )
    return warnings


def _reopening_warnings(contest: Contest) -> list[StageWarning]:
    upheld = appeals_to_reopen(contest)
    numbers = db.session.scalars(
        select(Application.number)
        .where(Application.id.in_([a.application_id for a in upheld]))
        .order_by(Application.serial)
    ).all()
    warnings = [
        StageWarning(
            "reopening",
            str(
                _l(
                    "The results published on %(date)s stop being public until you publish "
                    "them again: the results page, its PDF and the API answer «not found», "
                    "and applicants no longer see their results, feedback or diplomas. "
                    "Publishing again e-mails every applicant again.",
                    date=long_date(contest.published_at),
                )
            ),
            (
                ngettext(
                    "On the upheld appeal about %(numbers)s.",
                    "On the upheld appeals about %(numbers)s.",
                    len(numbers),
                    numbers=_numbers(list(numbers)),
                ),
            ),
        )
    ]
    waiting = unanswered_appeals(contest)
    if waiting:
        warnings.append(
            StageWarning(
                "appeals_waiting",
                ngettext(
                    "%(num)d more appeal awaits its answer: you can answer it while the "
                    "results are reopened.",
                    "%(num)d more appeals await their answers: you can answer them while "
                    "the results are reopened.",
                    len(waiting),
                ),
                (_numbers([number for number, _due in waiting]),),
            )
        )
    return warnings


def _archiving_warnings(contest: Contest) -> list[StageWarning]:
    closes = appeals_close(contest)
    if closes is None or clock.now() >= closes:
        return []
    return [
        StageWarning(
            "appeals_open",
            str(
                _l(
                    "Applicants may appeal until %(moment)s (Kyiv time). Once the contest "
                    "is archived, no appeal can be filed or answered.",
                    moment=long_datetime(closes),
                )
            ),
        )
    ]


def fingerprint(warnings: list[StageWarning]) -> str:
    """What the organiser saw and confirmed: the same warnings give the same text."""
    text = "\n".join(f"{w.code}:{w.message}:{'|'.join(w.lines)}" for w in warnings)
    return hashlib.sha256(text.encode()).hexdigest()[:16] if warnings else ""


@dataclass(frozen=True)
class Preview:
    """A move before it is made: what refuses it, what to confirm, what it sets off."""

    target: Stage
    problems: list
    warnings: list[StageWarning] = field(default_factory=list)
    emails: int | None = None  # e-mails that publication sends
    closes_early: bool = False  # the reason is then required and public

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.warnings)

    @property
    def needs_reason(self) -> bool:
        return self.closes_early


def preview(contest: Contest, target: Stage) -> Preview:
    """Everything the stage page shows before the organiser confirms the move."""
    problems = stage_problems(contest, target)
    return Preview(
        target=target,
        problems=problems,
        warnings=stage_warnings(contest, target),
        emails=len(applicants_to_notify(contest)) if target == Stage.PUBLISHED else None,
        closes_early=closes_early(contest, target),
    )


def change_stage(
    contest: Contest, target: Stage, *, actor: User, reason: str = "", confirmed: str = ""
) -> None:
    """Move the contest one step along its lifecycle and record who, when and why.

    ``confirmed`` is the ``fingerprint`` of the warnings the organiser confirmed; the move
    is refused while it differs from the warnings as they stand (``StageError``).
    """
    hold_stage(contest, to_change=True)
    if stage_target(contest, target.value) is None:
        raise StageError({"to": _l("The contest cannot move to this stage from its current one.")})
    plan = preview(contest, target)
    if plan.problems:
        raise StageError({"to": plan.problems[0]})
    reason = (reason or "").strip()
    errors = {}
    if is_backward(contest, target) and not reason:
        errors["reason"] = _l("Give the reason for moving the contest back.")
    if plan.needs_reason and not reason:
        errors["reason"] = _l(
            "Give the reason for closing the applications before the announced deadline: "
            "it is shown on the contest’s public page."
        )
    if plan.warnings and confirmed != plan.fingerprint:
        if confirmed:
            errors["confirm"] = _l(
                "The situation changed while the page was open: read the warnings again "
                "and confirm."
            )
        else:
            errors["confirm"] = _l("Confirm that you have read the warnings above.")
    if errors:
        raise StageError(errors)
    previous = contest.stage
    reopened = appeals_to_reopen(contest) if previous == Stage.PUBLISHED else []
    contest.stage = target
    now = clock.now()
    if target == Stage.PUBLISHED:
        contest.published_at = now
    for appeal in reopened:
        appeal.reopened_at = now
    if plan.closes_early:
        contest.closed_early_at, contest.closed_early_reason = now, reason
    elif previous == Stage.SCREENING and target == Stage.OPEN:
        contest.closed_early_at, contest.closed_early_reason = None, ""  # open again
    db.session.flush()
    audit.record(
        "contest.stage",
        actor=actor,
        contest=contest,
        obj=contest,
        reason=reason,
        from_stage=previous.value,
        to_stage=target.value,
        # What the organiser confirmed knowingly, when the move warned of anything.
        **(
            {"confirmed": [{"warning": w.code, "lines": list(w.lines)} for w in plan.warnings]}
            if plan.warnings
            else {}
        ),
        **({"appeals": [a.id for a in reopened]} if reopened else {}),
    )
    if target == Stage.PUBLISHED:
        rounds.advance(contest, actor)  # the winners of a round advance to the next
