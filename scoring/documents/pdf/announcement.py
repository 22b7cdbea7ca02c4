"""The public announcement of the results (SPEC §7): winners, ranking, ties, rules, link."""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from ...i18n import long_date
from . import base, sections
from .records import Announcement

QR_SIZE = 32 * mm


def _qr(url: str) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M", barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        QR_SIZE,
        QR_SIZE,
        transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0],
        initialFontName=base.FONT,  # else the renderer names Helvetica, unembedded
    )
    drawing.add(widget)
    return drawing


def _link(data: Announcement) -> Table:
    s = base.styles()
    words = [
        Paragraph(base.markup(_("The results page")), s.bold),
        Paragraph(
            f'<link href="{base.markup(data.results_url)}">{base.markup(data.results_url)}</link>',
            s.body,
        ),
        base.text(
            _(
                "Scan the code or open the address to see the results online and check "
                "them against this document."
            ),
            s.note,
        ),
    ]
    return Table(
        [[_qr(data.results_url), words]],
        colWidths=[QR_SIZE + 4 * mm, sections.WIDTH - QR_SIZE - 4 * mm],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("FONTNAME", (0, 0), (-1, -1), base.FONT),
            ]
        ),
        hAlign="LEFT",
    )


def build(data: Announcement, fonts: Path) -> bytes:
    """The announcement as PDF bytes, in ``data.letterhead.language``."""
    with base.composing(data.letterhead, fonts):
        s = base.styles()
        head = data.letterhead
        story: list = [
            Paragraph(base.markup(_("Results of the contest")), s.title),
            Paragraph(base.markup(f"«{base.nested(head.contest_title)}»"), s.subtitle),
        ]
        rounds = data.rounds
        if rounds is not None:
            story.append(Paragraph(base.markup(rounds.heading), s.subtitle))
        facts = []
        if head.organising_body:
            facts.append(_("Organiser: %(body)s", body=head.organising_body))
        if data.published_at:
            facts.append(_("Published on %(date)s", date=long_date(data.published_at)))
        if facts:
            story.append(Paragraph(base.markup(" · ".join(facts)), s.centre))
        story.append(Spacer(1, 4 * mm))
        if rounds is not None:
            story.append(base.text(rounds.summary, s.body))
            story.append(Spacer(1, 2 * mm))

        winners = rounds.winners if rounds is not None else _("Winners")
        story.append(Paragraph(base.markup(winners), s.heading))
        story += sections.winners(data.placings, data.funds, rounds)

        story.append(Paragraph(base.markup(_("Ties and the commission’s decisions")), s.heading))
        story += sections.ties(data.ties, data.awards)

        if data.full_ranking:
            story.append(Paragraph(base.markup(_("Full ranking")), s.heading))
            story += sections.ranking(data.placings, rounds=rounds)
            story += sections.not_ranked(data.not_ranked)

        story.append(Paragraph(base.markup(_("How the applications were scored")), s.heading))
        story += sections.scoring_rules(data.scoring)

        story.append(Spacer(1, 6 * mm))
        story.append(_link(data))
        return base.render(head, _("Results announcement"), story)
