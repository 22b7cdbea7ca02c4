"""Wide tables in a real Chromium (issue 16): they keep their key columns in view.

- The organisers' ranking, with a jury of five and long names, fits a 1,280 px screen
  whole: nothing is cut and nothing scrolls. Narrower, the table scrolls in its own
  labelled area, which the keyboard reaches, and a hint says so.
- The jurors' sheets side by side on a divergence page fit the screen at 1,280 px and
  turn into labelled blocks on a 360 px phone, the notes form below them.
- The public results turn into cards on a 360 px phone: place, applicant and score of
  every winner on screen, the page never wider than the phone; wider, a table too long
  for the screen scrolls in its own area with a hint.
- A juror's cell in the ranking tells a recusal from a sheet not submitted and from no
  assignment, and the legend under the table says which is which.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from scoring import clock
from scoring.extensions import db
from scoring.models import Application, Conflict, Contest, Role, Scoresheet, SheetState, Stage, User

from .._judging import judged_contest, set_sheet
from ..conftest import PASSWORD
from .conftest import PHONE, accessibility_problems

pytestmark = pytest.mark.browser

ORGANISER = "organiser@example.org"
LAPTOP = {"width": 1280, "height": 800}
JURY = [
    "Олександра Костянтинівна Большакова-Ковальчук",
    "Володимир Святославович Перебийніс",
    "Марія Коваль",
    "Петро Мельник",
    "Анастасія Григорівна Дорошенко",
]

# Where the page or a table area is wider than what the screen shows.
OVERFLOW = """() => ({
  page: document.documentElement.scrollWidth - window.innerWidth,
  areas: Array.from(document.querySelectorAll('.table-responsive'))
    .map(e => e.scrollWidth - e.clientWidth),
  tables: Array.from(document.querySelectorAll('main table'))
    .map(t => t.getBoundingClientRect().right - window.innerWidth),
})"""

# For each area that may scroll: [its hint is shown, the table is wider than the area].
HINTS = """() => Array.from(document.querySelectorAll('[data-scroll-hint]')).map(e => [
  e.previousElementSibling.checkVisibility(), e.scrollWidth > e.clientWidth])"""


def _resize(page, width: int) -> None:
    """The window at ``width``, after the page has handled the resize (the event comes
    with the next frame, not with Playwright's return)."""
    page.set_viewport_size({"width": width, "height": 800})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _contest(app, build, stage: Stage):
    """A jury of five with long names; four applications scored by all but: the juror
    «Марія Коваль» recused from the first, «Петро Мельник» left his sheet of the second
    unsubmitted, and the third is not assigned to «Анастасія Дорошенко»."""
    organiser = build.user(Role.ORGANISER, email=ORGANISER, name="Оксана Гнатюк")
    jurors = [build.user(Role.JUROR, name=name) for name in JURY]
    judged = judged_contest(app, build, jurors, count=4, stage=stage, winners=2)
    c = judged.criteria
    for n, number in enumerate(judged.numbers):
        for j, juror in enumerate(jurors):
            if (n, j) == (0, 2):
                set_sheet(app, juror, number, conflict=Conflict.RECUSED, declaration="Родичка")
            elif (n, j) == (1, 3):
                set_sheet(app, juror, number, points={c["C1"]: "4"})
            elif (n, j) == (2, 4):
                continue
            else:
                points = str(9 - n - (j % 2) * 3 * (n == 3))
                set_sheet(
                    app,
                    juror,
                    number,
                    state=SheetState.SUBMITTED,
                    points={c["C1"]: points, c["C2"]: points, c["C3"]: "4.5"},
                    comments={c["C1"]: "Громада сама склала план; бюджет реалістичний."},
                )
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        contest.organisers.append(db.session.get(User, organiser))
        contest.min_total = Decimal(0)
        db.session.execute(  # the third application was never assigned to the fifth
            delete(Scoresheet).where(
                Scoresheet.juror_id == jurors[4],
                Scoresheet.application_id
                == select(Application.id)
                .where(Application.number == judged.numbers[2])
                .scalar_subquery(),
            )
        )
        if stage == Stage.PUBLISHED:
            contest.closes_at = clock.now() - timedelta(days=20)
            contest.opens_at = clock.now() - timedelta(days=50)
            contest.published_at = clock.now()
        db.session.commit()
    return judged


def _sign_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/account$"))


def test_the_ranking_fits_a_laptop_and_scrolls_in_its_own_area_when_narrower(
    app, build, live_server, new_context, request
):
    judged = _contest(app, build, Stage.DELIBERATION)
    page = new_context(viewport=LAPTOP).new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live_server.url, ORGANISER)
    page.goto(f"{live_server.url}/manage/contests/{judged.slug}/ranking")

    table = page.locator("table.ranking-table")
    for name in JURY:
        assert table.locator("thead th", has_text=name).is_visible()
    seen = page.evaluate(OVERFLOW)
    assert seen["page"] <= 0 and max(seen["areas"]) <= 0 and max(seen["tables"]) <= 0, seen
    assert not page.locator(".scroll-hint").first.is_visible()

    # The three marks of a juror's cell, and the legend that explains them.
    first, second, third = (
        table.locator("tbody tr", has_text=number) for number in judged.numbers[:3]
    )
    headers = table.locator("thead th").all_inner_texts()

    def cell(row, juror: str) -> str:  # the row's cell in the juror's column
        column = next(i for i, text in enumerate(headers) if text.split() == juror.split())
        return row.locator("td, th").nth(column).inner_text().strip()

    assert cell(first, "Марія Коваль") == "самовідвід"
    assert cell(second, "Петро Мельник").split() == ["—", "не", "подано"]  # said aloud
    assert cell(third, "Анастасія Григорівна Дорошенко") == "не призначено"  # hidden text
    assert third.locator("td:has-text('не призначено') > span.visually-hidden").count() == 1
    assert (cell(first, "Петро Мельник"), cell(third, "Марія Коваль")) == ("27,00", "22,00")
    legend = page.locator("#marks-legend").inner_text()
    assert "«самовідвід»" in legend and "«—»" in legend and "порожньо" in legend.lower()

    # Narrower: the hint shows exactly while the table is wider than its area (also above
    # Bootstrap's 1,200 px breakpoint), and the page itself stays the screen's width.
    for width in (1240, 1210, 1024, 800):
        _resize(page, width)
        seen = page.evaluate(OVERFLOW)
        assert seen["page"] <= 0, (width, seen)
        hint = page.locator(".scroll-hint").first.is_visible()
        assert hint == (seen["areas"][0] > 0), (width, hint, seen)
    assert hint, "at 800 px the ranking of a jury of five must scroll"
    # The keyboard reaches the labelled area and scrolls it; place and number stay in view.
    area = page.locator(".table-responsive").first
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('table-responsive')"):
            break
    else:
        raise AssertionError("Tab never reached the ranking's scroll area")
    assert area.get_attribute("role") == "region" and area.get_attribute("aria-label")
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.table-responsive').scrollLeft > 100")
    left = area.bounding_box()["x"]
    place, number = first.locator("td").first, first.locator("th")
    assert abs(place.bounding_box()["x"] - left) < 1, "the place scrolled out of view"
    assert abs(number.bounding_box()["x"] - place.bounding_box()["width"] - left) < 1
    assert place.inner_text() == "1" and number.inner_text() == judged.numbers[0]
    page.set_viewport_size(LAPTOP)
    problems = accessibility_problems(page, "ranking of a jury of five", request)
    assert not problems, "\n".join(problems)


def test_the_sheets_side_by_side_fit_a_laptop_and_stack_on_a_phone(
    app, build, live_server, new_context, request
):
    judged = _contest(app, build, Stage.DELIBERATION)
    page = new_context(viewport=LAPTOP).new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, live_server.url, ORGANISER)
    page.goto(f"{live_server.url}/manage/contests/{judged.slug}/divergences/{judged.numbers[3]}")
    table = page.locator("#side-by-side")
    assert page.evaluate(OVERFLOW)["page"] <= 0 and max(page.evaluate(OVERFLOW)["tables"]) <= 0
    for name in JURY:
        assert table.locator("thead th", has_text=name).is_visible()

    page.set_viewport_size(PHONE)
    seen = page.evaluate(OVERFLOW)
    assert seen["page"] <= 0 and max(seen["tables"]) <= 0, seen
    assert not table.locator("thead").is_visible()  # each cell names its juror instead
    cell = table.locator("tbody tr").first.locator("td").first
    label = cell.evaluate("e => getComputedStyle(e, '::before').content")
    assert min(JURY) in label, label  # the jurors in alphabetical order
    box = cell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    # The notes form below the table, reached and used by keyboard.
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id === 'text'"):
            break
    else:
        raise AssertionError("Tab never reached the note's field")
    page.keyboard.type("Розкид за C1: двоє членів журі не врахували бюджет.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#notes$"))
    assert "двоє членів журі не врахували бюджет" in page.locator("#notes figure").inner_text()
    problems = accessibility_problems(page, "divergence of a jury of five", request)
    assert not problems, "\n".join(problems)


def test_the_public_results_are_cards_on_a_phone(app, build, live_server, new_context, request):
    judged = _contest(app, build, Stage.PUBLISHED)
    page = new_context(viewport=PHONE).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/contests/{judged.slug}/results")
    seen = page.evaluate(OVERFLOW)
    assert seen["page"] <= 0 and max(seen["tables"]) <= 0, seen
    winners = page.locator("section table").first.locator("tbody tr")
    assert winners.count() == 2
    for place, row in enumerate(winners.all(), start=1):
        # Each cell a line of the card, named by its column: «Місце: 1», «Бал: 27,00»
        # (an empty note shows no line).
        cells = row.locator("td, th")
        lines = {
            c.evaluate("e => getComputedStyle(e, '::before').content"): c.inner_text()
            for c in cells.all()
            if c.is_visible()
        }
        assert lines['"Місце: "'] == str(place), lines
        assert re.fullmatch(r"\d+,\d\d", lines['"Бал: "']), lines
        assert lines['"Номер: "'] == judged.numbers[place - 1], lines
        for c in [c for c in cells.all() if c.is_visible()]:
            box = c.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert cells.nth(0).bounding_box()["y"] < cells.nth(1).bounding_box()["y"]  # stacked
    assert not page.locator(".scroll-hint").first.is_visible()  # cards do not scroll
    # Between a phone and a laptop the tables are tables: one too long scrolls in its own
    # area and says so; the page is never wider than the screen.
    for width in (576, 600, 700, 1280):
        _resize(page, width)
        seen = page.evaluate(OVERFLOW)
        assert seen["page"] <= 0, (width, seen)
        hints = page.evaluate(HINTS)
        assert len(hints) == 2 and all(shown == scrolls for shown, scrolls in hints), (width, hints)
    assert hints == [[False, False], [False, False]]  # at 1,280 px
    problems = accessibility_problems(page, "public results", request)
    assert not problems, "\n".join(problems)
