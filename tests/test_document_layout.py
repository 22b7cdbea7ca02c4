"""No text of a document runs over other text, out of its table cell or off the page.

Every document of SPEC §7 is read back with pdfplumber (``_pdf_layout``) at the sizes
real contests reach: 1,000 admitted applications, 15 jurors, organisation names of
300 characters, long declarations (``_big_contest``), and the demo's three jurors with
a recusal in the matrix. First, the check itself is shown to find each kind of fault.
"""

import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate, Table
from sqlalchemy import select

from scoring import demo
from scoring.documents.pdf import base, fonts
from scoring.extensions import db
from scoring.models import Application, Contest, JuryMember, Organisation, Stage, User

from ._big_contest import ORGANISER, build_big_contest, decide
from ._pdf_layout import layout_problems
from .test_documents import Document, read, words

# --- The check finds what it looks for ---------------------------------------------------


def _pdf(draw) -> bytes:
    base.register_fonts(fonts.find_folder(fonts.FONT_DIRS))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setFont(fonts.FONT, 8)
    draw(canvas)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _table(cells: list[list[str]], widths) -> bytes:
    base.register_fonts(fonts.find_folder(fonts.FONT_DIRS))
    buffer = io.BytesIO()
    table = Table(cells, colWidths=widths, style=base.table_style(1))
    SimpleDocTemplate(buffer, pagesize=A4, initialFontName=fonts.FONT).build([table])
    return buffer.getvalue()


def test_the_check_finds_a_word_over_the_neighbouring_cell():
    # The old matrix: «самовідвід» in a column 12.5 mm wide, beside a juror's score.
    cells = [["Номер", "Ч1", "Ч2"], ["UUG-2026-001", "самовідвід", "52,00"]]
    problems = layout_problems(_table(cells, [30 * mm, 12.5 * mm, 12.5 * mm]))
    # Printed over «52,00», the two read back as one word: «самовідв5ід2,00».
    assert any("самовідв" in p and "runs out of its table cell" in p for p in problems)
    assert any("самовідв" in p and "overprinted" in p for p in problems)
    wide = layout_problems(_table(cells, [30 * mm, 20 * mm, 12.5 * mm]))
    assert wide == []


def test_the_check_finds_text_over_text_and_text_off_the_page():
    def overprint(canvas):
        canvas.drawString(100, 700, "переможець")
        canvas.drawString(118, 700, "конкурсу")

    assert any("overlap" in p or "overprinted" in p for p in layout_problems(_pdf(overprint)))

    def two_lines(canvas):
        canvas.drawString(100, 700, "Рядок перший")
        canvas.drawString(100, 695, "Рядок другий")  # 5 pt lower: 8 pt letters overlap

    assert any("overlap" in p for p in layout_problems(_pdf(two_lines)))

    def off(canvas):
        canvas.drawString(560, 400, "Балаклійська")  # runs past the right edge

    assert any("leaves the page" in p for p in layout_problems(_pdf(off)))

    def fine(canvas):
        canvas.drawString(100, 700, "Рядок перший")
        canvas.drawString(100, 688, "Рядок другий")

    assert layout_problems(_pdf(fine)) == []


def test_a_cells_text_breaks_at_spaces_then_after_hyphens_and_never_at_a_no_break_space():
    base.register_fonts(fonts.find_folder(fonts.FONT_DIRS))
    name = "Олександра-Вікторія Константинопольська-Загорулько"
    assert base.lines(name, 40 * mm) == "Олександра-Вікторія\nКонстантинопольська-\nЗагорулько"
    assert base.lines(name, 120 * mm) == name
    totals = base.lines("Ч1:\u00a016,50; Ч2:\u00a022,00; Ч3:\u00a01,00", 30 * mm)
    assert all(line.count("\u00a0") == line.count("Ч") for line in totals.splitlines())
    # Too narrow even for a part: broken between letters rather than running over.
    narrow = base.lines("Константинопольська", 15 * mm)
    assert narrow.replace("\n", "") == "Константинопольська" and "\n" in narrow


# --- The demo: three jurors, a recusal in the matrix ---------------------------------------


def test_the_demos_protocol_keeps_the_recusal_in_its_cell(app, client, demo_loaded):
    with app.app_context():
        slug = db.session.scalar(select(Contest.slug).where(Contest.stage == Stage.JUDGING))
    client.login("organiser@demo.example", demo.PASSWORD)
    data = client.get(f"/manage/contests/{slug}/protocol.pdf").get_data()
    assert layout_problems(data) == []
    document = Document(data)
    mark = words(app, "CI")
    assert mark == "КІ"
    # The matrix marks the recusal with «КІ», and the legend under it says what it means.
    assert f" {mark} " in document.flat
    legend = words(
        app,
        "In the cells: the member’s total (Σ weight × points); «%(recused)s»: the member "
        "declared a conflict of interest and recused themselves; «—»: the scoresheet is "
        "not submitted; empty: the application was not assigned to the member. "
        "* — divergent scores (see item 3).",
        recused=mark,
    )
    assert legend in document


# --- 1,000 applications, 15 jurors, names of 300 characters -------------------------------


@pytest.fixture
def big(app, client, clock_at):
    clock_at(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    contest = build_big_contest(app)
    decide(app, contest)
    client.login(ORGANISER)
    return contest


@pytest.fixture
def big_funded(app, client, clock_at):
    """The same contest with a fund of 3 000 000 грн: amounts up to 999 999,99 requested."""
    clock_at(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    contest = build_big_contest(app, fund=Decimal("3000000"))
    decide(app, contest)
    client.login(ORGANISER)
    return contest


def _record_meeting(app, client, big) -> None:
    """The organiser records the meeting through the form: 13 of 15 present, every vote."""
    with app.app_context():
        members = db.session.scalars(
            select(JuryMember.user_id)
            .join(User, JuryMember.user_id == User.id)
            .where(JuryMember.contest_id == big.contest_id)
            .order_by(User.id)
        ).all()
    form = {
        "protocol_number": "17/2026",
        "protocol_date": "28.11.2026",
        "protocol_place": "м. Харків, вул. Сумська, 64, зала засідань обласної ради",
        "protocol_secretary": "Оксана Секретаренко",
        "protocol_secretary_position": "головна спеціалістка відділу грантових програм",
    }
    for i, user_id in enumerate(members):
        form[f"position_{user_id}"] = (
            "директор громадської організації «Агенція місцевого розвитку Слобожанщини», "
            "кандидат економічних наук"
            if i % 2
            else "депутатка Харківської обласної ради"
        )
        form[f"present_{user_id}"] = "no" if i in (4, 9) else "yes"
    for item in ("conflicts", "scoring", "divergences", "ranking"):
        form.update({f"{item}_for": "12", f"{item}_against": "0", f"{item}_abstained": "1"})
    url = f"/manage/contests/{big.slug}/meeting"
    response = client.post(url, data={"csrf_token": client.csrf_token(url), **form})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_the_protocol_of_a_thousand_applications_keeps_every_word_in_its_cell(app, client, big):
    _record_meeting(app, client, big)
    response = client.get(f"/manage/contests/{big.slug}/protocol.pdf")
    data = response.get_data()
    document = read(response)
    # Every application in the members' totals and again in the ranking: nothing cut
    # (the number of pages follows the columns' widths, measured from their content).
    assert len(document.pages) > 40
    numbers = [f"BIG-2026-{i:04d}" for i in range(1, 1001)]
    assert all(document.flat.count(number) >= 2 for number in numbers)
    assert layout_problems(data) == []
    # What the secretary signs: the meeting as recorded, the quorum, the votes.
    assert "28 листопада 2026 р." in document
    assert "Присутні 13 з 15 членів комісії, засідання правомочне." in document
    assert words(app, "Members of the commission absent:") in document
    assert document.flat.count("Голосували: «за» — 12, «проти» — 0, «утрималися» — 1.") == 4
    # Fifteen members: each application's line names its members and their totals.
    assert "Ч15" in document.flat
    assert "BIG-2026-1000" in document


def test_the_protocol_of_a_thousand_funded_applications_keeps_the_amounts_in_their_cells(
    app, client, big_funded
):
    """With a fund the ranking gains the amounts requested and awarded: the applicant's
    column narrows, and still no word of a name of 300 characters, of an amount or of
    the result runs over another cell."""
    _record_meeting(app, client, big_funded)
    response = client.get(f"/manage/contests/{big_funded.slug}/protocol.pdf")
    data = response.get_data()
    document = read(response)
    assert layout_problems(data) == []
    assert all(
        document.flat.count(f"BIG-2026-{i:04d}") >= 2 for i in range(1, 1001)
    )  # the members' totals and the ranking: nothing cut
    assert "Запитано, грн" in document.flat and "Надано, грн" in document.flat
    # The widest amount (every 100th application requests it) is never split in two.
    assert "999 999,99" in document.flat
    assert not [page for page in document.pages if re.search(r"\d\n\d{3},\d\d", page)]
    assert "Фонд 3 000 000,00 грн" in document.flat


def test_the_announcement_of_a_thousand_applications_keeps_every_word_in_its_cell(app, client, big):
    response = client.get(f"/contests/{big.slug}/results.pdf")
    data = response.get_data()
    document = read(response)
    assert len(document.pages) > 20
    # The full ranking: every one of the 1,000 applications.
    assert all(f"BIG-2026-{i:04d}" in document.flat for i in range(1, 1001))
    assert layout_problems(data) == []


@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_other_documents_hold_names_of_300_characters(app, client, big, language):
    number = big.long_named
    urls = {
        "scoresheets": f"/manage/contests/{big.slug}/scoresheets.pdf?application={number}",
        "blank scoresheets": (
            f"/manage/contests/{big.slug}/scoresheets.pdf?application={number}&blank=1"
        ),
        "receipt": f"/applications/{number}/receipt.pdf",
        "certificate": f"/manage/contests/{big.slug}/certificates/{big.winner}.pdf",
    }
    for name, url in urls.items():
        response = client.get(url + ("&" if "?" in url else "?") + f"lang={language}")
        assert response.status_code == 200, name
        assert layout_problems(response.get_data()) == [], name
    certificate = read(client.get(f"{urls['certificate']}?lang={language}"))
    with app.app_context():
        name = db.session.scalar(
            select(Organisation.name)
            .join(Application, Application.organisation_id == Organisation.id)
            .where(Application.number == big.winner)
        )
    assert len(name) == 300
    assert len(certificate.pages) == 1
    assert " ".join(name.split()) in certificate.flat  # the whole name, on the one page
