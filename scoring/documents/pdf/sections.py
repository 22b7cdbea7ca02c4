"""Parts that the results announcement, the jury's protocol and its addendum print.

The rules that decide the ranking (criteria, aggregation, thresholds, the tie-break
rule declared in advance), the winners, the full ranking and the ties with the
commission's decisions; with a fund (SPEC §12), the amounts requested and awarded, what
is left of each fund and the partial awards. Each function returns flowables in the
current language.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from flask_babel import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from ...i18n import long_date, money, number, oblast_name
from . import base
from .records import AwardRecord, FundLine, Placing, Rounds, Scoring, TieRecord, Unranked

WIDTH = 170 * mm  # A4 less the margins of base.MARGINS
AMOUNT_WIDTH = 21 * mm  # «999 999,99» on one line


def number_width(numbers: Iterable[str]) -> float:
    """The column of registration numbers: as wide as the longest of them."""
    return base.fitted_width(list(numbers), 20 * mm)


def cell(value: str, bold: bool = False) -> Paragraph:
    s = base.styles()
    return Paragraph(base.markup(value), s.cell_bold if bold else s.cell)


def scoring_rules(scoring: Scoring) -> list:
    """The criteria with their maxima and weights, how scores are combined, the tie-break."""
    s = base.styles()
    with_minimum = any(c.min_points is not None for c in scoring.criteria)
    header = [_("Code"), _("Criterion"), _("Maximum points"), _("Weight")]
    widths = [14 * mm, 106 * mm, 30 * mm, 20 * mm]
    if with_minimum:
        header.append(_("Minimum mean"))
        widths = [14 * mm, 76 * mm, 30 * mm, 20 * mm, 30 * mm]
    rows = []
    for c in scoring.criteria:
        row = [c.code, cell(c.title), number(c.max_points), number(c.weight)]
        if with_minimum:
            row.append(number(c.min_points) if c.min_points is not None else "—")
        rows.append(row)
    story: list = base.tables(header, rows, widths, extra=[("ALIGN", (2, 1), (-1, -1), "RIGHT")])
    story.append(Spacer(1, 3 * mm))
    settings = [
        (
            _("Maximum possible total"),
            _(
                "%(total)s (the sum over the criteria of the maximum points times the weight)",
                total=number(scoring.max_total),
            ),
        ),
        (_("How the jurors’ totals are combined"), scoring.aggregation),
    ]
    if scoring.normalised:
        settings.append((_("Normalisation"), scoring.normalised))
    settings.append(
        (
            _("Quorum"),
            _(
                "an application is ranked when the number of its submitted scoresheets is "
                "at least %(n)s",
                n=scoring.quorum,
            ),
        )
    )
    if scoring.min_total:
        settings.append((_("Minimum score to win"), number(scoring.min_total)))
    if scoring.max_winners_per_oblast:
        settings.append((_("Most winners from one oblast"), str(scoring.max_winners_per_oblast)))
    story.append(base.key_values(settings, WIDTH, 55 * mm))
    story.append(Spacer(1, 3 * mm))
    if scoring.unequal_jurors:
        fewest, most = scoring.unequal_jurors
        story.append(
            base.text(
                _(
                    "Note: the scores are sums of the jurors’ totals, and the applications "
                    "were scored by different numbers of jurors (from %(fewest)s to "
                    "%(most)s): an application scored by fewer jurors has a lower sum.",
                    fewest=fewest,
                    most=most,
                ),
                s.body,
            )
        )
        story.append(Spacer(1, 2 * mm))
    story.append(base.text(tie_break_rule(scoring), s.body))
    return story


def tie_break_rule(scoring: Scoring) -> str:
    codes = ", ".join(c.code for c in scoring.criteria)
    return _(
        "Tie-break rule, declared in advance: applications are ordered by their score; "
        "when scores are equal, the jurors’ mean points on each criterion are compared in "
        "the order of the criteria (%(codes)s), the higher first. Applications still equal "
        "share the place; when they compete for the last winning places, the commission "
        "decides which of them win and records why.",
        codes=codes,
    )


def _by_category(placings: Iterable[Placing]):
    return groupby(placings, key=lambda p: p.category)


def amount_cell(value, width: float) -> str:
    """An amount in a table whose heading names the unit: «48 000,00», or «—»."""
    return "—" if value is None else base.lines(money(value, unit=False), width)


def fund_text(line: FundLine) -> str:
    """«Fund 100 000,00 грн: awarded 90 000,50 грн, left 9 999,50 грн.»"""
    return _(
        "Fund %(fund)s: awarded %(awarded)s, left %(left)s.",
        fund=money(line.fund),
        awarded=money(line.awarded),
        left=money(line.left),
    )


def score_headers(rounds: Rounds | None) -> list[str]:
    """The score's columns: with rounds combined (SPEC §13) the round's own score, then
    the combined one."""
    if rounds is None:
        return [_("Score")]
    return [rounds.own_score, rounds.score] if rounds.combined else [rounds.score]


def score_cells(placing: Placing, rounds: Rounds | None) -> list[str]:
    if rounds is not None and rounds.combined:
        own = base.points(placing.own_score) if placing.own_score is not None else "—"
        return [own, base.points(placing.score)]
    return [base.points(placing.score)]


def winners(
    placings: tuple[Placing, ...], funds: tuple[FundLine, ...] = (), rounds: Rounds | None = None
) -> list:
    """Place among the winners, organisation (with its number and the notes), community,
    oblast and score of every winner; with a fund, the amount awarded and the fund; with
    rounds combined (SPEC §13), the round's own score beside the combined one."""
    s = base.styles()
    story: list = []
    by_category = {line.category: line for line in funds}
    scores = score_headers(rounds)
    for category, group in _by_category(placings):
        group = list(group)
        fund = by_category.get(category)
        header = [_("Place"), _("Organisation"), _("Community"), _("Oblast"), *scores]
        widths = [13 * mm, 61 * mm, 44 * mm, 33 * mm, 19 * mm]
        if len(scores) == 2:
            widths = [13 * mm, 46 * mm, 33 * mm, 26 * mm, 26 * mm, 26 * mm]
        if fund:
            header.append(_("Awarded, UAH"))
            widths = [12 * mm, 50 * mm, 36 * mm, 27 * mm, 18 * mm, 27 * mm]
            if len(scores) == 2:
                widths = [12 * mm, 35 * mm, 27 * mm, 20 * mm, 24 * mm, 24 * mm, 28 * mm]
        if category:
            story.append(Paragraph(base.markup(category), s.label))
        chosen = [p for p in group if p.winner]
        rows = [
            [
                str(p.winner_place),
                Paragraph(
                    f"<b>{base.markup(p.organisation)}</b><br/>"
                    f'<font size="7">{base.markup(p.number)}</font>'
                    + (f'<br/><font size="7">{base.markup(p.note)}</font>' if p.note else ""),
                    s.cell,
                ),
                cell(p.community),
                cell(oblast_name(p.oblast)),
                *score_cells(p, rounds),
                *([amount_cell(p.awarded, widths[-1])] if fund else []),
            ]
            for p in chosen
        ]
        if rows:
            story += base.tables(
                header,
                rows,
                widths,
                extra=[("ALIGN", (0, 1), (0, -1), "CENTER"), ("ALIGN", (4, 1), (-1, -1), "RIGHT")],
            )
        else:
            nobody = (
                _("No application advances.")
                if rounds is not None and rounds.advancing
                else _("No winner is determined yet.")
            )
            story.append(base.text(nobody, s.body))
        if fund:
            story.append(Spacer(1, 2 * mm))
            story.append(base.text(fund_text(fund), s.body))
        if any(p.winner is None for p in group):
            story.append(Spacer(1, 2 * mm))
            story.append(
                base.text(
                    _(
                        "Some winning places await the commission’s decision on a tie: see "
                        "«Ties and the commission’s decisions»."
                    ),
                    s.note,
                )
            )
        story.append(Spacer(1, 3 * mm))
    return story


def result_text(placing: Placing, rounds: Rounds | None = None) -> str:
    """The last column of the ranking: the outcome, then the engine's remarks."""
    # An undecided tie says so in its note.
    word = rounds.winner if rounds is not None else _("Winner")
    outcome = base.bold(word) if placing.winner else ""
    note = base.markup(placing.note)
    return "<br/>".join(part for part in (outcome, note) if part)


def ranking(
    placings: tuple[Placing, ...], *, with_jurors: bool = False, rounds: Rounds | None = None
) -> list:
    """The full ranking, category by category: the applicant with its oblast under the
    name, so that the result (the engine's remarks) has room to read in a line or two;
    with a fund, the amounts requested and awarded; with rounds combined (SPEC §13), the
    round's own score beside the combined one."""
    s = base.styles()
    story: list = []
    scores = score_headers(rounds)
    for category, group in _by_category(placings):
        group = list(group)
        funded = any(p.funded for p in group)
        # With a fund the two amounts take their room from the others, so that the
        # applicant's column still holds the longest word of a name.
        header = [_("Place"), _("Number"), _("Applicant and oblast"), *scores]
        widths = [12 * mm, number_width(p.number for p in group), 0]
        combined = len(scores) == 2  # the round's score and the combined one: wider words
        widths += [(24 if combined else 14 if funded else 15) * mm] * len(scores)
        if with_jurors:
            header.append(_("Jurors"))  # how many sheets count: «Оцінок»
            widths.append((14 if funded else 15) * mm)
        if funded:
            amounts = [money(a, unit=False) for p in group for a in (p.requested, p.awarded) if a]
            amount_width = base.fitted_width(amounts, 16 * mm)  # «Запитано,» in bold
            header += [_("Requested, UAH"), _("Awarded, UAH")]
            widths += [amount_width, amount_width]
        header.append(_("Result"))
        # «2 204 208,00 грн» on one line; with two scores, less room for the remarks.
        widths.append((30 if funded else 36 if combined else 50) * mm)
        widths[2] = WIDTH - sum(widths)
        if category:
            story.append(Paragraph(base.markup(category), s.label))
        rows = []
        for p in group:
            applicant = base.lines(p.organisation, widths[2])
            if p.oblast:
                applicant += "\n" + base.lines(oblast_name(p.oblast), widths[2])
            row = [str(p.rank), p.number, applicant, *score_cells(p, rounds)]
            if with_jurors:
                row.append(str(p.jurors))
            if funded:
                row += [amount_cell(a, amount_width) for a in (p.requested, p.awarded)]
            result = result_text(p, rounds)
            row.append(Paragraph(result, s.cell) if result else "")
            rows.append(row)
        last_number = len(widths) - 2  # the score to the last amount are numbers
        story += base.tables(
            header,
            rows,
            widths,
            extra=[
                ("ALIGN", (0, 1), (0, -1), "CENTER"),
                ("ALIGN", (3, 1), (last_number, -1), "RIGHT"),
            ],
        )
        story.append(Spacer(1, 3 * mm))
    return story


def not_ranked(items: tuple[Unranked, ...]) -> list:
    """Admitted applications left out of the ranking, with the reason."""
    if not items:
        return []
    s = base.styles()
    story: list = [Paragraph(base.markup(_("Not ranked")), s.label)]
    rows = [[u.number, cell(u.organisation), cell(u.reason)] for u in items]
    widths = [number_width(u.number for u in items), 0, 70 * mm]
    widths[1] = WIDTH - sum(widths)
    story += base.tables([_("Number"), _("Organisation"), _("Reason")], rows, widths)
    return story


def ties(records: tuple[TieRecord, ...], awards: tuple[AwardRecord, ...] = ()) -> list:
    """Each tie at the last winning places and what the commission decided; then the
    applications the commission funded in part (SPEC §12)."""
    s = base.styles()
    story: list = []
    for award in awards:
        story.append(
            base.text(
                _(
                    "Decision of the commission (%(date)s): %(application)s, which requested "
                    "%(requested)s, is funded in part with %(amount)s from what is left of "
                    "the fund.",
                    date=long_date(award.decided_at),
                    application=award.application,
                    requested=money(award.requested),
                    amount=money(award.amount),
                ),
                s.body,
            )
        )
        story.append(base.text(_("Reason: %(reason)s", reason=award.reason), s.body))
    if not records:
        if awards:
            return story
        return [
            base.text(
                _("No tie at the last winning places: the commission had nothing to decide."),
                s.body,
            )
        ]
    for tie in records:
        place = (
            _("Place %(rank)s in the category «%(category)s»", rank=tie.rank, category=tie.category)
            if tie.category
            else _("Place %(rank)s", rank=tie.rank)
        )
        heading = f"<b>{base.markup(place)}.</b>"
        if tie.applications:
            heading += " " + base.markup(
                _("Equal scores: %(applications)s.", applications="; ".join(tie.applications))
            )
        story.append(Paragraph(heading, s.body))
        if not tie.winners:
            story.append(
                base.text(_("The commission has not yet decided which of them win."), s.body)
            )
            continue
        if len(tie.winners) == 1:
            decided = _(
                "Decision of the commission (%(date)s): the winner is the application %(winner)s.",
                date=long_date(tie.decided_at),
                winner=tie.winners[0],
            )
        else:
            decided = _(
                "Decision of the commission (%(date)s): the winners are the applications "
                "%(winners)s.",
                date=long_date(tie.decided_at),
                winners="; ".join(tie.winners),
            )
        story.append(base.text(decided, s.body))
        story.append(base.text(_("Reason: %(reason)s", reason=tie.reason), s.body))
    return story


def signatures(lines: Iterable[tuple[str, str]]) -> list:
    """Signature lines: (role, name) each over a line to sign on, «(signature)» below."""
    s = base.styles()
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
