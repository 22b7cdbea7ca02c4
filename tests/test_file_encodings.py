"""Files as offices make them, through the command line (SPEC §15, issue 15).

Windows-1251 with semicolons (Ukrainian Excel's default), Excel's «CSV UTF-8» with its
byte-order mark, UTF-16 «Unicode text» with tabs, decimal commas in scores: each is
imported and what was stored is read back. Files that cannot be read for certain —
mixed encodings, cut short, binary, a workbook instead of a CSV, ten thousand columns —
are refused with the reason, and nothing is stored.
"""

import random
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import Application, Organisation, Role, Score, Scoresheet, Stage

from ._judging import judged_contest
from ._office_files import (
    APPLICANTS,
    HEADER,
    applications_rows,
    excel_1251,
    excel_unicode_text,
    excel_utf8,
    paper_scores,
)


@pytest.fixture
def app(make_app):
    return make_app(BABEL_DEFAULT_LOCALE="en")


@pytest.fixture
def contest(build):
    build.contest(stage=Stage.SCREENING, slug="uchast-2026", number_prefix="UCH")
    return "uchast-2026"


def _run(runner, tmp_path, command: str, slug: str, data: bytes):
    path = tmp_path / "file.csv"
    path.write_bytes(data)
    return runner.invoke(args=[command, slug, str(path)])


def _stored_applications(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(
                Organisation.name,
                Organisation.kind,
                Organisation.edrpou,
                Organisation.oblast,
                Organisation.community,
                Organisation.email,
                Application.title,
            )
            .join(Application, Application.organisation_id == Organisation.id)
            .order_by(Application.serial)
        ).all()


def _expected_applications() -> list[tuple]:
    return [
        (a.organisation, a.kind, a.edrpou, a.oblast, a.community, a.email.lower(), a.title)
        for a in APPLICANTS
    ]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (
            excel_1251(applications_rows()),
            "Read as Windows-1251; the columns are separated by: semicolon.",
        ),
        (
            excel_utf8(applications_rows()),
            "Read as UTF-8 with a BOM; the columns are separated by: semicolon.",
        ),
        (
            excel_utf8(applications_rows(), delimiter=","),
            "Read as UTF-8 with a BOM; the columns are separated by: comma.",
        ),
        (
            excel_unicode_text(applications_rows()),
            "Read as UTF-16; the columns are separated by: tab.",
        ),
    ],
    ids=["windows-1251-semicolons", "utf8-bom-semicolons", "utf8-bom-commas", "utf16-tabs"],
)
def test_applications_from_excel_are_read_in_their_encoding_and_stored_as_written(
    app, runner, tmp_path, contest, data, said
):
    result = _run(runner, tmp_path, "import-applications", contest, data)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == said
    assert "Applications imported into “uchast-2026”: 3." in result.output
    # Quotes, «», ’, ґ, є, ї, №, a semicolon inside a cell; EDRPOU zeros given back.
    assert _stored_applications(app) == _expected_applications()


def test_oblasts_and_kinds_are_read_by_their_names_too(app, runner, tmp_path, contest):
    rows = applications_rows()
    rows[1][2], rows[1][4] = "Громадська організація", "Харківська обл."
    rows[2][2], rows[2][4] = "територіальна громада", "Дніпропетровська"
    rows[3][2], rows[3][4] = "ГО", "Lviv Oblast"
    result = _run(runner, tmp_path, "import-applications", contest, excel_1251(rows))
    assert result.exit_code == 0, result.output
    assert _stored_applications(app) == _expected_applications()


def test_values_echoed_in_problems_keep_their_case(app, runner, tmp_path, contest):
    rows = applications_rows()
    rows[1][4] = "Слобожанська"
    rows[2][6] = "Rada.Apostolove"
    rows[3][2] = "Благодійний Фонд"
    result = _run(runner, tmp_path, "import-applications", contest, excel_1251(rows))
    assert result.exit_code == 1
    assert result.output.splitlines()[2:] == [
        "  line 2, column E «oblast»: unknown oblast “Слобожанська”: give its code (UA-63) or name",
        "  line 3, column G «email»: “Rada.Apostolove” is not an e-mail address",
        "  line 4, column C «kind»: unknown kind “Благодійний Фонд”; the kinds are: community, ngo",
    ]
    assert _stored_applications(app) == []


def test_a_cell_of_several_lines_where_one_is_expected_is_refused_with_its_place(
    app, runner, tmp_path, contest
):
    """A title typed into a form's paragraph answer, or a cell with Alt+Enter in Excel:
    a title is one line wherever it goes (a subject, a PDF line), so it is named, not
    stored as it is or joined silently."""
    rows = applications_rows()
    rows[2][7] = "Сквер\nдля всіх"
    result = _run(runner, tmp_path, "import-applications", contest, excel_1251(rows))
    assert result.exit_code == 1
    assert result.output.splitlines()[2:] == [
        "  line 3, column H «title»: the column “title” holds several lines: write it on one",
    ]
    assert _stored_applications(app) == []


@pytest.fixture
def judged(app, build):
    juror = build.user(Role.JUROR, email="olena@jury.example")
    return judged_contest(app, build, [juror], count=3)


def _scores(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(Application.number, Score.points, Score.comment)
            .join(Scoresheet, Score.scoresheet_id == Scoresheet.id)
            .join(Application, Scoresheet.application_id == Application.id)
            .order_by(Application.number, Score.criterion_id)
        ).all()


@pytest.mark.parametrize(
    ("encode", "said"),
    [
        (excel_1251, "Read as Windows-1251; the columns are separated by: semicolon."),
        (excel_utf8, "Read as UTF-8 with a BOM; the columns are separated by: semicolon."),
    ],
    ids=["windows-1251", "utf8-bom"],
)
def test_paper_scores_with_decimal_commas_are_stored_as_numbers(
    app, runner, tmp_path, judged, encode, said
):
    data = encode(paper_scores(judged.numbers, "olena@jury.example"))
    result = _run(runner, tmp_path, "import-scores", judged.slug, data)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == said
    stored = _scores(app)
    assert len(stored) == 9
    first = [row for row in stored if row[0] == judged.numbers[0]]
    assert first == [
        (judged.numbers[0], Decimal(7), "Актуально; добре обґрунтовано"),
        (judged.numbers[0], Decimal(8), 'Залучено "активних" мешканців'),
        (judged.numbers[0], Decimal("4.5"), ""),
    ]


def _nothing_stored(app) -> bool:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Application)) == 0


HEADER_LINE = ",".join(HEADER) + "\n"
ROW = ",ГО «Ґава»,ngo,00032129,UA-63,Балаклійська міська громада,a@example.org,Назва\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            HEADER_LINE.encode() + ROW.encode() + ROW.replace("a@", "b@").encode("cp1251"),
            "The lines of the file are in different encodings: line 2 is in UTF-8 and line 3 "
            "is not. Save the whole file as «CSV UTF-8».",
        ),
        (
            (HEADER_LINE + ROW).encode()[:-4],  # cut inside «Назва»
            "The file ends in the middle of a character: it seems cut short.",
        ),
        (
            random.Random(7).randbytes(4096).replace(b"\x00", b""),
            "The encoding of the file cannot be told for certain",
        ),
        (b"PK\x03\x04" + random.Random(8).randbytes(200), "This is an Excel workbook (XLSX)"),
        (HEADER_LINE.encode() + b"\x00" * 20, "it contains NUL characters"),
        (
            (";".join(f"c{n}" for n in range(10_000)) + "\n").encode(),
            "The first line has 10000 columns; a file may have at most 200.",
        ),
        (
            HEADER_LINE.encode() + b',"' + b"x" * 200_000 + b'",\n',
            "Line 2 cannot be read: a cell in it runs on for more than 131,072 characters.",
        ),
    ],
    ids=["mixed", "cut-short", "random-bytes", "xlsx", "nul", "10000-columns", "huge-cell"],
)
def test_a_file_that_cannot_be_read_for_certain_is_refused_with_the_reason(
    app, runner, tmp_path, contest, data, message
):
    result = _run(runner, tmp_path, "import-applications", contest, data)
    assert result.exit_code == 1
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    assert _nothing_stored(app)
