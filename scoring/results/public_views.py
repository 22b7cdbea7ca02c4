"""Public results (SPEC §3, §9): the page and the JSON API of a contest whose results are
published.

The public page and the API answer 404 until the results are published. The API gives
the notes in Ukrainian, the default language of the product, and in English with
``?lang=en``; it does not follow the visitor's session, so that a cached answer is the
same for everyone.
"""

from __future__ import annotations

import json

from flask import Response, abort, render_template, request, url_for
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import lifecycle, ranking
from ..extensions import db
from ..i18n import AGGREGATION_LABELS, NORMALISE_LABELS, current_language, oblast_name
from ..models import Contest, DecisionKind, Normalise
from .blueprint import bp, document_url
from .loading import load
from .presentation import Points, describe, notes_text, ranking_json, title, to_decimal


def _published_contest(slug: str) -> Contest | None:
    contest = db.session.scalar(
        select(Contest).where(Contest.slug == slug).options(selectinload(Contest.criteria))
    )
    if contest is None or not lifecycle.results_frozen(contest):
        return None
    return contest


@bp.route("/contests/<slug>/results")
def public(slug: str):
    """The published results: winners, the ranking, the rules and the decisions."""
    contest = _published_contest(slug)
    if contest is None:
        abort(404)
    language = current_language()
    loaded = load(contest)
    result, _stale = loaded.rank()
    fmt = Points()
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
            "note": notes_text(row.notes, memo),
        }

    groups = []
    for code in [c.code for c in loaded.categories] or [None]:
        rows = [row for row in result.rows if row.category == code]
        category = categories.get(code)
        groups.append(
            {
                "title": title(category, language) if category else "",
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
        max_total=fmt(to_decimal(result.max_total)),
    )


@bp.route("/api/contests/<slug>/results")
def api(slug: str):
    """The JSON of SPEC §9; notes in Ukrainian, or in English with ``?lang=en``."""
    contest = _published_contest(slug)
    if contest is None:
        return Response(json.dumps({"error": "not found"}), status=404, mimetype="application/json")
    language = "en" if request.args.get("lang") == "en" else "uk"
    with force_locale(language):
        document = ranking_json(load(contest).rank()[0], contest.slug)
    # Keys in the order of SPEC §9 (jsonify would sort them).
    response = Response(json.dumps(document, ensure_ascii=False), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Content-Language"] = language
    return response


@bp.app_template_global()
def public_results_url(contest: Contest) -> str | None:
    """The public results page of a contest whose results are published, else None."""
    if lifecycle.results_frozen(contest):
        return url_for("results.public", slug=contest.slug)
    return None
