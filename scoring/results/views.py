"""Deliberation pages for the organisers, public results and the results API.

Organisers' routes (``/manage/contests/<slug>/…``) answer only the contest's organisers
(anyone else: 404, a signed-in non-organiser: 403) and only from the judging stage on.
The ranking page loads the contest once (``results.load``, five queries) plus a fixed
number of queries for names and for the divergent applications, whatever the number
of applications; the rows are formatted here, so the template loop only prints.

In a blind contest the applicants' names stay hidden on these pages and in the
exports («Application 3») while the jury is still scoring: the ranking page can be on
a screen at a meeting of the jury, and blind scoring promises the jurors that they do
not learn who applied before their scores are in. From deliberation on, the
commission discusses named applications.

The stability check (``stability.check``) costs ``jurors + 2 × criteria`` rankings: it
runs with the page while ``sheets × rankings`` stays under ``STABILITY_BUDGET`` (every
contest of a few hundred applications), and on request (``?stability=1``, a button)
above it.

The public page and the API answer 404 until the results are published. The API gives
the notes in Ukrainian, the default language of the product, and in English with
``?lang=en``; it does not follow the visitor's session, so that a cached answer is the
same for everyone.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from .. import ranking
from ..applications.access import admitted_or_404
from ..auth import role_required
from ..contests.forms import AGGREGATION_LABELS, NORMALISE_LABELS
from ..extensions import db
from ..i18n import current_language, oblast_name, points
from ..models import (
    Application,
    Contest,
    Decision,
    DecisionKind,
    Normalise,
    Organisation,
    Role,
    SheetState,
    Stage,
    User,
)
from ..pagecache import cached_page
from . import charts, describe, exports, load, operations, stability
from .forms import AddJurorForm, DivergenceForm, RevokeForm, TieForm

bp = Blueprint("results", __name__)

# Below this many sheet rankings (sheets × changes), the stability check runs with the page.
STABILITY_BUDGET = 40_000
# The ranking page shows this many rows at a time: a contest of 1,000 on one page, one of
# 10,000 in ten, and no row out of sight is formatted or rendered.
PAGE_ROWS = 1000

FLAG_LABELS = {
    "divergent": _l("divergent"),
    "tie": _l("tie"),
    "tie_undecided": _l("undecided tie"),
    "decision": _l("decided by the commission"),
    "below_min_total": _l("below a threshold"),
    "below_min_points": _l("below a threshold"),
    "oblast_cap": _l("oblast cap"),
}


# Access ----------------------------------------------------------------------------


def own_contest(slug: str) -> Contest:
    """The contest at ``slug`` if the current user organises it, else 404."""
    contest = db.session.scalar(
        select(Contest).where(Contest.slug == slug).options(selectinload(Contest.organisers))
    )
    if contest is None or not contest.is_organised_by(current_user):
        abort(404)
    return contest


def _ranking_contest(slug: str) -> Contest:
    contest = own_contest(slug)
    if contest.stage not in operations.RANKING_STAGES:
        abort(404)
    return contest


def _published_contest(slug: str) -> Contest | None:
    contest = db.session.scalar(
        select(Contest).where(Contest.slug == slug).options(selectinload(Contest.criteria))
    )
    if contest is None or contest.stage not in operations.PUBLISHED_STAGES:
        return None
    return contest


def _ranking_url(contest: Contest, anchor: str = "") -> str:
    return url_for(".ranking", slug=contest.slug) + (f"#{anchor}" if anchor else "")


def document_url(endpoint: str, path: str, **values) -> str:
    """The URL of a PDF the documents blueprint serves; its fixed path until it exists."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return path


# Formatting ------------------------------------------------------------------------


class _Points:
    """``i18n.points`` for many values: each distinct value is formatted once."""

    def __init__(self):
        self.cache: dict = {}

    def __call__(self, value) -> str:
        text = self.cache.get(value)
        if text is None:
            text = self.cache[value] = points(ranking.format_score(value))
        return text

    def signed(self, value) -> str:
        text = self(value)
        return text if text.startswith("-") or value == 0 else "+" + text


def _decimal(value: Fraction | Decimal) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)


def _title(item, language: str) -> str:
    return (item.title_en if language == "en" else "") or item.title_uk


def _names(contest: Contest, loaded) -> dict[int, str]:
    """Applicants as the organisers' pages show them (hidden while blind judging goes on)."""
    if contest.blind and contest.stage == Stage.JUDGING:
        pattern = _("Application %(serial)s")  # without arguments: the pattern itself
        return {
            app.id: pattern % {"serial": loaded.applicants[app.id].serial or app.number}
            for app in loaded.inputs.applications
        }
    return {app.id: app.organisation for app in loaded.inputs.applications}


def _notes(notes, memo: dict) -> str:
    texts = []
    for note in notes:
        key = (note.code, tuple(sorted(note.params.items())))
        text = memo.get(key)
        if text is None:
            text = memo[key] = describe(note)
        texts.append(text)
    return "; ".join(texts)


def _change_text(change: stability.Change, jurors: dict) -> str:
    if change.kind == "without_juror":
        juror = jurors.get(change.juror)
        return _("without %(juror)s", juror=juror.name if juror else change.juror)
    if change.factor < 1:
        return _("weight of %(code)s −10 %%", code=change.criterion)
    return _("weight of %(code)s +10 %%", code=change.criterion)


def _upset_text(upset: stability.Upset) -> str:
    if upset.outcome == "not_ranked":
        return _("falls below the quorum")
    if upset.outcome == "tied":
        return _("tied at place %(rank)s, undecided", rank=upset.rank)
    return _("drops to place %(rank)s", rank=upset.rank)


# The deliberation page -------------------------------------------------------------


def _deliberation(contest: Contest, *, want_stability: bool, page: int = 1) -> dict:
    """Everything the ranking page shows, formatted: the rows of ``page`` only."""
    language = current_language()
    loaded = load(contest)
    try:
        result, stale = loaded.rank()
    except ValueError as error:
        return {"broken": str(error)}
    fmt = _Points()
    sheets = loaded.inputs.sheets
    crowd = operations.people(contest, {s.juror_id for s in sheets})
    totals = ranking.juror_totals(loaded.inputs.criteria, sheets)
    jurors = sorted(
        (crowd.users[j] for j in totals if j in crowd.users), key=lambda u: (u.name, u.id)
    )
    names = _names(contest, loaded)
    oblasts: dict[str, str] = {}
    flag_text = {code: str(label) for code, label in FLAG_LABELS.items()}
    memo: dict = {}
    normalised = contest.normalise != Normalise.NONE
    categories = {c.code: c for c in loaded.categories}
    numbers = {app.id: app.number for app in loaded.inputs.applications}

    pages = max(1, -(-len(result.rows) // PAGE_ROWS))
    page = min(max(page, 1), pages)
    first = (page - 1) * PAGE_ROWS
    tables: dict = {}
    for row in result.rows[first : first + PAGE_ROWS]:
        table = tables.get(row.category)
        if table is None:
            category = categories.get(row.category)
            table = tables[row.category] = {
                "title": _title(category, language) if category else "",
                "places": category.winners if category else contest.winners,
                "rows": [],
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
                "name": names[row.application_id],
                "oblast": oblast,
                "score": fmt(row.score),
                "raw": fmt(row.raw_score) if normalised else "",
                # Formatted numbers hold only digits and separators: one cell string a
                # row keeps the template loop lean for 1,000 rows × 7 jurors.
                "totals": Markup(  # noqa: S704  (aligned by the table's CSS: less markup a row)
                    "".join(
                        f"<td>{fmt(juror_totals[j.id])}</td>"
                        if j.id in juror_totals
                        else "<td>–</td>"
                        for j in jurors
                    )
                ),
                "jurors": row.jurors,
                "flags": flags,
                "note": _notes(row.notes, memo),
                "winner": row.winner,
            }
        )

    not_ranked = [
        {
            "number": item.number,
            "name": names[item.application_id],
            "reason": describe(item.as_note),
        }
        for item in result.not_ranked
    ]
    ties = [
        {
            "rank": group.rank,
            "places": group.places,
            "category": _title(categories[group.category], language) if group.category else "",
            "rows": [f"{row.number} {names[row.application_id]}" for row in group.rows],
            "url": url_for(".tie", slug=contest.slug, rank=group.rank, category=group.category),
        }
        for group in operations.undecided_ties(result)
    ]

    divergent = _divergent(contest, loaded, result, crowd, names, fmt, jurors)
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
            "page": page,
            "pages": pages,
            "first": first + 1,
            "last": min(first + PAGE_ROWS, len(result.rows)),
            "total": len(result.rows),
        },
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
        ],
        "panel": {
            "count": leniency.panel.count,
            "mean": fmt(leniency.panel.mean),
            "sd": fmt(leniency.panel.sd),
        },
        "stability": _stability_view(check, crowd.users, names) if check else None,
        "stability_cost": stability.cost(loaded.inputs),
        "different_counts": contest.aggregation.value == "sum"
        and len({row.jurors for row in result.rows}) > 1,
        "charts": _charts(contest, loaded, result, jurors, totals, names, fmt, language),
        "decisions": [_decision_view(contest, d, loaded, numbers) for d in loaded.decisions],
        "aggregation": AGGREGATION_LABELS[contest.aggregation],
        "normalisation": NORMALISE_LABELS[contest.normalise],
    }


def _decision_view(contest: Contest, decision: Decision, loaded, numbers: dict) -> dict:
    return {
        "id": decision.id,
        "kind": decision.kind.value,
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
    organisations = dict(
        db.session.execute(
            select(Application.id, Organisation)
            .join(Organisation, Application.organisation_id == Organisation.id)
            .where(Application.id.in_(ids))
        ).all()
    )
    sheets = operations.sheets_of(contest, ids)
    load_by_juror = operations.jury_load(contest)
    limit = _decimal(result.max_total) * contest.divergence_threshold
    resolutions: dict[int, list] = {}
    for decision in loaded.decisions:
        if decision.kind == DecisionKind.DIVERGENCE:
            resolutions.setdefault(decision.application_id, []).append(decision)
    can_assign = contest.stage in operations.ASSIGNING_STAGES
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
                row.application_id,
                organisations[row.application_id],
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
    max_total = _decimal(result.max_total)
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
    profile = None
    if winners:
        profile = charts.profile(
            [(c.code, _title(c, language), c.max_points) for c in loaded.criteria],
            [
                (
                    f"{row.number} {names[row.application_id]}",
                    [_decimal(m) for m in row.criterion_means],
                )
                for row in winners
            ],
            chart_id="chart-winners",
            title=_("The winners’ scores by criterion"),
            desc=_(
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


@bp.route("/manage/contests/<slug>/ranking", endpoint="ranking")
@cached_page
@role_required(Role.ORGANISER)
def ranking_page(slug: str):
    contest = own_contest(slug)
    if contest.stage not in operations.RANKING_STAGES:
        return render_template("results/ranking.html", contest=contest, not_yet=True)
    page = request.args.get("page", "1")
    data = _deliberation(
        contest,
        want_stability=request.args.get("stability") == "1",
        page=int(page) if page.isdigit() and len(page) < 7 else 1,
    )
    return render_template(
        "results/ranking.html",
        contest=contest,
        not_yet=False,
        add_juror_form=AddJurorForm(formdata=None),
        protocol_url=document_url(
            "documents.protocol",
            f"/manage/contests/{contest.slug}/protocol.pdf",
            slug=contest.slug,
        ),
        **data,
    )


# Decisions -------------------------------------------------------------------------


def _tie_group(contest: Contest, rank: int, category: str | None):
    loaded = load(contest)
    result, _stale = loaded.rank()
    return loaded, operations.find_tie(result, category or None, rank)


@bp.route("/manage/contests/<slug>/ties/<int:rank>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def tie(slug: str, rank: int):
    """The commission's decision on one undecided tie: which of the tied rows win."""
    contest = _ranking_contest(slug)
    category = request.args.get("category") or None
    loaded, group = _tie_group(contest, rank, category)
    if group is None:
        flash(_("This tie no longer awaits a decision."), "info")
        return redirect(_ranking_url(contest, "ties"))
    names = _names(contest, loaded)
    form = TieForm()
    form.winners.choices = [
        (row.application_id, f"{row.number} — {names[row.application_id]}") for row in group.rows
    ]
    if contest.stage == Stage.DELIBERATION and form.validate_on_submit():
        try:
            operations.record_tie_decision(
                contest,
                group.category,
                group.rank,
                form.winners.data or [],
                form.reason.data,
                actor=current_user._get_current_object(),
            )
        except operations.ResultsError as error:
            for name, message in error.errors.items():
                form[name].errors.append(message)
        else:
            db.session.commit()
            flash(_("The commission’s decision is recorded."), "success")
            return redirect(_ranking_url(contest, "decisions"))
    fmt = _Points()
    return render_template(
        "results/tie.html",
        contest=contest,
        group=group,
        form=form,
        rows=[
            {
                "number": row.number,
                "name": names[row.application_id],
                "oblast": oblast_name(row.oblast),
                "score": fmt(row.score),
                "means": [fmt(m) for m in row.criterion_means],
            }
            for row in group.rows
        ],
        criteria=loaded.criteria,
        open=contest.stage == Stage.DELIBERATION,
    )


@bp.route("/manage/contests/<slug>/divergences/<number>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def divergence(slug: str, number: str):
    """How the commission resolved a divergent application."""
    contest = _ranking_contest(slug)
    application = admitted_or_404(contest, number)
    form = DivergenceForm()
    open_ = contest.stage in operations.ASSIGNING_STAGES
    if open_ and form.validate_on_submit():
        try:
            operations.record_divergence_decision(
                contest, application, form.reason.data, actor=current_user._get_current_object()
            )
        except operations.ResultsError as error:
            for name, message in error.errors.items():
                form[name].errors.append(message)
        else:
            db.session.commit()
            flash(_("The resolution of the divergence is recorded."), "success")
            return redirect(_ranking_url(contest, "divergent"))
    loaded = load(contest)
    result, _stale = loaded.rank()
    row = next((r for r in result.rows if r.application_id == application.id), None)
    crowd = operations.people(contest, set(row.juror_totals) if row else set())
    fmt = _Points()
    hidden = contest.blind and contest.stage == Stage.JUDGING
    return render_template(
        "results/divergence.html",
        contest=contest,
        application=application,
        name=_names(contest, loaded).get(application.id, ""),
        hidden=hidden,
        row=row,
        totals=[
            (crowd.users[j].name if j in crowd.users else str(j), fmt(t))
            for j, t in sorted(row.juror_totals.items(), key=lambda item: item[1])
        ]
        if row
        else [],
        limit=fmt(_decimal(result.max_total) * contest.divergence_threshold),
        resolutions=[d for d in loaded.decisions if d.application_id == application.id],
        decided_by=loaded.decided_by,
        form=form,
        open=open_,
    )


@bp.route("/manage/contests/<slug>/divergences/<number>/add-juror", methods=["POST"])
@role_required(Role.ORGANISER)
def add_juror(slug: str, number: str):
    """One click: the juror proposed on the ranking page gets the application."""
    contest = _ranking_contest(slug)
    application = admitted_or_404(contest, number)
    form = AddJurorForm()
    juror = db.session.get(User, form.juror.data) if form.validate_on_submit() else None
    if juror is None:
        flash(_("Choose a juror of the contest’s jury."), "warning")
        return redirect(_ranking_url(contest, "divergent"))
    try:
        operations.add_juror(contest, application, juror, actor=current_user._get_current_object())
    except operations.ResultsError as error:
        flash(str(error.errors["juror"]), "warning")
    else:
        db.session.commit()
        if contest.stage == Stage.JUDGING:
            message = _(
                "%(juror)s is added to application %(number)s and can score it now.",
                juror=juror.name,
                number=application.number,
            )
        else:
            message = _(
                "%(juror)s is added to application %(number)s. Scoring is closed: move the "
                "contest back to the judging stage so that the juror can score it.",
                juror=juror.name,
                number=application.number,
            )
        flash(message, "success")
    return redirect(_ranking_url(contest, "divergent"))


@bp.route("/manage/contests/<slug>/decisions/<int:decision_id>/revoke", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def revoke(slug: str, decision_id: int):
    contest = _ranking_contest(slug)
    decision = db.session.scalar(
        select(Decision).where(Decision.id == decision_id, Decision.contest_id == contest.id)
    )
    if decision is None:
        abort(404)
    form = RevokeForm()
    problem = operations.revocation_problem(contest, decision)
    if not problem and form.validate_on_submit():
        try:
            operations.revoke_decision(
                contest, decision, form.reason.data, actor=current_user._get_current_object()
            )
        except operations.ResultsError as error:
            form.reason.errors.append(error.errors["reason"])
        else:
            db.session.commit()
            flash(_("The decision is revoked."), "success")
            return redirect(_ranking_url(contest, "decisions"))
    numbers = dict(
        db.session.execute(
            select(Application.id, Application.number).where(
                Application.id.in_([*(decision.winner_ids or []), decision.application_id or 0])
            )
        ).all()
    )
    return render_template(
        "results/revoke.html",
        contest=contest,
        decision=decision,
        numbers=[numbers.get(i, "") for i in decision.winner_ids or []]
        if decision.kind == DecisionKind.TIE
        else [numbers.get(decision.application_id, "")],
        form=form,
        problem=problem,
    )


# Exports ---------------------------------------------------------------------------


def _ranking_table(contest: Contest) -> exports.Table:
    loaded = load(contest)
    result, _stale = loaded.rank()
    crowd = operations.people(contest, {s.juror_id for s in loaded.inputs.sheets})
    jurors = sorted(
        (crowd.users[j] for j in {s.juror_id for s in loaded.inputs.sheets} if j in crowd.users),
        key=lambda u: (u.name, u.id),
    )
    language = current_language()
    return exports.ranking_table(
        result,
        jurors,
        names=_names(contest, loaded),
        category_titles={c.code: _title(c, language) for c in loaded.categories},
        normalised=contest.normalise != Normalise.NONE,
    )


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/manage/contests/<slug>/ranking.csv")
@role_required(Role.ORGANISER)
def ranking_csv(slug: str):
    contest = _ranking_contest(slug)
    return _download(
        exports.ranking_csv(_ranking_table(contest)),
        "text/csv; charset=utf-8",
        f"{contest.slug}-ranking.csv",
    )


@bp.route("/manage/contests/<slug>/scores.csv")
@role_required(Role.ORGANISER)
def scores_csv(slug: str):
    contest = _ranking_contest(slug)
    return _download(
        exports.scores_csv(contest), "text/csv; charset=utf-8", f"{contest.slug}-scores.csv"
    )


@bp.route("/manage/contests/<slug>/ranking.xlsx")
@role_required(Role.ORGANISER)
def ranking_xlsx(slug: str):
    contest = _ranking_contest(slug)
    content = exports.ranking_xlsx(_ranking_table(contest), exports.scores_table(contest))
    return _download(
        content,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"{contest.slug}-ranking.xlsx",
    )


# Public results --------------------------------------------------------------------


@bp.route("/contests/<slug>/results")
def public(slug: str):
    """The published results: winners, the ranking, the rules and the decisions."""
    contest = _published_contest(slug)
    if contest is None:
        abort(404)
    language = current_language()
    loaded = load(contest)
    result, _stale = loaded.rank()
    fmt = _Points()
    memo: dict = {}
    categories = {c.code: c for c in loaded.categories}
    numbers = {app.id: app.number for app in loaded.inputs.applications}

    def line(row: ranking.Row) -> dict:
        return {
            "rank": row.rank,
            "number": row.number,
            "name": row.organisation,
            "community": loaded.applicants[row.application_id].community,
            "oblast": oblast_name(row.oblast),
            "score": fmt(row.score),
            "winner": row.winner,
            "note": _notes(row.notes, memo),
        }

    groups = []
    for code in [c.code for c in loaded.categories] or [None]:
        rows = [row for row in result.rows if row.category == code]
        category = categories.get(code)
        groups.append(
            {
                "title": _title(category, language) if category else "",
                "winners": [line(row) for row in rows if row.winner],
                "ranking": [line(row) for row in rows] if contest.results_full_ranking else [],
            }
        )
    return render_template(
        "results/public.html",
        contest=contest,
        groups=groups,
        not_ranked=[
            {"number": item.number, "reason": describe(item.as_note)} for item in result.not_ranked
        ]
        if contest.results_full_ranking
        else [],
        criteria=loaded.criteria,
        aggregation=AGGREGATION_LABELS[contest.aggregation],
        normalisation=NORMALISE_LABELS[contest.normalise]
        if contest.normalise != Normalise.NONE
        else "",
        decisions=[
            {
                "numbers": [numbers.get(i, "") for i in d.winner_ids or []],
                "reason": d.reason,
                "at": d.decided_at,
            }
            for d in loaded.decisions
            if d.kind == DecisionKind.TIE
        ],
        pdf_url=document_url(
            "documents.announcement", f"/contests/{contest.slug}/results.pdf", slug=contest.slug
        ),
        max_total=fmt(_decimal(result.max_total)),
    )


@bp.route("/api/contests/<slug>/results")
def api(slug: str):
    """The JSON of SPEC §9; notes in Ukrainian, or in English with ``?lang=en``."""
    contest = _published_contest(slug)
    if contest is None:
        return Response(json.dumps({"error": "not found"}), status=404, mimetype="application/json")
    language = "en" if request.args.get("lang") == "en" else "uk"
    with force_locale(language):
        document = ranking.to_json(load(contest).rank()[0], contest.slug, describe=describe)
    # Keys in the order of SPEC §9 (jsonify would sort them).
    response = Response(json.dumps(document, ensure_ascii=False), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Content-Language"] = language
    return response


@bp.app_template_global()
def public_results_url(contest: Contest) -> str | None:
    """The public results page of a contest whose results are published, else None."""
    if contest.stage in operations.PUBLISHED_STAGES:
        return url_for("results.public", slug=contest.slug)
    return None
