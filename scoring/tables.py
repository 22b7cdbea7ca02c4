"""Tables the organisers download, written so that they open right in Ukrainian Excel
(SPEC §15): XLSX, CSV for Excel on request, plain CSV for scripts.

A ``Table`` is a header and rows of typed values: text, whole numbers, ``Decimal``,
``datetime`` or ``date``, and None for an empty cell. Each writer keeps the types:

- ``xlsx``: one sheet per table; numbers are number cells (with the decimal places their
  column is written with), moments date cells in Kyiv time, text text cells that never run
  as a formula; the header bold and frozen, the columns as wide as their content.
- ``csv_bytes(table, excel=True)``: what Excel reads on a double click in Ukraine: a
  byte-order mark, semicolons, decimal commas, dates as «05.03.2026 10:15», CR LF.
- ``csv_bytes(table)``: commas, a decimal point and ISO dates, the byte-order mark kept
  (a double click still shows Cyrillic), as the organisers' CSV files always were.
- ``csv_text(table)``: the same without the mark, what the command line prints.

Every row passes through ``spreadsheets`` (``row`` for CSV, ``xlsx_row`` for XLSX): no
text a person typed runs as a formula in a spreadsheet (SPEC §8).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import Response
from flask_babel import format_decimal
from flask_babel import gettext as _

from . import files, spreadsheets
from .clock import KYIV
from .progress import Progress

BOM = "\ufeff"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DATE_FORMAT = "DD.MM.YYYY"
_MOMENT_FORMAT = "DD.MM.YYYY HH:MM"
CELL_TEXT = 32767  # the most characters a spreadsheet cell holds
SHEET_ROWS = 1_048_576  # the most rows a sheet holds, its header's included


@dataclass(frozen=True)
class Table:
    """A header and rows of plain values (str, int, Decimal, datetime, date or None)."""

    header: list[str]
    rows: list[list]
    title: str = ""  # the sheet's name in a workbook


def _local(value: datetime) -> datetime:
    """A moment as Kyiv's wall clock, without a zone (a spreadsheet has none)."""
    return value.astimezone(KYIV).replace(tzinfo=None) if value.tzinfo else value


def _text(value, excel: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime):
        moment = _local(value)
        return moment.strftime("%d.%m.%Y %H:%M") if excel else moment.isoformat(" ", "minutes")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y") if excel else value.isoformat()
    if isinstance(value, Decimal | float):
        text = format(value, "f")
        return text.replace(".", ",") if excel else text
    return str(value)


def csv_text(table: Table, *, excel: bool = False) -> str:
    """The table as CSV text: plain (commas, points) or for Excel (semicolons, commas)."""
    out = io.StringIO()
    writer = csv.writer(
        out, delimiter=";" if excel else ",", lineterminator=spreadsheets.LINE_END
    )
    writer.writerow(spreadsheets.row(list(table.header)))
    for row in table.rows:
        writer.writerow(spreadsheets.row([_text(value, excel) for value in row]))
    return out.getvalue()


def csv_bytes(table: Table, *, excel: bool = False) -> bytes:
    """The table as a CSV file with a byte-order mark (UTF-8)."""
    return (BOM + csv_text(table, excel=excel)).encode("utf-8")


def xlsx(*tables: Table, progress: Progress | None = None) -> bytes:
    """A workbook with one sheet per table, typed cells, the header bold and frozen.

    Written row by row (XlsxWriter's constant-memory mode): a sheet of 420,000 scores is
    never held as cell objects. A ``Decimal`` is written as its own digits (up to 16
    significant ones, more than a spreadsheet keeps), not through a float. A table longer
    than a sheet holds goes on in sheets of its own, each with the header. ``progress``
    is told the rows written of all the tables' rows.
    """
    import xlsxwriter  # only here: it slows every start-up otherwise

    out = io.BytesIO()
    options = {"constant_memory": True, "strings_to_formulas": False,
               "strings_to_urls": False, "strings_to_numbers": False}  # fmt: skip
    total, done = sum(len(table.rows) for table in tables), 0
    with xlsxwriter.Workbook(out, options) as workbook:
        formats = _Formats(workbook)
        for index, table in enumerate(tables):
            places = _places(table)
            title = table.title or f"Sheet{index + 1}"
            # A sheet holds SHEET_ROWS rows: the rest goes on to sheets «Title (2)», …
            for part, first in enumerate(range(0, max(len(table.rows), 1), SHEET_ROWS - 1)):
                name = f"{title[:25]} ({part + 1})" if part else title[:31]
                sheet = _sheet(workbook, name, table, formats)
                rows = table.rows[first : first + SHEET_ROWS - 1]
                for number, row in enumerate(rows, start=1):
                    for column, value in enumerate(spreadsheets.xlsx_row(row)):
                        _write(sheet, number, column, value, formats, places.get(column, 0))
                    done += 1
                    if progress and done % 1000 == 0:
                        progress(done, total)
    return out.getvalue()


def _sheet(workbook, name: str, table: Table, formats: _Formats):
    """A sheet named ``name`` with the table's header, bold and frozen, and its columns
    as wide as their first rows."""
    sheet = workbook.add_worksheet(name)
    sheet.freeze_panes(1, 0)
    for column, heading in enumerate(table.header):
        cells = [_text(row[column], True) for row in table.rows[:200]]
        widest = max(len(str(heading)), *(len(cell) for cell in cells), 0)
        sheet.set_column(column, column, min(max(widest + 2, 8), 60))
    sheet.write_row(0, 0, spreadsheets.xlsx_row(list(table.header)), formats.bold)
    return sheet


class _Formats:
    """The workbook's cell formats, each made once: bold, dates, decimal places."""

    def __init__(self, workbook):
        self._workbook = workbook
        self.bold = workbook.add_format({"bold": True})
        self.date = workbook.add_format({"num_format": _DATE_FORMAT})
        self.moment = workbook.add_format({"num_format": _MOMENT_FORMAT})
        self._places: dict[int, object] = {}

    def places(self, places: int):
        if places not in self._places:
            pattern = "0." + "0" * places if places else "0"
            self._places[places] = self._workbook.add_format({"num_format": pattern})
        return self._places[places]


def _write(sheet, row: int, column: int, value, formats: _Formats, places: int) -> None:
    """One cell as its type: text, number, moment (Kyiv's wall clock) or date."""
    if value is None or value == "":
        return  # an empty cell
    if isinstance(value, str):
        sheet.write_string(row, column, _whole(value))
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, Decimal):
        sheet.write_number(row, column, value, formats.places(places))
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, column, _local(value), formats.moment)
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, formats.date)
    else:
        sheet.write_string(row, column, _whole(str(value)))


def _whole(text: str) -> str:
    """``text`` as a cell holds it: a cell holds at most ``CELL_TEXT`` UTF-16 units (an
    emoji takes two), so a longer text ends with a note of how long it is and where it
    is whole (never cut without a word)."""
    units = text.encode("utf-16-le")
    if len(units) <= 2 * CELL_TEXT:
        return text
    note = " … " + _("[cut: the text has %(length)s characters; the CSV holds it whole]",
                     length=format_decimal(len(text)))  # fmt: skip
    room = 2 * (CELL_TEXT - len(note.encode("utf-16-le")) // 2)
    return units[:room].decode("utf-16-le", "ignore") + note  # half an emoji: left out


def _places(table: Table) -> dict[int, int]:
    """The decimal places of each column of numbers, as its values are written."""
    places: dict[int, int] = {}
    for row in table.rows:
        for index, value in enumerate(row):
            if isinstance(value, Decimal) and value.is_finite():
                exponent = value.as_tuple().exponent
                places[index] = max(places.get(index, 0), -exponent if exponent < 0 else 0)
    return places


def download(content: bytes, filename: str) -> Response:
    """``content`` as a download named ``filename`` (an ASCII name: slug and kind), kept
    by no cache: it is the organisers' own."""
    mimetype = XLSX if filename.endswith(".xlsx") else "text/csv; charset=utf-8"
    return Response(
        content,
        mimetype=mimetype,
        headers={
            "Content-Disposition": files.disposition(filename),
            "Cache-Control": "private, no-store",
        },
    )


def respond(table: Table, fmt: str, excel: bool, name: str) -> Response:
    """The download of ``table`` as ``fmt`` (``xlsx`` or ``csv``, for Excel or plain)."""
    if fmt == "xlsx":
        return download(xlsx(table), f"{name}.xlsx")
    return download(csv_bytes(table, excel=excel), f"{name}.csv")
