"""Public results (SPEC §3, §8, §9): the page and the JSON API of a contest whose results
are published.

The public page and the API answer 404 until the results are published, and then show
``disclosure.public_results``: the same applications, places, scores and notes, and
only the winners when the contest publishes only them. The API gives the notes in
Ukrainian, the default language of the product, and in English with ``?lang=en``; it
does not follow the visitor's session, so that a cached answer is the same for everyone.
"""

from __future__ import annotations

import json

from flask import Response, abort, render_template, request, url_for
from flask_babel import force_locale
from sqlalchemy import select

from .. import rounds
from ..extensions import db
from ..i18n import AGGREGATION_LABELS, NORMALISE_LABELS, current_language, money, oblast_name
from ..models import Contest, Normalise
from ..requestguard import json_endpoint
from . import disclosure
from .blueprint import bp, document_url
from .presentation import Points, describe, notes_text, title, to_decimal


def _published_contest(slug: str) -> Contest | None:
    contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
    if contest is None or not disclosure.results_public(contest):
        return None
    return contest


@bp.route("/contests/<slug>/results")
def public(slug: str):
    """The published results: winners, the ranking, the rules and the decisions
    (``disclosure.public_results``: what the API and the announcement show too)."""
    contest = _published_contest(slug)
    if contest is None:
        abort(404)
    language = current_language()
    results = disclosure.public_results(contest)
    fmt = Points()
    memo: dict = {}
    categories = {c.code: c for c in results.categories}

    def line(row: disclosure.PublicRow) -> dict:
        return {
            "rank": row.rank,
            "place": row.winner_place,
            "number": row.number,
            "name": row.organisation,
            "community": row.community,
            "oblast": oblast_name(row.oblast),
            "score": fmt(row.score),
            "own_score": fmt(row.own_score) if row.own_score is not None else "",
            "winner": row.winner,
            "note": notes_text(row.notes, memo),
            "requested": money(row.requested),
            "awarded": money(row.awarded),
        }

    groups = []
    for code in list(categories) or [None]:
        rows = [line(row) for row in results.rows if row.category == code]
        category = categories.get(code)
        fund = results.funds.get(code)
        groups.append(
            {
                "title": title(category, language) if category else "",
                "winners": [row for row in rows if row["winner"]],
                "ranking": rows if results.full_ranking else [],
                "fund": {
                    "fund": money(fund.fund),
                    "awarded": money(fund.awarded),
                    "left": money(fund.left),
                }
                if fund
                else None,
            }
        )
    return render_template(
        "results/public.html",
        contest=contest,
        rounds=rounds.words(contest),
        groups=groups,
        full_ranking=results.full_ranking,
        not_ranked=[
            {"number": item.number, "name": item.organisation, "reason": describe(item.note)}
            for item in results.not_ranked
        ],
        criteria=results.criteria,
        aggregation=AGGREGATION_LABELS[contest.aggregation],
        normalisation=NORMALISE_LABELS[contest.normalise]
        if contest.normalise != Normalise.NONE
        else "",
        decisions=results.decisions,
        unequal_note=disclosure.unequal_sums_note(results.unequal_sums),
        pdf_url=document_url(
            "documents.announcement", f"/contests/{contest.slug}/results.pdf", slug=contest.slug
        ),
        max_total=fmt(to_decimal(results.max_total)),
    )


@bp.route("/api/contests/<slug>/results")
@json_endpoint
def api(slug: str):
    """The public results as JSON (``disclosure.public_json``); notes in Ukrainian, or in
    English with ``?lang=en``."""
    contest = _published_contest(slug)
    if contest is None:
        return Response(json.dumps({"error": "not found"}), status=404, mimetype="application/json")
    language = "en" if request.args.get("lang") == "en" else "uk"
    with force_locale(language):
        document = disclosure.public_json(disclosure.public_results(contest), contest.slug)
        words = rounds.words(contest)
        if words is not None:  # one round of several (SPEC §13)
            document["round"] = {
                "number": words.number,
                "advancing": words.advancing,
                "combined": words.combined,
                "summary": words.summary,
            }
    # Keys in the order of SPEC §9 (jsonify would sort them).
    response = Response(json.dumps(document, ensure_ascii=False), mimetype="application/json")
    response.headers["Content-Language"] = language
    return disclosure.shared_published(response)


@bp.app_template_global()
def public_results_url(contest: Contest) -> str | None:
    """The public results page of a contest whose results are published, else None."""
    if disclosure.results_public(contest):
        return url_for("results.public", slug=contest.slug)
    return None
