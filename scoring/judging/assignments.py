"""The organisers' assignments (SPEC §6, §11): who scores what, the matrix, reopening.

The workflow behind the pages in ``assignments_views``:

1. **Assignments** are scoresheet rows. "Assign automatically" adds the missing pairs
   that ``assignment.plan_assignments`` chooses (every juror, or N per application with
   a balanced load, never a conflict the system knows of); an organiser also adds or
   removes one juror of one application (removal only while the sheet has no score and
   no recusal).
2. **Progress.** The matrix shows applications × jurors with the state of each sheet,
   a page of applications at a time.
3. **Reopening.** A submitted sheet can be reopened with a reason during judging and
   deliberation: it is a draft again and does not count in the ranking until the juror
   submits it again. Jurors edit only while the contest is judging, so a sheet reopened
   during deliberation waits for the contest to move back to judging (SPEC §3).

``assignment`` holds the pure rules of choosing jurors; this module reads the contest,
applies them and stores the scoresheets. Functions take models and plain values, check
the rules, change the models and write the audit entry; the view commits. A refusal
raises ``jury.JuryError`` before anything has changed.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from .. import audit, clock, lifecycle
from ..extensions import db
from ..models import (
    Application,
    ApplicationState,
    Conflict,
    Contest,
    JuryMember,
    Score,
    Scoresheet,
    SheetState,
    User,
)
from .assignment import Applicant, Juror, Party, Rules, conflicts, least_loaded, plan_assignments
from .jury import (
    MAX_REASON,
    PER_PAGE,
    JuryError,
    Member,
    conflict_text,
    has_scores,
    jurors_wanted,
    members,
    scored_sheets,
)
from .operations import applicant_party, juror_party, lock_scoresheet, party, sheet_status


def _check_assigning(contest: Contest) -> None:
    if not lifecycle.assignments_open(contest):
        raise JuryError(
            _l(
                "Assignments are made from the screening stage until the deliberation, "
                "when there are admitted applications."
            )
        )


def _rules(contest: Contest) -> Rules:
    return Rules(
        per_application=contest.jurors_per_application,
        same_oblast=contest.conflict_same_oblast,
        same_community=contest.conflict_same_community,
        quorum=contest.quorum,
    )


def _jurors(contest: Contest) -> list[Juror]:
    rows = db.session.execute(
        select(User.id, User.organisation_id, User.oblast, User.community_code)
        .join(JuryMember, JuryMember.user_id == User.id)
        .where(JuryMember.contest_id == contest.id)
    ).all()
    return [Juror(user_id, party(org, oblast, code)) for user_id, org, oblast, code in rows]


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
    pairs: tuple[tuple[int, int], ...] = ()  # the (application id, juror id) added


def assign_automatically(contest: Contest, *, actor: User) -> AutoResult:
    """Add the missing assignments of the admitted applications (see ``assignment``)."""
    lifecycle.hold_stage(contest, to_change=True)  # one organiser's changes at a time
    _check_assigning(contest)
    rows = db.session.execute(
        select(
            Application.id,
            Application.number,
            Application.organisation_id,
            Application.applicant_oblast,
            Application.applicant_community_code,
        )
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
        Applicant(app_id, party(org, oblast, code))
        for app_id, _number, org, oblast, code in rows
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
    return AutoResult(len(plan.pairs), short, plan.conflicts, tuple(plan.pairs))


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
    scored = scored_sheets([s.id for s in sheets.values()])
    applicant = applicant_party(application)  # as submitted (SPEC §8)
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


def assignment_problem(contest: Contest, application: Application, user: User):
    """Why ``user`` cannot be assigned to ``application`` (a ``JuryError``), or None."""
    if db.session.get(JuryMember, (contest.id, user.id)) is None:
        return JuryError(_l("This person is not on the jury."))
    if application.state != ApplicationState.ADMITTED:
        return JuryError(_l("Only admitted applications are assigned to jurors."))
    taken = db.session.scalar(
        select(Scoresheet.id).where(
            Scoresheet.application_id == application.id, Scoresheet.juror_id == user.id
        )
    )
    if taken is not None:
        return JuryError(_l("%(name)s is already assigned to this application.", name=user.name))
    found = conflicts(
        juror_party(user),
        applicant_party(application),
        same_oblast=contest.conflict_same_oblast,
        same_community=contest.conflict_same_community,
    )
    return _conflict_error(user, found) if found else None


def add_assignment(
    contest: Contest, application: Application, user: User, *, actor: User
) -> Scoresheet:
    """Assign a member of the jury to one admitted application."""
    lifecycle.hold_stage(contest, to_change=True)  # one organiser's changes at a time
    _check_assigning(contest)
    problem = assignment_problem(contest, application, user)
    if problem:
        raise problem
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


@dataclass
class BulkAssignment:
    """One juror and several applications: what is (or would be) assigned, and what not."""

    assign: list[Application] = field(default_factory=list)
    refused: list[tuple[Application, str]] = field(default_factory=list)  # and why


def plan_bulk(contest: Contest, applications, user: User) -> BulkAssignment:
    """What assigning ``user`` to each of ``applications`` would do (nothing changes)."""
    _check_assigning(contest)
    plan = BulkAssignment()
    for application in applications:
        problem = assignment_problem(contest, application, user)
        if problem:
            plan.refused.append((application, str(problem.message)))
        else:
            plan.assign.append(application)
    return plan


def assign_many(contest: Contest, applications, user: User, *, actor: User) -> BulkAssignment:
    """Assign ``user`` to each application, each audited as one assignment is; what
    cannot be assigned is left and said with why."""
    done = BulkAssignment()
    for application in applications:
        try:
            add_assignment(contest, application, user, actor=actor)
        except JuryError as error:
            done.refused.append((application, str(error.message)))
        else:
            done.assign.append(application)
    return done


def admitted_with_numbers(contest: Contest, numbers) -> tuple[list[Application], list[str]]:
    """The contest's admitted applications with these numbers, in registration order,
    and the numbers that are none of them."""
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    found = db.session.scalars(
        select(Application)
        .where(
            Application.contest_id == contest.id,
            Application.number.in_(wanted),
            Application.state == ApplicationState.ADMITTED,
        )
        .order_by(Application.serial, Application.id)
    ).all()
    known = {a.number for a in found}
    return list(found), [n for n in wanted if n not in known]


def remove_assignment(contest: Contest, sheet: Scoresheet, *, actor: User) -> None:
    """Take an assignment back while its sheet holds no score and no recusal."""
    lifecycle.hold_stage(contest)
    _check_assigning(contest)
    sheet = lock_scoresheet(sheet.id)
    if sheet.state == SheetState.SUBMITTED:
        raise JuryError(
            _l("The scoresheet is submitted: it stays. It can be reopened if it needs a change.")
        )
    if sheet.conflict == Conflict.RECUSED:
        raise JuryError(_l("The juror has declared a conflict of interest: the declaration stays."))
    if has_scores([sheet.id]) or sheet.overall_comment:
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
        select(Application.id, Application.number, Application.title, Application.applicant_name)
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
    lifecycle.hold_stage(contest)  # a publication waits for the reopening, or it for it
    problem = reopen_problem(contest, sheet)
    if problem:
        raise JuryError(problem)
    submitted_at = sheet.submitted_at
    sheet.state = SheetState.DRAFT
    sheet.submitted_at = None
    sheet.updated_at = clock.now()
    if sheet.declared_at is None:
        # Entered from paper: the juror declares in the system before reading it again.
        sheet.conflict = Conflict.UNDECLARED
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
