"""The page «Rounds» in a real Chromium (SPEC §13, issue 20): an organiser on a phone adds a
second round to a draft contest, gives the rounds their shares of the final score (a
sum other than 100 refused beside the field), and the first round then opens; on a
laptop the same page reads as declared. Each page is checked with axe-core at 360 and
1280 px; screenshots go to ``test-artifacts/rounds/`` to be looked at.
"""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Contest, Role, Stage

from .conftest import PHONE, accessibility_problems, log_in
from .test_journey import LAPTOP, confirm_stage

pytestmark = pytest.mark.browser

SLUG = "biudzhet-uchasti-2026"
NOW = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
ORGANISER = "organiser@example.org"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "rounds"


def test_an_organiser_declares_two_rounds_on_a_phone(
    app, build, live_server, new_context, clock_at, request
):
    clock_at(NOW)
    url = live_server.url
    organiser = build.user(Role.ORGANISER, email=ORGANISER, name="Оксана Гнатюк")
    build.contest(
        organisers=[organiser],
        stage=Stage.DRAFT,
        slug=SLUG,
        title_uk="Бюджет участі громад 2026",
        number_prefix="BUG",
        opens_at=datetime(2026, 3, 1, 7, 0, tzinfo=UTC),
        closes_at=datetime(2026, 3, 31, 15, 0, tzinfo=UTC),
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    page = new_context(viewport=PHONE).new_page()
    page.set_default_timeout(15_000)
    log_in(page, url, ORGANISER)

    page.goto(f"{url}/manage/contests/{SLUG}")
    page.click(f"a[href='/manage/contests/{SLUG}/rounds']")
    page.wait_for_url(re.compile(r"/rounds$"))
    page.click("text=Додати тур 2")
    page.fill("#round_title_uk", "Повна заявка")
    page.fill("#round_title_en", "Full application")
    page.fill("#opens_at", "2026-04-10T09:00")
    page.fill("#closes_at", "2026-04-30T18:00")
    problems += accessibility_problems(page, "a new round", request)
    page.screenshot(path=str(SHOTS / "round-new-360.png"), full_page=True)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(rf"/manage/contests/{SLUG}-tur-2$"))
    assert "Тур 2 з 2: «Повна заявка»" in page.inner_text("main")
    checklist = page.inner_text("#setup-checklist")
    assert "Попередній тур" in checklist and "Частки підсумкової оцінки" in checklist
    problems += accessibility_problems(page, "the second round's dashboard", request)
    page.screenshot(path=str(SHOTS / "round2-dashboard-360.png"), full_page=True)

    page.goto(f"{url}/manage/contests/{SLUG}/rounds")
    with app.app_context():
        ids = dict(db.session.execute(select(Contest.slug, Contest.id)).all())
    page.fill(f"#round_title_uk_{ids[SLUG]}", "Концепція")
    page.fill(f"#round_weight_{ids[SLUG]}", "40")
    page.fill(f"#round_weight_{ids[SLUG + '-tur-2']}", "50")
    page.click("main button[type=submit]")
    error = page.locator(f"#round_weight_{ids[SLUG + '-tur-2']}-errors")
    assert "разом становити 100 відсотків" in error.inner_text()
    page.screenshot(path=str(SHOTS / "rounds-error-360.png"), full_page=True)
    page.fill(f"#round_weight_{ids[SLUG + '-tur-2']}", "60")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/rounds$"))
    text = page.inner_text("main").replace("\u00a0", " ")
    assert "Тур 1 · Концепція" in text and "Тур 2 · Повна заявка" in text
    assert "40 %" in text and "60 %" in text
    problems += accessibility_problems(page, "rounds", request)
    page.screenshot(path=str(SHOTS / "rounds-360.png"), full_page=True)

    confirm_stage(page, url, "open", slug=SLUG)
    with app.app_context():
        assert db.session.get(Contest, ids[SLUG]).stage == Stage.OPEN

    laptop = new_context(viewport=LAPTOP).new_page()
    log_in(laptop, url, ORGANISER)
    laptop.goto(f"{url}/manage/contests/{SLUG}-tur-2/rounds")
    text = laptop.inner_text("main")
    assert "лише, поки перший тур — чернетка" in text
    assert laptop.locator(f"#round_weight_{ids[SLUG]}").count() == 0
    laptop.screenshot(path=str(SHOTS / "rounds-1280.png"), full_page=True)
    problems += accessibility_problems(laptop, "rounds, declared", request)
    assert not problems, "\n".join(problems)
