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

from . import files, spreadsheets
from .clock import KYIV

BOM = "\ufeff"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DATE_FORMAT = "DD.MM.YYYY"
_MOMENT_FORMAT = "DD.MM.YYYY HH:MM"


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


def xlsx(*tables: Table) -> bytes:
    """A workbook with one sheet per table, typed cells, the header bold and frozen.

    Written as a stream (openpyxl's write-only mode): a sheet of 420,000 scores is not
    held as cell objects, and a cell is made only where a number needs its format.
    """
    from openpyxl import Workbook  # only here: it slows every start-up otherwise
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for index, table in enumerate(tables):
        sheet = workbook.create_sheet((table.title or f"Sheet{index + 1}")[:31])
        sheet.freeze_panes = "A2"
        for column, name in enumerate(table.header, start=1):
            cells = [_text(row[column - 1], True) for row in table.rows[:200]]
            widest = max(len(str(name)), *(len(cell) for cell in cells), 0)
            width = min(max(widest + 2, 8), 60)
            sheet.column_dimensions[get_column_letter(column)].width = width
        header = [WriteOnlyCell(sheet, v) for v in spreadsheets.xlsx_row(list(table.header))]
        for cell in header:
            cell.font = bold
        sheet.append(header)
        places = _places(table)
        for row in table.rows:
            values = spreadsheets.xlsx_row([_xlsx_value(value) for value in row])
            for column, value in enumerate(row):
                number_format = _number_format(value, places.get(column, 0))
                if number_format:
                    values[column] = WriteOnlyCell(sheet, values[column])
                    values[column].number_format = number_format
            sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _places(table: Table) -> dict[int, int]:
    """The decimal places of each column of numbers, as its values are written."""
    places: dict[int, int] = {}
    for row in table.rows:
        for index, value in enumerate(row):
            if isinstance(value, Decimal) and value.is_finite():
                exponent = value.as_tuple().exponent
                places[index] = max(places.get(index, 0), -exponent if exponent < 0 else 0)
    return places


def _xlsx_value(value):
    return _local(value) if isinstance(value, datetime) else value


def _number_format(value, places: int) -> str | None:
    if isinstance(value, datetime):
        return _MOMENT_FORMAT
    if isinstance(value, date):
        return _DATE_FORMAT
    if isinstance(value, Decimal):
        return "0." + "0" * places if places else "0"
    return None


def download(content: bytes, filename: str) -> Response:
    """``content`` as a download named ``filename`` (an ASCII name: slug and kind)."""
    mimetype = XLSX if filename.endswith(".xlsx") else "text/csv; charset=utf-8"
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": files.disposition(filename)},
    )


def respond(table: Table, fmt: str, excel: bool, name: str) -> Response:
    """The download of ``table`` as ``fmt`` (``xlsx`` or ``csv``, for Excel or plain)."""
    if fmt == "xlsx":
        return download(xlsx(table), f"{name}.xlsx")
    return download(csv_bytes(table, excel=excel), f"{name}.csv")
