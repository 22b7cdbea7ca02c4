"""After the decision (SPEC §14) in a real Chromium, by keyboard: the applicant on a
phone's screen (360 px), the organiser on a desktop's (1280 px), in Ukrainian.

- The runner-up reads their result and the jury's feedback, files an appeal; the
  organiser sees it counted on the dashboard and records the commission's answer; the
  applicant reads it. Another applicant, whose form stayed open past the window, is
  refused and finds the reason typed kept on the page.
- The organiser asks for a clarification during screening; the applicant changes only
  the answer named and sends it in time; the organiser reads the answer and its time on
  the screening page. A second request answered too late is refused, the draft kept.

The contest of ``tests/_outcome.py``.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import (
    Answer,
    Appeal,
    AppealDecision,
    Application,
    ApplicationState,
    ClarificationRequest,
    Stage,
)

from .._outcome import decided_contest, publish
from ..conftest import PASSWORD
from .conftest import accessibility_problems, focus_indicator, focus_is_visible

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PUBLISHED = datetime(2026, 4, 6, 7, 0, tzinfo=UTC)  # Monday, 10:00 in Kyiv
AFTER_THE_WINDOW = datetime(2026, 4, 16, 21, 0, tzinfo=UTC)  # 10 days on, 00:00 in Kyiv
REASON = "Комісія не врахувала додаток 3 до заявки: прошу переглянути оцінку за C2."
LATE_REASON = "Прошу пояснити бал за C1: у заявці є всі документи."
ANSWER = "Комісія перевірила оцінки за C2: помилки в підрахунку немає."
NOW = datetime(2026, 4, 9, 7, 0, tzinfo=UTC)  # Thursday, 10:00 in Kyiv (screening)
MESSAGE = "Уточніть, будь ласка, бюджет: сума має бути в гривнях."


def _expect():
    return pytest.importorskip("playwright.sync_api").expect


def _log_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.focus("#email")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/account$"))


def _activate(page, locator) -> None:
    """Focus a link or a button as Tab would, check its focus ring, press Enter."""
    locator.focus()
    assert focus_is_visible(focus_indicator(page)), focus_indicator(page)
    page.keyboard.press("Enter")


def _tab_to(page, locator, presses: int = 12) -> None:
    """Press Tab until ``locator`` has the focus (it must be reachable from where we are)."""
    for _ in range(presses):
        if locator.evaluate("e => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def test_an_applicant_appeals_and_the_organiser_answers_by_keyboard(
    app, build, clock_at, live_server, new_context, request
):
    expect = _expect()
    clock_at(PUBLISHED - timedelta(days=1))
    decided = decided_contest(app, build)
    clock_at(PUBLISHED)
    publish(app, decided)
    url, number = live_server.url, decided.numbers["b"]
    problems = []

    # The runner-up, on a phone: the result, the feedback without names, the appeal.
    phone = new_context().new_page()
    _log_in(phone, url, decided.applicants["b"])
    phone.goto(f"{url}/applications/{number}")
    result = phone.locator("#result")
    expect(result).to_contain_text("Не серед переможців: 2 місце в рейтингу")
    feedback = phone.locator("#feedback")
    expect(feedback).to_contain_text("Відгук журі")
    expect(feedback).to_contain_text("B-C1-перший")
    expect(feedback).not_to_contain_text("A-C1-перший")  # never another's feedback
    for juror in ("Оксана Суддівська", "Богдан Оцінювач", "Марта Рецензентка"):
        expect(phone.locator("main")).not_to_contain_text(juror)
    problems += accessibility_problems(phone, "the applicant's result", request)
    _activate(phone, phone.get_by_role("link", name="Подати скаргу"))

    phone.wait_for_url(re.compile(rf"/applications/{number}/appeal$"))
    expect(phone.locator("h1")).to_have_text("Скарга на результати")
    expect(phone.locator("main")).to_contain_text("до 16 квітня 2026")
    problems += accessibility_problems(phone, "the appeal form", request)
    phone.focus("#reason")
    phone.keyboard.type(REASON)
    button = phone.get_by_role("button", name="Подати скаргу")
    _tab_to(phone, button)
    assert focus_is_visible(focus_indicator(phone))
    phone.screenshot(path=_shot(request, "0-applicant-appeal-form.png"), full_page=True)
    phone.keyboard.press("Enter")

    phone.wait_for_url(re.compile(rf"/applications/{number}#appeal$"))
    expect(phone.locator(".alert-success")).to_contain_text("Скаргу подано. Комісія відповість")
    expect(phone.locator("#appeal")).to_contain_text(REASON)
    expect(phone.locator("#appeal")).to_contain_text("Комісія відповість до")
    expect(phone.get_by_role("link", name="Подати скаргу")).to_have_count(0)  # one appeal
    phone.screenshot(path=_shot(request, "1-applicant-appeal-filed.png"), full_page=True)

    # The organiser, on a desktop: the dashboard counts it; the answer is recorded.
    desk = new_context(viewport=DESKTOP).new_page()
    _log_in(desk, url, decided.organiser)
    desk.goto(f"{url}/manage/contests/{decided.slug}")
    expect(desk.locator("main")).to_contain_text("1 скарга очікує на відповідь комісії")
    _activate(desk, desk.locator("main").get_by_role("link", name=number, exact=True))

    desk.wait_for_url(re.compile(rf"/appeals/{number}$"))
    expect(desk.locator("main")).to_contain_text(REASON)
    problems += accessibility_problems(desk, "the organiser's appeal", request)
    rejected = desk.get_by_label("Відхилено: результати лишаються чинними")
    rejected.focus()
    desk.keyboard.press("Space")
    expect(rejected).to_be_checked()
    _tab_to(desk, desk.locator("#answer"))
    desk.keyboard.type(ANSWER)
    _tab_to(desk, desk.get_by_role("button", name="Внести відповідь"))
    desk.screenshot(path=_shot(request, "2-organiser-answer-form.png"), full_page=True)
    desk.keyboard.press("Enter")

    expect(desk.locator(".alert-success")).to_contain_text("Відповідь комісії внесено")
    expect(desk.locator("main")).to_contain_text(ANSWER)
    expect(desk.locator("main form")).to_have_count(0)  # answered once, for good
    desk.screenshot(path=_shot(request, "2b-organiser-answer-recorded.png"), full_page=True)
    with live_server.app.app_context():
        (appeal,) = db.session.scalars(select(Appeal)).all()
        assert appeal.decision == AppealDecision.REJECTED and appeal.answer == ANSWER

    phone.reload()
    expect(phone.locator("#appeal")).to_contain_text("Відхилено")
    expect(phone.locator("#appeal")).to_contain_text(ANSWER)
    phone.screenshot(path=_shot(request, "3-applicant-reads-answer.png"), full_page=True)

    # The winner opened the form in time and sent it after the window: refused, kept.
    late = new_context().new_page()
    _log_in(late, url, decided.applicants["a"])
    late.goto(f"{url}/applications/{decided.numbers['a']}/appeal")
    late.focus("#reason")
    late.keyboard.type(LATE_REASON)
    clock_at(AFTER_THE_WINDOW)
    _tab_to(late, late.get_by_role("button", name="Подати скаргу"))
    late.keyboard.press("Enter")
    closed = late.locator("#appeal-closed")
    expect(closed).to_contain_text("Строк подання скарг завершився 16 квітня 2026")
    expect(late.locator("main")).to_contain_text(LATE_REASON)
    expect(late.locator("#reason")).to_have_count(0)
    problems += accessibility_problems(late, "the late appeal refused", request)
    late.screenshot(path=_shot(request, "4-late-appeal-refused.png"), full_page=True)
    with live_server.app.app_context():
        assert len(db.session.scalars(select(Appeal)).all()) == 1

    assert not problems, "\n".join(problems)


def test_a_clarification_is_asked_answered_in_time_and_refused_late_by_keyboard(
    app, build, clock_at, live_server, new_context, request
):
    expect = _expect()
    clock_at(NOW)
    decided = decided_contest(app, build, stage=Stage.SCREENING)
    with app.app_context():
        application = db.session.get(Application, decided.ids["b"])
        application.state, application.decided_at = ApplicationState.SUBMITTED, None
        db.session.commit()
    url, number = live_server.url, decided.numbers["b"]
    budget = f"#q-{decided.questions['budget']}"
    summary = f"#q-{decided.questions['summary']}"
    problems = []

    # The organiser asks for the budget, by the default deadline.
    desk = new_context(viewport=DESKTOP).new_page()
    _log_in(desk, url, decided.organiser)
    screening = f"{url}/manage/contests/{decided.slug}/applications/{number}"
    desk.goto(screening)
    _activate(desk, desk.get_by_role("link", name="Попросити уточнення"))
    desk.wait_for_url(re.compile(r"/clarify$"))
    problems += accessibility_problems(desk, "the organiser's request", request)
    desk.focus("#message")
    desk.keyboard.type(MESSAGE)
    box = desk.get_by_label("Бюджет", exact=True)
    _tab_to(desk, box)
    desk.keyboard.press("Space")
    expect(box).to_be_checked()
    expect(desk.locator("#deadline")).to_have_value("2026-04-14T23:59")  # 3 working days
    _tab_to(desk, desk.get_by_role("button", name="Надіслати запит"))
    desk.keyboard.press("Enter")
    desk.wait_for_url(re.compile(rf"/applications/{number}$"))
    expect(desk.locator(".alert-success")).to_contain_text("Запит надіслано")
    expect(desk.locator("#clarifications")).to_contain_text("очікує на відповідь")
    expect(desk.locator("#decision-waits")).to_be_visible()

    # The applicant, on a phone, changes only the budget and sends it in time.
    phone = new_context().new_page()
    _log_in(phone, url, decided.applicants["b"])
    phone.goto(f"{url}/applications/{number}")
    expect(phone.locator("#clarification-asked")).to_contain_text(MESSAGE)
    _activate(phone, phone.get_by_role("link", name="Відповісти на запит"))
    phone.wait_for_url(re.compile(r"/clarification$"))
    expect(phone.locator(budget)).to_be_editable()
    expect(phone.locator(summary)).to_have_count(0)  # not asked: not reopened
    problems += accessibility_problems(phone, "the applicant's answer", request)
    phone.focus(budget)
    phone.keyboard.type("90000")
    _tab_to(phone, phone.get_by_role("button", name="Надіслати відповідь"))
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(rf"/applications/{number}$"))
    expect(phone.locator(".alert-success")).to_contain_text("Відповідь надіслано організаторам")
    with live_server.app.app_context():
        answers = {
            a.question_id: a.value
            for a in db.session.scalars(
                select(Answer).where(Answer.application_id == decided.ids["b"])
            )
        }
        assert answers[decided.questions["budget"]] == "90000"
        assert answers[decided.questions["summary"]] == "Опис b"

    desk.goto(screening)
    clarified = desk.locator("#clarifications")
    expect(clarified).to_contain_text("відповідь надано")
    expect(clarified).to_contain_text("9 квітня 2026")  # asked and answered, with the times
    expect(desk.locator("#decision-waits")).to_have_count(0)  # screening resumes
    desk.screenshot(path=_shot(request, "5-organiser-reads-the-answer.png"), full_page=True)

    # A second request; the applicant saves a draft and sends it after the deadline.
    _activate(desk, desk.get_by_role("link", name="Попросити уточнення"))
    desk.focus("#message")
    desk.keyboard.type("Ще раз уточніть бюджет: з копійками.")
    _tab_to(desk, desk.get_by_label("Бюджет", exact=True))
    desk.keyboard.press("Space")
    _tab_to(desk, desk.get_by_role("button", name="Надіслати запит"))
    desk.keyboard.press("Enter")
    expect(desk.locator(".alert-success")).to_contain_text("Запит надіслано")

    phone.goto(f"{url}/applications/{number}/clarification")
    phone.fill(budget, "")
    phone.focus(budget)
    phone.keyboard.type("91000")
    phone.keyboard.press("Enter")  # Enter in a field saves the draft, never sends it
    expect(phone.locator(".alert-success")).to_contain_text("Чернетку відповіді збережено")
    clock_at(datetime(2026, 4, 14, 21, 0, tzinfo=UTC))  # the deadline has passed
    phone.fill(budget, "")
    phone.focus(budget)
    phone.keyboard.type("92000")
    _tab_to(phone, phone.get_by_role("button", name="Надіслати відповідь"))
    phone.keyboard.press("Enter")
    expect(phone.locator("#clarification-refused")).to_contain_text(
        "Відповідь не надіслано: строк минув 14 квітня 2026"
    )
    expect(phone.locator(budget)).to_have_value("92000")  # nothing typed is lost
    expect(phone.locator(budget)).to_be_disabled()
    expect(phone.get_by_role("button", name="Надіслати відповідь")).to_have_count(0)
    problems += accessibility_problems(phone, "the late answer refused", request)
    phone.screenshot(path=_shot(request, "6-late-answer-refused.png"), full_page=True)
    with live_server.app.app_context():
        late = db.session.scalars(
            select(ClarificationRequest).order_by(ClarificationRequest.id.desc())
        ).first()
        assert late.answered_at is None
        assert late.draft == {str(decided.questions["budget"]): "92000"}
        answer = db.session.scalar(
            select(Answer.value).where(
                Answer.application_id == decided.ids["b"],
                Answer.question_id == decided.questions["budget"],
            )
        )
        assert answer == "90000"  # the application keeps the answer sent in time

    assert not problems, "\n".join(problems)


def _shot(request, name: str) -> str:
    """Where a screenshot of the walk goes (test-artifacts/<test>/), to be looked at."""
    from .conftest import ARTIFACTS, _folder_name

    folder = ARTIFACTS / _folder_name(request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / name)
