"""The addendum to the jury's protocol: appeals against the results and the commission's
answers (SPEC §14), with the chair's and the secretary's signature lines.

Each appeal in the order it was filed: the application, when it was filed, its reason,
when its answer was due, the decision (upheld or rejected) with the reasons and its
date, and whether the results were reopened on it. An appeal still awaiting its answer
says so.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer

from ...i18n import long_date, long_datetime
from . import base, sections
from .records import AppealRecord, AppealsAddendum

WIDTH = sections.WIDTH


def _decision(appeal: AppealRecord) -> str:
    if appeal.decision == "upheld":
        return _("Upheld")
    if appeal.decision == "rejected":
        return _("Rejected")
    return _("Awaits the commission’s answer")


def _appeal(index: int, appeal: AppealRecord) -> list:
    s = base.styles()
    pairs = [
        (_("Filed"), _("%(moment)s (Kyiv time)", moment=long_datetime(appeal.filed_at))),
        (_("Reason of the appeal"), appeal.reason),
        (_("Answer due"), long_date(appeal.answer_due)),
        (_("Decision"), _decision(appeal)),
    ]
    if appeal.decision:
        pairs += [
            (_("The commission’s reasons"), appeal.answer),
            (_("Answered"), long_date(appeal.answered_at)),
        ]
    if appeal.reopened_at:
        pairs.append((_("Results reopened"), long_date(appeal.reopened_at)))
    heading = Paragraph(
        base.markup(
            _(
                "%(index)s. Application %(number)s, %(organisation)s",
                index=index,
                number=appeal.number,
                organisation=appeal.organisation,
            )
        ),
        s.label,
    )
    return [
        KeepTogether([heading, base.key_values(pairs[:2], WIDTH, 45 * mm)]),
        base.key_values(pairs[2:], WIDTH, 45 * mm),
    ]


def build(data: AppealsAddendum, fonts: Path) -> bytes:
    """The addendum as PDF bytes, in ``data.letterhead.language``."""
    head = data.letterhead
    with base.composing(head, fonts):
        s = base.styles()
        protocol = _(
            "to the minutes No. %(number)s of the meeting of the contest commission of %(date)s",
            number=data.protocol_number or "____",
            date=long_date(data.protocol_date) if data.protocol_date else "____",
        )
        story: list = [
            Paragraph(base.markup(_("ADDENDUM")), s.title),
            Paragraph(
                base.markup(protocol)
                + "<br/>"
                + base.markup(_("of the contest «%(title)s»", title=head.contest_title)),
                s.subtitle,
            ),
            Paragraph(
                base.markup(_("Appeals against the results and the commission’s answers")),
                s.heading,
            ),
        ]
        rules = (
            _(
                "Appeals were taken for %(days)s days after the results were published on "
                "%(date)s.",
                days=data.appeal_days,
                date=long_date(data.published_at),
            )
            if data.published_at and data.appeal_days
            else ""
        )
        if rules:
            story.append(base.text(rules, s.body))
        if not data.appeals:
            story.append(base.text(_("No appeals were filed."), s.body))
        for index, appeal in enumerate(data.appeals, start=1):
            story += _appeal(index, appeal)
            story.append(Spacer(1, 3 * mm))
        story += sections.signatures(
            [
                (_("Chair of the commission"), data.chair),
                (_("Secretary of the commission"), data.secretary),
            ]
        )
        return base.render(head, _("Addendum to the protocol: appeals"), story)
