"""Appeals (SPEC §14): filed within the days after publication, answered by the commission,
an upheld one reopening the results through the stage page; the protocol's addendum and
the reminders. The contest of ``tests/_outcome.py``, published at 10:00 Kyiv time on
Monday 6 April 2026; appeals are taken for 10 days, answered within 5 working days.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Appeal, AppealDecision, AuditEntry, Contest, Stage, User

from ._outcome import decided_contest, publish, settings_form, signed_in
from ._shown import shows, visible_text

PUBLISHED = datetime(2026, 4, 6, 7, 0, tzinfo=UTC)  # Monday, 10:00 in Kyiv (EEST)
LAST_DAY = datetime(2026, 4, 16, 20, 59, tzinfo=UTC)  # 23:59 in Kyiv, 10 days later
REASON = "Комісія не врахувала додаток 3 до заявки: прошу переглянути оцінку за C2."
ANSWER = "Комісія переглянула оцінки за C2 і визнала помилку в підрахунку."


@pytest.fixture
def decided(app, build, clock_at):
    clock_at(PUBLISHED - timedelta(days=1))
    decided = decided_contest(app, build)
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        db.session.commit()
    clock_at(PUBLISHED)
    publish(app, decided)
    return decided


def _client(app, email):
    client = signed_in(app, email)
    client.submit("/language", {"language": "en", "next": "/"})
    return client


def _file(client, decided, key="b", reason=REASON):
    return client.submit(f"/applications/{decided.numbers[key]}/appeal", {"reason": reason})


def _appeals(app) -> list[Appeal]:
    with app.app_context():
        return db.session.scalars(select(Appeal).order_by(Appeal.id)).all()


def _actions(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_an_applicant_files_one_appeal_within_the_days_after_publication(
    app, decided, clock_at, outbox
):
    b = _client(app, decided.applicants["b"])
    page = b.get(f"/applications/{decided.numbers['b']}").get_data(as_text=True)
    assert "you can file one appeal with its reason until April 16, 2026, 23:59" in page
    form = b.get(f"/applications/{decided.numbers['b']}/appeal").get_data(as_text=True)
    assert "Not among the winners: place 2" in form and 'name="reason"' in form
    clock_at(LAST_DAY)  # the last minute of the last day
    response = _file(b, decided)
    assert response.status_code == 302
    (appeal,) = _appeals(app)
    assert appeal.reason == REASON and appeal.decision is None
    # Five working days from Thursday the 16th: the 17th, 20th, 21st, 22nd and 23rd.
    assert appeal.answer_due == datetime(2026, 4, 23, 20, 59, 59, tzinfo=UTC)
    (entry,) = _actions(app, "appeal.filed")
    assert entry.details["number"] == decided.numbers["b"]
    page = b.get(f"/applications/{decided.numbers['b']}").get_data(as_text=True)
    assert REASON in page and "The commission answers by April 23, 2026, 23:59" in page
    (mail,) = [m for m in outbox() if m["To"].addresses[0].addr_spec == decided.organiser]
    assert decided.numbers["b"] in mail["Subject"]
    assert f"/manage/contests/{decided.slug}/appeals/{decided.numbers['b']}" in str(mail)
    # One appeal per application.
    again = _file(b, decided, reason="Ще одна скарга.")
    assert again.status_code == 409
    assert "one is allowed" in again.get_data(as_text=True)
    assert len(_appeals(app)) == 1


def test_an_appeal_after_its_window_is_refused_and_the_reason_kept(app, decided, clock_at):
    b = _client(app, decided.applicants["b"])
    clock_at(LAST_DAY + timedelta(minutes=1))  # midnight in Kyiv: the window has closed
    response = _file(b, decided)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "The time for appeals ended on April 16, 2026, 23:59 (Kyiv time)." in page
    assert REASON in page  # what was typed is shown back, to copy
    assert _appeals(app) == [] and _actions(app, "appeal.filed") == []
    shown = b.get(f"/applications/{decided.numbers['b']}").get_data(as_text=True)
    assert "The time for appeals ended" in shown and "File an appeal" not in shown


def test_no_appeal_where_the_rules_provide_none_or_before_publication(app, build, clock_at):
    decided = decided_contest(app, build, slug="bez-skarh", appeal_days=0)
    b = _client(app, decided.applicants["b"])
    before = _file(b, decided)
    assert before.status_code == 409
    assert "The rules of this contest provide no appeals." in before.get_data(as_text=True)
    with app.app_context():
        db.session.get(Contest, decided.contest_id).appeal_days = 5
        db.session.commit()
    assert "Appeals are filed after the results are published." in _file(b, decided).text
    assert _appeals(app) == []
    # Only the applicant's own application: another applicant gets 404.
    c = _client(app, decided.applicants["c"])
    assert _file(c, decided, key="b").status_code == 404


def test_an_empty_reason_is_refused_beside_the_field(app, decided):
    b = _client(app, decided.applicants["b"])
    response = _file(b, decided, reason="   ")
    assert response.status_code == 422
    assert 'id="reason-errors"' in response.text and "Write why you appeal" in response.text
    assert _appeals(app) == []


def _answer(organiser, decided, decision, answer=ANSWER, key="b"):
    return organiser.submit(
        f"/manage/contests/{decided.slug}/appeals/{decided.numbers[key]}",
        {"decision": decision, "answer": answer},
    )


def test_the_organiser_lists_the_appeals_and_records_the_answer_once(app, decided, outbox):
    b = _client(app, decided.applicants["b"])
    _file(b, decided)
    organiser = _client(app, decided.organiser)
    listing = organiser.get(f"/manage/contests/{decided.slug}/appeals").text
    assert decided.numbers["b"] in listing and "awaits the answer" in listing
    assert "Applicants may appeal until April 16, 2026, 23:59" in listing
    dashboard = organiser.get(f"/manage/contests/{decided.slug}").text
    assert "1 appeal awaits the commission’s answer; the nearest is due April 13, 2026" in dashboard
    refused = _answer(organiser, decided, "", answer="")
    assert refused.status_code == 422
    assert "Choose whether the commission upholds" in refused.text
    assert "Write the commission’s reasons" in refused.text
    before = len(outbox())
    assert _answer(organiser, decided, "rejected").status_code == 302
    (appeal,) = _appeals(app)
    assert appeal.decision == AppealDecision.REJECTED and appeal.answer == ANSWER
    (mail,) = outbox()[before:]
    assert mail["To"].addresses[0].addr_spec == decided.applicants["b"]
    body = mail.get_body(("plain",)).get_content()
    assert "The appeal is rejected: the results stand." in body and ANSWER in body
    page = b.get(f"/applications/{decided.numbers['b']}").text
    assert "Rejected" in page and ANSWER in page
    # Recorded once: a second answer is refused and changes nothing.
    again = _answer(organiser, decided, "upheld", answer="Інша відповідь.")
    assert again.status_code == 409
    assert _appeals(app)[0].decision == AppealDecision.REJECTED
    (entry,) = _actions(app, "appeal.answered")
    assert entry.reason == ANSWER and entry.details["decision"] == "rejected"
    # The dashboard counts no appeal awaiting an answer any more.
    assert "No appeal awaits an answer." in organiser.get(f"/manage/contests/{decided.slug}").text


def test_published_results_go_back_to_deliberation_only_on_an_upheld_appeal(
    app, decided, clock_at, outbox
):
    organiser = _client(app, decided.organiser)
    stage = f"/manage/contests/{decided.slug}/stage"
    refused = organiser.get(f"{stage}?to=deliberation").text
    assert "Published results are reopened only on an appeal the commission upheld" in refused
    assert "Move back" not in organiser.get(f"/manage/contests/{decided.slug}").text
    response = organiser.submit(stage, {"to": "deliberation", "reason": "Просто так."})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Contest, decided.contest_id).stage == Stage.PUBLISHED

    b = _client(app, decided.applicants["b"])
    _file(b, decided)
    _answer(organiser, decided, "upheld")
    appeal_page = organiser.get(f"/manage/contests/{decided.slug}/appeals/{decided.numbers['b']}")
    assert "Reopening the results" in appeal_page.text
    assert f"{stage}?to=deliberation" in appeal_page.text
    preview = organiser.get(f"{stage}?to=deliberation").text
    assert "stop being public until you publish them again" in preview
    assert f"On the upheld appeal about {decided.numbers['b']}." in preview
    # A reason and the confirmation of the warning are both required.
    response = organiser.submit(stage, {"to": "deliberation", "reason": ""})
    assert "Give the reason for moving the contest back." in response.text
    assert "Confirm that you have read the warnings above." in response.text
    fingerprint = _fingerprint(response.text)
    reason = "Скаргу PR-2026-002 задоволено: переглядаємо оцінки."
    response = organiser.submit(
        stage,
        {"to": "deliberation", "reason": reason, "confirm": "y", "warnings": fingerprint},
    )
    assert response.status_code == 302
    with app.app_context():
        contest = db.session.get(Contest, decided.contest_id)
        assert contest.stage == Stage.DELIBERATION and contest.published_at == PUBLISHED
    (appeal,) = _appeals(app)
    assert appeal.reopened_at == PUBLISHED
    entry = _actions(app, "contest.stage")[-1]
    assert entry.reason == reason and entry.details["appeals"] == [appeal.id]
    assert entry.details["from_stage"] == "published"

    # What was public is withdrawn, and says why; no new appeal, no outcome meanwhile.
    visitor = app.test_client()
    assert visitor.get(f"/contests/{decided.slug}/results").status_code == 404
    assert visitor.get(f"/api/contests/{decided.slug}/results").status_code == 404
    # A visitor reads the contest's page in Ukrainian, the default language.
    assert "комісія переглядає після скарги" in visitor.get(f"/contests/{decided.slug}").text
    a = _client(app, decided.applicants["a"])
    page = a.get(f"/applications/{decided.numbers['a']}").text
    assert "Winner" not in page and "A-C1-перший" not in page
    assert a.get(f"/applications/{decided.numbers['a']}/certificate.pdf").status_code == 404
    refused = _file(a, decided, key="a")
    assert refused.status_code == 409 and "reviewing the results" in refused.text
    # The settings that decide the ranking stay as they were published.
    edit = organiser.submit(
        f"/manage/contests/{decided.slug}/edit", {**settings_form(app, decided), "winners": "2"}
    )
    assert "while they are reviewed on an appeal" in edit.text
    with app.app_context():
        assert db.session.get(Contest, decided.contest_id).winners == 1

    # Published again: everyone is told anew, and a new window opens.
    clock_at(PUBLISHED + timedelta(days=3))
    before = len(outbox())
    publish(app, decided)
    told = {m["To"].addresses[0].addr_spec for m in outbox()[before:]}
    assert set(decided.applicants.values()) <= told
    assert "until April 19, 2026" in a.get(f"/applications/{decided.numbers['a']}").text
    assert len(_actions(app, "contest.stage")) == 3  # published, reopened, published


def _fingerprint(page: str) -> str:
    return re.search(r'name="warnings"[^>]*value="([^"]*)"', page).group(1)


def test_a_contest_is_archived_only_once_every_appeal_is_answered(app, decided, clock_at):
    b = _client(app, decided.applicants["b"])
    _file(b, decided)
    organiser = _client(app, decided.organiser)
    stage = f"/manage/contests/{decided.slug}/stage"
    page = organiser.get(f"{stage}?to=archived").text
    assert f"The appeal about {decided.numbers['b']} awaits the commission’s answer" in page
    _answer(organiser, decided, "rejected")
    page = organiser.get(f"{stage}?to=archived").text
    assert "Applicants may appeal until April 16, 2026, 23:59 (Kyiv time)." in page
    clock_at(LAST_DAY + timedelta(days=1))
    page = organiser.get(f"{stage}?to=archived").text
    assert "Applicants may appeal until" not in page and "Confirm the change" in page


def test_the_protocols_addendum_lists_the_appeals_and_the_answers(app, decided, runner, tmp_path):
    _file(_client(app, decided.applicants["b"]), decided)
    _file(_client(app, decided.applicants["c"]), decided, key="c", reason="Статут був у додатку.")
    organiser = _client(app, decided.organiser)
    _answer(organiser, decided, "upheld")
    response = organiser.get(f"/manage/contests/{decided.slug}/appeals.pdf?lang=en")
    assert response.status_code == 200
    text = visible_text(response)
    for marker in (
        "ADDENDUM",
        "to the minutes No. 7",
        decided.numbers["b"],
        REASON,
        "Upheld",
        ANSWER,
        decided.numbers["c"],
        "Статут був у додатку.",
        "Awaits the commission’s answer",
        "Chair of the commission",
        "Оксана Суддівська",
    ):
        assert shows(text, marker), marker
    result = runner.invoke(args=["pdf", decided.slug, "appeals", "-o", str(tmp_path / "a.pdf")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")


def test_the_organisers_are_reminded_once_the_day_before_an_answer_is_due(
    app, decided, clock_at, runner, outbox
):
    _file(_client(app, decided.applicants["b"]), decided)  # due Monday 13 April, 23:59
    clock_at(datetime(2026, 4, 11, 6, 0, tzinfo=UTC))  # Saturday 9:00 in Kyiv: too early
    before = len(outbox())
    assert runner.invoke(args=["send-reminders"]).exit_code == 0
    assert len(outbox()) == before
    clock_at(datetime(2026, 4, 12, 6, 0, tzinfo=UTC))  # Sunday 9:00: the day before
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "організаторам — 1 (скарги)" in result.output
    (mail,) = outbox()[before:]
    assert mail["To"].addresses[0].addr_spec == decided.organiser
    assert "Reminder" in mail["Subject"] and decided.numbers["b"] in mail["Subject"]
    clock_at(datetime(2026, 4, 13, 6, 0, tzinfo=UTC))  # again on the day itself
    result = runner.invoke(args=["send-reminders"])
    assert "організаторам — 0" in result.output
    assert len(outbox()) == before + 1
    assert len(_actions(app, "appeal.reminded")) == 1


def test_an_appeal_filed_while_the_results_are_reopened_waits_and_is_refused(app, decided):
    """Filing and reopening the results at the same moment: the appeal waits for the
    reopening (PostgreSQL: the contest's row; SQLite: the write lock) and is then refused,
    nothing kept, so no appeal is ever filed against results under review."""
    import threading

    b = _client(app, decided.applicants["b"])
    url = f"/applications/{decided.numbers['b']}/appeal"
    data = {"csrf_token": b.csrf_token(url), "reason": REASON}
    responses = []
    with app.app_context():
        with db.engine.begin() as other:  # the reopening, not yet committed
            other.execute(
                Contest.__table__.update()
                .where(Contest.id == decided.contest_id)
                .values(stage=Stage.DELIBERATION)
            )
            thread = threading.Thread(target=lambda: responses.append(b.post(url, data=data)))
            thread.start()
            thread.join(timeout=1)
            assert thread.is_alive() and responses == []  # waiting for the reopening
        thread.join(timeout=30)
    assert responses[0].status_code == 409
    assert "The commission is reviewing the results" in responses[0].get_data(as_text=True)
    assert _appeals(app) == [] and _actions(app, "appeal.filed") == []


def test_a_second_answer_is_refused_with_a_message_saying_why(app, decided):
    """Two organisers answer at once: the second is told their answer was not recorded,
    not shown the first answer as if theirs had been."""
    _file(_client(app, decided.applicants["b"]), decided)
    first, second = _client(app, decided.organiser), _client(app, decided.organiser)
    assert _answer(first, decided, "rejected").status_code == 302
    refused = _answer(second, decided, "upheld", answer="Інша відповідь")
    assert refused.status_code == 409
    assert "The commission’s answer to this appeal is recorded already." in refused.text
    (appeal,) = _appeals(app)
    assert (appeal.decision, appeal.answer) == (AppealDecision.REJECTED, ANSWER)
    # The page read afterwards shows the answer alone.
    page = second.get(f"/manage/contests/{decided.slug}/appeals/{decided.numbers['b']}").text
    assert "recorded already" not in page
