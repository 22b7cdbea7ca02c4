"""Grants in the browser's forms (SPEC §12): the organiser sets the fund and the largest
request of the contest (or of each category), the applicant states the amount requested
— as people write it, «48 000,50» — and sees it on the application's page, the receipt
and the e-mail. Every amount that cannot be taken is refused beside its field, and
nothing already saved changes."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from scoring.extensions import db
from scoring.models import Application, Category, Contest, Role, Stage

from ._bad_input import form_as_shown, form_for
from .test_documents import read

NBSP = "\u00a0"
ORGANISER = "organiser@example.org"
APPLICANT = "applicant@example.org"


def _shown(html: str) -> str:
    """The page's text as a reader compares it: non-breaking spaces as spaces."""
    return html.replace(NBSP, " ").replace("&nbsp;", " ")


# The organiser's set-up ------------------------------------------------------------------


@pytest.fixture
def organiser_contest(app, build, client):
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    contest_id = build.contest(
        organisers=[organiser], slug="granty", stage=Stage.DRAFT, organising_body="ГО «Хаб»"
    )
    client.login(ORGANISER)
    return contest_id


def _edit(client, **changes):
    """Send the contest's form as the page shows it, with ``changes`` typed in."""
    url = "/manage/contests/granty/edit"
    return client.post(url, data=form_as_shown(client, url, **changes))


def _grants(app, contest_id):
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        return contest.fund, contest.max_request


def test_the_organiser_sets_a_fund_and_the_largest_request(app, client, organiser_contest):
    response = _edit(client, fund="1 500 000,00", max_request="60000,5")
    assert response.status_code == 302, _shown(response.get_data(as_text=True))
    assert _grants(app, organiser_contest) == (Decimal("1500000.00"), Decimal("60000.50"))
    page = client.get("/manage/contests/granty/edit").get_data(as_text=True)
    assert 'value="1500000,00"' in page and 'value="60000,50"' in page
    assert 'inputmode="decimal"' in re.search(r'<input[^>]*name="fund"[^>]*>', page).group(0)
    dashboard = _shown(client.get("/manage/contests/granty").get_data(as_text=True))
    assert "1 500 000,00 грн" in dashboard and "60 000,50 грн" in dashboard
    assert client.get("/contests/granty").status_code == 404  # a draft is not public
    with app.app_context():
        db.session.get(Contest, organiser_contest).stage = Stage.OPEN
        db.session.commit()
    public = _shown(client.get("/contests/granty").get_data(as_text=True))
    assert "Фонд" in public and "1 500 000,00 грн" in public


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"fund": "сто тисяч"}, "fund", "Введіть суму в гривнях, наприклад 48 000,00."),
        ({"fund": "-100"}, "fund", "Введіть суму, більшу за 0."),
        ({"fund": "100,555"}, "fund", "Після коми — не більше двох цифр (копійки)."),
        ({"fund": "9" * 400}, "fund", "Введіть суму не більше ніж 999 999 999 999,99 грн."),
        ({"fund": "1e999999"}, "fund", "Введіть суму в гривнях, наприклад 48 000,00."),
        ({"fund": "１００"}, "fund", "Введіть суму в гривнях, наприклад 48 000,00."),
        (
            {"fund": "100 000", "max_request": "100 000,01"},
            "max_request",
            "Найбільша сума на одну заявку не може перевищувати фонд (100 000,00 грн).",
        ),
        ({"max_request": "5000"}, "max_request", "Укажіть і фонд"),
    ],
)
def test_amounts_that_cannot_be_taken_are_refused_beside_their_field(
    app, client, organiser_contest, changes, field, message
):
    response = _edit(client, **changes)
    assert response.status_code == 200
    page = _shown(response.get_data(as_text=True))
    errors = re.search(rf'id="{field}-errors"[^>]*>(.*?)</div>', page, re.S)
    assert errors and message in errors.group(1), page[:3000]
    assert _grants(app, organiser_contest) == (None, None)


def test_once_open_a_fund_is_neither_added_nor_removed_and_the_limit_only_grows(
    app, client, organiser_contest
):
    with app.app_context():
        contest = db.session.get(Contest, organiser_contest)
        contest.stage = Stage.OPEN
        db.session.commit()
    added = _shown(_edit(client, fund="100 000").get_data(as_text=True))
    assert "фонд не можна ні додати, ні прибрати" in added
    with app.app_context():
        contest = db.session.get(Contest, organiser_contest)
        contest.fund, contest.max_request = Decimal(100_000), Decimal(50_000)
        db.session.commit()
    lowered = _shown(_edit(client, fund="100000", max_request="40 000").get_data(as_text=True))
    assert "можна збільшити, але не зменшити" in lowered
    removed = _shown(_edit(client, fund="", max_request="").get_data(as_text=True))
    assert "фонд не можна ні додати, ні прибрати" in removed
    kept_limit = _shown(_edit(client, fund="", max_request="50000").get_data(as_text=True))
    assert "Укажіть і фонд" in kept_limit
    assert _grants(app, organiser_contest) == (Decimal(100_000), Decimal(50_000))
    assert _edit(client, fund="120 000", max_request="55 000").status_code == 302
    assert _grants(app, organiser_contest) == (Decimal(120_000), Decimal(55_000))


def test_after_publication_the_fund_is_frozen(app, client, organiser_contest):
    with app.app_context():
        contest = db.session.get(Contest, organiser_contest)
        contest.stage, contest.fund = Stage.PUBLISHED, Decimal(100_000)
        db.session.commit()
    page = _shown(_edit(client, fund="90 000").get_data(as_text=True))
    assert "Результати оприлюднено" in page
    assert _grants(app, organiser_contest) == (Decimal(100_000), None)


def test_a_fund_changed_while_the_results_are_published_waits_and_is_refused(
    app, client, organiser_contest
):
    """Changing the fund and publishing at the same moment: the edit waits for the
    publication and is then refused, so published amounts never change after the fact
    (PostgreSQL: the contest's row; SQLite: the write lock)."""
    import threading

    with app.app_context():
        contest = db.session.get(Contest, organiser_contest)
        contest.stage, contest.fund = Stage.DELIBERATION, Decimal(100_000)
        db.session.commit()
    url = "/manage/contests/granty/edit"
    form = form_for(client.get(url).get_data(as_text=True), url, url)
    values = {**form.valid(), "fund": ["90 000"]}
    data = MultiDict(
        [("csrf_token", client.csrf_token(url))]
        + [(name, value) for name, many in values.items() for value in many]
    )
    responses = []
    with app.app_context():
        with db.engine.begin() as other:  # the publication, not yet committed
            other.execute(
                Contest.__table__.update()
                .where(Contest.id == organiser_contest)
                .values(stage=Stage.PUBLISHED)
            )
            thread = threading.Thread(target=lambda: responses.append(client.post(url, data=data)))
            thread.start()
            thread.join(timeout=1)
            assert thread.is_alive() and responses == []  # waiting for the publication
        thread.join(timeout=30)
    assert responses[0].status_code == 200
    assert "Результати оприлюднено" in _shown(responses[0].get_data(as_text=True))
    assert _grants(app, organiser_contest) == (Decimal(100_000), None)


def test_with_categories_each_category_has_its_fund(app, client, organiser_contest):
    with app.app_context():
        contest = db.session.get(Contest, organiser_contest)
        contest.categories = [
            Category(code="ngo", title_uk="Громадські організації", winners=2, position=0),
            Category(code="community", title_uk="Громади", winners=1, position=1),
        ]
        db.session.commit()
        ids = {c.code: c.id for c in contest.categories}
    page = client.get("/manage/contests/granty/edit").get_data(as_text=True)
    assert 'name="fund"' not in page  # the contest's own fund gives way to the categories'
    assert "Фонд категорії «Громадські організації», грн" in page
    changes = {
        f"fund_{ids['ngo']}": "200 000",
        f"max_request_{ids['ngo']}": "50 000",
        f"fund_{ids['community']}": "",
        f"max_request_{ids['community']}": "10 000",
    }
    refused = _shown(_edit(client, **changes).get_data(as_text=True))
    assert re.search(
        rf'id="max_request_{ids["community"]}-errors"[^>]*>\s*<div>Укажіть і фонд', refused
    )
    changes[f"max_request_{ids['community']}"] = ""
    assert _edit(client, **changes).status_code == 302
    with app.app_context():
        funds = dict(db.session.execute(select(Category.code, Category.fund)).all())
        assert funds == {"ngo": Decimal(200_000), "community": None}
        assert db.session.get(Contest, organiser_contest).fund is None


# The applicant's form ---------------------------------------------------------------------


@pytest.fixture
def draft(app, build, client):
    """An applicant signed in before the draft of an open contest with a fund of 100 000
    (at most 60 000 each); the draft's page."""
    contest_id = build.contest(
        slug="granty", fund=Decimal(100_000), max_request=Decimal(60_000), number_prefix="GR"
    )
    build.applicant(email=APPLICANT)
    client.login(APPLICANT)
    response = client.submit("/contests/granty/apply")
    assert response.status_code == 302
    return response.location, contest_id


def _requested(app) -> Decimal | None:
    with app.app_context():
        return db.session.scalar(select(Application.requested))


def test_the_form_asks_for_the_amount_and_shows_the_limit(client, draft):
    url, _contest = draft
    page = _shown(client.get(url).get_data(as_text=True))
    field = re.search(r'<input[^>]*id="requested"[^>]*>', page, re.S).group(0)
    assert 'type="text"' in field and 'inputmode="decimal"' in field
    assert "Запитувана сума, грн" in page and "Не більше ніж 60 000,00 грн." in page


def test_the_amount_is_saved_as_typed_with_a_decimal_comma_and_spaces(app, client, draft):
    url, _contest = draft
    response = client.submit(url, {"action": "save", "title": "Парк", "requested": "48 000,50"})
    assert response.status_code == 302
    assert _requested(app) == Decimal("48000.50")
    assert 'value="48000,50"' in client.get(url).get_data(as_text=True)
    token = client.csrf_token(url)
    saved = client.post(
        f"{url}/autosave",
        json={"fields": {"requested": "48\u00a0000.5"}},
        headers={"X-CSRFToken": token},
    )
    assert saved.status_code == 200 and saved.get_json()["saved"] == ["requested"]
    assert _requested(app) == Decimal("48000.50")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("60 000,01", "Найбільша сума на одну заявку — 60 000,00 грн; ви ввели 60 000,01 грн."),
        ("-1", "Введіть суму, більшу за 0."),
        ("10,555", "Після коми — не більше двох цифр (копійки)."),
        ("9" * 400, "Введіть суму не більше ніж 999 999 999 999,99 грн."),
        ("сорок тисяч", "Введіть суму в гривнях, наприклад 48 000,00."),
        ("4 8000", "Введіть суму в гривнях, наприклад 48 000,00."),
        # Not how an amount is written: refused, not read as 10 000 or 20 000.
        ("1e4", "Введіть суму в гривнях, наприклад 48 000,00."),
        ("2,5E4", "Введіть суму в гривнях, наприклад 48 000,00."),
        ("20_000", "Введіть суму в гривнях, наприклад 48 000,00."),
    ],
)
def test_an_amount_that_cannot_be_taken_is_refused_and_the_saved_one_kept(
    app, client, draft, typed, message
):
    url, _contest = draft
    client.submit(url, {"action": "save", "title": "Парк", "requested": "20000"})
    response = client.submit(url, {"action": "save", "title": "Парк", "requested": typed})
    assert response.status_code == 200
    page = _shown(response.get_data(as_text=True))
    errors = re.search(r'id="requested-errors"[^>]*>(.*?)</div>\s*</div>', page, re.S).group(1)
    assert message in errors
    assert f'value="{typed}"' in page  # what was typed stays in the field
    assert _requested(app) == Decimal(20_000)
    token = client.csrf_token(url)
    autosaved = client.post(
        f"{url}/autosave", json={"fields": {"requested": typed}}, headers={"X-CSRFToken": token}
    )
    assert autosaved.status_code == 422
    assert message in autosaved.get_json()["errors"]["requested"].replace(NBSP, " ")
    assert _requested(app) == Decimal(20_000)


def test_no_amount_no_submission_then_the_receipt_shows_it(app, client, draft, outbox):
    url, _contest = draft
    refused = client.submit(url, {"action": "submit", "title": "Парк", "requested": ""})
    assert refused.status_code == 200
    assert "Укажіть запитувану суму в гривнях." in refused.get_data(as_text=True)
    submitted = client.submit(url, {"action": "submit", "title": "Парк", "requested": "48 000,50"})
    assert submitted.status_code == 302, _shown(submitted.get_data(as_text=True))[:2000]
    number = submitted.location.rsplit("/", 1)[1]
    page = _shown(client.get(f"/applications/{number}").get_data(as_text=True))
    assert re.search(r'id="requested">48 000,50 грн<', page)
    receipt = read(client.get(f"/applications/{number}/receipt.pdf"))
    assert "Запитувана сума 48 000,50 грн" in receipt
    (letter,) = [m for m in outbox() if APPLICANT in m["To"]]
    assert f"Запитувана сума: 48{NBSP}000,50{NBSP}грн" in letter.get_content()


def test_without_a_fund_the_form_asks_for_no_amount_and_keeps_none(app, build, client):
    build.contest(slug="bez-fondu")
    build.applicant(email=APPLICANT)
    client.login(APPLICANT)
    url = client.submit("/contests/bez-fondu/apply").location
    assert 'id="requested"' not in client.get(url).get_data(as_text=True)
    response = client.submit(url, {"action": "save", "title": "Парк", "requested": "5000"})
    assert response.status_code == 302
    assert _requested(app) is None
