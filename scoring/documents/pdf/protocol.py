"""The protocol of the jury's meeting (SPEC §7, §16), in the form Ukrainian commissions keep.

«ПРОТОКОЛ № …», the place and the date of the meeting, the members present and absent
with their positions, the secretary, the quorum («Присутні 5 з 7 членів комісії,
засідання правомочне»), the agenda, and for each question what was heard («СЛУХАЛИ»),
decided («ВИРІШИЛИ») and how the commission voted: declared conflicts of interest, each
juror's totals with the aggregated scores, divergences and how they were resolved, the
ranking, the winners and the commission's decisions on ties. It ends with the final
hash of the audit log and the signature lines of the chair and the secretary.

What the organisers have not entered yet (the number, the date, the place, who was
present, the votes) is printed as a line to fill in by hand, never guessed.

The members' totals: up to ``JURORS_PER_TABLE`` members, a matrix with a column per
member; with more, each application's line names the members who scored it (a matrix
of fifteen narrow columns has no room for the organisation's name). Every cell's text
fits its cell: a recusal is «КІ» in the matrix, explained under it.

Longer than 600 lines: the protocol is one document whose sections follow the agenda
and share its record, its wording of decisions and votes; split, they would be read
apart from the order the commission signs.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import ngettext
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer, Table, TableStyle

from ...i18n import long_date, money, number, percent, quorum_sentence
from . import base, sections
from .records import NOT_ASSIGNED, NOT_SUBMITTED, RECUSED, MatrixRow, Member, Protocol

WIDTH = sections.WIDTH
JURORS_PER_TABLE = 8  # more jurors than this: each line names the members instead
MIN_ORGANISATION = 30 * mm  # the matrix's organisation column, at the least
BLANK = "_" * 24
SHORT_BLANK = "____"


def _name(member: Member) -> str:
    if member.chair:
        return _("%(name)s (chair of the commission)", name=member.name)
    return member.name


def _members_table(members: list[Member], with_presence: bool) -> list:
    header = [_("Full name"), _("Position")]
    widths = [72 * mm, WIDTH - 72 * mm]
    if with_presence:
        header.append(_("Present (yes / no)"))
        widths = [72 * mm, WIDTH - 72 * mm - 36 * mm, 36 * mm]
    rows = [
        [sections.cell(_name(m)), sections.cell(m.position), *([""] if with_presence else [])]
        for m in members
    ]
    return base.tables(header, rows, widths)


def quorum_text(data: Protocol) -> str:
    """«Присутні 5 з 7 членів комісії, засідання правомочне.», or blanks to fill in."""
    members = [m for m in data.jurors if not m.former]
    if not members or any(m.present is None for m in members):
        return _(
            "Present: %(blank)s of %(num)s members of the commission; the meeting is %(verdict)s.",
            blank=SHORT_BLANK,
            num=len(members),
            verdict=BLANK,
        )
    present = sum(1 for m in members if m.present)
    return quorum_sentence(present, len(members), data.quorum_needed)


def _attendance(data: Protocol) -> list:
    s = base.styles()
    members = [m for m in data.jurors if not m.former]
    recorded = bool(members) and all(m.present is not None for m in members)
    story: list = []
    if recorded:
        present = [m for m in members if m.present]
        absent = [m for m in members if not m.present]
        story.append(Paragraph(base.markup(_("Members of the commission present:")), s.label))
        story += _members_table(present, False) if present else [base.text("—", s.body)]
        if absent:
            story.append(Paragraph(base.markup(_("Members of the commission absent:")), s.label))
            story += _members_table(absent, False)
    else:
        story.append(Paragraph(base.markup(_("Members of the commission:")), s.label))
        story += _members_table(members, True)
    secretary = data.secretary or BLANK
    if data.secretary_position:
        secretary = f"{secretary}, {data.secretary_position}"
    story.append(Spacer(1, 2 * mm))
    story.append(
        Paragraph(
            base.bold(_("Secretary of the commission:")) + " " + base.markup(secretary), s.body
        )
    )
    story.append(Paragraph(base.bold(quorum_text(data)), s.body))
    return story


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


def vote_text(data: Protocol, item: str) -> str:
    """How the commission voted on ``item``: the numbers, blanks to fill in when who was
    present is not recorded, "" when it decided without a vote."""
    vote = data.votes.get(item)
    members = [m for m in data.jurors if not m.former]
    if vote is None and members and all(m.present is not None for m in members):
        return ""
    counts = (
        (str(vote.votes_for), str(vote.against), str(vote.abstained))
        if vote
        else (SHORT_BLANK,) * 3
    )
    voted = _(
        "Voted: for — %(for)s, against — %(against)s, abstained — %(abstained)s.",
        **dict(zip(("for", "against", "abstained"), counts, strict=True)),
    )
    if vote and vote.chair_decided:
        voted += " " + _("The votes being equal, the chair’s vote decided.")
    return voted


def _decided(data: Protocol, item: str, lines: list[str]) -> list:
    s = base.styles()
    story: list = [Paragraph(base.bold(_("DECIDED:")), s.body)]
    if len(lines) == 1:
        story.append(base.text(lines[0], s.body))
    else:
        story += [base.text(f"{i}. {line}", s.body) for i, line in enumerate(lines, start=1)]
    voted = vote_text(data, item)
    if voted:
        story.append(base.text(voted, s.body))
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
        dates = [
            long_date(r.declared_at)
            if r.declared_at
            else _("entered from paper, %(date)s", date=long_date(r.entered_at))
            for r in data.recusals
        ]
        widths = [40 * mm, 46 * mm, 0, base.fitted_width(dates, 24 * mm)]  # a date on one line
        widths[2] = WIDTH - sum(widths)
        rows = [
            [
                base.lines(r.juror, widths[0]),  # a long name breaks at its hyphen
                Paragraph(f"{base.markup(r.number)}<br/>{base.markup(r.organisation)}", s.cell),
                sections.cell(r.declaration),
                sections.cell(day),
            ]
            for r, day in zip(data.recusals, dates, strict=True)
        ]
        story += base.tables(
            [_("Member of the commission"), _("Application"), _("Declaration"), _("Date")],
            rows,
            widths,
        )
        story.append(Spacer(1, 2 * mm))
        decided = _(
            "Take note of the declarations. A member who declared a conflict of interest "
            "did not score that application, and their scoresheet for it is not counted."
        )
    else:
        story.append(base.text(_("No member declared a conflict of interest."), s.body))
        decided = _("Take note.")
    return story + _decided(data, "conflicts", [decided])


def _cell_text(value, *, short: bool = True) -> str:
    if value == RECUSED:
        # «КІ» fits a matrix column; a line of the long form has room for the word.
        return _("CI") if short else _("recused")
    if value == NOT_SUBMITTED:
        return "—"  # the legend under the table tells it from a recusal
    if value == NOT_ASSIGNED:
        return ""
    return base.points(value)


def _matrix_columns(data: Protocol) -> list | None:
    """Up to ``JURORS_PER_TABLE`` members: a column each, each as wide as its widest
    total; None when the organisation's column would be left too narrow to read."""
    count = len(data.jurors)
    if count > JURORS_PER_TABLE:
        return None
    cells = [[_cell_text(total) for total in row.totals] for row in data.matrix]
    scores = [_score_text(row) for row in data.matrix]
    numbers = sections.number_width(row.number for row in data.matrix)
    totals = [base.fitted_width([line[i] for line in cells], 12.5 * mm) for i in range(count)]
    widths = [numbers, 0, *totals, base.fitted_width(scores, 16 * mm)]
    widths[1] = WIDTH - sum(widths)
    if widths[1] < MIN_ORGANISATION:
        return None
    header = [_("Number"), _("Organisation")]
    header += [_("J%(n)s", n=i + 1) for i in range(count)]
    header.append(_("Score"))
    rows = [
        [row.number, base.lines(row.organisation, widths[1]), *line, score]
        for row, line, score in zip(data.matrix, cells, scores, strict=True)
    ]
    return base.tables(header, rows, widths, extra=[("ALIGN", (2, 0), (-1, -1), "RIGHT")])


def _matrix_lines(data: Protocol) -> list:
    """More members: each application's line names the members who scored it."""
    widths = [sections.number_width(row.number for row in data.matrix), 50 * mm, 0, 16 * mm]
    widths[2] = WIDTH - sum(widths)
    header = [_("Number"), _("Organisation"), _("The members’ totals"), _("Score")]
    rows = []
    for row in data.matrix:
        totals = "; ".join(
            f"{_('J%(n)s', n=i)}:\u00a0{_cell_text(total, short=False)}"  # never split
            for i, total in enumerate(row.totals, start=1)
            if total != NOT_ASSIGNED
        )
        rows.append(
            [
                row.number,
                base.lines(row.organisation, widths[1]),
                base.lines(totals, widths[2]),
                _score_text(row),
            ]
        )
    return base.tables(header, rows, widths, extra=[("ALIGN", (3, 0), (3, -1), "RIGHT")])


def _matrix(data: Protocol) -> list:
    s = base.styles()
    table = _matrix_columns(data)
    columns = table is not None
    story: list = table if columns else _matrix_lines(data)
    story.append(Spacer(1, 2 * mm))
    legend = [
        _("J%(n)s", n=i) + " — " + _member_name(m) for i, m in enumerate(data.jurors, start=1)
    ]
    story.append(base.text("; ".join(legend) + ".", s.small))
    if columns:
        cells = _(
            "In the cells: the member’s total (Σ weight × points); «%(recused)s»: the member "
            "declared a conflict of interest and recused themselves; «—»: the scoresheet is "
            "not submitted; empty: the application was not assigned to the member. "
            "* — divergent scores (see item 3).",
            recused=_("CI"),
        )
    else:
        cells = _(
            "For each application, the members it was assigned to with their totals "
            "(Σ weight × points); «%(recused)s»: the member declared a conflict of interest; "
            "«—»: the scoresheet is not submitted. * — divergent scores (see item 3).",
            recused=_("recused"),
        )
    story.append(base.text(cells, s.small))
    return story


def _member_name(member: Member) -> str:
    if member.chair:
        return _("%(name)s (chair)", name=member.name)
    if member.former:
        return _("%(name)s (no longer on the jury)", name=member.name)
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
            ngettext(
                "on the results of scoring the %(num)d application admitted to evaluation.",
                "on the results of scoring the %(num)d applications admitted to evaluation.",
                admitted,
            ),
        ),
        Paragraph(base.markup(_("The criteria and the scoring rules")), s.label),
    ]
    story += sections.scoring_rules(data.scoring)
    story.append(Paragraph(base.markup(_("The members’ totals per application")), s.label))
    story += _matrix(data)
    return story + _decided(
        data,
        "scoring",
        [_("Approve the results of scoring as given in the table of the members’ totals.")],
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
        return story + _decided(data, "divergences", [_("Take note.")])
    widths = [sections.number_width(d.number for d in data.divergences), 0, 20 * mm, 70 * mm]
    widths[1] = WIDTH - sum(widths)
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
        widths,
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
    return story + _decided(data, "divergences", lines)


def _winners_list(chosen: list) -> str:
    """«1 місце — UCH-2026-001 (ГО «Світанок»), бал 28,50, надано 48 000,00 грн; 2 місце
    — …»: the places among the winners, as the diplomas name them, and with a fund the
    amount awarded."""
    parts = [
        _(
            "place %(rank)s — %(number)s %(organisation)s (%(score)s)",
            rank=p.winner_place or p.rank,
            number=p.number,
            organisation=p.organisation,
            score=base.points(p.score),
        )
        + (_(", awarded %(amount)s", amount=money(p.awarded)) if p.awarded is not None else "")
        for p in chosen
    ]
    return "; ".join(parts) + "."


def _declared(data: Protocol) -> list[str]:
    """Who the commission declares the winners, category by category; in a round that
    another follows, who advances to it (SPEC §13)."""
    lines = []
    for category, group in groupby(data.placings, key=lambda p: p.category):
        chosen = [p for p in group if p.winner]
        if not chosen:
            continue
        listed = _winners_list(chosen)
        if data.rounds is not None and data.rounds.advancing and category:
            lines.append(
                _(
                    "Admit to the next round in the category «%(category)s»: %(applications)s",
                    category=category,
                    applications=listed,
                )
            )
        elif data.rounds is not None and data.rounds.advancing:
            lines.append(_("Admit to the next round: %(applications)s", applications=listed))
        elif category and len(chosen) == 1:
            lines.append(
                _(
                    "Declare the winner in the category «%(category)s»: %(winner)s",
                    category=category,
                    winner=listed,
                )
            )
        elif category:
            lines.append(
                _(
                    "Declare the winners in the category «%(category)s»: %(winners)s",
                    category=category,
                    winners=listed,
                )
            )
        elif len(chosen) == 1:
            lines.append(_("Declare the winner of the contest: %(winner)s", winner=listed))
        else:
            lines.append(_("Declare the winners of the contest: %(winners)s", winners=listed))
    return lines or [_("No winner is determined yet.")]


def _ranking(data: Protocol) -> tuple[list, list]:
    """What was heard on the ranking, and what was decided (kept with the signatures)."""
    s = base.styles()
    heard = _("on the ranking of the applications and the winners.")
    if data.rounds is not None and data.rounds.advancing:
        heard = _("on the ranking of the applications and those who advance to the next round.")
    story = [_heard(data, 4, heard)]
    if data.rounds is not None:
        story.append(base.text(f"{data.rounds.heading}. {data.rounds.summary}", s.body))
    story += sections.ranking(data.placings, with_jurors=True, rounds=data.rounds)
    for line in data.funds:
        name = f"{line.category}. " if line.category else ""
        story.append(base.text(name + sections.fund_text(line), s.body))
    story += sections.not_ranked(data.not_ranked)
    story.append(Paragraph(base.markup(_("Ties and the commission’s decisions")), s.label))
    story += sections.ties(data.ties, data.awards)
    story.append(Spacer(1, 2 * mm))
    lines = [_("Approve the ranking of the applications as given in the table."), *_declared(data)]
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
        if tie.winners:
            continue
        if tie.category:
            undecided = _(
                "On the tie at place %(rank)s in the category «%(category)s» the commission "
                "decides: %(blank)s",
                rank=tie.rank,
                category=tie.category,
                blank=BLANK * 3,
            )
        else:
            undecided = _(
                "On the tie at place %(rank)s the commission decides: %(blank)s",
                rank=tie.rank,
                blank=BLANK * 3,
            )
        lines.append(undecided)
    return story, _decided(data, "ranking", lines)


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
    lines: list[tuple[str, str]] = []
    chair = [m.name for m in data.jurors if m.chair]
    lines.append((_("Chair of the commission"), chair[0] if chair else ""))
    if data.every_member_signs:  # those present, when who was present is recorded
        lines += [
            (_("Member of the commission"), m.name)
            for m in data.jurors
            if not m.chair and not m.former and m.present is not False
        ]
    lines.append((_("Secretary of the commission"), data.secretary))
    return sections.signatures(lines)


def _heading(data: Protocol) -> list:
    s = base.styles()
    head = data.letterhead
    place_and_date = Table(
        [
            [
                base.text(data.place or BLANK, s.body),
                base.text(
                    long_date(data.date) if data.date else _("date: %(blank)s", blank=BLANK),
                    s.right,
                ),
            ]
        ],
        colWidths=[WIDTH * 0.6, WIDTH * 0.4],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), base.FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("RIGHTPADDING", (1, 0), (1, 0), 0),
            ]
        ),
    )
    return [
        Paragraph(
            base.markup(_("MINUTES No. %(number)s", number=data.number or SHORT_BLANK)), s.title
        ),
        Paragraph(
            base.markup(_("of the meeting of the contest commission"))
            + "<br/>"
            + base.markup(_("of the contest «%(title)s»", title=base.nested(head.contest_title))),
            s.subtitle,
        ),
        place_and_date,
        Spacer(1, 3 * mm),
    ]


def build(data: Protocol, fonts: Path, progress: Callable[[int, int], None] | None = None) -> bytes:
    """The protocol as PDF bytes, in ``data.letterhead.language``; ``progress(done, total)``
    hears how far the layout has gone."""
    head = data.letterhead
    with base.composing(head, fonts):
        s = base.styles()
        story: list = _heading(data) + _attendance(data)
        story.append(Paragraph(base.markup(_("AGENDA:")), s.label))
        story += [
            base.text(f"{i}. {wording}", s.body)
            for i, (_item, wording) in enumerate(data.agenda, start=1)
        ]
        story.append(Spacer(1, 3 * mm))
        story += _conflicts(data)
        story += _scoring(data)
        story += _divergences(data)
        story.append(CondPageBreak(40 * mm))
        heard, decided = _ranking(data)
        story += heard
        # The signatures never stand alone on the last page: the last decision stays with them.
        story.append(KeepTogether(decided + _audit(data) + _signatures(data)))
        return base.render(head, _("Protocol of the jury"), story, progress=progress)
