"""Downloads that open right in Ukrainian Excel (SPEC §15, issue 15).

Every table an organiser downloads — the ranking, the scores, the applications list,
the jury's progress — comes as XLSX with typed cells (numbers as numbers, moments as
dates, text as text, never a formula), as CSV for Excel (a byte-order mark, semicolons,
decimal commas) and as the plain CSV it always was. The command line's ``--excel``
writes the same CSV for Excel; without it the output stays as scripts read it.
"""

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from scoring import tables
from scoring.clock import KYIV
from scoring.documents import jobs
from scoring.extensions import db
from scoring.models import (
    Application,
    Contest,
    Organisation,
    Score,
    Scoresheet,
    SheetState,
    Stage,
)

from ._shown import excel_text

SCORE_COLUMNS = ("application", "juror", "criterion", "score", "comment", "juror_name")

ORGANISER = "organiser@demo.example"
DEMO_PASSWORD = "demo-pass-2026"
PAYLOAD = "=cmd|' /C calc'!A0"


@pytest.fixture
def app(make_app):
    return make_app(BABEL_DEFAULT_LOCALE="en")  # the commands speak English here


@pytest.fixture
def demo(app, demo_loaded, client):
    """The demo's organiser signed in (English); the judged contest's slug."""
    client.login(ORGANISER, DEMO_PASSWORD)
    client.submit("/language", {"language": "en", "next": "/"})
    with app.app_context():
        return db.session.scalar(select(Contest.slug).where(Contest.stage == Stage.JUDGING))


def _workbook(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert ".xlsx" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data))


def comment_scores(app, slug: str, texts: list[str]) -> None:
    """The first submitted scores of the contest given ``texts`` as their comments."""
    with app.app_context():
        scores = db.session.scalars(
            select(Score)
            .join(Scoresheet)
            .join(Application)
            .join(Contest)
            .where(Contest.slug == slug, Scoresheet.state == SheetState.SUBMITTED)
            .order_by(Score.scoresheet_id, Score.criterion_id)
            .limit(len(texts))
        ).all()
        for score, text in zip(scores, texts, strict=True):
            score.comment = text
        db.session.commit()


def _excel_csv(client, url) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    assert b"\r\n" in raw
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_the_ranking_workbook_has_numbers_as_numbers(client, demo):
    workbook = _workbook(client, f"/manage/contests/{demo}/ranking.xlsx")
    ranking = workbook["Ranking"]
    header = [cell.value for cell in ranking[1]]
    assert all(cell.font.bold for cell in ranking[1])
    assert ranking.freeze_panes == "A2"
    first = {name: cell for name, cell in zip(header, ranking[2], strict=True)}
    assert first["Place"].value == 1 and first["Place"].data_type == "n"
    assert first["Score"].value == 60.5 and first["Score"].number_format == "0.00"
    assert first["Олена Коваленко"].data_type == "n"
    assert first["Applicant"].value == "Балаклійська міська рада"
    assert first["Applicant"].data_type == "s"
    scores = workbook["Scores"]
    assert [c.value for c in scores[1]] == [*SCORE_COLUMNS]
    points = [row[3] for row in scores.iter_rows(min_row=2) if row[3].value != "recused"]
    assert len(points) == 31 * 6 and {cell.data_type for cell in points} == {"n"}


def test_the_scores_workbook_and_the_csv_for_excel(client, demo):
    workbook = _workbook(client, f"/manage/contests/{demo}/scores.xlsx")
    rows = list(workbook.active.iter_rows(min_row=2))
    # Every score of the 31 submitted sheets as a number, and the demo's one recusal.
    recusals = [row for row in rows if row[3].value == "recused"]
    assert len(rows) == 31 * 6 + 1 and len(recusals) == 1
    assert recusals[0][4].value  # the declaration, as the comment
    assert all(isinstance(row[3].value, int | float) for row in rows if row not in recusals)
    assert {row[5].value for row in rows} >= {"Олена Коваленко", "Андрій Мельник"}
    lines = _excel_csv(client, f"/manage/contests/{demo}/scores.csv?excel=1")
    assert lines[0] == [*SCORE_COLUMNS]
    assert len(lines) == 1 + 31 * 6 + 1
    assert {len(line) for line in lines} == {6}
    assert any("," in line[3] for line in lines[1:])  # 7,5, never 7.5
    assert not any("." in line[3] for line in lines[1:])


def test_the_ranking_as_csv_for_excel_has_decimal_commas(client, demo):
    lines = _excel_csv(client, f"/manage/contests/{demo}/ranking.csv?excel=1")
    first = dict(zip(lines[0], lines[1], strict=True))
    assert first["Score"] == "60,50" and first["Place"] == "1"
    plain = client.get(f"/manage/contests/{demo}/ranking.csv").get_data().decode("utf-8-sig")
    assert plain.splitlines()[1].split(",")[4] == "60.50"  # the plain CSV stays as it was


def test_the_applications_list_downloads_as_filtered_with_typed_cells(app, client, demo):
    with app.app_context():
        application = db.session.scalar(
            select(Application).join(Contest).where(Contest.slug == demo).order_by(Application.id)
        )
        application.organisation.edrpou = "00032129"
        application.applicant_name = PAYLOAD  # the name it was submitted with (SPEC §8)
        application.organisation.name = "ГО «Перейменована після подання»"
        number, submitted = application.number, application.submitted_at
        db.session.commit()
    workbook = _workbook(client, f"/manage/contests/{demo}/applications.xlsx?state=admitted")
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Number", "Applicant", "Kind", "EDRPOU code"]
    assert sheet.max_row == 13  # the twelve admitted applications, every page
    row = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    assert row["Number"].value == number
    assert row["EDRPOU code"].value == "00032129" and row["EDRPOU code"].data_type == "s"
    # As submitted, not as the profile was renamed since; text, not a formula.
    assert row["Applicant"].value == "'" + PAYLOAD
    assert row["Applicant"].data_type == "s"
    assert row["State"].value == "Admitted to evaluation"
    moment = row["Submitted"]
    assert isinstance(moment.value, datetime) and moment.is_date
    assert moment.number_format == "DD.MM.YYYY HH:MM"
    kyiv = submitted.astimezone(KYIV)
    assert abs(moment.value - kyiv.replace(tzinfo=None)) < timedelta(seconds=1)
    nothing = _workbook(client, f"/manage/contests/{demo}/applications.xlsx?state=rejected")
    assert nothing.active.max_row == 1  # the header alone: no rejected application
    lines = _excel_csv(client, f"/manage/contests/{demo}/applications.csv?excel=1&q={number}")
    assert len(lines) == 2 and lines[1][0] == number
    assert lines[1][-1] == kyiv.strftime("%d.%m.%Y %H:%M")


def test_the_jurys_progress_downloads_with_counts_as_numbers(client, demo):
    workbook = _workbook(client, f"/manage/contests/{demo}/jury.xlsx")
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    assert header == [
        "Juror",
        "E-mail",
        "Chair",
        "Submitted",
        "Drafts",
        "Not started",
        "Recusals",
        "To score",
    ]
    assert sheet.max_row == 4  # three jurors
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type == "n" for cell in row[3:])
        assert row[3].value + row[4].value + row[5].value == row[7].value
    assert sum(row[3].value for row in sheet.iter_rows(min_row=2)) == 31
    lines = _excel_csv(client, f"/manage/contests/{demo}/jury.csv?excel=1")
    assert lines[0][0] == "Juror" and len(lines) == 4


def test_the_pages_offer_every_download(client, demo):
    pages = {
        f"/manage/contests/{demo}/ranking": ["ranking.xlsx", "ranking.csv?excel=1", "scores.xlsx"],
        f"/manage/contests/{demo}/applications?state=admitted": [
            "applications.xlsx?state=admitted",
            "applications.csv?state=admitted&amp;excel=1",
        ],
        f"/manage/contests/{demo}/jury": ["jury.xlsx", "jury.csv?excel=1"],
        f"/manage/contests/{demo}/assignments": ["jury.xlsx"],
    }
    for page, links in pages.items():
        html = client.get(page).get_data(as_text=True)
        for link in links:
            assert f"/manage/contests/{demo}/{link}" in html, (page, link)


def test_the_command_line_writes_csv_for_excel_on_request(app, runner, demo, tmp_path):
    plain = runner.invoke(args=["export-scores", demo]).output
    assert plain.startswith("application,juror,criterion,score,comment,juror_name\n")
    excel = runner.invoke(args=["export-scores", demo, "--excel"])
    assert excel.exit_code == 0
    assert excel.stdout_bytes.startswith(
        "\ufeffapplication;juror;criterion;score;comment;juror_name\r\n".encode()
    )
    assert any("," in line.split(";")[3] for line in excel.output.splitlines()[1:])
    # What --excel writes, import-scores reads back: nothing changes.
    path = tmp_path / "scores.csv"
    path.write_bytes(excel.stdout_bytes)
    again = runner.invoke(args=["import-scores", demo, str(path)])
    assert again.exit_code == 0, again.output
    assert "Read as UTF-8 with a BOM; the columns are separated by: semicolon." in again.output
    assert "scores changed: 0" in again.output

    rank = runner.invoke(args=["rank", demo, "--excel"])
    assert rank.exit_code == 0
    lines = list(csv.reader(io.StringIO(rank.output.lstrip("\ufeff")), delimiter=";"))
    first = dict(zip(lines[0], lines[1], strict=True))
    assert first["score"] == "60,50" and first["rank"] == "1" and first["winner"] == "true"
    plain_rank = runner.invoke(args=["rank", demo, "--format", "csv"]).output
    assert plain_rank.splitlines()[1].startswith("1,") and "60.50" in plain_rank
    refused = runner.invoke(args=["rank", demo, "--format", "json", "--excel"])
    assert refused.exit_code == 1 and "--excel writes CSV" in refused.output


def test_an_organisation_name_with_a_formula_stays_text_in_every_download(app, client, demo):
    with app.app_context():
        for organisation in db.session.scalars(select(Organisation)):
            organisation.name = PAYLOAD
        for application in db.session.scalars(select(Application)):
            application.applicant_name = PAYLOAD  # the name it was submitted with
        db.session.commit()
    for url in ("ranking.xlsx", "applications.xlsx"):
        workbook = _workbook(client, f"/manage/contests/{demo}/{url}")
        cells = [c for row in workbook.active.iter_rows() for c in row if c.value == "'" + PAYLOAD]
        assert cells and {c.data_type for c in cells} == {"s"}, url
    for url in ("applications.csv?excel=1", "jury.csv?excel=1", "ranking.csv?excel=1"):
        text = client.get(f"/manage/contests/{demo}/{url}").get_data().decode("utf-8-sig")
        assert PAYLOAD not in text.replace("'" + PAYLOAD, ""), url
    assert "'" + PAYLOAD in client.get(f"/manage/contests/{demo}/applications.csv").get_data(
        as_text=True
    )


def test_a_text_longer_than_a_cell_holds_says_so_and_the_csv_keeps_it(app, client, demo):
    """A spreadsheet cell holds 32,767 characters: a longer comment is not cut without a
    word, and a typed ``_x003D_`` stays the text it was (a workbook's own escape)."""
    long = "Обґрунтування бюджету. " * 2000  # 46,000 characters
    comment_scores(app, demo, [long, "_x003D_1+1 і _x000D_"])
    workbook = _workbook(client, f"/manage/contests/{demo}/scores.xlsx")
    comments = [excel_text(row[4].value) for row in workbook.active.iter_rows(min_row=2)]
    cut = [comment for comment in comments if comment and comment.startswith(long[:100])]
    assert len(cut) == 1 and len(cut[0]) == 32767
    assert cut[0].endswith("[cut: the text has 46,000 characters; the CSV holds it whole]")
    assert long.startswith(cut[0][:32000])
    assert "_x003D_1+1 і _x000D_" in comments
    lines = _excel_csv(client, f"/manage/contests/{demo}/scores.csv?excel=1")
    assert long in [line[4] for line in lines]


def test_the_workbooks_of_every_score_are_made_in_the_background_in_the_pages_language(
    app, client, demo, monkeypatch
):
    """The page's script asks for a workbook by POST (issue 17: 420,000 scores take many
    seconds): it is made in the person's language, tells how far it has gone, and is the
    workbook the link downloads directly."""
    ranking = f"/manage/contests/{demo}/ranking"
    html = client.get(ranking).get_data(as_text=True)
    for kind in ("ranking", "scores"):
        assert re.search(rf'href="[^"]*/{kind}\.xlsx"[^>]*data-progress="table"', html), kind
    assert 'data-working-table="Preparing the table: {percent} of the rows written"' in html
    url = f"/manage/contests/{demo}/ranking.xlsx"
    assert client.post(url).status_code == 400  # without the CSRF token: refused
    client.submit("/language", {"language": "uk", "next": "/"})
    token = client.csrf_token(ranking)
    started = client.post(url, headers={"X-CSRFToken": token})
    assert started.status_code == 202
    jobs.join()
    state = client.get(started.get_json()["progress"]).get_json()
    assert state["state"] == "ready" and state["done"] == state["total"]
    response = client.get(state["file"])
    assert response.headers["Cache-Control"] == "private, no-store"
    assert f"{demo}-ranking.xlsx" in response.headers["Content-Disposition"]
    background = load_workbook(io.BytesIO(response.data))
    direct = _workbook(client, url)
    assert background.sheetnames == direct.sheetnames == ["Рейтинг", "Оцінки"]
    for made, downloaded in zip(background.worksheets, direct.worksheets, strict=True):
        assert list(made.values) == list(downloaded.values)
    later = jobs._now() + jobs.GRACE + 1
    monkeypatch.setattr(jobs, "_now", lambda: later)
    assert client.get(state["file"]).status_code == 404  # kept a while, then gone


def test_a_long_text_of_emoji_fits_a_cell_as_excel_counts_it(app, client, demo):
    """Excel counts a cell's 32,767 characters in UTF-16 units: an emoji is two."""
    long = "Громада 🌻 " * 4000  # 40,000 characters, 44,000 units
    comment_scores(app, demo, [long])
    workbook = _workbook(client, f"/manage/contests/{demo}/scores.xlsx")
    comments = [row[4].value or "" for row in workbook.active.iter_rows(min_row=2)]
    (cut,) = [comment for comment in comments if comment.startswith("Громада 🌻")]
    assert len(cut.encode("utf-16-le")) // 2 <= 32767 < len(cut) * 2
    assert cut.endswith("[cut: the text has 40,000 characters; the CSV holds it whole]")
    assert long.startswith(cut[: cut.index(" … [cut")])


def test_a_table_longer_than_a_sheet_goes_on_in_sheets_of_its_own(client, demo, monkeypatch):
    """A sheet holds 1,048,576 rows: the rest of a longer table is not dropped but goes on
    in «Scores (2)», … each with the header (a sheet of five rows here)."""
    monkeypatch.setattr(tables, "SHEET_ROWS", 5)
    workbook = _workbook(client, f"/manage/contests/{demo}/scores.xlsx")
    rows = [list(row) for sheet in workbook for row in sheet.iter_rows(values_only=True)]
    assert workbook.sheetnames[:3] == ["Scores", "Scores (2)", "Scores (3)"]
    assert len(workbook.sheetnames) == -(-(31 * 6 + 1) // 4)  # four rows a sheet, rounded up
    assert all(sheet.max_row <= 5 and sheet.freeze_panes == "A2" for sheet in workbook)
    assert [row for row in rows if row[0] == "application"] == [list(SCORE_COLUMNS)] * len(
        workbook.sheetnames
    )
    assert len(rows) - len(workbook.sheetnames) == 31 * 6 + 1  # every score, once
