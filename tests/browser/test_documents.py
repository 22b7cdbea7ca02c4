"""progress.js in a real Chromium: the organiser asks for the protocol, sees how far it
has gone, and gets the file; without the script the same link downloads it directly."""

import re
import threading

import pytest
from sqlalchemy import select

from scoring import demo, documents, tables
from scoring.extensions import db
from scoring.models import Contest, Stage

pytestmark = pytest.mark.browser

READY = re.compile(r"The document is ready|Документ готовий")
HALFWAY = re.compile(r"(laid out|зверстано) 50\u00a0%")
ROWS_HALFWAY = re.compile(r"50\u00a0% of the rows written|записано 50\u00a0% рядків")


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


def test_the_protocol_is_made_in_the_background_with_its_progress_shown(ranking_page, monkeypatch):
    """Asked for by keyboard; the page shows the layout halfway (held there until the
    test has seen it), then that it is ready, and the file downloads."""
    expect = pytest.importorskip("playwright.sync_api").expect
    page, slug = ranking_page
    go_on = threading.Event()
    lay_out = documents.pdf.protocol.build

    def halfway_then_on(record, fonts, progress):  # in the job's thread of the live server
        progress(1, 2)
        go_on.wait(timeout=60)
        return lay_out(record, fonts, progress)

    monkeypatch.setattr(documents.pdf.protocol, "build", halfway_then_on)
    asked = []
    page.on("request", lambda request: asked.append((request.method, request.url)))
    link = page.locator("a[data-progress]", has_text=re.compile("Protocol|Протокол")).first
    status = page.locator(".document-progress[role=status]")
    try:
        with page.expect_download(timeout=60_000) as download:
            link.focus()
            page.keyboard.press("Enter")
            expect(status).to_have_text(HALFWAY)
            expect(status.locator("progress")).to_have_attribute("value", "50")
            expect(link).to_have_attribute("aria-disabled", "true")  # not asked for twice
            go_on.set()
    finally:
        go_on.set()
    expect(status).to_have_text(READY)
    expect(status.locator("progress")).to_have_attribute("value", "100")
    expect(link).not_to_have_attribute("aria-disabled", "true")
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


def test_the_workbook_of_every_score_shows_its_rows_written(ranking_page, monkeypatch):
    """The ranking with every score, asked for by keyboard at a phone's width: the page
    says how many of its rows are written (held halfway), then the workbook downloads."""
    expect = pytest.importorskip("playwright.sync_api").expect
    page, slug = ranking_page
    go_on = threading.Event()
    write = tables.xlsx

    def halfway_then_on(*made, progress=None):  # in the job's thread of the live server
        progress(1, 2)
        go_on.wait(timeout=60)
        return write(*made, progress=progress)

    monkeypatch.setattr(tables, "xlsx", halfway_then_on)
    link = page.locator("#download-ranking a[data-progress]")
    status = page.locator("#download-ranking .document-progress[role=status]")
    try:
        with page.expect_download(timeout=60_000) as download:
            link.focus()
            page.keyboard.press("Enter")
            expect(status).to_have_text(ROWS_HALFWAY)
            expect(status.locator("progress")).to_have_attribute("value", "50")
            go_on.set()
    finally:
        go_on.set()
    expect(status).to_have_text(re.compile(r"The table is ready|Таблиця готова"))
    assert download.value.suggested_filename == f"{slug}-ranking.xlsx"
    with open(download.value.path(), "rb") as file:
        assert file.read(2) == b"PK"  # a workbook (a zip), not an error page
