"""The page «Rounds» in a real Chromium (SPEC §13, issue 20): an organiser on a phone adds a
second round to a draft contest, gives the rounds their shares of the final score (a
sum other than 100 refused beside the field), and the first round then opens; on a
laptop the same page reads as declared. Each page is checked with axe-core at 360 and
1280 px; screenshots go to ``test-artifacts/rounds/`` to be looked at.
"""

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from scoring import edrpou
from scoring.extensions import db
from scoring.models import Application, ApplicationState, Contest, Role, Stage

from .conftest import PHONE, accessibility_problems, log_in, open_page, shown
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


# A two-round contest from set-up to published results ------------------------------

FULL = "paradnyi-skver-2026"
FULL_NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # applications open 1–31 March
NGO_EMAIL = "ngo@example.org"
NGO = "ГО «Світло громади»"
# Paper applications of the first round: name → points (one criterion of 10); the NGO's
# own scores 9, so «Рівні шанси» and «Спільна справа» tie at the second of two places.
PAPER = {"ГО «Рівні шанси»": 8, "ГО «Спільна справа»": 8, "ГО «Тиха вулиця»": 5}


def test_a_two_round_contest_from_setup_to_published_results(
    app, build, live_server, new_context, runner, clock_at, tmp_path, request
):
    """An organiser declares a contest of two rounds (40 % and 60 % of the final score),
    an NGO applies on a phone, paper applications and scores come in through the
    commands, the commission decides the tie at the cut of the first round and
    publishes it: two advance, and the NGO reads it on its phone. In the second round
    «Рівні шанси» scores more than the NGO (16 against 15 of 20), yet the NGO wins on
    the rounds combined (40 × 9/10 + 60 × 15/20 = 81 against 40 × 8/10 + 60 × 16/20 =
    80): the public results and the announcement say so and name the rounds."""
    from pypdf import PdfReader

    from .._meeting import record_meeting
    from .test_journey import step

    expect = pytest.importorskip("playwright.sync_api").expect
    clock_at(FULL_NOW)
    url = live_server.url
    problems: list[str] = []
    build.user(Role.ORGANISER, email=ORGANISER, name="Оксана Гнатюк")
    build.applicant(email=NGO_EMAIL, name=NGO)
    second = f"{FULL}-tur-2"

    def check(page, name: str) -> None:
        problems.extend(accessibility_problems(page, name, request))

    def contest_id(slug: str) -> int:
        with app.app_context():
            return db.session.scalar(select(Contest.id).where(Contest.slug == slug))

    def judge_off_screen(slug: str, scores: dict, round_number: int) -> None:
        """Admit every application, score them on paper and record the meeting: the
        stages between are the one-round contest's, tested elsewhere."""
        with app.app_context():
            contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
            for application in db.session.scalars(
                select(Application).where(Application.contest_id == contest.id)
            ):
                application.state = ApplicationState.ADMITTED
            contest.stage = Stage.JUDGING
            db.session.commit()
        lines = ["application,juror,criterion,score,comment"]
        lines += [
            f"{number},paper{round_number}@example.org,C1,{points},"
            for number, points in scores.items()
        ]
        path = tmp_path / f"scores-{round_number}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = runner.invoke(
            args=["import-scores", FULL, str(path), "--round", str(round_number)]
        )
        assert result.exit_code == 0, result.output
        with app.app_context():
            contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
            for member in contest.jury:
                member.is_chair = True
            record_meeting(contest)
            db.session.commit()

    organiser = open_page(new_context, LAPTOP)
    with step("the organiser creates the first round and declares the second"):
        log_in(organiser, url, ORGANISER)
        organiser.goto(f"{url}/manage/contests/new")
        organiser.fill("#slug", FULL)
        organiser.fill("#title_uk", "Парадний сквер 2026")
        organiser.fill("#opens_at", "2026-03-01T09:00")
        organiser.fill("#closes_at", "2026-03-31T18:00")
        organiser.fill("#number_prefix", "PS")
        organiser.fill("#winners", "2")  # two advance
        organiser.fill("#quorum", "1")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{FULL}$"))
        organiser.goto(f"{url}/manage/contests/{FULL}/criteria/new")
        organiser.fill("#code", "C1")
        organiser.fill("#title_uk", "Якість концепції")
        organiser.fill("#max_points", "10")
        organiser.fill("#weight", "1")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{FULL}/criteria$"))
        organiser.goto(f"{url}/manage/contests/{FULL}/rounds")
        organiser.click("text=Додати тур 2")
        organiser.fill("#round_title_uk", "Презентація")
        organiser.fill("#opens_at", "2026-04-01T09:00")
        organiser.fill("#closes_at", "2026-04-30T18:00")
        organiser.click("main button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{second}$"))
        organiser.goto(f"{url}/manage/contests/{FULL}/rounds")
        organiser.fill(f"#round_title_uk_{contest_id(FULL)}", "Концепція")
        organiser.fill(f"#round_weight_{contest_id(FULL)}", "40")
        organiser.fill(f"#round_weight_{contest_id(second)}", "60")
        organiser.click("main button[type=submit]")
        organiser.wait_for_url(re.compile(r"/rounds$"))
        check(organiser, "rounds declared")

    with step("the second round is scored out of 20 and has one winner"):
        organiser.goto(f"{url}/manage/contests/{second}/criteria")
        organiser.click(f"main a[href*='/manage/contests/{second}/criteria/'][href$='/edit']")
        organiser.fill("#max_points", "20")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{second}/criteria$"))
        organiser.goto(f"{url}/manage/contests/{second}/edit")
        organiser.fill("#winners", "1")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{second}$"))
        confirm_stage(organiser, url, "open", slug=FULL)

    applicant = open_page(new_context, PHONE)
    with step("the NGO applies to the first round on a phone"):
        log_in(applicant, url, NGO_EMAIL)
        applicant.goto(f"{url}/contests/{FULL}")
        applicant.click(f"form[action$='/contests/{FULL}/apply'] button")
        applicant.wait_for_url(re.compile(r"/applications/draft/\d+$"))
        applicant.fill("#title", "Сквер для всіх")
        applicant.click("button[name=action][value=review]")
        applicant.wait_for_url(re.compile(r"/applications/draft/\d+/check(#.*)?$"))
        applicant.click("button[name=action][value=submit]")
        applicant.wait_for_url(re.compile(r"/applications/PS-2026-\d{3}(#.*)?$"))
        number = applicant.url.rsplit("/", 1)[1].partition("#")[0]

    with step("paper applications and the first round's scores come in"):
        rows = ["number;organisation;kind;edrpou;oblast;community;email;title"]
        for n, name in enumerate(PAPER, start=1):
            code = edrpou.complete(f"{6677880 + n:07d}")
            rows.append(
                f";{name};ngo;{code};UA-63;Харківська міська громада;p{n}@example.org;Проєкт {n}"
            )
        (tmp_path / "applications.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        with app.app_context():
            contest = db.session.scalar(select(Contest).where(Contest.slug == FULL))
            contest.stage = Stage.JUDGING
            db.session.commit()
        result = runner.invoke(
            args=["import-applications", FULL, str(tmp_path / "applications.csv")]
        )
        assert result.exit_code == 0, result.output
        with app.app_context():
            numbers = dict(db.session.execute(select(Application.title, Application.number)).all())
        paper = {numbers[f"Проєкт {n}"]: points for n, points in enumerate(PAPER.values(), 1)}
        judge_off_screen(FULL, {number: 9, **paper}, 1)
        tied = [numbers["Проєкт 1"], numbers["Проєкт 2"]]

    with step("the commission decides the tie at the cut of the first round"):
        confirm_stage(organiser, url, "deliberation", slug=FULL)
        organiser.goto(f"{url}/manage/contests/{FULL}/ranking")
        assert "проходять до туру 2 «Презентація»" in shown(organiser.locator("main"))
        organiser.click("#ties a[href*='/ties/']")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{FULL}/ties/2$"))
        organiser.get_by_label(re.compile(re.escape(tied[0]))).check()
        organiser.fill("#reason", "Голосування комісії: 5 — за, 2 — проти.")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{FULL}/ranking"))
        expect(organiser.locator("#ties")).to_have_count(0)
        check(organiser, "first round's ranking, the tie decided")

    with step("the first round is published: two advance"):
        confirm_stage(organiser, url, "published", slug=FULL)
        with app.app_context():
            later = db.session.scalar(select(Contest).where(Contest.slug == second))
            advanced = {
                a.organisation.name: a.number
                for a in db.session.scalars(
                    select(Application).where(Application.contest_id == later.id)
                )
            }
        assert set(advanced) == {NGO, "ГО «Рівні шанси»"}, advanced

    with step("the NGO reads on its phone that it advances"):
        applicant.goto(f"{url}/applications/{number}")
        text = shown(applicant.locator("main"))
        assert "Проходить до туру 2 «Презентація»" in text, text[:2000]
        assert advanced[NGO] in text, text[:2000]
        assert applicant.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        check(applicant, "an application that advances")
        SHOTS.mkdir(parents=True, exist_ok=True)
        applicant.screenshot(path=str(SHOTS / "advances-360.png"), full_page=True)

    with step("the second round opens, is scored and published"):
        confirm_stage(organiser, url, "open", slug=second)
        judge_off_screen(second, {advanced[NGO]: 15, advanced["ГО «Рівні шанси»"]: 16}, 2)
        confirm_stage(organiser, url, "deliberation", slug=second)
        confirm_stage(organiser, url, "published", slug=second)

    public = open_page(new_context, PHONE)
    with step("anyone reads the final results: the rounds combined"):
        public.goto(f"{url}/contests/{second}/results")
        text = shown(public.locator("main"))
        assert "Підсумковий бал: 40 % балу туру 1, 60 % балу туру 2." in text, text[:3000]
        ranked = public.locator("main table", has_text=advanced["ГО «Рівні шанси»"])
        ngo_row = shown(ranked.locator("tr", has_text=advanced[NGO]))
        other_row = shown(ranked.locator("tr", has_text=advanced["ГО «Рівні шанси»"]))
        assert "15,00" in ngo_row and "81,00" in ngo_row, ngo_row
        assert "16,00" in other_row and "80,00" in other_row, other_row
        assert public.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        check(public, "final results of two rounds")
        SHOTS.mkdir(parents=True, exist_ok=True)
        public.screenshot(path=str(SHOTS / "final-results-360.png"), full_page=True)

    with step("the announcement names the rounds and the winner"):
        with public.expect_download() as download:
            public.click(f"main a[href$='/contests/{second}/results.pdf']")
        data = Path(download.value.path()).read_bytes()
        (SHOTS / "announcement.pdf").write_bytes(data)  # to be rendered and read
        text = " ".join(
            " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages
        )
        assert "Тур 2 «Презентація»" in text and "тур 1 «Концепція»" in text, text[:2000]
        assert "Підсумковий бал: 40 % балу туру 1, 60 % балу туру 2." in text, text[:2000]
        assert NGO in text

    assert not problems, "accessibility problems (axe-core, WCAG 2.1 A/AA):\n" + "\n".join(problems)
