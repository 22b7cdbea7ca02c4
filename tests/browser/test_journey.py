"""The whole contest in a real Chromium, as its people live it (issue 7, SPEC §3).

An organiser sets up a contest with criteria and questions and opens it; an NGO
registers, fills the form with an autosaved draft (a reload loses nothing), uploads a
PDF and submits; the organiser screens, builds the jury and assigns; a juror on a phone
declares no conflict and scores with the keyboard only; another juror recuses; paper
applications and paper scores come in through the import commands, so that two of them
tie at the last winning place; the organiser deliberates, decides the tie, records the
jury's meeting for the protocol and publishes;
anyone sees the winners and downloads the results PDF.

Every page the journey visits is checked with axe-core (WCAG 2.1 A/AA) at 360 and at
1280 pixels wide. The accounts of the organiser and of one juror are made as staff make
them (``create-user``); everything else goes through the pages.
"""

import io
import re
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from scoring import edrpou, hromadas
from scoring.extensions import db
from scoring.models import Application, Attachment, Conflict, Scoresheet, SheetState

from ..conftest import PASSWORD
from .conftest import (
    PHONE,
    accessibility_problems,
    focus_indicator,
    focus_is_visible,
    log_in,
    open_page,
)

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
SLUG = "uchast-hromad-2026"
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # applications open 1–31 March 2026
ORGANISER = "organiser@example.org"
JUROR = "juror@example.org"  # has an account already
INVITED = "invited.juror@example.org"  # invited by the organiser from the jury page
PAPER_JUROR = "paper.juror@example.org"  # scored on paper; created by import-scores
NGO = "ГО «Світло громади»"
NGO_EMAIL = "svitlo@example.org"
PAPER = {  # paper applications: name → (points on C1, points on C2) of the paper juror
    "ГО «Рівні шанси»": ("7", "7"),
    "ГО «Спільна справа»": ("7", "7"),
    "ГО «Тиха вулиця»": ("3", "4"),
}


@contextmanager
def step(title: str):
    """One step of the journey: a failure names the step before the cause."""
    try:
        yield
    except Exception as error:
        raise AssertionError(f"journey step «{title}» failed: {error}") from error


def small_pdf(title: str) -> bytes:
    """A real one-page PDF with a title in its metadata, as an applicant's scanner makes."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def confirm_stage(page, url: str, to: str, reason: str = "", slug: str = SLUG) -> None:
    """The organiser moves the contest ``slug`` on from its dashboard: reads what the move
    does, gives the reason when asked, ticks that the warnings are read, and confirms."""
    page.goto(f"{url}/manage/contests/{slug}")
    page.click(f"a[href$='/stage?to={to}']")
    page.wait_for_url(re.compile(rf"/stage\?to={to}$"))
    problems = page.locator("#stage-problems")
    assert not problems.count(), problems.inner_text()
    if reason:
        page.fill("#reason", reason)
    if page.locator("#confirm").count():
        page.check("#confirm")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(rf"/manage/contests/{slug}$"))


def tab_to(page, matches: str, limit: int = 80) -> None:
    """Press Tab until the focused element satisfies ``matches`` (a JS expression on e)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return {matches}; }}"):
            return
    raise AssertionError(f"Tab never reached an element where {matches}")


def test_a_contest_from_setup_to_published_results(
    app, build, live_server, new_context, runner, outbox, clock_at, tmp_path, request
):
    expect = pytest.importorskip("playwright.sync_api").expect
    clock_at(NOW)
    url = live_server.url
    problems: list[str] = []

    def check(page, name: str) -> None:
        problems.extend(accessibility_problems(page, name, request))

    with step("staff create the organiser's and a juror's accounts (create-user)"):
        for email, role, name in (
            (ORGANISER, "organiser", "Оксана Гнатюк"),
            (JUROR, "juror", "Марія Коваль"),
        ):
            result = runner.invoke(
                args=["create-user", email, "--role", role, "--name", name, "--password-stdin"],
                input=PASSWORD + "\n",
            )
            assert result.exit_code == 0, result.output

    organiser = open_page(new_context, LAPTOP)
    with step("the organiser creates the contest"):
        organiser.goto(f"{url}/login")
        check(organiser, "login")
        log_in(organiser, url, ORGANISER)
        check(organiser, "account")
        organiser.goto(f"{url}/manage/contests")
        check(organiser, "organiser's contests")
        organiser.click("main a[href$='/manage/contests/new']")
        check(organiser, "new contest form")
        organiser.fill("#slug", SLUG)
        organiser.fill("#title_uk", "Участь громад 2026")
        organiser.fill("#title_en", "Community participation 2026")
        organiser.fill("#description_uk", "Конкурс практик участі мешканців.")
        organiser.fill("#opens_at", "2026-03-01T09:00")
        organiser.fill("#closes_at", "2026-03-31T18:00")
        organiser.fill("#number_prefix", "UHR")
        organiser.fill("#winners", "2")
        organiser.fill("#quorum", "1")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}$"))
        check(organiser, "contest dashboard (draft)")

    with step("the organiser adds two criteria"):
        for code, title, weight in (("C1", "Актуальність", "1"), ("C2", "Залучення", "1.5")):
            organiser.goto(f"{url}/manage/contests/{SLUG}/criteria/new")
            if code == "C1":
                check(organiser, "new criterion form")
            organiser.fill("#code", code)
            organiser.fill("#title_uk", title)
            organiser.fill("#max_points", "10")
            organiser.fill("#weight", weight)
            organiser.click("main form button[type=submit]")
            organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}/criteria$"))
        expect(organiser.locator("main li[id^=criterion-]")).to_have_count(2)
        check(organiser, "criteria")

    with step("the organiser adds a text question and a file question"):
        for key, label, kind in (
            ("summary", "Опишіть практику участі", "textarea"),
            ("statute", "Статут організації", "file"),
        ):
            organiser.goto(f"{url}/manage/contests/{SLUG}/questions/new")
            if key == "summary":
                check(organiser, "new question form")
            organiser.fill("#key", key)
            organiser.fill("#label_uk", label)
            organiser.select_option("#kind", kind)
            organiser.check("#required")
            organiser.click("main form button[type=submit]")
            organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}/questions$"))
        check(organiser, "application form questions")

    with step("the organiser opens the contest"):
        organiser.goto(f"{url}/manage/contests/{SLUG}")
        organiser.click("a[href$='/stage?to=open']")
        check(organiser, "stage change confirmation")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}$"))

    applicant = open_page(new_context, PHONE)
    community = hromadas.communities("UA-63")[0]
    with step("an NGO registers with the registration form"):
        applicant.goto(url)
        check(applicant, "home page")
        applicant.click(".navbar-toggler")  # the menu is folded on a phone
        applicant.click("#nav a[href='/register']")
        applicant.wait_for_url(re.compile(r"/register$"))
        check(applicant, "registration form")
        applicant.check("input[name=kind][value=ngo]")
        applicant.fill("#organisation_name", NGO)
        applicant.fill("#edrpou", edrpou.complete("4455667"))
        applicant.select_option("#oblast", "UA-63")
        expect(applicant.locator(f"#community option[value='{community['code']}']")).to_have_count(
            1
        )
        applicant.select_option("#community", community["code"])
        applicant.fill("#contact_person", "Ірина Сидоренко")
        applicant.fill("#phone", "+380 67 123 45 67")
        applicant.fill("#email", NGO_EMAIL)
        applicant.fill("#password", PASSWORD)
        applicant.fill("#password_confirm", PASSWORD)
        applicant.check("#consent")
        applicant.click("main form button[type=submit]")
        applicant.wait_for_url(re.compile(r"/#open-heading$"))  # on to the open contests
        expect(applicant.locator(f"main a[href='/contests/{SLUG}']").first).to_be_visible()

    with step("the NGO starts an application and its draft is saved as it types"):
        applicant.goto(f"{url}/contests/{SLUG}")
        check(applicant, "public contest page")
        applicant.click(f"form[action$='/contests/{SLUG}/apply'] button")
        applicant.wait_for_url(re.compile(r"/applications/draft/\d+$"))
        applicant.fill("#title", "Школа активного мешканця")
        applicant.locator("textarea[name^='q-']").fill("Навчаємо мешканців готувати проєкти.")
        expect(applicant.locator("#autosave-status")).to_have_text(
            re.compile(r"saved|збережено", re.IGNORECASE), timeout=15_000
        )
        applicant.wait_for_function("() => !window.localStorage.length", timeout=15_000)

    with step("a reload in the middle of the form loses nothing"):
        applicant.reload()
        expect(applicant.locator("#title")).to_have_value("Школа активного мешканця")
        expect(applicant.locator("textarea[name^='q-']")).to_have_value(
            "Навчаємо мешканців готувати проєкти."
        )
        check(applicant, "application draft")

    statute = small_pdf("Статут ГО «Світло громади»")
    with step("the NGO uploads its statute as a PDF and submits"):
        applicant.locator("input[type=file]").set_input_files(
            files=[{"name": "statut.pdf", "mimeType": "application/pdf", "buffer": statute}]
        )
        applicant.click("button[name=action][value^='upload:']")
        applicant.wait_for_load_state()
        expect(applicant.locator("main a[href^='/attachments/']")).to_have_text("statut.pdf")
        applicant.click("button[name=action][value=review]")
        applicant.wait_for_url(re.compile(r"/applications/draft/\d+/check(#.*)?$"))
        expect(applicant.locator("#check-answers")).to_contain_text("statut.pdf")
        check(applicant, "check your answers")
        applicant.click("button[name=action][value=submit]")
        applicant.wait_for_url(re.compile(r"/applications/UHR-2026-\d{3}(#.*)?$"))
        number = applicant.url.rsplit("/", 1)[1].partition("#")[0]
        check(applicant, "submitted application")
        with app.app_context():
            stored = db.session.scalar(
                select(Attachment.content).join(Application).where(Application.number == number)
            )
        assert stored == statute, "the PDF stored is not the file uploaded"

    with step("the organiser closes the applications and admits the NGO's application"):
        # Before the announced deadline: a warning, and a reason shown publicly.
        confirm_stage(organiser, url, "screening", reason="Усі очікувані заявки вже надійшли.")
        organiser.goto(f"{url}/manage/contests/{SLUG}/applications")
        check(organiser, "applications to screen")
        organiser.click(f"main a[href$='/applications/{number}']")
        organiser.wait_for_url(re.compile(rf"/applications/{number}$"))
        check(organiser, "screening an application")
        organiser.check("input[name=decision][value=admitted]")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_load_state()
        with app.app_context():
            state = db.session.scalar(select(Application.state).where(Application.number == number))
        assert state.value == "admitted", state

    with step("the organiser adds a juror and invites another from the jury page"):
        organiser.goto(f"{url}/manage/contests/{SLUG}/jury")
        for email in (JUROR, INVITED):
            organiser.fill("#email", email)
            if email == INVITED:
                organiser.fill("#name", "Петро Мельник")
            organiser.click("main form:has(#email) button[type=submit]")
            organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}/jury$"))
        expect(organiser.locator("#jury-members tbody tr")).to_have_count(1)
        check(organiser, "jury")
        letters = [m for m in outbox() if INVITED in m["To"]]
        assert letters, "no invitation e-mail was sent"
        link = re.search(r"https?://\S+/invitations/\S+", letters[-1].get_content())
        assert link, letters[-1].get_content()

    invited = open_page(new_context, LAPTOP)
    with step("the invited juror accepts the invitation and sets a password"):
        invited.goto(url + "/invitations/" + link.group(0).rsplit("/invitations/", 1)[1])
        check(invited, "accepting an invitation")
        invited.fill("#name", "Петро Мельник")
        invited.fill("#password", PASSWORD)
        invited.fill("#password_confirm", PASSWORD)
        invited.click("main form button[type=submit]")
        invited.wait_for_url(re.compile(r"/account$"))
        organiser.reload()
        expect(organiser.locator("#jury-members tbody tr")).to_have_count(2)

    with step("the organiser names the chair, assigns the application and starts the judging"):
        # Judging starts only with a chair and every admitted application assigned.
        organiser.click("#jury-members form[action$='/chair'] button >> nth=0")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}/jury$"))
        organiser.goto(f"{url}/manage/contests/{SLUG}/assignments")
        organiser.click("form[action$='/assignments/auto'] button")
        organiser.wait_for_load_state()
        check(organiser, "assignments and progress")
        with app.app_context():
            assert db.session.scalar(select(db.func.count()).select_from(Scoresheet)) == 2
        confirm_stage(organiser, url, "judging")

    juror = open_page(new_context, PHONE)  # 360 × 740, a phone
    with step("the juror logs in and opens the application with the keyboard only"):
        juror.goto(f"{url}/login")
        tab_to(juror, "e.id === 'email'")
        juror.keyboard.type(JUROR)
        juror.keyboard.press("Tab")
        juror.keyboard.type(PASSWORD)
        juror.keyboard.press("Enter")
        juror.wait_for_url(re.compile(r"/account$"))
        juror.goto(f"{url}/judging")
        juror.wait_for_url(re.compile(rf"/judging/{SLUG}$"))
        check(juror, "juror's assignments")
        tab_to(juror, f"e.tagName === 'A' && e.getAttribute('href') === '/judging/{SLUG}/{number}'")
        ring = focus_indicator(juror)
        assert focus_is_visible(ring), f"no visible focus on the application's link: {ring}"
        juror.keyboard.press("Enter")
        juror.wait_for_url(re.compile(rf"/judging/{SLUG}/{number}$"))
        check(juror, "conflict of interest declaration")

    with step("the juror declares no conflict and scores with the keyboard"):
        tab_to(juror, "e.tagName === 'BUTTON' && !!e.closest(\"form[action$='/no-conflict']\")")
        ring = focus_indicator(juror)
        assert focus_is_visible(ring), f"no visible focus on the no-conflict button: {ring}"
        juror.keyboard.press("Enter")
        juror.wait_for_selector("input[id^=points_]")
        tab_to(juror, "e.id.startsWith('points_')")
        ring = focus_indicator(juror)
        assert focus_is_visible(ring), f"no visible focus on the points input: {ring}"
        juror.keyboard.type("9")
        juror.keyboard.press("Tab")  # the quick buttons of C1: one stop, «9» pressed
        assert juror.evaluate("() => document.activeElement.value").endswith(":9")
        juror.keyboard.press("Tab")  # the comment on C1
        juror.keyboard.type("Чітко описана практика")
        tab_to(juror, "e.id.startsWith('points_')")
        juror.keyboard.type("8")
        expect(juror.locator("#save-status")).to_have_attribute(
            "data-state", "saved", timeout=30_000
        )
        assert juror.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
            "the scoresheet is wider than the phone's screen"
        )
        check(juror, "scoresheet")

    with step("the juror reviews and submits the scoresheet with the keyboard"):
        tab_to(juror, "e.name === 'review'")
        juror.keyboard.press("Enter")
        juror.wait_for_url(re.compile(rf"/judging/{SLUG}/{number}/submit$"))
        check(juror, "scoresheet review")
        tab_to(juror, "e.tagName === 'BUTTON' && e.type === 'submit' && !!e.closest('main')")
        juror.keyboard.press("Enter")
        juror.wait_for_url(re.compile(rf"/judging/{SLUG}\?after={number}$"))
        expect(juror.locator("li[data-status=submitted]")).to_have_count(1)
        expect(juror.locator("#next-unscored")).to_have_count(0)  # nothing left to score

    with step("the invited juror recuses from the application"):
        invited.goto(f"{url}/judging/{SLUG}/{number}")
        invited.fill("#declaration", "Я член правління цієї організації.")
        invited.click("form[action$='/recuse'] button[type=submit]")
        invited.wait_for_url(re.compile(rf"/judging/{SLUG}$"))
        check(invited, "assignments after a recusal")
        with app.app_context():
            sheets = {
                (s.juror.email, s.state, s.conflict) for s in db.session.scalars(select(Scoresheet))
            }
        assert sheets == {
            (JUROR, SheetState.SUBMITTED, Conflict.NONE),
            (INVITED, SheetState.DRAFT, Conflict.RECUSED),
        }, sheets

    with step("staff import the paper applications and the paper scores"):
        rows = ["number,organisation,kind,edrpou,oblast,community,email,title"]
        for n, name in enumerate(PAPER, start=1):
            code = edrpou.complete(f"{4455670 + n:07d}")
            rows.append(
                f",{name},ngo,{code},UA-63,{community['name']},paper{n}@example.org,Проєкт {n}"
            )
        (tmp_path / "applications.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        result = runner.invoke(
            args=["import-applications", SLUG, str(tmp_path / "applications.csv")]
        )
        assert result.exit_code == 0, result.output
        with app.app_context():
            numbers = dict(
                db.session.execute(
                    select(Application.title, Application.number).where(
                        Application.number != number
                    )
                ).all()
            )
        scores = ["application,juror,criterion,score,comment"]
        for n, (c1, c2) in enumerate(PAPER.values(), start=1):
            paper_number = numbers[f"Проєкт {n}"]
            scores += [
                f"{paper_number},{PAPER_JUROR},C1,{c1},",
                f"{paper_number},{PAPER_JUROR},C2,{c2},",
            ]
        (tmp_path / "scores.csv").write_text("\n".join(scores) + "\n", encoding="utf-8")
        result = runner.invoke(args=["import-scores", SLUG, str(tmp_path / "scores.csv")])
        assert result.exit_code == 0, result.output
        tied = [numbers["Проєкт 1"], numbers["Проєкт 2"]]

    with step("the organiser moves to deliberation and sees the tie at the last winning place"):
        confirm_stage(organiser, url, "deliberation")
        organiser.goto(f"{url}/manage/contests/{SLUG}/ranking")
        expect(organiser.locator("#ties")).to_be_visible()
        check(organiser, "ranking and deliberation")

    with step("the organiser records the commission's decision on the tie"):
        organiser.click("#ties a[href*='/ties/']")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}/ties/2$"))
        check(organiser, "tie decision")
        organiser.get_by_label(re.compile(re.escape(tied[0]))).check()
        organiser.fill("#reason", "Голосування комісії: 5 — за, 2 — проти.")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}/ranking"))
        expect(organiser.locator("#ties")).to_have_count(0)

    with step("the organiser records the jury's meeting for its protocol"):
        organiser.goto(f"{url}/manage/contests/{SLUG}/ranking")
        organiser.click(f"a[href$='/manage/contests/{SLUG}/meeting']")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}/meeting$"))
        check(organiser, "the jury's meeting")
        organiser.fill("#protocol_number", "3")
        organiser.fill("#protocol_date", "2026-03-10")  # the day of the meeting: today
        organiser.fill("#protocol_place", "м. Харків, вул. Сумська, 64")
        presence = organiser.locator("select[name^='present_']")
        for index in range(presence.count()):
            presence.nth(index).select_option("yes")
        organiser.fill("#ranking_for", str(presence.count()))
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}/meeting$"))
        expect(organiser.locator("#meeting-quorum")).to_contain_text(
            f"Присутні {presence.count()} з {presence.count()} членів комісії, "
            "засідання правомочне."
        )

    with step("the organiser publishes the results"):
        confirm_stage(organiser, url, "published")
        check(organiser, "contest dashboard (published)")

    public = open_page(new_context, PHONE)
    winners = [NGO, "ГО «Рівні шанси»"]
    with step("anyone sees the winners on the public results page"):
        public.goto(f"{url}/contests/{SLUG}/results")
        section = public.locator("main section").first
        for name in winners:
            expect(section).to_contain_text(name)
        expect(section).not_to_contain_text("ГО «Спільна справа»")
        check(public, "public results")

    with step("the results PDF downloads and names the winners"):
        from pypdf import PdfReader

        with public.expect_download() as download:
            public.click(f"main a[href$='/contests/{SLUG}/results.pdf']")
        path = download.value.path()
        data = Path(path).read_bytes()
        assert data.startswith(b"%PDF-"), data[:20]
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        for name in winners:
            assert name in text, f"{name} is not in the results PDF: {text[:500]}"

    assert not problems, "accessibility problems (axe-core, WCAG 2.1 A/AA):\n" + "\n".join(problems)
