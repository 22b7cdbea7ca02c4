"""The jury's feedback on one application, for its applicant (SPEC §14).

The result (winner or not, the place, the score), then each criterion with the mean of
the counted scores against its maximum and, when the contest gives them, the jurors'
comments under it, without names and in an order that says nothing of who wrote them
(``records.Feedback`` holds no juror at all), then the overall comments.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer

from ...i18n import long_date, money, number
from . import base, sections
from .records import Feedback

WIDTH = sections.WIDTH


def _comments(title: str, comments: tuple[str, ...]) -> list:
    s = base.styles()
    items = [Paragraph(base.markup(title), s.label)]
    items += [Paragraph(base.markup(c), s.body, bulletText="–") for c in comments]
    return [KeepTogether(items[:2]), *items[2:]]


def build(data: Feedback, fonts: Path) -> bytes:
    """The feedback as PDF bytes, in ``data.letterhead.language``."""
    head = data.letterhead
    with base.composing(head, fonts):
        s = base.styles()
        facts = [
            (_("Application"), data.number),
            (_("Title"), data.title),
            (_("Applicant"), data.organisation),
        ]
        if data.published_at:
            facts.append((_("Results published"), long_date(data.published_at)))
        if data.result is not None:
            facts.append((_("Result"), data.result.text))
            if data.result.note:
                facts.append((_("Note"), data.result.note))
            if data.result.awarded is not None:
                facts.append((_("Amount awarded"), money(data.result.awarded)))
        story: list = [
            Paragraph(base.markup(_("Feedback of the jury")), s.title),
            Paragraph(
                base.markup(_("to the contest «%(title)s»", title=head.contest_title)), s.subtitle
            ),
            base.key_values(facts, WIDTH, 45 * mm),
            Paragraph(base.markup(_("Scores by criterion")), s.heading),
        ]
        rows = [
            [
                sections.cell(f"{line.code} {line.title}"),
                base.points(line.mean) if line.mean is not None else "—",
                number(line.max_points),
            ]
            for line in data.lines
        ]
        story += base.tables(
            [_("Criterion"), _("Your mean score"), _("Maximum points")],
            rows,
            [110 * mm, 30 * mm, 30 * mm],
            extra=[("ALIGN", (1, 1), (-1, -1), "RIGHT")],
        )
        story.append(
            base.text(
                _(
                    "The mean of the scores of the jurors whose scoresheets count (submitted, "
                    "without a conflict of interest), before the weights. The maximum possible "
                    "total with the weights is %(total)s.",
                    total=number(data.max_total),
                ),
                s.note,
            )
        )
        if data.with_comments:
            story.append(Paragraph(base.markup(_("The jurors’ comments")), s.heading))
            story.append(
                base.text(
                    _(
                        "Without the jurors’ names, criterion by criterion, in an order that "
                        "says nothing of who wrote them."
                    ),
                    s.note,
                )
            )
            written = False
            for line in data.lines:
                if line.comments:
                    story += _comments(f"{line.code} {line.title}", line.comments)
                    written = True
            if data.overall:
                story += _comments(_("Overall comments"), data.overall)
                written = True
            if not written:
                story.append(base.text(_("The jurors left no comments."), s.body))
        story += [
            Spacer(1, 6 * mm),
            base.text(_("The published results: %(url)s", url=data.results_url), s.note),
        ]
        return base.render(head, _("Feedback of the jury"), story)
