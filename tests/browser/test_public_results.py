"""The public results of a long ranking in a real Chromium on a phone (issue 17): an
applicant finds their own row with the search and turns the pages by keyboard; the page
is never wider than the phone and passes the accessibility checks."""

import re

import pytest

from scoring import clock
from scoring.models import Stage
from scoring.results import public_views

from ..test_results import _bulk_contest, _set
from .conftest import PHONE, accessibility_problems

pytestmark = pytest.mark.browser

WIDER = "() => document.documentElement.scrollWidth - window.innerWidth"


def _tab_to(page, selector: str, presses: int = 200) -> None:
    """Press Tab until ``selector`` has the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_an_applicant_finds_their_row_and_turns_the_pages_by_keyboard_on_a_phone(
    app, build, live_server, new_context, request, monkeypatch
):
    monkeypatch.setattr(public_views, "PER_PAGE", 8)  # 100 on the site; 20 rows here
    slug = _bulk_contest(app, build, 20)
    _set(app, slug, stage=Stage.PUBLISHED, published_at=clock.now())
    page = new_context(viewport=PHONE).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/contests/{slug}/results")
    assert page.evaluate(WIDER) <= 0
    assert page.locator("#ranking tbody tr").count() == 8

    _tab_to(page, "#results-search")
    page.keyboard.type("b20-2026-0017")  # as typed on a phone: lower case
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?q=b20-2026-0017#ranking$"))
    rows = page.locator("#ranking tbody tr")
    assert rows.count() == 1 and "B20-2026-0017" in rows.first.inner_text()
    assert "знайдено 1 заявку" in page.locator("#results-found").inner_text()
    assert page.evaluate(WIDER) <= 0

    page.fill("#results-search", "Масова 1")  # 1 and 10–19: 11 rows, two pages
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=%D0%9C"))
    assert page.locator("#ranking tbody tr").count() == 8
    _tab_to(page, 'a[rel="next"]')
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator("#ranking tbody tr").count() == 3
    assert page.locator("#results-search").input_value() == "Масова 1"
    assert page.evaluate(WIDER) <= 0
    problems = accessibility_problems(page, "public results, a search's second page", request)
    assert not problems, "\n".join(problems)
