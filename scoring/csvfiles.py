"""Reading the CSV files organisers bring from spreadsheets (applications, scores).

UTF-8 with or without a byte-order mark; comma or semicolon separated, as spreadsheet
programs in Ukraine write them; every problem told with its line number.
"""

import csv
import io

from flask_babel import gettext as _

from .spreadsheets import plain


def not_utf8(error: UnicodeDecodeError) -> str:
    return _(
        "The file is not in UTF-8 (see the byte at position %(position)s): save it in UTF-8.",
        position=error.start,
    )


def records(text: str):
    """(first line number, cells) of every record; the separator is sniffed from line 1."""
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for cells in reader:
        yield line, [plain(cell) for cell in cells]  # what an export of ours escaped
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
