"""A grant contest in a real Chromium (SPEC §12, issue 18): the organiser sets up the fund
and the largest request, an NGO on a phone states the amount it requests as people write
it («48 000,50») after a larger one is refused beside the field, paper applications and
scores come in through the commands, the commission funds a skipped application partly
in deliberation, and the results are published with the amounts: on the page and in the
results PDF. Every page the walk visits is checked with axe-core at 360 and 1280 px.
"""

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from scoring import edrpou
from scoring.extensions import db
from scoring.models import Application, ApplicationState, Contest, JuryMember, Role, Stage, User

from .._meeting import record_meeting
from .conftest import PHONE, accessibility_problems, log_in, open_page, shown
from .test_journey import LAPTOP, confirm_stage, step

pytestmark = pytest.mark.browser

SLUG = "granty-hromadam-2026"
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
ORGANISER = "organiser@example.org"
NGO_EMAIL = "ngo@example.org"
PAPER_JUROR = "paper.juror@example.org"
# Paper applications: name, requested, points; the NGO's own (48 000,50) scores 10.
PAPER = (
    ("ГО «Рівні шанси»", "40 000", 9),
    ("ГО «Спільна справа»", "30000,00", 8),
    ("ГО «Тиха вулиця»", "10 000", 7),
)


def test_a_grant_contest_from_setup_to_published_amounts(
    app, build, live_server, new_context, runner, clock_at, tmp_path, request
):
    expect = pytest.importorskip("playwright.sync_api").expect
    clock_at(NOW)
    url = live_server.url
    problems: list[str] = []
    build.user(Role.ORGANISER, email=ORGANISER, name="Оксана Гнатюк")
    build.applicant(email=NGO_EMAIL)

    def check(page, name: str) -> None:
        problems.extend(accessibility_problems(page, name, request))

    organiser = open_page(new_context, LAPTOP)
    with step("the organiser creates a contest with a fund and the largest request"):
        log_in(organiser, url, ORGANISER)
        organiser.goto(f"{url}/manage/contests/new")
        organiser.fill("#slug", SLUG)
        organiser.fill("#title_uk", "Гранти громадам 2026")
        organiser.fill("#opens_at", "2026-03-01T09:00")
        organiser.fill("#closes_at", "2026-03-31T18:00")
        organiser.fill("#number_prefix", "GR")
        organiser.fill("#winners", "4")
        organiser.fill("#quorum", "1")
        organiser.fill("#fund", "100 000,00")
        organiser.fill("#max_request", "60 000")
        check(organiser, "new contest form with the grants")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}$"))
        expect(organiser.locator("main")).to_contain_text(re.compile(r"100\s000,00\sгрн"))
        organiser.goto(f"{url}/manage/contests/{SLUG}/criteria/new")
        organiser.fill("#code", "C1")
        organiser.fill("#title_uk", "Якість проєкту")
        organiser.fill("#max_points", "10")
        organiser.fill("#weight", "1")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}/criteria$"))
        confirm_stage(organiser, url, "open", slug=SLUG)

    applicant = open_page(new_context, PHONE)
    with step("the NGO sees the fund and states its amount on a phone"):
        log_in(applicant, url, NGO_EMAIL)
        applicant.goto(f"{url}/contests/{SLUG}")
        expect(applicant.locator("main")).to_contain_text(re.compile(r"100\s000,00\sгрн"))
        check(applicant, "public contest page with the fund")
        applicant.click(f"form[action$='/contests/{SLUG}/apply'] button")
        applicant.wait_for_url(re.compile(r"/applications/draft/\d+$"))
        assert "60 000,00 грн" in shown(applicant.locator("#requested-help"))
        applicant.fill("#title", "Сквер для всіх")
        applicant.fill("#requested", "70 000")
        applicant.click("button[name=action][value=review]")
        applicant.wait_for_load_state()
        expect(applicant.locator("#requested")).to_have_attribute("aria-invalid", "true")
        errors = shown(applicant.locator("#requested-errors"))
        assert "60 000,00 грн" in errors and "70 000,00 грн" in errors, errors
        check(applicant, "application draft with a refused amount")
        applicant.fill("#requested", "48 000,50")
        applicant.click("button[name=action][value=review]")
        applicant.wait_for_url(re.compile(r"/applications/draft/\d+/check(#.*)?$"))
        expect(applicant.locator("#check-requested")).to_have_text(re.compile(r"48\s000,50\sгрн"))
        applicant.click("button[name=action][value=submit]")
        applicant.wait_for_url(re.compile(r"/applications/GR-2026-\d{3}(#.*)?$"))
        number = applicant.url.rsplit("/", 1)[1].partition("#")[0]
        assert shown(applicant.locator("#requested")) == "48 000,50 грн"
        check(applicant, "submitted application with its amount")

    with step("screening and judging happen off screen: paper applications and scores"):
        with app.app_context():
            contest = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
            db.session.scalar(
                select(Application).where(Application.number == number)
            ).state = ApplicationState.ADMITTED
            contest.stage = Stage.JUDGING
            db.session.commit()
        rows = ["number;organisation;kind;edrpou;oblast;community;email;title;requested"]
        for n, (name, requested, _points) in enumerate(PAPER, start=1):
            code = edrpou.complete(f"{5566770 + n:07d}")
            rows.append(
                f";{name};ngo;{code};UA-63;Харківська міська громада;p{n}@example.org;"
                f"Проєкт {n};{requested}"
            )
        (tmp_path / "applications.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
        result = runner.invoke(
            args=["import-applications", SLUG, str(tmp_path / "applications.csv")]
        )
        assert result.exit_code == 0, result.output
        with app.app_context():
            numbers = dict(db.session.execute(select(Application.title, Application.number)).all())
        scores = ["application,juror,criterion,score,comment", f"{number},{PAPER_JUROR},C1,10,"]
        for n, (_name, _requested, points) in enumerate(PAPER, start=1):
            scores.append(f"{numbers[f'Проєкт {n}']},{PAPER_JUROR},C1,{points},")
        (tmp_path / "scores.csv").write_text("\n".join(scores) + "\n", encoding="utf-8")
        result = runner.invoke(args=["import-scores", SLUG, str(tmp_path / "scores.csv")])
        assert result.exit_code == 0, result.output
        with app.app_context():
            contest = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
            chair = db.session.scalar(select(User.id).where(User.email == PAPER_JUROR))
            db.session.scalar(
                select(JuryMember).where(
                    JuryMember.contest_id == contest.id, JuryMember.user_id == chair
                )
            ).is_chair = True
            record_meeting(contest)  # the jury the scores brought, all present
            db.session.commit()
        skipped = numbers["Проєкт 2"]

    with step("in deliberation the ranking shows the amounts and the fund's balance"):
        confirm_stage(organiser, url, "deliberation", slug=SLUG)
        organiser.goto(f"{url}/manage/contests/{SLUG}/ranking")
        table = organiser.locator("main table").first
        caption = shown(table.locator("caption"))
        assert "Фонд 100 000,00 грн: надано 98 000,50 грн, залишок 1 999,50 грн." in caption
        row = shown(table.locator("tr", has_text=skipped))
        assert "30 000,00 грн" in row and "не вміщається" in row, row
        check(organiser, "ranking with a fund")

    with step("the commission funds the skipped application partly"):
        organiser.click(f"main a[href$='/awards/{skipped}']")
        organiser.wait_for_url(re.compile(rf"/awards/{skipped}$"))
        assert shown(organiser.locator("#limit")) == "11 999,50 грн"
        check(organiser, "funding in part")
        organiser.fill("#amount", "11 999,51")
        organiser.fill("#reason", "Голосування комісії: 5 — за, 0 — проти.")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_load_state()
        assert "11 999,50 грн" in shown(organiser.locator("#amount-errors"))
        organiser.fill("#amount", "5 000")
        organiser.click("main form button[type=submit]")
        organiser.wait_for_url(re.compile(rf"/manage/contests/{SLUG}/ranking"))
        table = organiser.locator("main table").first
        assert "надано 93 000,50 грн, залишок 6 999,50 грн" in shown(table.locator("caption"))
        assert "5 000,00 грн" in shown(table.locator("tr", has_text=skipped))

    with step("the organiser publishes"):
        confirm_stage(organiser, url, "published", slug=SLUG)

    public = open_page(new_context, PHONE)
    with step("anyone sees the amounts on the public results page"):
        public.goto(f"{url}/contests/{SLUG}/results")
        text = shown(public.locator("main"))
        for amount in ("48 000,50 грн", "40 000,00 грн", "5 000,00 грн", "6 999,50 грн"):
            assert amount in text, (amount, text[:3000])
        assert public.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        check(public, "public results with amounts")

    with step("the results PDF carries the amounts"):
        from pypdf import PdfReader

        with public.expect_download() as download:
            public.click(f"main a[href$='/contests/{SLUG}/results.pdf']")
        data = Path(download.value.path()).read_bytes()
        text = " ".join(
            " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages
        )
        assert "Фонд 100 000,00 грн: надано 93 000,50 грн, залишок 6 999,50 грн." in text, text
        assert "профінансовано частково — 5 000,00 грн" in text, text

    assert not problems, "accessibility problems (axe-core, WCAG 2.1 A/AA):\n" + "\n".join(problems)
