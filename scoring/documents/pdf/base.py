"""What every document shares: fonts, styles, the page, the draft mark, page numbers.

Fonts: DejaVu Sans and DejaVu Sans Bold, TrueType, embedded as subsets, from the folder
each ``build`` is given (``fonts.find_folder`` finds it; without them no document is
built and ``FontsNotFound`` says how to fix it). Every style and every canvas call
names one of these two fonts, so the file refers to no standard (unembedded) PDF font
at all: ReportLab's defaults would bring in Helvetica (the canvas's initial font,
default paragraph and table styles).

Pages: A4; a header with the contest's title and the document's name, a footer with
the generation time and «сторінка N з M» (not on a certificate). The total is known
only at the end, so the canvas keeps every page until the document is saved (the
NumberedCanvas pattern) and draws the footers then. Until the results are published a
document carries «ПРОЄКТ» in the header and as a light grey diagonal watermark, which
prints in black and white.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from xml.sax.saxutils import escape

from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Table, TableStyle

from ... import i18n
from ...i18n import long_datetime
from .fonts import BOLD, FONT, find_folder, font_files
from .records import Letterhead

GREY = colors.Color(0.35, 0.35, 0.35)
LIGHT = colors.Color(0.9, 0.9, 0.9)
WATERMARK = colors.Color(0.86, 0.86, 0.86)
MARGINS = SimpleNamespace(left=25 * mm, right=15 * mm, top=24 * mm, bottom=20 * mm)
CELL_PADDING = 3  # points, left and right in every table cell
TABLE_CHUNK = 100  # rows per Table: long tables are built as several, each with its header


def register_fonts(folder: Path) -> None:
    """Register the two fonts of ``folder`` with ReportLab once per process (after
    checking that the folder holds them)."""
    paths = font_files(find_folder([folder]))  # FontsNotFound names the folder
    if BOLD in pdfmetrics.getRegisteredFontNames():
        return
    for name, path in paths.items():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    # <b> in a paragraph picks the bold face; there is no italic, so it stays upright.
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


@contextmanager
def composing(letterhead: Letterhead, fonts: Path) -> Iterator[None]:
    """Where a document is put together: its fonts (the folder ``fonts``) registered, its
    language spoken."""
    register_fonts(fonts)
    with force_locale(letterhead.language):
        yield


@functools.cache
def styles() -> SimpleNamespace:
    """The paragraph styles of every document, all in the embedded fonts."""
    body = ParagraphStyle(
        "body",
        fontName=FONT,
        fontSize=9.5,
        leading=13,
        spaceAfter=4,
        bulletFontName=FONT,
        textColor=colors.black,
    )

    def derive(name: str, **changes) -> ParagraphStyle:
        return ParagraphStyle(name, parent=body, **changes)

    return SimpleNamespace(
        body=body,
        bold=derive("bold", fontName=BOLD),
        small=derive("small", fontSize=8, leading=10.5),
        note=derive("note", fontSize=8, leading=10.5, textColor=GREY),
        caption=derive(
            "caption", fontSize=7, leading=9, textColor=GREY, alignment=TA_CENTER, spaceAfter=0
        ),
        title=derive(
            "title", fontName=BOLD, fontSize=15, leading=19, alignment=TA_CENTER, spaceAfter=6
        ),
        subtitle=derive("subtitle", fontSize=11, leading=15, alignment=TA_CENTER, spaceAfter=10),
        heading=derive(
            "heading", fontName=BOLD, fontSize=11, leading=14, spaceBefore=10, spaceAfter=5
        ),
        label=derive("label", fontName=BOLD, spaceBefore=6, spaceAfter=2),
        centre=derive("centre", alignment=TA_CENTER),
        right=derive("right", alignment=TA_RIGHT),
        cell=derive("cell", fontSize=8, leading=10, spaceAfter=0),
        cell_bold=derive("cell_bold", fontName=BOLD, fontSize=8, leading=10, spaceAfter=0),
        header_left=derive("header_left", fontSize=7.5, leading=9, textColor=GREY, spaceAfter=0),
        header_right=derive(
            "header_right",
            fontName=BOLD,
            fontSize=7.5,
            leading=9,
            alignment=TA_RIGHT,
            spaceAfter=0,
        ),
    )


@functools.lru_cache(maxsize=4096)
def _points(language: str, value) -> str:
    return i18n.points(value)


def points(value) -> str:
    """``i18n.points``, remembered: a thousand-row table repeats a few hundred values."""
    return _points(i18n.current_language(), value)


def text(value: str, style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept)."""
    return Paragraph(markup(value), style or styles().body)


def _pieces(word: str, room: float) -> list[str]:
    """A word too wide for its cell, broken after its hyphens («Константинопольська-» /
    «Загорулько»), and only then, if a part is still too wide, between letters."""
    if pdfmetrics.stringWidth(word, FONT, 8) <= room:
        return [word]
    parts = [p + "-" for p in word.split("-")]
    parts[-1] = parts[-1][:-1]
    pieces = []
    for part in filter(None, parts):
        while pdfmetrics.stringWidth(part, FONT, 8) > room and len(part) > 1:
            cut = len(part) - 1
            while cut > 1 and pdfmetrics.stringWidth(part[:cut], FONT, 8) > room:
                cut -= 1
            pieces.append(part[:cut])
            part = part[cut:]
        pieces.append(part)
    return pieces


def lines(value: str, width: float) -> str:
    """Plain text broken into lines for a table cell ``width`` wide (in the table's 8 pt).

    Lines break at plain spaces (a no-break space holds its words together); a word
    wider than the cell breaks after its hyphens, then between letters (``_pieces``),
    so no text runs into the next cell. A string cell costs a fraction of a paragraph:
    long tables use these.
    """
    room = width - 2 * CELL_PADDING
    broken = []
    for line in (value or "").splitlines():
        current, used = "", 0.0
        for word in filter(None, line.split(" ")):
            for index, piece in enumerate(_pieces(word, room)):
                glue = "" if index or not current else " "  # a word's pieces join closely
                size = pdfmetrics.stringWidth(glue + piece, FONT, 8)
                if current and used + size > room:
                    broken.append(current)
                    current, used = piece, pdfmetrics.stringWidth(piece, FONT, 8)
                else:
                    current, used = current + glue + piece, used + size
        if current:
            broken.append(current)
    return "\n".join(broken)


def fitted_width(values: Sequence[str], minimum: float) -> float:
    """The width of a column that holds each of ``values`` on one line (in the table's
    8 pt, with the cell's padding), at least ``minimum``: a registration number is not
    broken, and never runs into the next cell («UCH-2026-01001ГО»)."""
    widest = max((pdfmetrics.stringWidth(v, FONT, 8) for v in values), default=0)
    return max(minimum, widest + 2 * CELL_PADDING + 1)


def nested(value: str) -> str:
    """Text to be put in «»: its own «» become „“, as Ukrainian nests quotation marks
    («Конкурс „Громада, що діє“»)."""
    return (value or "").replace("«", "„").replace("»", "“")


def markup(value: str) -> str:
    """Plain text as paragraph markup: escaped, with its line breaks."""
    return escape(value or "").replace("\r\n", "\n").replace("\n", "<br/>")


def bold(value: str) -> str:
    """Plain text as bold paragraph markup."""
    return f"<b>{markup(value)}</b>"


def table_style(header_rows: int = 1, *extra) -> TableStyle:
    """Grid lines, the embedded fonts in every cell, a shaded bold header."""
    commands = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 10),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header_rows:
        commands += [
            ("FONTNAME", (0, 0), (-1, header_rows - 1), BOLD),
            ("BACKGROUND", (0, 0), (-1, header_rows - 1), LIGHT),
            ("VALIGN", (0, 0), (-1, header_rows - 1), "BOTTOM"),
        ]
    return TableStyle(commands + list(extra))


def tables(
    header: Sequence,
    rows: Sequence[Sequence],
    widths: Sequence[float],
    *,
    extra: Sequence = (),
    chunk: int = TABLE_CHUNK,
) -> list[Table]:
    """A long table as several tables of at most ``chunk`` rows, each repeating the header.

    Laying out one table costs more the more rows follow a page break, so a thousand
    rows are cut into pieces; every piece repeats the header on each page it spans.
    ``extra`` are TableStyle commands for every piece (rows counted from its header).
    """
    heading = [
        Paragraph(markup(cell), styles().cell_bold) if isinstance(cell, str) else cell
        for cell in header
    ]
    pieces = []
    for start in range(0, max(len(rows), 1), chunk):
        part = [heading, *rows[start : start + chunk]]
        pieces.append(
            Table(
                part,
                colWidths=list(widths),
                repeatRows=1,
                style=table_style(1, *extra),
                hAlign="LEFT",
            )
        )
    return pieces


def key_values(pairs: Sequence[tuple[str, str]], width: float, label_width: float) -> Table:
    """A two-column table of labels and values without a header."""
    rows = [[text(label, styles().cell_bold), text(value, styles().cell)] for label, value in pairs]
    return Table(
        rows,
        colWidths=[label_width, width - label_width],
        style=table_style(0),
        hAlign="LEFT",
    )


def language_tag(language: str) -> str:
    return "en" if language == "en" else "uk-UA"


def _draw_watermark(canvas: Canvas, width: float, height: float) -> None:
    canvas.saveState()
    canvas.setFillColor(WATERMARK)
    canvas.setFont(BOLD, 96 if width < height else 110)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(54.7 if width < height else 35.3)  # along the page's diagonal
    canvas.drawCentredString(0, -34, _("DRAFT"))
    canvas.restoreState()


def _draw_header(canvas: Canvas, doc, letterhead: Letterhead, name: str) -> None:
    width, height = doc.pagesize
    s = styles()
    usable = width - doc.leftMargin - doc.rightMargin
    left = Paragraph(markup(letterhead.contest_title), s.header_left)
    right_text = markup(name)
    if letterhead.draft:
        right_text += "<br/>" + markup(_("DRAFT: the results are not published yet"))
    right = Paragraph(right_text, s.header_right)
    top = height - doc.topMargin + 14 * mm
    left_height = left.wrap(usable * 0.58, 14 * mm)[1]
    right_height = right.wrap(usable * 0.4, 14 * mm)[1]
    left.drawOn(canvas, doc.leftMargin, top - left_height)
    right.drawOn(canvas, doc.leftMargin + usable * 0.6, top - right_height)
    line = top - max(left_height, right_height) - 1.5 * mm
    canvas.setStrokeColor(GREY)
    canvas.setLineWidth(0.5)
    canvas.line(doc.leftMargin, line, width - doc.rightMargin, line)


def _footer(letterhead: Letterhead, margins: SimpleNamespace):
    generated = _("Generated %(moment)s (Kyiv time)", moment=long_datetime(letterhead.generated_at))

    def draw(canvas: Canvas, page: int, pages: int) -> None:
        width, _height = canvas._pagesize
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(GREY)
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.5)
        y = margins.bottom - 9 * mm
        left, right = margins.left, width - margins.right
        canvas.line(left, y + 3.5 * mm, right, y + 3.5 * mm)
        canvas.drawString(left, y, generated)
        canvas.setFillColor(colors.black)
        canvas.drawRightString(right, y, _("page %(page)s of %(pages)s", page=page, pages=pages))
        canvas.restoreState()

    return draw


def _numbered_canvas(footer: Callable[[Canvas, int, int], None]) -> type[Canvas]:
    """A canvas that holds its pages back until it knows how many there are."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 — ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                footer(self, number, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


def render(
    letterhead: Letterhead,
    name: str,
    story: list,
    *,
    subject: str = "",
    pagesize=A4,
    margins: SimpleNamespace = MARGINS,
    header: bool = True,
    footer: bool = True,
    on_page: Callable[[Canvas, BaseDocTemplate], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """Lay out ``story`` on A4 pages with the header, footer and draft mark; the PDF bytes.

    ``name`` is the document's name (in the header and the PDF title); ``on_page`` draws
    more on every page, under the content; ``footer=False`` leaves out the generation
    time and the page numbers (a certificate is not a report). Call it inside
    ``composing(letterhead, fonts)``, like the building of the story. ``progress(done,
    total)`` hears how far the layout has gone (``scoring.progress``: a person may be
    waiting for a long document).
    """
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=margins.left,
        rightMargin=margins.right,
        topMargin=margins.top,
        bottomMargin=margins.bottom,
        title=f"{name} — {letterhead.contest_title}",
        author=letterhead.organising_body,
        subject=subject or name,
        creator="scoring",
        lang=language_tag(letterhead.language),
        initialFontName=FONT,
        initialFontSize=9.5,
        initialLeading=13,
    )
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )

    def decorate(canvas: Canvas, doc) -> None:
        if on_page:
            on_page(canvas, doc)
        if letterhead.draft:
            _draw_watermark(canvas, *doc.pagesize)
        if header:
            _draw_header(canvas, doc, letterhead, name)

    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate)])
    size, done = [len(story)], [0]

    def laid_out(kind: str, value: int) -> None:  # ReportLab's own progress
        if kind == "SIZE_EST":
            size[0] = max(value, 1)
        elif kind == "PROGRESS" and value > done[0]:  # a split table counts back a little
            done[0] = value
            progress(min(value, size[0]), size[0])

    if progress:
        doc.setProgressCallBack(laid_out)
    if footer:
        doc.build(story, canvasmaker=_numbered_canvas(_footer(letterhead, margins)))
    else:
        doc.build(story, canvasmaker=Canvas)
    if progress:
        progress(size[0], size[0])
    return buffer.getvalue()
