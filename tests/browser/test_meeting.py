"""The record of the jury's meeting in a real Chromium, on a phone and on a laptop: the
organiser fills it in with the keyboard, sees a refused vote beside its field, corrects
it and saves; the page fits the screen and passes axe-core at 360 and 1280 pixels."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from scoring import demo
from scoring.clock import KYIV
from scoring.extensions import db
from scoring.models import Contest, JuryMember, Stage

from .conftest import PHONE, accessibility_problems

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def meeting_page(app, demo_loaded, live_server, new_context, clock_at):
    """The demo's contest in deliberation, its organiser signed in; (open, url, slug)."""
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.stage == Stage.JUDGING))
        contest.stage = Stage.DELIBERATION
        slug = contest.slug
        closed = contest.closes_at
        db.session.commit()
    clock_at(closed + timedelta(days=9))  # the meeting was held three days after closing
    day = (closed + timedelta(days=3)).astimezone(KYIV).date()

    def open_at(viewport):
        page = new_context(viewport=viewport).new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/login")
        page.fill("#email", "organiser@demo.example")
        page.fill("#password", demo.PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/account$"))
        page.goto(f"{live_server.url}/manage/contests/{slug}/meeting")
        return page

    return open_at, slug, day


def _fits_the_screen(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["360px", "1280px"])
def test_the_organiser_records_the_meeting_in_the_browser(
    app, meeting_page, request, viewport, tmp_path
):
    expect = pytest.importorskip("playwright.sync_api").expect
    open_at, slug, day = meeting_page
    page = open_at(viewport)
    assert _fits_the_screen(page)
    assert accessibility_problems(page, "the jury's meeting", request) == []
    page.screenshot(path=str(tmp_path / "empty.png"), full_page=True)

    # Typed from the keyboard: the number, then Tab to the date of the meeting.
    page.locator("#protocol_number").focus()
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "protocol_date"
    page.fill("#protocol_date", day.isoformat())
    page.fill("#protocol_place", "м. Харків, вул. Сумська, 64")
    presence = page.locator("select[name^='present_']")
    assert presence.count() == 3
    for index in range(3):
        presence.nth(index).select_option("yes" if index < 2 else "no")
    # Three votes for with two members present: refused beside the field.
    page.fill("#ranking_for", "3")
    page.click("main form button[type=submit]")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#ranking_for-errors")).to_contain_text("2")
    expect(page.locator("#ranking_for")).to_have_attribute("aria-invalid", "true")
    assert _fits_the_screen(page)
    assert accessibility_problems(page, "the jury's meeting with an error", request) == []
    page.screenshot(path=str(tmp_path / "error.png"), full_page=True)

    page.fill("#ranking_for", "2")
    page.click("main form button[type=submit]")
    expect(page.locator("#meeting-quorum")).to_contain_text(
        "Присутні 2 з 3 членів комісії, засідання правомочне."
    )
    page.screenshot(path=str(tmp_path / "saved.png"), full_page=True)
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
        marks = db.session.scalars(
            select(JuryMember.present).where(JuryMember.contest_id == contest.id)
        ).all()
        assert sorted(marks) == [False, True, True]
        assert (contest.protocol_number, contest.protocol_date) == ("3", day)
        assert contest.protocol_place == "м. Харків, вул. Сумська, 64"
