"""scoresheet.js in a real Chromium on a phone-sized screen: a juror declares no conflict,
scores with the keyboard only, sees the scores saved in the background and submits."""

import re
from decimal import Decimal

import pytest

from scoring.extensions import db
from scoring.models import Criterion, Role, SheetState

from .._judging import judged_contest, sheet_row, stored_scores
from ..conftest import PASSWORD

SAVED = re.compile(r"^(All changes are saved|Усі зміни збережено)")
JUROR = "juror@example.org"

pytestmark = pytest.mark.browser


@pytest.fixture
def expect():
    return pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def scoring(app, build, live_server, browser_page):
    """A juror with one assignment, signed in; (page, Judged, juror id)."""
    juror = build.user(Role.JUROR, email=JUROR)
    judged = judged_contest(app, build, [juror], count=1)
    page = browser_page
    page.goto(f"{live_server.url}/login")
    page.fill("#email", JUROR)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/account$"))
    return page, judged, juror


def _tab_to(page, matches, limit: int = 60) -> None:
    """Press Tab until the focused element satisfies ``matches`` (a JS predicate body)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return {matches}; }}"):
            return
    raise AssertionError(f"Tab never reached an element where {matches}")


def _expect_state(expect, page, state: str, timeout: int = 30_000) -> None:
    """The save status's state (``data-state``), whatever the interface language."""
    expect(page.locator("#save-status")).to_have_attribute("data-state", state, timeout=timeout)


def _fits_the_screen(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_juror_scores_with_the_keyboard_on_a_phone_and_submits(app, live_server, scoring, expect):
    page, judged, juror = scoring
    c = judged.criteria
    number = judged.numbers[0]
    page.goto(f"{live_server.url}/judging")
    page.wait_for_url(re.compile(rf"{judged.url()}$"))
    assert _fits_the_screen(page)

    _tab_to(page, f"e.tagName === 'A' && e.getAttribute('href') === '{judged.url(number)}'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"{judged.url(number)}$"))
    assert _fits_the_screen(page)
    _tab_to(page, "e.tagName === 'BUTTON' && !!e.closest('form[action$=\\'/no-conflict\\']')")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#points_{c['C1']}")
    assert _fits_the_screen(page)

    _tab_to(page, f"e.id === 'points_{c['C1']}'")
    page.keyboard.type("7")
    page.keyboard.press("Tab")  # the quick buttons of C1: one stop for Tab
    page.keyboard.press("Tab")  # the comment of C1
    page.keyboard.type("Чітка мета")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == f"points_{c['C2']}"
    page.keyboard.type("6")
    page.keyboard.press("Tab")  # quick buttons
    page.keyboard.press("Tab")  # comment
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == f"points_{c['C3']}"
    page.keyboard.type("4.5")
    expect(page.locator("#total")).to_have_text(re.compile(r"^20[.,]5$"))
    expect(page.locator("#scored")).to_have_text("3")
    _expect_state(expect, page, "saved")
    expect(page.locator("#save-status")).to_have_text(SAVED)
    assert stored_scores(app, juror, number) == {
        c["C1"]: (Decimal(7), "Чітка мета"),
        c["C2"]: (Decimal(6), ""),
        c["C3"]: (Decimal("4.5"), ""),
    }

    _tab_to(page, "e.name === 'review'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"{judged.url(number, '/submit')}$"))
    assert _fits_the_screen(page)
    _tab_to(page, "e.tagName === 'BUTTON' && e.type === 'submit' && !!e.closest('main')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"{judged.url()}\?after={number}$"))
    assert page.locator("li[data-status=submitted]").count() == 1
    assert sheet_row(app, juror, number).state == SheetState.SUBMITTED


def test_scores_typed_offline_wait_on_the_device_and_are_sent_later(
    app, live_server, scoring, browser_context, expect
):
    page, judged, juror = scoring
    c = judged.criteria
    number = judged.numbers[0]
    page.goto(f"{live_server.url}{judged.url(number)}")
    page.click("form[action$='/no-conflict'] button")
    page.wait_for_selector(f"#points_{c['C1']}")
    browser_context.set_offline(True)
    page.fill(f"#points_{c['C1']}", "9")
    _expect_state(expect, page, "offline")
    stored = page.evaluate("() => Object.values(window.localStorage)")
    assert any('"9"' in value for value in stored)
    assert stored_scores(app, juror, number) == {}

    page.close()  # the tab is closed (or the battery dies) while offline
    browser_context.set_offline(False)
    page = browser_context.new_page()
    page.goto(f"{live_server.url}{judged.url(number)}")
    expect(page.locator(f"#points_{c['C1']}")).to_have_value("9")
    # What waited on the device is sent, and then forgotten there. (Under a heavy load
    # the closing tab may send it itself as the connection comes back: the new page then
    # shows the server's 9 and has nothing to send or to say.)
    page.wait_for_function("() => window.localStorage.length === 0", timeout=30_000)
    assert stored_scores(app, juror, number) == {c["C1"]: (Decimal(9), "")}
    assert page.locator("#save-status").get_attribute("data-state") in (None, "saved")


def test_an_ended_session_is_told_and_the_change_is_sent_after_logging_in_again(
    app, live_server, scoring, browser_context, expect
):
    page, judged, juror = scoring
    c = judged.criteria
    number = judged.numbers[0]
    page.goto(f"{live_server.url}{judged.url(number)}")
    page.click("form[action$='/no-conflict'] button")
    page.wait_for_selector(f"#points_{c['C1']}")
    # Every response refreshes the session cookie: let the page finish loading first.
    page.wait_for_load_state("networkidle")
    browser_context.clear_cookies()  # the session has ended
    page.fill(f"#points_{c['C1']}", "8")
    status = page.locator("#save-status")
    _expect_state(expect, page, "login")
    expect(status.locator("a[target=_blank]")).to_have_attribute("href", "/login")

    other = browser_context.new_page()  # "log in again in a new tab"
    other.goto(f"{live_server.url}/login")
    other.fill("#email", JUROR)
    other.fill("#password", PASSWORD)
    other.click("main button[type=submit]")
    other.wait_for_url(re.compile(r"/account$"))
    _expect_state(expect, page, "saved", timeout=40_000)
    assert stored_scores(app, juror, number) == {c["C1"]: (Decimal(8), "")}


def test_a_decimal_comma_is_typed_as_the_hint_says_and_saved(app, live_server, scoring, expect):
    # Issue 13: «7,5», as the hint suggests, became 75 and was refused in Chromium.
    page, judged, juror = scoring
    c = judged.criteria
    number = judged.numbers[0]
    with app.app_context():
        criterion = db.session.get(Criterion, c["C1"])
        criterion.step = Decimal("0.5")
        db.session.commit()
    page.goto(f"{live_server.url}{judged.url(number)}")
    page.click("form[action$='/no-conflict'] button")
    field = page.locator(f"#points_{c['C1']}")
    field.click()
    page.keyboard.type("7,5")
    page.locator(f"#points_{c['C3']}").click()
    page.keyboard.type("4.5")
    expect(page.locator("#total")).to_have_text("12")  # 7.5 + 4.5
    _expect_state(expect, page, "saved")
    assert stored_scores(app, juror, number) == {
        c["C1"]: (Decimal("7.5"), ""),
        c["C3"]: (Decimal("4.5"), ""),
    }
    expect(field).to_have_value("7,5")
    page.reload()
    expect(page.locator(f"#points_{c['C1']}")).to_have_value("7,5")
    expect(page.locator(f"#points_{c['C3']}")).to_have_value("4,5")
    expect(page.locator("#total")).to_have_text("12")

    # A half-typed or mistyped value is explained and not sent.
    page.locator(f"#points_{c['C2']}").click()
    page.keyboard.type("7,5,")
    expect(page.locator(f"#points_{c['C2']}-errors")).not_to_be_empty()
    assert c["C2"] not in stored_scores(app, juror, number)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert _fits_the_screen(page)


def test_points_typed_before_the_script_arrives_are_saved(app, live_server, scoring, expect):
    """On a slow connection the sheet shows before scoresheet.js arrives: points typed
    meanwhile are saved once it runs (a full run under load once lost them: only what
    was typed after the script started was sent)."""
    page, judged, juror = scoring
    c = judged.criteria
    number = judged.numbers[0]
    page.goto(f"{live_server.url}{judged.url(number)}")
    held = []
    page.route("**/js/scoresheet*.js", lambda route: held.append(route))  # held on the way
    page.click("form[action$='/no-conflict'] button", no_wait_after=True)
    field = page.locator(f"#points_{c['C1']}")
    field.fill("7")
    assert stored_scores(app, juror, number) == {}
    page.wait_for_function("() => true")  # let the held request reach the route
    assert held, "the script was not requested"
    held[0].continue_()
    _expect_state(expect, page, "saved")
    assert stored_scores(app, juror, number) == {c["C1"]: (Decimal("7"), "")}
