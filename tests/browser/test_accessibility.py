"""The pages people open most, checked with axe-core (WCAG 2.1 A/AA) at 360 and 1280 px.

The journey (test_journey.py) checks every page it passes through; this sweep keeps the
everyday pages covered on their own, with data in them, so that a regression in one of
them names the page. Each page also shows where the keyboard is: the first Tab lands on
the "skip to content" link, and its focus ring is visible.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from scoring import clock
from scoring.extensions import db
from scoring.models import Contest, Role, SheetState, Stage, User

from .._applications import questions, submitted_application
from .._judging import judged_contest, set_sheet
from ..conftest import PASSWORD
from .conftest import accessibility_problems, focus_indicator, focus_is_visible

pytestmark = pytest.mark.browser

ORGANISER = "organiser@example.org"
JUROR = "juror@example.org"
APPLICANT = "applicant@example.org"

# Who is logged in → the pages they open (name, address); one browser session each.
PAGES = {
    "anonymous": [
        ("home", "/"),
        ("login", "/login"),
        ("register", "/register"),
        ("contest page", "/contests/open-2026"),
        ("public results", "/contests/results-2026/results"),
    ],
    APPLICANT: [("my applications", "/my/applications")],
    JUROR: [("judging list", "/judging/judging-2026")],
    ORGANISER: [
        ("manage dashboard", "/manage/contests/results-2026"),
        ("ranking", "/manage/contests/results-2026/ranking"),
        # Stage changes with their warnings and the confirmation (issue 13).
        ("closing applications early", "/manage/contests/open-2026/stage?to=screening"),
        ("closing scoring with drafts", "/manage/contests/judging-2026/stage?to=deliberation"),
    ],
}


def everyday_data(app, build) -> None:
    """An open contest with an application, one in judging, one with published results."""
    organiser = build.user(Role.ORGANISER, email=ORGANISER, name="Оксана Гнатюк")
    juror = build.user(Role.JUROR, email=JUROR, name="Марія Коваль")
    second = build.user(Role.JUROR, email="second@example.org", name="Петро Мельник")
    applicant = build.applicant(email=APPLICANT)
    open_contest = build.contest(slug="open-2026", organisers=[organiser], questions=questions())
    with app.app_context():
        organisation = db.session.get(User, applicant).organisation_id
    submitted_application(app, open_contest, organisation)
    judging = judged_contest(app, build, [juror], count=2, slug="judging-2026")
    with app.app_context():
        contest = db.session.get(Contest, judging.contest_id)
        contest.organisers.append(db.session.get(User, organiser))
        db.session.commit()

    published = judged_contest(app, build, [juror, second], count=3, slug="results-2026", winners=1)
    for juror_id in (juror, second):
        for n, number in enumerate(published.numbers):
            points = {criterion: str(5 + n) for criterion in published.criteria.values()}
            set_sheet(app, juror_id, number, state=SheetState.SUBMITTED, points=points)
    with app.app_context():
        contest = db.session.get(Contest, published.contest_id)
        contest.organisers.append(db.session.get(User, organiser))
        contest.closes_at = clock.now() - timedelta(days=20)
        contest.opens_at = clock.now() - timedelta(days=50)
        contest.min_total = Decimal(0)
        contest.stage = Stage.PUBLISHED
        contest.published_at = clock.now()
        db.session.commit()
        assert db.session.scalar(select(Contest.stage).where(Contest.slug == "results-2026"))


@pytest.mark.parametrize("who", PAGES, ids=lambda who: who.partition("@")[0])
def test_everyday_pages_meet_wcag_2_1_aa(app, build, live_server, browser_page, request, who):
    everyday_data(app, build)
    page = browser_page
    page.set_default_timeout(15_000)
    if who != "anonymous":
        page.goto(f"{live_server.url}/login")
        page.fill("#email", who)
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/account$"))
    problems = []
    for name, path in PAGES[who]:
        response = page.goto(live_server.url + path)
        assert response.status == 200, f"{name}, {path}: {response.status}"
        page.keyboard.press("Tab")
        ring = focus_indicator(page)
        assert ring["tag"] == "A" and focus_is_visible(ring), f"first Tab on {path}: {ring}"
        problems += accessibility_problems(page, name, request)
    assert not problems, "accessibility problems (axe-core, WCAG 2.1 A/AA):\n" + "\n".join(problems)


def test_the_pages_changed_for_jurors_and_deliberation_meet_wcag_2_1_aa(
    app, build, live_server, new_context, request
):
    """Issue 16: the divergence page with the jurors' sheets side by side and the notes,
    a draft left behind when scoring closed, the applicant's account and the dashboard."""
    organiser = build.user(Role.ORGANISER, email=ORGANISER, name="Оксана Гнатюк")
    low = build.user(Role.JUROR, email=JUROR, name="Марія Коваль")
    high = build.user(Role.JUROR, email="second@example.org", name="Петро Мельник")
    build.applicant(email=APPLICANT)
    judged = judged_contest(app, build, [low, high], count=2, stage=Stage.DELIBERATION)
    c = judged.criteria
    divergent, left = judged.numbers
    for juror, points in ((low, "1"), (high, "9")):
        set_sheet(
            app,
            juror,
            divergent,
            state=SheetState.SUBMITTED,
            points={c["C1"]: points, c["C2"]: points, c["C3"]: "2"},
            comments={c["C1"]: "Коментар до C1"},
        )
    set_sheet(app, low, left, points={c["C1"]: "3"})  # a draft when scoring closed
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        contest.organisers.append(db.session.get(User, organiser))
        db.session.commit()
    manage = f"/manage/contests/{judged.slug}"
    pages = {
        ORGANISER: [
            ("divergence with sheets and notes", f"{manage}/divergences/{divergent}"),
            ("dashboard", manage),
        ],
        JUROR: [("draft left when scoring closed", judged.url(left))],
        APPLICANT: [("account with the organisation", "/account")],
    }
    problems = []
    for who, visits in pages.items():
        page = new_context().new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/login")
        page.fill("#email", who)
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/account$"))
        for name, path in visits:
            response = page.goto(live_server.url + path)
            assert response.status == 200, f"{name}, {path}: {response.status}"
            if name.startswith("divergence"):
                page.fill("#text", "Петро пояснив високий бал за C2.")
                page.click("#notes button[type=submit]")
                page.wait_for_selector("#notes figure")
            problems += accessibility_problems(page, name, request)
    assert not problems, "accessibility problems (axe-core, WCAG 2.1 A/AA):\n" + "\n".join(problems)
