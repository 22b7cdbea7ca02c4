"""Language and formatting: Ukrainian first, English second (SPEC §1).

Dates read "15 вересня 2021 р." and times are shown in Europe/Kyiv.
"""

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache, lru_cache

from babel import numbers
from flask import current_app, has_request_context, session
from flask_babel import (
    force_locale,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    ngettext,
    pgettext,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user

from . import declension, ranking

LANGUAGE_NAMES = {"uk": "Українська", "en": "English"}

ROLE_LABELS = {"organiser": _l("organiser"), "juror": _l("juror"), "applicant": _l("applicant")}
KIND_LABELS = {"community": _l("territorial community"), "ngo": _l("NGO")}
STATUS_LABELS = {
    "active": _l("works in its own territory"),
    "relocated": _l("relocated"),
    "occupied": _l("territory temporarily occupied"),
}
STAGE_LABELS = {
    "draft": _l("Draft"),
    "open": _l("Accepting applications"),
    "screening": _l("Applications are being screened"),
    "judging": _l("The jury is scoring"),
    "deliberation": _l("The jury is deliberating"),
    "published": _l("Results published"),
    "archived": _l("Archived"),
}
# How a contest combines the jurors' totals (SPEC §4), by the settings' values.
AGGREGATION_LABELS = {
    "mean": _l("Mean of the jurors’ totals"),
    "median": _l("Median of the jurors’ totals"),
    "trimmed_mean": _l("Mean without the highest and the lowest total (with 4 or more jurors)"),
    "sum": _l("Sum of the jurors’ totals"),
}
NORMALISE_LABELS = {
    "none": _l("No normalisation"),
    "zscore": _l("Standardise each juror’s totals (z-score)"),
}
# What applicants learn of their scores after publication (SPEC §14).
FEEDBACK_LABELS = {
    "none": _l("None: applicants see their result only"),
    "scores": _l("Each applicant’s mean score per criterion against the maximum"),
    "comments": _l(
        "The mean scores per criterion and the jurors’ comments, without names and in no "
        "order that shows who wrote them"
    ),
}

# The questions of the jury's meeting (``models.AgendaItem``), as its protocol words them.
AGENDA_LABELS = {
    "conflicts": _l("On the members’ declarations of conflicts of interest."),
    "scoring": _l("On the results of scoring the applications."),
    "divergences": _l("On applications with divergent scores."),
    "ranking": _l("On the ranking of the applications and the winners of the contest."),
}

# ISO 3166-2:UA codes with their names (SPEC §2).
OBLASTS = {
    "UA-05": _l("Vinnytsia Oblast"),
    "UA-07": _l("Volyn Oblast"),
    "UA-09": _l("Luhansk Oblast"),
    "UA-12": _l("Dnipropetrovsk Oblast"),
    "UA-14": _l("Donetsk Oblast"),
    "UA-18": _l("Zhytomyr Oblast"),
    "UA-21": _l("Zakarpattia Oblast"),
    "UA-23": _l("Zaporizhzhia Oblast"),
    "UA-26": _l("Ivano-Frankivsk Oblast"),
    "UA-30": _l("Kyiv City"),
    "UA-32": _l("Kyiv Oblast"),
    "UA-35": _l("Kirovohrad Oblast"),
    "UA-40": _l("Sevastopol City"),
    "UA-43": _l("Autonomous Republic of Crimea"),
    "UA-46": _l("Lviv Oblast"),
    "UA-48": _l("Mykolaiv Oblast"),
    "UA-51": _l("Odesa Oblast"),
    "UA-53": _l("Poltava Oblast"),
    "UA-56": _l("Rivne Oblast"),
    "UA-59": _l("Sumy Oblast"),
    "UA-61": _l("Ternopil Oblast"),
    "UA-63": _l("Kharkiv Oblast"),
    "UA-65": _l("Kherson Oblast"),
    "UA-68": _l("Khmelnytskyi Oblast"),
    "UA-71": _l("Cherkasy Oblast"),
    "UA-74": _l("Chernihiv Oblast"),
    "UA-77": _l("Chernivtsi Oblast"),
}


# Where people look for them in a list: the city of Kyiv beside Kyiv Oblast, Crimea and
# Sevastopol under their own names (not under «А» and «м.»).
OBLAST_SORT_NAMES = {"UA-30": _l("Kyiv"), "UA-40": _l("Sevastopol"), "UA-43": _l("Crimea")}
UKRAINIAN_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
_LETTER_ORDER = {letter: number for number, letter in enumerate(UKRAINIAN_ALPHABET)}


# Flask-Babel's lazy strings say they are HTML (``__html__``), so Jinja, markupsafe and
# WTForms' labels print one as markup: a message holding a person's words — a cell of an
# imported file, a juror's name in a label or a refusal — would run as HTML. None of
# our messages holds markup (tests/test_i18n.py checks the catalogue), so they are text
# again and escaped like any other.
if "__html__" in vars(LazyString):
    del LazyString.__html__


def collation_key(text: str) -> tuple[int, ...]:
    """Sorts Ukrainian text in alphabetical order (ґ after г, є after е, і and ї after и),
    which code points do not; other characters follow by code point, after the letters."""
    return tuple(_LETTER_ORDER.get(c, 100 + ord(c)) for c in text.casefold())


def oblast_choices() -> list[tuple[str, str]]:
    """(code, name) of every oblast in the alphabetical order of the page's language."""
    return sorted(
        ((code, str(name)) for code, name in OBLASTS.items()),
        key=lambda item: collation_key(str(OBLAST_SORT_NAMES.get(item[0], item[1]))),
    )


def select_locale() -> str:
    """The signed-in user's language, else the one chosen in this session, else Ukrainian."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("language")
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale())


def _label(labels: dict):
    return lambda value: str(labels.get(str(value), value))


role_label = _label(ROLE_LABELS)
kind_label = _label(KIND_LABELS)
status_label = _label(STATUS_LABELS)
stage_label = _label(STAGE_LABELS)
oblast_name = _label(OBLASTS)


# Reading what people write in files (SPEC §15) ------------------------------------------

_SHORT_KINDS = {"громада": "community", "тг": "community", "отг": "community", "го": "ngo"}
_SHORT_STATUSES = {
    "діє": "active",
    "працює": "active",
    "активна": "active",
    "релокована": "relocated",
    "переміщена": "relocated",
    "окупована": "occupied",
    "тимчасово окупована": "occupied",
}
_OBLAST_WORDS = frozenset({"область", "обл", "м", "місто"})  # «Харківська обл.», «м. Київ»


def _folded(text: str) -> str:
    words = text.casefold().replace("ʼ", "’").replace("'", "’").replace(".", " ").split()
    return " ".join(words)


def _short(name: str) -> str:
    return " ".join(word for word in name.split() if word not in _OBLAST_WORDS)


@cache
def _names_read() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """{folded name: code} of the oblasts, the kinds and the statuses, in Ukrainian and in
    English."""
    oblasts, kinds, statuses = {}, dict(_SHORT_KINDS), dict(_SHORT_STATUSES)
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            for code, label in OBLASTS.items():
                name = _folded(str(label))
                oblasts[name] = code
                if language == "uk":  # «Харківська», «Київ»: the adjective tells them apart
                    oblasts[_short(name)] = code
            kinds |= {_folded(str(label)): code for code, label in KIND_LABELS.items()}
            statuses |= {_folded(str(label)): code for code, label in STATUS_LABELS.items()}
    return oblasts, kinds, statuses


def oblast_code(text: str) -> str | None:
    """The ISO 3166-2:UA code of the oblast ``text`` names: the code itself («ua-63») or
    the oblast's name, in Ukrainian with or without «область» («Харківська», «Харківська
    обл.», «м. Київ») or in English («Kharkiv Oblast»); None for anything else."""
    code = text.strip().upper()
    if code in OBLASTS:
        return code
    names = _names_read()[0]
    return names.get(_folded(text)) or names.get(_short(_folded(text)))


def kind_code(text: str) -> str | None:
    """``community`` or ``ngo`` for the code itself or the kind's name («громадська
    організація», «ГО», «територіальна громада», «NGO»); None for anything else."""
    code = text.strip().lower()
    if code in KIND_LABELS:
        return code
    return _names_read()[1].get(_folded(text))


def status_code(text: str) -> str | None:
    """``active``, ``relocated`` or ``occupied`` for the code itself or the status's name
    («релокована», «територія тимчасово окупована», «працює на своїй території»); None
    for anything else."""
    code = text.strip().lower()
    if code in STATUS_LABELS:
        return code
    return _names_read()[2].get(_folded(text))


# CLDR puts a narrow no-break space before «р.»; documents and searches want a plain one.
DATE_PATTERNS = {"uk": "d MMMM y 'р.'"}


def long_date(value: date | datetime | None) -> str:
    """«15 вересня 2021 р.» (the date in Kyiv for a moment in time)."""
    if not value:
        return ""
    return format_date(value, DATE_PATTERNS.get(current_language(), "long"))


def long_datetime(value: datetime | None) -> str:
    """«15 вересня 2021 р., 18:00» in Europe/Kyiv."""
    if not value:
        return ""
    return f"{long_date(value)}, {format_datetime(value, 'HH:mm')}"


MINUS = "\u2212"  # «−5,41»: a real minus sign on pages and in documents, not a hyphen


def _with_minus(text: str) -> str:
    return MINUS + text[1:] if text.startswith("-") else text


def points(value) -> str:
    """A score for display: two decimals, rounded half up (SPEC §6.4), «87,33» in Ukrainian,
    «−5,41» with a minus sign. An exact score (a ``Fraction``) is rounded exactly, as the
    engine rounds it."""
    if value is None:
        return ""
    if isinstance(value, Fraction):
        value = ranking.format_score(value)
    rounded = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return _points_text(str(rounded), str(get_locale()))


@lru_cache(maxsize=4096)
def _points_text(rounded: str, locale: str) -> str:
    """``points`` of a value rounded, in a language: Babel takes some 20 µs a number, and
    a ranking page shows the same few hundred totals and scores at every rendering."""
    return _with_minus(numbers.format_decimal(Decimal(rounded), "#,##0.00", locale=locale))


def number(value) -> str:
    """A setting such as a weight or a maximum: «1,5», «10»; «−0,5» with a minus sign."""
    if value is None:
        return ""
    return _with_minus(format_decimal(Decimal(value).normalize(), format="#,##0.##"))


def percent(value) -> str:
    """A fraction as a percentage: «30 %» in Ukrainian (a no-break space before the sign,
    as Ukrainian typography wants), «30%» in English."""
    text = format_decimal(Decimal(value) * 100, format="#,##0.##")
    return f"{text}\u00a0%" if current_language() == "uk" else f"{text}%"


def input_number(value) -> str:
    """A number as a person types it back into a form: «7,5» in Ukrainian, «7.5» in
    English, every digit kept and no group separators (forms read both marks)."""
    if value is None:
        return ""
    plain = format(Decimal(value).normalize(), "f")
    return plain.replace(".", ",") if current_language() == "uk" else plain


def money(value, unit: bool = True) -> str:
    """An amount of hryvnias for pages, files and documents: «48 000,00 грн» in
    Ukrainian, «48,000.00 UAH» in English; exact (two places, as stored), the spaces
    non-breaking so that the amount never splits across lines (SPEC §12). ``unit=False``:
    the number alone, for a table column whose heading names the unit."""
    if value is None:
        return ""
    amount = format_decimal(Decimal(value), format="#,##0.00")
    if not unit:
        return amount
    return amount + "\u00a0" + _("UAH")


def input_amount(value) -> str:
    """An amount as a person types it back into a form: «48000,50» in Ukrainian."""
    if value is None:
        return ""
    plain = f"{Decimal(value):.2f}"
    return plain.replace(".", ",") if current_language() == "uk" else plain


# Digits in groups of three, separated by spaces (plain, non-breaking or narrow) or
# apostrophes, as people and spreadsheets write thousands: «1 250», «48 000,50».
_GROUPED = re.compile(r"[+\-\u2212]?\d{1,3}(?:[ \u00a0\u202f']\d{3})+(?:[.,]\d+)?", re.ASCII)
_SEPARATORS = re.compile(r"[ \u00a0\u202f']")
# A number as written by hand: digits, then perhaps a decimal comma or point and more
# digits. Not «7,» or «,5» (half-typed), «1e3» or «1_000» (Python's, not people's), nor
# digits of other scripts («１２３»): each is refused, not guessed.
_PLAIN = re.compile(r"[+\-\u2212]?\d+(?:[.,]\d+)?", re.ASCII)


def parse_number(value: str) -> Decimal | None:
    """A number as a person types it: «1 250», «12,5», «-3» or «−3», «48 000,00»; None
    when it is not one. Spaces separate thousands only (groups of three digits): «12 50»
    is refused, not guessed."""
    text = value.strip()
    if _GROUPED.fullmatch(text):
        text = _SEPARATORS.sub("", text)
    if not _PLAIN.fullmatch(text):
        return None
    return Decimal(text.replace(",", ".").replace("\u2212", "-"))


def file_size_text(size: int) -> str:
    """«2.5 MB», «340 KB», «12 B»: the size of a file for messages, pages and documents."""
    if size >= 1024 * 1024:
        return _("%(size)s MB", size=format_decimal(round(size / 1024 / 1024, 1), "#,##0.#"))
    if size >= 1024:
        return _("%(size)s KB", size=format_decimal(size // 1024, "#,##0"))
    return _("%(size)s B", size=size)


# The jury's meeting (SPEC §16) ---------------------------------------------------


def quorum_sentence(present: int, members: int, needed: int) -> str:
    """«Присутні 5 з 7 членів комісії, засідання правомочне.» (or «… неправомочне»)."""
    if present == 1:
        presence = ngettext(
            "%(present)d of %(num)d member of the commission is present",
            "%(present)d of %(num)d members of the commission is present",
            members,
            present=present,
        )
    else:
        presence = ngettext(
            "%(present)d of %(num)d member of the commission are present",
            "%(present)d of %(num)d members of the commission are present",
            members,
            present=present,
        )
    if present >= needed:
        return _("%(presence)s; the meeting is quorate.", presence=presence)
    return _(
        "%(presence)s; the meeting is not quorate (the quorum is %(needed)s).",
        presence=presence,
        needed=needed,
    )


# Names in sentences (SPEC §16) ---------------------------------------------------


def person_in(case: str, name: str) -> str | None:
    """A person's name in a grammatical case of the current language: Ukrainian declines
    it («без Олени Коваленко»), None when that cannot be done for certain (the caller
    then words the sentence with the name in the nominative); English keeps it."""
    if current_language() != "uk":
        return name
    return declension.person_case(name, case)


def organisation_in(case: str, name: str) -> str | None:
    """An organisation's name in a grammatical case, as ``person_in``: «Заявку
    Апостолівської міської ради подано»."""
    if current_language() != "uk":
        return name
    return declension.organisation_case(name, case)


def greeting(name: str) -> str:
    """The first line of a letter: «Шановна пані Ольго!», «Шановний пане Андрію!»,
    «Шановна Ольго Петрівно!»; «Добрий день!» when the vocative cannot be formed for
    certain; in English «Hello, Olena Kovalenko!»."""
    if current_language() != "uk":
        return _("Hello, %(name)s!", name=name) if name else _("Hello!")
    found = declension.address(name or "")
    if found is None:
        return _("Hello!")
    if found.with_patronymic:
        if found.gender == "femn":
            return pgettext("a woman, by name and patronymic", "Dear %(name)s!", name=found.name)
        return pgettext("a man, by name and patronymic", "Dear %(name)s!", name=found.name)
    if found.gender == "femn":
        return pgettext("a woman, by first name", "Dear Ms %(name)s!", name=found.name)
    return pgettext("a man, by first name", "Dear Mr %(name)s!", name=found.name)


def register(app) -> None:
    app.jinja_env.filters.update(
        long_date=long_date,
        long_datetime=long_datetime,
        oblast=oblast_name,
        points=points,
        number=number,
        percent=percent,
        input_number=input_number,
        money=money,
        kind_label=kind_label,
    )
    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_language=current_language,
        role_label=role_label,
        kind_label=kind_label,
        status_label=status_label,
        stage_label=stage_label,
        greeting=greeting,
        quorum_sentence=quorum_sentence,
        person_in=person_in,
        organisation_in=organisation_in,
    )
