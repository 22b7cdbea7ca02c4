"""A juror's new steps on a phone (360 × 740) and on a laptop (1280 × 800), with the
keyboard only (issue 16).

The juror filters the assignments by status, opens the next application to score from
the list, declares no conflict, scores with the quick buttons (arrow keys, Enter) and by
typing, submits, and goes on to the next application proposed after the submission.
All along, the sticky total bar stays small and never covers the focused field, even
when an on-screen keyboard takes half the screen. Each page is checked with axe-core at
360 and 1280 px.
"""

import re
from decimal import Decimal

import pytest

from scoring.models import Conflict, Role, SheetState

from .._judging import judged_contest, set_sheet, sheet_row, stored_scores
from ..conftest import PASSWORD
from .conftest import PHONE, accessibility_problems, focus_indicator, focus_is_visible

pytestmark = pytest.mark.browser

JUROR = "juror@example.org"
LAPTOP = {"width": 1280, "height": 800}

# The focused element and the sticky bar, as the screen shows them.
COVERED = """() => {
  const e = document.activeElement, bar = document.getElementById('scoresheet-bar');
  const a = e.getBoundingClientRect(), b = bar.getBoundingClientRect();
  const view = window.visualViewport ? window.visualViewport.height : window.innerHeight;
  return {id: e.id || e.name, focused: [a.top, a.bottom], bar: [b.top, b.bottom], view,
          covered: !bar.contains(e) && a.bottom > b.top && a.top < b.bottom,
          below: !bar.contains(e) && a.bottom > view};
}"""


@pytest.fixture
def expect():
    return pytest.importorskip("playwright.sync_api").expect


def _focused(page) -> str:
    return page.evaluate("() => document.activeElement.id || document.activeElement.value")


def _tab_to(page, matches: str, limit: int = 80, back: bool = False) -> None:
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return {matches}; }}"):
            return
    raise AssertionError(f"Tab never reached an element where {matches}")


FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _not_covered(page, problems: list, where: str) -> None:
    page.evaluate(FRAMES)  # the page's own scrolling after the focus has been drawn
    seen = page.evaluate(COVERED)
    if seen["covered"] or seen["below"]:
        problems.append(f"{where}: {seen}")


@pytest.mark.parametrize("screen", [PHONE, LAPTOP], ids=lambda s: str(s["width"]))
def test_a_juror_filters_scores_with_quick_buttons_and_goes_on_to_the_next(
    app, build, live_server, new_context, expect, request, screen
):
    juror = build.user(Role.JUROR, email=JUROR)
    judged = judged_contest(app, build, [juror], count=3)
    c = judged.criteria
    page = new_context(viewport=screen).new_page()
    width, height = screen["width"], screen["height"]
    page.set_default_timeout(15_000)
    # One application is recused already: the filter and the "next" skip it.
    items = None
    page.goto(f"{live_server.url}/login")
    _tab_to(page, "e.id === 'email'")
    page.keyboard.type(JUROR)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/account$"))
    page.goto(f"{live_server.url}{judged.url()}")
    items = page.eval_on_selector_all("ol.assignments li", "ls => ls.map(l => l.innerText)")
    order = [re.search(r"UCH-[\d-]+", text).group(0) for text in items]
    set_sheet(app, juror, order[1], conflict=Conflict.RECUSED, declaration="Сусідка")
    problems: list[str] = []

    # The filter, by keyboard: only the recused one, then every one again.
    page.reload()
    _tab_to(page, "e.closest('#status-filter') && e.href.endsWith('status=recused')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?status=recused$"))
    expect(page.locator("ol.assignments li")).to_have_count(1)
    expect(page.locator("ol.assignments li")).to_contain_text(order[1])
    expect(page.locator("#status-filter [aria-current=page]")).to_contain_text(re.compile(r"\(1\)"))
    problems += accessibility_problems(page, "assignments filtered", request)
    _tab_to(page, "e.closest('#status-filter') && !e.href.includes('status=')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"{judged.url()}$"))
    expect(page.locator("ol.assignments li")).to_have_count(3)

    # The next application to score is the first in the juror's own order.
    expect(page.locator("#next-unscored")).to_contain_text(order[0])
    _tab_to(page, "e.closest('#next-unscored') && e.tagName === 'A'")
    ring = focus_indicator(page)
    assert focus_is_visible(ring), ring
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"{judged.url(order[0])}$"))
    _tab_to(page, "e.tagName === 'BUTTON' && !!e.closest(\"form[action$='/no-conflict']\")")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#points_{c['C1']}")
    problems += accessibility_problems(page, "scoresheet", request)

    bar = page.evaluate("() => document.getElementById('scoresheet-bar').offsetHeight")
    assert bar <= 0.15 * height, f"the sticky bar takes {bar}px of a {height}px screen"

    # C1 with the quick buttons: one Tab stop, arrows to 7, Enter.
    _tab_to(page, f"e.id === 'points_{c['C1']}'")
    _not_covered(page, problems, "C1 points")
    page.keyboard.press("Tab")
    assert _focused(page) == f"{c['C1']}:0"  # the group's one stop: its first button
    _not_covered(page, problems, "C1 quick buttons")
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    assert _focused(page) == f"{c['C1']}:7"
    page.keyboard.press("Enter")
    expect(page.locator(f"#points_{c['C1']}")).to_have_value("7")
    expect(page.locator(f"button[value='{c['C1']}:7']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#total")).to_have_text("7")
    page.keyboard.press("Tab")
    assert _focused(page) == f"comment_{c['C1']}"
    _not_covered(page, problems, "C1 comment")
    page.keyboard.type("Мета чітка")

    # C2: End jumps to the highest, Home back, ArrowRight once: 1; Space presses it.
    _tab_to(page, f"e.value === '{c['C2']}:0'")
    page.keyboard.press("End")
    assert _focused(page) == f"{c['C2']}:10"
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    expect(page.locator(f"#points_{c['C2']}")).to_have_value("1")
    # Typing into the field moves the pressed button too.
    _tab_to(page, f"e.id === 'points_{c['C2']}'", back=True)
    page.keyboard.press("Control+A")
    page.keyboard.type("6")
    expect(page.locator(f"button[value='{c['C2']}:6']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"button[value='{c['C2']}:1']")).to_have_attribute("aria-pressed", "false")

    # C3 goes in halves: typed; then the overall comment at the bottom of the page,
    # also with an on-screen keyboard taking half the screen.
    _tab_to(page, f"e.id === 'points_{c['C3']}'")
    _not_covered(page, problems, "C3 points")
    page.keyboard.type("4.5")
    expect(page.locator("#total")).to_have_text(re.compile(r"^20[,.]5$"))
    _tab_to(page, "e.id === 'overall_comment'")
    _not_covered(page, problems, "overall comment")
    page.set_viewport_size({"width": width, "height": 380})  # the keyboard slides up
    page.wait_for_function(
        "() => document.activeElement.getBoundingClientRect().bottom"
        " <= document.getElementById('scoresheet-bar').getBoundingClientRect().top"
    )
    _not_covered(page, problems, "overall comment, with the on-screen keyboard")
    page.keyboard.type("Варто підтримати")
    page.set_viewport_size(screen)
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved", timeout=30_000)
    assert stored_scores(app, juror, order[0]) == {
        c["C1"]: (Decimal(7), "Мета чітка"),
        c["C2"]: (Decimal(6), ""),
        c["C3"]: (Decimal("4.5"), ""),
    }

    # Submit, then straight on to the next application still to score (not the recused).
    _tab_to(page, "e.name === 'review'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"{judged.url(order[0], '/submit')}$"))
    _tab_to(page, "e.tagName === 'BUTTON' && e.type === 'submit' && !!e.closest('main')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"{judged.url()}\?after={order[0]}$"))
    assert sheet_row(app, juror, order[0]).state == SheetState.SUBMITTED
    expect(page.locator("#next-unscored")).to_contain_text(order[2])
    problems += accessibility_problems(page, "assignments after a submission", request)
    _tab_to(page, "e.closest('#next-unscored') && e.tagName === 'A'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"{judged.url(order[2])}$"))
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert not problems, "\n".join(problems)
