"""One line of a file of applications read on its own (SPEC §5, §12, §15): each value
checked as the browser's application form checks it, the hromada against the official
list, the amount requested as the form reads it. ``applications_file`` then checks the
lines together and against the database, and stores them.

Every problem is told on the file's ``LineProblems`` with its line and, where one cell is
to blame, its column.
"""

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from .. import edrpou, hromadas, money
from ..csvfiles import LineProblems, Record, split_number, split_number_problem
from ..forms import LINE_BREAKS
from ..i18n import kind_code, oblast_code, oblast_name, status_code
from ..models import (
    Application,
    Category,
    Contest,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    User,
)

REQUESTED = "requested"  # the amount asked for: required when the contest has a fund
# An amount cut in two by an unquoted decimal comma: «48000», «50» or «48 000», «50».
AMOUNT_WHOLE = re.compile(r"\d{1,12}|\d{1,3}(?:[ \u00a0]\d{3})+")
AMOUNT_KOPECKS = re.compile(r"\d{1,2}")
ECHOED = 40  # an amount refused is read back in its message up to this length


@dataclass
class Row:
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


def read_row(lines: LineProblems, line: int, values: dict, contest: Contest, year: int):
    """The row's values checked on their own, or ``None`` when any is wrong."""
    before = len(lines)

    def required(column: str, max_length: int) -> str:
        value = values.get(column, "")
        if not value:
            lines.problem(line, _("the column “%(column)s” is empty", column=column), column)
        elif len(value) > max_length:
            lines.problem(
                line,
                _(
                    "the column “%(column)s” is longer than %(max)s characters",
                    column=column,
                    max=max_length,
                ),
                column,
            )
        if LINE_BREAKS.search(value):  # a cell of several lines: a title is one line
            lines.problem(
                line,
                _("the column “%(column)s” holds several lines: write it on one", column=column),
                column,
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
                "number",
            )
    name = required("organisation", 300)
    written_kind = required("kind", 60)
    kind = kind_code(written_kind) or ""
    if written_kind and not kind:
        lines.problem(
            line,
            _(
                "unknown kind “%(value)s”; the kinds are: %(values)s",
                value=written_kind,
                values=", ".join(k.value for k in OrganisationKind),
            ),
            "kind",
        )
    code = required("edrpou", 20)
    if code.isdigit() and len(code) < 8:
        code = code.zfill(8)  # a spreadsheet drops the leading zeros of 00032129
    if code and not edrpou.is_valid(code):
        lines.problem(line, _("EDRPOU code %(code)s is not valid", code=code), "edrpou")
    written_oblast = required("oblast", 60)
    oblast = oblast_code(written_oblast) or ""
    if written_oblast and not oblast:
        lines.problem(
            line,
            _("unknown oblast “%(code)s”: give its code (UA-63) or name", code=written_oblast),
            "oblast",
        )
    community, community_code = _read_community(lines, line, values, oblast, required)
    written_status = values.get("status", "")
    status = status_code(written_status) if written_status else OrganisationStatus.ACTIVE.value
    if not status:
        lines.problem(
            line,
            _(
                "unknown status “%(value)s”; the statuses are: %(values)s",
                value=written_status,
                values=", ".join(s.value for s in OrganisationStatus),
            ),
            "status",
        )
    written_email = required("email", 254)
    email = written_email.lower()
    if email:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            lines.problem(
                line, _("“%(email)s” is not an e-mail address", email=written_email), "email"
            )
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
                "category",
            )
    requested = _read_requested(lines, line, values, contest, category)
    if len(lines) > before:
        return None
    return Row(
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
    """The amount the line asks for, read and checked as the application form reads and
    checks it (``money``): a decimal comma, spaces between thousands, nothing rounded."""
    text = values.get(REQUESTED, "")
    if not money.asks_amount(contest, category):
        if text:
            lines.problem(
                line, _("the contest (or this category) has no fund: leave it empty"), REQUESTED
            )
        return None
    if not text:
        lines.problem(line, _("the amount requested is empty: the contest has a fund"), REQUESTED)
        return None
    try:
        value = money.read_amount(text)
    except money.AmountError as error:
        # What was typed, when short enough to read back beside the reason.
        told = _("«%(value)s»: %(problem)s", value=text, problem=error.message)
        lines.problem(line, told if len(text) <= ECHOED else error.message, REQUESTED)
        return None
    problem = money.limit_problem(value, contest, category)
    if problem:
        lines.problem(line, problem, REQUESTED)
        return None
    return value


def cut_amount(record: Record, header: list[str]) -> tuple[str, str] | None:
    """Why the line is refused when an unquoted decimal comma cut its amount in two."""
    if REQUESTED not in header:
        return None
    value = split_number(record, header.index(REQUESTED), AMOUNT_WHOLE, AMOUNT_KOPECKS)
    return (REQUESTED, split_number_problem(value)) if value else None


def _read_community(lines: LineProblems, line: int, values: dict, oblast: str, required):
    """The hromada as the official list names it, and its KATOTTG code (checked as the
    browser's form checks them): by the code when the row gives one, else by the name
    within the oblast. ("", "") with a problem when it cannot be told for certain."""
    code = values.get("community_code", "").strip().upper()
    if code:
        name = values.get("community", "")
        found_oblast = hromadas.oblast_of(code)
        if found_oblast is None:
            lines.problem(
                line,
                _("unknown KATOTTG code of the hromada “%(code)s”", code=code),
                "community_code",
            )
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
                "oblast",
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
                "community",
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
            "community",
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
        "community",
    )
    return "", ""
