"""What the organisers' ranking page shows (SPEC §6, §11), formatted for the template.

``page`` loads the contest once (``loading.load``, five queries) plus a fixed number of
queries for names and for the divergent applications, whatever the number of
applications; the rows are formatted here, so the template loop only prints.

In a blind contest the applicants' names stay hidden on these pages and in the
exports («Application 3») while the jury is still scoring (``shown_names``): the ranking page
can be on a screen at a meeting of the jury, and blind scoring promises the jurors that
they do not learn who applied before their scores are in. From deliberation on, the
commission discusses named applications.

The stability check (``stability.check``) costs ``jurors + 2 × criteria`` rankings: it
runs with the page while ``sheets × rankings`` stays under ``STABILITY_BUDGET`` (every
contest of a few hundred applications), and on request (``?stability=1``, a button)
above it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from .. import lifecycle, ranking, rounds
from ..extensions import db
from ..i18n import (
    AGGREGATION_LABELS,
    NORMALISE_LABELS,
    current_language,
    money,
    oblast_name,
    person_in,
)
from ..models import (
    Application,
    Contest,
    Decision,
    DecisionKind,
    Normalise,
    SheetState,
)
from . import charts, exports, operations, stability
from .loading import load
from .presentation import (
    Points,
    applicant_names,
    balances,
    describe,
    notes_text,
    title,
    to_decimal,
    undecided_ties,
)

# Below this many sheet rankings (sheets × changes), the stability check runs with the page.
STABILITY_BUDGET = 40_000
# The ranking page shows this many rows at a time: a contest of 1,000 on one page, one of
# 10,000 in ten, and no row out of sight (another page, or left out by the filters) is
# formatted or rendered.
PAGE_ROWS = 1000
SEARCH_MAX = 200


@dataclass(frozen=True)
class RankingFilters:
    """Which ranked rows the page shows; an empty value means "any". The places stay those
    of the whole ranking."""

    search: str = ""  # a part of the number or of the applicant's name as shown
    show: str = ""  # "", winners, divergent, flagged
    oblast: str = ""
    category: str = ""  # the category's code

    def args(self) -> dict[str, str]:
        """The filters set, as the query parameters of the page's URL."""
        names = {"search": "q"}
        return {names.get(k, k): v for k, v in self.__dict__.items() if v}

    def keeps(self, row: ranking.Row, name: str) -> bool:
        """Whether the page shows ``row``, its applicant shown as ``name``."""
        if self.oblast and row.oblast != self.oblast:
            return False
        if self.category and row.category != self.category:
            return False
        if self.show == "winners" and row.winner is False:
            return False
        if self.show == "divergent" and not row.divergent:
            return False
        if self.show == "flagged" and not (row.divergent or row.tie or row.notes):
            return False
        needle = self.search.casefold()
        return not needle or needle in row.number.casefold() or needle in name.casefold()


FLAG_LABELS = {
    "divergent": _l("divergent"),
    "tie": _l("tie"),
    "tie_undecided": _l("undecided tie"),
    "decision": _l("decided by the commission"),
    "below_min_total": _l("below a threshold"),
    "below_min_points": _l("below a threshold"),
    "oblast_cap": _l("oblast cap"),
    "fund": _l("does not fit in the fund"),
    "no_request": _l("no amount"),
    "fund_pending": _l("awaits a decision"),
    "partial": _l("funded in part"),
}


def _change_text(change: stability.Change, jurors: dict) -> str:
    if change.kind == "without_juror":
        juror = jurors.get(change.juror)
        name = juror.name if juror else str(change.juror)
        declined = person_in("gent", name)
        if declined:
            return _("without %(juror)s", juror=declined)
        return _("without the scores of one juror (%(juror)s)", juror=name)
    if change.factor < 1:
        return _("weight of %(code)s −10 %%", code=change.criterion)
    return _("weight of %(code)s +10 %%", code=change.criterion)


def _upset_text(upset: stability.Upset) -> str:
    if upset.outcome == "not_ranked":
        return _("falls below the quorum")
    if upset.outcome == "tied":
        return _("tied at place %(rank)s, undecided", rank=upset.rank)
    return _("drops to place %(rank)s", rank=upset.rank)


def names_hidden(contest: Contest) -> bool:
    """Whether the applicants' names are hidden: a blind contest while the jury scores."""
    return contest.blind and lifecycle.scoring_open(contest)


def shown_names(contest: Contest, loaded) -> dict[int, str]:
    """Applicants as the organisers' pages show them (hidden while blind judging goes on)."""
    return applicant_names(loaded, hidden=names_hidden(contest))


def _jurors(crowd: operations.People, juror_ids) -> list:
    """The columns of the tables, by name: every member of the jury, also one who has
    submitted nothing yet (their cells say why there is no total), and anyone else with
    sheets in the ranking."""
    found = {*crowd.jury, *(crowd.users[j] for j in juror_ids if j in crowd.users)}
    return sorted(found, key=lambda u: (u.name, u.id))


def page(
    contest: Contest,
    *,
    want_stability: bool,
    page_number: int = 1,
    filters: RankingFilters = RankingFilters(),  # noqa: B008  (frozen: never changed)
) -> dict:
    """Everything the ranking page shows, formatted: of the ranking itself, only the rows
    of this page that the filters keep."""
    language = current_language()
    loaded = load(contest)
    try:
        result, stale = loaded.rank()
    except ValueError as error:
        return {"broken": str(error)}
    fmt = Points()
    sheets = loaded.inputs.sheets
    crowd = operations.people(contest, {s.juror_id for s in sheets})
    totals = loaded.juror_totals()
    jurors = _jurors(crowd, totals)
    shown = shown_names(contest, loaded)
    oblasts: dict[str, str] = {}
    flag_text = {code: str(label) for code, label in FLAG_LABELS.items()}
    memo: dict = {}
    normalised = contest.normalise != Normalise.NONE
    categories = {c.code: c for c in loaded.categories}
    numbers = {app.id: app.number for app in loaded.inputs.applications}
    left_after = balances(result)
    awardable = (
        operations.award_candidates(result)
        if result.funds and lifecycle.ties_open(contest)
        else set()
    )
    # A juror's cell without a total says why, as the protocol does (the legend under
    # the table): a recusal, a sheet not submitted, or empty for no assignment.
    uncounted = operations.uncounted_sheets(contest)
    recused, not_submitted, not_assigned = (
        escape(_("recused")),
        escape(_("not submitted")),
        escape(_("not assigned")),
    )
    empty = {  # aligned by the table's CSS, as the totals are
        "recused": f'<td class="small">{recused}</td>',
        "not_submitted": '<td><span aria-hidden="true">—</span>'
        f'<span class="visually-hidden">{not_submitted}</span></td>',
        None: f'<td><span class="visually-hidden">{not_assigned}</span></td>',
    }

    tables: dict = {}
    kept = result.rows
    if filters.args():
        kept = [row for row in result.rows if filters.keeps(row, shown[row.application_id])]
    pages = max(1, -(-len(kept) // PAGE_ROWS))
    page_number = min(max(page_number, 1), pages)
    first = (page_number - 1) * PAGE_ROWS
    for row in kept[first : first + PAGE_ROWS]:
        table = tables.get(row.category)
        if table is None:
            category = categories.get(row.category)
            fund = result.funds.get(row.category)
            table = tables[row.category] = {
                "title": title(category, language) if category else "",
                "places": category.winners if category else contest.winners,
                "rows": [],
                "fund": _fund_view(fund) if fund else None,
            }
        oblast = oblasts.get(row.oblast)
        if oblast is None:
            oblast = oblasts[row.oblast] = oblast_name(row.oblast)
        flags = [flag_text["divergent"]] if row.divergent else []
        seen = set()
        for note in row.notes:
            label = flag_text[note.code]
            if label not in seen:
                seen.add(label)
                flags.append(label)
        juror_totals = row.juror_totals
        table["rows"].append(
            {
                "rank": row.rank,
                "number": row.number,
                "name": shown[row.application_id],
                "oblast": oblast,
                "score": fmt(row.score),
                "own": fmt(row.own_score) if row.own_score is not None else "",
                "raw": fmt(row.raw_score) if normalised else "",
                # Formatted numbers hold only digits and separators: one cell string a
                # row keeps the template loop lean for 1,000 rows × 7 jurors.
                "totals": Markup(  # noqa: S704  (aligned by the table's CSS: less markup a row)
                    "".join(
                        f"<td>{fmt(juror_totals[j.id])}</td>"
                        if j.id in juror_totals
                        else empty[uncounted.get((row.application_id, j.id))]
                        for j in jurors
                    )
                ),
                "jurors": row.jurors,
                "flags": flags,
                "note": notes_text(row.notes, memo),
                "winner": row.winner,
                "requested": money(row.requested),
                "awarded": money(row.awarded),
                "left": money(left_after.get(row.application_id)),
                "award_url": url_for(".award", slug=contest.slug, number=row.number)
                if row.application_id in awardable
                else "",
            }
        )

    not_ranked = [
        {
            "number": item.number,
            "name": shown[item.application_id],
            "reason": describe(item.as_note),
        }
        for item in result.not_ranked
    ]
    ties = [
        {
            "rank": group.rank,
            "places": group.places,
            "category": title(categories[group.category], language) if group.category else "",
            "rows": [f"{row.number} {shown[row.application_id]}" for row in group.rows],
            "left": money(group.left),
            "url": url_for(".tie", slug=contest.slug, rank=group.rank, category=group.category),
        }
        for group in undecided_ties(result)
    ]

    divergent = _divergent(contest, loaded, result, crowd, shown, fmt, jurors)
    leniency = ranking.leniency(totals)
    check = None
    cost = stability.cost(loaded.inputs) * max(len(sheets), 1)
    if result.winners and (want_stability or cost <= STABILITY_BUDGET):
        check = stability.check(loaded.inputs, result)

    return {
        "result": result,
        "fmt": fmt,
        "tables": list(tables.values()),
        "paging": {
            "page": page_number,
            "pages": pages,
            "first": first + 1,
            "last": min(first + PAGE_ROWS, len(kept)),
            "total": len(kept),
            "ranked": len(result.rows),
        },
        "filters": filters,
        "with_categories": bool(loaded.categories),
        "jurors": jurors,
        "normalised": normalised,
        "not_ranked": not_ranked,
        "ties": ties,
        "stale": [_decision_view(contest, d, loaded, numbers) for d in stale],
        "divergent": divergent,
        "leniency": [
            {
                "name": j.name,
                "count": leniency.jurors[j.id].count,
                "mean": fmt(leniency.jurors[j.id].mean),
                "sd": fmt(leniency.jurors[j.id].sd),
                "difference": fmt.signed(leniency.difference(j.id)),
            }
            for j in jurors
            if j.id in totals
        ],
        "panel": {
            "count": leniency.panel.count,
            "mean": fmt(leniency.panel.mean),
            "sd": fmt(leniency.panel.sd),
        },
        "stability": _stability_view(check, crowd.users, shown) if check else None,
        "stability_cost": stability.cost(loaded.inputs),
        "different_counts": result.unequal_sums is not None,
        "charts": _charts(
            contest,
            loaded,
            result,
            [j for j in jurors if j.id in totals],  # those with totals to chart
            totals,
            shown,
            fmt,
            language,
        ),
        "decisions": [_decision_view(contest, d, loaded, numbers) for d in loaded.decisions],
        "aggregation": AGGREGATION_LABELS[contest.aggregation],
        "normalisation": NORMALISE_LABELS[contest.normalise],
    }


def _fund_view(fund: ranking.Fund) -> dict:
    return {"fund": money(fund.fund), "awarded": money(fund.awarded), "left": money(fund.left)}


def _decision_view(contest: Contest, decision: Decision, loaded, numbers: dict) -> dict:
    return {
        "id": decision.id,
        "kind": decision.kind.value,
        "amount": decision.amount,
        "numbers": [numbers.get(i, str(i)) for i in decision.winner_ids or []]
        if decision.kind == DecisionKind.TIE
        else [numbers.get(decision.application_id, "")],
        "reason": decision.reason,
        "at": decision.decided_at,
        "by": loaded.decided_by.get(decision.id, ""),
        "revocable": operations.revocation_problem(contest, decision) is None,
        "revoke_url": url_for(".revoke", slug=contest.slug, decision_id=decision.id),
    }


def _divergent(contest, loaded, result, crowd, names, fmt, jurors) -> list[dict]:
    rows = [row for row in result.rows if row.divergent]
    if not rows:
        return []
    ids = [row.application_id for row in rows]
    applications = {
        a.id: a for a in db.session.scalars(select(Application).where(Application.id.in_(ids)))
    }
    sheets = operations.sheets_of(contest, ids)
    load_by_juror = operations.jury_load(contest)
    limit = to_decimal(result.max_total) * contest.divergence_threshold
    resolutions: dict[int, list] = {}
    for decision in loaded.decisions:
        if decision.kind == DecisionKind.DIVERGENCE:
            resolutions.setdefault(decision.application_id, []).append(decision)
    can_assign = lifecycle.revisions_open(contest)
    by_application: dict[int, list] = {}
    for sheet in sheets:
        by_application.setdefault(sheet[1], []).append(sheet)
    items = []
    for row in rows:
        own = by_application.get(row.application_id, [])
        assigned = {juror_id for _id, _app, juror_id, _state, _conflict in own}
        candidate = (
            operations.pick_juror(
                contest,
                applications[row.application_id],
                crowd.jury,
                assigned,
                load_by_juror,
            )
            if can_assign
            else None
        )
        values = list(row.juror_totals.values())
        items.append(
            {
                "number": row.number,
                "name": names[row.application_id],
                "spread": fmt(max(values) - min(values)),
                "limit": fmt(limit),
                "totals": [
                    (crowd.users[j].name if j in crowd.users else str(j), fmt(t))
                    for j, t in sorted(row.juror_totals.items(), key=lambda item: item[1])
                ],
                "sheets": [
                    {
                        "juror": crowd.users[juror_id].name if juror_id in crowd.users else "",
                        # The organisers' reopening page (another module) lives at this path.
                        "reopen": f"/manage/contests/{contest.slug}/scoresheets/{sheet_id}/reopen",
                    }
                    for sheet_id, _app, juror_id, state, _conflict in own
                    if state == SheetState.SUBMITTED
                ],
                "candidate": candidate,
                "candidate_load": load_by_juror.get(candidate.id, 0) if candidate else 0,
                "add_url": url_for(".add_juror", slug=contest.slug, number=row.number),
                "resolve_url": url_for(".divergence", slug=contest.slug, number=row.number),
                "resolutions": resolutions.get(row.application_id, []),
            }
        )
    return items


def _stability_view(check: stability.Stability, users: dict, names: dict) -> dict:
    return {
        "stable": check.stable,
        "undecided": check.undecided,
        "changes": len(check.changes),
        "overturning": [_change_text(c, users) for c in check.overturning],
        "funded": check.funded,
        "refunding": [_change_text(c, users) for c in check.refunding],
        "places": [
            {
                "rank": place.rank,
                "number": place.number,
                "name": names.get(place.application_id, ""),
                "stable": place.stable,
                "upsets": [
                    f"{_change_text(u.change, users)}: {_upset_text(u)}" for u in place.upsets
                ],
            }
            for place in check.places
        ],
    }


def _charts(contest, loaded, result, jurors, totals, names, fmt, language) -> dict:
    max_total = to_decimal(result.max_total)
    boxes = [charts.box(j.name, totals[j.id]) for j in jurors]
    distribution = charts.distribution(
        [(j.name, totals[j.id]) for j in jurors],
        max_total,
        chart_id="chart-jurors",
        title=_("How each juror scores"),
        desc=_(
            "For each juror, the box spans the middle half of their totals, the thick line "
            "is the median, the whiskers reach the lowest and the highest total, and the "
            "dots are the totals themselves (a larger dot: several equal totals). The table "
            "below gives the same numbers."
        ),
        axis=_("Juror’s total, points (maximum %(max)s)", max=fmt(max_total)),
        fmt=fmt,
    )
    winners = result.winners
    advancing = rounds.advancing(contest)  # a round others follow: its winners advance
    profile = None
    if winners:
        profile = charts.profile(
            [(c.code, title(c, language), c.max_points) for c in loaded.criteria],
            [
                (
                    f"{row.number} {names[row.application_id]}",
                    [to_decimal(m) for m in row.criterion_means],
                )
                for row in winners
            ],
            chart_id="chart-winners",
            title=_("Scores by criterion of those who advance")
            if advancing
            else _("The winners’ scores by criterion"),
            desc=_(
                "For each criterion, one bar per application that advances: the mean of the "
                "jurors’ scores as a share of the criterion’s maximum. The table below gives "
                "the same numbers."
            )
            if advancing
            else _(
                "For each criterion, one bar per winner: the mean of the jurors’ scores as a "
                "share of the criterion’s maximum. The table below gives the same numbers."
            ),
            bar_title=lambda label, code, mean, maximum: _(
                "%(winner)s, %(code)s: %(mean)s of %(max)s",
                winner=label,
                code=code,
                mean=fmt(mean),
                max=fmt(maximum),
            ),
        )
    return {
        "distribution": distribution,
        "boxes": [
            {
                "label": b.label,
                "count": b.count,
                "cells": [fmt(v) for v in (b.minimum, b.q1, b.median, b.q3, b.maximum, b.mean)],
            }
            for b in boxes
        ],
        "profile": profile,
        "criteria": loaded.criteria,
        "winners": [
            {
                "label": f"{row.number} {names[row.application_id]}",
                "means": [fmt(m) for m in row.criterion_means],
            }
            for row in winners
        ],
    }


def export_table(contest: Contest) -> exports.Table:
    """The ranking as the exports give it: the rows of the page, plain values."""
    loaded = load(contest)
    result, _stale = loaded.rank()
    juror_ids = {s.juror_id for s in loaded.inputs.sheets}
    jurors = _jurors(operations.people(contest, juror_ids), juror_ids)
    language = current_language()
    return exports.ranking_table(
        result,
        jurors,
        names=shown_names(contest, loaded),
        category_titles={c.code: title(c, language) for c in loaded.categories},
        normalised=contest.normalise != Normalise.NONE,
        uncounted=operations.uncounted_sheets(contest),
    )
