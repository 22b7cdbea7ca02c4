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
from datetime import datetime
from decimal import Decimal

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from .. import audit, clock, lifecycle
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
from ..progress import Progress, nothing
from .operations import (
    MAX_COMMENT,
    MAX_OVERALL_COMMENT,
    PointsError,
    ScoreValue,
    Submission,
    mark_submitted,
    parse_points,
    points_text,
    store_points,
)

COLUMNS = ("application", "juror", "criterion", "score", "comment")
VIA = "import-scores"  # in the audit entries of what the import stores
PROGRESS_STEP = 10_000  # lines between two calls of the progress callback


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
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for sheet_id, _serial, number, email, sheet in sheets:
        for criterion in criteria:
            score = scores.get((sheet_id, criterion.id))
            if score is None or score.points is None:
                continue
            writer.writerow(
                [number, email, criterion.code, points_text(score.points), score.comment]
            )
        if sheet.overall_comment:
            writer.writerow([number, email, "", "", sheet.overall_comment])
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


def import_scores(
    contest: Contest,
    data: bytes,
    *,
    actor: User | None = None,
    progress: Progress = nothing,
) -> ImportSummary:
    """Import the CSV in ``data`` as submitted sheets of ``contest``, all or nothing.

    Raises ``ScoresFileError`` listing every bad line, having changed nothing.
    ``progress(done, total)`` hears of the lines checked and then of the sheets
    written: twice the lines in all (``scoring.progress``).
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
    emails, refused = set(), set()
    for line, values in rows:
        email = values["juror"].strip().lower()
        if email in emails:
            continue  # each address is checked once: a file names a few jurors many times
        if email not in refused:
            try:
                validate_email(email, check_deliverability=False)
                emails.add(email)
                continue
            except EmailNotValidError:
                refused.add(email)
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
    parsed: dict[tuple[str, str], Decimal | None] = {}  # a file repeats a few values
    total = 2 * len(rows)
    for done, (line, values) in enumerate(rows):
        if done % PROGRESS_STEP == 0:
            progress(done, total)
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
            points = parsed.get((raw_score, code))
            if points is None:
                points = parsed[raw_score, code] = parse_points(raw_score, criterion)
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

    def writing(done: int, sheets_in_all: int) -> None:  # the second half of the progress
        progress(len(rows) + len(rows) * done // max(sheets_in_all, 1), total)

    summary = _store(contest, criteria, applications, users, existing, sheets, actor, writing)
    progress(total, total)
    return summary


@dataclass
class _Stored:
    """A sheet the database holds already, with its scores: {criterion id: (points, comment)}."""

    id: int
    conflict: Conflict
    state: SheetState
    overall_comment: str
    declared_at: datetime | None
    submitted_at: datetime | None
    scores: dict[int, tuple[Decimal | None, str]] = field(default_factory=dict)


def _existing_sheets(contest: Contest, sheets: dict) -> dict[tuple[str, str], _Stored]:
    """The sheets of the file's jurors in the contest, locked, and their scores: read as
    rows (an import of 70,000 sheets and 420,000 scores builds no model of each)."""
    if not sheets:
        return {}
    jurors = select(User.id).where(User.email.in_(sorted({email for _n, email in sheets})))
    found = {
        row[0]: (row[1:3], _Stored(row[0], *row[3:]))
        for row in db.session.execute(
            select(
                Scoresheet.id,
                Application.number,
                User.email,
                Scoresheet.conflict,
                Scoresheet.state,
                Scoresheet.overall_comment,
                Scoresheet.declared_at,
                Scoresheet.submitted_at,
            )
            .join(Application, Scoresheet.application_id == Application.id)
            .join(User, Scoresheet.juror_id == User.id)
            .where(Application.contest_id == contest.id, Scoresheet.juror_id.in_(jurors))
            .with_for_update(of=Scoresheet)
        )
    }
    for sheet_id, criterion_id, points, comment in db.session.execute(
        select(Score.scoresheet_id, Score.criterion_id, Score.points, Score.comment)
        .join(Scoresheet, Score.scoresheet_id == Scoresheet.id)
        .join(Application, Scoresheet.application_id == Application.id)
        .where(Application.contest_id == contest.id, Scoresheet.juror_id.in_(jurors))
    ):
        found[sheet_id][1].scores[criterion_id] = (points, comment)
    return dict(found.values())


def _store(
    contest, criteria, applications, users, existing, sheets, actor, progress
) -> ImportSummary:
    """Write the sheets and their scores in bulk: the new rows in one INSERT, the changed
    ones in one UPDATE, the audit entries in one go (``audit.record_many``) — the same
    rows and entries as one sheet at a time would give, 420,000 scores in seconds."""
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

    new = [key for key in sheets if key not in existing]
    if new:  # created as declared without a conflict; submitted below with the others
        db.session.execute(
            insert(Scoresheet),
            [
                {
                    "application_id": applications[number].id,
                    "juror_id": users[email].id,
                    "conflict": Conflict.NONE,
                    "declared_at": now,
                    "overall_comment": sheets[number, email].overall_comment or "",
                    "assigned_at": now,
                    "updated_at": now,
                }
                for number, email in new
            ],
        )
    kept = [  # sheets held before: the file's overall comment, no conflict, updated now
        {
            "id": sheet.id,
            "overall_comment": data.overall_comment
            if data.overall_comment is not None
            else sheet.overall_comment,
            "conflict": Conflict.NONE,
            "declared_at": sheet.declared_at if sheet.conflict == Conflict.NONE else now,
            "updated_at": now,
        }  # fmt: skip
        for key, data in sheets.items()
        if (sheet := existing.get(key)) is not None
    ]
    if kept:
        db.session.execute(update(Scoresheet), kept)
    if new:
        existing = {**existing, **_existing_sheets(contest, dict.fromkeys(new))}

    def scores():  # every score of the file, the progress told as they go
        for done, key in enumerate(sorted(sheets)):
            if done % (PROGRESS_STEP // max(len(criteria), 1)) == 0:
                progress(done, len(sheets))
            data, sheet = sheets[key], existing[key]
            for c in criteria:
                held = sheet.scores.get(c.id)
                yield ScoreValue(sheet.id, c.id, data.points[c.id], data.comments[c.id], held)

    changed = store_points(scores(), contest=contest, actor=actor, via=VIA)
    mark_submitted(
        [
            Submission(sheet.id, applications[number].id, {"via": VIA})
            for (number, _email), sheet in sorted(existing.items())
            if (number, _email) in sheets and sheet.state != SheetState.SUBMITTED
        ],
        now,
        contest=contest,
        actor=actor,
    )
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
