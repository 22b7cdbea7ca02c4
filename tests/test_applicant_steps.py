"""The applicant's everyday steps (issue 16): progress on the draft, "check your answers"
before submitting, a confirmation before withdrawing, a plain message when the deadline
has passed, registration leading to the open contests, oblasts in alphabetical order."""

import re
from datetime import timedelta

from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Application, ApplicationState, AuditEntry

from . import test_applications
from ._applications import autosave, fill_in, question_ids, start, submit
from .test_applications import APPLICANT, CLOSES
from .test_auth import REGISTRATION

# The applicants' fixtures: an open contest of the eastern oblasts, a signed-in NGO.
organiser = test_applications.organiser
contest = test_applications.contest
applicant = test_applications.applicant


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _state(app, application_id):
    with app.app_context():
        return db.session.get(Application, application_id).state


def test_the_draft_says_how_many_required_answers_are_done(client, app, contest, applicant):
    application_id = start(client)
    url = f"/applications/draft/{application_id}"
    page = client.get(url).get_data(as_text=True)
    # The title and four required questions (summary, residents, scale, the file).
    assert "0 of 5 required answers done" in page
    assert '<progress class="draft-progress" value="0" max="5"' in page
    names = question_ids(app, contest)
    autosave(
        client,
        application_id,
        {"title": "Школа", names["summary"]: "Опис", names["website"]: "https://x.org"},
    )
    assert "2 of 5 required answers done" in client.get(url).get_data(as_text=True)
    fill_in(client, app, contest, application_id)
    assert "5 of 5 required answers done" in client.get(url).get_data(as_text=True)


def test_the_draft_leads_to_a_check_of_every_answer_before_submitting(
    client, app, contest, applicant
):
    application_id = start(client)
    draft = f"/applications/draft/{application_id}"
    check = f"{draft}/check"
    # Something missing: the form itself lists it, and the check page offers no button.
    page = client.submit(draft, {"title": "Школа", "action": "review"}).get_data(as_text=True)
    assert 'id="error-summary"' in page and "This field is required." in page
    missing = client.get(check).get_data(as_text=True)
    assert 'value="submit"' not in missing and "Before you submit, complete 4 answers:" in _text(
        missing
    )

    fill_in(client, app, contest, application_id)
    response = client.submit(draft, {"action": "review"})
    assert response.status_code == 302 and response.headers["Location"] == check
    page = client.get(check).get_data(as_text=True)
    text = _text(page)
    assert "Check your answers before submitting" in text
    assert "Школа активного мешканця" in text and "рішення.pdf" in text
    assert "Scale Community" in text  # the option as it reads
    names = question_ids(app, contest)
    for name in ("title", *(f"q-{i}" for i in names.values() if isinstance(i, int))):
        assert f'href="{draft}#{name}"' in page, name
    assert f'href="{draft}#{names["summary"]}"' in page
    assert 'href="/organisation"' in page  # the organisation's details are changed there
    assert _state(app, application_id) == ApplicationState.DRAFT  # nothing submitted yet
    assert f'action="{draft}"' in page and 'name="action" value="submit"' in page
    response = submit(client, application_id)
    assert (
        response.status_code == 302 and response.headers["Location"] == "/applications/UUG-2026-001"
    )


def test_a_late_submission_says_the_deadline_passed_and_keeps_the_draft(
    client, app, contest, applicant, clock_at
):
    application_id = start(client)
    fill_in(client, app, contest, application_id)
    clock_at(CLOSES + timedelta(seconds=1))
    client.login(APPLICANT)  # three weeks after the first login: a new session
    for action in ("submit", "review"):
        page = client.submit(f"/applications/draft/{application_id}", {"action": action}).get_data(
            as_text=True
        )
        assert 'id="deadline-passed"' in page
        assert "The deadline has passed: the application was not submitted." in page
        assert "Correct" not in page and 'id="error-summary"' not in page
        assert "March 31, 2026, 18:00" in page
    check = client.get(f"/applications/draft/{application_id}/check").get_data(as_text=True)
    assert 'id="deadline-passed"' in check and 'value="submit"' not in check
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.state == ApplicationState.DRAFT and application.title
        assert len(application.answers) == 4 and len(application.attachments) == 1


def test_withdrawing_asks_first_and_says_what_happens(client, app, contest, applicant):
    application_id = start(client)
    fill_in(client, app, contest, application_id)
    submit(client, application_id)
    show = client.get("/applications/UUG-2026-001").get_data(as_text=True)
    assert 'href="/applications/UUG-2026-001/withdraw"' in show
    page = client.get("/applications/UUG-2026-001/withdraw").get_data(as_text=True)
    text = _text(page[page.index('id="withdraw-consequences"') :])
    assert "becomes a draft again" in text
    assert "Its registration number UUG-2026-001 stays" in text
    assert "until March 31, 2026, 18:00 (Kyiv time)" in text
    assert _state(app, application_id) == ApplicationState.SUBMITTED  # only asked
    response = client.submit("/applications/UUG-2026-001/withdraw")
    assert response.status_code == 302
    assert _state(app, application_id) == ApplicationState.DRAFT
    with app.app_context():
        assert db.session.scalar(
            select(AuditEntry.action).where(AuditEntry.action == "application.withdrawn")
        )
    # A draft has nothing to withdraw: the page leads back to it.
    again = client.get("/applications/UUG-2026-001/withdraw")
    assert again.status_code == 302 and again.headers["Location"].endswith(
        f"/draft/{application_id}"
    )


def test_a_withdrawal_while_the_organiser_closes_applications_early_is_refused(
    client, app, contest, applicant
):
    """The applicant confirms the withdrawal in the moment the organiser closes the
    applications early: the withdrawal waits for the close and is refused by it, so the
    application stays among those to screen (PostgreSQL: the contest's row; SQLite: the
    write lock)."""
    import threading

    from scoring.models import Contest, Stage

    application_id = start(client)
    fill_in(client, app, contest, application_id)
    submit(client, application_id)
    token = client.csrf_token("/applications/UUG-2026-001/withdraw")
    responses = []
    with app.app_context():
        contest_id = db.session.get(Application, application_id).contest_id
    with app.app_context():
        with db.engine.begin() as other:  # the organiser's close, not yet committed
            other.execute(
                Contest.__table__.update()
                .where(Contest.id == contest_id)
                .values(stage=Stage.SCREENING)
            )
            thread = threading.Thread(
                target=lambda: responses.append(
                    client.post("/applications/UUG-2026-001/withdraw", data={"csrf_token": token})
                )
            )
            thread.start()
            thread.join(timeout=1)
        thread.join(timeout=30)
    assert _state(app, application_id) == ApplicationState.SUBMITTED
    told = client.get(responses[0].headers["Location"]).get_data(as_text=True)
    assert "can no longer be withdrawn" in told


def test_after_the_deadline_the_withdrawal_page_says_it_is_too_late(
    client, app, contest, applicant, clock_at
):
    application_id = start(client)
    fill_in(client, app, contest, application_id)
    submit(client, application_id)
    clock_at(CLOSES)
    client.login(APPLICANT)
    page = client.get("/applications/UUG-2026-001/withdraw").get_data(as_text=True)
    assert "This cannot be done now:" in page and "can no longer be withdrawn" in page
    assert 'type="submit"' not in page.split('id="main"')[1].split("</main>")[0].replace(
        'type="submit" class="btn btn-link nav-link"', ""
    )


def test_another_applicant_cannot_check_or_withdraw(client, app, build, contest, applicant):
    application_id = start(client)
    fill_in(client, app, contest, application_id)
    submit(client, application_id)
    build.applicant(email="other@example.org")
    other = app.test_client()
    other.login("other@example.org")
    assert other.get(f"/applications/draft/{application_id}/check").status_code == 404
    assert other.get("/applications/UUG-2026-001/withdraw").status_code == 404
    assert other.submit("/applications/UUG-2026-001/withdraw").status_code == 404
    assert _state(app, application_id) == ApplicationState.SUBMITTED


def test_registration_leads_to_the_open_contests(client):
    response = client.submit("/register", REGISTRATION)
    assert response.status_code == 302 and response.headers["Location"] == "/#open-heading"
    page = client.get("/").get_data(as_text=True)
    assert "Організацію зареєстровано" in page or "organisation is registered" in page


def test_oblasts_are_listed_in_ukrainian_alphabetical_order_with_kyiv_and_crimea_in_place(client):
    page = client.get("/register").get_data(as_text=True)
    select_html = page[
        page.index('id="oblast"') : page.index("</select>", page.index('id="oblast"'))
    ]
    names = re.findall(r'<option[^>]*value="UA-\d\d"[^>]*>([^<]+)</option>', select_html)
    assert len(names) == 27
    assert names[:3] == ["Вінницька область", "Волинська область", "Дніпропетровська область"]
    position = {name: i for i, name in enumerate(names)}
    # Іва… after За…, і after и: code points would put them after я.
    assert (
        position["Запорізька область"] < position["Івано-Франківська область"] < position["м. Київ"]
    )
    assert position["м. Київ"] + 1 == position["Київська область"]  # the city beside the oblast
    assert (
        position["Кіровоградська область"]
        < position["Автономна Республіка Крим"]
        < position["Луганська область"]
    )
    assert position["Рівненська область"] < position["м. Севастополь"] < position["Сумська область"]
    assert names[-1] == "Чернігівська область"
