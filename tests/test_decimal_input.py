"""Numbers as people write them in forms (issue 13): «7,5» and «7.5» are both read on the
server, every score and amount input is a text input with the decimal keypad (a
``type="number"`` input refuses «7,5» in some browsers and sends nothing), and values are
shown with a decimal comma in Ukrainian and a point in English."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Conflict, Contest, Criterion, Role, Stage

from ._judging import judged_contest, set_sheet, stored_scores

JUROR = "juror@example.org"
ORGANISER = "organiser@example.org"
INPUT = re.compile(r"<input\b[^>]*>", re.S)


def _input(page: str, name: str) -> str:
    tag = next((t for t in INPUT.findall(page) if f'name="{name}"' in t), None)
    assert tag, f"no input named {name}"
    return tag


@pytest.fixture
def scoring(app, build, client):
    """A juror signed in (Ukrainian interface) before a sheet with criteria of half points."""
    juror = build.user(Role.JUROR, email=JUROR)
    judged = judged_contest(app, build, [juror], count=1)
    with app.app_context():
        for criterion in db.session.scalars(select(Criterion)):
            criterion.step = Decimal("0.5")
        db.session.commit()
    number = judged.numbers[0]
    set_sheet(app, juror, number, conflict=Conflict.NONE)
    client.login(JUROR)
    return judged, juror, number


def test_the_scoresheet_takes_a_decimal_comma_and_a_point_without_javascript(app, client, scoring):
    judged, juror, number = scoring
    c = judged.criteria
    page = client.get(judged.url(number)).get_data(as_text=True)
    assert 'type="number"' not in page
    for code in ("C1", "C2", "C3"):
        tag = _input(page, f"points_{c[code]}")
        assert 'type="text"' in tag and 'inputmode="decimal"' in tag
    response = client.submit(
        judged.url(number),
        {
            f"points_{c['C1']}": "7,5",
            f"points_{c['C2']}": "7.5",
            f"points_{c['C3']}": " 4,5 ",
            "overall_comment": "",
            "save": "1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert {k: v for k, (v, _comment) in stored_scores(app, juror, number).items()} == {
        c["C1"]: Decimal("7.5"),
        c["C2"]: Decimal("7.5"),
        c["C3"]: Decimal("4.5"),
    }
    page = client.get(judged.url(number)).get_data(as_text=True)
    assert 'value="7,5"' in _input(page, f"points_{c['C1']}")
    assert 'value="4,5"' in _input(page, f"points_{c['C3']}")
    assert '<span id="total">23,25</span>' in page  # 7.5 + 1.5 × 7.5 + 4.5
    client.submit("/language", {"language": "en", "next": "/"})
    page = client.get(judged.url(number)).get_data(as_text=True)
    assert 'value="7.5"' in _input(page, f"points_{c['C1']}")


def test_background_saves_read_both_marks_and_answer_in_the_interface_language(
    app, client, scoring
):
    judged, juror, number = scoring
    c = judged.criteria
    page = client.get(judged.url(number)).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(
        judged.url(number, "/autosave"),
        json={"points": {str(c["C1"]): "7,5", str(c["C3"]): "2.5"}},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["total"] == "10"
    response = client.post(
        judged.url(number, "/autosave"),
        json={"points": {str(c["C2"]): "7,25"}},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 422
    error = response.get_json()["errors"][f"points_{c['C2']}"]
    assert "0,5" in error and "7,5" in error  # the step and the example, with a comma
    assert stored_scores(app, juror, number)[c["C1"]][0] == Decimal("7.5")


def test_contest_settings_and_criteria_take_a_decimal_comma(app, client, build):
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    contest_id = build.contest(organisers=[organiser], slug="uchast", stage=Stage.DRAFT)
    client.login(ORGANISER)
    page = client.get("/manage/contests/uchast/edit").get_data(as_text=True)
    for name in ("divergence_threshold", "min_total"):
        tag = _input(page, name)
        assert 'type="text"' in tag and 'inputmode="decimal"' in tag
    assert 'value="0,3"' in _input(page, "divergence_threshold")

    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        criterion_id = contest.criteria[1].id
    form_page = client.get(f"/manage/contests/uchast/criteria/{criterion_id}/edit")
    form_page = form_page.get_data(as_text=True)
    for name in ("max_points", "weight", "min_points"):
        tag = _input(form_page, name)
        assert 'type="text"' in tag and 'inputmode="decimal"' in tag
    assert 'value="1,5"' in _input(form_page, "weight")
    response = client.submit(
        f"/manage/contests/uchast/criteria/{criterion_id}/edit",
        {
            "code": "C2",
            "title_uk": "Залучення мешканців",
            "max_points": "12,5",
            "weight": "1.25",
            "step": "0.5",
            "min_points": "2,5",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        criterion = db.session.get(Criterion, criterion_id)
        assert (criterion.max_points, criterion.weight, criterion.min_points) == (
            Decimal("12.5"),
            Decimal("1.25"),
            Decimal("2.5"),
        )
    form_page = client.get(f"/manage/contests/uchast/criteria/{criterion_id}/edit")
    form_page = form_page.get_data(as_text=True)
    assert 'value="12,5"' in _input(form_page, "max_points")
    assert 'value="1,25"' in _input(form_page, "weight")
