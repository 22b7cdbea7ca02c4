"""Grants through the command line (SPEC §9, §12): the contest document carries the fund,
the applications file the amounts requested, and ``rank`` the fund, what was awarded and
what is left, in JSON, CSV and the table. Every amount that cannot be taken is refused
with its line (or its JSON path) and why, and nothing is imported."""

import csv
import io
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import Application, Category, Contest, Stage

from ._money import (
    APPLICANTS,
    DOCUMENT,
    NUMBERS,
    SLUG,
    applications_csv,
    grant_contest,
)

NBSP = "\u00a0"


@pytest.fixture
def grants(app, runner, build, tmp_path):
    return grant_contest(app, runner, build, tmp_path)


def _rank(runner, output="json"):
    result = runner.invoke(args=["rank", SLUG, "--format", output])
    assert result.exit_code == 0, result.output
    return result.output


# rank ---------------------------------------------------------------------------------


def test_rank_json_carries_the_fund_and_the_amounts_of_every_row(runner, grants):
    document = json.loads(_rank(runner))
    assert list(document) == [
        "contest",
        "winners",
        "fund",
        "awarded_total",
        "fund_left",
        "ranking",
        "not_ranked",
    ]
    assert (document["fund"], document["awarded_total"], document["fund_left"]) == (
        "100000.00",
        "90000.50",
        "9999.50",
    )
    rows = {row["number"]: row for row in document["ranking"]}
    assert [(rows[n]["requested"], rows[n]["awarded"], rows[n]["winner"]) for n in NUMBERS] == [
        ("60000.00", "60000.00", True),
        ("50000.00", None, False),  # 40 000 left when the walk passes it
        ("45000.50", None, False),
        ("30000.50", "30000.50", True),  # a smaller request further down still wins
        ("20000.00", None, False),  # 9 999,50 left
    ]
    assert rows[NUMBERS[1]]["note"] == (
        f"пропущено: запит на 50{NBSP}000,00{NBSP}грн не вміщається в залишок фонду "
        f"40{NBSP}000,00{NBSP}грн"
    )


def test_rank_csv_carries_the_amounts_and_the_funds_totals(runner, grants):
    rows = list(csv.DictReader(io.StringIO(_rank(runner, "csv"))))
    assert list(rows[0])[4:7] == ["score", "requested", "awarded"]
    assert list(rows[0])[-3:] == ["fund", "awarded_total", "fund_left"]
    assert [(r["number"], r["requested"], r["awarded"]) for r in rows] == [
        ("GR-2026-001", "60000.00", "60000.00"),
        ("GR-2026-002", "50000.00", ""),
        ("GR-2026-003", "45000.50", ""),
        ("GR-2026-004", "30000.50", "30000.50"),
        ("GR-2026-005", "20000.00", ""),
    ]
    assert {(r["fund"], r["awarded_total"], r["fund_left"]) for r in rows} == {
        ("100000.00", "90000.50", "9999.50")
    }


def test_rank_csv_for_excel_carries_the_amounts_with_decimal_commas(runner, grants):
    result = runner.invoke(args=["rank", SLUG, "--excel"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("\ufeff")  # the byte-order mark Excel needs
    rows = list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff")), delimiter=";"))
    assert list(rows[0])[4:7] == ["score", "requested", "awarded"]
    assert list(rows[0])[-3:] == ["fund", "awarded_total", "fund_left"]
    assert [(r["number"], r["requested"], r["awarded"]) for r in rows] == [
        ("GR-2026-001", "60000,00", "60000,00"),
        ("GR-2026-002", "50000,00", ""),
        ("GR-2026-003", "45000,50", ""),
        ("GR-2026-004", "30000,50", "30000,50"),
        ("GR-2026-005", "20000,00", ""),
    ]
    assert {(r["fund"], r["awarded_total"], r["fund_left"]) for r in rows} == {
        ("100000,00", "90000,50", "9999,50")
    }


def test_rank_table_says_what_is_left_of_the_fund(runner, grants):
    lines = _rank(runner, "table").splitlines()
    assert lines[0] == (
        f"Фонд: 100{NBSP}000,00{NBSP}грн; надано: 90{NBSP}000,50{NBSP}грн; "
        f"залишок: 9{NBSP}999,50{NBSP}грн."
    )
    assert "Запитано" in lines[1] and "Надано" in lines[1]
    second = next(line for line in lines if line.startswith("2 "))
    assert "50000.00" in second and "—" in second and "пропущено" in second


def test_without_a_fund_rank_has_no_amounts(runner, app, tmp_path, build):
    document = {k: v for k, v in DOCUMENT.items() if k not in ("fund", "max_request")}
    grant_contest(app, runner, build, tmp_path, document=document)
    ranked = json.loads(_rank(runner))
    assert "fund" not in ranked and "requested" not in ranked["ranking"][0]
    assert [r["winner"] for r in ranked["ranking"]] == [True] * 5


# The contest document ---------------------------------------------------------------


def test_export_writes_the_fund_and_an_import_reads_it_back(runner, app, grants, tmp_path):
    exported = json.loads(runner.invoke(args=["export-contest", SLUG]).output)
    assert (exported["fund"], exported["max_request"]) == ("100000.00", "60000.00")
    exported["slug"] = "granty-2027"
    exported["number_prefix"] = "GS"
    path = tmp_path / "again.json"
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(args=["import-contest", str(path)]).exit_code == 0
    with app.app_context():
        copy = db.session.scalar(select(Contest).where(Contest.slug == "granty-2027"))
        assert (copy.fund, copy.max_request) == (Decimal("100000.00"), Decimal("60000.00"))
    again = json.loads(runner.invoke(args=["export-contest", "granty-2027"]).output)
    assert again == exported


def test_categories_carry_funds_of_their_own(runner, app, tmp_path):
    document = {
        **{k: v for k, v in DOCUMENT.items() if k not in ("fund", "max_request")},
        "categories": [
            {"code": "ngo", "title": {"uk": "ГО"}, "winners": 3, "fund": "50000.00"},
            {
                "code": "community",
                "title": {"uk": "Громади"},
                "winners": 2,
                "fund": 300000,
                "max_request": "150000.5",
            },
            {"code": "youth", "title": {"uk": "Молодь"}, "winners": 1},
        ],
    }
    path = tmp_path / "categories.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import-contest", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        funds = db.session.execute(
            select(Category.code, Category.fund, Category.max_request).order_by(Category.position)
        ).all()
    assert funds == [
        ("ngo", Decimal("50000.00"), None),
        ("community", Decimal("300000.00"), Decimal("150000.50")),
        ("youth", None, None),
    ]
    exported = json.loads(runner.invoke(args=["export-contest", SLUG]).output)
    assert "fund" in exported and exported["fund"] is None  # with categories: per category
    assert [(c["fund"], c["max_request"]) for c in exported["categories"]] == [
        ("50000.00", None),
        ("300000.00", "150000.50"),
        (None, None),
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fund": "сто тисяч"}, "fund: має бути сумою в гривнях, записаною рядком"),
        ({"fund": "100000,00"}, "fund: має бути сумою в гривнях, записаною рядком"),
        ({"fund": "-5"}, "fund: має бути сумою в гривнях"),
        ({"fund": 0}, "fund: має бути більшим за 0"),
        ({"fund": "10.001"}, "fund: має бути сумою в гривнях"),
        ({"fund": "9" * 400}, "fund: має бути сумою в гривнях"),
        ({"fund": True}, "fund: має бути сумою в гривнях"),
        ({"max_request": "100000.01"}, "max_request: Найбільша сума на одну заявку не може"),
        ({"fund": None}, "max_request: Укажіть і фонд"),
        (
            {"categories": [{"code": "ngo", "title": {"uk": "ГО"}, "winners": 1}]},
            "fund: конкурс має категорії",
        ),
    ],
)
def test_a_document_with_amounts_that_cannot_be_taken_is_refused(
    runner, app, tmp_path, changes, message
):
    document = {**DOCUMENT, **changes}
    path = tmp_path / "contest.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import-contest", str(path)])
    assert result.exit_code == 1
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contest)) == 0


def test_a_json_number_with_hundreds_of_digits_is_refused_not_computed(runner, app, tmp_path):
    path = tmp_path / "contest.json"
    text = json.dumps(DOCUMENT, ensure_ascii=False).replace('"100000.00"', "1e400", 1)
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["import-contest", str(path)])
    assert result.exit_code == 1
    assert "fund: має бути більшим за 0 і не більшим за 999999999999.99" in result.output, (
        result.output
    )


# The applications file ----------------------------------------------------------------


@pytest.fixture
def open_contest(app, runner, tmp_path):
    """The grant contest's document imported, in screening, without applications yet."""
    path = tmp_path / "contest.json"
    path.write_text(json.dumps(DOCUMENT, ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(args=["import-contest", str(path)]).exit_code == 0
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
        contest.stage = Stage.SCREENING
        db.session.commit()
        return contest.id


def _import(runner, tmp_path, text: str):
    path = tmp_path / "applications.csv"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["import-applications", SLUG, str(path)])


def _stored(app) -> dict:
    with app.app_context():
        return dict(db.session.execute(select(Application.number, Application.requested)).all())


def test_amounts_are_read_as_people_write_them(runner, app, tmp_path, open_contest):
    result = _import(runner, tmp_path, applications_csv())
    assert result.exit_code == 0, result.output
    assert _stored(app) == {
        "GR-2026-001": Decimal("60000.00"),
        "GR-2026-002": Decimal("50000.00"),
        "GR-2026-003": Decimal("45000.50"),
        "GR-2026-004": Decimal("30000.50"),
        "GR-2026-005": Decimal("20000.00"),
    }


def test_a_decimal_comma_in_quotes_is_read_in_a_file_separated_by_commas(
    runner, app, tmp_path, open_contest
):
    text = applications_csv(APPLICANTS[:1]).replace(";", ",").replace("60 000,00", '"48 000,50"')
    result = _import(runner, tmp_path, text)
    assert result.exit_code == 0, result.output
    assert _stored(app) == {"GR-2026-001": Decimal("48000.50")}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("60 000,01", "Найбільша сума на одну заявку — 60 000,00 грн; ви ввели 60 000,01 грн."),
        ("-5", "Введіть суму, більшу за 0."),
        ("0", "Введіть суму, більшу за 0."),
        ("100,123", "Після коми — не більше двох цифр (копійки)."),
        ("9" * 400, "Введіть суму не більше ніж 999 999 999 999,99 грн."),
        ("1e999999", "Введіть суму в гривнях, наприклад 48 000,00."),  # not as people write
        ("１２３", "Введіть суму в гривнях"),  # full-width digits are not read as 123
        ("сто гривень", "Введіть суму в гривнях, наприклад 48 000,00."),
        ("12 50", "Введіть суму в гривнях"),  # spaces separate thousands only
        ("", "запитувану суму не вказано, а конкурс має фонд"),
    ],
)
def test_an_amount_that_cannot_be_taken_is_refused_with_its_line(
    runner, app, tmp_path, open_contest, typed, message
):
    rows = [APPLICANTS[0], (*APPLICANTS[1][:3], typed, 9)]
    result = _import(runner, tmp_path, applications_csv(rows))
    assert result.exit_code == 1
    shown = result.output.replace(NBSP, " ")
    assert f"рядок 3, стовпець I «requested»: {message}" in shown.replace(f"«{typed}»: ", ""), (
        result.output
    )
    assert _stored(app) == {}


def test_a_decimal_comma_unquoted_in_a_file_separated_by_commas_is_refused_with_its_column(
    runner, app, tmp_path, open_contest
):
    text = applications_csv(APPLICANTS[:1]).replace(";", ",").replace("60 000,00", "48000,50")
    result = _import(runner, tmp_path, text)
    assert result.exit_code == 1
    assert "рядок 2, стовпець I «requested»: «48000,50» не можна" in result.output, result.output
    assert _stored(app) == {}


def test_the_column_is_required_with_a_fund_and_refused_without_one(
    runner, app, tmp_path, open_contest
):
    without = applications_csv(APPLICANTS[:1], amounts=False)
    result = _import(runner, tmp_path, without)
    assert result.exit_code == 1 and "бракує стовпця «requested»" in result.output, result.output
    with app.app_context():
        db.session.get(Contest, open_contest).fund = None
        db.session.get(Contest, open_contest).max_request = None
        db.session.commit()
    result = _import(runner, tmp_path, applications_csv(APPLICANTS[:1]))
    assert result.exit_code == 1
    assert "рядок 1: конкурс не має фонду: вилучіть стовпець «requested»" in result.output
    assert _import(runner, tmp_path, without).exit_code == 0
    assert _stored(app) == {"GR-2026-001": None}
