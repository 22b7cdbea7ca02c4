"""The organisers' side of the jury (SPEC §6, §8, §11): members, assignments, progress.

The workflow behind the pages in ``manage.py``:

1. **Members.** An organiser adds a juror by e-mail: an existing juror's account joins
   at once, an unknown address gets an invitation (``scoring.auth.operations.invite``)
   that puts its holder on the jury when accepted, and an account with another role is
   refused. One member is marked as the chair (the protocol names the chair). A member
   who has not scored — no submitted sheet, no score and no declared recusal, which the
   protocol must keep — can be removed together with their empty assignments.
2. **Assignments** are scoresheet rows. "Assign automatically" adds the missing pairs
   that ``assignment.plan_assignments`` chooses (every juror, or N per application with
   a balanced load, never a conflict the system knows of); an organiser also adds or
   removes one juror of one application (removal only while the sheet has no score and
   no recusal).
3. **Progress.** The matrix shows applications × jurors with the state of each sheet,
   a page of applications at a time; counts per juror and per application come from
   grouped queries. During judging a reminder goes by e-mail to the jurors who have
   sheets left.
4. **Reopening.** A submitted sheet can be reopened with a reason during judging and
   deliberation: it is a draft again and does not count in the ranking until the juror
   submits it again. Jurors edit only while the contest is judging, so a sheet reopened
   during deliberation waits for the contest to move back to judging (SPEC §3).

Functions take models and plain values, check the rules, change the models and write
the audit entry; the view commits. A refusal raises ``JuryError`` before anything has
changed.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, func, or_, select

from .. import audit, clock, lifecycle
from ..auth import operations as accounts
from ..extensions import db
from ..models import (
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Invitation,
    JuryMember,
    Organisation,
    Role,
    Score,
    Scoresheet,
    SheetState,
    User,
)
from .assignment import Applicant, Juror, Party, Rules, conflicts, least_loaded, plan_assignments
from .operations import Progress, lock_scoresheet, sheet_status

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


def _check_assigning(contest: Contest) -> None:
    if not lifecycle.assignments_open(contest):
        raise JuryError(
            _l(
                "Assignments are made from the screening stage until the deliberation, "
                "when there are admitted applications."
            )
        )


def _lock_contest(contest: Contest) -> None:
    """Serialise the assignment changes of one contest (two organisers clicking at once)."""
    db.session.execute(select(Contest.id).where(Contest.id == contest.id).with_for_update())


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
    return sorted(found, key=lambda m: (not m.is_chair, m.name.casefold(), m.id))


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
    quorum = max(1, min(contest.quorum, jury_size))  # as the ranking caps it (SPEC §6.1)
    admitted = complete = ranked = short = 0
    for _id, counted, submitted in _application_counts(contest):
        admitted += 1
        complete += bool(counted) and submitted >= counted
        ranked += submitted >= quorum
        short += counted < wanted
    return ApplicationsSummary(admitted, complete, ranked, short, quorum)


def pending_invitations(contest: Contest) -> list[Invitation]:
    """Invitations to the contest's jury that are not accepted and have not expired."""
    return db.session.scalars(
        select(Invitation)
        .where(
            Invitation.contest_id == contest.id,
            Invitation.role == Role.JUROR,
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > clock.now(),
        )
        .order_by(Invitation.created_at)
    ).all()


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


def _scored_sheets(sheet_ids: list[int]) -> set[int]:
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


def _has_scores(sheet_ids: list[int]) -> bool:
    return bool(_scored_sheets(sheet_ids))


def _removal_problem(contest: Contest, sheets: list[Scoresheet]):
    if lifecycle.results_frozen(contest):
        return FROZEN_MESSAGE
    if any(s.state == SheetState.SUBMITTED for s in sheets):
        return _l(
            "This juror has submitted scoresheets, and they count in the results. A juror "
            "who has scored stays on the jury; a scoresheet can be reopened instead."
        )
    if _has_scores([s.id for s in sheets]) or any(s.overall_comment for s in sheets):
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


# Assignments -----------------------------------------------------------------------


def _rules(contest: Contest) -> Rules:
    return Rules(
        per_application=contest.jurors_per_application,
        same_oblast=contest.conflict_same_oblast,
        same_community=contest.conflict_same_community,
        quorum=contest.quorum,
    )


def _jurors(contest: Contest) -> list[Juror]:
    rows = db.session.execute(
        select(User.id, User.organisation_id, User.oblast, User.community)
        .join(JuryMember, JuryMember.user_id == User.id)
        .where(JuryMember.contest_id == contest.id)
    ).all()
    return [
        Juror(user_id, Party(org, oblast, community)) for user_id, org, oblast, community in rows
    ]


def _existing(contest: Contest) -> tuple[set, set]:
    """The (application, juror) pairs with a sheet, and those of them that are recusals."""
    rows = db.session.execute(
        select(Scoresheet.application_id, Scoresheet.juror_id, Scoresheet.conflict)
        .join(Application, Scoresheet.application_id == Application.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
        )
    ).all()
    existing = {(a, j) for a, j, _c in rows}
    recused = {(a, j) for a, j, c in rows if c == Conflict.RECUSED}
    return existing, recused


@dataclass(frozen=True)
class AutoResult:
    added: int
    short: list[tuple[str, int]]  # (registration number, jurors missing)
    conflicts: int  # pairs left out because of a conflict of interest


def assign_automatically(contest: Contest, *, actor: User) -> AutoResult:
    """Add the missing assignments of the admitted applications (see ``assignment``)."""
    _check_assigning(contest)
    _lock_contest(contest)
    rows = db.session.execute(
        select(
            Application.id,
            Application.number,
            Organisation.id,
            Organisation.oblast,
            Organisation.community,
        )
        .join(Organisation, Application.organisation_id == Organisation.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
        )
    ).all()
    if not rows:
        raise JuryError(_l("There are no admitted applications to assign yet."))
    jurors = _jurors(contest)
    if not jurors:
        raise JuryError(_l("The jury has no members yet: add the jurors first."))
    numbers = {app_id: number for app_id, number, *_rest in rows}
    applicants = [
        Applicant(app_id, Party(org, oblast, community))
        for app_id, _number, org, oblast, community in rows
    ]
    existing, recused = _existing(contest)
    plan = plan_assignments(applicants, jurors, _rules(contest), existing=existing, recused=recused)
    now = clock.now()
    db.session.add_all(
        Scoresheet(application_id=app_id, juror_id=juror_id, assigned_at=now)
        for app_id, juror_id in plan.pairs
    )
    db.session.flush()
    audit.record(
        "assignment.automatic",
        actor=actor,
        contest=contest,
        obj=contest,
        added=len(plan.pairs),
        per_application=contest.jurors_per_application,
        pairs=[list(pair) for pair in plan.pairs],
        short={str(app_id): missing for app_id, missing in sorted(plan.short.items())},
    )
    short = sorted(
        ((numbers[app_id], missing) for app_id, missing in plan.short.items()),
        key=lambda item: item[0],
    )
    return AutoResult(len(plan.pairs), short, plan.conflicts)


@dataclass(frozen=True)
class Seat:
    """One juror as seen from one application: the sheet (if assigned), load, conflicts."""

    member: Member
    sheet: Scoresheet | None
    status: str  # ``none`` or a ``sheet_status``
    conflicts: list[str]
    load: int  # the juror's assignments in the contest, recusals aside
    scored: bool = False  # the sheet holds points or a comment

    @property
    def removable(self) -> bool:
        return self.status in ("not_started", "draft") and not self.scored

    @property
    def conflict_text(self) -> str:
        return conflict_text(self.conflicts)


def application_seats(contest: Contest, application: Application) -> list[Seat]:
    """Every member of the jury with their relation to ``application`` (five queries)."""
    jury = members(contest)
    facts = {j.id: j.party for j in _jurors(contest)}
    sheets = {
        s.juror_id: s
        for s in db.session.scalars(
            select(Scoresheet).where(Scoresheet.application_id == application.id)
        )
    }
    scored = _scored_sheets([s.id for s in sheets.values()])
    organisation = application.organisation
    applicant = Party(organisation.id, organisation.oblast, organisation.community)
    seats = []
    for member in jury:
        sheet = sheets.get(member.id)
        seats.append(
            Seat(
                member,
                sheet,
                sheet_status(sheet.conflict, sheet.state) if sheet else "none",
                conflicts(
                    facts.get(member.id, Party()),
                    applicant,
                    same_oblast=contest.conflict_same_oblast,
                    same_community=contest.conflict_same_community,
                ),
                member.progress.to_score,
                bool(sheet and (sheet.id in scored or sheet.overall_comment)),
            )
        )
    return seats


def _conflict_error(user: User, found: list[str]) -> JuryError:
    return JuryError(
        _l(
            "%(name)s has a conflict of interest with this applicant (%(conflicts)s); "
            "choose another juror.",
            name=user.name,
            conflicts=conflict_text(found),
        )
    )


def add_assignment(
    contest: Contest, application: Application, user: User, *, actor: User
) -> Scoresheet:
    """Assign a member of the jury to one admitted application."""
    _check_assigning(contest)
    _lock_contest(contest)
    if db.session.get(JuryMember, (contest.id, user.id)) is None:
        raise JuryError(_l("This person is not on the jury."))
    if application.state != ApplicationState.ADMITTED:
        raise JuryError(_l("Only admitted applications are assigned to jurors."))
    taken = db.session.scalar(
        select(Scoresheet.id).where(
            Scoresheet.application_id == application.id, Scoresheet.juror_id == user.id
        )
    )
    if taken is not None:
        raise JuryError(_l("%(name)s is already assigned to this application.", name=user.name))
    organisation = application.organisation
    found = conflicts(
        Party(user.organisation_id, user.oblast, user.community),
        Party(organisation.id, organisation.oblast, organisation.community),
        same_oblast=contest.conflict_same_oblast,
        same_community=contest.conflict_same_community,
    )
    if found:
        raise _conflict_error(user, found)
    sheet = Scoresheet(application_id=application.id, juror_id=user.id, assigned_at=clock.now())
    db.session.add(sheet)
    db.session.flush()
    audit.record(
        "assignment.added",
        actor=actor,
        contest=contest,
        obj=sheet,
        application=application.id,
        juror=user.id,
    )
    return sheet


def add_least_loaded(contest: Contest, application: Application, *, actor: User) -> User:
    """Assign the least-loaded juror without a conflict (SPEC §11, "add a juror")."""
    seats = application_seats(contest, application)
    free = [s for s in seats if s.sheet is None and not s.conflicts]
    chosen = least_loaded(
        application.id,
        [Juror(s.member.id) for s in free],
        {s.member.id: s.load for s in free},
    )
    if not chosen:
        raise JuryError(
            _l("Every member of the jury without a conflict is already assigned to it.")
        )
    user = db.session.get(User, chosen[0].id)
    add_assignment(contest, application, user, actor=actor)
    return user


def remove_assignment(contest: Contest, sheet: Scoresheet, *, actor: User) -> None:
    """Take an assignment back while its sheet holds no score and no recusal."""
    _check_assigning(contest)
    sheet = lock_scoresheet(sheet.id)
    if sheet.state == SheetState.SUBMITTED:
        raise JuryError(
            _l("The scoresheet is submitted: it stays. It can be reopened if it needs a change.")
        )
    if sheet.conflict == Conflict.RECUSED:
        raise JuryError(_l("The juror has declared a conflict of interest: the declaration stays."))
    if _has_scores([sheet.id]) or sheet.overall_comment:
        raise JuryError(_l("The juror has already entered scores: the assignment stays."))
    sheet_id, application_id, juror_id = sheet.id, sheet.application_id, sheet.juror_id
    audit.record(
        "assignment.removed",
        actor=actor,
        contest=contest,
        obj=sheet,
        application=application_id,
        juror=juror_id,
    )
    db.session.execute(delete(Score).where(Score.scoresheet_id == sheet_id))
    db.session.delete(sheet)
    db.session.flush()


# The matrix ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    sheet_id: int
    status: str  # a ``sheet_status``


@dataclass(frozen=True)
class Row:
    application_id: int
    number: str
    title: str
    organisation: str
    cells: list[Cell | None]  # in the order of the matrix's members
    counted: int  # jurors who count (recusals aside)
    submitted: int


@dataclass(frozen=True)
class Matrix:
    members: list[Member]
    rows: list[Row]
    page: int
    pages: int
    total: int
    wanted: int


def matrix(contest: Contest, page: int = 1, per_page: int = PER_PAGE) -> Matrix:
    """Admitted applications × jurors, one page of applications at a time (five queries)."""
    jury = members(contest)
    total = db.session.scalar(
        select(func.count()).where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
        )
    )
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    applications = db.session.execute(
        select(Application.id, Application.number, Application.title, Organisation.name)
        .join(Organisation, Application.organisation_id == Organisation.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
        )
        .order_by(Application.serial, Application.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    ids = [row[0] for row in applications]
    sheets: dict[tuple[int, int], Cell] = {}
    if ids:
        for sheet_id, app_id, juror_id, conflict, state in db.session.execute(
            select(
                Scoresheet.id,
                Scoresheet.application_id,
                Scoresheet.juror_id,
                Scoresheet.conflict,
                Scoresheet.state,
            ).where(Scoresheet.application_id.in_(ids))
        ):
            sheets[(app_id, juror_id)] = Cell(sheet_id, sheet_status(conflict, state))
    rows = []
    for app_id, number, title, organisation in applications:
        cells = [sheets.get((app_id, m.id)) for m in jury]
        mine = [c for (a, _j), c in sheets.items() if a == app_id]
        rows.append(
            Row(
                app_id,
                number,
                title,
                organisation,
                cells,
                sum(c.status != "recused" for c in mine),
                sum(c.status == "submitted" for c in mine),
            )
        )
    return Matrix(jury, rows, page, pages, total, jurors_wanted(contest, len(jury)))


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


def record_reminders(contest: Contest, reminders: list[Reminder], *, actor: User) -> None:
    """Write the reminders just sent to the audit log (who was reminded, not the text)."""
    audit.record(
        "jury.reminded",
        actor=actor,
        contest=contest,
        obj=contest,
        count=len(reminders),
        jurors=[r.user.id for r in reminders],
    )


# Reopening a submitted scoresheet --------------------------------------------------


def reopen_problem(contest: Contest, sheet: Scoresheet):
    """Why the sheet cannot be reopened now, or None."""
    if not lifecycle.revisions_open(contest):
        return _l("A scoresheet can be reopened only while the jury is scoring or deliberating.")
    if sheet.state != SheetState.SUBMITTED:
        return _l("This scoresheet is not submitted: the juror can still change it.")
    return None


def reopen(contest: Contest, sheet: Scoresheet, reason: str, *, actor: User) -> None:
    """Make a submitted sheet a draft again, for the juror to change, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise JuryError(_l("Give the reason for reopening the scoresheet."), "reason")
    if len(reason) > MAX_REASON:
        raise JuryError(
            _l("The reason is too long (at most %(max)d characters).", max=MAX_REASON), "reason"
        )
    sheet = lock_scoresheet(sheet.id)
    problem = reopen_problem(contest, sheet)
    if problem:
        raise JuryError(problem)
    submitted_at = sheet.submitted_at
    sheet.state = SheetState.DRAFT
    sheet.submitted_at = None
    sheet.updated_at = clock.now()
    audit.record(
        "scoresheet.reopened",
        actor=actor,
        contest=contest,
        obj=sheet,
        reason=reason,
        application=sheet.application_id,
        juror=sheet.juror_id,
        submitted_at=submitted_at.isoformat() if submitted_at else None,
        stage=contest.stage.value,
    )
