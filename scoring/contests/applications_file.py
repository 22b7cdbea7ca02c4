"""Applications received outside the system, imported from a CSV file (SPEC §5, §9).

Applications received outside the system come as CSV (``import_applications``): the
columns ``number,organisation,kind,edrpou,oblast,community,email,title`` (and
``category`` when the contest has categories; ``number`` may be left out), and
optionally ``community_code`` (the hromada's KATOTTG code) and ``status`` (``active``,
``relocated``, ``occupied``, or their names); ``requested``, the amount asked for, when
the contest (or the line's category) has a fund (SPEC §12), written as people write it
(``48000.50``, ``"48 000,50"`` quoted, or unquoted in a file separated by semicolons); in
any encoding and with any separator ``csvfiles.detect`` reads (SPEC §15); oblasts and
kinds may be written as codes or by their names; an EDRPOU code of fewer than 8 digits
gets back the leading zeros a spreadsheet drops. Every line is checked against the file and
the database first, as the browser's form checks the same facts: the hromada against the
official list, by its code when given, else by its name within the oblast (a name that
is not there, or that names several, is refused with the line), and the oblast against
the hromada. A bad file is refused whole, naming each bad line and why. Then, in one
transaction: an organisation is found by its EDRPOU code (and used as registered) or
created; the applicant account is found by e-mail or created without a password (its
owner sets one through "forgotten password"); each application is submitted and
admitted at once, under the number given or the next free one, with the facts of its
line as the facts it was submitted with (SPEC §8).

A line read on its own (its values, its hromada, its amount) is ``applications_lines``;
here the lines together, against the database, and stored.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit, clock, lifecycle, money
from ..clock import KYIV
from ..csvfiles import FileError, LineProblems, decode, read_rows
from ..extensions import db
from ..i18n import kind_label, oblast_name, role_label
from ..models import (
    Application,
    ApplicationState,
    Contest,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Role,
    User,
)
from ..progress import Progress, nothing
from .applications_lines import REQUESTED, Row, cut_amount, read_row
from .document import ExchangeError

COLUMNS = ("number", "organisation", "kind", "edrpou", "oblast", "community", "email", "title")
# Optional: the hromada's KATOTTG code, and where the organisation works now (SPEC §15).
OPTIONAL_COLUMNS = ("community_code", "status")
IMPORTED = "imported"  # the decision reason of an imported application


def _required(contest: Contest) -> list[str]:
    """The columns every file for ``contest`` has (``number`` may still be left out):
    ``category`` with categories, ``requested`` with a fund (SPEC §12)."""
    return [
        *COLUMNS,
        *(["category"] if contest.categories else []),
        *([REQUESTED] if money.has_fund(contest) else []),
    ]


def columns(contest: Contest) -> list[str]:
    """The columns a file of applications for ``contest`` may have, in their usual order."""
    return [*_required(contest), *OPTIONAL_COLUMNS]


@dataclass(frozen=True)
class Imported:
    """What an import stored, or what a dry run would store."""

    applications: list[tuple[str, str]]  # (number, organisation) in the order of the file
    organisations_created: int
    accounts_created: int


def _read_header(lines: LineProblems, cells: list[str], contest: Contest) -> list[str]:
    header = [cell.strip().lstrip("\ufeff").lower() for cell in cells]
    required = _required(contest)
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


def _check_against_database(lines: LineProblems, rows: list[Row], contest: Contest) -> None:
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
                    oblast=oblast_name(oblast),
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


def _allocate_numbers(lines: LineProblems, rows: list[Row], contest: Contest, year: int) -> int:
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
    contest: Contest,
    data: bytes,
    *,
    actor: User | None = None,
    columns: list[str | None] | None = None,
    progress: Progress = nothing,
    dry_run: bool = False,
    via: str = "cli",
) -> Imported:
    """Import the CSV file in ``data`` into ``contest``: every line submitted and admitted.

    ``columns`` maps the file's columns onto ours (``csvfiles.read_rows``);
    ``progress(done, total)`` hears of the lines checked, then of the applications
    stored (twice the lines in all; the lines alone in a dry run). Raises
    ``ExchangeError`` naming every bad line, having changed nothing; otherwise returns
    what was stored, in the order of the file. A ``dry_run`` checks everything and
    stores nothing.
    """
    if not dry_run:
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
    if contest.previous_round_id is not None:  # SPEC §13
        raise ExchangeError(
            [
                _(
                    "This is a later round of the contest: its applications are those that "
                    "advance from the round before, created when that round is published; "
                    "they are not imported."
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
        header, records = read_rows(decode(data), lines, read_header, columns, cut_amount)
    except FileError as error:
        raise ExchangeError(error.problems) from error
    rows: list[Row] = []
    total = len(records) if dry_run else 2 * len(records)
    for done, (line, values) in enumerate(records, start=1):
        row = read_row(lines, line, values, contest, year)
        if row is not None:
            rows.append(row)
        progress(done, total)
    if header is None or (not rows and not lines):
        raise ExchangeError([_("The file has no applications.")])
    if rows:
        _check_against_database(lines, rows, contest)
    if lines:
        raise ExchangeError(lines.problems)
    last = _allocate_numbers(lines, rows, contest, year)
    if lines:
        raise ExchangeError(lines.problems)
    if dry_run:
        return Imported(
            [(row.number, row.name) for row in rows],
            len({row.edrpou for row in rows if row.organisation is None}),
            len({row.email for row in rows if row.user is None}),
        )

    applications, created_organisations, created_accounts = [], 0, 0
    for done, row in enumerate(rows, start=1):
        progress(len(rows) + done, total)
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
        via=via,
    )
    return Imported(
        [(row.number, row.name) for row in rows],
        created_organisations,
        created_accounts,
    )
