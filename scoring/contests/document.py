"""A contest exchanged as a file (SPEC §4, §9): the ``scoring.contest/1`` document.

A contest travels as a ``scoring.contest/1`` JSON document: a reusable template for next
year's contest. ``export_contest`` writes every field of SPEC §4; ``import_contest`` reads
the whole document first, reports every problem with its JSON path (``criteria[2].step:
must be 1 or 0.5``; list indices count from 0) and only then creates the contest, as a
draft, with its criteria, questions and categories. Numbers are written as JSON integers
when whole and as decimals otherwise, and read back as ``Decimal``, so export → import →
export gives the same document.

Extensions: the document also carries the settings our contests have and SPEC §4 does
not name, under keys of their own, all optional on import (missing keys take the same
defaults as a contest created in the browser):

- ``rules``: ``{"uk": ..., "en": ...}``, the contest's rules;
- ``organising_body``: who runs the contest (default: the ``ORGANISING_BODY`` setting);
- ``number_prefix``: the prefix of registration numbers, ``UUG`` in ``UUG-2024-007``
  (default: the initials of the slug's words, e.g. ``UU`` for ``uspishna-uchast-2024``);
- ``conflicts``: ``{"same_oblast": bool, "same_community": bool}``, which conflicts of
  interest the system proposes to jurors (SPEC §11);
- ``results``: ``{"full_ranking": bool}``, whether the full ranking is published or only
  the winners;
- ``jury``: ``{"two_factor": bool}``, whether the jurors sign in with two factors (SPEC §8);
- ``attachments``: ``{"types": [MIME types], "max_file_size": bytes, "max_total_size":
  bytes}``, what applicants may upload (SPEC §5);
- ``after_results``: ``{"feedback": "none" | "scores" | "comments", "appeal_days": days,
  "appeal_answer_days": working days}``, what applicants learn of their scores and how
  they may appeal (SPEC §14).

Grants (SPEC §12): ``"fund"`` and ``"max_request"`` at the top level, or in each category
when the contest has categories, are amounts of hryvnias written as decimal strings
(``"100000.00"``; a JSON number is read as well, exactly); ``null`` or absent: no fund,
no limit. The export writes them as strings with two places, ``null`` where there is none.

Rounds (SPEC §13): a contest judged in rounds is exported whole, whichever round is
given: the first round's document with

- ``round``: ``{"title": {"uk": ..., "en": ...}, "weight": percent or null}``, the first
  round's title and share of the final score;
- ``rounds``: a list of the later rounds, each ``{"title", "weight"}`` as ``round`` plus
  its own ``opens_at``, ``closes_at``, ``winners`` (how many advance from it, or win in
  the last), ``description``, ``rules``, ``categories``, ``scoring``, ``criteria``,
  ``questions``, ``fund``, ``max_request``, ``conflicts``, ``results``, ``jury``,
  ``attachments`` and ``after_results``, read as the top level's.

The import creates the chain, each later round a draft naming the round before; their
title, applicants and organising body are the first round's, their address and number
prefix made from its (``naming.round_slug``, ``round_prefix``). A problem of a later
round is named under ``rounds[i]`` (counted from 0): ``rounds[0].criteria[1].step``.
The shares are declared on every round or on none, adding up to 100.

Unknown keys are refused (a misspelt ``wieght`` would otherwise be lost silently). The
jury's members, the organisers and the stage are not part of the template.

Longer than 600 lines: the one format is written and read in one place. The reader
checks every field of SPEC §4 and names each problem with its JSON path; the field
readers and the fields they read are one rule set, which splitting would only spread.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, money, rounds
from ..clock import KYIV
from ..csvfiles import not_utf8
from ..extensions import db
from ..forms import LINE_BREAKS
from ..i18n import OBLASTS, role_label
from ..lifecycle import contests_sharing_numbers
from ..models import (
    Aggregation,
    Category,
    Contest,
    Criterion,
    Feedback,
    Normalise,
    OrganisationKind,
    Question,
    QuestionKind,
    Role,
    Stage,
    User,
)
from ..ranking import decimal_places
from . import naming
from .operations import RESERVED_SLUGS, slug_taken

FORMAT = "scoring.contest/1"
# Texts of at most this many characters are names, titles, codes and labels: one line, as
# the forms take them; longer ones (descriptions, rules, guidance) may have paragraphs.
ONE_LINE_MAX = 300

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
PREFIX = re.compile(r"[A-Z0-9]{2,12}")
# As the criteria editor and the form builder accept them.
CRITERION_CODE = re.compile(r"[A-Z0-9][A-Z0-9.\-]{0,19}")
CATEGORY_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,39}")
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
MAX_CHOICES = 100
MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*")
AMOUNT = re.compile(r"\d{1,12}(?:\.\d{1,2})?")  # "100000.00": hryvnias, a point, kopecks

DEFAULT_ATTACHMENT_TYPES = ["application/pdf", "image/jpeg", "image/png"]
LARGEST_FILE = 2_000_000_000  # the columns are 32-bit integers

# Which limits each kind of question takes.
LIMITS = {
    "max_length": (QuestionKind.TEXT, QuestionKind.TEXTAREA),
    "min_value": (QuestionKind.NUMBER,),
    "max_value": (QuestionKind.NUMBER,),
    "choices": (QuestionKind.CHOICE,),
    "file_types": (QuestionKind.FILE,),
}


class ExchangeError(Exception):
    """A document or a file that cannot be imported; ``problems`` says what and where."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# Export ------------------------------------------------------------------------------


def _number(value):
    """A stored decimal as JSON: an integer when whole, else a float.

    Exact: every setting has at most 14 significant digits, fewer than a float keeps,
    and a float prints as the shortest text that reads back as itself.
    """
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _amount(value) -> str | None:
    """An amount as the document writes it: ``"100000.00"``, or None."""
    return None if value is None else f"{value:.2f}"


def _bilingual(uk: str, en: str) -> dict:
    return {"uk": uk or "", "en": en or ""}


def moment_text(value: datetime) -> str:
    return value.astimezone(KYIV).isoformat()


def _export_question(question: Question) -> dict:
    item = {
        "key": question.key,
        "label": _bilingual(question.label_uk, question.label_en),
        "help": _bilingual(question.help_uk, question.help_en),
        "kind": QuestionKind(question.kind).value,
        "required": question.required,
    }
    if question.max_length is not None:
        item["max_length"] = question.max_length
    if question.min_value is not None:
        item["min_value"] = _number(question.min_value)
    if question.max_value is not None:
        item["max_value"] = _number(question.max_value)
    if question.choices is not None:
        item["choices"] = [
            {"value": c.get("value", ""), "uk": c.get("uk", ""), "en": c.get("en", "")}
            for c in question.choices
        ]
    if question.file_types is not None:
        item["file_types"] = list(question.file_types)
    return item


def _grants(holder) -> dict:
    return {"fund": _amount(holder.fund), "max_request": _amount(holder.max_request)}


def export_contest(contest: Contest) -> dict:
    """The contest as a ``scoring.contest/1`` document (plain JSON values): with rounds,
    the first round's document with ``round`` and ``rounds``, whichever round is given."""
    chain = rounds.chain(contest)
    exported = export_round(chain[0])
    if len(chain) > 1:
        exported["round"] = _round_part(chain[0])
        exported["rounds"] = [
            _round_part(later)
            | {key: value for key, value in export_round(later).items() if key in ROUND_SETTINGS}
            for later in chain[1:]
        ]
    return exported


def _round_part(contest: Contest) -> dict:
    return {
        "title": _bilingual(contest.round_title_uk, contest.round_title_en),
        "weight": _number(contest.round_weight),
    }


def export_round(contest: Contest) -> dict:
    """One contest (one round) as a ``scoring.contest/1`` document. The grants are
    written for a contest that has a fund (a contest without one: as before)."""
    grants = money.has_fund(contest)
    return {
        "format": FORMAT,
        "slug": contest.slug,
        "title": _bilingual(contest.title_uk, contest.title_en),
        "description": _bilingual(contest.description_uk, contest.description_en),
        "applicant_kinds": list(contest.applicant_kinds),
        "oblasts": list(contest.oblasts),
        "opens_at": moment_text(contest.opens_at),
        "closes_at": moment_text(contest.closes_at),
        "winners": contest.winners,
        **(_grants(contest) if grants else {}),
        "categories": [
            {
                "code": category.code,
                "title": _bilingual(category.title_uk, category.title_en),
                "winners": category.winners,
                **(_grants(category) if grants else {}),
            }
            for category in contest.categories
        ],
        "scoring": {
            "aggregation": Aggregation(contest.aggregation).value,
            "normalise": Normalise(contest.normalise).value,
            "jurors_per_application": contest.jurors_per_application,
            "quorum": contest.quorum,
            "divergence_threshold": _number(contest.divergence_threshold),
            "min_total": _number(contest.min_total),
            "max_winners_per_oblast": contest.max_winners_per_oblast,
            "blind": contest.blind,
        },
        "criteria": [
            {
                "code": criterion.code,
                "title": _bilingual(criterion.title_uk, criterion.title_en),
                "guidance": _bilingual(criterion.guidance_uk, criterion.guidance_en),
                "max_points": _number(criterion.max_points),
                "weight": _number(criterion.weight),
                "step": _number(criterion.step),
                "min_points": _number(criterion.min_points),
            }
            for criterion in contest.criteria
        ],
        "questions": [_export_question(question) for question in contest.questions],
        # Extensions (see the module's docstring).
        "rules": _bilingual(contest.rules_uk, contest.rules_en),
        "organising_body": contest.organising_body,
        "number_prefix": contest.number_prefix,
        "conflicts": {
            "same_oblast": contest.conflict_same_oblast,
            "same_community": contest.conflict_same_community,
        },
        "results": {"full_ranking": contest.results_full_ranking},
        "jury": {"two_factor": contest.jurors_two_factor},
        "attachments": {
            "types": list(contest.attachment_types),
            "max_file_size": contest.max_file_size,
            "max_total_size": contest.max_total_size,
        },
        "after_results": {
            "feedback": contest.feedback.value,
            "appeal_days": contest.appeal_days,
            "appeal_answer_days": contest.appeal_answer_days,
        },
    }


# Import of a contest -----------------------------------------------------------------


def parse_contest_document(data: bytes) -> dict:
    """The JSON document in ``data`` (UTF-8, a BOM allowed); decimals read as ``Decimal``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExchangeError([not_utf8(error)]) from error
    try:
        # NaN and Infinity read as decimals that the checks below refuse as numbers.
        return json.loads(text, parse_float=Decimal, parse_constant=Decimal)
    except json.JSONDecodeError as error:
        raise ExchangeError(
            [
                _(
                    "The file is not valid JSON: %(error)s (line %(line)s, column %(column)s).",
                    error=_JSON_ERRORS.get(error.msg, error.msg),
                    line=error.lineno,
                    column=error.colno,
                )
            ]
        ) from error
    except RecursionError as error:
        raise ExchangeError([_("The file is not valid JSON: it is nested too deeply.")]) from error
    except ValueError as error:  # an integer of more than 4300 digits
        raise ExchangeError(
            [_("The file is not valid JSON: a number in it has more than 4300 digits.")]
        ) from error


# What the json module says is wrong, in the organiser's language (its own words are English).
_JSON_ERRORS = {
    "Expecting value": _l("Expecting value"),
    "Expecting property name enclosed in double quotes": _l(
        "Expecting property name enclosed in double quotes"
    ),
    "Expecting ',' delimiter": _l("Expecting ',' delimiter"),
    "Expecting ':' delimiter": _l("Expecting ':' delimiter"),
    "Unterminated string starting at": _l("Unterminated string starting at"),
    "Invalid control character at": _l("Invalid control character at"),
    "Invalid \\escape": _l("Invalid \\escape"),
    "Invalid \\uXXXX escape": _l("Invalid \\uXXXX escape"),
    "Extra data": _l("Extra data"),
}


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _decimal_places(value: Decimal) -> int:
    return max(0, -int(value.as_tuple().exponent))


class _Reader:
    """Reads a parsed document field by field and keeps every problem with its path.

    Each reader returns the value, the default when the key is absent, or ``None`` when
    the value is wrong (its problem is recorded), so that checks across fields can skip
    what is already reported.
    """

    MISSING = object()

    def __init__(self, prefix: str = ""):
        self.problems: list[str] = []
        self.prefix = prefix  # ``rounds[0].``: where a later round's part begins

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{self.prefix}{path}: {message}")

    def object(self, value, path: str, fields) -> dict | None:
        if not isinstance(value, dict):
            self.problem(path, _("must be an object {…}"))
            return None
        for key in value:
            if key not in fields:
                self.problem(_at(path, key), _("unknown field"))
        return value

    def get(self, obj: dict | None, key: str, path: str, required: bool):
        if obj is None:
            return self.MISSING
        if key in obj:
            return obj[key]
        if required:
            self.problem(_at(path, key), _("is required"))
        return self.MISSING

    def text(self, obj, key, path, *, max_length, required=False, default=""):
        value = self.get(obj, key, path, required)
        if value is self.MISSING:
            return None if required else default
        where = _at(path, key)
        if not isinstance(value, str):
            self.problem(where, _("must be text"))
            return None
        if required and not value.strip():
            self.problem(where, _("must not be empty"))
            return None
        if "\x00" in value:
            self.problem(where, _("must not contain the NUL character"))
            return None
        if max_length <= ONE_LINE_MAX and LINE_BREAKS.search(value):
            self.problem(where, _("must be one line"))
            return None
        if len(value) > max_length:
            self.problem(where, _("must be at most %(max)s characters long", max=max_length))
            return None
        return value

    def matching(self, obj, key, path, pattern, message, *, max_length, required=False):
        value = self.text(obj, key, path, max_length=max_length, required=required, default=None)
        if value is not None and not pattern.fullmatch(value):
            self.problem(_at(path, key), message)
            return None
        return value

    def bilingual(self, obj, key, path, *, max_length, required=False):
        """``{"uk": ..., "en": ...}`` as a pair; Ukrainian is required where the field is."""
        value = self.get(obj, key, path, required)
        if value is self.MISSING:
            return (None, None) if required else ("", "")
        where = _at(path, key)
        value = self.object(value, where, ("uk", "en"))
        uk = self.text(value, "uk", where, max_length=max_length, required=required)
        en = self.text(value, "en", where, max_length=max_length)
        return uk, en

    def boolean(self, obj, key, path, *, default):
        value = self.get(obj, key, path, False)
        if value is self.MISSING:
            return default
        if not isinstance(value, bool):
            self.problem(_at(path, key), _("must be true or false"))
            return None
        return value

    def integer(self, obj, key, path, low, high, *, default=None, required=False, null=False):
        value = self.get(obj, key, path, required)
        if value is self.MISSING:
            return default
        if value is None and null:
            return None
        if (
            isinstance(value, Decimal)
            and value.is_finite()
            and low <= value <= high
            and value == value.to_integral_value()
        ):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(
                _at(path, key),
                _("must be a whole number from %(min)s to %(max)s", min=low, max=high),
            )
            return None
        return value

    def number(self, obj, key, path, *, places, default=None, required=False, null=False):
        """A JSON number as a ``Decimal`` with at most ``places`` decimal places."""
        value = self.get(obj, key, path, required)
        if value is self.MISSING:
            return default
        if value is None and null:
            return None
        where = _at(path, key)
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.problem(where, _("must be a number"))
            return None
        value = Decimal(value)
        if not value.is_finite():
            self.problem(where, _("must be a number"))
            return None
        if _decimal_places(value) > places:
            self.problem(where, _("must have at most %(places)s decimal places", places=places))
            return None
        return value

    def amount(self, obj, key, path):
        """An amount of hryvnias (SPEC §12): a decimal string such as ``"100000.00"`` or a
        JSON number, greater than 0, with at most two places; None when null or absent."""
        value = self.get(obj, key, path, False)
        if value is self.MISSING or value is None:
            return None
        where = _at(path, key)
        if isinstance(value, str):
            value = Decimal(value) if AMOUNT.fullmatch(value) else None
        elif isinstance(value, bool) or not isinstance(value, int | Decimal):
            value = None
        if value is None or not Decimal(value).is_finite():
            self.problem(
                where, _('must be an amount in hryvnias as a decimal string, e.g. "100000.00"')
            )
            return None
        value = Decimal(value)
        if decimal_places(value) > 2:
            self.problem(where, _("must have at most %(places)s decimal places", places=2))
            return None
        return self.in_range(value, where, Decimal(0), money.AMOUNT_MAX, above_low=True)

    def grants(self, obj, path) -> tuple:
        """The ``fund`` and ``max_request`` of ``obj``, checked together."""
        fund = self.amount(obj, "fund", path)
        limit = self.amount(obj, "max_request", path)
        if fund is None and (obj or {}).get("fund") is not None:
            return fund, limit  # a wrong fund, told already
        for name, message in money.fund_problems(fund, limit).items():
            self.problem(_at(path, name), str(message))
        return fund, limit

    def in_range(self, value, path, low, high, *, above_low=False):
        """``value`` if ``low`` ≤ (or <, with ``above_low``) ``value`` ≤ ``high``."""
        if value is None:
            return None
        if (value <= low if above_low else value < low) or value > high:
            if above_low:
                message = _(
                    "must be greater than %(min)s and at most %(max)s",
                    min=_number(low),
                    max=_number(high),
                )
            else:
                message = _(
                    "must be a number from %(min)s to %(max)s", min=_number(low), max=_number(high)
                )
            self.problem(path, message)
            return None
        return value

    def choice(self, obj, key, path, allowed, *, default=None, required=False):
        value = self.get(obj, key, path, required)
        if value is self.MISSING:
            return default
        if value not in allowed:
            self.problem(_at(path, key), _("must be one of: %(values)s", values=", ".join(allowed)))
            return None
        return value

    def items(self, obj, key, path, *, required=False):
        """The list under ``key`` as (path, item) pairs."""
        value = self.get(obj, key, path, required)
        if value is self.MISSING:
            return None if required else []
        if not isinstance(value, list):
            self.problem(_at(path, key), _("must be a list […]"))
            return None
        return [(_at(_at(path, key), i), item) for i, item in enumerate(value)]

    def unique(self, values: list[tuple[str, object]]) -> None:
        """Report every value already seen earlier in the list, naming where."""
        seen: dict = {}
        for path, value in values:
            if value is None:
                continue
            if value in seen:
                self.problem(
                    path,
                    _("“%(value)s” is already used in %(path)s", value=value, path=seen[value]),
                )
            else:
                seen[value] = path

    def section(self, obj, key, fields) -> dict | None:
        """An optional object at the top of the document; ``{}`` when absent."""
        value = self.get(obj, key, "", False)
        return {} if value is self.MISSING else self.object(value, key, fields)

    def moment(self, obj, key) -> datetime | None:
        """A required ISO 8601 date and time with its UTC offset, as UTC."""
        value = self.get(obj, key, "", True)
        if value is self.MISSING:
            return None
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
            moment = moment.astimezone(UTC) if moment and moment.utcoffset() is not None else None
        except (ValueError, OverflowError):
            moment = None
        if moment is None:
            self.problem(
                key,
                _(
                    "must be a date and time in ISO 8601 with the offset from UTC, "
                    "e.g. 2024-03-01T09:00:00+02:00"
                ),
            )
        return moment

    def strings(self, obj, key, path, allowed, *, message, default=()):
        """A list of distinct strings, each in ``allowed`` (or matching a pattern)."""
        entries = self.items(obj, key, path)
        if entries is None:
            return None
        if key not in (obj or {}):
            return None if default is None else list(default)
        ok = True
        for where, value in entries:
            fits = isinstance(value, str) and (
                allowed.fullmatch(value) if isinstance(allowed, re.Pattern) else value in allowed
            )
            if not fits:
                self.problem(where, message(value))
                ok = False
        repeated = len(self.problems)
        self.unique([(where, value) for where, value in entries if isinstance(value, str)])
        ok = ok and len(self.problems) == repeated
        return [value for _where, value in entries] if ok else None


def _default_prefix(slug: str) -> str:
    """``UU`` for ``uspishna-uchast-2024``: the initials of the words, or the slug's start."""
    initials = "".join(word[0] for word in slug.split("-") if not word.isdigit()).upper()
    if len(initials) >= 2:
        return initials[:12]
    return (slug.replace("-", "").upper() + "XX")[:3]


TOP_LEVEL = (
    "format",
    "slug",
    "title",
    "description",
    "applicant_kinds",
    "oblasts",
    "opens_at",
    "closes_at",
    "winners",
    "fund",
    "max_request",
    "categories",
    "scoring",
    "criteria",
    "questions",
    # Extensions.
    "rules",
    "organising_body",
    "number_prefix",
    "conflicts",
    "results",
    "jury",
    "attachments",
    "after_results",
    # Rounds (SPEC §13).
    "round",
    "rounds",
)
# A later round's own part of the document besides its ``title`` and ``weight`` (the
# rest is the first round's).
ROUND_SETTINGS = (
    "description",
    "opens_at",
    "closes_at",
    "winners",
    "fund",
    "max_request",
    "categories",
    "scoring",
    "criteria",
    "questions",
    "rules",
    "conflicts",
    "results",
    "jury",
    "attachments",
    "after_results",
)
ROUND = ("title", "weight", *ROUND_SETTINGS)
SCORING = (
    "aggregation",
    "normalise",
    "jurors_per_application",
    "quorum",
    "divergence_threshold",
    "min_total",
    "max_winners_per_oblast",
    "blind",
)
CRITERION = ("code", "title", "guidance", "max_points", "weight", "step", "min_points")
QUESTION = ("key", "label", "help", "kind", "required", *LIMITS)
CATEGORY = ("code", "title", "winners", "fund", "max_request")


def _read_settings(reader: _Reader, document: dict) -> dict:
    """The ``Contest`` column values of the document."""
    values: dict = {}
    if reader.get(document, "format", "", True) not in (FORMAT, reader.MISSING):
        reader.problem("format", _("must be “%(format)s”", format=FORMAT))
    values["slug"] = reader.matching(
        document,
        "slug",
        "",
        SLUG,
        _("use lowercase latin letters, digits and single hyphens between them"),
        max_length=80,
        required=True,
    )
    if values["slug"] in RESERVED_SLUGS:
        reader.problem("slug", _("this address is reserved; choose another one"))
    elif values["slug"] and db.session.scalar(
        select(Contest.id).where(Contest.slug == values["slug"])
    ):
        reader.problem("slug", _("another contest already has this slug"))
    values["title_uk"], values["title_en"] = reader.bilingual(
        document, "title", "", max_length=300, required=True
    )
    values["description_uk"], values["description_en"] = reader.bilingual(
        document, "description", "", max_length=20000
    )
    values["rules_uk"], values["rules_en"] = reader.bilingual(
        document, "rules", "", max_length=50000
    )
    values["organising_body"] = reader.text(
        document,
        "organising_body",
        "",
        max_length=300,
        default=current_app.config["ORGANISING_BODY"],
    )
    kinds = [kind.value for kind in OrganisationKind]
    values["applicant_kinds"] = reader.strings(
        document,
        "applicant_kinds",
        "",
        kinds,
        message=lambda _value: _("must be one of: %(values)s", values=", ".join(kinds)),
        default=kinds,
    )
    if values["applicant_kinds"] == []:
        reader.problem(
            "applicant_kinds", _("name at least one: %(values)s", values=", ".join(kinds))
        )
    values["oblasts"] = reader.strings(
        document,
        "oblasts",
        "",
        OBLASTS,
        message=lambda value: _("unknown oblast code “%(code)s”", code=value),
    )
    values["opens_at"] = reader.moment(document, "opens_at")
    values["closes_at"] = reader.moment(document, "closes_at")
    if values["opens_at"] and values["closes_at"] and values["closes_at"] <= values["opens_at"]:
        reader.problem("closes_at", _("must be later than opens_at"))
    values["winners"] = reader.integer(document, "winners", "", 1, 1000, default=5)
    values["fund"], values["max_request"] = reader.grants(document, "")
    if isinstance(document.get("categories"), list) and document["categories"]:
        for name in ("fund", "max_request"):
            if values[name] is not None:
                reader.problem(
                    name,
                    _("the contest has categories: give the %(key)s of each category", key=name),
                )
    prefix = reader.matching(
        document,
        "number_prefix",
        "",
        PREFIX,
        _("use from 2 to 12 latin capital letters and digits, e.g. UUG"),
        max_length=12,
    )
    if prefix is None and "number_prefix" not in document and values["slug"]:
        prefix = _default_prefix(values["slug"])
    values["number_prefix"] = prefix

    scoring = reader.section(document, "scoring", SCORING)
    aggregation = reader.choice(
        scoring, "aggregation", "scoring", [a.value for a in Aggregation], default="mean"
    )
    values["aggregation"] = aggregation and Aggregation(aggregation)
    normalise = reader.choice(
        scoring, "normalise", "scoring", [n.value for n in Normalise], default="none"
    )
    values["normalise"] = normalise and Normalise(normalise)
    values["jurors_per_application"] = reader.integer(
        scoring, "jurors_per_application", "scoring", 0, 100, default=0
    )
    values["quorum"] = reader.integer(scoring, "quorum", "scoring", 1, 100, default=2)
    values["divergence_threshold"] = reader.in_range(
        reader.number(scoring, "divergence_threshold", "scoring", places=3, default=Decimal("0.3")),
        "scoring.divergence_threshold",
        Decimal(0),
        Decimal(1),
        above_low=True,
    )
    values["min_total"] = reader.in_range(
        reader.number(scoring, "min_total", "scoring", places=2, default=Decimal(0)),
        "scoring.min_total",
        Decimal(0),
        Decimal(1_000_000),
    )
    values["max_winners_per_oblast"] = reader.integer(
        scoring, "max_winners_per_oblast", "scoring", 1, 1000, null=True
    )
    values["blind"] = reader.boolean(scoring, "blind", "scoring", default=False)

    conflicts = reader.section(document, "conflicts", ("same_oblast", "same_community"))
    values["conflict_same_oblast"] = reader.boolean(
        conflicts, "same_oblast", "conflicts", default=False
    )
    values["conflict_same_community"] = reader.boolean(
        conflicts, "same_community", "conflicts", default=False
    )
    results = reader.section(document, "results", ("full_ranking",))
    values["results_full_ranking"] = reader.boolean(
        results, "full_ranking", "results", default=True
    )
    jury = reader.section(document, "jury", ("two_factor",))
    values["jurors_two_factor"] = reader.boolean(jury, "two_factor", "jury", default=False)
    attachments = reader.section(
        document, "attachments", ("types", "max_file_size", "max_total_size")
    )
    values["attachment_types"] = reader.strings(
        attachments,
        "types",
        "attachments",
        MIME_TYPE,
        message=lambda _value: _("must be a file type such as application/pdf"),
        default=DEFAULT_ATTACHMENT_TYPES,
    )
    values["max_file_size"] = reader.integer(
        attachments, "max_file_size", "attachments", 1, LARGEST_FILE, default=10 * 1024 * 1024
    )
    values["max_total_size"] = reader.integer(
        attachments, "max_total_size", "attachments", 1, LARGEST_FILE, default=25 * 1024 * 1024
    )
    after = reader.section(
        document, "after_results", ("feedback", "appeal_days", "appeal_answer_days")
    )
    feedback = reader.choice(
        after, "feedback", "after_results", [f.value for f in Feedback], default="none"
    )
    values["feedback"] = feedback and Feedback(feedback)
    values["appeal_days"] = reader.integer(after, "appeal_days", "after_results", 0, 90, default=0)
    values["appeal_answer_days"] = reader.integer(
        after, "appeal_answer_days", "after_results", 1, 60, default=5
    )
    if (
        values["max_file_size"]
        and values["max_total_size"]
        and values["max_total_size"] < values["max_file_size"]
    ):
        reader.problem(
            "attachments.max_total_size", _("must not be less than attachments.max_file_size")
        )
    return values


def _read_criteria(reader: _Reader, document: dict) -> list[Criterion]:
    criteria, codes = [], []
    for position, (path, item) in enumerate(reader.items(document, "criteria", "") or []):
        item = reader.object(item, path, CRITERION)
        code = reader.matching(
            item,
            "code",
            path,
            CRITERION_CODE,
            _("use up to 20 latin capital letters, digits, dots or hyphens, e.g. C1"),
            max_length=20,
            required=True,
        )
        codes.append((_at(path, "code"), code))
        title_uk, title_en = reader.bilingual(item, "title", path, max_length=300, required=True)
        guidance_uk, guidance_en = reader.bilingual(item, "guidance", path, max_length=5000)
        step = reader.number(item, "step", path, places=28, default=Decimal(1))
        if step is not None and step not in (Decimal(1), Decimal("0.5")):
            reader.problem(_at(path, "step"), _("must be 1 or 0.5"))
            step = None
        max_points = reader.in_range(
            reader.number(item, "max_points", path, places=1, required=True),
            _at(path, "max_points"),
            Decimal(0),
            Decimal(1000),
            above_low=True,
        )
        if max_points is not None and step is not None and max_points % step:
            reader.problem(
                _at(path, "max_points"),
                _("must be a multiple of the step (%(step)s)", step=_number(step)),
            )
        weight = reader.in_range(
            reader.number(item, "weight", path, places=4, default=Decimal(1)),
            _at(path, "weight"),
            Decimal(0),
            Decimal(100),
            above_low=True,
        )
        min_points = reader.in_range(
            reader.number(item, "min_points", path, places=1, null=True),
            _at(path, "min_points"),
            Decimal(0),
            Decimal(1000),
        )
        if min_points is not None and max_points is not None and min_points > max_points:
            reader.problem(_at(path, "min_points"), _("must not exceed max_points"))
        criteria.append(
            Criterion(
                code=code,
                title_uk=title_uk,
                title_en=title_en,
                guidance_uk=guidance_uk,
                guidance_en=guidance_en,
                max_points=max_points,
                weight=weight,
                step=step,
                min_points=min_points,
                position=position,
            )
        )
    reader.unique(codes)
    return criteria


def _read_choices(reader: _Reader, item: dict, path: str) -> list[dict] | None:
    if item is None or "choices" not in item:
        return None
    entries = reader.items(item, "choices", path)
    if entries is None:
        return None
    if not 1 <= len(entries) <= MAX_CHOICES:
        reader.problem(_at(path, "choices"), _("give from 1 to %(max)s choices", max=MAX_CHOICES))
        return None
    choices, values = [], []
    for where, entry in entries:
        entry = reader.object(entry, where, ("value", "uk", "en"))
        value = reader.text(entry, "value", where, max_length=100, required=True)
        values.append((_at(where, "value"), value))
        uk = reader.text(entry, "uk", where, max_length=300, required=True)
        en = reader.text(entry, "en", where, max_length=300)
        choices.append({"value": value, "uk": uk, "en": en})
    reader.unique(values)
    return choices


def _read_questions(reader: _Reader, document: dict, attachment_types) -> list[Question]:
    questions, keys = [], []
    for position, (path, item) in enumerate(reader.items(document, "questions", "") or []):
        item = reader.object(item, path, QUESTION)
        key = reader.matching(
            item,
            "key",
            path,
            KEY,
            _("use latin letters, digits and underscores, starting with a letter"),
            max_length=40,
            required=True,
        )
        keys.append((_at(path, "key"), key))
        label_uk, label_en = reader.bilingual(item, "label", path, max_length=300, required=True)
        help_uk, help_en = reader.bilingual(item, "help", path, max_length=2000)
        kinds = [kind.value for kind in QuestionKind]
        kind = reader.choice(item, "kind", path, kinds, required=True)
        kind = kind and QuestionKind(kind)
        if kind is not None:
            for limit, kinds_with_it in LIMITS.items():
                if limit in item and kind not in kinds_with_it:
                    reader.problem(
                        _at(path, limit),
                        _(
                            "applies only to questions of kind %(kinds)s",
                            kinds=", ".join(k.value for k in kinds_with_it),
                        ),
                    )
        limits = {
            "max_length": reader.integer(item, "max_length", path, 1, 100_000, null=True),
            "min_value": reader.in_range(
                reader.number(item, "min_value", path, places=2, null=True),
                _at(path, "min_value"),
                Decimal(-999_999_999_999),
                Decimal(999_999_999_999),
            ),
            "max_value": reader.in_range(
                reader.number(item, "max_value", path, places=2, null=True),
                _at(path, "max_value"),
                Decimal(-999_999_999_999),
                Decimal(999_999_999_999),
            ),
            "choices": _read_choices(reader, item, path),
            "file_types": reader.strings(
                item,
                "file_types",
                path,
                MIME_TYPE,
                message=lambda _value: _("must be a file type such as application/pdf"),
                default=None,
            ),
        }
        if kind == QuestionKind.CHOICE and item is not None and "choices" not in item:
            reader.problem(
                _at(path, "choices"), _("give from 1 to %(max)s choices", max=MAX_CHOICES)
            )
        low, high = limits["min_value"], limits["max_value"]
        if low is not None and high is not None and high < low:
            reader.problem(_at(path, "max_value"), _("must not be less than min_value"))
        types = limits["file_types"]
        if types and attachment_types:
            for i, file_type in enumerate(types):
                if file_type not in attachment_types:
                    reader.problem(
                        _at(_at(path, "file_types"), i),
                        _(
                            "must be one of attachments.types: %(types)s",
                            types=", ".join(attachment_types),
                        ),
                    )
        questions.append(
            Question(
                key=key,
                label_uk=label_uk,
                label_en=label_en,
                help_uk=help_uk,
                help_en=help_en,
                kind=kind,
                required=reader.boolean(item, "required", path, default=False),
                position=position,
                **limits,
            )
        )
    reader.unique(keys)
    return questions


def _read_categories(reader: _Reader, document: dict) -> list[Category]:
    categories, codes = [], []
    for position, (path, item) in enumerate(reader.items(document, "categories", "") or []):
        item = reader.object(item, path, CATEGORY)
        code = reader.matching(
            item,
            "code",
            path,
            CATEGORY_CODE,
            _("use up to 40 latin letters, digits, dots, hyphens or underscores, e.g. ngo"),
            max_length=40,
            required=True,
        )
        codes.append((_at(path, "code"), code))
        title_uk, title_en = reader.bilingual(item, "title", path, max_length=300, required=True)
        winners = reader.integer(item, "winners", path, 1, 1000, required=True)
        fund, max_request = reader.grants(item, path)
        categories.append(
            Category(
                code=code,
                title_uk=title_uk,
                title_en=title_en,
                winners=winners,
                position=position,
                fund=fund,
                max_request=max_request,
            )
        )
    reader.unique(codes)
    return categories


def _find_organisers(reader: _Reader, emails) -> list[User]:
    wanted = list(dict.fromkeys(email.strip().lower() for email in emails))
    found = {
        user.email: user for user in db.session.scalars(select(User).where(User.email.in_(wanted)))
    }
    organisers = []
    for email in wanted:
        user = found.get(email)
        if user is None:
            reader.problem(f"--organiser {email}", _("there is no user with this e-mail"))
        elif user.role != Role.ORGANISER:
            reader.problem(
                f"--organiser {email}",
                _("this user is not an organiser (role: %(role)s)", role=role_label(user.role)),
            )
        else:
            organisers.append(user)
    return organisers


def import_contest(
    document,
    organiser_emails=(),
    *,
    actor: User | None = None,
    dry_run=False,
    via="cli",
    **details,
) -> Contest | None:
    """Create the draft contest the document describes, or raise ``ExchangeError`` with
    every problem of the document and of the organisers named, having changed nothing.
    A ``dry_run`` checks everything, creates nothing and returns None. ``via`` and
    ``details`` go into the audit entry (``copy`` and the source's id when an organiser
    copies a contest in the browser).
    """
    reader = _Reader()
    document = reader.object(document, "", TOP_LEVEL)
    if document is None:
        raise ExchangeError([_("The document must be a JSON object {…}.")])
    read = [_read_contest(reader, document)]
    first_round = reader.section(document, "round", ("title", "weight"))
    read[0].values |= _read_round_part(reader, first_round, "round")
    read += _read_rounds(reader, document, read[0].values)
    organisers = _find_organisers(reader, organiser_emails)
    if reader.problems:
        raise ExchangeError(reader.problems)
    if dry_run:
        return None
    created: list[Contest] = []
    for number, part in enumerate(read, start=1):
        contest = Contest(
            **part.values,
            stage=Stage.DRAFT,
            last_number=0,
            organisers=list(organisers),
            previous_round_id=created[-1].id if created else None,
        )
        contest.criteria, contest.questions = part.criteria, part.questions
        contest.categories = part.categories
        db.session.add(contest)
        db.session.flush()
        audit.record(
            "contest.imported",
            actor=actor,
            contest=contest,
            obj=contest,
            slug=contest.slug,
            criteria=len(part.criteria),
            questions=len(part.questions),
            categories=len(part.categories),
            organisers=[user.id for user in organisers],
            via=via,
            **details,
            **({"round": number} if len(read) > 1 else {}),
        )
        created.append(contest)
    return created[0]


@dataclass
class _Read:
    """One contest (one round) of a document, read: its columns and its lists."""

    values: dict
    criteria: list[Criterion]
    questions: list[Question]
    categories: list[Category]


def _read_contest(reader: _Reader, document: dict) -> _Read:
    values = _read_settings(reader, document)
    return _Read(
        values,
        _read_criteria(reader, document),
        _read_questions(reader, document, values["attachment_types"]),
        _read_categories(reader, document),
    )


def _read_round_part(reader: _Reader, part: dict | None, path: str) -> dict:
    """A round's ``title`` and ``weight`` (percent of the final score) as ``Contest``
    columns."""
    uk, en = reader.bilingual(part, "title", path, max_length=300)
    weight = reader.in_range(
        reader.number(part, "weight", path, places=2, null=True),
        _at(path, "weight"),
        Decimal(0),
        Decimal(100),
        above_low=True,
    )
    return {"round_title_uk": uk, "round_title_en": en, "round_weight": weight}


def _read_rounds(reader: _Reader, document: dict, first: dict) -> list[_Read]:
    """The later rounds of ``rounds``, each read as a contest of its own, its problems
    under ``rounds[i]``: its address and number prefix made from the first round's, the
    title, applicants and organising body the first round's."""
    read, previous = [], first
    written = document.get("round")
    written = written.get("weight") if isinstance(written, dict) else None
    shares = [("round.weight", first["round_weight"], written)]
    slugs, prefixes = {first["slug"]}, {first["number_prefix"]}
    entries = reader.items(document, "rounds", "") or []
    if len(entries) >= rounds.MAX_ROUNDS:
        reader.problem("rounds", _("give at most %(max)s later rounds", max=rounds.MAX_ROUNDS - 1))
        return []
    for number, (path, item) in enumerate(entries, start=2):
        item = reader.object(item, path, ROUND)
        if item is None:
            continue
        slug = naming.round_slug(
            first["slug"] or "konkurs", number, lambda s: s in slugs or slug_taken(s)
        )
        slugs.add(slug)
        own = _Reader(prefix=f"{path}.")
        part = _read_contest(
            own,
            {key: item[key] for key in ROUND_SETTINGS if key in item}
            | {
                "format": FORMAT,
                "slug": slug,
                "title": {"uk": first["title_uk"] or slug, "en": ""},
                "number_prefix": "ROUND",  # made below, once the dates are read
            },
        )
        values = part.values
        values |= {key: first[key] for key in rounds.SHARED}
        values |= _read_round_part(own, item, "")
        values["number_prefix"] = naming.round_prefix(
            first["number_prefix"] or "R",
            number,
            lambda prefix, values=values: prefix in prefixes or _prefix_taken(prefix, values),
        )
        prefixes.add(values["number_prefix"])
        opens, closed = values["opens_at"], previous["closes_at"]
        if opens and closed and opens < closed:
            own.problem("opens_at", _("must not be earlier than closes_at of the round before"))
        reader.problems += own.problems
        read.append(part)
        shares.append((_at(path, "weight"), values["round_weight"], item.get("weight")))
        previous = values
    _check_weights(reader, shares)
    return read


def _prefix_taken(prefix: str, values: dict) -> bool:
    """Another contest numbers applications of the same year with ``prefix``."""
    if not values["opens_at"] or not values["closes_at"]:
        return False
    return bool(contests_sharing_numbers(prefix, values["opens_at"], values["closes_at"]))


def _check_weights(reader: _Reader, shares: list[tuple[str, Decimal | None, object]]) -> None:
    """``rounds.weights_problem`` of the shares read, at the share to correct; ``shares``
    are (path, share read, value written), a wrong value being told already."""
    if any(read is None and written is not None for _path, read, written in shares):
        return
    problem = rounds.shares_problem([read for _path, read, _written in shares])
    if problem is None:
        return
    missing = [path for path, read, _written in shares if read is None]
    path = missing[0] if missing else "rounds"
    reader.problem("round.weight" if len(shares) == 1 else path, str(problem))


def contests_with_prefix(contest: Contest) -> list[str]:
    """The slugs of other contests whose registration numbers could collide with this one's."""
    return contests_sharing_numbers(
        contest.number_prefix, contest.opens_at, contest.closes_at, exclude_id=contest.id
    )
