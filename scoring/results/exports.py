"""The ranking and the scores as files for the organisers (SPEC §15): XLSX and CSV.

- ``ranking_table``: the full ranking with every juror's total, as the deliberation page
  shows it; scores, totals and amounts are numbers.
- the scores come from ``judging.scores_export.scores_table``: the rows of the very file
  ``export-scores`` prints and ``import-scores`` reads.

``scoring.tables`` writes them: XLSX (one workbook with both), CSV for Excel, or plain
CSV (a byte-order mark, commas and a decimal point, as ``rank --format csv``); every cell
goes through ``spreadsheets``: no text runs as a formula (SPEC §8).
"""

from __future__ import annotations

from flask_babel import gettext as _

from ..i18n import oblast_name
from ..models import User
from ..ranking import Ranking
from ..tables import Table
from .presentation import balances, describe, display_score, notes_text


def ranking_table(
    result: Ranking,
    jurors: list[User],
    *,
    names: dict,
    category_titles: dict[str, str],
    normalised: bool,
    uncounted: dict[tuple[int, int], str] | None = None,
) -> Table:
    """The ranking as the deliberation page shows it, one row per application, then the
    applications not ranked (without a place); ``names`` are the applicants as shown.

    A juror's cell without a total tells why, as the page and the protocol do: «recused»,
    «—» for a sheet not submitted (``uncounted``, from ``operations.uncounted_sheets``),
    empty for an application not assigned to the juror. With a fund (SPEC §12): the
    amount requested, awarded and left of the fund after it."""
    words = {True: _("yes"), False: _("no"), None: _("undecided")}
    marks = {"recused": _("recused"), "not_submitted": "—", None: None}
    uncounted = uncounted or {}
    funded = bool(result.funds)
    left = balances(result)
    header = [_("Place"), _("Number"), _("Applicant"), _("Oblast")]
    if category_titles:
        header.append(_("Category"))
    combined = any(row.own_score is not None for row in result.rows)  # rounds (SPEC §13)
    if combined:
        header.append(_("Round score"))
    header.append(_("Combined score") if combined else _("Score"))
    if normalised:
        header.append(_("Score without normalisation"))
    if funded:
        header += [_("Requested"), _("Awarded"), _("Fund left")]
    header += [_("Jurors"), *(juror.name for juror in jurors)]
    header += [_("Tie"), _("Divergent"), _("Winner"), _("Note")]
    rows = []
    for row in result.rows:
        line = [row.rank, row.number, names[row.application_id], oblast_name(row.oblast)]
        if category_titles:
            line.append(category_titles.get(row.category, ""))
        if combined:
            line.append(display_score(row.own_score))
        line.append(display_score(row.score))
        if normalised:
            line.append(display_score(row.raw_score))
        if funded:
            line += [row.requested, row.awarded, left.get(row.application_id)]  # None: empty
        totals = row.juror_totals
        line += [
            row.jurors,
            *(
                display_score(totals[j.id])
                if j.id in totals
                else marks[uncounted.get((row.application_id, j.id))]
                for j in jurors
            ),
        ]
        line += [
            words[row.tie],
            words[row.divergent],
            words[row.winner],
            notes_text(row.notes),
        ]
        rows.append(line)
    for item in result.not_ranked:
        line = [None, item.number, names[item.application_id], ""]
        if category_titles:
            line.append(category_titles.get(item.category, ""))
        line += [None] * ((2 if normalised else 1) + (1 if combined else 0) + (3 if funded else 0))
        line += [
            item.jurors,
            *(marks[uncounted.get((item.application_id, j.id))] for j in jurors),
            "",
            "",
            words[False],
            describe(item.as_note),
        ]
        rows.append(line)
    return Table(header, rows, _("Ranking"))
