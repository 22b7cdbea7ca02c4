"""The amount requested in a file of applications (SPEC §12, §15; issue 15).

A contest with a fund takes ``requested`` from the applications file — in the browser
(proposed from a heading such as «Запитувана сума, грн») and on the command line — read
as the application form reads it: Windows-1251 with semicolons as Ukrainian Excel saves
it, spaces between thousands, a decimal comma («12 500,50»). An amount that cannot be
taken is named by its line and its column as the file heads it, in Ukrainian, and
nothing is stored or rounded. The applications list downloads with the amount as a
number.
"""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Application, Role, Stage

from ._bad_input import form_for
from ._office_files import APPLICANTS, FORM_HEADER, excel_1251

ORGANISER = "kaznachei@hub.example"
SLUG = "granty-hromad-2026"
AMOUNT_HEADING = "Запитувана сума, грн"
# As typed into the cells of a Ukrainian spreadsheet: spaces between thousands (one of
# them non-breaking, as Excel's number format writes it), a decimal comma.
AMOUNTS = ("12 500,50", "48\u00a0000", "7000,5")


@pytest.fixture
def organiser(signed_in):
    return signed_in(Role.ORGANISER, ORGANISER, name="Скарбниця Комісії")


@pytest.fixture
def fund_contest(build, organiser):
    build.contest(
        organisers=[organiser],
        stage=Stage.SCREENING,
        slug=SLUG,
        number_prefix="GH",
        fund=Decimal("100000.00"),
        max_request=Decimal("50000.00"),
    )
    return SLUG


def _form_rows(amounts=AMOUNTS) -> list[list[str]]:
    """A Google Forms–like sheet saved from Excel, with the amount as its last column."""
    rows = [[*FORM_HEADER, AMOUNT_HEADING]]
    for applicant, amount in zip(APPLICANTS, amounts, strict=True):
        rows.append(
            ["05.03.2026 10:15:00", applicant.organisation, applicant.kind_label]
            + [applicant.edrpou.lstrip("0"), applicant.oblast_label, applicant.community]
            + [applicant.email, applicant.title, "Бо можемо", amount]
        )
    return rows


def _requested(app) -> list[tuple[str, Decimal | None]]:
    with app.app_context():
        return db.session.execute(
            select(Application.number, Application.requested).order_by(Application.serial)
        ).all()


def _upload_and_check(client, data: bytes) -> tuple[str, str]:
    response = client.submit(
        f"/manage/contests/{SLUG}/import/applications",
        {"file": (io.BytesIO(data), "zayavky.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    token = response.location.rsplit("/manage/imports/", 1)[1].split("/")[0]
    page = f"/manage/imports/{token}"
    form = form_for(client.get(page).get_data(as_text=True), page, page)
    values = {name: value[0] for name, value in form.valid().items() if value}
    assert form.shown("column_9") == "requested"  # proposed from «Запитувана сума, грн»
    assert client.submit(page, values).status_code == 302
    return token, client.get(f"{page}/job").get_data(as_text=True)


def test_a_windows_1251_file_with_semicolons_carries_the_amounts_in_the_browser(
    app, client, fund_contest
):
    data = excel_1251(_form_rows())
    assert "12 500,50".encode("cp1251") in data and b";" in data  # as Excel saves it
    token, job = _upload_and_check(client, data)
    assert "3 applications will be imported" in job, job
    assert _requested(app) == []  # a check stores nothing
    client.submit(f"/manage/imports/{token}/run")
    assert _requested(app) == [
        ("GH-2026-001", Decimal("12500.50")),
        ("GH-2026-002", Decimal("48000.00")),
        ("GH-2026-003", Decimal("7000.50")),
    ]


def test_an_amount_that_cannot_be_taken_is_named_by_line_and_column_in_ukrainian(
    app, client, fund_contest
):
    client.submit("/language", {"language": "uk", "next": "/"})
    # Three places after the comma (never rounded), above the limit, left empty.
    data = excel_1251(_form_rows(("12 500,505", "50 000,01", "")))
    _token, job = _upload_and_check(client, data)
    where = f"стовпець J «{AMOUNT_HEADING}»"
    for problem in (
        f"рядок 2, {where}: «12 500,505»: Після коми — не більше двох цифр (копійки).",
        f"рядок 3, {where}: Найбільша сума на одну заявку — 50\u00a0000,00\u00a0грн; "
        "ви ввели 50\u00a0000,01\u00a0грн.",
        f"рядок 4, {where}: запитувану суму не вказано, а конкурс має фонд",
    ):
        assert f"<li>{problem}</li>" in job.replace("&nbsp;", "\u00a0"), (problem, job)
    assert _requested(app) == []


def test_the_command_line_reads_the_amounts_of_an_excel_file(app, runner, fund_contest, tmp_path):
    rows = [["number", "organisation", "kind", "edrpou", "oblast", "community", "email"]]
    rows[0] += ["title", "requested"]
    for applicant, amount in zip(APPLICANTS, AMOUNTS, strict=True):
        rows.append(
            ["", applicant.organisation, applicant.kind, applicant.edrpou, applicant.oblast]
            + [applicant.community, applicant.email, applicant.title, amount]
        )
    path = tmp_path / "zayavky.csv"
    path.write_bytes(excel_1251(rows))
    result = runner.invoke(args=["import-applications", SLUG, str(path)])
    assert result.exit_code == 0, result.output
    assert "Windows-1251" in result.output
    assert [amount for _number, amount in _requested(app)] == [
        Decimal("12500.50"),
        Decimal("48000.00"),
        Decimal("7000.50"),
    ]


def test_the_applications_list_downloads_with_the_amount_as_a_number(app, client, fund_contest):
    token, _job = _upload_and_check(client, excel_1251(_form_rows()))
    client.submit(f"/manage/imports/{token}/run")
    response = client.get(f"/manage/contests/{SLUG}/applications.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [cell.value for cell in sheet[1]]
    column = header.index("Requested")
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == [12500.5, 48000, 7000.5]
    assert all(cell.data_type == "n" for cell in cells)
    csv_text = client.get(f"/manage/contests/{SLUG}/applications.csv?excel=1").data.decode()
    assert ";12500,50;" in csv_text.replace("\u00a0", "").replace(" ", "")


def test_without_a_fund_no_column_is_taken_for_an_amount(app, client, build, organiser):
    build.contest(organisers=[organiser], stage=Stage.SCREENING, slug=SLUG, number_prefix="GH")
    response = client.submit(
        f"/manage/contests/{SLUG}/import/applications",
        {"file": (io.BytesIO(excel_1251(_form_rows())), "zayavky.csv")},
        content_type="multipart/form-data",
    )
    page = response.location[response.location.index("/manage/imports/") :]
    form = form_for(client.get(page).get_data(as_text=True), page, page)
    assert form.shown("column_9") == ""  # not imported: the contest has no fund
    (select,) = [f for f in form.fields if f["name"] == "column_9"]
    assert "requested" not in [value for value, _selected in select["options"]]
