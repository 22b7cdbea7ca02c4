"""The lists shown a page at a time (issue 17) in a real Chromium, on a phone (360 px)
and by keyboard only, each page checked with axe-core at 360 and 1280 px: a juror goes to
the second page of their assignments, an organiser to the second page of the people."""

import pytest

from scoring.models import Role

from .._judging import judged_contest
from ..test_long_lists import _applicants
from .conftest import accessibility_problems, log_in
from .test_everyday_steps import tab_to

pytestmark = pytest.mark.browser

JUROR = "juror@example.org"
ORGANISER = "organiser@example.org"


def _to_the_second_page(page, list_label: str) -> None:
    """By keyboard: Tab to the pager's «Next» under the list, Enter."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    tab_to(page, f"e.closest('nav[aria-label=\"{list_label}\"]') && e.rel === 'next'", 300)
    page.keyboard.press("Enter")
    page.wait_for_url("**page=2**")


def test_a_juror_pages_through_a_long_list_by_keyboard(
    app, build, live_server, browser_page, request
):
    juror = build.user(Role.JUROR, email=JUROR, language="en")
    judged = judged_contest(app, build, [juror], count=56)
    page = browser_page
    log_in(page, live_server.url, JUROR)
    page.goto(live_server.url + judged.url())
    assert page.locator("ol.assignments > li").count() == 50
    assert accessibility_problems(page, "the juror's list, page 1", request) == []

    _to_the_second_page(page, "Pages of my assignments")
    assert page.locator("ol.assignments > li").count() == 6
    assert "Applications 51–56 of 56" in page.inner_text("main")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert accessibility_problems(page, "the juror's list, page 2", request) == []


def test_an_organiser_pages_through_the_people_by_keyboard(
    app, build, live_server, browser_page, request
):
    organiser = build.user(Role.ORGANISER, email=ORGANISER, language="en")
    contest_id = build.contest(organisers=[organiser], slug="lyudy-2026")
    _applicants(app, contest_id, 57)
    page = browser_page
    log_in(page, live_server.url, ORGANISER)
    page.goto(live_server.url + "/manage/contests/lyudy-2026/people")
    assert page.locator("ul[aria-label=Applicants] > li").count() == 50
    assert accessibility_problems(page, "the people, page 1", request) == []

    _to_the_second_page(page, "Pages of the applicants")
    assert page.locator("ul[aria-label=Applicants] > li").count() == 7
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert accessibility_problems(page, "the people, page 2", request) == []
