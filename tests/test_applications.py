"""Applicants as they meet the system: the organisation, applying, drafts saved as one
types, submission against the deadline, registration numbers, withdrawal, access."""

import json
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scoring import clock
from scoring.extensions import db
from scoring.models import (
    Answer,
    Application,
    ApplicationState,
    AuditEntry,
    Conflict,
    Contest,
    Organisation,
    OrganisationKind,
    Role,
    User,
)

from ._applications import (
    KRAMATORSK,
    PDF,
    application_of,
    assign_juror,
    autosave,
    fill_in,
    question_ids,
    questions,
    start,
    submit,
    submitted_application,
)
from .conftest import PASSWORD

APPLICANT = "applicant@example.org"
ORGANISER = "org@example.org"
# 18:00 in Kyiv on 31 March 2026 (summer time, UTC+3).
CLOSES = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
OPENS = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)

PROFILE = {
    "kind": "ngo",
    "organisation_name": "ГО «Платформа участі Краматорська»",
    "edrpou": "14360570",
    "oblast": "UA-14",
    "community": KRAMATORSK,
    "status": "relocated",
    "contact_person": "Марина Руденко",
    "phone": "+380 67 123 45 67",
    "email": "contact@example.org",
}


def english(client):
    client.submit("/language", {"language": "en", "next": "/"})


def _audit_actions(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


@pytest.fixture
def organiser(build):
    return build.user(Role.ORGANISER, email=ORGANISER)


@pytest.fixture
def contest(build, organiser, clock_at):
    """An open contest of the eastern oblasts with a form of every kind of question."""
    clock_at(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    return build.contest(
        organisers=[organiser],
        slug="uchast-2026",
        title_uk="Успішна участь громади",
        number_prefix="UUG",
        oblasts=["UA-14", "UA-63"],
        opens_at=OPENS,
        closes_at=CLOSES,
        questions=questions(),
    )


@pytest.fixture
def applicant(build, signed_in):
    """A signed-in NGO from Kharkiv oblast, the interface in English; its user id."""
    organisation_id = build.organisation(kind=OrganisationKind.NGO, oblast="UA-63")
    return signed_in(Role.APPLICANT, APPLICANT, organisation_id=organisation_id)


# The organisation -------------------------------------------------------------------


def test_the_profile_keeps_a_community_chosen_from_its_oblasts_official_list(
    client, app, applicant
):
    page = client.get("/organisation").get_data(as_text=True)
    assert "Kharkiv Oblast" in page and 'name="community"' in page
    assert "Харківська міська територіальна громада" in page  # the saved oblast's list
    response = client.submit("/organisation", PROFILE)
    assert response.status_code == 302
    with app.app_context():
        organisation = db.session.get(User, applicant).organisation
        assert organisation.community_code == KRAMATORSK
        assert organisation.community == "Краматорська міська територіальна громада"
        assert organisation.oblast == "UA-14" and organisation.status.value == "relocated"
        assert organisation.email == "contact@example.org"
    page = client.get("/organisation").get_data(as_text=True)
    assert f'<option selected value="{KRAMATORSK}">' in page
    assert "organisation.updated" in _audit_actions(app)


def test_changing_the_oblast_without_javascript_asks_for_the_community_again(
    client, app, applicant
):
    client.submit("/organisation", PROFILE)
    # The oblast select now says Kharkiv, the community select still holds Kramatorsk.
    response = client.submit("/organisation", {**PROFILE, "oblast": "UA-63"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="community-errors"' in page
    assert "The list now shows the communities of Kharkiv Oblast" in page
    assert "Харківська міська територіальна громада" in page  # the new oblast's list
    assert "Краматорська" not in page.split('id="community"')[1].split("</select>")[0]
    assert 'value="ГО «Платформа участі Краматорська»"' in page  # nothing typed is lost
    with app.app_context():
        assert db.session.get(User, applicant).organisation.oblast == "UA-14"  # unchanged


def test_an_unknown_community_code_and_a_taken_edrpou_are_refused(client, app, build, applicant):
    page = client.submit("/organisation", {**PROFILE, "community": "UA00000000000000000"})
    assert "Choose the community from the list" in page.get_data(as_text=True)
    build.organisation(edrpou="14360570")
    page = client.submit("/organisation", PROFILE).get_data(as_text=True)
    assert 'id="edrpou-errors"' in page and "already registered" in page


def test_registration_refuses_a_community_of_another_oblast(client, app):
    english(client)
    form = {
        **PROFILE,
        "oblast": "UA-63",
        "email": "new@example.org",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "consent": "y",
    }
    page = client.submit("/register", form).get_data(as_text=True)
    assert 'id="community-errors"' in page and "Kharkiv Oblast" in page
    with app.app_context():
        assert db.session.scalar(select(Organisation)) is None
    response = client.submit("/register", {**form, "oblast": "UA-14"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Organisation.community_code)) == KRAMATORSK


def test_the_communities_of_an_oblast_come_as_cacheable_json(client):
    response = client.get("/communities/UA-14")
    assert response.status_code == 200
    assert "max-age=86400" in response.headers["Cache-Control"]
    assert {"code": KRAMATORSK, "name": "Краматорська міська територіальна громада"} in (
        response.get_json()
    )
    assert client.get("/communities/UA-99").status_code == 404
    assert client.get("/communities/%3Cscript%3E").status_code == 404


# Applying ---------------------------------------------------------------------------


def test_the_contest_page_counts_down_and_offers_to_apply(client, contest, build, clock_at):
    clock_at(CLOSES - timedelta(days=3, hours=5))
    english(client)
    page = client.get("/contests/uchast-2026").get_data(as_text=True)
    assert "3 days left" in page and re.search(r"js/countdown\.[0-9a-f]{12}\.js", page)
    assert "Log in" in page and "/contests/uchast-2026/apply" not in page
    build.applicant(email=APPLICANT, oblast="UA-14")
    client.login(APPLICANT)
    english(client)  # a signed-in user's own language setting wins over the session's
    page = client.get("/contests/uchast-2026").get_data(as_text=True)
    assert 'action="/contests/uchast-2026/apply"' in page
    clock_at(CLOSES - timedelta(hours=2, minutes=30))
    assert "2 hours left" in client.get("/contests/uchast-2026").get_data(as_text=True)
    clock_at(CLOSES - timedelta(seconds=30))
    assert "1 minute left" in client.get("/contests/uchast-2026").get_data(as_text=True)


@pytest.mark.parametrize(
    ("contest_fields", "organisation_fields", "reason"),
    [
        (
            {"applicant_kinds": ["community"]},
            {"kind": OrganisationKind.NGO},
            "This contest accepts applications from: territorial community. Your organisation "
            "is registered as: NGO.",
        ),
        (
            {"oblasts": ["UA-12", "UA-14"]},
            {"oblast": "UA-46"},
            "This contest is open to organisations of these oblasts: Dnipropetrovsk Oblast, "
            "Donetsk Oblast. Your organisation is in Lviv Oblast.",
        ),
        (
            {"closes_at": datetime(2026, 3, 9, 16, 0, tzinfo=UTC)},
            {},
            "Applications to this contest closed at March 9, 2026, 18:00 (Kyiv time).",
        ),
    ],
    ids=["kind", "oblast", "closed"],
)
def test_an_ineligible_applicant_is_told_exactly_why(
    client, app, build, clock_at, contest_fields, organisation_fields, reason
):
    clock_at(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    build.contest(slug="vidbir", **{"opens_at": OPENS, "closes_at": CLOSES, **contest_fields})
    build.applicant(email=APPLICANT, **organisation_fields)
    client.login(APPLICANT)
    english(client)
    page = client.get("/contests/vidbir").get_data(as_text=True)
    assert reason in page and 'action="/contests/vidbir/apply"' not in page
    response = client.submit("/contests/vidbir/apply", follow_redirects=True)
    assert reason in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Application)) is None


def test_applying_twice_opens_the_same_draft(client, app, contest, applicant):
    first = start(client)
    assert start(client) == first
    page = client.get("/contests/uchast-2026").get_data(as_text=True)
    assert f'href="/applications/draft/{first}"' in page
    with app.app_context():
        assert len(db.session.scalars(select(Application)).all()) == 1
    assert _audit_actions(app).count("application.started") == 1


def test_only_applicants_apply(client, build, contest):
    assert client.submit("/contests/uchast-2026/apply").status_code == 302  # to log in
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    assert client.submit("/contests/uchast-2026/apply").status_code == 403


# Drafts -----------------------------------------------------------------------------


def test_the_form_follows_the_contests_questions_in_order(client, app, contest, applicant):
    application_id = start(client)
    page = client.get(f"/applications/draft/{application_id}").get_data(as_text=True)
    labels = ["Summary", "Residents", "Web page", "Scale", "Decision of the executive committee"]
    positions = [page.index(label) for label in labels]
    assert positions == sorted(positions)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert 'value="local"' in page and re.search(r"js/autosave\.[0-9a-f]{12}\.js", page)
    assert 'name="csrf-token"' in page  # the header the script sends comes from here
    assert "21 days left" in page


def test_autosave_stores_fields_one_by_one_and_says_when(client, app, contest, applicant):
    application_id = start(client)
    names = question_ids(app, contest)
    response = autosave(client, application_id, {names["summary"]: "Перший рядок\r\nдругий"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["saved"] == [names["summary"]]
    assert body["message"] == "Saved at 11:00"  # 09:00 UTC is 11:00 in Kyiv in March
    assert autosave(client, application_id, {"title": "Школа"}).status_code == 200
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.title == "Школа"
        assert [a.value for a in application.answers] == ["Перший рядок\nдругий"]


def test_autosave_keeps_what_is_typed_loosely_but_refuses_absurd_sizes(
    client, app, contest, applicant
):
    application_id = start(client)
    names = question_ids(app, contest)
    response = autosave(
        client,
        application_id,
        {names["residents"]: "близько тисячі", "title": "x" * 301, "q-999999": "ignored"},
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["saved"] == [names["residents"]]
    assert "at most 300 characters" in body["errors"]["title"]
    with app.app_context():
        assert db.session.scalar(select(Answer.value)) == "близько тисячі"
    nul = autosave(client, application_id, {names["summary"]: "a\x00b"})
    assert nul.status_code == 200
    bad = autosave(client, application_id, {names["summary"]: ["not", "text"]})
    assert bad.status_code == 422
    for payload in ("not json", json.dumps([1, 2]), json.dumps({"fields": "x"})):
        response = client.post(
            f"/applications/draft/{application_id}/autosave",
            data=payload,
            content_type="application/json",
            headers={"X-CSRFToken": client.csrf_token()},
        )
        assert response.status_code == 400 and response.get_json()["error"] == "bad_request"


def test_autosave_needs_the_csrf_header_and_answers_json(client, app, contest, applicant):
    application_id = start(client)
    response = client.post(
        f"/applications/draft/{application_id}/autosave",
        data=json.dumps({"fields": {"title": "Без токена"}}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf"
    with app.app_context():
        assert db.session.get(Application, application_id).title == ""


def test_autosave_answers_401_json_without_a_session(client, app, contest, applicant):
    application_id = start(client)
    token = client.csrf_token()
    client.submit("/logout")
    response = autosave(client, application_id, {"title": "Після виходу"}, token=token)
    assert response.status_code == 401
    assert response.get_json()["error"] == "login"
    assert response.get_json()["login_url"] == "/login"
    assert client.get(f"/applications/draft/{application_id}/autosave").status_code == 401


def test_a_draft_survives_logging_out_and_in_and_a_refused_save_is_resent(
    client, app, contest, applicant
):
    application_id = start(client)
    names = question_ids(app, contest)
    saved = autosave(client, application_id, {names["summary"]: "Збережено до виходу"})
    assert saved.status_code == 200
    token = client.csrf_token()
    client.submit("/logout")
    assert autosave(client, application_id, {"title": "Набрано без сесії"}, token).status_code == (
        401
    )
    client.login(APPLICANT)
    # The script asks for a fresh token once the person has logged in again, then resends.
    fresh = client.get(f"/applications/draft/{application_id}/autosave").get_json()["csrf_token"]
    assert (
        autosave(client, application_id, {"title": "Набрано без сесії"}, fresh).status_code == 200
    )
    page = client.get(f"/applications/draft/{application_id}").get_data(as_text=True)
    assert "Збережено до виходу" in page and 'value="Набрано без сесії"' in page


def test_the_draft_saves_without_javascript(client, app, contest, applicant):
    application_id = start(client)
    names = question_ids(app, contest)
    response = client.submit(
        f"/applications/draft/{application_id}",
        {"action": "save", "title": "Без скриптів", names["residents"]: "12,5"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved at 11:00" in page
    assert 'value="Без скриптів"' in page and 'value="12,5"' in page


def test_another_organisations_draft_is_not_found(client, app, build, contest, applicant):
    application_id = start(client)
    client.submit("/logout")
    build.applicant(email="other@example.org", oblast="UA-14")
    client.login("other@example.org")
    assert client.get(f"/applications/draft/{application_id}").status_code == 404
    assert client.submit(
        f"/applications/draft/{application_id}", {"action": "save"}
    ).status_code == (404)
    assert autosave(client, application_id, {"title": "чуже"}).status_code == 404
    with app.app_context():
        assert db.session.get(Application, application_id).title == ""


# Submission -------------------------------------------------------------------------


def test_submission_lists_every_problem_at_once_linked_to_its_field(
    client, app, contest, applicant
):
    application_id = start(client)
    names = question_ids(app, contest)
    autosave(
        client,
        application_id,
        {names["summary"]: "ж" * 201, names["residents"]: "0", names["website"]: "example.org"},
    )
    response = submit(client, application_id)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    summary = page[page.index('id="error-summary"') : page.index("</ul>", page.index("summary"))]
    assert "Correct 6 problems" in summary
    for name in ("title", names["summary"], names["residents"], names["website"]):
        assert f'href="#{name}"' in summary
    assert f'href="#{names["scale"]}"' in summary and f'href="#{names["decision"]}"' in summary
    assert "Shorten the text to 200 characters (now 201)" in summary
    assert "Enter a number from 1 to 100000" in summary
    assert "http://" in summary and "Attach the file" in summary
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.state == ApplicationState.DRAFT and application.number is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        # Half-typed, Python's own notations, other scripts' digits: refused, not guessed.
        ("7,", "Enter a number, e.g. 1250 or 12.5."),
        (",5", "Enter a number, e.g. 1250 or 12.5."),
        ("1e3", "Enter a number, e.g. 1250 or 12.5."),
        ("1_000", "Enter a number, e.g. 1250 or 12.5."),
        ("\uff11\uff12\uff13", "Enter a number, e.g. 1250 or 12.5."),  # full-width 123
        ("\u0661\u0662", "Enter a number, e.g. 1250 or 12.5."),  # Arabic-Indic 12
        ("NaN", "Enter a number, e.g. 1250 or 12.5."),
        # A typographic minus is a minus: the number is read, and is below the range.
        ("\u22125", "Enter a number from 1 to 100000"),
        ("100 001", "Enter a number from 1 to 100000"),
    ],
)
def test_a_number_answer_is_read_as_people_write_numbers_and_nothing_else(
    client, app, contest, applicant, typed, message
):
    application_id = start(client)
    fill_in(client, app, contest, application_id)
    names = question_ids(app, contest)
    autosave(client, application_id, {names["residents"]: typed})
    response = submit(client, application_id)
    summary = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="#{names["residents"]}"' in summary and message in summary
    with app.app_context():
        assert db.session.get(Application, application_id).state == ApplicationState.DRAFT


def test_submission_numbers_the_application_and_mails_a_receipt(
    client, app, contest, applicant, outbox
):
    application_id = start(client)
    fill_in(client, app, contest, application_id)
    response = submit(client, application_id)
    assert response.status_code == 302
    assert response.headers["Location"] == "/applications/UUG-2026-001"
    page = client.get("/applications/UUG-2026-001").get_data(as_text=True)
    assert "Application UUG-2026-001" in page and "Школа активного мешканця" in page
    assert "March 10, 2026, 11:00" in page
    receipt = page.split('id="receipt-heading"')[1].split("</section>")[0]
    assert 'href="/applications/UUG-2026-001/receipt.pdf"' in receipt
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.state == ApplicationState.SUBMITTED
        assert application.serial == 1 and application.submitted_at == clock.now()
        assert db.session.get(Contest, contest).last_number == 1
        (attachment,) = application.attachments
        sha = attachment.sha256
    assert "application.submitted" in _audit_actions(app)
    (message,) = outbox()
    assert message["To"] == APPLICANT and "UUG-2026-001" in message["Subject"]
    body = message.get_content().replace("\r\n", "\n")
    assert "UUG-2026-001" in body and "March 10, 2026, 11:00" in body
    assert "- Summary: Навчаємо мешканців готувати проєкти.\n- Residents: 1 250\n" in body
    assert "- Scale: Community\n" in body  # the option as it reads, not its code
    assert "рішення.pdf" in body and sha in body and f"{len(PDF)} B" in body
    assert "http://127.0.0.1:5000/applications/UUG-2026-001" in body
    assert "The PDF receipt:\nhttp://127.0.0.1:5000/applications/UUG-2026-001/receipt.pdf\n" in body


def test_the_deadline_is_enforced_to_the_second_and_the_draft_stays(
    client, app, build, contest, applicant, clock_at
):
    application_id = start(client)
    fill_in(client, app, contest, application_id)
    clock_at(CLOSES)
    client.login(APPLICANT)  # three weeks after the first login: a new session
    page = submit(client, application_id).get_data(as_text=True)
    assert "The application was not submitted" in page
    assert "closed at March 31, 2026, 18:00 (Kyiv time)" in page and "draft is kept" in page
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.state == ApplicationState.DRAFT and application.number is None
        assert application.title == "Школа активного мешканця"
        assert len(application.answers) == 4 and len(application.attachments) == 1
        assert db.session.get(Contest, contest).last_number == 0
    clock_at(CLOSES - timedelta(seconds=1))
    assert submit(client, application_id).status_code == 302
    assert application_of(app, contest).number == "UUG-2026-001"


def test_withdrawal_keeps_the_number_and_resubmission_reuses_it(
    client, app, contest, applicant, clock_at
):
    application_id = start(client)
    fill_in(client, app, contest, application_id)
    submit(client, application_id)
    response = client.submit("/applications/UUG-2026-001/withdraw")
    assert response.headers["Location"] == f"/applications/draft/{application_id}"
    page = client.get(f"/applications/draft/{application_id}").get_data(as_text=True)
    assert "UUG-2026-001" in page and "Draft" in page
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.state == ApplicationState.DRAFT
        assert application.submitted_at is None and application.number == "UUG-2026-001"
    client.submit(f"/applications/draft/{application_id}", {"action": "save", "title": "Нова"})
    assert submit(client, application_id).headers["Location"] == "/applications/UUG-2026-001"
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.serial == 1 and application.title == "Нова"
        assert db.session.get(Contest, contest).last_number == 1
    actions = _audit_actions(app)
    assert actions.count("application.submitted") == 2 and "application.withdrawn" in actions
    clock_at(CLOSES)
    client.login(APPLICANT)  # three weeks after the first login: a new session
    page = client.get("/applications/UUG-2026-001").get_data(as_text=True)
    assert "Withdraw to a draft" not in page
    response = client.submit("/applications/UUG-2026-001/withdraw", follow_redirects=True)
    assert "can no longer be withdrawn" in response.get_data(as_text=True)
    assert application_of(app, contest).state == ApplicationState.SUBMITTED


def test_concurrent_submissions_get_distinct_sequential_numbers(app, build, contest):
    """Several organisations press Submit at the same moment, each in its own session."""
    count = 5
    clients, drafts = [], []
    for n in range(count):
        email = f"applicant{n}@example.org"
        build.applicant(email=email, oblast="UA-14")
        client = app.test_client()
        client.login(email)
        application_id = start(client)
        fill_in(client, app, contest, application_id)
        clients.append(client)
        drafts.append(application_id)
    barrier = threading.Barrier(count)
    statuses: dict[int, int] = {}

    def press_submit(client, application_id):
        token = client.csrf_token()
        barrier.wait()
        response = client.post(
            f"/applications/draft/{application_id}", data={"csrf_token": token, "action": "submit"}
        )
        statuses[application_id] = response.status_code

    threads = [
        threading.Thread(target=press_submit, args=pair)
        for pair in zip(clients, drafts, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert list(statuses.values()) == [302] * count
    with app.app_context():
        rows = db.session.execute(select(Application.serial, Application.number)).all()
        assert sorted(serial for serial, _ in rows) == list(range(1, count + 1))
        assert sorted(number for _, number in rows) == [
            f"UUG-2026-{n:03d}" for n in range(1, count + 1)
        ]
        assert db.session.get(Contest, contest).last_number == count


# The application's page and "My applications" ---------------------------------------


def test_a_submitted_application_is_seen_by_its_people_only(client, app, build, contest):
    owner_org = build.organisation(oblast="UA-14")
    number = submitted_application(app, contest, owner_org)
    build.user(Role.APPLICANT, email=APPLICANT, organisation_id=owner_org)
    build.applicant(email="other@example.org", oblast="UA-14")
    other_organiser = build.user(Role.ORGANISER, email="other-org@example.org")
    build.contest(organisers=[other_organiser])
    juror = build.user(Role.JUROR, email="juror@example.org")
    recused = build.user(Role.JUROR, email="recused@example.org")
    build.user(Role.JUROR, email="stranger@example.org")
    assign_juror(app, number, juror)
    assign_juror(app, number, recused, Conflict.RECUSED)
    url = f"/applications/{number}"

    assert client.get(url).status_code == 302  # anonymous: to the login page
    for email, status in [
        (APPLICANT, 200),
        (ORGANISER, 200),
        ("juror@example.org", 200),
        ("other@example.org", 404),
        ("other-org@example.org", 404),
        ("recused@example.org", 404),
        ("stranger@example.org", 404),
    ]:
        client.login(email)
        response = client.get(url)
        assert response.status_code == status, email
        if status == 200:
            assert "Опис проєкту" in response.get_data(as_text=True)
        client.submit("/logout")
    client.login(APPLICANT)
    assert client.get("/applications/UUG-2026-999").status_code == 404


def test_a_blind_contests_juror_does_not_see_the_applicant(client, app, build, organiser):
    contest_id = build.contest(organisers=[organiser], blind=True, questions=questions())
    organisation = build.organisation(name="ГО «Видима назва»")
    number = submitted_application(app, contest_id, organisation)
    juror = build.user(Role.JUROR, email="juror@example.org")
    assign_juror(app, number, juror)
    client.login("juror@example.org")
    page = client.get(f"/applications/{number}").get_data(as_text=True)
    assert "Опис проєкту" in page and "Видима назва" not in page
    client.submit("/logout")
    client.login(ORGANISER)
    assert "Видима назва" in client.get(f"/applications/{number}").get_data(as_text=True)


def test_my_applications_lists_states_numbers_and_reasons(client, app, build, contest, applicant):
    page = client.get("/my/applications").get_data(as_text=True)
    assert "Your organisation has no applications yet" in page and 'href="/"' in page
    assert 'href="/my/applications"' in page  # in the main menu
    application_id = start(client)
    other = build.contest(slug="insha", title_uk="Інший конкурс", questions=questions())
    with app.app_context():
        organisation_id = db.session.get(User, applicant).organisation_id
    number = submitted_application(app, other, organisation_id)
    with app.app_context():
        rejected = db.session.scalar(select(Application).where(Application.number == number))
        rejected.state = ApplicationState.REJECTED
        rejected.decided_at = clock.now()
        rejected.decision_reason = "Немає рішення виконкому."
        db.session.commit()
    page = client.get("/my/applications").get_data(as_text=True)
    assert f'href="/applications/draft/{application_id}"' in page and "Draft" in page
    assert "Успішна участь громади" in page and "Інший конкурс" in page
    assert number in page and "Rejected" in page and "Немає рішення виконкому." in page
    assert "started March 10, 2026" in page and "submitted March 2, 2026, 12:00" in page


def test_pages_for_applicants_only(client, build, contest):
    assert client.get("/my/applications").status_code == 302
    assert client.get("/organisation").status_code == 302
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    assert client.get("/my/applications").status_code == 403
    assert client.get("/organisation").status_code == 403


def test_a_mail_server_that_is_down_does_not_undo_the_submission(make_app, build, organiser):
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=_closed_port(),
        MAIL_USE_TLS=False,
        MAIL_SUPPRESS_SEND=False,  # Flask-Mail pretends to send while testing otherwise
    )
    client = app.test_client()
    contest_id = build.contest(organisers=[organiser], slug="uchast-2026", questions=questions())
    build.applicant(email=APPLICANT, oblast="UA-14")
    client.login(APPLICANT)
    english(client)
    application_id = start(client)
    fill_in(client, app, contest_id, application_id)
    response = submit(client, application_id)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The receipt could not be e-mailed" in page
    assert application_of(app, contest_id).state == ApplicationState.SUBMITTED


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the probe is
