"""Scoresheets (SPEC §7, §11): filled ones to sign, blank ones to fill in on paper.

A filled sheet is one juror's points and comments for one application, with the total
and a signature line. A blank sheet speaks to the juror: the application and the
juror above, then a line per criterion (its code, title and limits) to write the
points and a comment by hand, and a last line for the overall comment. A note at the
bottom tells the secretary how the lines become the rows of the scores file
(application, juror, criterion, score, comment).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from ...i18n import long_datetime, number
from . import base, sections
from .records import CriterionLine, Scoresheets, Sheet

WIDTH = sections.WIDTH
HANDWRITING_ROW = 10 * mm  # room to write a score and a comment by hand


def _criterion_text(c: CriterionLine) -> str:
    limits = _(
        "from 0 to %(max)s, in steps of %(step)s", max=number(c.max_points), step=number(c.step)
    )
    if c.weight != 1:
        limits += "; " + _("weight %(weight)s", weight=number(c.weight))
    return (
        f"<b>{base.markup(c.code)}</b> {base.markup(c.title)}"
        f'<br/><font size="7">{base.markup(limits)}</font>'
    )


def _signature(label: str, name: str, caption: str = "") -> Table:
    s = base.styles()
    return Table(
        [
            [base.text(label, s.body), "", base.text(name, s.body)],
            ["", base.text(caption, s.caption), ""],
        ],
        colWidths=[45 * mm, 60 * mm, 65 * mm],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), base.FONT),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("ALIGN", (1, 1), (1, 1), "CENTER"),
                ("LINEBELOW", (1, 0), (1, 0), 0.6, base.colors.black),
                ("TOPPADDING", (0, 0), (-1, 0), 10 * mm),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
        hAlign="LEFT",
    )


def _facts(sheet: Sheet, blank: bool) -> Table:
    pairs = [(_("Application"), sheet.number)]
    if sheet.organisation:
        pairs.append((_("Applicant"), sheet.organisation))
    if sheet.title:
        pairs.append((_("Title"), sheet.title))
    juror = sheet.juror
    if sheet.juror_email:
        juror = f"{sheet.juror} ({sheet.juror_email})" if sheet.juror else sheet.juror_email
    pairs.append((_("Member of the jury"), juror or "_" * 40))
    if not blank:
        if sheet.entered_at:
            # Entered from paper: say so, and claim no declaration the juror did not make.
            if sheet.entered_by:
                entered = _(
                    "from paper, by %(name)s: %(moment)s",
                    name=sheet.entered_by,
                    moment=long_datetime(sheet.entered_at),
                )
            else:
                entered = _(
                    "from paper, on the command line: %(moment)s",
                    moment=long_datetime(sheet.entered_at),
                )
            pairs.append((_("Entered"), entered))
        if sheet.declared_at:
            pairs.append(
                (
                    _("Conflict of interest"),
                    _(
                        "declared that there is none: %(moment)s",
                        moment=long_datetime(sheet.declared_at),
                    ),
                )
            )
        elif sheet.entered_at:
            pairs.append((_("Conflict of interest"), _("no declaration was made in the system")))
        if sheet.submitted_at:
            pairs.append((_("Submitted"), long_datetime(sheet.submitted_at)))
    return base.key_values(pairs, WIDTH, 42 * mm)


def _filled(sheet: Sheet, max_total: Decimal) -> list:
    s = base.styles()
    rows = [
        [
            Paragraph(_criterion_text(line.criterion), s.cell),
            number(line.points) if line.points is not None else "—",
            sections.cell(line.comment),
        ]
        for line in sheet.lines
    ]
    story: list = base.tables(
        [_("Criterion"), _("Points"), _("Comment")],
        rows,
        [70 * mm, 18 * mm, 82 * mm],
        extra=[("ALIGN", (1, 1), (1, -1), "RIGHT")],
    )
    story.append(Spacer(1, 3 * mm))
    story.append(
        Paragraph(
            base.bold(_("Total:"))
            + " "
            + base.markup(
                _(
                    "%(total)s of %(max)s possible (Σ weight × points)",
                    total=base.points(sheet.total),
                    max=number(max_total),
                )
            ),
            s.body,
        )
    )
    if sheet.overall_comment:
        story.append(Paragraph(base.markup(_("Overall comment")), s.label))
        story.append(base.text(sheet.overall_comment, s.body))
    return story


def _blank(sheet: Sheet, columns: tuple[str, ...]) -> list:
    s = base.styles()
    story: list = [
        base.text(
            _(
                "For each criterion, write your points within the limits shown under it "
                "and, if you wish, a comment explaining them. Write your "
                "overall comment on the application in the box below the table. Then sign the "
                "sheet and hand it to the secretary of the commission."
            ),
            s.body,
        ),
        Spacer(1, 2 * mm),
    ]
    rows = [[Paragraph(_criterion_text(line.criterion), s.cell), "", ""] for line in sheet.lines]
    story += base.tables(
        [_("Criterion"), _("Points"), _("Comment")],
        rows,
        [62 * mm, 22 * mm, 86 * mm],
        extra=[("BOTTOMPADDING", (0, 1), (-1, -1), HANDWRITING_ROW)],
    )
    story.append(Spacer(1, 3 * mm))
    overall = Table(
        [[sections.cell(_("Overall comment"), bold=True)]],
        colWidths=[WIDTH],
        style=base.table_style(0, ("BOTTOMPADDING", (0, 0), (-1, -1), 3 * HANDWRITING_ROW)),
        hAlign="LEFT",
    )
    story += [overall, Spacer(1, 2 * mm)]
    # For whoever types the sheet in afterwards: the file's columns, in the sheet's order.
    story.append(
        base.text(
            _(
                "For the secretary: each line is typed in as a line of the scores file "
                "(%(columns)s), with the application’s number and the member’s e-mail shown "
                "above; the overall comment goes in a line without a criterion.",
                columns=", ".join(columns),
            ),
            s.note,
        )
    )
    return story


def build(
    data: Scoresheets, fonts: Path, progress: Callable[[int, int], None] | None = None
) -> bytes:
    """Every sheet on its own page(s), as PDF bytes, in ``data.letterhead.language``;
    ``progress(done, total)`` hears how far the layout has gone."""
    head = data.letterhead
    with base.composing(head, fonts):
        s = base.styles()
        name = _("Blank scoresheets") if data.blank else _("Scoresheets")
        story: list = []
        if not data.sheets:
            story.append(Paragraph(base.markup(name), s.title))
            story.append(base.text(_("There is no submitted scoresheet to print."), s.centre))
        for index, sheet in enumerate(data.sheets):
            if index:
                story.append(PageBreak())
            story.append(Paragraph(base.markup(_("Scoresheet")), s.title))
            story.append(Paragraph(base.markup(head.contest_title), s.subtitle))
            story.append(_facts(sheet, data.blank))
            story.append(Spacer(1, 4 * mm))
            story += _blank(sheet, data.columns) if data.blank else _filled(sheet, data.max_total)
            story.append(
                KeepTogether(
                    [
                        Spacer(1, 4 * mm),
                        _signature(_("Member of the jury"), sheet.juror, _("(signature)")),
                        _signature(_("Date"), ""),
                    ]
                )
            )
        return base.render(head, name, story, progress=progress)
