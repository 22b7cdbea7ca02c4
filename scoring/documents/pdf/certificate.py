"""The winner's certificate (диплом, SPEC §7): organisation, contest, place, date, signature.

One landscape A4 page in a double frame, without a footer: a certificate, not a report.
Until the results are published it carries the draft mark like every results document.
A long name (an organisation's name may have 300 characters) is set smaller, so that
everything stays on the one page.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from flask_babel import gettext as _
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from ...i18n import long_date, money, oblast_name
from . import base
from .records import Certificate

PAGE = landscape(A4)
# Wide enough that the header and the footer sit inside the frame.
MARGINS = SimpleNamespace(left=28 * mm, right=28 * mm, top=34 * mm, bottom=30 * mm)
WIDTH = PAGE[0] - MARGINS.left - MARGINS.right


def _styles() -> SimpleNamespace:
    body = base.styles().body

    def centred(name: str, size: float, bold: bool = False, **more) -> ParagraphStyle:
        return ParagraphStyle(
            name,
            parent=body,
            fontName=base.BOLD if bold else base.FONT,
            fontSize=size,
            leading=size * 1.25,
            alignment=TA_CENTER,
            **more,
        )

    return SimpleNamespace(
        body=centred("certificate_small", 11, spaceAfter=2, textColor=base.GREY),
        word=centred("certificate_word", 40, bold=True, spaceAfter=4),
        line=centred("certificate_line", 14, spaceAfter=4),
        contest=centred("certificate_contest", 16, bold=True, spaceAfter=10),
        organisation=centred("certificate_organisation", 22, bold=True, spaceAfter=4),
        place=centred("certificate_place", 18, bold=True, spaceBefore=8),
    )


def _fitted(text: str, style: ParagraphStyle, lines: int) -> ParagraphStyle:
    """``style``, or a smaller size of it, at which ``text`` takes at most ``lines`` lines."""
    size = style.fontSize
    while size > 10 and len(simpleSplit(text, style.fontName, size, WIDTH)) > lines:
        size -= 1
    return ParagraphStyle(f"{style.name}_{size}", parent=style, fontSize=size, leading=size * 1.25)


def _frame(canvas, doc) -> None:
    width, height = doc.pagesize
    canvas.saveState()
    canvas.setStrokeColor(base.colors.black)
    canvas.setLineWidth(2)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    canvas.setLineWidth(0.6)
    canvas.rect(13 * mm, 13 * mm, width - 26 * mm, height - 26 * mm)
    canvas.restoreState()


def build(data: Certificate, fonts: Path) -> bytes:
    """The certificate as PDF bytes, in ``data.letterhead.language``."""
    head = data.letterhead
    with base.composing(head, fonts):
        s = _styles()
        where = ", ".join(part for part in (data.community, oblast_name(data.oblast)) if part)
        place = _("place %(place)s", place=data.place)
        if data.category:
            place = _(
                "%(place)s in the category «%(category)s»", place=place, category=data.category
            )
        title = f"«{base.nested(head.contest_title)}»"
        story: list = [
            Spacer(1, 6 * mm),
            Paragraph(base.markup(head.organising_body), s.body),
            Spacer(1, 4 * mm),
            Paragraph(base.markup(_("CERTIFICATE")), s.word),
            Paragraph(base.markup(_("of a winner of the contest")), s.line),
            Paragraph(base.markup(title), _fitted(title, s.contest, 2)),
            Paragraph(base.markup(_("is awarded to")), s.line),
            Paragraph(
                base.markup(data.organisation), _fitted(data.organisation, s.organisation, 4)
            ),
            Paragraph(base.markup(where), _fitted(where, s.line, 2)),
            Paragraph(base.markup(place), s.place),
        ]
        if data.awarded is not None:
            story.append(
                Paragraph(
                    base.markup(_("grant awarded: %(amount)s", amount=money(data.awarded))),
                    s.line,
                )
            )
        story.append(Spacer(1, 12 * mm if data.awarded is None else 8 * mm))
        small = base.styles()
        signature = Table(
            [
                [
                    base.text(long_date(data.date), small.body),
                    base.text(_("Chair of the commission"), small.right),
                    "",
                    base.text(data.chair, small.body),
                ],
                ["", "", base.text(_("(signature)"), small.caption), ""],
            ],
            colWidths=[70 * mm, 55 * mm, 55 * mm, WIDTH - 180 * mm],
            style=TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), base.FONT),
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("ALIGN", (2, 1), (2, 1), "CENTER"),
                    ("LINEBELOW", (2, 0), (2, 0), 0.6, base.colors.black),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2 * mm),
                ]
            ),
        )
        story.append(signature)
        return base.render(
            head,
            _("Winner’s certificate"),
            story,
            pagesize=PAGE,
            margins=MARGINS,
            header=head.draft,
            footer=False,
            on_page=_frame,
        )
