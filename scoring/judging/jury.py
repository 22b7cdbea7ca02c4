"""The organisers' side of the jury (SPEC §6, §8, §11): its members and their progress.

The workflow behind the pages in ``jury_views`` (assignments, the matrix and reopening
are in ``assignments``):

1. **Members.** An organiser adds a juror by e-mail: an existing juror's account joins
   at once, an unknown address gets an invitation (``scoring.auth.operations.invite``)
   that puts its holder on the jury when accepted, and an account with another role is
   refused. One member is marked as the chair (the protocol names the chair). A member
   who has not scored — no submitted sheet, no score and no declared recusal, which the
   protocol must keep — can be removed together with their empty assignments.
2. **Progress.** Each member's sheets by state and how far the applications have got,
   from grouped queries. During judging a reminder goes by e-mail to one juror, or to
   every juror, who has sheets left.

Functions take models and plain values, check the rules, change the models and write
the audit entry; the view commits. A refusal raises ``JuryError`` before anything has
changed.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, func, or_, select

from .. import audit, lifecycle
from ..auth import operations as accounts
from ..extensions import db
from ..hromadas import collation_key
from ..models import (
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Invitation,
    JuryMember,
    Role,
    Score,
    Scoresheet,
    SheetState,
    User,
)
from ..ranking import applied_quorum
from ..tables import Table
from .operations import Progress, sheet_status

# The jury and the assignments are fixed once the results are published (SPEC §3):
# ``lifecycle.results_frozen``. Assignments need admitted applications, and deliberation
# may add a juror (SPEC §6.6): ``lifecycle.assignments_open``.
FROZEN_MESSAGE = _l("The results are published: the jury and its work can no longer change.")
MAX_REASON = 2000
PER_PAGE = 50
CONFLICT_LABELS = {
    "organisation": _l("works for the applicant"),
    "oblast": _l("from the applicant’s oblast"),
    "community": _l("from the applicant’s community"),
}


def conflict_text(kinds: list[str]) -> str:
    """«works for the applicant, from the applicant’s oblast» in the interface language."""
    return ", ".join(str(CONFLICT_LABELS[kind]) for kind in kinds)


class JuryError(Exception):
    """A request that cannot be carried out; ``field`` names the form field to blame."""

    def __init__(self, message, field: str = ""):
        super().__init__(str(message))
        self.message = message
        self.field = field


def _check_not_frozen(contest: Contest) -> None:
    if lifecycle.results_frozen(contest):
        raise JuryError(
            _l("The results are published: the jury and its work can no longer change.")
        )


# Members and their progress --------------------------------------------------------


@dataclass(frozen=True)
class Member:
    id: int  # the user's
    name: str
    email: str
    is_chair: bool
    progress: Progress


def juror_progress(contest: Contest) -> dict[int, Progress]:
    """Each juror's sheets in the contest's admitted applications, by state (one query)."""
    rows = db.session.execute(
        select(Scoresheet.juror_id, Scoresheet.conflict, Scoresheet.state, func.count())
        .join(Application, Scoresheet.application_id == Application.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
        )
        .group_by(Scoresheet.juror_id, Scoresheet.conflict, Scoresheet.state)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for juror_id, conflict, state, count in rows:
        by_status = counts.setdefault(
            juror_id, dict.fromkeys(("submitted", "draft", "not_started", "recused"), 0)
        )
        by_status[sheet_status(conflict, state)] += count
    return {juror_id: Progress(**c) for juror_id, c in counts.items()}


def members(contest: Contest) -> list[Member]:
    """The jury, the chair first, then by name, with each member's progress (two queries)."""
    rows = db.session.execute(
        select(User.id, User.name, User.email, JuryMember.is_chair)
        .join(JuryMember, JuryMember.user_id == User.id)
        .where(JuryMember.contest_id == contest.id)
    ).all()
    progress = juror_progress(contest)
    found = [
        Member(user_id, name, email, bool(chair), progress.get(user_id, Progress()))
        for user_id, name, email, chair in rows
    ]
    return sorted(found, key=lambda m: (not m.is_chair, collation_key(m.name), m.id))


def progress_table(contest: Contest) -> Table:
    """The jury's progress as a table to download: one row per member."""
    header = [_("Juror"), _("E-mail"), _("Chair"), _("Submitted"), _("Drafts")]
    header += [_("Not started"), _("Recusals"), _("To score")]
    rows = [
        [m.name, m.email, _("yes") if m.is_chair else ""]
        + [m.progress.submitted, m.progress.draft, m.progress.not_started]
        + [m.progress.recused, m.progress.to_score]
        for m in members(contest)
    ]
    return Table(header, rows, _("Jury"))


@dataclass(frozen=True)
class ApplicationsSummary:
    admitted: int = 0
    complete: int = 0  # every sheet that counts is submitted
    ranked: int = 0  # at least the quorum of submitted sheets: the application is ranked
    short: int = 0  # fewer jurors than the contest asks for
    quorum: int = 1  # the quorum applied: the contest's, at most the jury's size


def jurors_wanted(contest: Contest, jury_size: int) -> int:
    """How many jurors (recusals aside) an application should have."""
    if contest.jurors_per_application:
        return contest.jurors_per_application
    return min(contest.quorum, jury_size)


def _application_counts(contest: Contest):
    """(application id, jurors who count, submitted sheets) per admitted application."""
    counting = case((Scoresheet.conflict != Conflict.RECUSED, 1), else_=0)
    submitted = case((Scoresheet.state == SheetState.SUBMITTED, 1), else_=0)
    return db.session.execute(
        select(
            Application.id,
            func.coalesce(func.sum(counting), 0),
            func.coalesce(func.sum(submitted), 0),
        )
        .outerjoin(Scoresheet, Scoresheet.application_id == Application.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
        )
        .group_by(Application.id)
    ).all()


def applications_summary(contest: Contest, jury_size: int) -> ApplicationsSummary:
    """How far the scoring of the admitted applications has got (one grouped query)."""
    wanted = jurors_wanted(contest, jury_size)
    quorum = applied_quorum(contest.quorum, jury_size)  # as the ranking applies it
    admitted = complete = ranked = short = 0
    for _id, counted, submitted in _application_counts(contest):
        admitted += 1
        complete += bool(counted) and submitted >= counted
        ranked += submitted >= quorum
        short += counted < wanted
    return ApplicationsSummary(admitted, complete, ranked, short, quorum)


def pending_invitations(contest: Contest) -> list[Invitation]:
    """Invitations to the contest's jury neither accepted nor withdrawn."""
    return accounts.pending_invitations(contest, Role.JUROR)


def add_member(contest: Contest, user: User, *, actor: User) -> None:
    """Put ``user``, who has a juror's account, on the contest's jury."""
    _check_not_frozen(contest)
    if user.role != Role.JUROR:
        raise JuryError(
            _l(
                "This address belongs to an account with another role (an organiser or an "
                "applicant); only a juror’s account can be on the jury. Use another address."
            ),
            "email",
        )
    if db.session.get(JuryMember, (contest.id, user.id)) is not None:
        raise JuryError(_l("This juror is already on the jury."), "email")
    db.session.add(JuryMember(contest_id=contest.id, user_id=user.id))
    db.session.flush()
    audit.record("jury.member_added", actor=actor, contest=contest, obj=user)


def invite_juror(contest: Contest, email: str, name: str, *, actor: User):
    """An invitation to the jury for an address without an account: (invitation, token)."""
    _check_not_frozen(contest)
    return accounts.invite(inviter=actor, email=email, name=name, role=Role.JUROR, contest=contest)


def set_chair(contest: Contest, user: User, *, actor: User) -> None:
    """Mark ``user`` as the chair of the jury; the previous chair becomes a member."""
    _check_not_frozen(contest)
    jury = db.session.scalars(select(JuryMember).where(JuryMember.contest_id == contest.id)).all()
    if not any(m.user_id == user.id for m in jury):
        raise JuryError(_l("This person is not on the jury."))
    previous = [m.user_id for m in jury if m.is_chair and m.user_id != user.id]
    for member in jury:
        member.is_chair = member.user_id == user.id
    db.session.flush()
    audit.record(
        "jury.chair_set", actor=actor, contest=contest, obj=user, previous=previous or None
    )


def _juror_sheets(contest: Contest, user_id: int, *, lock: bool = False):
    query = (
        select(Scoresheet)
        .join(Application, Scoresheet.application_id == Application.id)
        .where(Application.contest_id == contest.id, Scoresheet.juror_id == user_id)
        .order_by(Scoresheet.id)
    )
    if lock:
        query = query.with_for_update(of=Scoresheet).execution_options(populate_existing=True)
    return db.session.scalars(query).all()


def scored_sheets(sheet_ids: list[int]) -> set[int]:
    """Those of the sheets that hold points or a comment on a criterion (one query)."""
    if not sheet_ids:
        return set()
    return set(
        db.session.scalars(
            select(Score.scoresheet_id)
            .where(
                Score.scoresheet_id.in_(sheet_ids),
                or_(Score.points.is_not(None), Score.comment != ""),
            )
            .distinct()
        )
    )


def has_scores(sheet_ids: list[int]) -> bool:
    return bool(scored_sheets(sheet_ids))


def _removal_problem(contest: Contest, sheets: list[Scoresheet]):
    if lifecycle.results_frozen(contest):
        return FROZEN_MESSAGE
    if any(s.state == SheetState.SUBMITTED for s in sheets):
        return _l(
            "This juror has submitted scoresheets, and they count in the results. A juror "
            "who has scored stays on the jury; a scoresheet can be reopened instead."
        )
    if has_scores([s.id for s in sheets]) or any(s.overall_comment for s in sheets):
        return _l(
            "This juror has already entered scores or comments. A juror who has scored "
            "stays on the jury."
        )
    if any(s.conflict == Conflict.RECUSED for s in sheets):
        return _l(
            "This juror has declared a conflict of interest. The declaration goes into the "
            "protocol, so the juror stays on the jury."
        )
    return None


def removal_problem(contest: Contest, user: User):
    """Why ``user`` cannot leave the jury now, or None."""
    return _removal_problem(contest, _juror_sheets(contest, user.id))


def remove_member(contest: Contest, user: User, *, actor: User) -> int:
    """Take a juror who has not scored off the jury, with their assignments; return how many."""
    sheets = _juror_sheets(contest, user.id, lock=True)
    problem = _removal_problem(contest, sheets)
    if problem:
        raise JuryError(problem)
    applications = [s.application_id for s in sheets]
    if sheets:
        db.session.execute(delete(Scoresheet).where(Scoresheet.id.in_([s.id for s in sheets])))
        for sheet in sheets:
            db.session.expunge(sheet)
    member = db.session.get(JuryMember, (contest.id, user.id))
    if member is not None:
        db.session.delete(member)
    db.session.flush()
    audit.record(
        "jury.member_removed",
        actor=actor,
        contest=contest,
        obj=user,
        applications=applications,
        was_chair=bool(member and member.is_chair),
    )
    return len(sheets)


# Reminders -------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    user: User
    remaining: int  # sheets neither submitted nor recused


def unfinished(contest: Contest) -> list[Reminder]:
    """Members of the jury with sheets left to score, by name (two queries)."""
    left = (
        select(Scoresheet.juror_id, func.count().label("remaining"))
        .join(Application, Scoresheet.application_id == Application.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
            Scoresheet.state == SheetState.DRAFT,
            Scoresheet.conflict != Conflict.RECUSED,
        )
        .group_by(Scoresheet.juror_id)
        .subquery()
    )
    rows = db.session.execute(
        select(User, left.c.remaining)
        .join(left, left.c.juror_id == User.id)
        .join(JuryMember, JuryMember.user_id == User.id)
        .where(JuryMember.contest_id == contest.id)
    ).all()
    found = [Reminder(user, remaining) for user, remaining in rows]
    return sorted(found, key=lambda r: (r.user.name.casefold(), r.user.id))


def reminder_problem(contest: Contest, reminders: list[Reminder]):
    if not lifecycle.scoring_open(contest):
        return _l("Reminders are sent while the jury is scoring (the judging stage).")
    if not reminders:
        return _l("Every juror has finished: there is nobody to remind.")
    return None


def record_reminder(contest: Contest, reminder: Reminder, *, actor: User) -> None:
    """Write a reminder just sent to the audit log: to whom, how many sheets were left
    (not the text). A reminder to every late juror writes one entry for each of them."""
    audit.record(
        "jury.reminded",
        actor=actor,
        contest=contest,
        obj=reminder.user,
        remaining=reminder.remaining,
    )
