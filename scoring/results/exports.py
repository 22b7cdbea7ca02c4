"""The ranking and the scores as files for the organisers: CSV and XLSX.

- ``ranking_csv``: the full ranking with every juror's total, UTF-8 with a byte order
  mark so that Excel shows Cyrillic correctly on double-click.
- ``scores_csv``: every submitted score (``application,juror,criterion,score,comment``),
  the very file ``export-scores`` prints and ``import-scores`` reads, with the mark.
- ``ranking_xlsx``: both as two sheets of one workbook; scores and totals are numbers.

Numbers in the CSV files use a decimal point, as in ``rank --format csv``. Every cell goes
through ``spreadsheets``: no text runs as a formula (SPEC §8).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from .. import spreadsheets
from ..csvfiles import records
from ..i18n import oblast_name
from ..judging.scores_file import RECUSED, export_scores
from ..models import Contest, User
from ..ranking import Ranking
from .presentation import balances, describe, display_score, notes_text

BOM = "\ufeff"


@dataclass(frozen=True)
class Table:
    """A header and rows of plain values (str, int or Decimal)."""

    header: list[str]
    rows: list[list]


def _csv(table: Table) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator=spreadsheets.LINE_END)
    writer.writerows(map(spreadsheets.row, [table.header, *table.rows]))
    return out.getvalue().encode("utf-8")


def ranking_csv(table: Table) -> bytes:
    return _csv(table)


def scores_table(contest: Contest) -> Table:
    """The scores of ``export-scores`` as a table (one query set, one source of truth)."""
    lines = [record.cells for record in records(export_scores(contest))]
    rows = []
    for application, juror, criterion, score, *rest in lines[1:]:
        value = Decimal(score) if score and score != RECUSED else score  # a number stays one
        rows.append([application, juror, criterion, value, *rest])
    return Table(lines[0], rows)


def scores_csv(contest: Contest) -> bytes:
    return (BOM + export_scores(contest)).encode("utf-8")


def ranking_xlsx(ranking: Table, scores: Table) -> bytes:
    """A workbook with the sheets «Ranking» and «Scores»."""
    from openpyxl import Workbook  # only here: it slows every start-up otherwise
    from openpyxl.styles import Font

    workbook = Workbook()
    for sheet, title, table in (
        (workbook.active, _("Ranking"), ranking),
        (workbook.create_sheet(), _("Scores"), scores),
    ):
        sheet.title = title[:31]
        sheet.append(spreadsheets.xlsx_row(table.header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(spreadsheets.xlsx_row(row))
        sheet.freeze_panes = "A2"
        for index, name in enumerate(table.header, start=1):
            widest = max([len(str(name))] + [len(str(r[index - 1])) for r in table.rows[:200]])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(
                max(widest + 2, 8), 60
            )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


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
    marks = {"recused": _("recused"), "not_submitted": "—", None: ""}
    uncounted = uncounted or {}
    funded = bool(result.funds)
    left = balances(result)
    header = [_("Place"), _("Number"), _("Applicant"), _("Oblast")]
    if category_titles:
        header.append(_("Category"))
    header.append(_("Score"))
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
        line.append(display_score(row.score))
        if normalised:
            line.append(display_score(row.raw_score))
        if funded:
            line += [
                _amount(row.requested),
                _amount(row.awarded),
                _amount(left.get(row.application_id)),
            ]
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
        line = ["", item.number, names[item.application_id], ""]
        if category_titles:
            line.append(category_titles.get(item.category, ""))
        line += [""] * ((2 if normalised else 1) + (3 if funded else 0))
        line += [
            item.jurors,
            *(marks[uncounted.get((item.application_id, j.id))] for j in jurors),
            "",
            "",
            words[False],
            describe(item.as_note),
        ]
        rows.append(line)
    return Table(header, rows)


def _amount(value):
    """An amount as a cell: a number (two places), or empty."""
    return "" if value is None else value
