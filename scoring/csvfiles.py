"""Reading the CSV files organisers bring from spreadsheets (applications, scores).

UTF-8 with or without a byte-order mark; comma or semicolon separated, as spreadsheet
programs in Ukraine write them; every problem told with its line number. ``decode`` and
``read_rows`` are the loop both imports share: the header line through the caller's
own reader, then every record as a mapping of column to cell.
"""

import csv
import io

from flask_babel import gettext as _


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


def read_rows(text: str, lines, read_header):
    """The header and the records of a CSV text: (header, [(line, {column: cell})]).

    ``read_header(cells)`` turns the first record into the column names, telling what is
    wrong on ``lines`` (a ``LineProblems``) or raising. Blank records are skipped; a
    record with another number of cells than the header is told on ``lines`` and left
    out; cells are stripped. A text the ``csv`` module cannot read raises ``FileError``.
    The header is None for an empty text.
    """
    header = None
    rows = []
    try:
        for line, cells in records(text):
            if header is None:
                header = read_header(cells)
                continue
            if not any(cell.strip() for cell in cells):
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
    """(first line number, cells) of every record; the separator is sniffed from line 1."""
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1


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
