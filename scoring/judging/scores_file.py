"""Scores as CSV for work done outside the system (SPEC §9; §11, offline on paper).

The file has the columns ``application,juror,criterion,score,comment``: the
application's registration number, the juror's e-mail, the criterion's code, the points
and the juror's comment on that criterion. A line whose criterion and score are both
empty carries the sheet's overall comment (``export_scores`` writes one only when there
is an overall comment), so that an export imported again loses nothing.

``import_scores`` reads UTF-8 with or without a BOM, separated by commas or
semicolons. It checks the whole file first and changes nothing while any line is wrong;
then it creates the jurors it does not know (role juror, no password: they can set one
through "Forgot your password?"), adds them to the jury, creates the sheets that do not
exist and stores every sheet as submitted with no conflict of interest, through the
same operations as the browser (``operations.store_points`` and
``operations.mark_submitted``), so it is audited alike. ``export_scores`` writes every
submitted sheet in a stable order (application number, juror e-mail, criterion order),
so an export imported into a copy of the contest exports the same again.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit, clock, lifecycle, spreadsheets
from ..csvfiles import FileError, LineProblems, decode, read_rows
from ..extensions import db
from ..i18n import role_label
from ..models import (
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Criterion,
    JuryMember,
    Role,
    Score,
    Scoresheet,
    SheetState,
    User,
)
from .operations import (
    MAX_COMMENT,
    MAX_OVERALL_COMMENT,
    PointsError,
    mark_submitted,
    parse_points,
    points_text,
    store_points,
)

COLUMNS = ("application", "juror", "criterion", "score", "comment")
VIA = "import-scores"  # in the audit entries of what the import stores


class ScoresFileError(Exception):
    """A file that cannot be imported; ``problems`` says what is wrong and on which line."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class _Sheet:
    """What the file says about one juror's sheet for one application."""

    number: str
    email: str
    line: int  # the first line of the sheet in the file
    points: dict[int, Decimal] = field(default_factory=dict)  # criterion id → points
    comments: dict[int, str] = field(default_factory=dict)
    overall_comment: str | None = None


@dataclass(frozen=True)
class ImportSummary:
    sheets: int
    jurors_created: list[str]
    jurors_added: list[str]
    scores_changed: int


def export_scores(contest: Contest) -> str:
    """The CSV of every submitted, non-recused sheet of the contest (SPEC §9)."""
    criteria = db.session.scalars(
        select(Criterion).where(Criterion.contest_id == contest.id).order_by(Criterion.position)
    ).all()
    sheets = db.session.execute(
        select(Scoresheet.id, Application.serial, Application.number, User.email, Scoresheet)
        .join(Application, Scoresheet.application_id == Application.id)
        .join(User, Scoresheet.juror_id == User.id)
        .where(
            Application.contest_id == contest.id,
            Scoresheet.state == SheetState.SUBMITTED,
            Scoresheet.conflict == Conflict.NONE,
        )
        .order_by(Application.serial, Application.number, User.email)
    ).all()
    scores = {
        (s.scoresheet_id, s.criterion_id): s
        for s in db.session.scalars(
            select(Score)
            .join(Scoresheet, Score.scoresheet_id == Scoresheet.id)
            .join(Application, Scoresheet.application_id == Application.id)
            .where(Application.contest_id == contest.id, Scoresheet.state == SheetState.SUBMITTED)
        )
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=spreadsheets.LINE_END)
    writer.writerow(spreadsheets.row(list(COLUMNS)))
    for sheet_id, _serial, number, email, sheet in sheets:
        for criterion in criteria:
            score = scores.get((sheet_id, criterion.id))
            if score is None or score.points is None:
                continue
            writer.writerow(
                spreadsheets.row(
                    [number, email, criterion.code, points_text(score.points), score.comment]
                )
            )
        if sheet.overall_comment:
            writer.writerow(spreadsheets.row([number, email, "", "", sheet.overall_comment]))
    return out.getvalue()


def _read_header(cells: list[str]) -> list[str]:
    header = [cell.strip().lower() for cell in cells]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise ScoresFileError(
            [_("line 1 must name the columns %(columns)s.", columns=",".join(COLUMNS))]
        )
    return header


def _read_file(data: bytes, problems: LineProblems) -> list[tuple[int, dict[str, str]]]:
    try:
        _header, rows = read_rows(decode(data), problems, _read_header)
    except FileError as error:
        raise ScoresFileError(error.problems) from error
    if not rows and not problems.problems:
        raise ScoresFileError([_("The file has no scores.")])
    return rows


def import_scores(contest: Contest, data: bytes, *, actor: User | None = None) -> ImportSummary:
    """Import the CSV in ``data`` as submitted sheets of ``contest``, all or nothing.

    Raises ``ScoresFileError`` listing every bad line, having changed nothing.
    """
    if lifecycle.results_frozen(contest):
        raise ScoresFileError(
            [_("The contest’s results are already published: scores can no longer be imported.")]
        )
    problems = LineProblems()
    rows = _read_file(data, problems)
    criteria = db.session.scalars(
        select(Criterion).where(Criterion.contest_id == contest.id).order_by(Criterion.position)
    ).all()
    by_code = {c.code: c for c in criteria}
    applications = {
        a.number: a
        for a in db.session.scalars(select(Application).where(Application.contest_id == contest.id))
    }
    emails = set()
    for line, values in rows:
        email = values["juror"].strip().lower()
        try:
            validate_email(email, check_deliverability=False)
            emails.add(email)
        except EmailNotValidError:
            problems.problem(line, _("“%(email)s” is not an e-mail address", email=email))
    users = {
        u.email: u for u in db.session.scalars(select(User).where(User.email.in_(sorted(emails))))
    }
    for email, user in users.items():
        if user.role != Role.JUROR:
            line = next(n for n, v in rows if v["juror"].strip().lower() == email)
            problems.problem(
                line,
                _(
                    "the e-mail %(email)s belongs to an account with the role “%(role)s”, "
                    "not to a juror",
                    email=email,
                    role=role_label(user.role),
                ),
            )

    sheets: dict[tuple[str, str], _Sheet] = {}
    seen: dict[tuple[str, str, str], int] = {}
    for line, values in rows:
        number = values["application"].strip()
        email = values["juror"].strip().lower()
        code = values["criterion"].strip()
        raw_score = values["score"].strip()
        comment = values["comment"].strip()
        application = applications.get(number)
        if application is None:
            problems.problem(
                line, _("there is no application %(number)s in this contest", number=number)
            )
            continue
        if application.state != ApplicationState.ADMITTED:
            problems.problem(
                line, _("the application %(number)s is not admitted to scoring", number=number)
            )
            continue
        if email not in emails:
            continue  # already reported as not an e-mail address
        key = (number, email, code)
        if key in seen:
            problems.problem(
                line,
                _(
                    "the juror %(email)s is listed twice for %(criterion)s of %(number)s "
                    "(first on line %(line)s)",
                    email=email,
                    criterion=code or _("the overall comment"),
                    number=number,
                    line=seen[key],
                ),
            )
            continue
        seen[key] = line
        sheet = sheets.setdefault((number, email), _Sheet(number, email, line))
        if not code:
            if raw_score:
                problems.problem(line, _("the criterion is missing"))
            elif len(comment) > MAX_OVERALL_COMMENT:
                problems.problem(
                    line,
                    _(
                        "The overall comment is too long (at most %(max)s characters).",
                        max=MAX_OVERALL_COMMENT,
                    ),
                )
            else:
                sheet.overall_comment = comment
            continue
        criterion = by_code.get(code)
        if criterion is None:
            problems.problem(
                line,
                _(
                    "there is no criterion %(code)s in this contest (the codes are %(codes)s)",
                    code=code,
                    codes=", ".join(by_code),
                ),
            )
            continue
        try:
            points = parse_points(raw_score, criterion)
        except PointsError as error:
            problems.problem(line, str(error))
            continue
        if points is None:
            problems.problem(line, _("the score for %(criterion)s is missing", criterion=code))
            continue
        if len(comment) > MAX_COMMENT:
            problems.problem(
                line,
                _(
                    "%(criterion)s: the comment is too long (at most %(max)s characters).",
                    criterion=code,
                    max=MAX_COMMENT,
                ),
            )
            continue
        sheet.points[criterion.id] = points
        sheet.comments[criterion.id] = comment

    existing = _existing_sheets(contest, sheets)
    for key, sheet in sheets.items():
        # Criteria whose line was wrong are reported already; name only those never given.
        missing = [c.code for c in criteria if (*key, c.code) not in seen]
        if missing:
            problems.problem(
                sheet.line,
                _(
                    "the sheet of %(email)s for %(number)s is incomplete: no score for "
                    "%(criteria)s",
                    email=sheet.email,
                    number=sheet.number,
                    criteria=", ".join(missing),
                ),
            )
        found = existing.get(key)
        if found is not None and found.conflict == Conflict.RECUSED:
            problems.problem(
                sheet.line,
                _(
                    "%(email)s has recused themself from %(number)s; their scores cannot be "
                    "imported",
                    email=sheet.email,
                    number=sheet.number,
                ),
            )
    if problems.problems:
        raise ScoresFileError(problems.problems)
    return _store(contest, criteria, applications, users, existing, sheets, actor)


def _existing_sheets(contest: Contest, sheets: dict) -> dict[tuple[str, str], Scoresheet]:
    if not sheets:
        return {}
    rows = db.session.execute(
        select(Application.number, User.email, Scoresheet)
        .join(Application, Scoresheet.application_id == Application.id)
        .join(User, Scoresheet.juror_id == User.id)
        .where(
            Application.contest_id == contest.id,
            User.email.in_(sorted({email for _number, email in sheets})),
        )
        .with_for_update(of=Scoresheet)
    ).all()
    return {(number, email): sheet for number, email, sheet in rows}


def _store(contest, criteria, applications, users, existing, sheets, actor) -> ImportSummary:
    now = clock.now()
    created, added = [], []
    members = set(
        db.session.scalars(select(JuryMember.user_id).where(JuryMember.contest_id == contest.id))
    )
    for email in sorted({email for _number, email in sheets}):
        user = users.get(email)
        if user is None:
            user = User(email=email, name=email, role=Role.JUROR, password_hash=None)
            db.session.add(user)
            db.session.flush()
            users[email] = user
            created.append(email)
            audit.record("user.created", actor=actor, obj=user, role="juror", via=VIA)
        if user.id not in members:
            db.session.add(JuryMember(contest_id=contest.id, user_id=user.id))
            members.add(user.id)
            added.append(email)
    db.session.flush()
    scores = {
        (s.scoresheet_id, s.criterion_id): s
        for s in db.session.scalars(
            select(Score).where(Score.scoresheet_id.in_([s.id for s in existing.values()]))
        )
    }
    changed = 0
    for key in sorted(sheets):
        data = sheets[key]
        sheet = existing.get(key)
        if sheet is None:
            sheet = Scoresheet(
                application_id=applications[data.number].id, juror_id=users[data.email].id
            )
            db.session.add(sheet)
            db.session.flush()
        for criterion in criteria:
            score = scores.get((sheet.id, criterion.id))
            if score is None:
                score = Score(scoresheet_id=sheet.id, criterion_id=criterion.id, comment="")
                db.session.add(score)
            points = data.points[criterion.id]
            if store_points(sheet, score, points, contest=contest, actor=actor, via=VIA):
                changed += 1
            score.comment = data.comments[criterion.id]
        if data.overall_comment is not None:
            sheet.overall_comment = data.overall_comment
        if sheet.conflict != Conflict.NONE:
            sheet.conflict, sheet.declared_at = Conflict.NONE, now
        if sheet.state != SheetState.SUBMITTED:
            mark_submitted(sheet, now, contest=contest, actor=actor, via=VIA)
        sheet.updated_at = now
    db.session.flush()
    audit.record(
        "scores.imported",
        actor=actor,
        contest=contest,
        obj=contest,
        sheets=len(sheets),
        jurors_created=len(created),
        jurors_added=len(added),
        scores_changed=changed,
        via="cli",
    )
    return ImportSummary(len(sheets), created, added, changed)
