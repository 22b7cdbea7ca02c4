"""Reading the CSV files organisers bring from spreadsheets (applications, scores).

UTF-8 with or without a byte-order mark; comma or semicolon separated, as spreadsheet
programs in Ukraine write them; every problem told with its line number (and column,
where one cell is to blame).

A decimal comma is read wherever a number is expected («7,5» in a semicolon-separated
file, or quoted, "7,5", in a comma-separated one). Unquoted in a comma-separated file,
the comma splits the number into two cells (``APP,juror,C1,7,5`` reads as the score 7
and the comment 5): ``split_number`` finds such a pair so that the line is refused with
its column named, never stored as 7.
"""

import csv
import io
import re
from typing import NamedTuple

from flask_babel import gettext as _


def not_utf8(error: UnicodeDecodeError) -> str:
    return _(
        "The file is not in UTF-8 (see the byte at position %(position)s): save it in UTF-8.",
        position=error.start,
    )


class Record(NamedTuple):
    """One record of the file: its first line, its cells and its text as written."""

    line: int
    cells: list[str]
    raw: str
    delimiter: str


def records(text: str):
    """Every ``Record`` of the file; the separator is sniffed from line 1."""
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    lines = io.StringIO(text, newline="").readlines()  # as the reader counts them
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for cells in reader:
        raw = "".join(lines[line - 1 : reader.line_num])
        yield Record(line, cells, raw, delimiter)
        line = reader.line_num + 1


_WHOLE = re.compile(r"\d{1,5}")
_FRACTION = re.compile(r"\d{1,4}")


def split_number(record: Record, index: int) -> str | None:
    """«7,5» when the cell at ``index`` and the next one are a number that an unquoted
    decimal comma cut in two; None when they are not."""
    cells = record.cells
    if record.delimiter != "," or index + 1 >= len(cells):
        return None
    whole, fraction = cells[index].strip(), cells[index + 1].strip()
    if not (_WHOLE.fullmatch(whole) and _FRACTION.fullmatch(fraction)):
        return None
    # Written as such, unquoted: «…,7,5» followed by a comma or the end of the record.
    unquoted = rf"(?:^|,)\s*{whole}\s*,\s*{fraction}\s*(?:,|\r?\n?$)"
    return f"{whole},{fraction}" if re.search(unquoted, record.raw) else None


def split_number_problem(value: str, column: int, name: str) -> str:
    """Why a number cut by a decimal comma is refused, naming its column."""
    return _(
        "column %(column)s (%(name)s): «%(value)s» cannot be read for certain: in a file "
        "separated by commas the decimal comma splits the number in two. Write it with a "
        'point (%(point)s), put it in quotes ("%(value)s") or save the file with '
        "semicolons.",
        column=column,
        name=name,
        value=value,
        point=value.replace(",", "."),
    )


class LineProblems:
    """Problems of a file, each told with its line number, in the order of the lines."""

    def __init__(self):
        self._found: list[tuple[int, str]] = []

    def problem(self, line: int, message: str) -> None:
        self._found.append((line, message))

    @property
    def problems(self) -> list[str]:
        return [
            _("line %(line)s: %(problem)s", line=line, problem=message)
            for line, message in sorted(self._found, key=lambda found: found[0])
        ]

    def __len__(self) -> int:
        return len(self._found)
