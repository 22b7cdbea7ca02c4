"""The applicant's receipt (SPEC §5, §7): what was submitted, when, and the files' hashes.

Never marked as a draft: it proves a submission, whatever the stage of the contest.
Answers flow over as many pages as they need; each file is listed with its size and
SHA-256, so the applicant can show later which exact files they sent.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from ...i18n import (
    file_size_text,
    kind_label,
    long_datetime,
    money,
    oblast_name,
    status_label,
)
from . import base, sections
from .records import Receipt

WIDTH = sections.WIDTH


def build(data: Receipt, fonts: Path) -> bytes:
    """The receipt as PDF bytes, in ``data.letterhead.language``."""
    head = data.letterhead
    with base.composing(head, fonts):
        s = base.styles()
        story: list = [
            Paragraph(base.markup(_("Receipt of an application")), s.title),
            Paragraph(
                base.markup(_("to the contest «%(title)s»", title=base.nested(head.contest_title))),
                s.subtitle,
            ),
            base.key_values(
                [
                    (_("Registration number"), data.number),
                    (
                        _("Submitted"),
                        _("%(moment)s (Kyiv time)", moment=long_datetime(data.submitted_at)),
                    ),
                    (_("Title"), data.title),
                    *(
                        [(_("Amount requested"), money(data.requested))]
                        if data.requested is not None
                        else []
                    ),
                ],
                WIDTH,
                45 * mm,
            ),
            Paragraph(base.markup(_("Applicant")), s.heading),
            base.key_values(
                [
                    (_("Organisation"), data.organisation),
                    (_("Kind"), kind_label(data.kind)),
                    (_("EDRPOU code"), data.edrpou),
                    (_("Oblast"), oblast_name(data.oblast)),
                    (_("Community"), data.community),
                    (_("Status"), status_label(data.status)),
                    (_("Contact person"), data.contact),
                ],
                WIDTH,
                45 * mm,
            ),
            Paragraph(base.markup(_("Answers")), s.heading),
        ]
        for answer in data.answers:
            story.append(Paragraph(base.markup(answer.label), s.label))
            story.append(base.text(answer.value, s.body))
        story.append(Paragraph(base.markup(_("Files")), s.heading))
        if data.files:
            rows = [
                [
                    sections.cell(f.name),
                    file_size_text(f.size),
                    Paragraph(f"{f.sha256[:32]}<br/>{f.sha256[32:]}", s.cell),
                ]
                for f in data.files
            ]
            story += base.tables(
                [_("File"), _("Size"), "SHA-256"],
                rows,
                [70 * mm, 22 * mm, 78 * mm],
                extra=[("ALIGN", (1, 1), (1, -1), "RIGHT")],
            )
        else:
            story.append(base.text(_("no files"), s.body))
        story.append(Spacer(1, 6 * mm))
        story.append(
            base.text(
                _(
                    "This receipt confirms that the application was received by the system at "
                    "the time shown. The SHA-256 checksum identifies each file exactly: a file "
                    "with the same checksum is the same file."
                ),
                s.note,
            )
        )
        return base.render(head, _("Receipt"), story)
