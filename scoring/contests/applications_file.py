"""Applications received outside the system, imported from a CSV file (SPEC §5, §9).

Longer than 600 lines: the columns' checks and the bulk writes (issue 17) share the
parsed rows; a split is due, not yet made.

Applications received outside the system come as CSV (``import_applications``): the
columns ``number,organisation,kind,edrpou,oblast,community,email,title`` (and
``category`` when the contest has categories; ``number`` may be left out), and
optionally ``community_code`` (the hromada's KATOTTG code) and ``status`` (``active``,
``relocated``, ``occupied``); ``requested``, the amount asked for, when the contest (or
the line's category) has a fund (SPEC §12), written as people write it (``48000.50``,
``"48 000,50"`` quoted, or unquoted in a file separated by semicolons); UTF-8 with or
without a BOM, separated by commas or semicolons (whichever the header line uses); an
EDRPOU code of fewer than 8 digits gets back the leading zeros a spreadsheet drops.
Every line is checked against the file and
the database first, as the browser's form checks the same facts: the hromada against the
official list, by its code when given, else by its name within the oblast (a name that
is not there, or that names several, is refused with the line), and the oblast against
the hromada. A bad file is refused whole, naming each bad line and why. Then, in one
transaction: an organisation is found by its EDRPOU code (and used as registered) or
created; the applicant account is found by e-mail or created without a password (its
owner sets one through "forgotten password"); each application is submitted and
admitted at once, under the number given or the next free one, with the facts of its
line as the facts it was submitted with (SPEC §8).
"""

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit, clock, edrpou, hromadas, lifecycle, money
from ..clock import KYIV
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
from ..i18n import OBLASTS, kind_label, oblast_name, role_label
from ..models import (
    Application,
    ApplicationState,
    Category,
    Contest,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Role,
    User,
)
from ..progress import Progress, nothing
from .document import ExchangeError

COLUMNS = ("number", "organisation", "kind", "edrpou", "oblast", "community", "email", "title")
# Optional: the hromada's KATOTTG code, and where the organisation works now (SPEC §15).
OPTIONAL_COLUMNS = ("community_code", "status")
REQUESTED = "requested"  # the amount asked for: required when the contest has a fund
# An amount cut in two by an unquoted decimal comma: «48000», «50» or «48 000», «50».
AMOUNT_WHOLE = re.compile(r"\d{1,12}|\d{1,3}(?:[ \u00a0]\d{3})+")
AMOUNT_KOPECKS = re.compile(r"\d{1,2}")
IMPORTED = "imported"  # the decision reason of an imported application


@dataclass
class _Row:
    """One line of the file, read and checked; ``organisation`` and ``user`` when known."""

    line: int
    number: str
    serial: int | None
    name: str
    kind: str
    edrpou: str
    oblast: str
    community: str  # the official name
    community_code: str
    status: str
    email: str
    title: str
    category: Category | None
    requested: object = None  # Decimal, when the line states an amount
    organisation: Organisation | None = None
    user: User | None = None

    def freeze_facts(self, application: Application) -> None:
        """The applicant as the application was submitted: as the file says (SPEC §8)."""
        application.applicant_name = self.name
        application.applicant_kind = OrganisationKind(self.kind)
        application.applicant_oblast = self.oblast
        application.applicant_community = self.community
        application.applicant_community_code = self.community_code
        application.applicant_status = OrganisationStatus(self.status)


def _read_header(lines: LineProblems, cells: list[str], contest: Contest) -> list[str]:
    header = [cell.strip().lstrip("\ufeff").lower() for cell in cells]
    required = [*COLUMNS, "category"] if contest.categories else list(COLUMNS)
    if money.has_fund(contest):
        required.append(REQUESTED)
    known = [*required, *OPTIONAL_COLUMNS]
    seen = set()
    for name in header:
        if name in seen:
            lines.problem(1, _("the column “%(column)s” appears twice", column=name))
        seen.add(name)
        if name == "category" and not contest.categories:
            lines.problem(1, _("the contest has no categories: remove the column “category”"))
        elif name == REQUESTED and not money.has_fund(contest):
            lines.problem(1, _("the contest has no fund: remove the column “requested”"))
        elif name not in known:
            lines.problem(
                1,
                _(
                    "unknown column “%(column)s”; the columns are: %(columns)s",
                    column=name,
                    columns=",".join(known),
                ),
            )
    for name in required:
        if name not in seen and name != "number":
            lines.problem(1, _("the column “%(column)s” is missing", column=name))
    return header


def _read_row(lines: LineProblems, line: int, values: dict, contest: Contest, year: int):
    """The row's values checked on their own, or ``None`` when any is wrong."""
    before = len(lines)

    def required(column: str, max_length: int) -> str:
        value = values.get(column, "")
        if not value:
            lines.problem(line, _("the column “%(column)s” is empty", column=column))
        elif len(value) > max_length:
            lines.problem(
                line,
                _(
                    "the column “%(column)s” is longer than %(max)s characters",
                    column=column,
                    max=max_length,
                ),
            )
        return value

    number, serial = values.get("number", ""), None
    if number:
        match = re.fullmatch(rf"{re.escape(contest.number_prefix)}-\d{{4}}-(\d{{3,}})", number)
        if match and int(match.group(1)) >= 1 and match.group(1) == f"{int(match.group(1)):03d}":
            serial = int(match.group(1))
        else:
            lines.problem(
                line,
                _(
                    "the number %(number)s does not fit this contest: write it as %(example)s",
                    number=number,
                    example=f"{contest.number_prefix}-{year}-001",
                ),
            )
    name = required("organisation", 300)
    kind = required("kind", 20).lower()
    kinds = [k.value for k in OrganisationKind]
    if kind and kind not in kinds:
        lines.problem(line, _("the kind must be one of: %(values)s", values=", ".join(kinds)))
    code = required("edrpou", 20)
    if code.isdigit() and len(code) < 8:
        code = code.zfill(8)  # a spreadsheet drops the leading zeros of 00032129
    if code and not edrpou.is_valid(code):
        lines.problem(line, _("EDRPOU code %(code)s is not valid", code=code))
    oblast = required("oblast", 10).upper()
    if oblast and oblast not in OBLASTS:
        lines.problem(line, _("unknown oblast code “%(code)s”", code=oblast))
        oblast = ""
    community, community_code = _read_community(lines, line, values, oblast, required)
    status = values.get("status", "").lower() or OrganisationStatus.ACTIVE.value
    statuses = [s.value for s in OrganisationStatus]
    if status not in statuses:
        lines.problem(line, _("the status must be one of: %(values)s", values=", ".join(statuses)))
    email = required("email", 254).lower()
    if email:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            lines.problem(line, _("“%(email)s” is not an e-mail address", email=email))
    title = required("title", 300)
    category = None
    if contest.categories:
        code_given = required("category", 40)
        category = next((c for c in contest.categories if c.code == code_given), None)
        if code_given and category is None:
            lines.problem(
                line,
                _(
                    "unknown category “%(code)s”; the categories are: %(codes)s",
                    code=code_given,
                    codes=", ".join(c.code for c in contest.categories),
                ),
            )
    requested = _read_requested(lines, line, values, contest, category)
    if len(lines) > before:
        return None
    return _Row(
        line,
        number,
        serial,
        name,
        kind,
        code,
        oblast,
        community,
        community_code,
        status,
        email,
        title,
        category,
        requested,
    )


def _read_requested(lines: LineProblems, line: int, values: dict, contest, category):
    """The amount the line asks for, checked as the application form checks it."""
    text = values.get(REQUESTED, "")
    if not money.asks_amount(contest, category):
        if text:
            lines.problem(
                line,
                _("the contest (or this category) has no fund: leave the column “requested” empty"),
            )
        return None
    if not text:
        lines.problem(line, _("the column “requested” is empty: the contest has a fund"))
        return None
    try:
        value = money.read_amount(text)
    except money.AmountError as error:
        lines.problem(line, _("column “requested”: %(problem)s", problem=error.message))
        return None
    problem = money.limit_problem(value, contest, category)
    if problem:
        lines.problem(line, _("column “requested”: %(problem)s", problem=problem))
        return None
    return value


def _cut_amount(record: Record, header: list[str]) -> str | None:
    """Why the line is refused when an unquoted decimal comma cut its amount in two."""
    if REQUESTED not in header:
        return None
    index = header.index(REQUESTED)
    value = split_number(record, index, AMOUNT_WHOLE, AMOUNT_KOPECKS)
    return split_number_problem(value, index + 1, REQUESTED) if value else None


def _read_community(lines: LineProblems, line: int, values: dict, oblast: str, required):
    """The hromada as the official list names it, and its KATOTTG code (checked as the
    browser's form checks them): by the code when the row gives one, else by the name
    within the oblast. ("", "") with a problem when it cannot be told for certain."""
    code = values.get("community_code", "").strip().upper()
    if code:
        name = values.get("community", "")
        found_oblast = hromadas.oblast_of(code)
        if found_oblast is None:
            lines.problem(line, _("unknown KATOTTG code of the hromada “%(code)s”", code=code))
            return "", ""
        official = hromadas.name_of(code)
        if oblast and found_oblast != oblast:
            lines.problem(
                line,
                _(
                    "the hromada %(code)s («%(name)s») is in %(found)s, not in %(oblast)s: "
                    "correct the oblast or the code",
                    code=code,
                    name=official,
                    found=oblast_name(found_oblast),
                    oblast=oblast_name(oblast),
                ),
            )
            return "", ""
        named = hromadas.find_by_name(found_oblast, name) if name else []
        if name and named and all(entry["code"] != code for entry in named):
            lines.problem(
                line,
                _(
                    "the community «%(name)s» and the KATOTTG code %(code)s («%(official)s») "
                    "name different hromadas: correct one of them",
                    name=name,
                    code=code,
                    official=official,
                ),
            )
            return "", ""
        return official, code
    name = required("community", 200)
    if not name or not oblast:
        return "", ""
    found = hromadas.find_by_name(oblast, name)
    if len(found) == 1:
        return found[0]["name"], found[0]["code"]
    if found:
        lines.problem(
            line,
            _(
                "«%(name)s» names several hromadas of %(oblast)s (%(found)s): give the "
                "KATOTTG code in the column “community_code”",
                name=name,
                oblast=oblast_name(oblast),
                found="; ".join(f"{e['name']}, {e['code']}" for e in found),
            ),
        )
        return "", ""
    similar = hromadas.similar(oblast, name)
    lines.problem(
        line,
        _(
            "there is no hromada «%(name)s» in the official list of %(oblast)s: write its "
            "name as the list does or give its KATOTTG code in the column “community_code”",
            name=name,
            oblast=oblast_name(oblast),
        )
        + (_(" (similar: %(names)s)", names="; ".join(similar)) if similar else ""),
    )
    return "", ""


def _check_against_database(lines: LineProblems, rows: list[_Row], contest: Contest) -> None:
    """What the rows mean together and with what is already stored (a few bulk queries)."""
    organisations = {
        o.edrpou: o
        for o in db.session.scalars(
            select(Organisation).where(Organisation.edrpou.in_({r.edrpou for r in rows}))
        )
    }
    users = {
        u.email: u
        for u in db.session.scalars(select(User).where(User.email.in_({r.email for r in rows})))
    }
    applied = dict(
        db.session.execute(
            select(Application.organisation_id, Application.number).where(
                Application.contest_id == contest.id,
                Application.organisation_id.in_([o.id for o in organisations.values()]),
            )
        ).all()
    )
    numbers_taken = set(
        db.session.scalars(
            select(Application.number).where(Application.number.in_({r.number for r in rows}))
        )
    )
    serials_taken = set(
        db.session.scalars(
            select(Application.serial).where(
                Application.contest_id == contest.id,
                Application.serial.in_({r.serial for r in rows if r.serial}),
            )
        )
    )
    by_edrpou, by_email, by_serial = {}, {}, {}
    for row in rows:
        row.organisation = organisations.get(row.edrpou)
        row.user = users.get(row.email)
        if row.edrpou in by_edrpou:
            lines.problem(
                row.line,
                _(
                    "the organisation with EDRPOU code %(code)s is already on line %(line)s: "
                    "one application per organisation",
                    code=row.edrpou,
                    line=by_edrpou[row.edrpou],
                ),
            )
        by_edrpou.setdefault(row.edrpou, row.line)
        first = by_email.setdefault(row.email, row)
        if first.edrpou != row.edrpou:
            lines.problem(
                row.line,
                _(
                    "the e-mail %(email)s is already given for another organisation on "
                    "line %(line)s",
                    email=row.email,
                    line=first.line,
                ),
            )
        if row.serial:
            if row.number in numbers_taken:
                lines.problem(
                    row.line, _("the number %(number)s is already taken", number=row.number)
                )
            elif row.serial in serials_taken:
                lines.problem(
                    row.line,
                    _(
                        "the sequence number of %(number)s is already used in this contest",
                        number=row.number,
                    ),
                )
            elif row.serial in by_serial:
                lines.problem(
                    row.line,
                    _(
                        "the sequence number of %(number)s is already used on line %(line)s",
                        number=row.number,
                        line=by_serial[row.serial],
                    ),
                )
            by_serial.setdefault(row.serial, row.line)
        organisation = row.organisation
        if organisation is not None and organisation.id in applied:
            lines.problem(
                row.line,
                _(
                    "the organisation with EDRPOU code %(code)s already has an application in "
                    "this contest (%(number)s)",
                    code=row.edrpou,
                    number=applied[organisation.id] or _("a draft"),
                ),
            )
        # Eligibility by the facts the application was submitted with: the file's.
        kind, oblast = row.kind, row.oblast
        if kind not in contest.applicant_kinds:
            lines.problem(
                row.line,
                _(
                    "the contest does not accept applicants of this kind (%(kind)s)",
                    kind=kind_label(kind),
                ),
            )
        if contest.oblasts and oblast not in contest.oblasts:
            lines.problem(
                row.line,
                _(
                    "the contest does not accept applicants from the oblast %(oblast)s",
                    oblast=oblast,
                ),
            )
        user = row.user
        if user is not None and user.role != Role.APPLICANT:
            lines.problem(
                row.line,
                _(
                    "the e-mail %(email)s belongs to an account with the role “%(role)s”, "
                    "not to an applicant",
                    email=row.email,
                    role=role_label(user.role),
                ),
            )
        elif (
            user is not None
            and user.organisation_id is not None
            and (organisation is None or user.organisation_id != organisation.id)
        ):
            lines.problem(
                row.line,
                _("the account %(email)s belongs to another organisation", email=row.email),
            )


def _allocate_numbers(lines: LineProblems, rows: list[_Row], contest: Contest, year: int) -> int:
    """Give numberless rows the next serials after every one in use; the new last serial."""
    last = max([contest.last_number, *(row.serial for row in rows if row.serial)])
    allocated = []
    for row in rows:
        if not row.serial:
            last += 1
            row.serial, row.number = last, f"{contest.number_prefix}-{year}-{last:03d}"
            allocated.append(row)
    taken = set(
        db.session.scalars(
            select(Application.number).where(Application.number.in_([r.number for r in allocated]))
        )
    )
    for row in allocated:
        if row.number in taken:
            lines.problem(
                row.line,
                _(
                    "the next free number, %(number)s, is taken by another contest with the "
                    "prefix %(prefix)s: give this contest a prefix of its own",
                    number=row.number,
                    prefix=contest.number_prefix,
                ),
            )
    return last


def import_applications(
    contest: Contest, data: bytes, *, actor: User | None = None, progress: Progress = nothing
):
    """Import the CSV file in ``data`` into ``contest``: every line submitted and admitted.

    Raises ``ExchangeError`` naming every bad line, having changed nothing; otherwise
    returns the new applications in the order of the file. ``progress(done, total)``
    hears of the lines read (``scoring.progress``); writing them is the last step.
    """
    # Registration numbers are allocated under the contest's row lock (PostgreSQL).
    db.session.refresh(contest, with_for_update=True)
    if lifecycle.results_frozen(contest):
        raise ExchangeError(
            [
                _(
                    "The contest’s results are already published: applications can be imported "
                    "only before publication."
                )
            ]
        )
    now = clock.now()
    year = now.astimezone(KYIV).year
    lines = LineProblems()

    def read_header(cells: list[str]) -> list[str]:
        header = _read_header(lines, cells, contest)
        if lines:
            raise ExchangeError(lines.problems)
        return header

    try:
        text = decode(data)
        if "\x00" in text:
            raise FileError([_("The file is not a CSV text file: it contains NUL characters.")])
        header, records = read_rows(text, lines, read_header, check=_cut_amount)
    except FileError as error:
        raise ExchangeError(error.problems) from error
    rows: list[_Row] = []
    for done, (line, values) in enumerate(records):
        if done % 1000 == 0:
            progress(done, len(records))
        row = _read_row(lines, line, values, contest, year)
        if row is not None:
            rows.append(row)
    if header is None or (not rows and not lines):
        raise ExchangeError([_("The file has no applications.")])
    if rows:
        _check_against_database(lines, rows, contest)
    if lines:
        raise ExchangeError(lines.problems)
    last = _allocate_numbers(lines, rows, contest, year)
    if lines:
        raise ExchangeError(lines.problems)

    applications, created_organisations, created_accounts = [], 0, 0
    for row in rows:
        organisation = row.organisation
        if organisation is None:
            organisation = Organisation(
                kind=OrganisationKind(row.kind),
                name=row.name,
                edrpou=row.edrpou,
                oblast=row.oblast,
                community=row.community,
                community_code=row.community_code,
                status=OrganisationStatus(row.status),
                contact_person=row.email[:200],
                email=row.email,
                phone="",
            )
            created_organisations += 1
        if row.user is None:
            db.session.add(
                User(
                    email=row.email,
                    name=organisation.name[:200],
                    role=Role.APPLICANT,
                    password_hash=None,
                    organisation=organisation,
                )
            )
            created_accounts += 1
        elif row.user.organisation_id is None:
            row.user.organisation = organisation
        application = Application(
            contest=contest,
            organisation=organisation,
            category=row.category,
            state=ApplicationState.ADMITTED,
            serial=row.serial,
            number=row.number,
            title=row.title,
            requested=row.requested,
            submitted_at=now,
            decided_at=now,
            decision_reason=IMPORTED,
            decided_by_id=getattr(actor, "id", None),
        )
        row.freeze_facts(application)
        db.session.add(application)
        applications.append(application)
    contest.last_number = last
    db.session.flush()
    audit.record(
        "applications.imported",
        actor=actor,
        contest=contest,
        obj=contest,
        count=len(applications),
        numbers=[a.number for a in applications],
        organisations_created=created_organisations,
        accounts_created=created_accounts,
        via="cli",
    )
    progress(1, 1)
    return applications
