"""progress.js in a real Chromium: the organiser asks for the protocol, sees how far it
has gone, and gets the file; without the script the same link downloads it directly."""

import re

import pytest
from sqlalchemy import select

from scoring import demo
from scoring.extensions import db
from scoring.models import Contest, Stage

pytestmark = pytest.mark.browser

READY = re.compile(r"The document is ready|Документ готовий")


@pytest.fixture
def ranking_page(app, demo_loaded, live_server, browser_page):
    """The demo's organiser signed in, on the ranking page of the contest in judging."""
    with app.app_context():
        slug = db.session.scalar(select(Contest.slug).where(Contest.stage == Stage.JUDGING))
    page = browser_page
    page.goto(f"{live_server.url}/login")
    page.fill("#email", "organiser@demo.example")
    page.fill("#password", demo.PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/(account|manage/contests)"))
    page.goto(f"{live_server.url}/manage/contests/{slug}/ranking")
    return page, slug


def test_the_protocol_is_made_in_the_background_with_its_progress_shown(ranking_page):
    expect = pytest.importorskip("playwright.sync_api").expect
    page, slug = ranking_page
    asked = []
    page.on("request", lambda request: asked.append((request.method, request.url)))
    link = page.locator("a[data-progress]", has_text=re.compile("Protocol|Протокол"))
    with page.expect_download(timeout=60_000) as download:
        link.click()
    status = page.locator(".document-progress[role=status]")
    expect(status).to_have_text(READY)
    expect(status.locator("progress")).to_have_attribute("value", "100")
    assert download.value.suggested_filename == f"protocol-{slug}.pdf"
    with open(download.value.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"
    protocol = [method for method, url in asked if "/protocol.pdf" in url]
    assert protocol == ["POST"]  # asked for in the background, not by following the link
    assert any("/documents/jobs/" in url for _method, url in asked)


def test_without_the_script_the_link_downloads_the_protocol(ranking_page, new_context):
    page, slug = ranking_page
    cookies = page.context.cookies()
    context = new_context(java_script_enabled=False)
    context.add_cookies(cookies)
    plain = context.new_page()
    plain.goto(page.url)
    with plain.expect_download(timeout=60_000) as download:
        plain.locator("a[data-progress]", has_text=re.compile("Protocol|Протокол")).click()
    assert download.value.suggested_filename == f"protocol-{slug}.pdf"
