"""Every page of the app checked with axe-core (WCAG 2.1 A/AA) at 360 and 1280 px (issue 16).

The pages come from the authorisation matrix: every GET route of the URL map, with its
address in the matrix's scenario (contest A in judging, with results, a recusal, a
draft in contest B, an invitation…), opened by a role the matrix expects to see it
(the organiser first, then the applicant, the juror, the visitor). A new route is
therefore checked as soon as the matrix classifies it. Files (CSV, XLSX, PDF, JSON) are
not pages and are left to their own tests. Contest A is then published, and the pages
that exist only after publication (the public results, the applicant's outcome) are
checked too.
"""

import pytest
from flask import url_for

from scoring import audit, clock
from scoring.extensions import db
from scoring.models import Contest, Stage

from .._matrix import ANONYMOUS, EMAILS, JUROR, ORGANISER, OWNER, build_scenario
from ..test_authorisation_matrix import EXPECTED, url_values
from .conftest import accessibility_problems, log_in

pytestmark = pytest.mark.browser

# Who opens a page: the first of these the matrix lets see it (the richest page first).
VIEWERS = (ORGANISER, OWNER, JUROR, ANONYMOUS)
# Pages that need no checking of their own: files, and a sign-out page that ends the
# session the sweep goes on with.
NOT_PAGES = {"static", "bootstrap.static", "pages.favicon", "health.healthz", "auth.logout"}
AFTER_PUBLICATION = ("results.public", "applications.show", "applications.mine")


def viewer(endpoint: str, stage: str = "GET") -> str | None:
    expected = EXPECTED.get(endpoint, {}).get(stage, {})
    return next((role for role in VIEWERS if expected.get(role) == 200), None)


def _addresses(app, scenario, endpoints) -> dict[str, list[tuple[str, str]]]:
    """{role: [(endpoint, path)]} for the endpoints each role opens."""
    by_role: dict[str, list[tuple[str, str]]] = {}
    with app.test_request_context():
        for endpoint in endpoints:
            role = viewer(endpoint)
            if role is not None:
                path = url_for(endpoint, **url_values(endpoint, scenario))
                by_role.setdefault(role, []).append((endpoint, path))
    return by_role


def _sweep(new_context, url: str, by_role: dict, request) -> tuple[list[str], int]:
    """axe's problems on every HTML page of ``by_role``, and how many pages were checked."""
    problems, checked = [], 0
    for role, pages in by_role.items():
        page = new_context().new_page()
        if role != ANONYMOUS:
            log_in(page, url, EMAILS[role])
        for endpoint, path in pages:
            answer = page.context.request.get(url + path, max_redirects=0)
            if not answer.headers.get("content-type", "").startswith("text/html"):
                continue
            assert answer.status == 200, f"{endpoint} ({path}) as {role}: {answer.status}"
            page.goto(url + path)
            checked += 1
            problems += accessibility_problems(page, f"{endpoint} as {role}", request)
        page.close()
    return problems, checked


def test_every_page_passes_axe_at_both_widths(app, live_server, new_context, request):
    scenario = build_scenario(app)
    endpoints = sorted(e for e in EXPECTED if "GET" in EXPECTED[e] and e not in NOT_PAGES)
    by_role = _addresses(app, scenario, endpoints)
    problems, checked = _sweep(new_context, live_server.url, by_role, request)

    with app.app_context():
        contest = db.session.get(Contest, scenario.contest)
        contest.stage, contest.published_at = Stage.PUBLISHED, clock.now()
        audit.record("contest.stage", contest=contest, obj=contest, to_stage="published")
        db.session.commit()
    published = {ANONYMOUS: [], OWNER: []}
    with app.test_request_context():
        published[ANONYMOUS].append(
            ("results.public", url_for("results.public", slug=scenario.slug))
        )
        published[OWNER] += [
            ("applications.mine", url_for("applications.mine")),
            ("applications.show", url_for("applications.show", number=scenario.number)),
        ]
    more, counted = _sweep(new_context, live_server.url, published, request)

    # The sweep saw the pages it should have: a broken address list cannot pass quietly.
    assert checked >= 50, f"only {checked} pages were checked"
    assert counted == len(AFTER_PUBLICATION)
    assert not problems + more, "\n".join(problems + more)
