"""Organisers act on several things at once (issue 16): admit or reject the applications
ticked in the list with one reason, assign one juror to several applications, remind
every juror with sheets left. Each shows first what will happen to each item, changes
nothing until confirmed, audits every item as the single action does, and says which
items were left as they were and why."""

import re

import pytest
from sqlalchemy import select

from scoring import clock
from scoring.extensions import db
from scoring.models import Application, ApplicationState, AuditEntry, Role, Stage, User

from .test_screening import LIST, SLUG, _applications, _contest, _text

BULK = f"/manage/contests/{SLUG}/applications/bulk"


def _states(app) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(select(Application.number, Application.state)).all()
        return {number: state.value for number, state in rows if number}


def _entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()


def _flashes(page: str) -> str:
    return _text(" ".join(re.findall(r'<div class="alert[^"]*" role="status">(.*?)</div>', page, re.S)))


@pytest.fixture
def organiser(signed_in):
    return signed_in(Role.ORGANISER, "org@example.org", name="Олена Секретар")


@pytest.fixture
def screening(app, build, organiser):
    """A contest in screening: three submitted applications, one admitted, one rejected;
    the applicant of the first has an account (the e-mail goes there)."""
    contest = _contest(build, organiser)
    numbers = _applications(
        app,
        contest,
        [
            {"name": "ГО «Перша»"},
            {"name": "ГО «Друга»"},
            {"name": "ГО «Третя»"},
            {"name": "ГО «Допущена»", "state": ApplicationState.ADMITTED},
            {"name": "ГО «Відхилена»", "state": ApplicationState.REJECTED},
        ],
    )
    with app.app_context():
        first = db.session.scalar(select(Application).where(Application.number == numbers[0]))
        organisation_id = first.organisation_id
    build.user(Role.APPLICANT, email="persha@example.org", organisation_id=organisation_id)
    return numbers


def test_the_list_offers_ticking_applications_while_screening(client, screening):
    page = client.get(LIST).get_data(as_text=True)
    assert f'action="{BULK}"' in page
    for number in screening:
        assert f'name="numbers" value="{number}"' in page
        assert f'<label class="form-check-label" for="choose-{number}">' in page


def test_rejecting_several_with_one_reason_shows_what_will_happen_then_does_it(
    client, app, screening, outbox
):
    first, second, third, admitted, rejected = screening
    reason = "Заявка не відповідає темі конкурсу."
    chosen = {"numbers": [first, second], "decision": "rejected", "reason": reason}
    page = client.submit(BULK, chosen).get_data(as_text=True)
    plan = _text(page[page.index('id="bulk-plan"') : page.index("</form>", page.index('id="bulk-plan"'))])
    assert f"2 applications will be rejected: {first}" in plan and second in plan
    assert reason in page and "Reject 2 applications" in page
    assert _states(app)[first] == "submitted"  # nothing yet
    assert not _entries(app, "application.rejected")

    response = client.submit(BULK, {**chosen, "confirmed": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(LIST)
    states = _states(app)
    assert (states[first], states[second], states[third]) == ("rejected", "rejected", "submitted")
    entries = _entries(app, "application.rejected")
    assert [e.details["number"] for e in entries] == [first, second]  # one per application
    assert {e.reason for e in entries} == {reason}
    with app.app_context():
        decided = db.session.scalar(select(Application).where(Application.number == second))
        assert decided.decision_reason == reason and decided.decided_by_id is not None
    (mail,) = outbox()  # only the first one's applicant has an account
    assert mail["To"] == "persha@example.org" and first in mail["Subject"]
    flashes = _flashes(client.get(LIST).get_data(as_text=True))
    assert f"2 applications are rejected: {first}, {second}." in flashes


def test_a_partial_failure_says_which_applications_are_left_and_why(client, app, screening):
    first, _second, _third, admitted, rejected = screening
    chosen = {"numbers": [first, admitted, rejected], "decision": "admitted", "reason": ""}
    page = client.submit(BULK, chosen).get_data(as_text=True)
    text = _text(page)
    assert f"1 application will be admitted to evaluation: {first}" in text
    assert f"1 application already stands so; nothing changes: {admitted}" in text
    assert f"1 application cannot be changed: {rejected}" in text
    assert "Give the reason for changing the decision." in text
    client.submit(BULK, {**chosen, "confirmed": "1"})
    states = _states(app)
    assert (states[first], states[admitted], states[rejected]) == ("admitted", "admitted", "rejected")
    flashes = _flashes(client.get(LIST).get_data(as_text=True))
    assert f"Already so, nothing changed: {admitted}." in flashes
    assert f"{rejected} is not changed: Give the reason for changing the decision." in flashes
    assert [e.details["number"] for e in _entries(app, "application.admitted")] == [first]


def test_a_bulk_decision_with_another_contests_application_changes_nothing(
    client, app, build, screening, organiser
):
    other = build.contest(organisers=[organiser], stage=Stage.SCREENING, slug="insha-2026")
    organisation = build.organisation(name="ГО «Чужа»")
    foreign = "INS-2026-001"
    with app.app_context():
        db.session.add(
            Application(
                contest_id=other,
                organisation_id=organisation,
                state=ApplicationState.SUBMITTED,
                serial=1,
                number=foreign,
                submitted_at=clock.now(),
            )
        )
        db.session.commit()
    before = _states(app)
    for confirmed in ("", "1"):
        chosen = {"numbers": [screening[0], foreign], "decision": "admitted", "confirmed": confirmed}
        response = client.submit(BULK, chosen)
        assert response.status_code == 422
        assert foreign in _text(response.get_data(as_text=True))
        assert "Nothing is changed" in response.get_data(as_text=True)
    assert _states(app) == before
    assert not _entries(app, "application.admitted")


def test_a_bulk_decision_outside_screening_is_refused(client, app, screening):
    with app.app_context():
        contest = db.session.scalar(select(Application).where(Application.number == screening[0])).contest
        contest.stage = Stage.JUDGING
        db.session.commit()
    response = client.submit(
        BULK, {"numbers": [screening[0]], "decision": "admitted", "confirmed": "1"}
    )
    assert response.status_code == 422 and "Screening is over" in response.get_data(as_text=True)
    assert _states(app)[screening[0]] == "submitted"
    assert f'action="{BULK}"' not in client.get(LIST).get_data(as_text=True)


def test_rejecting_without_a_reason_asks_for_it_before_anything(client, app, screening):
    page = client.submit(BULK, {"numbers": screening[:2], "decision": "rejected"}).get_data(
        as_text=True
    )
    assert 'id="error-summary"' in page and "Give the reason for the rejection." in page
    assert page.count('type="hidden" name="numbers"') == 2  # the choice is kept
    nothing = client.submit(BULK, {"decision": "admitted"}).get_data(as_text=True)
    assert "Tick at least one application in the list." in nothing
    assert _states(app)[screening[0]] == "submitted"


def test_other_organisers_cannot_decide_in_bulk(app, build, screening):
    build.user(Role.ORGANISER, email="stranger@example.org")
    stranger = app.test_client()
    stranger.login("stranger@example.org")
    response = stranger.submit(
        BULK, {"numbers": [screening[0]], "decision": "admitted", "confirmed": "1"}
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "stranger@example.org"))
    assert _states(app)[screening[0]] == "submitted"
