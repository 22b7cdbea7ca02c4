"""Jurors score their assignments: fair order, conflicts first, scoresheets, submission."""

import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from scoring import models
from scoring.extensions import db
from scoring.judging.operations import fair_order_key
from scoring.models import (
    Application,
    Attachment,
    Conflict,
    Contest,
    Organisation,
    Role,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from ._databases import counted
from ._judging import (
    PDF,
    audit_entries,
    autosave,
    judged_contest,
    page_csrf,
    set_sheet,
    sheet_row,
    stored_scores,
)

JUROR = "juror@example.org"
OTHER = "other.juror@example.org"


@pytest.fixture
def juror(signed_in):
    """The signed-in juror's id; the interface is switched to English."""
    return signed_in(Role.JUROR, JUROR, name="Олена Суддя")


@pytest.fixture
def judged(app, build, juror):
    other = build.user(Role.JUROR, email=OTHER)
    return judged_contest(app, build, [juror, other])


def _declared(app, judged, juror, number=None):
    number = number or judged.numbers[0]
    set_sheet(app, juror, number, conflict=Conflict.NONE)
    return number


# Navigation and the assignments list ------------------------------------------------


def test_the_menu_leads_a_juror_to_the_assignments_of_the_contest_being_judged(client, judged):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/judging"' in home and "Scoring" in home
    response = client.get("/judging")
    assert response.status_code == 302
    assert response.headers["Location"] == judged.url()
    listing = client.get("/judging?all=1").get_data(as_text=True)
    assert f'href="{judged.url()}"' in listing


def test_with_two_contests_in_judging_the_juror_chooses_one(app, build, client, juror, judged):
    second = judged_contest(app, build, [juror], slug="second-2026", count=1)
    page = client.get("/judging").get_data(as_text=True)
    assert f'href="{judged.url()}"' in page and f'href="{second.url()}"' in page


def test_other_roles_get_403_and_jurors_outside_the_jury_404(app, build, client, judged):
    outsider = build.user(Role.JUROR, email="outsider@example.org")
    organiser = build.user(Role.ORGANISER, email="org@example.org")
    assert outsider and organiser
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    client.login("org@example.org")
    assert client.get(judged.url()).status_code == 403
    assert client.get(judged.url(judged.numbers[0])).status_code == 403
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    client.login("outsider@example.org")
    assert client.get(judged.url()).status_code == 404
    assert client.get(judged.url(judged.numbers[0])).status_code == 404
    assert client.get("/judging/no-such-contest").status_code == 404


def test_assignments_come_in_each_jurors_own_stable_order(app, build, client, juror):
    other = build.user(Role.JUROR, email=OTHER)
    judged = judged_contest(app, build, [juror, other], count=12)

    def order(c) -> list[str]:
        page = c.get(judged.url()).get_data(as_text=True)
        listed = page.partition('<ol class="list-group assignments">')[2].partition("</ol>")[0]
        return re.findall(r'href="/judging/[^/]+/(UCH-[0-9-]+)"', listed)

    mine = order(client)
    assert sorted(mine) == sorted(judged.numbers)
    assert order(client) == mine  # the same on every visit
    assert mine != sorted(mine)  # not by number
    with app.app_context():
        ids = {n: i for n, i in zip(judged.numbers, _application_ids(judged), strict=True)}
    assert mine == sorted(
        judged.numbers, key=lambda n: fair_order_key(judged.contest_id, juror, ids[n])
    )
    second = app.test_client()
    second.login(OTHER)
    theirs = order(second)
    assert sorted(theirs) == sorted(mine) and theirs != mine


def _application_ids(judged):
    return [
        db.session.scalar(select(Application.id).where(Application.number == n))
        for n in judged.numbers
    ]


def test_the_list_shows_each_state_and_the_progress(app, build, client, juror):
    judged = judged_contest(app, build, [juror], count=4)
    c = judged.criteria
    first, second, third, _fourth = judged.numbers
    set_sheet(
        app, juror, first, state=SheetState.SUBMITTED, points={c["C1"]: 5, c["C2"]: 5, c["C3"]: 2}
    )
    set_sheet(app, juror, second, points={c["C1"]: 4})
    set_sheet(app, juror, third, conflict=Conflict.RECUSED, declaration="Родич")
    page = client.get(judged.url()).get_data(as_text=True)
    states = dict(
        re.findall(
            r'data-status="(\w+)">\s*<div class="text-break">\s*'
            r"(?:<a[^>]*>|<span[^>]*>)(UCH-[0-9-]+)",
            page,
        )
    )
    assert sorted(states) == ["draft", "not_started", "recused", "submitted"]
    assert states == {
        "submitted": first,
        "draft": second,
        "recused": third,
        "not_started": judged.numbers[3],
    }
    assert "Submitted 1 of 3" in page  # a recusal is not expected to be scored
    assert '<progress class="judging-progress" value="1" max="3"' in page
    for label in ("Submitted: 1", "Drafts: 1", "Not started: 1", "Recused: 1"):
        assert label in page
    assert f'href="{judged.url(third)}"' not in page  # a recused application has no link
    assert "Criteria scored: 1" in page
    assert "style=" not in page


def test_the_list_and_the_scoresheet_query_in_bulk(app, build, client, juror):
    small = judged_contest(app, build, [juror], count=2, slug="small-2026")
    large = judged_contest(app, build, [juror], count=25, slug="large-2026")
    for judged in (small, large):
        for number in judged.numbers:
            set_sheet(app, juror, number, points={judged.criteria["C1"]: 3})
    counts = {}
    for judged in (small, large):
        client.get(judged.url())  # warm up the session
        with counted(app) as queries:
            assert client.get(judged.url()).status_code == 200
        # The sheet's first view renders it (later ones may come from the page cache).
        with counted(app) as sheet_queries:
            assert client.get(judged.url(judged.numbers[-1])).status_code == 200
        counts[judged.slug] = (queries[0], sheet_queries[0])
    assert counts["small-2026"] == counts["large-2026"], counts
    assert counts["large-2026"][0] <= 6 and counts["large-2026"][1] > 3, counts


# Conflict of interest first ---------------------------------------------------------


def test_the_conflict_step_comes_before_the_content(app, client, juror, judged):
    number = judged.numbers[0]
    page = client.get(judged.url(number)).get_data(as_text=True)
    assert "I have no conflict of interest with this applicant" in page
    assert number in page and "Проєкт участі 1" in page
    assert "ГО «Таємниця uchast-2026 1»" in page  # who applied, the contest is not blind
    assert "Прихована міська громада 1" in page and "Donetsk Oblast" in page
    assert "Відкриті слухання" not in page  # the answers wait for the declaration
    assert "Статут ГО" not in page and "/attachments/" not in page
    assert 'name="points_' not in page
    with app.app_context():
        attachment_id = _attachment_id(number)
    assert client.get(judged.url(number, f"/attachments/{attachment_id}")).status_code == 404
    token = page_csrf(client, judged.url(number))
    refused = autosave(client, judged, number, {"points": {str(judged.criteria["C1"]): "5"}}, token)
    assert refused.status_code == 409
    assert stored_scores(app, juror, number) == {}

    response = client.submit(judged.url(number, "/no-conflict"))
    assert response.status_code == 302 and response.headers["Location"] == judged.url(number)
    page = client.get(judged.url(number)).get_data(as_text=True)
    assert "Відкриті слухання, частина 1." in page
    assert 'name="points_' in page
    assert sheet_row(app, juror, number).conflict == Conflict.NONE
    (entry,) = audit_entries(app, "conflict.declared_none")
    assert entry.actor_id == juror and entry.details["proposed"] == []


def _attachment_id(number):
    return db.session.scalar(
        select(Attachment.id).join(Application).where(Application.number == number)
    )


POKROVSK_DNIPRO = "UA12080090000039979"  # Покровська міська, Дніпропетровська область
POKROVSK_DONETSK = "UA14160210000011148"  # Покровська міська, Донецька область


def test_the_system_proposes_conflicts_it_knows_of(app, build, client, juror):
    judged = judged_contest(
        app, build, [juror], count=2, conflict_same_oblast=True, conflict_same_community=True
    )
    first, second = judged.numbers
    with app.app_context():
        own = db.session.scalar(
            select(Organisation.id).where(Organisation.name == "ГО «Таємниця uchast-2026 1»")
        )
        # As submitted: the first from Покровська міська of Dnipropetrovsk oblast, the
        # second from its namesake of Donetsk oblast (KATOTTG codes differ).
        places = (("UA-12", POKROVSK_DNIPRO), ("UA-14", POKROVSK_DONETSK))
        for number, (oblast, code) in zip(judged.numbers, places, strict=True):
            application = db.session.scalar(select(Application).where(Application.number == number))
            application.applicant_oblast = oblast
            application.applicant_community = "Покровська міська територіальна громада"
            application.applicant_community_code = code
        user = db.session.get(User, juror)
        user.organisation_id = own
        user.oblast = "UA-14"
        user.community = "м. Покровськ"  # free text, as a person writes it: never compared
        user.community_code = POKROVSK_DONETSK
        db.session.commit()
    page = client.get(judged.url(first)).get_data(as_text=True)
    assert "You belong to the applicant organisation." in page
    assert "same oblast" not in page
    assert "same community" not in page  # the same name, another oblast's hromada
    page = client.get(judged.url(second)).get_data(as_text=True)
    assert "You belong to the applicant organisation." not in page
    assert "You are from the same community as the applicant." in page
    client.submit(judged.url(second, "/no-conflict"))
    (entry,) = audit_entries(app, "conflict.declared_none")
    assert entry.details["proposed"] == ["oblast", "community"]


def test_a_juror_who_recuses_never_sees_the_application_again(app, client, juror, judged):
    number = judged.numbers[0]
    page = client.submit(judged.url(number, "/recuse"), {"declaration": "  "}).get_data(
        as_text=True
    )
    assert 'id="declaration-errors"' in page and "Describe the conflict of interest" in page
    assert sheet_row(app, juror, number).conflict == Conflict.UNDECLARED

    response = client.submit(
        judged.url(number, "/recuse"), {"declaration": "Я член правління цієї ГО."}
    )
    assert response.status_code == 302 and response.headers["Location"] == judged.url()
    sheet = sheet_row(app, juror, number)
    assert sheet.conflict == Conflict.RECUSED and sheet.declaration == "Я член правління цієї ГО."
    (entry,) = audit_entries(app, "conflict.recused")
    assert entry.actor_id == juror and entry.reason == "Я член правління цієї ГО."
    with app.app_context():
        attachment_id = _attachment_id(number)
    for url in (
        judged.url(number),
        judged.url(number, "/submit"),
        judged.url(number, "/recuse"),
        judged.url(number, f"/attachments/{attachment_id}"),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Відкриті слухання" not in response.get_data(as_text=True)
    token = page_csrf(client, judged.url())
    assert (
        client.post(judged.url(number, "/no-conflict"), data={"csrf_token": token}).status_code
        == 404
    )
    assert autosave(client, judged, number, {"points": {}}, token).status_code == 404
    listing = client.get(judged.url()).get_data(as_text=True)
    assert re.search(
        rf'data-status="recused">\s*<div class="text-break">\s*<span[^>]*>{number}', listing
    )


def test_a_juror_can_recuse_after_reading_while_the_sheet_is_a_draft(app, client, juror, judged):
    number = _declared(app, judged, juror)
    page = client.get(judged.url(number)).get_data(as_text=True)
    assert f'href="{judged.url(number, "/recuse")}"' in page
    assert client.get(judged.url(number, "/recuse")).status_code == 200
    client.submit(judged.url(number, "/recuse"), {"declaration": "Згадав(ла) спільний проєкт."})
    assert sheet_row(app, juror, number).conflict == Conflict.RECUSED
    assert client.get(judged.url(number)).status_code == 404


def test_an_application_not_assigned_to_the_juror_answers_404(app, build, client, juror):
    other = build.user(Role.JUROR, email=OTHER)
    judged = judged_contest(app, build, [juror, other], assigned=[other], count=1)
    number = judged.numbers[0]
    assert client.get(judged.url(number)).status_code == 404
    assert client.get(judged.url("UCH-2026-999")).status_code == 404
    token = page_csrf(client, judged.url())
    assert autosave(client, judged, number, {"points": {}}, token).status_code == 404
    assert (
        client.post(judged.url(number, "/no-conflict"), data={"csrf_token": token}).status_code
        == 404
    )


# Scores -------------------------------------------------------------------------------


def test_scores_save_in_the_background_and_the_total_follows(app, client, juror, judged):
    number = _declared(app, judged, juror)
    c = judged.criteria
    page = client.get(judged.url(number)).get_data(as_text=True)
    for code, maximum in (("C1", "10"), ("C2", "10"), ("C3", "5")):
        # A text input with the decimal keypad: type="number" refuses «4,5» in Chromium.
        field = re.search(rf'<input type="text"[^>]*id="points_{c[code]}"[^>]*>', page, re.S)
        assert field, code
        tag = field.group(0)
        assert f'data-max="{maximum}"' in tag and 'inputmode="decimal"' in tag
        assert f'<label class="form-label fw-semibold mb-1" for="points_{c[code]}">' in page
    assert "of 30 possible" in page  # 10 + 1.5 × 10 + 5
    assert re.search(r'<script src="/static/js/scoresheet\.[0-9a-f]{12}\.js"></script>', page)

    token = page_csrf(client, judged.url(number))
    response = autosave(
        client,
        judged,
        number,
        {
            "points": {str(c["C1"]): "7", str(c["C2"]): 6, str(c["C3"]): "4,5"},
            "comments": {str(c["C1"]): "Добре"},
        },
        token,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["errors"] == {} and body["total"] == "20.5" and body["scored"] == 3
    assert stored_scores(app, juror, number) == {
        c["C1"]: (Decimal("7"), "Добре"),
        c["C2"]: (Decimal("6"), ""),
        c["C3"]: (Decimal("4.5"), ""),
    }
    # A save with one field leaves the others as they are.
    response = autosave(client, judged, number, {"overall_comment": "Сильна заявка"}, token)
    assert response.status_code == 200
    assert stored_scores(app, juror, number)[c["C1"]] == (Decimal("7"), "Добре")
    page = client.get(judged.url(number)).get_data(as_text=True)
    assert '<span id="total">20.5</span>' in page and "Сильна заявка" in page


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("C1", "11", "C1 «Актуальність»: enter a number of points from 0 to 10."),
        ("C1", "-1", "C1 «Актуальність»: enter a number of points from 0 to 10."),
        ("C1", "7.5", "C1 «Актуальність»: enter a whole number of points"),
        ("C3", "2.25", "C3 «Soundness of the budget»: points go in steps of 0.5"),
        ("C3", "5.5", "C3 «Soundness of the budget»: enter a number of points from 0 to 5."),
        ("C1", "NaN", "enter a number of points"),
        ("C1", "1e1", "enter a number of points"),
        ("C1", "сім", "enter a number of points"),
    ],
)
def test_a_score_out_of_range_or_off_step_is_refused_with_a_clear_message(
    app, client, juror, judged, code, value, message
):
    number = _declared(app, judged, juror)
    c = judged.criteria
    token = page_csrf(client, judged.url(number))
    response = autosave(
        client, judged, number, {"points": {str(c[code]): value, str(c["C2"]): "8"}}, token
    )
    assert response.status_code == 422
    body = response.get_json()
    assert message in body["errors"][f"points_{c[code]}"]
    assert body["saved"] == [f"points_{c['C2']}"]
    assert stored_scores(app, juror, number) == {c["C2"]: (Decimal("8"), "")}  # the valid one


def test_without_javascript_the_form_saves_and_names_a_wrong_score_beside_its_field(
    app, client, juror, judged
):
    number = _declared(app, judged, juror)
    c = judged.criteria
    form = {
        f"points_{c['C1']}": "12",
        f"points_{c['C2']}": "9",
        f"points_{c['C3']}": "",
        f"comment_{c['C2']}": "Залучено ВПО",
        "overall_comment": "",
        "save": "Save",
    }
    response = client.submit(judged.url(number), form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    errors = page[page.index(f'id="points_{c["C1"]}-errors"') :]
    assert "C1 «Актуальність»: enter a number of points from 0 to 10." in errors[:300]
    assert f'href="#points_{c["C1"]}"' in page  # in the summary at the top
    assert stored_scores(app, juror, number) == {c["C2"]: (Decimal("9"), "Залучено ВПО")}
    form[f"points_{c['C1']}"] = "10"
    response = client.submit(judged.url(number), form)
    assert response.status_code == 302 and response.headers["Location"] == judged.url(number)
    assert stored_scores(app, juror, number)[c["C1"]] == (Decimal("10"), "")


def test_comments_have_a_sane_length(app, client, juror, judged):
    number = _declared(app, judged, juror)
    c = judged.criteria
    token = page_csrf(client, judged.url(number))
    response = autosave(client, judged, number, {"comments": {str(c["C1"]): "я" * 5001}}, token)
    assert response.status_code == 422
    assert "at most 5000 characters" in response.get_json()["errors"][f"comment_{c['C1']}"]


def test_every_score_change_is_audited_without_personal_data(app, client, juror, judged):
    number = _declared(app, judged, juror)
    c = judged.criteria
    token = page_csrf(client, judged.url(number))
    autosave(
        client,
        judged,
        number,
        {"points": {str(c["C3"]): "3.5"}, "comments": {str(c["C3"]): "Секрет"}},
        token,
    )
    autosave(client, judged, number, {"points": {str(c["C3"]): "4"}}, token)
    autosave(client, judged, number, {"points": {str(c["C3"]): "4"}}, token)  # no change
    autosave(client, judged, number, {"points": {str(c["C3"]): ""}}, token)
    entries = audit_entries(app, "score.changed")
    assert [e.details for e in entries] == [
        {"criterion": c["C3"], "old": "", "new": "3.5"},
        {"criterion": c["C3"], "old": "3.5", "new": "4"},
        {"criterion": c["C3"], "old": "4", "new": ""},
    ]
    assert all(e.actor_id == juror and e.contest_id == judged.contest_id for e in entries)
    assert "Секрет" not in repr([(e.details, e.reason) for e in entries])


def test_the_autosave_needs_the_csrf_token_and_a_session(app, client, juror, judged):
    number = _declared(app, judged, juror)
    c = judged.criteria
    body = {"points": {str(c["C1"]): "5"}}
    response = autosave(client, judged, number, body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf" and response.get_json()["csrf_token"]
    response = autosave(client, judged, number, body, "not-a-token")
    assert response.status_code == 400
    assert stored_scores(app, juror, number) == {}

    token = page_csrf(client, judged.url(number))
    client.post("/logout", data={"csrf_token": token})
    response = autosave(client, judged, number, body, token)
    assert response.status_code == 401
    assert response.is_json and response.get_json()["error"] == "login"
    assert response.get_json()["login_url"] == "/login"
    # The session has ended completely (no cookie at all): still 401, not a CSRF error.
    fresh = app.test_client()
    assert autosave(fresh, judged, number, body, token).status_code == 401
    # Logged in again: the page's old token still works and the change arrives.
    client.login(JUROR)
    assert autosave(client, judged, number, body, token).status_code == 200
    assert stored_scores(app, juror, number)[c["C1"]] == (Decimal("5"), "")


def test_bad_json_is_refused_without_an_error_page(app, client, juror, judged):
    number = _declared(app, judged, juror)
    token = page_csrf(client, judged.url(number))
    for data in ("not json", "[1, 2]", '{"points": [1]}', '{"points": {"x": 1, "999999": "5"}}'):
        response = client.post(
            judged.url(number, "/autosave"),
            data=data,
            headers={"X-CSRFToken": token, "Content-Type": "application/json"},
        )
        assert response.status_code in (200, 400), data
        assert response.is_json
    assert stored_scores(app, juror, number) == {}


# Submission ---------------------------------------------------------------------------


def test_submitting_needs_every_criterion_and_a_confirmation(app, client, juror, judged):
    number = _declared(app, judged, juror)
    c = judged.criteria
    token = page_csrf(client, judged.url(number))
    autosave(client, judged, number, {"points": {str(c["C1"]): "8", str(c["C2"]): "7"}}, token)
    response = client.submit(
        judged.url(number),
        {f"points_{c['C1']}": "8", f"points_{c['C2']}": "7", "review": "Submit"},
    )
    assert response.headers["Location"] == judged.url(number, "/submit")
    page = client.get(judged.url(number, "/submit")).get_data(as_text=True)
    assert "Score every criterion before submitting" in page
    assert f'href="{judged.url(number)}#points_{c["C3"]}"' in page
    assert "Yes, submit the scoresheet" not in page
    response = client.submit(judged.url(number, "/submit"))
    assert response.status_code == 200
    assert "Not scored yet: C3" in response.get_data(as_text=True)
    assert sheet_row(app, juror, number).state == SheetState.DRAFT

    autosave(client, judged, number, {"points": {str(c["C3"]): "2.5"}}, token)
    page = client.get(judged.url(number, "/submit")).get_data(as_text=True)
    assert "Yes, submit the scoresheet" in page and "Total: 21 of 30 possible" in page
    response = client.submit(judged.url(number, "/submit"))
    # Back to the list, which proposes the next application to score after this one.
    assert response.status_code == 302
    assert response.headers["Location"] == judged.url() + f"?after={number}"
    sheet = sheet_row(app, juror, number)
    assert sheet.state == SheetState.SUBMITTED and sheet.submitted_at is not None
    (entry,) = audit_entries(app, "scoresheet.submitted")
    assert entry.actor_id == juror and entry.details["total"] == "21"


def test_a_submitted_sheet_is_read_only(app, client, juror, judged):
    number = judged.numbers[0]
    c = judged.criteria
    set_sheet(
        app,
        juror,
        number,
        state=SheetState.SUBMITTED,
        points={c["C1"]: "6", c["C2"]: "6", c["C3"]: "3"},
    )
    page = client.get(judged.url(number)).get_data(as_text=True)
    scores = page.split('id="scores-heading"')[1].split("<footer")[0]
    assert "<input" not in scores and "<textarea" not in scores and "<button" not in scores
    assert "data-readonly" in page and "data-autosave-url" not in page and "Submitted" in page
    token = page_csrf(client, judged.url(number))
    response = autosave(client, judged, number, {"points": {str(c["C1"]): "9"}}, token)
    assert response.status_code == 409 and "submitted" in response.get_json()["message"]
    response = client.submit(judged.url(number), {f"points_{c['C1']}": "9", "save": "Save"})
    assert response.status_code == 302
    assert client.get(judged.url(number, "/submit")).status_code == 302
    assert stored_scores(app, juror, number)[c["C1"]] == (Decimal("6"), "")
    assert audit_entries(app, "score.changed") == []


def test_after_judging_jurors_read_their_submitted_sheets_only(app, build, client, juror):
    judged = judged_contest(app, build, [juror], count=2, stage=Stage.DELIBERATION)
    c = judged.criteria
    done, draft = judged.numbers
    set_sheet(
        app, juror, done, state=SheetState.SUBMITTED, points={c["C1"]: 6, c["C2"]: 6, c["C3"]: 3}
    )
    set_sheet(app, juror, draft, points={c["C1"]: 2})
    listing = client.get(judged.url()).get_data(as_text=True)
    assert "Scoring is closed" in listing
    assert f'href="{judged.url(done)}"' in listing and f'href="{judged.url(draft)}"' not in listing
    assert client.get(judged.url(done)).status_code == 200
    # The draft is not a scoresheet any more: the page says why, and shows nothing else.
    closed = client.get(judged.url(draft))
    assert closed.status_code == 200
    text = closed.get_data(as_text=True)
    assert "was not submitted before scoring closed, so it does not count" in text
    assert 'name="points_' not in text and "Прихована" not in text
    token = page_csrf(client, judged.url())
    assert (
        autosave(client, judged, draft, {"points": {str(c["C1"]): "3"}}, token).status_code == 404
    )
    assert autosave(client, judged, done, {"points": {str(c["C1"]): "3"}}, token).status_code == 409


def test_a_contest_before_judging_has_no_jurors_pages(app, build, client, juror):
    judged = judged_contest(app, build, [juror], count=1, stage=Stage.SCREENING)
    assert client.get(judged.url()).status_code == 404
    assert client.get(judged.url(judged.numbers[0])).status_code == 404


# Secrecy ------------------------------------------------------------------------------


def test_a_juror_never_sees_another_jurors_scores(app, build, client, juror, judged):
    number = _declared(app, judged, juror)
    other = judged.jurors[1]
    c = judged.criteria
    set_sheet(
        app,
        other,
        number,
        state=SheetState.SUBMITTED,
        points={c["C1"]: "9", c["C2"]: "9", c["C3"]: "4.5"},
        comments={c["C1"]: "Коментар іншого члена журі"},
    )
    with app.app_context():
        db.session.execute(
            Scoresheet.__table__.update()
            .where(Scoresheet.juror_id == other)
            .values(overall_comment="Загальна думка іншого")
        )
        db.session.commit()
    for url in (judged.url(), judged.url(number), judged.url(number, "/submit")):
        page = client.get(url).get_data(as_text=True)
        assert "Коментар іншого члена журі" not in page, url
        assert "Загальна думка іншого" not in page, url
        assert "4.5" not in page and "4,5" not in page and "31.5" not in page, url
        assert 'value="9"' not in page, url


def test_a_blind_contest_hides_who_applied_everywhere(app, build, client, juror):
    judged = judged_contest(app, build, [juror], count=1, blind=True)
    number = judged.numbers[0]
    secrets = [
        "Таємниця",
        "Прихована міська громада",
        "Ганна Контактна",
        "applicant.example",
        "+38067",
        "Статут ГО",
        "Donetsk",
    ]
    pages = [client.get(judged.url()), client.get(judged.url(number))]
    client.submit(judged.url(number, "/no-conflict"))
    sheet = client.get(judged.url(number))
    pages += [
        sheet,
        client.get(judged.url(number, "/submit")),
        client.get(judged.url(number, "/recuse")),
    ]
    for response in pages:
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        for secret in secrets:
            assert secret not in page, (secret, response.request.path)
    page = sheet.get_data(as_text=True)
    assert f"File 1 (PDF, {len(PDF)} B)" in page
    with app.app_context():
        attachment_id = _attachment_id(number)
    download = client.get(judged.url(number, f"/attachments/{attachment_id}"))
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    disposition = download.headers["Content-Disposition"]
    assert disposition == f"attachment; filename={number}-1.pdf"
    headers = "\n".join(f"{k}: {v}" for k, v in download.headers.items())
    assert "Statut" not in headers and "%D0%A1%D1%82%D0%B0%D1%82%D1%83%D1%82" not in headers
    assert download.headers["Content-Type"] == "application/pdf"
    assert "no-store" in download.headers["Cache-Control"]


def test_an_open_contest_names_the_attachment_by_its_own_name(app, client, juror, judged):
    number = _declared(app, judged, juror)
    page = client.get(judged.url(number)).get_data(as_text=True)
    assert f"Статут ГО Таємниця 1.pdf (PDF, {len(PDF)} B)" in page
    with app.app_context():
        attachment_id = _attachment_id(number)
    download = client.get(judged.url(number, f"/attachments/{attachment_id}"))
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''%D0%A1%D1%82%D0%B0%D1%82%D1%83%D1%82"
        in download.headers["Content-Disposition"]
    )
    other_number = judged.numbers[1]
    _declared(app, judged, juror, other_number)
    # An attachment of another application is not reachable through this one.
    assert client.get(judged.url(other_number, f"/attachments/{attachment_id}")).status_code == 404


# Concurrency (SPEC §8) ------------------------------------------------------------------


def _run_threads(targets) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)


def test_two_devices_saving_one_sheet_at_once_lose_nothing(app, client, juror, judged):
    number = _declared(app, judged, juror)
    c = judged.criteria
    phone, laptop = app.test_client(), app.test_client()
    phone.login(JUROR)
    laptop.login(JUROR)
    tokens = {id(d): page_csrf(d, judged.url(number)) for d in (phone, laptop)}
    statuses: list[int] = []
    start = threading.Barrier(2)

    def typing(device, criterion, values):
        start.wait()
        for value in values:
            response = autosave(
                device,
                judged,
                number,
                {"points": {str(criterion): value}, "comments": {str(criterion): f"v{value}"}},
                tokens[id(device)],
            )
            statuses.append(response.status_code)

    _run_threads(
        [
            lambda: typing(phone, c["C1"], [str(i % 11) for i in range(20)] + ["7"]),
            lambda: typing(laptop, c["C3"], [str(i % 6) for i in range(20)] + ["4.5"]),
        ]
    )
    assert statuses == [200] * 42
    scores = stored_scores(app, juror, number)
    assert scores[c["C1"]] == (Decimal("7"), "v7")
    assert scores[c["C3"]] == (Decimal("4.5"), "v4.5")


def test_two_devices_saving_the_same_new_score_at_once_get_no_error(app, juror, judged):
    # Both find no score for C2 and create it: without the sheet's row lock, PostgreSQL
    # would refuse the second insert.
    number = _declared(app, judged, juror)
    c = judged.criteria
    devices = [app.test_client() for _ in range(2)]
    for device in devices:
        device.login(JUROR)
    tokens = [page_csrf(device, judged.url(number)) for device in devices]
    statuses: list[int] = []
    start = threading.Barrier(2)

    def save(device, token, value):
        start.wait()
        body = {"points": {str(c["C2"]): value}}
        statuses.append(autosave(device, judged, number, body, token).status_code)

    _run_threads(
        [lambda: save(devices[0], tokens[0], "3"), lambda: save(devices[1], tokens[1], "4")]
    )
    assert statuses == [200, 200]
    assert stored_scores(app, juror, number)[c["C2"]][0] in (Decimal(3), Decimal(4))
    assert len(audit_entries(app, "score.changed")) == 2


def test_a_save_waits_while_another_transaction_holds_the_sheet(app, juror, judged):
    number = _declared(app, judged, juror)
    c = judged.criteria
    device = app.test_client()
    device.login(JUROR)
    token = page_csrf(device, judged.url(number))
    statuses: list[int] = []
    sheet_id = sheet_row(app, juror, number).id
    with app.app_context():
        # SQLite: a write transaction (BEGIN IMMEDIATE); PostgreSQL: the row's lock.
        with db.engine.begin() as other:
            other.execute(select(Scoresheet).where(Scoresheet.id == sheet_id).with_for_update())
            other.execute(
                Scoresheet.__table__.update()
                .where(Scoresheet.id == sheet_id)
                .values(overall_comment="з іншого пристрою")
            )
            thread = threading.Thread(
                target=lambda: statuses.append(
                    autosave(
                        device, judged, number, {"points": {str(c["C1"]): "6"}}, token
                    ).status_code
                )
            )
            thread.start()
            thread.join(timeout=1)
            assert thread.is_alive() and statuses == []  # waiting, not failing
        thread.join(timeout=30)
    assert statuses == [200]
    assert stored_scores(app, juror, number)[c["C1"]] == (Decimal(6), "")
    assert sheet_row(app, juror, number).overall_comment == "з іншого пристрою"


def test_fifty_jurors_saving_at_once_see_no_error(app, build, client, juror, monkeypatch):
    # Cheap password hashes for the arrange step: fifty scrypt hashes and checks take 20 s.
    monkeypatch.setattr(
        models, "generate_password_hash", lambda p: generate_password_hash(p, "pbkdf2:sha256:1")
    )
    emails = [f"juror{i:02d}@jury.example" for i in range(50)]
    jurors = [build.user(Role.JUROR, email=e) for e in emails]
    judged = judged_contest(app, build, jurors, count=1)
    number = judged.numbers[0]
    c = judged.criteria
    devices = []
    for i, email in enumerate(emails):
        set_sheet(app, jurors[i], number, conflict=Conflict.NONE)
        device = app.test_client()
        device.login(email)
        devices.append((device, page_csrf(device, judged.url(number)), i))
    results: list[int] = []
    start = threading.Barrier(len(devices))

    def save(device, token, i):
        start.wait()
        body = {"points": {str(c["C1"]): str(i % 11), str(c["C3"]): "2.5"}}
        results.append(autosave(device, judged, number, body, token).status_code)

    _run_threads([lambda d=d, t=t, i=i: save(d, t, i) for d, t, i in devices])
    assert results == [200] * 50
    for i, juror_id in enumerate(jurors):
        scores = stored_scores(app, juror_id, number)
        assert scores[c["C1"]][0] == Decimal(i % 11) and scores[c["C3"]][0] == Decimal("2.5")
    assert len(audit_entries(app, "score.changed")) == 100  # two scores from each juror


def test_a_juror_says_where_they_are_from_and_conflicts_follow_the_katottg_code(
    app, build, client, juror
):
    judged = judged_contest(app, build, [juror], count=2, conflict_same_community=True)
    first, second = judged.numbers
    with app.app_context():
        for number, (oblast, code) in zip(
            judged.numbers, (("UA-12", POKROVSK_DNIPRO), ("UA-14", POKROVSK_DONETSK)), strict=True
        ):
            application = db.session.scalar(select(Application).where(Application.number == number))
            application.applicant_oblast, application.applicant_community_code = oblast, code
        db.session.commit()
    page = client.get("/account").get_data(as_text=True)
    assert 'name="oblast"' in page and 'name="community"' in page
    response = client.submit(
        "/account",
        {
            "name": "Олена Суддя",
            "language": "en",
            "oblast": "UA-12",
            "community": POKROVSK_DONETSK,  # a hromada of another oblast: refused
        },
    )
    assert "choose the community again" in response.get_data(as_text=True)
    response = client.submit(
        "/account",
        {"name": "Олена Суддя", "language": "en", "oblast": "UA-14", "community": POKROVSK_DONETSK},
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, juror)
        assert (user.oblast, user.community_code, user.community) == (
            "UA-14",
            POKROVSK_DONETSK,
            "Покровська міська територіальна громада",
        )
    assert "same community" not in client.get(judged.url(first)).get_data(as_text=True)
    assert "You are from the same community as the applicant." in client.get(
        judged.url(second)
    ).get_data(as_text=True)
    # Left empty, nothing is proposed from it.
    client.submit(
        "/account", {"name": "Олена Суддя", "language": "en", "oblast": "", "community": ""}
    )
    with app.app_context():
        assert db.session.get(User, juror).community_code is None


def test_a_save_waiting_while_scoring_closes_is_refused_after_it(app, juror, judged):
    """An organiser's move to the deliberation and a juror's save at the same moment: the
    save waits for the move and is then refused; it never lands after the scoring closed
    (PostgreSQL: the contest's row; SQLite: the write lock)."""
    number = _declared(app, judged, juror)
    c = judged.criteria
    device = app.test_client()
    device.login(JUROR)
    token = page_csrf(device, judged.url(number))
    statuses: list[int] = []
    with app.app_context():
        with db.engine.begin() as other:  # the move, not yet committed
            other.execute(
                Contest.__table__.update()
                .where(Contest.id == judged.contest_id)
                .values(stage=Stage.DELIBERATION)
            )
            thread = threading.Thread(
                target=lambda: statuses.append(
                    autosave(
                        device, judged, number, {"points": {str(c["C1"]): "6"}}, token
                    ).status_code
                )
            )
            thread.start()
            thread.join(timeout=1)
            assert thread.is_alive() and statuses == []  # waiting for the move
        thread.join(timeout=30)
    assert statuses in ([404], [409])  # no such sheet to save, or scoring closed
    assert c["C1"] not in stored_scores(app, juror, number)
