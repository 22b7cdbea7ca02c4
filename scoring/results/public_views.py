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

from flask import (
    Response,
    abort,
    after_this_request,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import select

from .. import paging, rounds
from ..contests.applications import fold
from ..extensions import db
from ..i18n import AGGREGATION_LABELS, NORMALISE_LABELS, current_language, money, oblast_name
from ..models import Contest, Normalise
from ..pagecache import kept_fragment, state_in_session
from ..requestguard import json_endpoint
from . import disclosure
from .blueprint import bp, document_url
from .presentation import Points, describe, notes_text, title, to_decimal

PER_PAGE = 100  # rows of the full ranking a page: the first page stays small on the wire


def _published_contest(slug: str) -> Contest | None:
    """The contest whose results are published, or None; the answer to a request for one
    that is not (a 404) is then kept by no cache, so that publication shows at once."""
    contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
    if contest is None or not disclosure.results_public(contest):
        after_this_request(_kept_by_no_one)
        return None
    return contest


def _kept_by_no_one(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/contests/<slug>/results")
def public(slug: str):
    """The published results: winners, the ranking a page at a time or the rows a search
    finds, the rules and the decisions (``disclosure.public_results``: what the API and the
    announcement show too).

    What the contest shows is made once per state of its rounds (the audit log,
    ``pagecache.state_in_session``), language, page and search, and then served to every
    visitor from the page cache: it holds nothing of who asks. Each visitor's page around
    it (their name, menu and form tokens) is made for them, and answered with an ETag of
    what it shows (``disclosure.private_conditional``)."""
    contest = _published_contest(slug)
    if contest is None:
        abort(404)
    raw_page = request.args.get("page", "")
    query = " ".join(request.args.get("q", "").split())
    # What the page shows: each round's audit state and its own row as it is now (a
    # setting changed, a stage reopened), the language, the page and the search.
    key = (
        "results.public",
        tuple((state_in_session(c.id), _row(c)) for c in rounds.chain(contest)),
        current_language(),
        raw_page,
        query,
    )
    number = paging.page_number(request.args)
    content = kept_fragment(key, lambda: _public_content(contest, raw_page, number, query))
    # Our own template's rendering, kept as it was made: markup already escaped.
    content = Markup(content)  # noqa: S704
    response = make_response(
        render_template("results/public.html", contest=contest, content=content)
    )
    return disclosure.private_conditional(response)


def _row(contest: Contest) -> str:
    """The contest's own columns, as a key's part."""
    return repr([getattr(contest, column.key) for column in Contest.__mapper__.column_attrs])


def _public_content(contest: Contest, raw_page: str, number: int, query: str) -> str:
    """The results as ``results/_public.html`` shows them to everyone, on one page."""
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
            "category": row.category,
        }

    def group(code: str | None, rows: list[dict], winners: list[dict]) -> dict:
        category = categories.get(code)
        fund = results.funds.get(code)
        return {
            "title": title(category, language) if category else "",
            "winners": winners,
            "ranking": rows,
            "fund": {
                "fund": money(fund.fund),
                "awarded": money(fund.awarded),
                "left": money(fund.left),
            }
            if fund
            else None,
        }

    # The full ranking a page at a time (or the rows a search finds), each page's rows
    # under their categories; the winners of every category on the first page. Only the
    # winners published: they are the whole page, and there is nothing else to search.
    query = query if results.full_ranking else ""
    wanted = fold(query)
    ranked = [
        row
        for row in results.rows
        if results.full_ranking
        and (not wanted or wanted in fold(row.number) or wanted in fold(row.organisation))
    ]
    pagination = paging.paginate_list(ranked, number, PER_PAGE)
    # A page that is not (past the end, not a number): the nearest one, saying so.
    exists = paging.asked_for(raw_page, pagination.page)
    shown = [line(row) for row in pagination.items]
    first = pagination.page == 1 and not query
    winners = [line(row) for row in results.winners] if first else []
    groups = [
        group(
            code,
            [r for r in shown if r["category"] == code],
            [r for r in winners if r["category"] == code],
        )
        for code in list(categories) or [None]
    ]
    not_ranked = [
        item
        for item in results.not_ranked
        if not wanted or wanted in fold(item.number) or wanted in fold(item.organisation)
    ]
    return render_template(
        "results/_public.html",
        contest=contest,
        rounds=rounds.words(contest),
        groups=groups,
        first=first,
        query=query,
        pagination=pagination,
        missing_page=None if exists else raw_page,
        full_ranking=results.full_ranking,
        not_ranked=[
            {"number": item.number, "name": item.organisation, "reason": describe(item.note)}
            for item in not_ranked
        ]
        if query or not pagination.has_next
        else [],
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
