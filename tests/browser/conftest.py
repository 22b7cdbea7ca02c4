"""Fixtures for tests in a real Chromium through Playwright.

``live_server`` serves the test's app (on the test's database) on a free loopback port
in a thread and yields a ``LiveServer`` with its ``url`` and ``app``; ``browser_page``
is a Playwright page in a fresh browser context with a phone's viewport (360 × 740),
skipped with a clear reason when /usr/bin/chromium or Playwright is missing. Mark the
tests ``@pytest.mark.browser``.
"""

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}


@dataclass(frozen=True)
class LiveServer:
    url: str  # "http://127.0.0.1:PORT", without a trailing slash
    app: Flask


@pytest.fixture
def live_server(app):
    """The test's app served on a free loopback port in a thread, until the test ends."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def browser_context():
    """A fresh Chromium context (cookies, localStorage) with a phone's viewport."""
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE)
        yield context
        context.close()
        browser.close()


@pytest.fixture
def browser_page(browser_context):
    """A page of ``browser_context``: 360 × 740, as on a phone."""
    return browser_context.new_page()
