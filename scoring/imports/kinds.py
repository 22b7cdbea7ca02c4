"""What can be imported in the browser, and how each file is read, mapped and run.

Three kinds (SPEC §9, §15): ``applications`` and ``scores`` (CSV files of a contest, read
by ``contests.applications_file`` and ``judging.scores_file``, the very functions of the
command line) and ``contest`` (a ``scoring.contest/1`` document that makes a new draft
contest, read by ``contests.document``).

- ``read`` looks at a file as it is uploaded: how it reads (``csvfiles.detect``), its
  headings and first lines, or what the contest document describes; ``Refused`` says
  why a file cannot be read at all.
- ``propose`` maps the file's columns onto ours: first as the organiser mapped the same
  heading before in this contest (``ImportMapping``), then by our column's own name, then
  by the words people use for it («Назва організації», «Електронна адреса»; a Google
  Forms export's «Позначка часу» is never imported).
- ``run`` checks (a dry run) or imports a file with the columns chosen, and says what it
  stored, or would, in sentences for the result page; ``Refused`` lists every problem.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from .. import audit, clock, rounds
from ..contests import applications_file, document
from ..csvfiles import FileError, describe, detect, preview
from ..extensions import db
from ..judging import scores_file
from ..models import Contest, ImportMapping, User

PREVIEW_LINES = 10
TITLES = {
    "applications": _l("Import of applications"),
    "scores": _l("Import of scores from paper scoresheets"),
    "contest": _l("Import of a contest from a file (scoring.contest/1)"),
}
CSV_KINDS = ("applications", "scores")
LABELS = {
    "number": _l("Registration number (empty: the next free one)"),
    "organisation": _l("Organisation"),
    "kind": _l("Kind of applicant (community or NGO)"),
    "edrpou": _l("EDRPOU code"),
    "oblast": _l("Oblast"),
    "community": _l("Community (hromada)"),
    "email": _l("E-mail of the applicant"),
    "title": _l("Title of the application"),
    "category": _l("Category (its code)"),
    "application": _l("Application (registration number)"),
    "juror": _l("E-mail of the juror"),
    "criterion": _l("Criterion (its code)"),
    "score": _l("Score"),
    "comment": _l("Comment"),
    # Columns the files may carry as the rules of issue 13 read them (SPEC §15).
    "community_code": _l("KATOTTG code of the community"),
    "status": _l("Where the organisation works (active, relocated, occupied)"),
    "juror_name": _l("Name of the juror"),
    # With a fund (SPEC §12): the amount the application asks for.
    "requested": _l("Amount requested, UAH"),
}
# Headings people give our columns, folded (``fold``); per kind, as a word may differ.
SYNONYMS = {
    "applications": {
        "number": ["номер", "номер заявки", "реєстраційний номер", "№", "№ заявки"],
        "organisation": [
            "назва організації",
            "організація",
            "повна назва організації",
            "найменування організації",
            "назва заявника",
            "заявник",
            "organization",
            "organisation name",
        ],
        "kind": ["тип заявника", "тип організації", "вид заявника", "тип", "applicant kind"],
        "edrpou": ["код єдрпоу", "єдрпоу", "код за єдрпоу", "ідентифікаційний код"],
        "oblast": ["область", "регіон", "region"],
        "community": ["громада", "територіальна громада", "назва громади", "тг", "hromada"],
        "email": [
            "електронна адреса",
            "адреса електронної пошти",
            "електронна пошта",
            "ел. пошта",
            "e-mail",
            "пошта",
            "email address",
        ],
        "title": [
            "назва проєкту",
            "назва проекту",
            "назва заявки",
            "тема проєкту",
            "проєкт",
            "project title",
            "project",
        ],
        "category": ["категорія", "номінація"],
        "community_code": [
            "код катоттг",
            "катоттг",
            "код громади",
            "код катоттг громади",
            "код громади за катоттг",
            "katottg code",
        ],
        "status": ["статус", "статус організації", "статус громади", "status"],
        "requested": [
            "запитувана сума",
            "запитувана сума, грн",
            "запитувана сума (грн)",
            "сума запиту",
            "сума запиту, грн",
            "сума, грн",
            "сума (грн)",
            "сума",
            "requested amount",
            "amount requested",
        ],
    },
    "scores": {
        "application": ["заявка", "номер заявки", "реєстраційний номер", "номер", "№"],
        "juror": [
            "експерт",
            "експертка",
            "член журі",
            "електронна адреса",
            "електронна адреса експерта",
            "e-mail",
            "email",
        ],
        "criterion": ["критерій", "код критерію"],
        "score": ["бал", "бали", "оцінка", "кількість балів", "points"],
        "comment": ["коментар", "примітка", "коментар експерта"],
        "juror_name": [
            "ім’я експерта",
            "піб експерта",
            "піб",
            "прізвище та ім’я експерта",
            "прізвище, ім’я експерта",
            "ім’я та прізвище експерта",
            "juror name",
        ],
    },
}
NEVER = {"позначка часу", "timestamp", "час"}  # a form's own column: when it was sent


class Refused(Exception):
    """A file that cannot be imported; ``problems`` lists why, by line and column."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def fold(heading: str) -> str:
    """A heading as headings are compared: case, spaces and a trailing mark ignored."""
    text = heading.casefold().replace("*", " ").replace("'", "’").replace("ʼ", "’")
    return " ".join(text.split()).rstrip(":?").strip()


def label(name: str) -> str:
    """How the pages name our column ``name`` (its own name when it has no label)."""
    return LABELS.get(name, name)


def columns(kind: str, contest: Contest) -> list[str]:
    """Our columns a file of ``kind`` may have, in their usual order."""
    if kind == "applications":
        return applications_file.columns(contest)
    return scores_file.columns(contest)


# Reading a file as it is uploaded --------------------------------------------------


def read(kind: str, data: bytes) -> dict:
    """What the preview shows of ``data``; ``Refused`` for a file that cannot be read."""
    if not data:
        raise Refused([_("The file is empty.")])
    if kind == "contest":
        return _read_document(data)
    try:
        decoded = detect(data)
        header, first, total = preview(decoded.text, PREVIEW_LINES)
    except FileError as error:
        raise Refused(error.problems) from error
    if not header or not any(header):
        raise Refused([_("The first line of the file, the headings of its columns, is empty.")])
    if not total:
        raise Refused([_("The file has headings but no lines below them.")])
    return {
        "read_as": describe(decoded),
        "header": header,
        "lines": [{"line": line, "cells": cells} for line, cells in first],
        "total": total,
    }


def _read_document(data: bytes) -> dict:
    try:
        parsed = document.parse_contest_document(data)
    except document.ExchangeError as error:
        raise Refused(error.problems) from error
    if not isinstance(parsed, dict):
        raise Refused([_("The document must be a JSON object {…}.")])

    def text(value) -> str:
        if isinstance(value, dict):
            value = value.get("uk") or value.get("en")
        return value if isinstance(value, str) else ""

    def count(key: str) -> int:
        value = parsed.get(key)
        return len(value) if isinstance(value, list) else 0

    return {
        "title": text(parsed.get("title"))[:300],
        "slug": text(parsed.get("slug"))[:100],
        "criteria": count("criteria"),
        "questions": count("questions"),
        "categories": count("categories"),
    }


# Mapping the file's columns onto ours ----------------------------------------------


def remembered(kind: str, contest: Contest) -> dict[str, str]:
    """{folded heading: our column, or "" for one not imported} chosen before."""
    mapping = db.session.scalar(
        select(ImportMapping).where(
            ImportMapping.contest_id == contest.id, ImportMapping.kind == kind
        )
    )
    return dict(mapping.columns) if mapping else {}


def propose(kind: str, contest: Contest, header: list[str]) -> list[str | None]:
    """Our column for each of the file's columns (None: not imported), each at most once."""
    ours = columns(kind, contest)
    words = {fold(word): name for name, found in SYNONYMS[kind].items() for word in found}
    words |= {fold(name): name for name in ours} | {fold(str(label(name))): name for name in ours}
    words |= dict.fromkeys(NEVER, "")
    words |= remembered(kind, contest)  # the organiser's choices, "not imported" too, win
    chosen: list[str | None] = []
    for heading in header:
        name = words.get(fold(heading)) or None
        if name not in ours or name in chosen:
            name = None
        chosen.append(name)
    return chosen


def remember(kind: str, contest: Contest, header: list[str], chosen, actor: User) -> None:
    """Keep the organiser's mapping for the contest's next file (audited: it is data)."""
    mapping = db.session.scalar(
        select(ImportMapping).where(
            ImportMapping.contest_id == contest.id, ImportMapping.kind == kind
        )
    )
    before = dict(mapping.columns) if mapping else {}
    kept = before | {fold(h): (c or "") for h, c in zip(header, chosen, strict=True) if fold(h)}
    if mapping is not None and kept == before:
        return
    if mapping is None:
        mapping = ImportMapping(contest_id=contest.id, kind=kind)
        db.session.add(mapping)
    mapping.columns, mapping.updated_at = kept, clock.now()
    db.session.flush()
    audit.record(
        "import.columns_chosen",
        actor=actor,
        contest=contest,
        obj=contest,
        kind=kind,
        columns=[c or "" for c in chosen],
    )


# Checking and importing ------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What an import stored, or a check found it would: sentences, and the slug of the
    contest to look at it in (the new one for a contest document)."""

    summary: list[str]
    slug: str | None = None


def run(kind: str, contest: Contest | None, data: bytes, *, actor: User, columns, progress,
        dry_run: bool) -> Outcome:  # fmt: skip
    """Check (``dry_run``) or import ``data``; ``Refused`` with every problem otherwise.
    The caller commits an import, and rolls a check back."""
    try:
        if kind == "applications":
            return _applications(contest, data, actor, columns, progress, dry_run)
        if kind == "scores":
            return _scores(contest, data, actor, columns, progress, dry_run)
        return _contest(data, actor, dry_run)
    except (document.ExchangeError, scores_file.ScoresFileError) as error:
        raise Refused(error.problems) from error


def _applications(contest, data, actor, columns, progress, dry_run) -> Outcome:
    imported = applications_file.import_applications(
        contest, data, actor=actor, columns=columns, progress=progress, dry_run=dry_run,
        via="browser",
    )  # fmt: skip
    count = len(imported.applications)
    numbers = [number for number, _name in imported.applications]
    if dry_run:
        first = ngettext(
            "%(num)d application will be imported, submitted and admitted to evaluation.",
            "%(num)d applications will be imported, submitted and admitted to evaluation.",
            count,
        )
    else:
        first = ngettext(
            "%(num)d application is imported, submitted and admitted to evaluation.",
            "%(num)d applications are imported, submitted and admitted to evaluation.",
            count,
        )
    summary = [
        first,
        _("Numbers: %(first)s … %(last)s.", first=numbers[0], last=numbers[-1])
        if count > 1
        else _("Number: %(number)s.", number=numbers[0]),
        _(
            "New organisations: %(organisations)s; new applicant accounts (they set a password "
            "through «Forgot your password?»): %(accounts)s.",
            organisations=imported.organisations_created,
            accounts=imported.accounts_created,
        ),
    ]
    return Outcome(summary, contest.slug)


def _scores(contest, data, actor, columns, progress, dry_run) -> Outcome:
    result = scores_file.import_scores(
        contest, data, actor=actor, columns=columns, progress=progress, dry_run=dry_run,
        via="browser",
    )  # fmt: skip
    if dry_run:
        summary = [
            ngettext(
                "%(num)d scoresheet will be imported and submitted.",
                "%(num)d scoresheets will be imported and submitted.",
                result.sheets,
            )
        ]
    else:
        summary = [
            ngettext(
                "%(num)d scoresheet is imported and submitted (scores changed: %(changed)s).",
                "%(num)d scoresheets are imported and submitted (scores changed: %(changed)s).",
                result.sheets,
                changed=result.scores_changed,
            )
        ]
    if result.recusals:
        summary.append(
            _("Recusals to record: %(count)s", count=result.recusals)
            if dry_run
            else _("Recusals recorded: %(count)s", count=result.recusals)
        )
    if result.jurors_created:
        summary.append(
            _(
                "New jurors without a password (they set one through «Forgot your "
                "password?»): %(emails)s",
                emails=", ".join(result.jurors_created),
            )
        )
    if result.jurors_added:
        summary.append(_("Added to the jury: %(emails)s", emails=", ".join(result.jurors_added)))
    return Outcome(summary, contest.slug)


def _contest(data, actor, dry_run) -> Outcome:
    parsed = document.parse_contest_document(data)
    contest = document.import_contest(
        parsed, [actor.email], actor=actor, dry_run=dry_run, via="browser"
    )
    facts = _read_document(data)
    if dry_run:
        later = len(parsed.get("rounds") or [])
        return Outcome(
            [
                _(
                    "The contest «%(title)s» (%(slug)s) will be created as a draft that you "
                    "organise: criteria %(criteria)s, questions of the application form "
                    "%(questions)s, categories %(categories)s.",
                    **facts,
                ),
                *(
                    [_("Rounds: %(count)s; each later round a draft of its own.", count=later + 1)]
                    if later
                    else []
                ),
            ]
        )
    summary = [
        _(
            "The contest «%(title)s» is created as a draft: criteria %(criteria)s, questions "
            "of the application form %(questions)s, categories %(categories)s.",
            **facts,
        )
    ]
    chain = rounds.chain(contest)
    if len(chain) > 1:
        summary.append(
            _(
                "Rounds: %(count)s; each later round is a draft of its own: %(slugs)s.",
                count=len(chain),
                slugs=", ".join(later.slug for later in chain[1:]),
            )
        )
    shared = document.contests_with_prefix(contest)
    if shared:
        summary.append(
            _(
                "Note: the contests %(slugs)s number their applications with the same prefix "
                "%(prefix)s; change it on the contest’s settings page so that numbers of the "
                "same year cannot collide.",
                slugs=", ".join(shared),
                prefix=contest.number_prefix,
            )
        )
    return Outcome(summary, contest.slug)
