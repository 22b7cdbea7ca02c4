"""What a response shows a person, whatever its format (not a test module).

- ``visible_text``: the text of an HTML page, a JSON document, a CSV file, a PDF (read
  back with pypdf) or an XLSX workbook (every cell), with the response's headers.
- ``shows``: whether a marker (a string, or a tuple of the ways it is written) is in
  such a text, whitespace ignored, since a PDF cell wraps long words over lines.
- ``results_tables``: the tables of a page with a «Number» column, as their caption
  and their rows of {column header: cell text} (a row's badges under ``badges``).
"""

import io
import json
import re
from html.parser import HTMLParser

from openpyxl import load_workbook
from pypdf import PdfReader

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ESCAPED = re.compile("_x([0-9A-Fa-f]{4})_")


def excel_text(value):
    """A text cell as Excel reads it: a workbook writes a control character (a carriage
    return) as ``_x000D_`` and a typed ``_x000D_`` as ``_x005F_x000D_``; openpyxl leaves
    both as they are written."""
    if not isinstance(value, str):
        return value
    return _ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), value)


def visible_text(response) -> str:
    data = response.get_data()
    if response.mimetype == "application/pdf":
        text = data.decode("utf-8", "replace")  # an uploaded file is what it is
        if b"/Font" in data:  # one of ours: the text is drawn in compressed streams
            text += _pdf_text(data)
    elif response.mimetype == XLSX:
        workbook = load_workbook(io.BytesIO(data), read_only=True)
        text = "\n".join(
            str(excel_text(value))
            for sheet in workbook
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    elif response.mimetype == "application/json" and data:
        text = json.dumps(json.loads(data), ensure_ascii=False)
    else:
        text = data.decode("utf-8", "replace")
    return f"{text}\n{response.headers}"


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def shows(text: str, marker) -> bool:
    """Whether ``text`` shows the marker in any of its spellings, whitespace ignored.

    A number is matched as a whole number: «20.13» is not found in a time written
    «11:47:20.134512» (the seconds of a timestamp are not a juror's total)."""
    return any(
        re.search(_spelling(m), text) for m in (marker if isinstance(marker, tuple) else (marker,))
    )


def _spelling(marker: str) -> str:
    """The marker as a pattern: any whitespace between its characters, no digit
    right before or after it."""
    letters = r"\s*".join(re.escape(c) for c in squeeze(marker))
    return rf"(?<!\d){letters}(?!\d)"


class _Tables(HTMLParser):
    """Tables as lists of rows of cell texts; a cell's badges are kept apart."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[tuple[list[str], list[str]]]] = []
        self.captions: list[str] = []
        self.caption: list[str] | None = None
        self.cell: list[str] | None = None
        self.badges: list[str] = []
        self.in_badge = 0
        self.row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
            self.captions.append("")
        elif tag == "caption":
            self.caption = []
        elif tag == "tr":
            self.row, self.badges = [], []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "span" and "badge" in (dict(attrs).get("class") or "").split():
            self.in_badge += 1

    def handle_endtag(self, tag):
        if tag == "caption" and self.caption is not None:
            self.captions[-1] = " ".join("".join(self.caption).split())
            self.caption = None
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.tables:
            self.tables[-1].append((self.row, self.badges))
            self.row = None
        elif tag == "span" and self.in_badge:
            self.in_badge -= 1

    def handle_data(self, data):
        if self.caption is not None:
            self.caption.append(data)
        elif self.in_badge:
            self.badges.append(data.strip())
        elif self.cell is not None:
            self.cell.append(data)


def results_tables(html: str, number: str = "Number") -> list[tuple[str, list[dict]]]:
    """(caption, rows) of each table of the page with a ``number`` column; a row is
    {header: cell}, with its badges (such as «winner») under the key ``badges``."""
    parser = _Tables()
    parser.feed(html)
    found = []
    for caption, table in zip(parser.captions, parser.tables, strict=True):
        if not table or number not in table[0][0]:
            continue
        header = table[0][0]
        rows = [
            dict(zip(header, cells, strict=True)) | {"badges": badges}
            for cells, badges in table[1:]
        ]
        found.append((caption, rows))
    return found
