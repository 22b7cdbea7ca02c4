"""Two-factor sign-in in a real Chromium, by keyboard, on a phone's screen: set it up
from the account page with the QR code's key, keep the recovery codes, log out, and sign
in again with the password and a code; the account page lists the sessions."""

import re
from datetime import timedelta

import pyotp
import pytest

from scoring import clock
from scoring.models import Role

from ..conftest import PASSWORD
from .conftest import accessibility_problems

pytestmark = pytest.mark.browser


def _type_into(page, selector: str, text: str) -> None:
    page.focus(selector)
    page.keyboard.type(text)


def _log_in(page, url: str) -> None:
    page.goto(f"{url}/login")
    _type_into(page, "#email", "juror@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def test_a_juror_sets_up_two_factor_and_signs_in_with_a_code(
    app, build, live_server, browser_page, clock_at, request
):
    expect = pytest.importorskip("playwright.sync_api").expect
    build.user(Role.JUROR, email="juror@example.org", name="Олена Коваленко")
    page, url = browser_page, live_server.url
    problems = []

    _log_in(page, url)
    page.wait_for_url(re.compile(r"/account$"))
    sessions = page.locator("section[aria-labelledby=sessions-heading]")
    expect(sessions).to_contain_text("цей браузер")
    expect(sessions).to_contain_text("HeadlessChrome")
    problems += accessibility_problems(page, "account", request)
    page.get_by_role("link", name="Налаштувати двофакторний вхід").focus()
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/account/two-factor$"))
    qr = page.get_by_role("img", name=re.compile("QR-код"))
    expect(qr).to_be_visible()
    assert page.evaluate("() => document.querySelector('main img').naturalWidth") > 100
    problems += accessibility_problems(page, "two-factor set-up", request)
    secret = page.locator("#secret").inner_text().replace(" ", "")
    _type_into(page, "#code", "123 456")  # a wrong code first
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#code-errors")).to_contain_text("Код не збігається")
    expect(page.locator("#secret")).to_have_text(re.compile(secret[:4]))  # the same key
    page.fill("#code", "")
    page.keyboard.type(pyotp.TOTP(secret).at(clock.now()))
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    codes = page.locator(".recovery-codes li")
    expect(codes).to_have_count(10)
    first_code = codes.first.inner_text()
    problems += accessibility_problems(page, "recovery codes", request)
    page.get_by_role("link", name="Коди збережено — продовжити").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/account$"))
    expect(page.locator("section[aria-labelledby=two-factor-heading]")).to_contain_text(
        "Увімкнено"
    )

    page.goto(f"{url}/logout")
    page.get_by_role("button", name="Вийти").last.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    clock_at(clock.now() + timedelta(seconds=60))  # the next code, not the one just used
    _log_in(page, url)
    page.wait_for_url(re.compile(r"/login/code$"))
    problems += accessibility_problems(page, "sign-in code", request)
    _type_into(page, "#code", pyotp.TOTP(secret).at(clock.now()))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/account$"))
    expect(sessions).to_contain_text("З кодом із застосунку")
    expect(sessions.locator("li")).to_have_count(1)
    assert first_code and re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", first_code)
    assert problems == []
