"""A new contest copied from a previous one (issue 16): its settings, criteria, questions
and categories, never its applications, jury, organisers or results.

The copy travels as the ``scoring.contest/1`` document (``document.export_round`` then
``document.import_contest``; of a contest in rounds, the one round copied), so it is
exactly what a file exported and imported again would give: a draft, with the title,
address, prefix and dates the organiser gives, and the organiser who copies it as its
only organiser. The audit entry is ``contest.imported`` with ``via: copy`` and the
source's id.
"""

import json

from ..models import Contest, User
from . import document, naming
from .operations import ContestError, prefix_error, slug_error, slug_taken, storing_at


def copy_contest(source: Contest, values: dict, *, organiser: User) -> Contest:
    """A draft copy of ``source`` with ``values`` (title_uk, title_en, slug — empty: made
    from the title —, number_prefix, opens_at, closes_at); ``ContestError`` names the
    fields to correct, before anything changes."""
    slug = values["slug"] or naming.slug_from(values["title_uk"], slug_taken)
    errors = {"slug": slug_error(slug), "number_prefix": prefix_error(values)}
    errors = {name: message for name, message in errors.items() if message}
    if errors:
        raise ContestError(errors)
    copied = document.export_round(source) | {  # this round only (SPEC §13)
        "slug": slug,
        "title": {"uk": values["title_uk"], "en": values["title_en"]},
        "number_prefix": values["number_prefix"],
        "opens_at": document.moment_text(values["opens_at"]),
        "closes_at": document.moment_text(values["closes_at"]),
    }
    # Through the file's own text, as an exported file is read back (decimals exact).
    parsed = document.parse_contest_document(json.dumps(copied).encode())
    try:
        with storing_at(slug):
            return document.import_contest(
                parsed, [organiser.email], actor=organiser, via="copy", source=source.id
            )
    except document.ExchangeError as error:  # a source older than today's rules
        raise ContestError({"title_uk": "; ".join(error.problems)}) from error
