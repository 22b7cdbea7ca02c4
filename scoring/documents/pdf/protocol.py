"""The protocol of the jury's meeting (SPEC §7), in the form Ukrainian commissions keep.

«ПРОТОКОЛ № …», date and place, who is present, the agenda, and for each item what was
heard («СЛУХАЛИ») and decided («ВИРІШИЛИ»): declared conflicts of interest, the matrix
of each juror's totals with the aggregated scores, divergences and how they were
resolved, the ranking, the winners and the commission's decisions on ties. It ends
with the final hash of the audit log and the signature lines.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer, Table, TableStyle

from ...i18n import long_date, money, number, percent
from . import base, sections
from .records import NOT_ASSIGNED, NOT_SUBMITTED, RECUSED, MatrixRow, Member, Protocol

WIDTH = sections.WIDTH
JURORS_PER_TABLE = 8  # more jurors than this: the matrix continues in another table
BLANK = "_" * 24


def _members(data: Protocol) -> list:
    s = base.styles()
    chair = [m.name for m in data.jurors if m.chair]
    others = [m.name for m in data.jurors if not m.chair]
    pairs = []
    if chair:
        pairs.append((_("Chair of the commission"), ", ".join(chair)))
    if others:
        pairs.append((_("Members of the commission"), ", ".join(others)))
    pairs.append((_("Secretary of the commission"), data.secretary or BLANK))
    return [
        Paragraph(base.markup(_("Present:")), s.label),
        base.key_values(pairs, WIDTH, 55 * mm),
    ]


def _agenda() -> list[str]:
    return [
        _("On the members’ declarations of conflicts of interest."),
        _("On the results of scoring the applications."),
        _("On applications with divergent scores."),
        _("On the ranking of the applications and the winners of the contest."),
    ]


def _heard(data: Protocol, item: int, topic: str) -> Paragraph:
    who = data.secretary or BLANK
    return Paragraph(
        base.bold(f"{item}. " + _("HEARD:"))
        + " "
        + base.markup(
            _("%(name)s, secretary of the commission, — %(topic)s", name=who, topic=topic)
        ),
        base.styles().body,
    )


def _decided(lines: list[str]) -> list:
    s = base.styles()
    story: list = [Paragraph(base.bold(_("DECIDED:")), s.body)]
    if len(lines) == 1:
        story.append(base.text(lines[0], s.body))
    else:
        story += [base.text(f"{i}. {line}", s.body) for i, line in enumerate(lines, start=1)]
    story.append(Spacer(1, 3 * mm))
    return story


def _conflicts(data: Protocol) -> list:
    s = base.styles()
    story = [_heard(data, 1, _("on the members’ declarations of conflicts of interest."))]
    if data.entered:
        opening = _(
            "In the system, before an application’s content opened, each member assigned to "
            "it declared that they had no conflict of interest with the applicant, or recused "
            "themselves with a written declaration. The scoresheets listed below were filled "
            "in on paper and entered into the system afterwards: the system holds no "
            "declaration of the member for them."
        )
    else:
        opening = _(
            "Before an application’s content opened, each member assigned to it declared "
            "that they had no conflict of interest with the applicant, or recused "
            "themselves with a written declaration."
        )
    story.append(base.text(opening, s.body))
    if data.entered:
        story += base.tables(
            [_("Member of the commission"), _("Scoresheets"), _("Entered by"), _("Date")],
            [
                [
                    sections.cell(e.juror),
                    str(e.sheets),
                    sections.cell(e.by or _("the command line")),
                    sections.cell(long_date(e.on)),
                ]
                for e in data.entered
            ],
            [50 * mm, 25 * mm, 60 * mm, 35 * mm],
            extra=[("ALIGN", (1, 1), (1, -1), "RIGHT")],
        )
        story.append(Spacer(1, 2 * mm))
    if data.recusals:
        rows = [
            [
                sections.cell(r.juror),
                Paragraph(f"{base.markup(r.number)}<br/>{base.markup(r.organisation)}", s.cell),
                sections.cell(r.declaration),
                sections.cell(
                    long_date(r.declared_at)
                    if r.declared_at
                    else _("entered from paper, %(date)s", date=long_date(r.entered_at))
                ),
            ]
            for r in data.recusals
        ]
        story += base.tables(
            [_("Member of the commission"), _("Application"), _("Declaration"), _("Date")],
            rows,
            [34 * mm, 48 * mm, 58 * mm, 30 * mm],
        )
        story.append(Spacer(1, 2 * mm))
        decided = _(
            "Take note of the declarations. A member who declared a conflict of interest "
            "did not score that application, and their scoresheet for it is not counted."
        )
    else:
        story.append(base.text(_("No member declared a conflict of interest."), s.body))
        decided = _("Take note.")
    return story + _decided([decided])


def _cell_text(value) -> str:
    if value == RECUSED:
        return _("recused")
    if value == NOT_SUBMITTED:
        return "—"  # the legend under the table tells it from a recusal
    if value == NOT_ASSIGNED:
        return ""
    return base.points(value)


def _matrix(data: Protocol) -> list:
    s = base.styles()
    story: list = []
    jurors = list(data.jurors)
    groups = [
        list(range(start, min(start + JURORS_PER_TABLE, len(jurors))))
        for start in range(0, max(len(jurors), 1), JURORS_PER_TABLE)
    ]
    for position, columns in enumerate(groups):
        last = position == len(groups) - 1
        juror_width = 12.5 * mm
        score_width = 16 * mm if last else 0
        widths = [25 * mm, 0, *([juror_width] * len(columns))]
        if last:
            widths.append(score_width)
        widths[1] = WIDTH - sum(widths)
        header = [_("Number"), _("Organisation")]
        header += [_("J%(n)s", n=i + 1) for i in columns]
        if last:
            header.append(_("Score"))
        rows = []
        for row in data.matrix:
            line = [row.number, base.lines(row.organisation, widths[1])]
            line += [_cell_text(row.totals[i]) for i in columns]
            if last:
                line.append(_score_text(row))
            rows.append(line)
        story += base.tables(
            header,
            rows,
            widths,
            extra=[("ALIGN", (2, 0), (-1, -1), "RIGHT")],
        )
        story.append(Spacer(1, 2 * mm))
    legend = [_("J%(n)s", n=i) + " — " + _member_name(m) for i, m in enumerate(jurors, start=1)]
    story.append(base.text("; ".join(legend) + ".", s.small))
    story.append(
        base.text(
            _(
                "In the cells: the member’s total (Σ weight × points); «%(recused)s»: the "
                "member declared a conflict of interest; «—»: the scoresheet is not "
                "submitted; empty: the application was not assigned to the member. "
                "* — divergent scores (see item 3).",
                recused=_("recused"),
            ),
            s.small,
        )
    )
    return story


def _member_name(member: Member) -> str:
    if member.chair:
        return _("%(name)s (chair)", name=member.name)
    return member.name


def _score_text(row: MatrixRow) -> str:
    if row.score is None:
        return "—"
    return base.points(row.score) + ("*" if row.divergent else "")


def _scoring(data: Protocol) -> list:
    s = base.styles()
    admitted = len(data.matrix)
    story = [
        _heard(
            data,
            2,
            _(
                "on the results of scoring the %(count)s applications admitted to evaluation.",
                count=admitted,
            ),
        ),
        Paragraph(base.markup(_("The criteria and the scoring rules")), s.label),
    ]
    story += sections.scoring_rules(data.scoring)
    story.append(Paragraph(base.markup(_("The members’ totals per application")), s.label))
    story += _matrix(data)
    return story + _decided(
        [_("Approve the results of scoring as given in the table of the members’ totals.")]
    )


def _divergences(data: Protocol) -> list:
    s = base.styles()
    threshold = data.scoring.divergence_threshold
    story = [
        _heard(data, 3, _("on applications with divergent scores.")),
        base.text(
            _(
                "Scores are divergent when the highest and the lowest member’s total of an "
                "application differ by more than %(share)s of the maximum possible total, "
                "that is, when the difference exceeds %(points)s.",
                share=percent(threshold),
                points=number(threshold * data.scoring.max_total),
            ),
            s.body,
        ),
    ]
    if not data.divergences:
        story.append(base.text(_("No application has divergent scores."), s.body))
        return story + _decided([_("Take note.")])
    rows = [
        [
            d.number,
            sections.cell(d.organisation),
            base.points(d.spread),
            sections.cell("\n".join(d.resolutions) or _("No decision is recorded.")),
        ]
        for d in data.divergences
    ]
    story += base.tables(
        [_("Number"), _("Organisation"), _("Difference"), _("How it was resolved")],
        rows,
        [25 * mm, 55 * mm, 20 * mm, 70 * mm],
        extra=[("ALIGN", (2, 1), (2, -1), "RIGHT")],
    )
    story.append(Spacer(1, 2 * mm))
    unresolved = [d.number for d in data.divergences if not d.resolutions]
    lines = [_("Take note of how the divergent scores were resolved, as given in the table.")]
    if unresolved:
        lines.append(
            _(
                "Divergent scores without a recorded decision (%(numbers)s): %(blank)s",
                numbers=", ".join(unresolved),
                blank=BLANK * 2,
            )
        )
    return story + _decided(lines)


def _winners_list(data: Protocol) -> str:
    chosen = [p for p in data.placings if p.winner]
    if not chosen:
        return _("No winner is determined yet.")
    parts = [
        _(
            "place %(rank)s — %(number)s %(organisation)s (%(score)s)",
            rank=p.rank,
            number=p.number,
            organisation=p.organisation,
            score=base.points(p.score),
        )
        + (_(", awarded %(amount)s", amount=money(p.awarded)) if p.awarded is not None else "")
        for p in chosen
    ]
    return "; ".join(parts) + "."


def _ranking(data: Protocol) -> list:
    s = base.styles()
    story = [_heard(data, 4, _("on the ranking of the applications and the winners."))]
    story += sections.ranking(data.placings, with_jurors=True)
    for line in data.funds:
        name = f"{line.category}. " if line.category else ""
        story.append(base.text(name + sections.fund_text(line), s.body))
    story += sections.not_ranked(data.not_ranked)
    story.append(Paragraph(base.markup(_("Ties and the commission’s decisions")), s.label))
    story += sections.ties(data.ties, data.awards)
    story.append(Spacer(1, 2 * mm))
    lines = [
        _("Approve the ranking of the applications as given in the table."),
        _("Declare the winners of the contest: %(winners)s", winners=_winners_list(data)),
    ]
    lines += [
        _(
            "Award grants from the fund%(category)s of %(fund)s: %(awarded)s in total; "
            "%(left)s remains.",
            category=f" «{line.category}»" if line.category else "",
            fund=money(line.fund),
            awarded=money(line.awarded),
            left=money(line.left),
        )
        for line in data.funds
    ]
    for tie in data.ties:
        if not tie.winners:
            lines.append(
                _(
                    "On the tie at place %(rank)s the commission decides: %(blank)s",
                    rank=tie.rank,
                    blank=BLANK * 3,
                )
            )
    return story + _decided(lines)


def _audit(data: Protocol) -> list:
    s = base.styles()
    if data.audit_broken_at is not None:
        words = _(
            "Warning: the audit log does not verify; it breaks at entry %(id)s. The record "
            "of the evaluation may have been changed outside the system.",
            id=data.audit_broken_at,
        )
        return [base.text(words, s.bold)]
    warning = []
    if data.audit_anchor_problem:
        warning = [base.text(_("Warning: %(problem)s", problem=data.audit_anchor_problem), s.bold)]
    words = _(
        "Entries in the audit log of the system when this protocol is generated: "
        "%(count)s; the last one is entry No. %(number)s, its hash (SHA-256):",
        count=data.audit_entries,
        number=data.audit_last_entry,
    )
    return [
        *warning,
        base.text(words, s.small),
        Paragraph(base.markup(data.audit_hash), s.cell_bold),
        base.text(
            _(
                "Anyone can check the chain with the command «flask audit-verify»; an entry "
                "removed later from its end shows against this number and hash."
            ),
            s.note,
        ),
    ]


def _signatures(data: Protocol) -> list:
    s = base.styles()
    lines: list[tuple[str, str]] = []
    chair = [m.name for m in data.jurors if m.chair]
    lines.append((_("Chair of the commission"), chair[0] if chair else ""))
    if data.every_member_signs:
        lines += [(_("Member of the commission"), m.name) for m in data.jurors if not m.chair]
    lines.append((_("Secretary of the commission"), data.secretary))
    rows = []
    for role, name in lines:
        rows.append([base.text(role, s.body), "", base.text(name, s.body)])
        rows.append(["", base.text(_("(signature)"), s.caption), ""])
    table = Table(
        rows,
        colWidths=[55 * mm, 55 * mm, 60 * mm],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), base.FONT),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("ALIGN", (1, 0), (1, -1), "CENTER"),
                *[
                    ("LINEBELOW", (1, r), (1, r), 0.6, base.colors.black)
                    for r in range(0, len(rows), 2)
                ],
                *[("TOPPADDING", (0, r), (-1, r), 7 * mm) for r in range(0, len(rows), 2)],
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
        hAlign="LEFT",
    )
    return [Spacer(1, 4 * mm), table]


def build(data: Protocol, fonts: Path, progress: Callable[[int, int], None] | None = None) -> bytes:
    """The protocol as PDF bytes, in ``data.letterhead.language``; ``progress(done, total)``
    hears how far the layout has gone."""
    head = data.letterhead
    with base.composing(head, fonts):
        s = base.styles()
        number_text = data.number or "____"
        story: list = [
            Paragraph(base.markup(_("MINUTES No. %(number)s", number=number_text)), s.title),
            Paragraph(
                base.markup(_("of the meeting of the contest commission"))
                + "<br/>"
                + base.markup(_("of the contest «%(title)s»", title=head.contest_title)),
                s.subtitle,
            ),
        ]
        place_and_date = Table(
            [[base.text(data.place or BLANK, s.body), base.text(long_date(data.date), s.right)]],
            colWidths=[WIDTH / 2, WIDTH / 2],
            style=TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), base.FONT),
                    ("LEFTPADDING", (0, 0), (0, 0), 0),
                    ("RIGHTPADDING", (1, 0), (1, 0), 0),
                ]
            ),
        )
        story += [place_and_date, Spacer(1, 3 * mm)]
        story += _members(data)
        story.append(Paragraph(base.markup(_("AGENDA:")), s.label))
        story += [base.text(f"{i}. {item}", s.body) for i, item in enumerate(_agenda(), 1)]
        story.append(Spacer(1, 3 * mm))
        story += _conflicts(data)
        story += _scoring(data)
        story += _divergences(data)
        story.append(CondPageBreak(40 * mm))
        story += _ranking(data)
        # The signatures never stand alone on the last page.
        story.append(KeepTogether(_audit(data) + _signatures(data)))
        return base.render(head, _("Protocol of the jury"), story, progress=progress)
