"""Ukrainian names in grammatical cases: people and organisations (SPEC §16).

A sentence that puts a name into a case («без Олени Коваленко», «Заявку Апостолівської
міської ради подано», «Шановна пані Ольго!») takes it from here. Every function gives
``None`` when it cannot decline the name with certainty; the caller then words the
sentence so that the name stays in the nominative. A wrong case is worse than a plainer
sentence.

People: «Олена Коваленко», «Коваленко Олена», «Коваленко Олена Петрівна», «Олена
Петрівна Коваленко», or a first name alone («Олена»). The first name must be one the
dictionary knows as a first name of one gender (the gender decides the surname:
«Андрія Мельника», but «Ірини Бондар»); surnames follow the dictionary, or, for
surnames it does not know, the rules of the grammar that hold without exception (a
woman's surname ending in a consonant or in «-о» does not change; a man's «-о» becomes
«-а»: «Загорулька»; «-ська», «-ський» decline as adjectives). Anything else gives
``None``.

Organisations: the leading adjectives and the noun they describe change, the rest stays
(«Виконавчого комітету Апостолівської міської ради», «Громадської організації
«Світанок»»); a name that begins with an abbreviation («ГО «Світанок»», «ТОВ …») or a
quotation mark does not change at all.

The dictionary is pymorphy3 with pymorphy3-dicts-uk (OpenCorpora's format for
Ukrainian), loaded once per process on first use.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pymorphy3

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct", "voct")
APOSTROPHES = "’ʼ`"  # the dictionary writes the apostrophe as '
QUOTES = "«\"“„'"
WORD = re.compile(r"^[А-ЩЬЮЯЄІЇҐа-щьюяєіїґ'’ʼ`-]+$")


@functools.cache
def _analyzer() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer(lang="uk")


def _known(parse) -> bool:
    """Found in the dictionary itself, not guessed from the word's ending."""
    return type(parse.methods_stack[0][0]).__name__ == "DictionaryAnalyzer"


def _parses(word: str):
    plain = word
    for mark in APOSTROPHES:
        plain = plain.replace(mark, "'")
    return [p for p in _analyzer().parse(plain.lower()) if _known(p)]


def _restore(form: str, original: str) -> str:
    """``form`` with the capitals and the apostrophe of ``original``, part by part."""
    mark = next((m for m in APOSTROPHES if m in original), "'")
    form = form.replace("'", mark)
    parts, originals = form.split("-"), original.split("-")
    if len(parts) != len(originals):
        return form.capitalize() if original[:1].isupper() else form
    restored = []
    for part, source in zip(parts, originals, strict=True):
        if source.isupper() and len(source) > 1:
            restored.append(part.upper())
        elif source[:1].isupper():
            restored.append(part[:1].upper() + part[1:])
        else:
            restored.append(part)
    return "-".join(restored)


def _one(forms: set[str]) -> str | None:
    return forms.pop() if len(forms) == 1 else None


def _inflect(parses, case: str) -> str | None:
    """The word in ``case`` when every reading agrees on it, else None."""
    forms = set()
    for parse in parses:
        form = parse.inflect({case})
        if form is None:
            return None
        forms.add(form.word)
    return _one(forms)


# People --------------------------------------------------------------------------


def _first_name_gender(word: str) -> str | None:
    genders = {p.tag.gender for p in _parses(word) if "Name" in p.tag and p.tag.case == "nomn"}
    return _one(genders)


def _is_first_name(word: str) -> bool:
    return all(_first_name_gender(part) for part in word.split("-"))


def _is_patronymic(word: str) -> bool:
    return any("Patr" in p.tag and p.tag.case == "nomn" for p in _parses(word))


def _given(word: str, gender: str, case: str, grammeme: str) -> str | None:
    """A first name or a patronymic (``grammeme`` Name or Patr) of ``gender`` in ``case``."""
    parts = []
    for part in word.split("-"):
        parses = [
            p
            for p in _parses(part)
            if grammeme in p.tag and p.tag.case == "nomn" and p.tag.gender == gender
        ]
        form = _inflect(parses, case) if parses else None
        if form is None:
            return None
        parts.append(_restore(form, part))
    return "-".join(parts)


VOWELS = "аеєиіїоуюя"
ADJECTIVAL = ("ська", "цька", "зька", "ський", "цький", "зький")
# The endings of the cases that change, by gender: adjectival surnames (Ковальська,
# Ковальський) and men's surnames in «-о» (Коваленко, Загорулько).
ADJECTIVE_ENDINGS = {
    "femn": ("а", {"gent": "ої", "datv": "ій", "accs": "у", "ablt": "ою", "loct": "ій"}),
    "masc": ("ий", {"gent": "ого", "datv": "ому", "accs": "ого", "ablt": "им", "loct": "ому"}),
}
MASCULINE_O = {"gent": "а", "datv": "ові", "accs": "а", "ablt": "ом", "loct": "ові", "voct": "у"}


def _surname_by_rule(word: str, gender: str, case: str) -> str | None:
    """A surname the dictionary does not know, by the rules without exceptions."""
    lower = word.lower()
    if lower.endswith(ADJECTIVAL):
        nominative, endings = ADJECTIVE_ENDINGS[gender]
        if not lower.endswith(nominative):
            return None
        if case == "voct":
            return word
        return word[: -len(nominative)] + endings[case] if case in endings else None
    if gender == "femn" and (lower[-1] not in VOWELS or lower.endswith("о")):
        return word  # Мельник, Коваленко: a woman's surname that never changes
    if gender == "masc" and lower.endswith("о") and case in MASCULINE_O:
        return word[:-1] + MASCULINE_O[case]
    return None


def _surname(word: str, gender: str, case: str) -> str | None:
    parts = []
    for part in word.split("-"):
        parses = [
            p
            for p in _parses(part)
            if "Surn" in p.tag and p.tag.gender == gender and p.tag.case == "nomn"
        ]
        form = _inflect(parses, case) if parses else None
        if form is None:
            form = _surname_by_rule(part, gender, case)
        if form is None:
            return None
        parts.append(_restore(form, part))
    return "-".join(parts)


@dataclass(frozen=True)
class Person:
    """A person's name as its parts: which is the first name, the patronymic, the surname."""

    gender: str  # "masc" or "femn"
    first: str
    patronymic: str  # "" without one
    surname: str  # "" without one («Олена»)
    order: tuple[str, ...]  # the parts as written: ("first", "surname"), …


def person(full_name: str) -> Person | None:
    """The parts of a person's name, or None when they cannot be told apart for certain."""
    words = full_name.split()
    if not 1 <= len(words) <= 3 or not all(WORD.match(w) for w in words):
        return None
    patronymics = [i for i, w in enumerate(words) if _is_patronymic(w)]
    names = [i for i, w in enumerate(words) if _is_first_name(w)]
    if len(words) == 1:  # «Олена»: a first name alone
        if names != [0]:
            return None
        first, patronymic = 0, None
    elif len(words) == 3:
        if len(patronymics) != 1 or patronymics[0] == 0 or patronymics[0] - 1 not in names:
            return None
        first, patronymic = patronymics[0] - 1, patronymics[0]
    else:
        if patronymics or len(names) != 1:
            return None
        first, patronymic = names[0], None
    gender = _one({_first_name_gender(part) for part in words[first].split("-")})
    if gender is None:
        return None
    if patronymic is not None and not any(
        "Patr" in p.tag and p.tag.gender == gender for p in _parses(words[patronymic])
    ):
        return None
    surname = next((i for i in range(len(words)) if i not in (first, patronymic)), None)
    roles = {first: "first"}
    if surname is not None:
        roles[surname] = "surname"
    if patronymic is not None:
        roles[patronymic] = "patronymic"
    return Person(
        gender=gender,
        first=words[first],
        patronymic=words[patronymic] if patronymic is not None else "",
        surname=words[surname] if surname is not None else "",
        order=tuple(roles[i] for i in range(len(words))),
    )


def person_case(full_name: str, case: str) -> str | None:
    """«Олена Коваленко» in ``case`` («Олени Коваленко»), the order of the words kept."""
    found = person(full_name)
    if found is None:
        return None
    parts = {
        "first": _given(found.first, found.gender, case, "Name"),
        "patronymic": _given(found.patronymic, found.gender, case, "Patr")
        if found.patronymic
        else "",
        "surname": _surname(found.surname, found.gender, case) if found.surname else "",
    }
    if any(parts[role] is None for role in found.order):
        return None
    return " ".join(parts[role] for role in found.order)


def genitive(full_name: str) -> str | None:
    """«Андрій Мельник» → «Андрія Мельника»; «Ірина Бондар» → «Ірини Бондар»."""
    return person_case(full_name, "gent")


@dataclass(frozen=True)
class Address:
    """How to address a person in a letter: the first name (and patronymic) in the
    vocative, and the gender for «Шановна пані» / «Шановний пане»."""

    gender: str
    name: str  # «Ольго», «Ольго Петрівно»
    with_patronymic: bool


def address(full_name: str) -> Address | None:
    """«Ольга Петрівна Іваненко» → Address("femn", "Ольго Петрівно", True); None when
    the first name or its gender is not certain."""
    found = person(full_name)
    if found is None:
        return None
    first = _given(found.first, found.gender, "voct", "Name")
    if first is None:
        return None
    if not found.patronymic:
        return Address(found.gender, first, False)
    patronymic = _given(found.patronymic, found.gender, "voct", "Patr")
    if patronymic is None:
        return Address(found.gender, first, False)
    return Address(found.gender, f"{first} {patronymic}", True)


# Organisations -------------------------------------------------------------------


def _is_abbreviation(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def organisation_case(name: str, case: str) -> str | None:
    """«Апостолівська міська рада» in ``case`` («Апостолівської міської ради»)."""
    words = name.split()
    if not words:
        return None
    if _is_abbreviation(words[0]) or words[0][0] in QUOTES:
        return name  # ГО «Світанок», ТОВ «…», «Світанок»: they do not change
    head = None
    for index, word in enumerate(words):
        if not WORD.match(word):
            return None
        # The dictionary leaves the case out of some readings («громада», «об’єднання»):
        # those could be the nominative too, and must agree with the others.
        nouns = [
            p
            for p in _parses(word)
            if p.tag.POS == "NOUN"
            and p.tag.case in ("nomn", None)
            and not {"Name", "Surn", "Patr"} & p.tag.grammemes
        ]
        if any(p.tag.case == "nomn" for p in nouns):
            head = index
            break
    if head is None:
        return None
    genders = {p.tag.gender for p in nouns}
    numbers = {p.tag.number or "sing" for p in nouns}  # the dictionary marks only plur
    if len(genders) != 1 or len(numbers) != 1:
        return None
    gender, number_ = genders.pop(), numbers.pop()
    noun = _inflect(nouns, case)
    if noun is None:
        return None
    changed = []
    for word in words[:head]:
        form = _adjective(word, gender, number_, case)
        if form is None:
            return None
        changed.append(_restore(form, word))
    return " ".join([*changed, _restore(noun, words[head]), *words[head + 1 :]])


def _adjective(word: str, gender: str, number_: str, case: str) -> str | None:
    """An adjective agreeing with the noun; of «Кам’янець-Подільська» only the last part
    changes when the dictionary does not know the whole."""

    def agreeing(text: str):
        return [
            p
            for p in _parses(text)
            if p.tag.POS == "ADJF"
            and p.tag.case == "nomn"
            and (p.tag.gender == gender if number_ == "sing" else p.tag.number == "plur")
        ]

    whole = agreeing(word)
    if whole:
        return _inflect(whole, case)
    if "-" not in word:
        return None
    head, _, last = word.rpartition("-")
    last_parses = agreeing(last)
    form = _inflect(last_parses, case) if last_parses else None
    return f"{head}-{form}" if form else None


def organisation_genitive(name: str) -> str | None:
    """«Балаклійська міська рада» → «Балаклійської міської ради»; «ГО «Світанок»» stays."""
    return organisation_case(name, "gent")
