"""Fixtures for tests in a real Chromium through Playwright.

``live_server`` serves the test's app (on the test's database) on a free loopback port
in a thread and yields a ``LiveServer`` with its ``url`` and ``app``; ``browser_page``
is a Playwright page in a fresh browser context with a phone's viewport (360 × 740),
skipped with a clear reason when /usr/bin/chromium or Playwright is missing. Mark the
tests ``@pytest.mark.browser``. ``new_context`` opens more contexts (one per person of a
journey) in the same browser.

When a browser test fails, ``pytest_runtest_makereport`` saves a full-page PNG and the
HTML of every page still open to ``test-artifacts/<test name>/`` at the repository root,
with ``key-pages.txt``: the key pages the test checked (``accessibility_problems``), in
order, the last one being where it stopped.

``accessibility_problems(page)`` runs axe-core (the ``axe-playwright-python`` package)
with the WCAG 2.1 A and AA rules at 360 and at 1280 pixels wide and checks that every
input has an accessible name; it returns one line per problem.
"""

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from ..conftest import PASSWORD

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


def log_in(page, url: str, email: str) -> None:
    """Sign in through the login page as ``email`` (the tests' one password)."""
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/account$"))


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
def browser():
    """Headless Chromium, skipped with a clear reason when it or Playwright is missing."""
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(request, browser):
    """Open a fresh context (cookies, localStorage): ``new_context(viewport=PHONE)``."""
    opened = request.node.stash.setdefault(OPEN_CONTEXTS, [])
    mine = []

    def open_context(viewport: dict = PHONE, **options):
        context = browser.new_context(viewport=viewport, **options)
        opened.append(context)
        mine.append(context)
        return context

    yield open_context
    for context in mine:
        context.close()


@pytest.fixture
def browser_context(new_context):
    """A fresh Chromium context (cookies, localStorage) with a phone's viewport."""
    return new_context()


@pytest.fixture
def browser_page(browser_context):
    """A page of ``browser_context``: 360 × 740, as on a phone."""
    return browser_context.new_page()


# Screenshots of failed browser tests -----------------------------------------------------

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
OPEN_CONTEXTS = pytest.StashKey[list]()
KEY_PAGES = pytest.StashKey[list]()


def _folder_name(test_name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", test_name).strip("_")[:120]


def save_artifacts(item) -> Path | None:
    """A full-page PNG and the HTML of every open page of the test; the folder, if any."""
    pages = [
        page
        for context in item.stash.get(OPEN_CONTEXTS, [])
        for page in _pages(context)
        if not page.is_closed()
    ]
    key_pages = item.stash.get(KEY_PAGES, [])
    if not pages and not key_pages:
        return None
    folder = ARTIFACTS / _folder_name(item.name)
    folder.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(pages, start=1):
        stem = f"page-{number}-{_folder_name(page.url.split('//', 1)[-1].partition('/')[2])}"
        try:
            page.screenshot(path=str(folder / f"{stem}.png"), full_page=True, timeout=10_000)
            (folder / f"{stem}.html").write_text(page.content(), encoding="utf-8")
        except Exception as error:  # a crashed page must not hide the test's own failure
            (folder / f"{stem}.error.txt").write_text(f"{page.url}\n{error}\n", encoding="utf-8")
    if key_pages:
        lines = [f"{n}. {name}  {url}" for n, (name, url) in enumerate(key_pages, start=1)]
        (folder / "key-pages.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _pages(context) -> list:
    try:
        return list(context.pages)
    except Exception:  # the context is already closed
        return []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        folder = save_artifacts(item)
        if folder is not None:
            message = f"screenshots and HTML of the open pages: {folder}"
            report.sections.append(("browser artefacts", message))
            terminal = item.config.pluginmanager.get_plugin("terminalreporter")
            if terminal is not None:
                terminal.write_line(f"\n{item.nodeid}: {message}")


# Accessibility ---------------------------------------------------------------------------

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (360, 1280)
UNLABELLED = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea'))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !e.getAttribute('aria-labelledby') && !e.closest('[aria-hidden=true]'))
  .map(e => e.outerHTML.slice(0, 120))"""


def open_page(new_context, viewport: dict):
    """A page in a new browser context of that size, waiting at most 15 s for anything."""
    page = new_context(viewport=viewport).new_page()
    page.set_default_timeout(15_000)
    return page


def shown(locator) -> str:
    """The locator's text as a person reads it (non-breaking spaces as plain ones)."""
    return locator.inner_text().replace("\u00a0", " ")


def accessibility_problems(page, name: str, request=None, widths=WIDTHS) -> list[str]:
    """WCAG 2.1 A/AA violations (axe-core) and unlabelled inputs of the page, at each width.

    ``name`` says which page it is in the lines returned; with the test's ``request`` the
    page is added to the key pages saved on failure. The viewport is restored afterwards.
    """
    axe = pytest.importorskip(
        "axe_playwright_python.sync_playwright",
        reason="axe-playwright-python is not installed (pip install -e '.[test]')",
    ).Axe()
    if request is not None:
        request.node.stash.setdefault(KEY_PAGES, []).append((name, page.url))
    original = page.viewport_size
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    found: dict[str, list[int]] = {}  # problem → the widths it shows at
    try:
        for width in widths:
            page.set_viewport_size({"width": width, "height": original["height"]})
            results = axe.run(page, options=options).response
            lines = [
                f"{violation['id']} — {violation['help']} — "
                + ", ".join(" ".join(node["target"]) for node in violation["nodes"])
                for violation in results["violations"]
            ]
            lines += [f"an input without a label — {html}" for html in page.evaluate(UNLABELLED)]
            for line in lines:
                found.setdefault(line, []).append(width)
    finally:
        page.set_viewport_size(original)
    return [
        f"{name} ({page.url}) at {', '.join(map(str, at))} px: {line}" for line, at in found.items()
    ]


FOCUS_STYLE = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  return {tag: e.tagName, id: e.id, outline: style.outlineStyle, width: style.outlineWidth,
          shadow: style.boxShadow, focusVisible: e.matches(':focus-visible')};
}"""


def focus_indicator(page) -> dict:
    """The focused element's focus ring: its outline style and width, its box-shadow."""
    return page.evaluate(FOCUS_STYLE)


def focus_is_visible(style: dict) -> bool:
    return style["focusVisible"] and (
        (style["outline"] != "none" and style["width"] not in ("0px", ""))
        or style["shadow"] not in ("none", "")
    )
