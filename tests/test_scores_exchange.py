"""import-scores and export-scores (SPEC §9): paper scoresheets entered back, scores out.

The commands run in English here (``BABEL_DEFAULT_LOCALE``), so the assertions hold
before and after the Ukrainian translations change.
"""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import delete, func, select

from scoring import progress
from scoring.extensions import db
from scoring.judging import scores_file
from scoring.models import (
    Application,
    Conflict,
    Contest,
    Criterion,
    JuryMember,
    Role,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from ._judging import audit_entries, judged_contest, set_sheet, sheet_row, stored_scores

HEADER = "application,juror,criterion,score,comment\n"


@pytest.fixture
def app(make_app):
    return make_app(BABEL_DEFAULT_LOCALE="en")


@pytest.fixture
def juror(build):
    return build.user(Role.JUROR, email="known@jury.example")


@pytest.fixture
def judged(app, build, juror):
    return judged_contest(app, build, [juror], count=3)


def _write(tmp_path, text: str, name="scores.csv", encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def _full_sheet(number, email, c1="7", c2="8", c3="4.5", comment="") -> str:
    return (
        f"{number},{email},C1,{c1},{comment}\n"
        f"{number},{email},C2,{c2},\n"
        f"{number},{email},C3,{c3},\n"
    )


def _counts(app) -> tuple[int, int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(User)),
            db.session.scalar(select(func.count()).select_from(Scoresheet)),
            db.session.scalar(select(func.count()).select_from(JuryMember)),
            db.session.scalar(
                select(func.count())
                .select_from(Scoresheet)
                .where(Scoresheet.state == SheetState.SUBMITTED)
            ),
        )


def test_imported_sheets_are_submitted_and_unknown_jurors_join_the_jury(
    app, runner, tmp_path, juror, judged
):
    first, second, _third = judged.numbers
    c = judged.criteria
    set_sheet(app, juror, first, points={c["C1"]: "2"})  # a draft begun online
    text = "\ufeff" + (
        "application;juror;criterion;score;comment\n"
        f'{first};Known@Jury.example;C1;9;"«Дуже переконливо; з цифрами»"\n'
        f"{first};known@jury.example;C2;7;\n"
        f"{first};known@jury.example;C3;3,5;\n"
        f'{first};known@jury.example;;;"Загальний коментар,\nу два рядки"\n'
        f"{second};paper.juror@jury.example;C1;0;\n"
        f"{second};paper.juror@jury.example;C2;10;\n"
        f"{second};paper.juror@jury.example;C3;5;\n"
    )
    result = runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    assert "Scoresheets imported into “uchast-2026”: 2" in result.output
    assert "paper.juror@jury.example" in result.output

    sheet = sheet_row(app, juror, first)
    assert (sheet.state, sheet.conflict) == (SheetState.SUBMITTED, Conflict.NONE)
    assert sheet.overall_comment == "Загальний коментар,\nу два рядки"
    assert stored_scores(app, juror, first) == {
        c["C1"]: (Decimal(9), "«Дуже переконливо; з цифрами»"),
        c["C2"]: (Decimal("7"), ""),
        c["C3"]: (Decimal("3.5"), ""),
    }
    with app.app_context():
        paper = db.session.scalar(select(User).where(User.email == "paper.juror@jury.example"))
        assert paper.role == Role.JUROR and paper.password_hash is None
        assert db.session.get(JuryMember, (judged.contest_id, paper.id)) is not None
        paper_id = paper.id
    created = sheet_row(app, paper_id, second)
    assert (created.state, created.conflict) == (SheetState.SUBMITTED, Conflict.NONE)
    assert stored_scores(app, paper_id, second)[c["C2"]] == (Decimal(10), "")
    changes = audit_entries(app, "score.changed")
    assert {"criterion": c["C1"], "old": "2", "new": "9", "via": "import-scores"} in [
        e.details for e in changes
    ]
    assert len(changes) == 6
    assert len(audit_entries(app, "scoresheet.submitted")) == 2
    (summary,) = audit_entries(app, "scores.imported")
    assert summary.details["sheets"] == 2 and summary.details["jurors_created"] == 1


def test_a_file_with_bad_lines_is_refused_whole_with_line_numbers(
    app, build, runner, tmp_path, juror, judged
):
    first, second, third = judged.numbers
    build.user(Role.ORGANISER, email="boss@example.org")
    text = (
        HEADER
        + _full_sheet(first, "known@jury.example")  # lines 2-4: good
        + "UCH-2026-999,known@jury.example,C1,5,\n"  # 5
        + f"{second},known@jury.example,C9,5,\n"  # 6
        + f"{second},known@jury.example,C1,11,\n"  # 7
        + f"{second},known@jury.example,C2,7.5,\n"  # 8
        + f"{second},known@jury.example,C3,2.25,\n"  # 9
        + f"{third},new@jury.example,C1,5,\n"  # 10
        + f"{third},new@jury.example,C1,6,\n"  # 11: twice
        + f"{third},new@jury.example,C2,5,\n"  # 12: C3 never given
        + f"{third},not-an-email,C1,5,\n"  # 13
        + f"{third},boss@example.org,C1,5,\n"  # 14
        + f"{third},boss@example.org,C2,5,\n"
        + f"{third},boss@example.org,C3,5,\n"
        + f"{first},x@jury.example,C1\n"  # 17: too few values
    )
    before = _counts(app)
    result = runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, text)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:2] == [
        "Read as UTF-8; the columns are separated by: comma.",
        "Error: The scores are not imported:",
    ]
    problems = "\n".join(lines[2:])
    expected = [
        "line 5, column A «application»: there is no application UCH-2026-999 in this contest",
        "line 6, column C «criterion»: there is no criterion C9 in this contest (the codes are "
        "C1, C2, C3)",
        "line 7, column D «score»: C1 «Актуальність»: enter a number of points from 0 to 10.",
        "line 8, column D «score»: C2 «Залучення мешканців»: enter a whole number of points",
        "line 9, column D «score»: C3 «Soundness of the budget»: points go in steps of 0.5",
        f"line 11: the juror new@jury.example is listed twice for C1 of {third} (first on line 10)",
        f"line 10: the sheet of new@jury.example for {third} is incomplete: no score for C3",
        "line 13, column B «juror»: “not-an-email” is not an e-mail address",
        "line 14, column B «juror»: the e-mail boss@example.org belongs to an account with the "
        "role",
        "line 17: 3 values instead of 5 (one for each column)",
    ]
    for message in expected:
        assert message in problems, (message, problems)
    assert "line 2" not in problems and "line 3:" not in problems
    assert "Traceback" not in result.output
    assert _counts(app) == before  # nothing half-imported
    assert stored_scores(app, juror, first) == {}
    assert audit_entries(app, "scores.imported") == []


def test_a_recused_juror_cannot_be_given_scores(app, runner, tmp_path, juror, judged):
    first = judged.numbers[0]
    set_sheet(app, juror, first, conflict=Conflict.RECUSED, declaration="Родич")
    text = HEADER + _full_sheet(first, "known@jury.example")
    result = runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, text)])
    assert result.exit_code == 1
    assert f"line 2: known@jury.example has recused themself from {first}" in result.output
    assert sheet_row(app, juror, first).conflict == Conflict.RECUSED


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "application,juror,criterion,score,comment\nЄ,1\n".encode() + "Є,2\n".encode("cp1251"),
            "The lines of the file are in different encodings: line 2 is in UTF-8 and line 3",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "This is an old Excel workbook (XLS)"),
        (b"number,juror,criterion,score\n", "line 1 must name the columns"),
        (b"application,juror,criterion,score,comment\n", "The file has no scores."),
    ],
)
def test_a_file_that_is_not_a_scores_csv_is_refused(
    app, runner, tmp_path, judged, content, message
):
    path = tmp_path / "scores.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["import-scores", judged.slug, str(path)])
    assert result.exit_code == 1 and message in result.output, result.output


def test_the_commands_refuse_unknown_contests_files_and_published_results(
    app, build, runner, tmp_path, judged
):
    path = _write(tmp_path, HEADER + _full_sheet(judged.numbers[0], "known@jury.example"))
    result = runner.invoke(args=["import-scores", "no-such-contest", path])
    assert result.exit_code == 1 and "There is no contest" in result.output
    result = runner.invoke(args=["export-scores", "no-such-contest"])
    assert result.exit_code == 1 and "There is no contest" in result.output
    result = runner.invoke(args=["import-scores", judged.slug, str(tmp_path / "missing.csv")])
    assert result.exit_code == 1 and "Cannot read" in result.output
    published = judged_contest(app, build, [], slug="done-2025", count=1, stage=Stage.PUBLISHED)
    path = _write(tmp_path, HEADER + _full_sheet(published.numbers[0], "known@jury.example"))
    before = _counts(app)
    result = runner.invoke(args=["import-scores", published.slug, path])
    assert result.exit_code == 1 and "already published" in result.output
    assert _counts(app) == before


def test_an_import_while_the_results_are_published_waits_and_is_refused(
    app, runner, tmp_path, judged
):
    """The organiser publishes in the moment the paper sheets are imported: the import
    waits for the publication and is refused by it, so no score changes under published
    results (PostgreSQL: the contest's row; SQLite: the write lock)."""
    import threading

    path = _write(tmp_path, HEADER + _full_sheet(judged.numbers[0], "known@jury.example"))
    before = _counts(app)
    results = []
    with app.app_context():
        with db.engine.begin() as other:  # the publication, not yet committed
            other.execute(
                Contest.__table__.update()
                .where(Contest.id == judged.contest_id)
                .values(stage=Stage.PUBLISHED)
            )
            thread = threading.Thread(
                target=lambda: results.append(
                    app.test_cli_runner().invoke(args=["import-scores", judged.slug, path])
                )
            )
            thread.start()
            thread.join(timeout=1)
        thread.join(timeout=30)
    assert results[0].exit_code == 1 and "already published" in results[0].output
    assert _counts(app) == before


def test_export_lists_submitted_sheets_in_a_stable_order(app, build, runner, juror):
    other = build.user(Role.JUROR, email="a.first@jury.example")
    judged = judged_contest(app, build, [juror, other], count=3)
    first, second, third = judged.numbers
    c = judged.criteria
    full = {c["C1"]: "10", c["C2"]: "0", c["C3"]: "2.5"}
    set_sheet(
        app,
        juror,
        second,
        state=SheetState.SUBMITTED,
        points=full,
        comments={c["C1"]: 'Цитата "так", кома'},
    )
    set_sheet(app, other, second, state=SheetState.SUBMITTED, points=full)
    set_sheet(app, juror, first, points={c["C1"]: "3"})  # a draft: not exported
    set_sheet(app, other, third, conflict=Conflict.RECUSED, declaration="Так")
    result = runner.invoke(args=["export-scores", judged.slug])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    # Submitted sheets and recusals (SPEC §15), the jurors named; drafts are left out.
    assert rows == [
        ["application", "juror", "criterion", "score", "comment", "juror_name"],
        [second, "a.first@jury.example", "C1", "10", "", "Тест"],
        [second, "a.first@jury.example", "C2", "0", "", "Тест"],
        [second, "a.first@jury.example", "C3", "2.5", "", "Тест"],
        [second, "known@jury.example", "C1", "10", 'Цитата "так", кома', "Тест"],
        [second, "known@jury.example", "C2", "0", "", "Тест"],
        [second, "known@jury.example", "C3", "2.5", "", "Тест"],
        [third, "a.first@jury.example", "", "recused", "Так", "Тест"],
    ]


def _forget_scores(app, contest_id: int, keep: set[int]) -> None:
    """The contest as a copy would hold it: applications, no sheets, no imported jurors."""
    with app.app_context():
        db.session.execute(delete(Scoresheet))
        db.session.execute(delete(JuryMember).where(JuryMember.user_id.not_in(keep)))
        db.session.execute(delete(User).where(User.role == Role.JUROR, User.id.not_in(keep)))
        db.session.commit()


def test_an_export_imported_into_a_copy_exports_the_same(app, runner, tmp_path, juror, judged):
    first, second, third = judged.numbers
    text = (
        HEADER
        + _full_sheet(third, "known@jury.example", "1", "2", "0.5", '"Коментар, з комою"')
        + _full_sheet(first, "zoya@jury.example", "10", "9.0", "5")
        + _full_sheet(first, "known@jury.example", "0", "0", "0")
        + f"{first},zoya@jury.example,,,Загальна думка\n"
        + _full_sheet(second, "andrii@jury.example")
    )
    assert runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, text)]).exit_code == 0
    exported = runner.invoke(args=["export-scores", judged.slug]).output
    # Jurors known only by their address (created by the import) get no name.
    assert list(csv.reader(io.StringIO(exported))) == [
        ["application", "juror", "criterion", "score", "comment", "juror_name"],
        [first, "known@jury.example", "C1", "0", "", "Тест"],
        [first, "known@jury.example", "C2", "0", "", "Тест"],
        [first, "known@jury.example", "C3", "0", "", "Тест"],
        [first, "zoya@jury.example", "C1", "10", "", ""],
        [first, "zoya@jury.example", "C2", "9", "", ""],
        [first, "zoya@jury.example", "C3", "5", "", ""],
        [first, "zoya@jury.example", "", "", "Загальна думка", ""],
        [second, "andrii@jury.example", "C1", "7", "", ""],
        [second, "andrii@jury.example", "C2", "8", "", ""],
        [second, "andrii@jury.example", "C3", "4.5", "", ""],
        [third, "known@jury.example", "C1", "1", "Коментар, з комою", "Тест"],
        [third, "known@jury.example", "C2", "2", "", "Тест"],
        [third, "known@jury.example", "C3", "0.5", "", "Тест"],
    ]

    _forget_scores(app, judged.contest_id, keep={juror})
    again = runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, exported, "x.csv")])
    assert again.exit_code == 0, again.output
    assert runner.invoke(args=["export-scores", judged.slug]).output == exported
    # Importing the same file once more changes nothing.
    before = len(audit_entries(app, "score.changed"))
    runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, exported, "x.csv")])
    assert len(audit_entries(app, "score.changed")) == before
    assert runner.invoke(args=["export-scores", judged.slug]).output == exported


def test_the_scores_commands_have_help(runner):
    for command in ("import-scores", "export-scores"):
        result = runner.invoke(args=[command, "--help"])
        assert (
            result.exit_code == 0 and "application,juror,criterion,score,comment" in result.output
        )


def test_the_import_tells_its_progress_to_whoever_waits(app, juror, judged):
    first, second, third = judged.numbers
    text = HEADER + "".join(
        _full_sheet(number, email)
        for number in judged.numbers
        for email in ("known@jury.example", "paper.juror@jury.example")
    )
    heard = []
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        summary = scores_file.import_scores(
            contest, text.encode(), progress=lambda done, total: heard.append((done, total))
        )
        db.session.commit()
    assert summary.sheets == 6
    lines = 18
    assert heard[0] == (0, 2 * lines) and heard[-1] == (2 * lines, 2 * lines)
    assert {total for _done, total in heard} == {2 * lines}
    assert [done for done, _total in heard] == sorted(done for done, _total in heard)
    assert any(lines <= done < 2 * lines for done, _total in heard)  # the writing half


def test_on_a_terminal_the_progress_is_one_line_rewritten(capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    show = progress.on_terminal("Імпорт оцінок", screen)
    for done in (0, 1, 1, 3, 4):
        show(done, 4)
    assert screen.getvalue() == (
        "\rІмпорт оцінок: 0 %\rІмпорт оцінок: 25 %\rІмпорт оцінок: 75 %\rІмпорт оцінок: 100 %\n"
    )
    assert progress.on_terminal("x", io.StringIO()) is progress.nothing  # a file: silent


# Numbers and facts as paper brings them (issue 13, SPEC §15) -------------------------


def _half_points(app, code="C1"):
    with app.app_context():
        criterion = db.session.scalar(select(Criterion).where(Criterion.code == code))
        criterion.step = Decimal("0.5")
        db.session.commit()


def test_a_decimal_comma_cut_in_two_by_the_separator_is_refused_with_its_column(
    app, runner, tmp_path, juror, judged
):
    # `APP,juror,C1,7,5` was stored as 7 with the comment "5".
    _half_points(app)
    first, second, _third = judged.numbers
    text = (
        HEADER
        + f"{first},known@jury.example,C1,7,5\n"  # 2: five cells, the comment "5"
        + f"{first},known@jury.example,C2,8,\n"
        + f"{first},known@jury.example,C3,4,5,Чітко\n"  # 4: six cells
        + f'{second},known@jury.example,C1,"7,5",\n'  # quoted: read as 7.5
        + f"{second},known@jury.example,C2,8,5 балів за участь\n"  # a comment, not digits
        + f"{second},known@jury.example,C3,4,\n"
    )
    before = _counts(app)
    result = runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, text)])
    assert result.exit_code == 1, result.output
    problems = result.output
    assert "line 2, column D «score»: «7,5» cannot be read for certain" in problems
    assert "Write it with a point (7.5)" in problems
    assert "line 4, column D «score»: «4,5» cannot be read for certain" in problems
    assert "line 5" not in problems and "line 6" not in problems
    assert _counts(app) == before and stored_scores(app, juror, first) == {}

    fixed = text.replace(",C1,7,5\n", ',C1,"7,5",\n').replace(",C3,4,5,Чітко", ",C3,4.5,Чітко")
    result = runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, fixed)])
    assert result.exit_code == 0, result.output
    c = judged.criteria
    assert stored_scores(app, juror, first)[c["C1"]] == (Decimal("7.5"), "")
    assert stored_scores(app, juror, first)[c["C3"]] == (Decimal("4.5"), "Чітко")
    assert stored_scores(app, juror, second)[c["C2"]] == (Decimal(8), "5 балів за участь")


def test_a_semicolon_file_with_decimal_commas_is_read(app, runner, tmp_path, juror, judged):
    _half_points(app)
    first = judged.numbers[0]
    text = (
        "application;juror;criterion;score;comment\n"
        f"{first};known@jury.example;C1;7,5;Добре, але коротко\n"
        f"{first};known@jury.example;C2;8;\n"
        f"{first};known@jury.example;C3;4,5;\n"
    )
    result = runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    c = judged.criteria
    assert stored_scores(app, juror, first) == {
        c["C1"]: (Decimal("7.5"), "Добре, але коротко"),
        c["C2"]: (Decimal(8), ""),
        c["C3"]: (Decimal("4.5"), ""),
    }


def _pdf_text(runner, tmp_path, slug, kind, *extra) -> str:
    target = tmp_path / f"{kind}.pdf"
    result = runner.invoke(args=["pdf", slug, kind, *extra, "--lang", "en", "-o", str(target)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO(target.read_bytes()))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_imported_sheets_claim_no_declaration_and_say_who_entered_them(
    app, build, runner, tmp_path, juror, judged, clock_at
):
    first, second, _third = judged.numbers
    with app.app_context():
        organiser = db.session.get(Contest, judged.contest_id).organisers[0]
        organiser.name, organiser_email = "Ірина Секретар", organiser.email
        db.session.commit()
    clock_at(datetime(2026, 6, 5, 9, 30, tzinfo=UTC))
    path = _write(tmp_path, HEADER + _full_sheet(first, "known@jury.example"))
    result = runner.invoke(
        args=["import-scores", judged.slug, path, "--entered-by", organiser_email]
    )
    assert result.exit_code == 0, result.output
    sheet = sheet_row(app, juror, first)
    assert (sheet.state, sheet.conflict) == (SheetState.SUBMITTED, Conflict.NONE)
    assert sheet.declared_at is None  # the juror declared nothing in the system
    assert sheet.entered_at == datetime(2026, 6, 5, 9, 30, tzinfo=UTC)
    assert audit_entries(app, "conflict.declared_none") == []

    sheets = _pdf_text(runner, tmp_path, judged.slug, "scoresheets", "--application", first)
    assert "Entered from paper, by Ірина Секретар: June 5, 2026, 12:30" in sheets
    assert "no declaration was made in the system" in sheets
    assert "declared that there is none" not in sheets
    protocol = _pdf_text(runner, tmp_path, judged.slug, "protocol")
    assert "entered into the system afterwards: the system holds no declaration" in protocol
    assert "Тест 1 Ірина Секретар June 5, 2026" in protocol

    # Without --entered-by the sheets say the command line entered them.
    path = _write(tmp_path, HEADER + _full_sheet(second, "known@jury.example"), "second.csv")
    assert runner.invoke(args=["import-scores", judged.slug, path]).exit_code == 0
    sheets = _pdf_text(runner, tmp_path, judged.slug, "scoresheets", "--application", second)
    assert "Entered from paper, on the command line: June 5, 2026, 12:30" in sheets
    # Only an organiser of the contest enters sheets.
    refused = runner.invoke(
        args=["import-scores", judged.slug, path, "--entered-by", "known@jury.example"]
    )
    assert refused.exit_code == 1 and "is not an organiser" in refused.output


def test_a_sheet_entered_from_paper_and_reopened_asks_the_juror_to_declare(
    app, runner, tmp_path, juror, judged, client
):
    first = judged.numbers[0]
    path = _write(tmp_path, HEADER + _full_sheet(first, "known@jury.example"))
    assert runner.invoke(args=["import-scores", judged.slug, path]).exit_code == 0
    with app.app_context():
        from scoring.judging import assignments

        contest = db.session.get(Contest, judged.contest_id)
        sheet = db.session.scalar(  # the sheet of the application imported, not another
            select(Scoresheet)
            .join(Application)
            .where(Scoresheet.juror_id == juror, Application.number == first)
        )
        assignments.reopen(contest, sheet, "Уточнити бали", actor=contest.organisers[0])
        db.session.commit()
    client.login("known@jury.example")
    page = client.get(judged.url(first)).get_data(as_text=True)
    assert 'action="/judging/uchast-2026/' in page and "/no-conflict" in page


def test_a_recusal_is_imported_with_its_declaration(app, runner, tmp_path, juror, judged):
    first, second, third = judged.numbers
    text = (
        "application,juror,criterion,score,comment,juror_name\n"
        f"{first},known@jury.example,,recused,Моя сестра керує цією ГО,\n"
        f"{second},paper@jury.example,C1,RECUSED,Працюю в цій громаді,Петро Паперовий\n"
        f"{second},paper@jury.example,C2,recused,,Петро Паперовий\n"
        + _full_sheet(third, "known@jury.example").replace("\n", ",\n")
    )
    result = runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    assert "Recusals recorded: 2" in result.output
    sheet = sheet_row(app, juror, first)
    assert (sheet.conflict, sheet.declaration) == (Conflict.RECUSED, "Моя сестра керує цією ГО")
    assert sheet.declared_at is None and sheet.entered_at is not None
    with app.app_context():
        paper = db.session.scalar(select(User).where(User.email == "paper@jury.example"))
        assert paper.name == "Петро Паперовий"
        paper_id = paper.id
    assert sheet_row(app, paper_id, second).conflict == Conflict.RECUSED
    (entry, _other) = audit_entries(app, "conflict.recused")
    assert entry.details["via"] == "import-scores"
    protocol = _pdf_text(runner, tmp_path, judged.slug, "protocol")
    assert "Моя сестра керує цією ГО" in protocol and "entered from paper" in protocol
    assert "Петро Паперовий" in protocol and "paper@jury.example" not in protocol
    exported = runner.invoke(args=["export-scores", judged.slug]).output
    assert f"{first},known@jury.example,,recused,Моя сестра керує цією ГО,Тест" in exported


def test_recusal_lines_that_cannot_be_read_for_certain_are_refused(
    app, runner, tmp_path, juror, judged
):
    first, second, third = judged.numbers
    set_sheet(
        app,
        juror,
        third,
        state=SheetState.SUBMITTED,
        points={c: "1" for c in judged.criteria.values()},
    )
    text = (
        HEADER
        + f"{first},known@jury.example,,recused,\n"  # 2: no declaration
        + f"{second},known@jury.example,C1,recused,Родич\n"  # 3: and scores too
        + f"{second},known@jury.example,C2,5,\n"
        + f"{third},known@jury.example,,recused,Родич\n"  # 5: submitted in the system
        + f"{first},other@jury.example,C9,recused,Родич\n"  # 6: no such criterion
    )
    result = runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, text)])
    assert result.exit_code == 1
    for message in (
        f"line 2: the recusal of known@jury.example from {first} needs the declaration",
        f"line 3: known@jury.example both recuses themself from {second} and scores it",
        f"line 5: known@jury.example has already submitted the scoresheet for {third}",
        "line 6, column C «criterion»: there is no criterion C9 in this contest",
    ):
        assert message in result.output, (message, result.output)
    assert sheet_row(app, juror, third).state == SheetState.SUBMITTED


def test_juror_name_names_the_members(app, build, runner, tmp_path, juror, judged):
    first, second, _third = judged.numbers
    placeholder = build.user(
        Role.JUROR, email="nameless@jury.example", name="nameless@jury.example"
    )
    text = "application,juror,criterion,score,comment,juror_name\n" + "".join(
        f"{line.rstrip()},{name}\n"
        for line, name in (
            *((row, "Зоя Нова") for row in _full_sheet(first, "zoya@jury.example").splitlines()),
            *(
                (row, "Назар Безіменний")
                for row in _full_sheet(first, "nameless@jury.example").splitlines()
            ),
            *((row, "Інше Ім’я") for row in _full_sheet(second, "known@jury.example").splitlines()),
        )
    )
    result = runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        names = dict(
            db.session.execute(
                select(User.email, User.name).where(
                    User.email.in_(
                        ["zoya@jury.example", "nameless@jury.example", "known@jury.example"]
                    )
                )
            ).all()
        )
    # Created with the name; an address-only account named; a person's own name kept.
    assert names == {
        "zoya@jury.example": "Зоя Нова",
        "nameless@jury.example": "Назар Безіменний",
        "known@jury.example": "Тест",
    }
    assert placeholder
    protocol = _pdf_text(runner, tmp_path, judged.slug, "protocol")
    assert "Зоя Нова" in protocol and "zoya@jury.example" not in protocol

    clash = (
        "application,juror,criterion,score,comment,juror_name\n"
        f"{second},zoya@jury.example,C1,5,,Зоя Нова\n"
        f"{second},zoya@jury.example,C2,5,,Зоя Стара\n"
        f"{second},zoya@jury.example,C3,5,,\n"
    )
    result = runner.invoke(args=["import-scores", judged.slug, _write(tmp_path, clash, "c.csv")])
    assert result.exit_code == 1
    assert (
        "line 3, column F «juror_name»: the juror zoya@jury.example is named «Зоя Стара» "
        "here and «Зоя Нова»" in result.output
    )
