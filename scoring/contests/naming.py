"""Addresses and keys made from titles, so that an organiser need not invent them.

A contest's address (``uspishna-uchast-hromady-2026``) comes from its Ukrainian title
and a question's key (``korotkyi_opys``) from its Ukrainian wording, both transliterated
by the official rules of 2010 (Resolution of the Cabinet of Ministers of Ukraine No. 55:
«Згурівка» → «Zghurivka», «Юрій» → «Yurii»; the ``uklatn`` package's ``KMU_55`` table).
Each is cut at a word's end to fit its column and made unique with «-2», «-3», … The
organiser may type another: the forms keep what is typed and generate only when the
field is left empty. A later round of a contest (SPEC §13) gets its address and its
number prefix from the first round's (``round_slug``, ``round_prefix``).
"""

import re
import string
from collections.abc import Callable
from itertools import count

import uklatn


def latin(text: str) -> str:
    """Ukrainian text in Latin letters by the official rules of 2010."""
    return uklatn.encode(text, uklatn.KMU_55)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", latin(text).lower())


def _cut(words: list[str], separator: str, limit: int) -> str:
    """The words joined, as many whole words as fit in ``limit`` (one long word is cut)."""
    kept = ""
    for word in words:
        candidate = f"{kept}{separator}{word}" if kept else word
        if len(candidate) > limit:
            return kept or candidate[:limit]
        kept = candidate
    return kept


def _unique(base: str, separator: str, limit: int, taken: Callable[[str], bool]) -> str:
    candidate, number = base, 2
    while taken(candidate):
        suffix = f"{separator}{number}"
        candidate = base[: limit - len(suffix)].rstrip(separator) + suffix
        number += 1
    return candidate


def slug_from(title: str, taken: Callable[[str], bool], limit: int = 80) -> str:
    """A contest's address from its title: lowercase Latin words joined by hyphens."""
    base = _cut(_words(title), "-", limit) or "konkurs"
    return _unique(base, "-", limit, taken)


def key_from(label: str, taken: Callable[[str], bool], limit: int = 40) -> str:
    """A question's key from its wording: lowercase Latin words joined by underscores,
    starting with a letter."""
    base = _cut(_words(label), "_", limit) or "pytannia"
    if not base[0].isalpha():
        base = _cut(["q", *base.split("_")], "_", limit)
    return _unique(base, "_", limit, taken)


def round_slug(first_slug: str, number: int, taken: Callable[[str], bool]) -> str:
    """The address of a contest's round ``number`` (SPEC §13): the first round's with
    «tur-N» (``tur`` is «тур»), made unique."""
    return slug_from(f"{first_slug} tur {number}", taken)


def _letters(index: int) -> str:
    """"", "A", "B", … "Z", "AA", …: what tells apart prefixes that would collide."""
    text = ""
    while index:
        index, rest = divmod(index - 1, 26)
        text = string.ascii_uppercase[rest] + text
    return text


def round_prefix(first_prefix: str, number: int, taken: Callable[[str], bool]) -> str:
    """The registration number prefix of round ``number``: the first round's with the
    number (``UUG2``), then a letter (``UUG2A``) while ``taken``; at most 12 characters."""
    for index in count():
        suffix = f"{number}{_letters(index)}"
        candidate = first_prefix[: 12 - len(suffix)] + suffix
        if not taken(candidate):
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover
