"""Organisers list a contest's applications and screen them: admit or reject, with reasons
the applicant sees (SPEC §3 screening, §5)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from scoring import edrpou
from scoring.extensions import db
from scoring.models import (
    Application,
    ApplicationState,
    AuditEntry,
    Category,
    Contest,
    Organisation,
    OrganisationKind,
    Role,
    Stage,
)

from ._applications import questions, submitted_application
from .test_applications import _closed_port

ORGANISER = "org@example.org"
APPLICANT = "applicant@example.org"
SLUG = "uchast-2026"
LIST = f"/manage/contests/{SLUG}/applications"
SUBMITTED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def organiser(signed_in):
    """The signed-in organiser's id; the interface is switched to English."""
    return signed_in(Role.ORGANISER, ORGANISER, name="Олена Секретар")


def _contest(build, organiser_id: int, stage=Stage.SCREENING, **fields) -> int:
    return build.contest(
        organisers=[organiser_id],
        stage=stage,
        slug=SLUG,
        number_prefix="UUG",
        questions=questions(),
        **fields,
    )


def _applications(app, contest_id: int, rows: list[dict]) -> list[str]:
    """Organisations and their applications in one transaction; the numbers given out.

    Each row: name, and optionally kind, oblast, state, category (a code).
    """
    numbers = []
    with app.app_context():
        categories = {
            c.code: c
            for c in db.session.scalars(select(Category).where(Category.contest_id == contest_id))
        }
        serial = db.session.scalar(
            select(db.func.coalesce(db.func.max(Application.serial), 0)).where(
                Application.contest_id == contest_id
            )
        )
        start = db.session.scalar(select(db.func.count(Organisation.id)))
        for i, row in enumerate(rows, start=1):
            state = row.get("state", ApplicationState.SUBMITTED)
            organisation = Organisation(
                kind=row.get("kind", OrganisationKind.NGO),
                name=row["name"],
                edrpou=edrpou.complete(f"{5200000 + start + i:07d}"),
                oblast=row.get("oblast", "UA-63"),
                community="Харківська міська громада",
                contact_person="Контактна особа",
                email=f"bulk{start + i}@example.org",
                phone="+380501234567",
            )
            submitted = state != ApplicationState.DRAFT
            if submitted:
                serial += 1
            number = f"UUG-2026-{serial:03d}" if submitted else None
            db.session.add(
                Application(
                    contest_id=contest_id,
                    organisation=organisation,
                    category=categories.get(row.get("category")),
                    state=state,
                    serial=serial if submitted else None,
                    number=number,
                    title=row.get("title", ""),
                    submitted_at=SUBMITTED_AT + timedelta(minutes=i) if submitted else None,
                )
            )
            numbers.append(number)
        db.session.commit()
    return numbers


def _listed(page: str) -> list[str]:
    """The registration numbers in the list's table, in order."""
    return re.findall(r'<th scope="row"[^>]*><a href="[^"]+">([^<]+)</a></th>', page)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()


def _application(app, number: str) -> Application:
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.number == number))
        db.session.expunge_all()
        return application


SPRING = [
    {"name": "ГО «Світанок»", "category": "ngo", "title": "Школа активного мешканця"},
    {
        "name": "Прим’ятинська сільська рада",
        "kind": OrganisationKind.COMMUNITY,
        "oblast": "UA-14",
        "state": ApplicationState.ADMITTED,
        "category": "community",
    },
    {"name": "ГО «Нова хвиля»", "oblast": "UA-14", "state": ApplicationState.REJECTED},
    {"name": "ГО «Чернетка»", "state": ApplicationState.DRAFT},
]


@pytest.fixture
def spring(app, build, organiser):
    """A contest in screening with categories and one application in every state."""
    contest_id = _contest(
        build,
        organiser,
        categories=[
            Category(code="ngo", title_uk="ГО", title_en="NGOs", winners=3, position=0),
            Category(
                code="community", title_uk="Громади", title_en="Communities", winners=2, position=1
            ),
        ],
    )
    return _applications(app, contest_id, SPRING)


def test_the_list_shows_submitted_applications_and_counts_drafts_without_listing_them(
    client, spring
):
    page = client.get(LIST).get_data(as_text=True)
    assert _listed(page) == ["UUG-2026-001", "UUG-2026-002", "UUG-2026-003"]
    assert "ГО «Світанок»" in page and "Школа активного мешканця" in page
    assert "Чернетка" not in page
    text = _text(page)
    assert "All : 3 Submitted, awaiting a decision : 1 Admitted to evaluation : 1" in text
    assert "Rejected : 1" in text and "Started, not submitted: 1." in text
    assert "Applications 1–3 of 3" in text and "Page 1 of" not in text
    row = page[page.index("UUG-2026-002</a>") :].split("</tr>")[0]
    assert all(
        part in _text(row)
        for part in ("Прим’ятинська", "territorial community", "Donetsk Oblast", "Communities")
    )
    assert "Admitted to evaluation" in row and "March 2, 2026, 12:02" in row
    assert f'href="{LIST}/UUG-2026-002"' in page
    # Counts link to the list filtered by their state.
    assert f'href="{LIST}?state=rejected"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "admitted"}, ["UUG-2026-002"]),
        ({"state": "submitted"}, ["UUG-2026-001"]),
        ({"kind": "ngo"}, ["UUG-2026-001", "UUG-2026-003"]),
        ({"oblast": "UA-14"}, ["UUG-2026-002", "UUG-2026-003"]),
        ({"category": "ngo"}, ["UUG-2026-001"]),
        ({"kind": "ngo", "oblast": "UA-14"}, ["UUG-2026-003"]),
        ({"q": "СВІТАНОК"}, ["UUG-2026-001"]),
        ({"q": "світанок"}, ["UUG-2026-001"]),
        ({"q": "  Го Нова  Хвиля "}, ["UUG-2026-003"]),  # quotes and spaces do not matter
        ({"q": "прим'ятинська"}, ["UUG-2026-002"]),  # a typed apostrophe finds ’
        ({"q": "uug-2026-003"}, ["UUG-2026-003"]),
        ({"q": "го", "state": "rejected"}, ["UUG-2026-003"]),
    ],
)
def test_filters_and_search_narrow_the_list(client, spring, query, expected):
    page = client.get(LIST, query_string=query).get_data(as_text=True)
    assert _listed(page) == expected
    assert "Clear the filters" in page


def test_the_filter_form_keeps_its_values_and_names_a_value_that_is_not_an_option(client, spring):
    page = client.get(LIST, query_string={"q": "світанок", "oblast": "UA-63"}).get_data(
        as_text=True
    )
    assert 'value="світанок"' in page
    assert re.search(r'<option selected value="UA-63">|<option value="UA-63" selected', page)
    page = client.get(LIST, query_string={"state": "deleted"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _listed(html) == ["UUG-2026-001", "UUG-2026-002", "UUG-2026-003"]
    assert _errors(html, "state") == "Choose one of the options."


def test_empty_states(client, app, build, organiser):
    contest_id = _contest(build, organiser)
    page = client.get(LIST).get_data(as_text=True)
    assert "No application has been submitted yet." in page and "<table" not in page
    _applications(app, contest_id, [{"name": "ГО «Світанок»"}])
    page = client.get(LIST, query_string={"q": "Хвиля"}).get_data(as_text=True)
    assert "No application matches the filters." in page and "<table" not in page


def test_the_list_pages_by_fifty_and_page_links_keep_the_filters(client, app, build, organiser):
    contest_id = _contest(build, organiser)
    kinds = [OrganisationKind.NGO, OrganisationKind.COMMUNITY]
    _applications(
        app,
        contest_id,
        [{"name": f"Заявник {i:03d}", "kind": kinds[i % 2]} for i in range(1, 121)],
    )
    page = client.get(LIST).get_data(as_text=True)
    numbers = _listed(page)
    assert len(numbers) == 50 and numbers[0] == "UUG-2026-001" and numbers[-1] == "UUG-2026-050"
    assert "Applications 1–50 of 120" in page and "Page 1 of 3" in page
    assert f'href="{LIST}?page=2" rel="next"' in page and 'rel="prev"' not in page
    last = client.get(LIST, query_string={"page": 3}).get_data(as_text=True)
    assert _listed(last)[0] == "UUG-2026-101" and len(_listed(last)) == 20
    assert "Page 3 of 3" in last and 'rel="next"' not in last
    assert f'href="{LIST}?page=2" rel="prev"' in last
    # A page past the end shows the last one; a page that is not a number, the first.
    assert "Page 3 of 3" in client.get(LIST, query_string={"page": 99}).get_data(as_text=True)
    assert "Page 1 of 3" in client.get(LIST, query_string={"page": "x"}).get_data(as_text=True)
    assert client.get(LIST, query_string={"page": "9" * 30}).status_code == 200
    # Filtered: 60 communities on two pages; the links keep the filter and the search.
    page = client.get(LIST, query_string={"kind": "community", "q": "заявник"}).get_data(
        as_text=True
    )
    assert "Applications 1–50 of 60" in page and "Page 1 of 2" in page
    link = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    second = client.get(link).get_data(as_text=True)
    assert "page=2" in link and "Page 2 of 2" in second and len(_listed(second)) == 10
    assert _listed(second)[-1] == "UUG-2026-119"  # odd serials are the communities


def test_the_list_issues_the_same_number_of_queries_for_10_and_60_applications(
    client, app, build, organiser
):
    contest_id = _contest(build, organiser)
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = []
        for total in (10, 60):
            _applications(app, contest_id, [{"name": "ГО"}] * (total - len(counts) * 10))
            statements.clear()
            page = client.get(LIST).get_data(as_text=True)
            assert f"of {total}" in page
            counts.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[0] == counts[1], counts


# Screening -------------------------------------------------------------------------


@pytest.fixture
def applicant(build):
    """An English-speaking applicant's organisation id."""
    organisation_id = build.organisation(name="ГО «Світанок»")
    build.user(Role.APPLICANT, email=APPLICANT, organisation_id=organisation_id, language="en")
    return organisation_id


def _decide(client, number: str, decision: str, reason: str = ""):
    return client.submit(f"{LIST}/{number}", {"decision": decision, "reason": reason})


def _errors(page: str, field: str) -> str:
    match = re.search(rf'id="{field}-errors"[^>]*>(.*?)</div>\s*</div>', page, re.S)
    return _text(match.group(1)) if match else ""


def test_the_organiser_reads_the_application_with_its_answers_and_files(
    client, app, build, organiser, applicant
):
    contest_id = _contest(build, organiser)
    number = submitted_application(app, contest_id, applicant)
    page = client.get(f"{LIST}/{number}").get_data(as_text=True)
    assert "Application UUG-2026-001" in page and "ГО «Світанок»" in page
    assert "Short description" not in page and "Summary" in page and "Опис проєкту" in page
    with app.app_context():
        attachment_id = db.session.scalar(select(Application).where(Application.number == number))
        attachment_id = attachment_id.attachments[0].id
    assert f'href="/attachments/{attachment_id}" download>рішення.pdf (PDF, ' in page
    assert client.get(f"/attachments/{attachment_id}").status_code == 200
    assert "Record the decision" in page and 'name="decision"' in page
    text = _text(page[page.index("History") :])
    assert "Nothing recorded yet." in text


def test_a_rejection_needs_a_reason_and_the_applicant_reads_it(
    client, app, build, organiser, applicant, outbox
):
    contest_id = _contest(build, organiser)
    number = submitted_application(app, contest_id, applicant)
    response = _decide(client, number, "rejected", "   ")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _errors(page, "reason") == "Give the reason for the rejection."
    assert 'aria-invalid="true"' in page and "Correct 1 field:" in page
    assert _application(app, number).state == ApplicationState.SUBMITTED
    assert outbox() == [] and _audit(app, "application.rejected") == []

    reason = "Немає рішення виконкому про участь."
    response = _decide(client, number, "rejected", reason)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{LIST}/{number}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Application UUG-2026-001 is rejected; the applicant is informed by e-mail." in page
    assert f"Reason: {reason}" in page and "Олена Секретар" in page
    application = _application(app, number)
    assert application.state == ApplicationState.REJECTED
    assert application.decision_reason == reason and application.decided_by_id == organiser
    assert application.decided_at is not None
    (entry,) = _audit(app, "application.rejected")
    assert entry.reason == reason and entry.actor_id == organiser
    assert entry.details == {"number": number, "previous_state": "submitted"}
    assert "Rejected" in _text(page[page.index("History") :])

    (message,) = outbox()
    assert message["To"] == APPLICANT and message["Subject"] == f"Application {number} is rejected"
    body = message.get_content()
    assert f"The application {number} of ГО «Світанок»" in body and "is rejected." in body
    assert f"Reason: {reason}" in body and f"http://127.0.0.1:5000/applications/{number}" in body

    client.submit("/logout")
    client.login(APPLICANT)
    mine = client.get("/my/applications").get_data(as_text=True)
    assert number in mine and "Rejected" in mine and f"Reason: {reason}" in mine
    shown = client.get(f"/applications/{number}").get_data(as_text=True)
    assert "Rejected" in shown and f"Reason: {reason}" in shown and "decided" in shown


def test_an_admission_may_carry_a_note_and_a_change_needs_a_reason(
    client, app, build, organiser, applicant, outbox
):
    contest_id = _contest(build, organiser)
    number = submitted_application(app, contest_id, applicant)
    assert _decide(client, number, "admitted").status_code == 302
    application = _application(app, number)
    assert application.state == ApplicationState.ADMITTED
    assert application.decision_reason is None
    (message,) = outbox()
    assert message["Subject"] == f"Application {number} is admitted to evaluation"
    assert "Note of the organisers" not in message.get_content()

    # Admitted → rejected without a reason: refused beside the field; with one: done.
    page = _decide(client, number, "rejected").get_data(as_text=True)
    assert _errors(page, "reason") == "Give the reason for the rejection."
    assert "Change the decision" in page
    page = _decide(client, number, "admitted", "").get_data(as_text=True)
    assert "Nothing changed" in client.get(f"{LIST}/{number}").get_data(as_text=True)
    assert _decide(client, number, "rejected", "Подано від імені іншої ГО.").status_code == 302
    # Rejected → admitted needs a reason, and the note reaches the applicant.
    page = _decide(client, number, "admitted").get_data(as_text=True)
    assert _errors(page, "reason") == "Give the reason for changing the decision."
    assert _application(app, number).state == ApplicationState.REJECTED
    note = "Повноваження підтверджено листом."
    assert _decide(client, number, "admitted", note).status_code == 302
    application = _application(app, number)
    assert application.state == ApplicationState.ADMITTED and application.decision_reason == note
    admissions = _audit(app, "application.admitted")
    assert [e.details["previous_state"] for e in admissions] == ["submitted", "rejected"]
    assert admissions[-1].reason == note
    assert len(_audit(app, "application.rejected")) == 1
    assert len(outbox()) == 3
    assert f"Note of the organisers: {note}" in outbox()[-1].get_content()

    client.submit("/logout")
    client.login(APPLICANT)
    for url in ("/my/applications", f"/applications/{number}"):
        page = client.get(url).get_data(as_text=True)
        assert "Admitted to evaluation" in page and f"Note: {note}" in page, url


def test_no_choice_is_named_beside_the_field(client, app, build, organiser, applicant):
    contest_id = _contest(build, organiser)
    number = submitted_application(app, contest_id, applicant)
    for data in ({"reason": "x"}, {"decision": "draft", "reason": "x"}):
        page = client.submit(f"{LIST}/{number}", data).get_data(as_text=True)
        assert _errors(page, "decision") == "Choose one of the options.", data
    assert _application(app, number).state == ApplicationState.SUBMITTED


@pytest.mark.parametrize(
    ("stage", "explanation"),
    [
        (Stage.OPEN, "after applications close"),
        (Stage.JUDGING, "move the contest back to the stage"),
        (Stage.PUBLISHED, "can no longer be changed"),
    ],
)
def test_decisions_are_refused_outside_screening(
    client, app, build, organiser, applicant, outbox, stage, explanation
):
    contest_id = _contest(build, organiser, stage=stage)
    number = submitted_application(app, contest_id, applicant)
    page = client.get(f"{LIST}/{number}").get_data(as_text=True)
    assert explanation in page and "Record the decision" not in page
    assert explanation in client.get(LIST).get_data(as_text=True)
    response = _decide(client, number, "rejected", "Пізно.")
    assert response.status_code == 409
    assert explanation in response.get_data(as_text=True)
    assert _application(app, number).state == ApplicationState.SUBMITTED
    assert outbox() == [] and _audit(app, "application.rejected") == []


def test_next_application_awaiting_a_decision_is_offered(client, app, build, organiser):
    contest_id = _contest(build, organiser)
    _applications(
        app,
        contest_id,
        [
            {"name": "Перша"},
            {"name": "Друга", "state": ApplicationState.ADMITTED},
            {"name": "Третя"},
        ],
    )
    page = client.get(f"{LIST}/UUG-2026-001").get_data(as_text=True)
    assert "Next application awaiting a decision: UUG-2026-003" in page
    page = client.get(f"{LIST}/UUG-2026-003").get_data(as_text=True)
    assert "Next application awaiting a decision: UUG-2026-001" in page


def test_the_dashboard_links_to_the_list_and_its_counts_to_the_filtered_list(
    client, app, build, organiser, spring
):
    page = client.get(f"/manage/contests/{SLUG}").get_data(as_text=True)
    assert f'href="{LIST}"' in page
    for state in ("submitted", "admitted", "rejected"):
        assert f'href="{LIST}?state={state}"' in page
    assert f'href="{LIST}?state=draft"' not in page


# Access ----------------------------------------------------------------------------


def test_another_organiser_and_unknown_or_unsubmitted_applications_get_404(
    client, app, build, organiser
):
    other = build.user(Role.ORGANISER, email="other@example.org")
    theirs = build.contest(organisers=[other], stage=Stage.SCREENING, slug="theirs")
    mine = _contest(build, organiser)
    (their_number,) = _applications(app, theirs, [{"name": "Чужа"}])
    _applications(app, mine, [{"name": "Чернетка", "state": ApplicationState.DRAFT}])
    with app.app_context():  # a withdrawn draft keeps its number
        draft = db.session.scalar(select(Application).where(Application.contest_id == mine))
        draft.serial, draft.number = 7, "UUG-2026-007"
        db.session.commit()
    for url in (
        "/manage/contests/theirs/applications",
        f"/manage/contests/theirs/applications/{their_number}",
        f"{LIST}/{their_number}",  # their application through my contest
        f"{LIST}/UUG-2026-007",
        f"{LIST}/UUG-2026-999",
        "/manage/contests/missing/applications",
    ):
        assert client.get(url).status_code == 404, url
        assert client.submit(url, {"decision": "rejected", "reason": "x"}).status_code in (
            404,
            405,
        ), url
    assert _application(app, their_number).state == ApplicationState.SUBMITTED
    assert _audit(app, "application.rejected") == []


def test_jurors_and_applicants_get_403_and_anonymous_visitors_the_login_page(
    client, app, build, organiser
):
    contest_id = _contest(build, organiser)
    (number,) = _applications(app, contest_id, [{"name": "ГО"}])
    client.submit("/logout")
    urls = [LIST, f"{LIST}/{number}"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert _decide(client, number, "rejected", "x").status_code == 403
    client.submit("/logout")
    build.user(Role.APPLICANT, email="someone@example.org")
    client.login("someone@example.org")
    assert client.get(LIST).status_code == 403
    assert _application(app, number).state == ApplicationState.SUBMITTED


def test_a_decision_without_csrf_token_is_refused(client, app, build, organiser, applicant):
    contest_id = _contest(build, organiser)
    number = submitted_application(app, contest_id, applicant)
    response = client.post(f"{LIST}/{number}", data={"decision": "admitted"})
    assert response.status_code == 400
    assert _application(app, number).state == ApplicationState.SUBMITTED


def test_a_mail_server_that_is_down_does_not_undo_the_decision(make_app, build, applicant):
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=_closed_port(),
        MAIL_USE_TLS=False,
        MAIL_SUPPRESS_SEND=False,  # Flask-Mail pretends to send while testing otherwise
    )
    client = app.test_client()
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    client.login(ORGANISER)
    client.submit("/language", {"language": "en", "next": "/"})
    number = submitted_application(app, _contest(build, organiser), applicant)
    response = _decide(client, number, "admitted")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The e-mail to the applicant could not be sent" in page
    assert _application(app, number).state == ApplicationState.ADMITTED
    assert len(_audit(app, "application.admitted")) == 1


def test_an_admission_while_judging_starts_waits_and_is_refused(
    client, app, build, organiser, applicant
):
    """Admitting an application and starting the judging at the same moment: the
    decision waits for the move and is refused, so judging never starts with an admitted
    application that no juror was assigned (PostgreSQL: the contest's row; SQLite: the
    write lock)."""
    import threading

    contest_id = _contest(build, organiser)
    number = submitted_application(app, contest_id, applicant)
    url = f"{LIST}/{number}"
    token = client.csrf_token()
    responses = []
    with app.app_context():
        with db.engine.begin() as other:  # the start of judging, not yet committed
            other.execute(
                Contest.__table__.update()
                .where(Contest.id == contest_id)
                .values(stage=Stage.JUDGING)
            )
            thread = threading.Thread(
                target=lambda: responses.append(
                    client.post(url, data={"csrf_token": token, "decision": "admitted"})
                )
            )
            thread.start()
            thread.join(timeout=1)
            assert thread.is_alive() and responses == []  # waiting for the move
        thread.join(timeout=30)
    assert responses[0].status_code == 409
    assert _application(app, number).state == ApplicationState.SUBMITTED
    assert _audit(app, "application.admitted") == []
