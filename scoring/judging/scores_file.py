"""Scores as CSV for work done outside the system (SPEC §9, §15; §11, offline on paper).

Longer than 600 lines: reading the file, checking every line and writing in bulk (issue
17: 420,000 scores in one INSERT and one UPDATE) share the parsed rows and the
contest's lookups; a split is due, not yet made.

The file has the columns ``application,juror,criterion,score,comment`` and may carry
``juror_name``: the application's registration number, the juror's e-mail, the
criterion's code, the points and the juror's comment on that criterion, and the juror's
full name (so that documents name the members, not their e-mail addresses). A line whose
criterion and score are both empty carries the sheet's overall comment. A line whose
score is ``recused`` records a recusal, with the declaration as the comment (its
criterion may be empty). ``export_scores`` writes the same columns, so that an export
imported again loses nothing.

``import_scores`` reads UTF-8 with or without a BOM, separated by commas or semicolons,
with a decimal point or a decimal comma; a decimal comma that a comma-separated file
cuts in two (``APP,juror,C1,7,5``) is refused with its line and column, never stored as
7. It checks the whole file first and changes nothing while any line is wrong; then it
creates the jurors it does not know (role juror, no password: they can set one through
"Forgot your password?"), adds them to the jury, creates the sheets that do not exist
and stores every sheet as submitted, or as a recusal, audited as in the browser.

Import never claims that a juror declared anything they did not: a sheet entered from
paper says who entered it and when (``entered_by_id``, ``entered_at``); it counts
(``conflict`` is ``none``) but carries no declaration time unless the juror declared in
the system. ``export_scores`` writes every submitted sheet and every recusal in a stable
order (application number, juror e-mail, criterion order), so an export imported into a
copy of the contest exports the same again.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from .. import audit, clock, lifecycle, spreadsheets
from ..csvfiles import (
    FileError,
    LineProblems,
    Record,
    decode,
    read_rows,
    split_number,
    split_number_problem,
)
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
    MAX_DECLARATION,
    MAX_OVERALL_COMMENT,
    PointsError,
    ScoreValue,
    Submission,
    mark_recused,
    mark_submitted,
    parse_points,
    points_text,
    store_points,
)

COLUMNS = ("application", "juror", "criterion", "score", "comment")
OPTIONAL = ("juror_name",)
RECUSED = "recused"  # in place of a score: the juror recused themself
MAX_NAME = 200
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
    recusal_lines: list[int] = field(default_factory=list)  # lines saying "recused"
    declarations: dict[str, int] = field(default_factory=dict)  # declaration → its line

    @property
    def recused(self) -> bool:
        return bool(self.recusal_lines)

    @property
    def declaration(self) -> str:
        return next(iter(self.declarations), "")


@dataclass(frozen=True)
class ImportSummary:
    sheets: int
    jurors_created: list[str]
    jurors_added: list[str]
    scores_changed: int
    recusals: int = 0


def _criteria(contest: Contest) -> list[Criterion]:
    return db.session.scalars(
        select(Criterion).where(Criterion.contest_id == contest.id).order_by(Criterion.position)
    ).all()


def export_scores(contest: Contest) -> str:
    """The CSV of every submitted sheet and every recusal of the contest (SPEC §9, §15)."""
    criteria = _criteria(contest)
    sheets = db.session.execute(
        select(Scoresheet.id, Application.number, User.email, User.name, Scoresheet)
        .join(Application, Scoresheet.application_id == Application.id)
        .join(User, Scoresheet.juror_id == User.id)
        .where(
            Application.contest_id == contest.id,
            (Scoresheet.state == SheetState.SUBMITTED) | (Scoresheet.conflict == Conflict.RECUSED),
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
    writer.writerow(spreadsheets.row([*COLUMNS, *OPTIONAL]))
    for sheet_id, number, email, name, sheet in sheets:
        juror_name = "" if name == email else name
        if sheet.conflict == Conflict.RECUSED:
            writer.writerow(
                spreadsheets.row([number, email, "", RECUSED, sheet.declaration, juror_name])
            )
            continue
        for criterion in criteria:
            score = scores.get((sheet_id, criterion.id))
            if score is None or score.points is None:
                continue
            writer.writerow(
                spreadsheets.row(
                    [
                        number,
                        email,
                        criterion.code,
                        points_text(score.points),
                        score.comment,
                        juror_name,
                    ]
                )
            )
        if sheet.overall_comment:
            writer.writerow(
                spreadsheets.row([number, email, "", "", sheet.overall_comment, juror_name])
            )
    return out.getvalue()


def _read_header(cells: list[str]) -> list[str]:
    header = [cell.strip().lower() for cell in cells]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in (*COLUMNS, *OPTIONAL)]
    if missing or unknown or len(set(header)) != len(header):
        raise ScoresFileError(
            [
                _(
                    "line 1 must name the columns %(columns)s (and may name %(optional)s).",
                    columns=",".join(COLUMNS),
                    optional=",".join(OPTIONAL),
                )
            ]
        )
    return header


def _read_file(data: bytes, problems: LineProblems) -> list[tuple[int, dict[str, str]]]:
    try:
        _header, rows = read_rows(decode(data), problems, _read_header, check=_cut_score)
    except FileError as error:
        raise ScoresFileError(error.problems) from error
    if not rows and not problems.problems:
        raise ScoresFileError([_("The file has no scores.")])
    return rows


def _cut_score(record: Record, header: list[str]) -> str | None:
    """Why the line is refused when an unquoted decimal comma cut its score in two."""
    index = header.index("score")
    value = split_number(record, index)
    return split_number_problem(value, index + 1, "score") if value else None


def _juror_names(rows, problems: LineProblems) -> dict[str, str]:
    """The name each juror is given in ``juror_name`` (the same on every line)."""
    names: dict[str, tuple[str, int]] = {}
    for line, values in rows:
        name = " ".join(values.get("juror_name", "").split())
        if not name:
            continue
        email = values["juror"].strip().lower()
        if len(name) > MAX_NAME:
            problems.problem(
                line, _("the juror’s name is longer than %(max)s characters", max=MAX_NAME)
            )
            continue
        first = names.setdefault(email, (name, line))
        if first[0] != name:
            problems.problem(
                line,
                _(
                    "the juror %(email)s is named «%(name)s» here and «%(first)s» on line %(line)s",
                    email=email,
                    name=name,
                    first=first[0],
                    line=first[1],
                ),
            )
    return {email: name for email, (name, _line) in names.items()}


def import_scores(
    contest: Contest,
    data: bytes,
    *,
    actor: User | None = None,
    via: str = "cli",
    progress: Progress = nothing,
) -> ImportSummary:
    """Import the CSV in ``data`` as sheets of ``contest`` entered from paper, all or nothing.

    ``actor`` is who enters them (an organiser), named on every sheet; None when the
    command line is used without ``--entered-by``. Raises ``ScoresFileError`` listing
    every bad line, having changed nothing. ``progress(done, total)`` hears of the lines
    checked and then of the sheets written: twice the lines in all (``scoring.progress``).
    """
    if lifecycle.results_frozen(contest):
        raise ScoresFileError(
            [_("The contest’s results are already published: scores can no longer be imported.")]
        )
    problems = LineProblems()
    rows = _read_file(data, problems)
    criteria = _criteria(contest)
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
    names = _juror_names(rows, problems)

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
        sheet = sheets.setdefault((number, email), _Sheet(number, email, line))
        if raw_score.lower() == RECUSED:
            _read_recusal(problems, line, sheet, code, comment, by_code)
            continue
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
            problems.problem(line, _unknown_criterion(code, by_code))
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
        _check_sheet(problems, sheet, criteria, seen, existing.get(key))
    if problems.problems:
        raise ScoresFileError(problems.problems)

    def writing(done: int, sheets_in_all: int) -> None:  # the second half of the progress
        progress(len(rows) + len(rows) * done // max(sheets_in_all, 1), total)

    summary = _store(
        contest, criteria, applications, users, names, existing, sheets, actor, via, writing
    )
    progress(total, total)
    return summary


def _unknown_criterion(code: str, by_code: dict) -> str:
    return _(
        "there is no criterion %(code)s in this contest (the codes are %(codes)s)",
        code=code,
        codes=", ".join(by_code),
    )


def _read_recusal(problems, line, sheet: _Sheet, code: str, comment: str, by_code) -> None:
    """A line with ``recused`` in place of the score: the comment is the declaration."""
    if code and code not in by_code:
        problems.problem(line, _unknown_criterion(code, by_code))
        return
    if len(comment) > MAX_DECLARATION:
        problems.problem(
            line,
            _("The declaration is too long (at most %(max)d characters).", max=MAX_DECLARATION),
        )
        return
    sheet.recusal_lines.append(line)
    if comment:
        sheet.declarations.setdefault(comment, line)


def _check_sheet(problems, sheet: _Sheet, criteria, seen, found: "_Stored | None") -> None:
    """What is wrong with one juror's sheet as a whole, against what is stored."""
    if sheet.recused:
        line = sheet.recusal_lines[0]
        if sheet.points or sheet.overall_comment:
            problems.problem(
                line,
                _(
                    "%(email)s both recuses themself from %(number)s and scores it: keep "
                    "either the recusal or the scores",
                    email=sheet.email,
                    number=sheet.number,
                ),
            )
        elif not sheet.declarations:
            problems.problem(
                line,
                _(
                    "the recusal of %(email)s from %(number)s needs the declaration in the "
                    "column “comment”",
                    email=sheet.email,
                    number=sheet.number,
                ),
            )
        elif len(sheet.declarations) > 1:
            problems.problem(
                list(sheet.declarations.values())[1],
                _(
                    "the recusal of %(email)s from %(number)s is declared differently on "
                    "line %(line)s",
                    email=sheet.email,
                    number=sheet.number,
                    line=line,
                ),
            )
        elif found is not None and found.state == SheetState.SUBMITTED:
            problems.problem(
                line,
                _(
                    "%(email)s has already submitted the scoresheet for %(number)s; a "
                    "recusal cannot replace it",
                    email=sheet.email,
                    number=sheet.number,
                ),
            )
        return
    # Criteria whose line was wrong are reported already; name only those never given.
    missing = [c.code for c in criteria if (sheet.number, sheet.email, c.code) not in seen]
    if missing:
        problems.problem(
            sheet.line,
            _(
                "the sheet of %(email)s for %(number)s is incomplete: no score for %(criteria)s",
                email=sheet.email,
                number=sheet.number,
                criteria=", ".join(missing),
            ),
        )
    if found is not None and found.conflict == Conflict.RECUSED:
        problems.problem(
            sheet.line,
            _(
                "%(email)s has recused themself from %(number)s; their scores cannot be imported",
                email=sheet.email,
                number=sheet.number,
            ),
        )


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


def _jurors(contest, users, names, sheets, actor, via) -> tuple[list[str], list[str]]:
    """Create the jurors the file names and the system does not know; add them to the jury."""
    created, added = [], []
    members = set(
        db.session.scalars(select(JuryMember.user_id).where(JuryMember.contest_id == contest.id))
    )
    for email in sorted({email for _number, email in sheets}):
        user = users.get(email)
        name = names.get(email)
        if user is None:
            user = User(email=email, name=name or email, role=Role.JUROR, password_hash=None)
            db.session.add(user)
            db.session.flush()
            users[email] = user
            created.append(email)
            audit.record("user.created", actor=actor, obj=user, role="juror", via=VIA)
        elif name and user.name in ("", user.email):
            # A juror known only by the address (an earlier import): the file names them.
            user.name = name
            audit.record("user.renamed", actor=actor, obj=user, via=VIA)
        if user.id not in members:
            db.session.add(JuryMember(contest_id=contest.id, user_id=user.id))
            members.add(user.id)
            added.append(email)
    db.session.flush()
    return created, added


def _entered(sheet: Scoresheet, actor: User | None, now) -> None:
    """Entered from paper, by whom and when (no declaration is claimed for the juror)."""
    sheet.entered_by_id, sheet.entered_at, sheet.updated_at = getattr(actor, "id", None), now, now


def _store(
    contest, criteria, applications, users, names, existing, sheets, actor, via, progress
) -> ImportSummary:
    """Write the sheets and their scores in bulk: the new sheets in one INSERT, the held
    ones in one UPDATE, the scores and their audit entries through ``store_points`` and
    ``mark_submitted`` (one INSERT, one UPDATE, one ``audit.record_many`` each) — the
    same rows and entries as one sheet at a time would give, 420,000 scores in seconds.
    Recusals, which are few, go one by one (``mark_recused``)."""
    now = clock.now()
    actor_id = getattr(actor, "id", None)
    created, added = _jurors(contest, users, names, sheets, actor, via)
    recusals = 0
    for key in sorted(k for k, data in sheets.items() if data.recused):
        data, stored = sheets[key], existing.get(key)
        if stored is not None and stored.conflict == Conflict.RECUSED:
            continue
        if stored is None:
            sheet = Scoresheet(
                application_id=applications[data.number].id, juror_id=users[data.email].id
            )
            db.session.add(sheet)
            db.session.flush()
        else:
            sheet = db.session.get(Scoresheet, stored.id)
        # Declared on paper: no declaration time in the system, who entered it.
        mark_recused(sheet, data.declaration, None, contest=contest, actor=actor, via=VIA)
        _entered(sheet, actor, now)
        recusals += 1
    db.session.flush()

    scored = {key: data for key, data in sheets.items() if not data.recused}
    new = [key for key in scored if key not in existing]
    if new:  # entered from paper: they count, with no declaration time (see the module)
        db.session.execute(
            insert(Scoresheet),
            [
                {
                    "application_id": applications[number].id,
                    "juror_id": users[email].id,
                    "conflict": Conflict.NONE,
                    "overall_comment": scored[number, email].overall_comment or "",
                    "assigned_at": now,
                    "updated_at": now,
                    "entered_by_id": actor_id,
                    "entered_at": now,
                }
                for number, email in new
            ],
        )
    held = []  # sheets held before: the file's overall comment, counted, entered if touched
    for key, data in scored.items():
        sheet = existing.get(key)
        if sheet is None:
            continue
        row = {"id": sheet.id}
        if data.overall_comment is not None and data.overall_comment != sheet.overall_comment:
            row["overall_comment"] = data.overall_comment
        if sheet.conflict == Conflict.UNDECLARED:
            row["conflict"] = Conflict.NONE  # it counts; declared_at stays empty
        touched = len(row) > 1 or any(
            sheet.scores.get(c.id) != (data.points[c.id], data.comments[c.id]) for c in criteria
        )
        if touched or sheet.state != SheetState.SUBMITTED:
            row.update(entered_by_id=actor_id, entered_at=now, updated_at=now)
        if len(row) > 1:
            held.append(row)
    if held:
        for columns in {tuple(sorted(row)) for row in held}:  # one UPDATE per set of columns
            db.session.execute(
                update(Scoresheet), [row for row in held if tuple(sorted(row)) == columns]
            )
    if new:
        existing = {**existing, **_existing_sheets(contest, dict.fromkeys(new))}

    def scores():  # every score of the file, the progress told as they go
        for done, key in enumerate(sorted(scored)):
            if done % (PROGRESS_STEP // max(len(criteria), 1)) == 0:
                progress(done, len(scored))
            data, sheet = scored[key], existing[key]
            for c in criteria:
                held = sheet.scores.get(c.id)
                yield ScoreValue(sheet.id, c.id, data.points[c.id], data.comments[c.id], held)

    changed = store_points(scores(), contest=contest, actor=actor, via=VIA)
    mark_submitted(
        [
            Submission(sheet.id, applications[number].id, {"via": VIA})
            for (number, email), sheet in sorted(existing.items())
            if (number, email) in scored and sheet.state != SheetState.SUBMITTED
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
        recusals=recusals,
        jurors_created=len(created),
        jurors_added=len(added),
        scores_changed=changed,
        via=via,
    )
    return ImportSummary(len(sheets), created, added, changed, recusals)
