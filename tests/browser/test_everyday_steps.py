"""The new everyday steps of issue 16 in a real Chromium, on a phone (360 px) and by
keyboard only, each page checked with axe-core at 360 and 1280 px: an applicant checks
the answers before submitting and confirms a withdrawal; an organiser screens several
applications at once, sends an invitation again and withdraws another, assigns one
juror to several applications, copies a contest and reads the set-up checklist."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scoring.auth import operations as accounts
from scoring.extensions import db
from scoring.models import (
    Application,
    ApplicationState,
    Contest,
    Invitation,
    Question,
    QuestionKind,
    Role,
    Stage,
    User,
)

from ..test_jury import arrange, assign
from ..test_screening import _applications
from .conftest import accessibility_problems, focus_indicator, focus_is_visible, log_in

pytestmark = pytest.mark.browser

ORGANISER = "organiser@example.org"
APPLICANT = "applicant@example.org"


def tab_to(page, matches: str, limit: int = 120) -> None:
    """Press Tab until the focused element satisfies ``matches`` (a JS expression on e),
    and check that its focus ring shows."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return {matches}; }}"):
            ring = focus_indicator(page)
            assert focus_is_visible(ring), f"no visible focus on {matches}: {ring}"
            return
    raise AssertionError(f"Tab never reached an element where {matches}")


def test_an_applicant_checks_the_answers_submits_and_withdraws_by_keyboard(
    app, build, live_server, browser_page, request
):
    expect = pytest.importorskip("playwright.sync_api").expect
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    build.contest(
        organisers=[organiser],
        slug="uchast-2026",
        number_prefix="UCH",
        questions=[
            Question(
                key="summary",
                label_uk="Опишіть практику",
                kind=QuestionKind.TEXTAREA,
                required=True,
                position=0,
            ),
            Question(
                key="site", label_uk="Сторінка в інтернеті", kind=QuestionKind.URL, position=1
            ),
        ],
    )
    build.applicant(email=APPLICANT)
    page, url, problems = browser_page, live_server.url, []
    page.set_default_timeout(15_000)
    log_in(page, url, APPLICANT)
    page.goto(f"{url}/contests/uchast-2026")
    tab_to(page, "!!e.closest(\"form[action$='/contests/uchast-2026/apply']\")")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/applications/draft/\d+$"))
    expect(page.locator("#draft-progress")).to_contain_text("0 з 2")
    # Nothing typed yet: the form names what is missing and the focus moves to the list.
    tab_to(page, "e.name === 'action' && e.value === 'review'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#error-summary")
    page.wait_for_function("() => document.activeElement.id === 'error-summary'")
    problems += accessibility_problems(page, "draft with errors", request)
    tab_to(page, "e.id === 'title'")
    page.keyboard.type("Школа активного мешканця")
    tab_to(page, "e.tagName === 'TEXTAREA'")
    page.keyboard.type("Навчаємо мешканців готувати проєкти.")
    tab_to(page, "e.name === 'action' && e.value === 'review'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/check$"))
    expect(page.locator("#check-answers")).to_contain_text("Навчаємо мешканців готувати проєкти.")
    expect(page.locator("#check-answers")).to_contain_text("немає відповіді")  # the optional one
    problems += accessibility_problems(page, "check your answers", request)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    tab_to(page, "e.name === 'action' && e.value === 'submit'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/applications/UCH-\d{4}-001$"))
    tab_to(page, "e.tagName === 'A' && e.getAttribute('href').endsWith('/withdraw')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/withdraw$"))
    expect(page.locator("#withdraw-consequences")).to_contain_text("UCH-")
    problems += accessibility_problems(page, "withdrawal confirmation", request)
    tab_to(page, "e.tagName === 'BUTTON' && e.type === 'submit' && !!e.closest('main')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/applications/draft/\d+$"))
    with app.app_context():
        assert db.session.scalar(select(Application.state)) == ApplicationState.DRAFT
    assert not problems, "accessibility problems:\n" + "\n".join(problems)


def test_the_countdown_stops_at_the_deadline_whatever_the_devices_clock(
    build, live_server, browser_page, clock_at
):
    """The page counts down with the server's time (the phone's clock is an hour fast),
    says at the deadline that applications are closed, and from then on changes nothing."""
    expect = pytest.importorskip("playwright.sync_api").expect
    now = datetime(2026, 3, 9, 15, 57, 30, tzinfo=UTC)
    clock_at(now)
    build.contest(slug="uchast-2026", closes_at=now + timedelta(seconds=150))
    page = browser_page
    page.clock.install(time=now + timedelta(hours=1))
    page.goto(f"{live_server.url}/contests/uchast-2026")
    countdown = page.locator("[data-countdown]")
    expect(countdown).to_have_text("залишилося 3 хвилини")
    page.clock.run_for("01:00")
    expect(countdown).to_have_text("залишилося 2 хвилини")
    page.clock.run_for("01:31")
    expect(countdown).to_have_text("Прийом заявок завершено.")
    expect(countdown).to_have_attribute("data-closed", "")
    # Stopped: an hour later nothing has rewritten the element.
    countdown.evaluate("e => { e.textContent = 'untouched'; }")
    page.clock.run_for("01:00:00")
    expect(countdown).to_have_text("untouched")


def test_an_organiser_screens_in_bulk_resends_an_invitation_and_sets_up_on_a_phone(
    app, build, live_server, browser_page, request
):
    expect = pytest.importorskip("playwright.sync_api").expect
    organiser = build.user(Role.ORGANISER, email=ORGANISER, name="Оксана Гнатюк")
    screening = build.contest(
        organisers=[organiser], stage=Stage.SCREENING, slug="uchast-2026", number_prefix="UUG"
    )
    numbers = _applications(
        app, screening, [{"name": "ГО «Перша»"}, {"name": "ГО «Друга»"}, {"name": "ГО «Третя»"}]
    )
    with app.app_context():
        inviter = db.session.get(User, organiser)
        for email in ("nova@example.org", "stara@example.org"):
            accounts.invite(
                inviter=inviter,
                email=email,
                name="",
                role=Role.JUROR,
                contest=db.session.get(Contest, screening),
            )
        db.session.commit()
    page, url, problems = browser_page, live_server.url, []
    page.set_default_timeout(15_000)
    log_in(page, url, ORGANISER)

    # Reject two applications with one reason, by keyboard.
    page.goto(f"{url}/manage/contests/uchast-2026/applications")
    problems += accessibility_problems(page, "applications with bulk decisions", request)
    for number in numbers[:2]:
        tab_to(page, f"e.id === 'choose-{number}'")
        page.keyboard.press("Space")
    tab_to(page, "e.id === 'bulk-admit'")
    page.keyboard.press("ArrowRight")  # the next radio button: reject
    assert page.is_checked("#bulk-reject")
    tab_to(page, "e.id === 'bulk-reason'")
    page.keyboard.type("Заявка не відповідає темі конкурсу.")
    tab_to(page, "e.type === 'submit' && !!e.closest('#bulk-decision')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/applications/bulk$"))
    expect(page.locator("#bulk-plan")).to_contain_text(numbers[1])
    problems += accessibility_problems(page, "bulk decision confirmation", request)
    tab_to(page, "e.type === 'submit' && e.classList.contains('btn-danger')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/applications$"))
    with app.app_context():
        states = dict(db.session.execute(select(Application.number, Application.state)).all())
    assert [states[n] for n in numbers] == [ApplicationState.REJECTED] * 2 + [
        ApplicationState.SUBMITTED
    ]

    # Send one invitation again and withdraw the other.
    page.goto(f"{url}/manage/contests/uchast-2026/jury")
    tab_to(page, "e.tagName === 'BUTTON' && e.textContent.includes('nova@example.org')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/jury$"))
    expect(page.locator("main .alert-success")).to_contain_text("nova@example.org")
    problems += accessibility_problems(page, "jury with invitations", request)
    tab_to(
        page,
        "e.tagName === 'A' && e.href.endsWith('/withdraw')"
        " && e.textContent.includes('stara@example.org')",
    )
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/withdraw$"))
    problems += accessibility_problems(page, "withdrawing an invitation", request)
    tab_to(page, "e.type === 'submit' && e.classList.contains('btn-danger')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/jury$"))
    with app.app_context():
        kept = db.session.scalars(
            select(Invitation.email).where(Invitation.withdrawn_at.is_(None))
        ).all()
    assert kept == ["nova@example.org"]

    # The set-up checklist of a draft, and copying a contest.
    build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="chernetka", number_prefix="CHN")
    page.goto(f"{url}/manage/contests/chernetka")
    expect(page.locator("#setup-checklist")).to_be_visible()
    problems += accessibility_problems(page, "dashboard with the set-up checklist", request)
    page.goto(f"{url}/manage/contests/uchast-2026/copy")
    problems += accessibility_problems(page, "copying a contest", request)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert not problems, "accessibility problems:\n" + "\n".join(problems)


def test_one_juror_for_several_applications_on_a_phone(
    app, build, live_server, browser_page, request
):
    expect = pytest.importorskip("playwright.sync_api").expect
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    juror = build.user(Role.JUROR, email="iryna@example.org", name="Ірина Бондар")
    arranged = arrange(app, build, organiser, count=3, jurors=[juror], stage=Stage.SCREENING)
    assign(app, arranged, [(arranged.numbers[0], juror)])
    page, url = browser_page, live_server.url
    page.set_default_timeout(15_000)
    log_in(page, url, ORGANISER)
    page.goto(f"{url}{arranged.url('/assignments')}")
    problems = accessibility_problems(page, "assignments with bulk assignment", request)
    # «Tick all» ticks the page's applications; one unticked makes it mixed.
    tab_to(page, "e.id === 'choose-all-numbers'")
    page.keyboard.press("Space")
    for number in arranged.numbers:
        expect(page.locator(f"#choose-{number}")).to_be_checked()
    tab_to(page, f"e.id === 'choose-{arranged.numbers[1]}'")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.getElementById('choose-all-numbers').indeterminate")
    expect(page.locator("#choose-all-numbers")).not_to_be_checked()
    page.keyboard.press("Space")
    expect(page.locator("#choose-all-numbers")).to_be_checked()
    page.select_option("#bulk-juror", str(juror))
    tab_to(page, "e.type === 'submit' && !!e.closest('#bulk-assign')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/assignments/bulk$"))
    expect(page.locator("#bulk-plan")).to_contain_text("уже оцінює цю заявку")
    problems += accessibility_problems(page, "bulk assignment confirmation", request)
    tab_to(page, "e.type === 'submit' && !!e.closest('main form')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/assignments$"))
    expect(page.locator("main .alert-success")).to_contain_text("Ірина Бондар")
    assert not problems, "accessibility problems:\n" + "\n".join(problems)
