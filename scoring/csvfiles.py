"""Reading the CSV files organisers bring from spreadsheets (applications, scores).

UTF-8 with or without a byte-order mark; comma or semicolon separated, as spreadsheet
programs in Ukraine write them; every problem told with its line number (and column,
where one cell is to blame). ``decode`` and ``read_rows`` are the loop both imports
share: the header line through the caller's own reader, then every record as a mapping
of column to cell.

A decimal comma is read wherever a number is expected («7,5» in a semicolon-separated
file, or quoted, "7,5", in a comma-separated one). Unquoted in a comma-separated file,
the comma splits the number into two cells (``APP,juror,C1,7,5`` reads as the score 7
and the comment 5): ``split_number`` finds such a pair, so that the line is refused with
its column named, never stored as 7 (``read_rows``'s ``check``).
"""

import csv
import io
import re
from typing import NamedTuple

from flask_babel import gettext as _

from .spreadsheets import plain


def not_utf8(error: UnicodeDecodeError) -> str:
    return _(
        "The file is not in UTF-8 (see the byte at position %(position)s): save it in UTF-8.",
        position=error.start,
    )


class FileError(Exception):
    """A file that is no readable CSV text at all; ``problems`` says why."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def decode(data: bytes) -> str:
    """The file's text (UTF-8, a byte-order mark allowed), or ``FileError``."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError([not_utf8(error)]) from error


class Record(NamedTuple):
    """One record of the file: its first line, its cells and its text as written."""

    line: int
    cells: list[str]
    raw: str
    delimiter: str


def read_rows(text: str, lines, read_header, check=None):
    """The header and the records of a CSV text: (header, [(line, {column: cell})]).

    ``read_header(cells)`` turns the first record into the column names, telling what is
    wrong on ``lines`` (a ``LineProblems``) or raising. ``check(record, header)``, when
    given, tells why a record cannot be read for certain (or None). Blank records are
    skipped; a record refused by ``check`` or with another number of cells than the
    header is told on ``lines`` and left out; cells are stripped. A text the ``csv``
    module cannot read raises ``FileError``. The header is None for an empty text.
    """
    header = None
    rows = []
    try:
        for record in records(text):
            line, cells = record.line, record.cells
            if header is None:
                header = read_header(cells)
                continue
            if not any(cell.strip() for cell in cells):
                continue
            problem = check(record, header) if check else None
            if problem:
                lines.problem(line, problem)
                continue
            if len(cells) != len(header):
                lines.problem(
                    line,
                    _(
                        "%(count)s values instead of %(expected)s (one for each column)",
                        count=len(cells),
                        expected=len(header),
                    ),
                )
                continue
            rows.append((line, dict(zip(header, (cell.strip() for cell in cells), strict=True))))
    except csv.Error as error:
        raise FileError(
            [_("The file is not a readable CSV file: %(error)s.", error=error)]
        ) from error
    return header, rows


def records(text: str):
    """Every ``Record`` of the file; the separator is sniffed from line 1."""
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    lines = io.StringIO(text, newline="").readlines()  # as the reader counts them
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for cells in reader:
        raw = "".join(lines[line - 1 : reader.line_num])
        cells = [plain(cell) for cell in cells]  # what an export of ours escaped
        yield Record(line, cells, raw, delimiter)
        line = reader.line_num + 1


_WHOLE = re.compile(r"\d{1,5}")
_FRACTION = re.compile(r"\d{1,4}")


def split_number(
    record: Record, index: int, whole_part=_WHOLE, fraction_part=_FRACTION
) -> str | None:
    """«7,5» when the cell at ``index`` and the next one are a number that an unquoted
    decimal comma cut in two (their parts as the patterns say a number of the column
    is written); None when they are not."""
    cells = record.cells
    if record.delimiter != "," or index + 1 >= len(cells):
        return None
    whole, fraction = cells[index].strip(), cells[index + 1].strip()
    if not (whole_part.fullmatch(whole) and fraction_part.fullmatch(fraction)):
        return None
    # Written as such, unquoted: «…,7,5» followed by a comma or the end of the record.
    unquoted = rf"(?:^|,)\s*{whole}\s*,\s*{fraction}\s*(?:,|\r?\n?$)"
    return f"{whole},{fraction}" if re.search(unquoted, record.raw) else None


def split_number_problem(value: str, column: int, name: str) -> str:
    """Why a number cut by a decimal comma is refused, naming its column."""
    return _(
        "column %(column)s (%(name)s): «%(value)s» cannot be read for certain: in a file "
        "separated by commas the decimal comma splits the number in two. Write it with a "
        "point (%(point)s), put it in quotes (\"%(value)s\") or save the file with "
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
