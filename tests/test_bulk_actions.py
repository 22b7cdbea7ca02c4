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
from scoring.models import (
    Application,
    ApplicationState,
    AuditEntry,
    Contest,
    Role,
    Scoresheet,
    Stage,
    User,
)

from .test_jury import arrange, assign
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
    return _text(
        " ".join(re.findall(r'<div class="alert[^"]*" role="status">(.*?)</div>', page, re.S))
    )


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
    # «Tick all» waits hidden for its script; without it each box is ticked on its own.
    assert '<div class="form-check mb-2" data-select-all="numbers" hidden>' in page
    assert re.search(r"js/select-all\.[0-9a-f]{12}\.js", page)


def test_rejecting_several_with_one_reason_shows_what_will_happen_then_does_it(
    client, app, screening, outbox
):
    first, second, third, admitted, rejected = screening
    reason = "Заявка не відповідає темі конкурсу."
    chosen = {"numbers": [first, second], "decision": "rejected", "reason": reason}
    page = client.submit(BULK, chosen).get_data(as_text=True)
    plan = _text(
        page[page.index('id="bulk-plan"') : page.index("</form>", page.index('id="bulk-plan"'))]
    )
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
    assert (states[first], states[admitted], states[rejected]) == (
        "admitted",
        "admitted",
        "rejected",
    )
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
        chosen = {
            "numbers": [screening[0], foreign],
            "decision": "admitted",
            "confirmed": confirmed,
        }
        response = client.submit(BULK, chosen)
        assert response.status_code == 422
        assert foreign in _text(response.get_data(as_text=True))
        assert "Nothing is changed" in response.get_data(as_text=True)
    assert _states(app) == before
    assert not _entries(app, "application.admitted")


def test_a_bulk_decision_outside_screening_is_refused(client, app, screening):
    with app.app_context():
        contest = db.session.scalar(
            select(Application).where(Application.number == screening[0])
        ).contest
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


# One juror to several applications ---------------------------------------------------


def _sheets(app, arranged) -> set[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Application.number, Scoresheet.juror_id).join(
                Scoresheet, Scoresheet.application_id == Application.id
            )
        ).all()
        return {(number, juror) for number, juror in rows if number in arranged.numbers}


@pytest.fixture
def matrix(app, build, organiser):
    """A contest in screening with four admitted applications; the juror Ірина works for
    the organisation of the fourth, and is assigned to the first already."""
    iryna = build.user(Role.JUROR, email="iryna@example.org", name="Ірина Бондар")
    petro = build.user(Role.JUROR, email="petro@example.org", name="Петро Коваль")
    arranged = arrange(app, build, organiser, count=4, jurors=[iryna, petro], stage=Stage.SCREENING)
    with app.app_context():
        db.session.get(User, iryna).organisation_id = arranged.organisations[3]
        db.session.commit()
    assign(app, arranged, [(arranged.numbers[0], iryna)])
    return arranged, iryna, petro


def test_one_juror_is_assigned_to_the_ticked_applications_after_a_plan(client, app, matrix):
    arranged, iryna, _petro = matrix
    url = arranged.url("/assignments/bulk")
    page = client.get(arranged.url("/assignments")).get_data(as_text=True)
    assert f'action="{url}"' in page and f'value="{arranged.numbers[2]}"' in page
    chosen = {"numbers": arranged.numbers, "juror": str(iryna)}
    plan = _text(client.submit(url, chosen).get_data(as_text=True))
    first, second, third, own = arranged.numbers
    assert f"Ірина Бондар will be assigned to 2 applications: {second}" in plan and third in plan
    assert "2 applications cannot get this juror:" in plan
    assert f"{first} · ГО «Заявник jury-2026 1»: Ірина Бондар is already assigned" in plan
    assert f"{own}" in plan and "conflict of interest with this applicant" in plan
    assert _sheets(app, arranged) == {(first, iryna)}  # nothing yet

    response = client.submit(url, {**chosen, "confirmed": "1"})
    assert response.status_code == 302
    assert _sheets(app, arranged) == {(first, iryna), (second, iryna), (third, iryna)}
    entries = _entries(app, "assignment.added")  # one per pair, as one assignment is
    assert (
        sorted((e.details["juror"], e.details["application"]) for e in entries)
        == sorted((iryna, e.details["application"]) for e in entries)
        and len(entries) == 2
    )
    flashes = _flashes(client.get(arranged.url("/assignments")).get_data(as_text=True))
    assert f"Ірина Бондар is assigned to 2 applications: {second}, {third}." in flashes
    assert f"{own} is not changed:" in flashes and f"{first} is not changed:" in flashes


def test_a_bulk_assignment_with_another_contests_application_changes_nothing(
    client, app, build, organiser, matrix
):
    arranged, iryna, _petro = matrix
    other = arrange(app, build, organiser, count=1, jurors=[iryna], slug="insha-2026")
    response = client.submit(
        arranged.url("/assignments/bulk"),
        {"numbers": [arranged.numbers[1], other.numbers[0]], "juror": str(iryna), "confirmed": "1"},
    )
    assert response.status_code == 422
    assert other.numbers[0] in _text(response.get_data(as_text=True))
    assert _sheets(app, arranged) == {(arranged.numbers[0], iryna)}
    assert not _entries(app, "assignment.added")


def test_blank_ticks_are_no_choice_on_either_bulk_page(client, app, screening):
    """A body with only empty numbers (what a fuzzer sent) is told to tick, on the
    decisions' page and on the assignments' page, and nothing changes."""
    for blanks in ([""], ["", "  "]):
        page = client.submit(BULK, {"numbers": blanks, "decision": "admitted"})
        text = page.get_data(as_text=True)
        assert 'id="error-summary"' in text
        assert "Tick at least one application in the list." in text
    assert _states(app)[screening[0]] == "submitted"


def test_blank_ticks_assign_nobody(client, app, matrix):
    arranged, iryna, _petro = matrix
    page = client.submit(
        arranged.url("/assignments/bulk"), {"numbers": [" "], "juror": str(iryna)}
    ).get_data(as_text=True)
    assert 'id="error-summary"' in page and "Tick at least one application in the list." in page
    assert _sheets(app, arranged) == {(arranged.numbers[0], iryna)}


def test_a_bulk_assignment_names_a_juror_who_is_not_on_the_jury(client, app, build, matrix):
    arranged, iryna, _petro = matrix
    outsider = build.user(Role.JUROR, email="outsider@example.org")
    page = client.submit(
        arranged.url("/assignments/bulk"),
        {"numbers": [arranged.numbers[1]], "juror": str(outsider), "confirmed": "1"},
    ).get_data(as_text=True)
    assert 'id="error-summary"' in page and "Choose a member of the jury." in page
    assert _sheets(app, arranged) == {(arranged.numbers[0], iryna)}


def test_a_bulk_assignment_after_the_deliberation_is_refused(client, app, matrix):
    arranged, iryna, _petro = matrix
    with app.app_context():
        db.session.get(Contest, arranged.contest_id).stage = Stage.PUBLISHED
        db.session.commit()
    response = client.submit(
        arranged.url("/assignments/bulk"),
        {"numbers": [arranged.numbers[1]], "juror": str(iryna), "confirmed": "1"},
    )
    assert response.status_code == 422
    assert "Assignments are made from the screening stage" in response.get_data(as_text=True)
    assert _sheets(app, arranged) == {(arranged.numbers[0], iryna)}


# Reminding every late juror ------------------------------------------------------------


def test_reminders_audit_each_juror_and_name_those_the_mail_did_not_reach(
    client, app, build, organiser, outbox, monkeypatch
):
    people = [
        build.user(Role.JUROR, email="iryna@example.org", name="Ірина Бондар"),
        build.user(Role.JUROR, email="broken@example.org", name="Петро Коваль"),
    ]
    arranged = arrange(app, build, organiser, count=2, jurors=people)
    assign(app, arranged, [(n, p) for n in arranged.numbers for p in people])
    from scoring.judging import jury_views

    real = jury_views.send_mail

    def send(to, *args, **kwargs):
        if to == "broken@example.org":
            raise OSError("mailbox unavailable")
        return real(to, *args, **kwargs)

    monkeypatch.setattr(jury_views, "send_mail", send)
    page = client.get(arranged.url("/jury/remind")).get_data(as_text=True)
    assert "Send 2 reminders" in page
    client.submit(arranged.url("/jury/remind"))
    assert [m["To"] for m in outbox()] == ["iryna@example.org"]
    (entry,) = _entries(app, "jury.reminded")
    assert entry.object_id == str(people[0]) and entry.details == {"remaining": 2}
    flashes = _flashes(client.get(arranged.url("/jury")).get_data(as_text=True))
    assert "A reminder is sent to 1 juror." in flashes
    assert "could not be sent to: Петро Коваль (broken@example.org)" in flashes


def test_one_juror_is_reminded_alone_from_the_jury_page(client, app, build, organiser, outbox):
    people = [
        build.user(Role.JUROR, email="iryna@example.org", name="Ірина Бондар"),
        build.user(Role.JUROR, email="petro@example.org", name="Петро Коваль"),
    ]
    arranged = arrange(app, build, organiser, count=1, jurors=people)
    assign(app, arranged, [(arranged.numbers[0], p) for p in people])
    page = client.get(arranged.url("/jury")).get_data(as_text=True)
    alone = arranged.url(f"/jury/remind?juror={people[1]}")
    assert f'href="{alone}"' in page
    listed = client.get(alone).get_data(as_text=True)
    assert (
        "Петро Коваль — 1 scoresheet left" in listed
        and "Ірина" not in listed.split('id="reminded"')[1]
    )
    client.submit(alone)
    assert [m["To"] for m in outbox()] == ["petro@example.org"]
    assert [e.object_id for e in _entries(app, "jury.reminded")] == [str(people[1])]
    stranger = build.user(Role.JUROR, email="stranger@example.org")
    assert client.get(arranged.url(f"/jury/remind?juror={stranger}")).status_code == 404


@pytest.mark.parametrize("page", ["decisions", "assignments"])
def test_seventy_thousand_ticks_are_told_the_limit_and_change_nothing(
    client, app, screening, matrix, page
):
    """A body with more numbers than a query may bind (PostgreSQL takes at most 65 535
    parameters) is refused by the limit of one bulk action, not with a 500."""
    arranged, iryna, _petro = matrix
    numbers = [f"X-{n}" for n in range(70_000)] + [screening[0]]
    if page == "decisions":
        url, body = BULK, {"numbers": numbers, "decision": "admitted", "confirmed": "1"}
    else:
        url = arranged.url("/assignments/bulk")
        body = {"numbers": numbers, "juror": str(iryna), "confirmed": "1"}
    before = _states(app)
    response = client.submit(url, body)
    assert response.status_code == 200
    text = _text(response.get_data(as_text=True))
    assert "Choose at most 200 applications at once." in text
    assert _states(app) == before
    assert not _entries(app, "application.admitted") and not _entries(app, "assignment.added")


@pytest.mark.parametrize("juror", ["99999999999999999999999", "abc", "2147483648", ""])
def test_reminding_a_juror_who_cannot_exist_is_a_404_and_reminds_nobody(
    client, app, build, organiser, outbox, juror
):
    """``?juror=`` names one juror: a number no row can have (SQLite refused it with an
    OverflowError, a 500) or no number at all is nobody, not every late juror."""
    people = [build.user(Role.JUROR, email="iryna@example.org", name="Ірина Бондар")]
    arranged = arrange(app, build, organiser, count=1, jurors=people)
    assign(app, arranged, [(arranged.numbers[0], people[0])])
    url = arranged.url(f"/jury/remind?juror={juror}")
    assert client.get(url).status_code == 404
    assert client.submit(url).status_code == 404
    assert outbox() == [] and not _entries(app, "jury.reminded")


def test_a_tick_holding_a_nul_character_is_read_without_it(client, app, matrix):
    """A crafted body with NUL in a ticked number was a 500 on PostgreSQL (a text value
    with NUL is refused there); the number is read as typed without it."""
    arranged, iryna, _petro = matrix
    url = arranged.url("/assignments/bulk")
    body = {"numbers": [arranged.numbers[1] + "\x00", "\x00"], "juror": str(iryna)}
    plan = _text(client.submit(url, body).get_data(as_text=True))
    assert f"Ірина Бондар will be assigned to 1 application: {arranged.numbers[1]}" in plan
