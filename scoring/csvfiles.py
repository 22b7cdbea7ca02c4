"""Reading the CSV files organisers bring from spreadsheets (applications, scores).

Files come as offices make them (SPEC §15): UTF-8 with or without a byte-order mark
(LibreOffice, Google Forms, Excel's «CSV UTF-8»), UTF-16 with its mark (Excel's «Unicode
text»), or Windows-1251, what Ukrainian Excel saves by default. ``detect`` tells the
encoding: UTF-8 when the bytes are valid UTF-8, else the one-byte encoding that
``charset-normalizer`` finds the text reads best in among those Ukrainian offices use;
a file it cannot read for certain is refused, never guessed, and so is a file whose
lines are in different encodings (a UTF-8 file with lines pasted from another one).
The separator is the one the header line uses most: comma, semicolon or tab.

``read_rows`` is the loop both imports share: the header line through the caller's own
reader, optionally through a mapping of the file's columns onto ours (the browser's
import, where a Google Forms export names its columns «Позначка часу», «Назва
організації»), then every record as a mapping of column to cell. Every problem is told
with its line number, and with its column (its letter, as a spreadsheet shows it, and
its heading in the file) where one cell is to blame.

A decimal comma is read wherever a number is expected («7,5» in a semicolon-separated
file, or quoted, "7,5", in a comma-separated one). Unquoted in a comma-separated file,
the comma splits the number into two cells (``APP,juror,C1,7,5`` reads as the score 7
and the comment 5): ``split_number`` finds such a pair, so that the line is refused with
its column named, never stored as 7 (``read_rows``'s ``check``).
"""

import codecs
import csv
import io
import re
from typing import NamedTuple

from charset_normalizer import from_bytes
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import i18n
from .spreadsheets import plain

MAX_COLUMNS = 200  # a header of more columns is not an organiser's table
SEPARATORS = {",": _l("comma"), ";": _l("semicolon"), "\t": _l("tab")}
# One-byte encodings a Ukrainian office may still produce, the likeliest first: Excel's
# default, Western Excel, then the old Unix and DOS ones.
_CANDIDATES = ("cp1251", "cp1252", "koi8_u", "cp866")
_NAMES = {
    "utf_8": "UTF-8",
    "utf_16": "UTF-16",
    "cp1251": "Windows-1251",
    "cp1252": "Windows-1252",
    "koi8_u": "KOI8-U",
    "cp866": "CP866 (DOS)",
}
# What a spreadsheet program saves when asked for its own format instead of CSV.
_NOT_TEXT = (
    (b"PK\x03\x04", _l("an Excel workbook (XLSX) or another ZIP archive")),
    (b"\xd0\xcf\x11\xe0", _l("an old Excel workbook (XLS)")),
    (b"%PDF", _l("a PDF document")),
)


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


class Decoded(NamedTuple):
    """A file's text and the name of the encoding it was read in («Windows-1251»)."""

    text: str
    encoding: str


def detect(data: bytes) -> Decoded:
    """The text of ``data`` and its encoding, or ``FileError`` saying why it is unreadable."""
    for signature, what in _NOT_TEXT:
        if data.startswith(signature):
            raise FileError(
                [
                    _(
                        "This is %(what)s, not a CSV file: in the spreadsheet choose «Save as» "
                        "and the type «CSV UTF-8».",
                        what=what,
                    )
                ]
            )
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in data and not utf16:
        raise FileError([_("The file is not a CSV text file: it contains NUL characters.")])
    if utf16:
        try:
            decoded = Decoded(data.decode("utf-16"), _NAMES["utf_16"])
        except UnicodeDecodeError as error:
            raise FileError([_cut_short(error) or not_utf8(error)]) from error
    elif data.startswith(codecs.BOM_UTF8):
        decoded = Decoded(_utf8(data[len(codecs.BOM_UTF8) :]), _("UTF-8 with a BOM"))
    else:
        try:
            decoded = Decoded(data.decode("utf-8"), _NAMES["utf_8"])
        except UnicodeDecodeError as error:
            if _cut_short(error):  # valid UTF-8 up to a last character cut in two
                raise FileError([_cut_short(error)]) from error
            decoded = _one_byte(data)
    if "\x00" in decoded.text:
        raise FileError([_("The file is not a CSV text file: it contains NUL characters.")])
    return decoded


def decode(data: bytes) -> str:
    """The file's text in whichever encoding ``detect`` finds, or ``FileError``."""
    return detect(data).text


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        _refuse_mixed(data)
        raise FileError([_cut_short(error) or not_utf8(error)]) from error


def _cut_short(error: UnicodeDecodeError) -> str | None:
    if error.end < len(error.object) or "end of data" not in error.reason:
        return None
    return _(
        "The file ends in the middle of a character: it seems cut short. Save or download it again."
    )


def _one_byte(data: bytes) -> Decoded:
    """A file that is not UTF-8: in the one-byte encoding it reads best in."""
    _refuse_mixed(data)
    best = from_bytes(data, cp_isolation=list(_CANDIDATES)).best()
    if best is None or best.encoding not in _CANDIDATES:
        raise FileError(
            [
                _(
                    "The encoding of the file cannot be told for certain (it is neither UTF-8 "
                    "nor Windows-1251): save it as «CSV UTF-8»."
                )
            ]
        )
    try:
        return Decoded(data.decode(best.encoding), _NAMES[best.encoding])
    except UnicodeDecodeError as error:
        raise FileError([not_utf8(error)]) from error


def _refuse_mixed(data: bytes) -> None:
    """Refuse a file some of whose lines are UTF-8 and others not (text pasted together)."""
    utf8 = other = None
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 = utf8 or number
        except UnicodeDecodeError as error:
            if number == len(lines) and _cut_short(error):
                continue  # the file's last character cut short: told as such
            other = other or number
        if utf8 and other:
            raise FileError(
                [
                    _(
                        "The lines of the file are in different encodings: line %(utf8)s is in "
                        "UTF-8 and line %(other)s is not. Save the whole file as «CSV UTF-8».",
                        utf8=utf8,
                        other=other,
                    )
                ]
            )


def describe(decoded: Decoded) -> str:
    """How the file was read, for the organiser: its encoding and its separator."""
    return _(
        "Read as %(encoding)s; the columns are separated by: %(separator)s.",
        encoding=decoded.encoding,
        separator=SEPARATORS[separator(decoded.text)],
    )


def separator(text: str) -> str:
    """The separator of the header line: the one of ``SEPARATORS`` it uses most (a comma
    when it uses none)."""
    header = text.split("\n", 1)[0]
    counts = {mark: header.count(mark) for mark in SEPARATORS}
    found = max(counts, key=lambda mark: counts[mark])
    return found if counts[found] else ","


class Record(NamedTuple):
    """One record of the file: its first line, its cells and its text as written."""

    line: int
    cells: list[str]
    raw: str
    delimiter: str


def records(text: str):
    """Every ``Record`` of the file, split by the header's ``separator``."""
    delimiter = separator(text)
    lines = io.StringIO(text, newline="").readlines()  # as the reader counts them
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            raw = "".join(lines[line - 1 : reader.line_num])
            cells = [plain(cell) for cell in cells]  # what an export of ours escaped
            yield Record(line, cells, raw, delimiter)
            line = reader.line_num + 1
    except csv.Error as error:  # its words are English: say it in the reader's language
        raise FileError([_unreadable(line, error)]) from error


def _unreadable(line: int, error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return _(
            "Line %(line)s cannot be read: a cell in it runs on for more than %(limit)s "
            'characters. Most likely a quote mark «"» opened in a cell is never closed.',
            line=line,
            limit=i18n.number(csv.field_size_limit()),
        )
    return _('Line %(line)s cannot be read as CSV: check its quote marks «"».', line=line)


def column_letter(index: int) -> str:
    """The spreadsheet's name of the column at ``index`` (from 0): A, B, …, Z, AA, AB, …"""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def read_rows(
    text: str, lines, read_header, columns: list[str | None] | None = None, check=None
) -> tuple[list[str] | None, list[tuple[int, dict[str, str]]]]:
    """The header and the records of a CSV text: (header, [(line, {column: cell})]).

    ``read_header(cells)`` turns the first record into the column names, telling what is
    wrong on ``lines`` (a ``LineProblems``) or raising. With ``columns`` (one entry per
    column of the file: our column's name, or None for a column not imported) the
    header is read from those names instead of the file's. ``check(record, header)``,
    when given, tells why a record cannot be read for certain: (our column to blame,
    why), or None. Blank records are skipped; a record refused by ``check`` or with
    another number of cells than the header is told on ``lines`` and left out; cells
    are stripped. A text the ``csv`` module cannot read raises ``FileError``. The
    header is None for an empty text.
    """
    header = None
    rows = []
    for record in records(text):
        line, cells = record.line, record.cells
        if header is None:
            header = _header(cells, read_header, columns)
            lines.name_columns([cell.strip() for cell in cells], header)
            continue
        if not any(cell.strip() for cell in cells):
            continue
        problem = check(record, header) if check else None
        if problem:
            lines.problem(line, problem[1], problem[0])
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
        rows.append(
            (
                line,
                {
                    name: cell.strip()
                    for name, cell in zip(header, cells, strict=True)
                    if name is not None
                },
            )
        )
    return header, rows


def _check_width(cells: list[str]) -> None:
    if len(cells) > MAX_COLUMNS:
        raise FileError(
            [
                _(
                    "The first line has %(count)s columns; a file may have at most %(max)s.",
                    count=len(cells),
                    max=MAX_COLUMNS,
                )
            ]
        )


def _header(cells: list[str], read_header, columns) -> list[str | None]:
    _check_width(cells)
    if columns is None:
        return read_header(cells)
    if len(columns) != len(cells):
        raise FileError(
            [_("The columns chosen do not fit this file: choose them again for this file.")]
        )
    names = iter(read_header([name for name in columns if name]))
    return [next(names) if name else None for name in columns]


def preview(text: str, count: int) -> tuple[list[str], list[tuple[int, list[str]]], int]:
    """The header, the first ``count`` records (line, cells) and the number of records of a
    CSV text, for an organiser to look at before importing it. ``FileError`` as
    ``read_rows``."""
    header: list[str] = []
    first: list[tuple[int, list[str]]] = []
    total = 0
    for record in records(text):
        line, cells = record.line, record.cells
        if not header:
            _check_width(cells)
            header = [cell.strip() for cell in cells]
            continue
        if not any(cell.strip() for cell in cells):
            continue
        total += 1
        if len(first) < count:
            first.append((line, [cell.strip() for cell in cells]))
    return header, first, total


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


def split_number_problem(value: str) -> str:
    """Why a number cut by a decimal comma is refused (the column is told beside it)."""
    return _(
        "«%(value)s» cannot be read for certain: in a file separated by commas the decimal "
        "comma splits the number in two. Write it with a point (%(point)s), put it in "
        'quotes ("%(value)s") or save the file with semicolons.',
        value=value,
        point=value.replace(",", "."),
    )


class LineProblems:
    """Problems of a file, each told with its line number (and, where one cell is to
    blame, its column), in the order of the lines."""

    def __init__(self):
        self._found: list[tuple[int, str, str | None]] = []
        self._columns: dict[str, str] = {}  # our column's name → how the file shows it

    def name_columns(self, written: list[str], names: list[str | None]) -> None:
        """Tell our columns (``names``) by the file's letters and headings (``written``)."""
        for index, (heading, name) in enumerate(zip(written, names, strict=False)):
            if name is not None:
                self._columns[name] = f"{column_letter(index)} «{heading or name}»"

    def problem(self, line: int, message: str, column: str | None = None) -> None:
        self._found.append((line, message, column))

    @property
    def problems(self) -> list[str]:
        return [self._text(*found) for found in sorted(self._found, key=lambda found: found[0])]

    def _text(self, line: int, message: str, column: str | None) -> str:
        where = self._columns.get(column) if column else None
        if where is None:
            return _("line %(line)s: %(problem)s", line=line, problem=message)
        return _(
            "line %(line)s, column %(column)s: %(problem)s",
            line=line,
            column=where,
            problem=message,
        )

    def __len__(self) -> int:
        return len(self._found)
