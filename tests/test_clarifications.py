"""Requests for a clarification during screening (SPEC §14): the organiser asks for named
answers or files by a deadline, the applicant answers only those, screening waits for
the answer or the deadline, a late answer is refused with its draft kept.

The contest of ``tests/_outcome.py`` moved back to screening, with «Друга» (B) submitted
and awaiting a decision. The clock stands on Thursday 9 April 2026, 10:00 in Kyiv.
"""

import io
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from scoring import clock
from scoring.extensions import db
from scoring.models import (
    Answer,
    Application,
    ApplicationState,
    Attachment,
    AuditEntry,
    ClarificationRequest,
    Contest,
    Stage,
    User,
)

from . import _files
from ._outcome import decided_contest, signed_in

NOW = datetime(2026, 4, 9, 7, 0, tzinfo=UTC)  # Thursday, 10:00 in Kyiv
DEFAULT_DEADLINE = datetime(2026, 4, 14, 20, 59, 59, tzinfo=UTC)  # Tuesday 23:59:59 in Kyiv
MESSAGE = "Додайте, будь ласка, статут у PDF і уточніть бюджет: сума має бути в гривнях."


def test_three_working_days_skip_the_weekend():
    thursday = datetime(2026, 4, 9, 7, 0, tzinfo=UTC)
    assert clock.working_days_after(thursday, 3) == DEFAULT_DEADLINE
    friday_night = datetime(2026, 4, 10, 20, 30, tzinfo=UTC)  # 23:30 Friday in Kyiv
    assert clock.kyiv_day(clock.working_days_after(friday_night, 3)) == date(2026, 4, 15)
    saturday = datetime(2026, 4, 11, 9, 0, tzinfo=UTC)
    assert clock.kyiv_day(clock.working_days_after(saturday, 1)) == date(2026, 4, 13)
    # Kyiv's midnight, not UTC's: 01:30 on Monday in Kyiv is still Sunday in UTC.
    monday = datetime(2026, 4, 12, 22, 30, tzinfo=UTC)
    assert clock.kyiv_day(clock.working_days_after(monday, 1)) == date(2026, 4, 14)
    # Winter time: the deadline is 23:59:59 in Kyiv, two hours ahead of UTC.
    assert clock.working_days_after(datetime(2026, 1, 5, 9, tzinfo=UTC), 1) == datetime(
        2026, 1, 6, 21, 59, 59, tzinfo=UTC
    )


@pytest.fixture
def screening(app, build, clock_at):
    clock_at(NOW)
    decided = decided_contest(app, build, stage=Stage.SCREENING)
    with app.app_context():
        application = db.session.get(Application, decided.ids["b"])
        application.state, application.decided_at = ApplicationState.SUBMITTED, None
        application.attachments = [
            Attachment(
                question_id=decided.questions["statute"],
                filename="old-statute.pdf",
                content_type="application/pdf",
                size=4,
                sha256="0" * 64,
                content=b"%PDF",
            )
        ]
        for user in db.session.scalars(select(User)):
            user.language = "en"
        db.session.commit()
    return decided


def _client(app, email):
    client = signed_in(app, email)
    client.submit("/language", {"language": "en", "next": "/"})
    return client


def _ask(organiser, decided, **changes):
    form = {
        "message": MESSAGE,
        "questions": [str(decided.questions["budget"]), str(decided.questions["statute"])],
        "deadline": "2026-04-14T23:59",
    } | changes
    return organiser.submit(
        f"/manage/contests/{decided.slug}/applications/{decided.numbers['b']}/clarify", form
    )


def _request(app) -> ClarificationRequest:
    with app.app_context():
        return db.session.scalars(select(ClarificationRequest)).one()


def _answers(app, decided) -> dict:
    with app.app_context():
        return {
            a.question_id: a.value
            for a in db.session.scalars(
                select(Answer).where(Answer.application_id == decided.ids["b"])
            )
        }


def _files_of(app, decided) -> list[str]:
    with app.app_context():
        return [
            a.filename
            for a in db.session.scalars(
                select(Attachment).where(Attachment.application_id == decided.ids["b"])
            )
        ]


def _actions(app, prefix: str) -> list[str]:
    with app.app_context():
        return [
            e.action
            for e in db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.like(f"{prefix}%"))
                .order_by(AuditEntry.id)
            )
        ]


def test_the_organiser_asks_with_a_default_deadline_and_the_applicant_is_emailed(
    app, screening, outbox
):
    decided = screening
    organiser = _client(app, decided.organiser)
    url = f"/manage/contests/{decided.slug}/applications/{decided.numbers['b']}"
    assert "Ask for a clarification" in organiser.get(url).text
    form = organiser.get(f"{url}/clarify").text
    assert 'value="2026-04-14T23:59"' in form  # three working days, the weekend skipped
    assert "Summary" in form and "Statute" in form
    response = _ask(organiser, decided)
    assert response.status_code == 302
    asked = _request(app)
    assert asked.message == MESSAGE and asked.asked_at == NOW
    assert asked.question_ids == sorted([decided.questions["budget"], decided.questions["statute"]])
    assert asked.deadline == datetime(2026, 4, 14, 20, 59, tzinfo=UTC)
    (mail,) = outbox()
    assert mail["To"].addresses[0].addr_spec == decided.applicants["b"]
    body = mail.get_body(("plain",)).get_content()
    assert MESSAGE in body and "- Budget" in body and "- Statute" in body
    assert "Summary" not in body
    assert "by April 14, 2026, 23:59 (Kyiv time)" in body
    assert f"/applications/{decided.numbers['b']}/clarification" in body
    page = organiser.get(url).text
    assert MESSAGE in page and "awaiting the answer" in page and 'id="decision-waits"' in page
    assert _actions(app, "clarification") == ["clarification.requested"]
    dashboard = organiser.get(f"/manage/contests/{decided.slug}").text
    assert "1 request for a clarification awaits the applicant’s answer" in dashboard


def test_asking_checks_the_message_the_questions_and_the_deadline(app, screening):
    decided = screening
    organiser = _client(app, decided.organiser)
    response = _ask(organiser, decided, message=" ", questions=[], deadline="2026-04-09T09:00")
    assert response.status_code == 422
    page = response.text
    assert 'id="message-errors"' in page and "Write what the applicant should fix" in page
    assert 'id="questions-errors"' in page and 'id="deadline-errors"' in page
    far = _ask(organiser, decided, deadline="2026-07-01T10:00")
    assert "at most 60 days away" in far.text
    assert _actions(app, "clarification") == []
    # One open request at a time.
    assert _ask(organiser, decided).status_code == 302
    again = _ask(organiser, decided)
    assert "has an open request already" in again.text
    with app.app_context():
        assert len(db.session.scalars(select(ClarificationRequest)).all()) == 1


def test_screening_waits_for_the_answer_or_the_deadline(app, screening, clock_at):
    decided = screening
    organiser = _client(app, decided.organiser)
    _ask(organiser, decided)
    url = f"/manage/contests/{decided.slug}/applications/{decided.numbers['b']}"
    refused = organiser.submit(url, {"decision": "admitted", "reason": ""})
    assert "to answer the request for a clarification" in refused.text
    with app.app_context():
        assert db.session.get(Application, decided.ids["b"]).state == ApplicationState.SUBMITTED
    stage = organiser.get(f"/manage/contests/{decided.slug}/stage?to=judging").text
    assert "has until April 14, 2026, 23:59 to answer the request" in stage
    # The deadline passes without an answer: screening goes on.
    clock_at(datetime(2026, 4, 14, 21, 0, tzinfo=UTC))
    assert organiser.submit(url, {"decision": "admitted", "reason": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(Application, decided.ids["b"]).state == ApplicationState.ADMITTED
    assert "not answered in time" in organiser.get(url).text


def test_the_applicant_changes_only_the_named_answers_and_sends_them(app, screening, outbox):
    decided = screening
    _ask(_client(app, decided.organiser), decided)
    b = _client(app, decided.applicants["b"])
    number = decided.numbers["b"]
    page = b.get(f"/applications/{number}").text
    assert 'id="clarification-asked"' in page and MESSAGE in page
    form = b.get(f"/applications/{number}/clarification").text
    budget, summary = f"q-{decided.questions['budget']}", f"q-{decided.questions['summary']}"
    assert f'name="{budget}"' in form and f'name="{summary}"' not in form
    assert 'type="file"' in form and f'name="q-{decided.questions["statute"]}"' in form
    before = _answers(app, decided)

    # A draft: kept with the request, the application unchanged, the organisers see nothing.
    saved = b.submit(
        f"/applications/{number}/clarification",
        {budget: "125 000", summary: "Підмінений опис", "note": "Додала статут.", "action": "save"},
    )
    assert saved.status_code == 302
    assert _request(app).draft == {str(decided.questions["budget"]): "125 000"}
    assert _answers(app, decided) == before  # the summary was not named: ignored
    organiser = _client(app, decided.organiser)
    screening_page = organiser.get(f"/manage/contests/{decided.slug}/applications/{number}").text
    assert "125 000" not in screening_page

    # A bad value is refused on sending, beside its field, the draft kept.
    refused = b.submit(
        f"/applications/{number}/clarification", {budget: "сто тисяч", "action": "send"}
    )
    assert refused.status_code == 422
    assert f'id="{budget}-errors"' in refused.text and "Enter a number" in refused.text
    assert _request(app).answered_at is None

    # The file and the number, sent.
    statute = f"q-{decided.questions['statute']}"
    pdf = _files.pdf()
    sent = b.post(
        f"/applications/{number}/clarification",
        data={
            "csrf_token": b.csrf_token(f"/applications/{number}/clarification"),
            budget: "125000",
            "note": "Додала статут.",
            "action": "send",
            statute: (io.BytesIO(pdf), "Статут 2026.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    answered = _request(app)
    assert answered.answered_at == NOW and answered.note == "Додала статут."
    assert answered.previous == {
        str(decided.questions["budget"]): {"text": ""},
        str(decided.questions["statute"]): {"file": "old-statute.pdf", "sha256": "0" * 64},
    }
    answers = _answers(app, decided)
    assert answers[decided.questions["budget"]] == "125000"
    assert answers[decided.questions["summary"]] == before[decided.questions["summary"]]
    assert _files_of(app, decided) == ["Статут 2026.pdf"]
    assert _actions(app, "clarification") == [
        "clarification.requested",
        "clarification.draft_saved",
        "clarification.draft_saved",
        "clarification.draft_saved",
        "clarification.answered",
    ]
    page = organiser.get(f"/manage/contests/{decided.slug}/applications/{number}").text
    assert "answered" in page and "Додала статут." in page
    assert "the file «old-statute.pdf» replaced" in page
    assert "The clarification answered" in page  # the history, from the audit log
    # The application's answer can no longer be changed through the request.
    again = b.submit(f"/applications/{number}/clarification", {budget: "1", "action": "send"})
    assert again.status_code == 409
    assert _answers(app, decided)[decided.questions["budget"]] == "125000"


def test_a_late_answer_is_refused_and_its_draft_kept(app, screening, clock_at):
    decided = screening
    _ask(_client(app, decided.organiser), decided)
    b = _client(app, decided.applicants["b"])
    number = decided.numbers["b"]
    budget = f"q-{decided.questions['budget']}"
    b.submit(f"/applications/{number}/clarification", {budget: "90000", "action": "save"})
    clock_at(datetime(2026, 4, 14, 21, 0, tzinfo=UTC))  # the deadline has passed
    response = b.submit(
        f"/applications/{number}/clarification", {budget: "95000", "action": "send"}
    )
    assert response.status_code == 409
    assert (
        "The answer was not sent: the deadline was April 14, 2026, 23:59 (Kyiv time). Your "
        "draft is kept." in response.text
    )
    late = _request(app)
    assert late.answered_at is None
    assert late.draft == {str(decided.questions["budget"]): "95000"}  # nothing typed is lost
    assert decided.questions["budget"] not in _answers(app, decided)
    page = b.get(f"/applications/{number}/clarification").text
    assert "the answer can no longer be sent" in page and "95000" in page
    assert "Send the answer" not in page
    assert "clarification.answered" not in _actions(app, "clarification")


def test_only_the_applicant_sees_the_request(app, screening, build):
    decided = screening
    _ask(_client(app, decided.organiser), decided)
    url = f"/applications/{decided.numbers['b']}/clarification"
    a = _client(app, decided.applicants["a"])
    assert a.get(url).status_code == 404
    assert a.submit(url, {"action": "send"}).status_code == 404
    juror = signed_in(app, f"j1@{decided.slug}.example")
    assert juror.get(url).status_code == 403
    assert app.test_client().get(url).status_code == 302  # to the login page
    # An application without a request has no clarification page.
    assert a.get(f"/applications/{decided.numbers['a']}/clarification").status_code == 404


def test_the_applicant_is_reminded_once_the_day_before_the_deadline(
    app, screening, clock_at, runner, outbox
):
    decided = screening
    _ask(_client(app, decided.organiser), decided)  # until Tuesday 14 April, 23:59
    before = len(outbox())
    clock_at(datetime(2026, 4, 12, 9, 0, tzinfo=UTC))  # Sunday: two days before
    assert "заявникам — 0" in runner.invoke(args=["send-reminders"]).output
    clock_at(datetime(2026, 4, 13, 5, 0, tzinfo=UTC))  # Monday, 8:00 in Kyiv
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0 and "заявникам — 1" in result.output
    (mail,) = outbox()[before:]
    assert mail["To"].addresses[0].addr_spec == decided.applicants["b"]
    assert "Reminder" in mail["Subject"]
    assert MESSAGE in mail.get_body(("plain",)).get_content()
    for moment in (datetime(2026, 4, 13, 18, 0, tzinfo=UTC), datetime(2026, 4, 14, 8, tzinfo=UTC)):
        clock_at(moment)
        assert "заявникам — 0" in runner.invoke(args=["send-reminders"]).output
    assert len(outbox()) == before + 1
    assert _actions(app, "clarification.reminded") == ["clarification.reminded"]


def test_an_answered_request_gets_no_reminder(app, screening, clock_at, runner, outbox):
    decided = screening
    _ask(_client(app, decided.organiser), decided)
    b = _client(app, decided.applicants["b"])
    budget = f"q-{decided.questions['budget']}"
    b.submit(
        f"/applications/{decided.numbers['b']}/clarification", {budget: "1000", "action": "send"}
    )
    before = len(outbox())
    clock_at(datetime(2026, 4, 13, 5, 0, tzinfo=UTC))
    assert "заявникам — 0" in runner.invoke(args=["send-reminders"]).output
    assert len(outbox()) == before


def test_clarifications_are_asked_only_in_screening(app, screening):
    decided = screening
    with app.app_context():
        db.session.get(Contest, decided.contest_id).stage = Stage.JUDGING
        db.session.commit()
    organiser = _client(app, decided.organiser)
    page = organiser.get(
        f"/manage/contests/{decided.slug}/applications/{decided.numbers['b']}/clarify"
    ).text
    assert "Screening is over" in page and 'name="message"' not in page
    response = _ask(organiser, decided)
    assert response.status_code == 422
    assert "while the applications are being screened" in response.text
    with app.app_context():
        assert db.session.scalars(select(ClarificationRequest)).all() == []
    shown = organiser.get(
        f"/manage/contests/{decided.slug}/applications/{decided.numbers['b']}"
    ).text
    assert re.search("Ask for a clarification</a>", shown) is None


def test_a_request_asked_while_judging_starts_waits_and_is_refused(app, screening):
    """Asking and starting the judging at the same moment: the request waits for the move
    (PostgreSQL: the contest's row; SQLite: the write lock) and is then refused, so no
    request reopens an application the jury is already scoring."""
    import threading

    decided = screening
    organiser = _client(app, decided.organiser)
    url = f"/manage/contests/{decided.slug}/applications/{decided.numbers['b']}/clarify"
    data = {
        "csrf_token": organiser.csrf_token(url),
        "message": MESSAGE,
        "questions": [str(decided.questions["budget"])],
        "deadline": "2026-04-14T23:59",
    }
    responses = []
    with app.app_context():
        with db.engine.begin() as other:  # the start of judging, not yet committed
            other.execute(
                Contest.__table__.update()
                .where(Contest.id == decided.contest_id)
                .values(stage=Stage.JUDGING)
            )
            thread = threading.Thread(
                target=lambda: responses.append(organiser.post(url, data=data))
            )
            thread.start()
            thread.join(timeout=1)
            assert thread.is_alive() and responses == []  # waiting for the move
        thread.join(timeout=30)
    assert responses[0].status_code == 422
    assert "while the applications are being screened" in responses[0].get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(ClarificationRequest)).all() == []
    assert _actions(app, "clarification.") == []
