"""Grants from deliberation to publication (SPEC §12): the ranking page shows what each
application requested and was awarded and what is left of the fund after each row; the
commission funds one skipped application partly (refused beside its field when it does
not fit, audited, revocable); the public page, its API, the exports and the documents
show the amounts once the results are published, and nothing of them before.

The contest is ``tests/_money.py``'s: a fund of 100 000, requests of 60 000, 50 000,
45 000,50, 30 000,50 and 20 000 scored 10 to 6; the first and the fourth are funded.
"""

import csv
import io
import json

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from scoring import background, ranking
from scoring.extensions import db, mailer
from scoring.i18n import long_date
from scoring.models import Application, AuditEntry, Contest, Decision, Stage, User
from scoring.results import deliberation

from ._bad_input import form_for
from ._money import APPLICANTS, NUMBERS, ORGANISER, SLUG, grant_contest
from ._shown import results_tables, shows, visible_text
from .conftest import PASSWORD
from .test_documents import read

RANKING = f"/manage/contests/{SLUG}/ranking"
NBSP = "\u00a0"


@pytest.fixture
def deliberating(app, runner, build, tmp_path, client):
    """The grant contest in deliberation, its organiser signed in."""
    grants = grant_contest(app, runner, build, tmp_path)
    client.login(ORGANISER)
    assert client.change_stage(SLUG, "deliberation").status_code == 302
    return grants


def _table(client) -> tuple[str, dict]:
    """The ranking table's caption and its rows by number: (requested, awarded, left,
    result); the result closes the «flags and result» cell, after the notes."""
    (caption, rows), *_stability = results_tables(
        client.get(RANKING).get_data(as_text=True), "Номер"
    )
    return caption, {
        row["Номер"]: (
            row["Запитано"],
            row["Надано"],
            row["Залишок фонду"],
            _result(row["Позначки й результат"]),
        )
        for row in rows
    }


def _result(cell: str) -> str:
    return next((word for word in ("Переможець", "не вирішено") if cell.endswith(word)), "")


def _award(client, number, amount, reason="Голосування: 5 — за, 0 — проти."):
    return client.submit(
        f"/manage/contests/{SLUG}/awards/{number}", {"amount": amount, "reason": reason}
    )


def _field_error(response, field: str) -> str:
    page = response.get_data(as_text=True).replace(NBSP, " ")
    marker = f'id="{field}-errors"'
    assert marker in page, page[:2000]
    return page.split(marker, 1)[1].split("</div>\n", 1)[0]


def test_the_ranking_shows_requested_awarded_and_the_running_balance(client, deliberating):
    caption, rows = _table(client)
    assert "Фонд 100 000,00 грн: надано 90 000,50 грн, залишок 9 999,50 грн." in caption
    assert rows == {
        NUMBERS[0]: ("60 000,00 грн", "60 000,00 грн", "40 000,00 грн", "Переможець"),
        NUMBERS[1]: ("50 000,00 грн", "—", "40 000,00 грн", ""),
        NUMBERS[2]: ("45 000,50 грн", "—", "40 000,00 грн", ""),
        NUMBERS[3]: ("30 000,50 грн", "30 000,50 грн", "9 999,50 грн", "Переможець"),
        NUMBERS[4]: ("20 000,00 грн", "—", "9 999,50 грн", ""),
    }
    page = client.get(RANKING).get_data(as_text=True)
    assert "пропущено: запит на 50 000,00 грн не вміщається в залишок фонду 40 000,00 грн" in (
        page.replace(NBSP, " ")
    )
    # Both jurors scored alike and there is one criterion: nothing changes the funded set.
    assert 'id="funds-stability">Ті самі заявки отримують ті самі суми за кожної з 4 змін.' in page
    # Only the skipped applications can be funded in part.
    assert f"/awards/{NUMBERS[1]}" in page and f"/awards/{NUMBERS[0]}" not in page


def test_the_commission_funds_one_application_partly(app, client, deliberating):
    url = f"/manage/contests/{SLUG}/awards/{NUMBERS[1]}"
    page = client.get(url).get_data(as_text=True).replace(NBSP, " ")
    assert 'id="limit">40 000,00 грн<' in page and "50 000,00 грн" in page
    # Refused beside the field, nothing recorded.
    over = _award(client, NUMBERS[1], "40 000,01")
    assert over.status_code == 200
    assert (
        "Комісія може надати не більше, ніж залишається у фонді, коли рейтинг доходить до "
        "цієї заявки: 40 000,00 грн."
    ) in _field_error(over, "amount")
    assert "Введіть суму в гривнях" in _field_error(_award(client, NUMBERS[1], "багато"), "amount")
    assert _award(client, NUMBERS[1], "35 000", reason="").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Decision.id)) is None
    # Recorded, audited, shown.
    recorded = _award(client, NUMBERS[1], "35 000,00")
    assert recorded.status_code == 302
    with app.app_context():
        decision = db.session.scalars(select(Decision)).one()
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "decision.partial")
        ).one()
        assert entry.reason == "Голосування: 5 — за, 0 — проти."
        assert (entry.details["amount"], entry.details["requested"], entry.details["left"]) == (
            "35000.00",
            "50000.00",
            "40000.00",
        )
        decision_id = decision.id
    caption, rows = _table(client)
    assert "надано 95 000,00 грн, залишок 5 000,00 грн" in caption
    assert rows[NUMBERS[1]] == ("50 000,00 грн", "35 000,00 грн", "5 000,00 грн", "Переможець")
    assert rows[NUMBERS[3]][1:] == ("—", "5 000,00 грн", "")  # 30 000,50 no longer fits
    page = client.get(RANKING).get_data(as_text=True).replace(NBSP, " ")
    assert f"Профінансовано частково: {NUMBERS[1]}, 35 000,00 грн" in page
    # One partial award per fund: the next one is refused.
    second = _award(client, NUMBERS[3], "5 000")
    assert second.status_code == 200
    assert "категорії вже є часткове фінансування" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Decision.id)).all() == [decision_id]
    # Revoked: the walk is as before.
    revoke = f"/manage/contests/{SLUG}/decisions/{decision_id}/revoke"
    assert client.submit(revoke, {"reason": "Помилка секретаря."}).status_code == 302
    assert _table(client)[1][NUMBERS[3]][1] == "30 000,50 грн"
    with app.app_context():
        revoked = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "decision.revoked")
        ).one()
        assert revoked.details["amount"] == "35000.00"


def test_a_winner_cannot_be_funded_in_part_and_neither_outside_deliberation(
    app, client, deliberating
):
    page = client.get(f"/manage/contests/{SLUG}/awards/{NUMBERS[0]}").get_data(as_text=True)
    assert "не можна профінансувати частково" in page and 'name="amount"' not in page
    refused = _award(client, NUMBERS[0], "1000")
    assert refused.status_code == 200
    assert client.get(f"/manage/contests/{SLUG}/awards/GR-2026-999").status_code == 404
    assert client.change_stage(SLUG, "judging", "Повторне оцінювання").status_code == 302
    closed = _award(client, NUMBERS[1], "1000")
    assert closed.status_code == 200
    assert "під час обговорення" in closed.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Decision.id)) is None


def test_a_partial_award_while_the_results_are_published_waits_and_is_refused(
    app, client, deliberating
):
    """Funding in part and publishing at the same moment: the award waits for the
    publication and is then refused, so the published results never gain an award after
    the fact (PostgreSQL: the contest's row; SQLite: the write lock)."""
    import threading

    url = f"/manage/contests/{SLUG}/awards/{NUMBERS[1]}"
    token = client.csrf_token(url)
    data = {"csrf_token": token, "amount": "35 000,00", "reason": "Голосування: 5 — за."}
    responses = []
    with app.app_context():
        with db.engine.begin() as other:  # the publication, not yet committed
            other.execute(
                Contest.__table__.update()
                .where(Contest.id == deliberating.contest_id)
                .values(stage=Stage.PUBLISHED)
            )
            thread = threading.Thread(target=lambda: responses.append(client.post(url, data=data)))
            thread.start()
            thread.join(timeout=1)
            assert thread.is_alive() and responses == []  # waiting for the publication
        thread.join(timeout=30)
    assert responses[0].status_code == 200
    assert "під час обговорення" in responses[0].get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Decision.id)) is None
        assert (
            db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "decision.partial"))
            is None
        )


def test_amounts_reach_the_public_only_when_published(app, client, deliberating):
    anonymous = app.test_client()
    assert anonymous.get(f"/api/contests/{SLUG}/results").status_code == 404
    assert anonymous.get(f"/contests/{SLUG}/results").status_code == 404
    assert _award(client, NUMBERS[1], "35 000,00").status_code == 302
    published = client.change_stage(SLUG, "published")
    assert published.status_code == 302, published.get_data(as_text=True)[:2000]

    document = anonymous.get(f"/api/contests/{SLUG}/results").get_json()
    assert (document["fund"], document["awarded_total"], document["fund_left"]) == (
        "100000.00",
        "95000.00",
        "5000.00",
    )
    amounts = {row["number"]: (row["requested"], row["awarded"]) for row in document["ranking"]}
    assert amounts == {
        NUMBERS[0]: ("60000.00", "60000.00"),
        NUMBERS[1]: ("50000.00", "35000.00"),
        NUMBERS[2]: ("45000.50", None),
        NUMBERS[3]: ("30000.50", None),
        NUMBERS[4]: ("20000.00", None),
    }
    page = anonymous.get(f"/contests/{SLUG}/results").get_data(as_text=True)
    text = page.replace(NBSP, " ")
    assert "35 000,00 грн" in text and "60 000,00 грн" in text and "5 000,00 грн" in text
    assert "Голосування: 5 — за, 0 — проти." in page  # the reasons of the partial award


def test_the_exports_carry_the_amounts(client, deliberating):
    rows = list(csv.DictReader(io.StringIO(client.get(f"{RANKING}.csv").get_data(as_text=True))))
    amounts = {row["Номер"]: row for row in rows}
    assert {n: (r["Запитано"], r["Надано"], r["Залишок фонду"]) for n, r in amounts.items()} == {
        NUMBERS[0]: ("60000.00", "60000.00", "40000.00"),
        NUMBERS[1]: ("50000.00", "", "40000.00"),
        NUMBERS[2]: ("45000.50", "", "40000.00"),
        NUMBERS[3]: ("30000.50", "30000.50", "9999.50"),
        NUMBERS[4]: ("20000.00", "", "9999.50"),
    }
    workbook = visible_text(client.get(f"{RANKING}.xlsx"))
    assert "30000.5" in workbook and "45000.5" in workbook


def test_the_documents_show_the_amounts_and_what_is_left(app, client, deliberating):
    assert _award(client, NUMBERS[1], "35 000,00").status_code == 302
    assert client.change_stage(SLUG, "published").status_code == 302
    fund_line = "Фонд 100 000,00 грн: надано 95 000,00 грн, залишок 5 000,00 грн."
    with app.test_request_context(), force_locale("uk"):  # the day it was decided, in Kyiv
        decided = long_date(
            db.session.scalar(select(Decision.decided_at).order_by(Decision.id.desc()).limit(1))
        )
    partial = (
        f"Рішення комісії ({decided}): заявку GR-2026-002 ГО «Друга», що запитувала "
        "50 000,00 грн, профінансовано частково — 35 000,00 грн із залишку фонду."
    )
    announcement = read(client.get(f"/contests/{SLUG}/results.pdf"))
    for words in (
        "Бал Надано, грн",
        "1 ГО «Перша» GR-2026-001",
        "10,00 60 000,00 2 ГО «Друга»",
        fund_line,
        partial,
        "GR-2026-004 ГО «Четверта» Миколаївська область 7,00 30 000,50 —",
    ):
        assert words in announcement, (words, announcement.text)
    protocol = read(client.get(f"/manage/contests/{SLUG}/protocol.pdf"))
    for words in (
        fund_line,
        partial,
        "Причина: Голосування: 5 — за, 0 — проти.",
        "2 місце — GR-2026-002 (ГО «Друга»), бал 9,00, надано 35 000,00 грн.",
        "Надати гранти з фонду обсягом 100 000,00 грн: усього 95 000,00 грн; залишок — "
        "5 000,00 грн.",
    ):
        assert words in protocol, (words, protocol.text)
    diploma = read(client.get(f"/manage/contests/{SLUG}/certificates/{NUMBERS[1]}.pdf"))
    assert "2 місце надано грант: 35 000,00 грн" in diploma
    first = visible_text(client.get(f"/manage/contests/{SLUG}/certificates/{NUMBERS[0]}.pdf"))
    assert shows(first, "надано грант: 60 000,00 грн")
    # The API's JSON, as a machine reads it, is the same document the CLI prints.
    api = json.loads(app.test_client().get(f"/api/contests/{SLUG}/results").get_data())
    assert api["fund_left"] == "5000.00"


# 60 000 at the top; 30 000 and 25 000 tie for the 40 000 left; 10 000 and 5 000 below.
EDGE = tuple(
    (name, oblast, community, requested, points)
    for (name, oblast, community, _requested, _points), requested, points in zip(
        APPLICANTS,
        ("60 000", "30 000", "25 000", "10 000", "5 000"),
        (10, 8, 8, 7, 6),
        strict=True,
    )
)


def test_a_tie_at_the_edge_of_the_fund_is_decided_then_its_loser_funded_in_part(
    app, runner, build, tmp_path, client
):
    grant_contest(app, runner, build, tmp_path, rows=EDGE)
    client.login(ORGANISER)
    assert client.change_stage(SLUG, "deliberation").status_code == 302
    page = client.get(RANKING).get_data(as_text=True).replace(NBSP, " ")
    assert "Залишок фонду: 40 000,00 грн; разом їхні запити в нього не вміщаються." in page
    _caption, rows = _table(client)
    # Below the tie, what is left depends on the decision: 10 000 and 5 000 wait too.
    assert [rows[n][3] for n in NUMBERS] == ["Переможець"] + ["не вирішено"] * 4
    with app.app_context():
        ids = dict(db.session.execute(select(Application.number, Application.id)).all())
    tie = f"/manage/contests/{SLUG}/ties/2"
    both = client.submit(
        tie, {"winners": [str(ids[NUMBERS[1]]), str(ids[NUMBERS[2]])], "reason": "Обидві."}
    )
    assert both.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Decision.id)) is None
    chosen = client.submit(
        tie, {"winners": [str(ids[NUMBERS[2]])], "reason": "Голосування: 4 проти 3."}
    )
    assert chosen.status_code == 302
    caption, rows = _table(client)
    assert "надано 100 000,00 грн, залишок 0,00 грн" in caption
    assert rows[NUMBERS[1]][1] == "—"  # 30 000 no longer fits in what 3 left
    assert rows[NUMBERS[2]][1:3] == ("25 000,00 грн", "15 000,00 грн")
    page = client.get(RANKING).get_data(as_text=True).replace(NBSP, " ")
    assert "запит на 30 000,00 грн не вміщається в залишок фонду 15 000,00 грн" in page
    assert rows[NUMBERS[3]][1] == "10 000,00 грн" and rows[NUMBERS[4]][1] == "5 000,00 грн"
    # The tie's loser can be funded in part from the 15 000 its winner left.
    page = client.get(f"/manage/contests/{SLUG}/awards/{NUMBERS[1]}").get_data(as_text=True)
    assert 'id="limit">15 000,00 грн<' in page.replace(NBSP, " ")
    assert _award(client, NUMBERS[1], "15 000").status_code == 302
    caption, rows = _table(client)
    assert rows[NUMBERS[1]][1] == "15 000,00 грн" and rows[NUMBERS[3]][1] == "—"
    assert "надано 100 000,00 грн, залишок 0,00 грн" in caption


def test_one_ranking_a_change_serves_the_amounts_of_the_page_and_the_exports(
    app, client, deliberating, monkeypatch
):
    """The ranking computed once per change (``loading._Kept``) carries the amounts: the
    page and the CSV read them from the same ranking, and a partial award, a change of
    the contest, ranks anew before either shows it."""
    computed = []
    rank_fitting = ranking.rank_fitting

    def counting(inputs):
        computed.append(inputs)
        return rank_fitting(inputs)

    monkeypatch.setattr(ranking, "rank_fitting", counting)
    monkeypatch.setattr(deliberation, "STABILITY_BUDGET", 0)  # its own rankings aside

    def export() -> dict:
        rows = csv.DictReader(io.StringIO(client.get(f"{RANKING}.csv").get_data(as_text=True)))
        return {row["Номер"]: (row["Надано"], row["Залишок фонду"]) for row in rows}

    assert _table(client)[1][NUMBERS[1]][1:3] == ("—", "40 000,00 грн")
    assert export()[NUMBERS[1]] == ("", "40000.00")
    assert len(computed) == 1 and computed[0].settings.fund is not None

    assert _award(client, NUMBERS[1], "35 000,00").status_code == 302
    awarded = len(computed)  # the award's own request ranks to check that it fits
    assert _table(client)[1][NUMBERS[1]][1:3] == ("35 000,00 грн", "5 000,00 грн")
    assert export()[NUMBERS[1]] == ("35000.00", "5000.00")
    assert len(computed) == awarded + 1


def test_the_applicants_data_file_holds_the_amount_and_the_partial_award_once_published(
    app, client, deliberating
):
    """The personal-data file holds what the applicant stated (the amount requested) and,
    once published, what the public page says of it: funded in part, with the amount."""
    with app.app_context():
        applicant = db.session.scalar(select(User).where(User.email == "ngo2@example.org"))
        applicant.set_password(PASSWORD)
        db.session.commit()
    own = app.test_client()
    own.login("ngo2@example.org")

    def held() -> dict:
        (application,) = own.get("/organisation/data.json").get_json()["applications"]
        return application

    assert held()["requested"] == "50000.00"
    assert _award(client, NUMBERS[1], "35 000,00").status_code == 302
    assert held()["decisions"] == []  # not before publication
    assert client.change_stage(SLUG, "published").status_code == 302
    (decision,) = held()["decisions"]
    assert (decision["kind"], decision["winner"], decision["amount"]) == (
        "partial",
        True,
        "35000.00",
    )
    assert decision["reason"] == "Голосування: 5 — за, 0 — проти."


def test_a_title_with_a_line_break_gives_the_results_email_a_one_line_subject(
    app, client, deliberating
):
    """A title with a line break goes into the subject of the results' e-mail. With a
    mail server, Flask-Mail refuses a subject with a line break (BadHeaderError, a 500
    after the publication is committed, the applicants not told): the subject is sent
    as one line. The settings form refuses such a title now; one stored before (or
    brought by another way) still gives a one-line subject."""
    url = f"/manage/contests/{SLUG}/edit"
    form = form_for(client.get(url).get_data(as_text=True), url, url)
    values = {**form.valid(), "title_uk": ["Гранти громадам\r\nBcc: evil@example.org"]}
    pairs = [(name, value) for name, many in values.items() for value in many]
    edited = client.post(url, data=MultiDict([("csrf_token", client.csrf_token(url)), *pairs]))
    assert edited.status_code == 200 and "одним рядком" in edited.get_data(as_text=True)
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
        contest.title_uk = "Гранти громадам\r\nBcc: evil@example.org"
        db.session.commit()
    app.config["MAIL_SERVER"] = "smtp.example.org"  # sent through Flask-Mail (suppressed)
    with mailer.record_messages() as sent:
        published = client.change_stage(SLUG, "published")
        background.join()  # the e-mails are sent in the background
    assert published.status_code == 302
    assert len(sent) == len(APPLICANTS)
    assert {message.subject for message in sent} == {
        "Результати конкурсу «Гранти громадам Bcc: evil@example.org» оприлюднено"
    }
