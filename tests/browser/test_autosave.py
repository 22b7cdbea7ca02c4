"""autosave.js in a real Chromium: typing is saved in the background and survives a
reload; typing while offline waits in localStorage and is sent when the connection is
back."""

import re

import pytest
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Answer

from .._applications import question_ids, questions
from ..conftest import PASSWORD

SAVED = re.compile(r"saved|збережено", re.IGNORECASE)
OFFLINE = re.compile(r"no connection|немає з’єднання", re.IGNORECASE)

# Chromium, Playwright and the live server come from tests/browser/conftest.py, which
# skips with a clear reason when /usr/bin/chromium is absent.
pytestmark = pytest.mark.browser


@pytest.fixture
def draft_page(app, build, live_server, browser_page):
    """A signed-in applicant's new draft open in the browser; (page, field names)."""
    contest_id = build.contest(slug="uchast", questions=questions())
    build.applicant(email="applicant@example.org", oblast="UA-14")
    page = browser_page
    page.goto(f"{live_server.url}/login")
    page.fill("#email", "applicant@example.org")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/account$"))
    page.goto(f"{live_server.url}/contests/uchast")
    page.click("form[action$='/apply'] button")
    page.wait_for_url(re.compile(r"/applications/draft/\d+$"))
    return page, question_ids(app, contest_id)


def _answers(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(Answer.value)).all()


def test_typing_is_saved_and_is_there_after_a_reload(app, draft_page):
    expect = pytest.importorskip("playwright.sync_api").expect
    page, names = draft_page
    summary = page.locator(f"#{names['summary']}")
    summary.fill("Навчаємо мешканців готувати проєкти.")
    page.locator(f"#{names['scale']}-1").check()  # a choice: radio buttons
    expect(page.locator("#autosave-status")).to_have_text(SAVED, timeout=10_000)
    page.wait_for_function("() => !window.localStorage.length", timeout=10_000)
    assert sorted(_answers(app)) == ["region", "Навчаємо мешканців готувати проєкти."]
    page.reload()
    expect(page.locator(f"#{names['summary']}")).to_have_value(
        "Навчаємо мешканців готувати проєкти."
    )
    expect(page.locator(f"#{names['scale']}-1")).to_be_checked()


def test_typing_offline_waits_and_is_sent_when_the_connection_returns(
    app, draft_page, browser_context
):
    expect = pytest.importorskip("playwright.sync_api").expect
    page, names = draft_page
    browser_context.set_offline(True)
    page.locator("#title").fill("Школа активного мешканця")
    expect(page.locator("#autosave-status")).to_have_text(OFFLINE, timeout=10_000)
    stored = page.evaluate("() => Object.values(window.localStorage)")
    assert any("Школа активного мешканця" in value for value in stored)
    browser_context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#autosave-status")).to_have_text(SAVED, timeout=10_000)
    assert page.evaluate("() => window.localStorage.length") == 0
    page.reload()
    expect(page.locator("#title")).to_have_value("Школа активного мешканця")


def test_after_the_session_ends_it_asks_to_log_in_and_then_resends(
    app, draft_page, browser_context, live_server
):
    expect = pytest.importorskip("playwright.sync_api").expect
    page, names = draft_page
    browser_context.clear_cookies()  # the session has ended
    page.locator("#title").fill("Набрано після кінця сесії")
    status = page.locator("#autosave-status")
    expect(status).to_have_text(re.compile(r"log in again|увійдіть", re.IGNORECASE))
    assert status.locator("a[target=_blank]").get_attribute("href") == "/login"
    other_tab = browser_context.new_page()
    other_tab.goto(f"{live_server.url}/login")
    other_tab.fill("#email", "applicant@example.org")
    other_tab.fill("#password", PASSWORD)
    other_tab.click("main button[type=submit]")
    other_tab.wait_for_url(re.compile(r"/account$"))
    other_tab.close()
    page.bring_to_front()
    expect(status).to_have_text(SAVED, timeout=15_000)
    page.reload()
    expect(page.locator("#title")).to_have_value("Набрано після кінця сесії")


def test_what_is_typed_before_the_script_arrives_is_saved_too(app, draft_page):
    """On a slow connection the draft shows before autosave.js arrives: what the
    applicant types and ticks meanwhile is saved once it runs, not only later typing."""
    expect = pytest.importorskip("playwright.sync_api").expect
    page, names = draft_page
    held = []
    page.route("**/js/autosave*.js", lambda route: held.append(route))  # held on the way
    page.reload(wait_until="commit")
    page.locator(f"#{names['summary']}").fill("Набрано до скрипта.")
    page.locator(f"#{names['scale']}-1").check()
    assert _answers(app) == []
    page.wait_for_function("() => true")  # let the held request reach the route
    assert held, "the script was not requested"
    held[0].continue_()
    expect(page.locator("#autosave-status")).to_have_text(SAVED, timeout=10_000)
    assert sorted(_answers(app)) == ["region", "Набрано до скрипта."]
