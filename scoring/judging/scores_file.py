"""Scores as CSV for work done outside the system (SPEC §9, §15; §11, offline on paper).

The file has the columns ``application,juror,criterion,score,comment`` and may carry
``juror_name``: the application's registration number, the juror's e-mail, the
criterion's code, the points and the juror's comment on that criterion, and the juror's
full name (so that documents name the members, not their e-mail addresses). A line whose
criterion and score are both empty carries the sheet's overall comment. A line whose
score is ``recused`` (or «самовідвід») records a recusal, with the declaration as the
comment (its criterion may be empty). ``scores_export.export_scores`` writes the same
columns, so that an export imported again loses nothing.

``import_scores`` reads the encodings and separators ``csvfiles.detect`` knows (SPEC §15),
with a decimal point or a decimal comma; a decimal comma that a comma-separated file
cuts in two (``APP,juror,C1,7,5``) is refused with its line and column, never stored as
7. It checks the whole file first and changes nothing while any line is wrong; then it
creates the jurors it does not know (role juror, no password: they can set one through
"Forgot your password?"), adds them to the jury, creates the sheets that do not exist
and stores every sheet as submitted, or as a recusal, audited as in the browser; the
writing, in bulk, is ``scores_store``'s.

Import never claims that a juror declared anything they did not: a sheet entered from
paper says who entered it and when (``entered_by_id``, ``entered_at``); it counts
(``conflict`` is ``none``) but carries no declaration time unless the juror declared in
the system.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from .. import lifecycle
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
    Role,
    SheetState,
    User,
)
from ..progress import Progress, nothing
from .operations import (
    MAX_COMMENT,
    MAX_DECLARATION,
    MAX_OVERALL_COMMENT,
    PointsError,
    parse_points,
)
from .scores_store import PROGRESS_STEP, ImportSummary, Stored, existing_sheets, store

COLUMNS = ("application", "juror", "criterion", "score", "comment")
OPTIONAL = ("juror_name",)
RECUSED = "recused"  # in place of a score: the juror recused themself
RECUSAL_WORDS = (RECUSED, "самовідвід")  # as a secretary may type it on a Ukrainian sheet
MAX_NAME = 200


def columns(_contest: Contest) -> list[str]:
    """The columns of a scores file, in their usual order."""
    return [*COLUMNS, *OPTIONAL]


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


def _criteria(contest: Contest) -> list[Criterion]:
    return db.session.scalars(
        select(Criterion).where(Criterion.contest_id == contest.id).order_by(Criterion.position)
    ).all()


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


def _read_file(data: bytes, problems: LineProblems, columns) -> list[tuple[int, dict[str, str]]]:
    try:
        _header, rows = read_rows(decode(data), problems, _read_header, columns, check=_cut_score)
    except FileError as error:
        raise ScoresFileError(error.problems) from error
    if not rows and not problems.problems:
        raise ScoresFileError([_("The file has no scores.")])
    return rows


def _cut_score(record: Record, header: list) -> tuple[str, str] | None:
    """Why the line is refused when an unquoted decimal comma cut its score in two."""
    value = split_number(record, header.index("score"))
    return ("score", split_number_problem(value)) if value else None


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
                line,
                _("the juror’s name is longer than %(max)s characters", max=MAX_NAME),
                "juror_name",
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
                "juror_name",
            )
    return {email: name for email, (name, _line) in names.items()}


def import_scores(
    contest: Contest,
    data: bytes,
    *,
    actor: User | None = None,
    columns: list[str | None] | None = None,
    progress: Progress = nothing,
    dry_run: bool = False,
    via: str = "cli",
) -> ImportSummary:
    """Import the CSV in ``data`` as sheets of ``contest`` entered from paper, all or nothing.

    ``actor`` is who enters them (an organiser), named on every sheet; None when the
    command line is used without ``--entered-by``. ``columns`` maps the file's columns
    onto ours (``csvfiles.read_rows``); ``progress(done, total)`` hears of the lines
    checked, then of the sheets stored (twice the lines in all; the lines alone in a dry
    run; every ``PROGRESS_STEP`` lines, not each). Raises ``ScoresFileError`` listing
    every bad line, having changed nothing. A ``dry_run`` checks everything and stores
    nothing: its summary counts the sheets, the recusals and the jurors to create, not
    the scores that would change.
    """
    if not dry_run:
        lifecycle.hold_stage(contest)  # a publication waits for the import, or it for it
    if lifecycle.results_frozen(contest):
        raise ScoresFileError(
            [_("The contest’s results are already published: scores can no longer be imported.")]
        )
    problems = LineProblems()
    rows = _read_file(data, problems, columns)
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
        problems.problem(
            line, _("“%(email)s” is not an e-mail address", email=values["juror"]), "juror"
        )
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
                "juror",
            )
    names = _juror_names(rows, problems)

    sheets: dict[tuple[str, str], _Sheet] = {}
    seen: dict[tuple[str, str, str], int] = {}
    parsed: dict[tuple[str, str], Decimal | None] = {}  # a file repeats a few values
    total = len(rows) if dry_run else 2 * len(rows)
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
                line,
                _("there is no application %(number)s in this contest", number=number),
                "application",
            )
            continue
        if application.state != ApplicationState.ADMITTED:
            problems.problem(
                line,
                _("the application %(number)s is not admitted to scoring", number=number),
                "application",
            )
            continue
        if email not in emails:
            continue  # already reported as not an e-mail address
        sheet = sheets.setdefault((number, email), _Sheet(number, email, line))
        if raw_score.casefold() in RECUSAL_WORDS:
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
                problems.problem(line, _("the criterion is missing"), "criterion")
            elif len(comment) > MAX_OVERALL_COMMENT:
                problems.problem(
                    line,
                    _(
                        "The overall comment is too long (at most %(max)s characters).",
                        max=MAX_OVERALL_COMMENT,
                    ),
                    "comment",
                )
            else:
                sheet.overall_comment = comment
            continue
        criterion = by_code.get(code)
        if criterion is None:
            problems.problem(line, _unknown_criterion(code, by_code), "criterion")
            continue
        try:
            points = parsed.get((raw_score, code))
            if points is None:
                points = parsed[raw_score, code] = parse_points(raw_score, criterion)
        except PointsError as error:
            problems.problem(line, str(error), "score")
            continue
        if points is None:
            problems.problem(
                line, _("the score for %(criterion)s is missing", criterion=code), "score"
            )
            continue
        if len(comment) > MAX_COMMENT:
            problems.problem(
                line,
                _(
                    "%(criterion)s: the comment is too long (at most %(max)s characters).",
                    criterion=code,
                    max=MAX_COMMENT,
                ),
                "comment",
            )
            continue
        sheet.points[criterion.id] = points
        sheet.comments[criterion.id] = comment

    existing = existing_sheets(contest, sheets)
    for key, sheet in sheets.items():
        _check_sheet(problems, sheet, criteria, seen, existing.get(key))
    if problems.problems:
        raise ScoresFileError(problems.problems)
    if dry_run:
        progress(total, total)
        return ImportSummary(
            len(sheets),
            sorted({email for _number, email in sheets} - set(users)),
            [],
            0,
            sum(1 for sheet in sheets.values() if sheet.recused),
        )

    def writing(done: int, sheets_in_all: int) -> None:  # the second half of the progress
        progress(len(rows) + len(rows) * done // max(sheets_in_all, 1), total)

    summary = store(
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
        problems.problem(line, _unknown_criterion(code, by_code), "criterion")
        return
    if len(comment) > MAX_DECLARATION:
        problems.problem(
            line,
            _("The declaration is too long (at most %(max)d characters).", max=MAX_DECLARATION),
            "comment",
        )
        return
    sheet.recusal_lines.append(line)
    if comment:
        sheet.declarations.setdefault(comment, line)


def _check_sheet(problems, sheet: _Sheet, criteria, seen, found: Stored | None) -> None:
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
