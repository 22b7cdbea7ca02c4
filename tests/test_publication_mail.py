"""The e-mails of a publication leave the organiser's request (issue 17): publishing
answers at once, the contest page shows how many applicants are told and which e-mails
failed (and sends those again), a restart resumes what was left, and nobody is told
twice — two senders at once, a command run twice, a retry clicked twice.

The decided contest of ``_outcome`` has three applicants (two scored, one rejected): each
is told. ``outbox()`` waits for the senders in the background (``background.join``);
``_outbox_now`` does not."""

import threading
from datetime import timedelta
from pathlib import Path

import flask_mail
import pytest
from sqlalchemy import func, select, update

from scoring import clock, mail
from scoring.extensions import db
from scoring.models import AuditEntry, Contest, PublicationNotice, Stage, User
from scoring.results import announcements

from ._outcome import decided_contest, publish
from ._shown import visible_text
from .test_applications import _closed_port


@pytest.fixture
def decided(app, build):
    decided = decided_contest(app, build)
    with app.app_context():
        db.session.execute(update(User).values(language="en"))
        db.session.commit()
    return decided


real_start = announcements.start


@pytest.fixture
def stalled(monkeypatch):
    """The process ends right after the publication's commit: no sender starts."""
    monkeypatch.setattr(announcements, "start", lambda contest: False)
    return monkeypatch


def _dashboard(client, decided) -> str:
    response = client.get(f"/manage/contests/{decided.slug}")
    assert response.status_code == 200
    return " ".join(visible_text(response).split())


def _told(outbox) -> list[str]:
    return sorted(m["To"].addresses[0].addr_spec for m in outbox())


def _outbox_now(app) -> list[Path]:
    folder = Path(app.config["MAIL_OUTBOX"])
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def _everyone(decided) -> list[str]:
    return sorted(decided.applicants.values())


def test_publishing_answers_before_the_emails_go_and_the_page_counts_them(
    app, decided, outbox, monkeypatch
):
    gate, real_send = threading.Event(), mail.Batch.send

    def slow_server(batch, message):  # nothing leaves until the test opens the gate
        assert gate.wait(30), "the test never opened the gate"
        return real_send(batch, message)

    monkeypatch.setattr(mail.Batch, "send", slow_server)
    try:
        organiser = publish(app, decided)  # answered while the first e-mail still waits
        flashed = _dashboard(organiser, decided)
        assert "3 e-mails to the applicants are being sent" in flashed
        assert "0 of 3 applicants are informed by e-mail." in flashed
        assert "3 e-mails are still being sent." in flashed
        assert _outbox_now(app) == []
    finally:
        gate.set()
    assert _told(outbox) == _everyone(decided)
    page = _dashboard(organiser, decided)
    assert "3 of 3 applicants are informed by e-mail." in page
    assert "still being sent" not in page and "could not be sent" not in page


def test_the_progress_reads_in_ukrainian(app, decided, outbox):
    organiser = publish(app, decided)
    assert len(outbox()) == 3
    with app.app_context():
        db.session.execute(update(User).values(language="uk"))
        db.session.commit()
    page = _dashboard(organiser, decided)
    assert "Листи про результати" in page
    assert "Електронною поштою повідомлено 3 з 3 заявників." in page


def test_after_a_restart_the_command_sends_what_was_left_once(
    app, decided, outbox, runner, stalled
):
    organiser = publish(app, decided)
    assert outbox() == []
    assert "0 of 3 applicants are informed by e-mail." in _dashboard(organiser, decided)
    first = runner.invoke(args=["send-notices"])
    assert first.exit_code == 0, first.output
    assert "Надіслано листів про результати: 3." in first.output
    assert _told(outbox) == _everyone(decided)
    again = runner.invoke(args=["send-notices"])
    assert again.exit_code == 0 and "Надіслано листів про результати: 0." in again.output
    assert len(outbox()) == 3
    assert "3 of 3 applicants are informed by e-mail." in _dashboard(organiser, decided)


def test_after_a_restart_the_contest_page_resumes_the_emails(app, decided, outbox, stalled):
    organiser = publish(app, decided)
    stalled.undo()  # the new process
    assert "0 of 3 applicants are informed by e-mail." in _dashboard(organiser, decided)
    assert _told(outbox) == _everyone(decided)
    assert "3 of 3 applicants are informed by e-mail." in _dashboard(organiser, decided)
    assert len(outbox()) == 3  # the page seen again sends nothing more
    url = f"/manage/contests/{decided.slug}/stage?to=published"
    assert organiser.submit(url, {"confirm": "y"}).status_code == 302  # a second click
    assert len(outbox()) == 3
    with app.app_context():
        assert db.session.scalar(select(func.count(PublicationNotice.id))) == 3


def test_a_second_sender_at_the_same_time_sends_only_what_the_first_has_not_taken(
    app, decided, outbox, runner, monkeypatch
):
    """While the app's sender is in the middle of the first e-mail, another process runs
    the command: it sends the two others, and the first one goes once."""
    real_send, started, second = mail.Batch.send, [], []

    def meanwhile(batch, message):
        if not started:  # the other process: a thread with an app (and a session) of its own
            started.append(True)
            other = threading.Thread(
                target=lambda: second.append(runner.invoke(args=["send-notices"]))
            )
            other.start()
            other.join()
        return real_send(batch, message)

    monkeypatch.setattr(mail.Batch, "send", meanwhile)
    organiser = publish(app, decided)
    assert _told(outbox) == _everyone(decided)
    assert "Надіслано листів про результати: 2." in second[0].output
    assert "3 of 3 applicants are informed by e-mail." in _dashboard(organiser, decided)
    with app.app_context():
        runs = db.session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "contest.notices_sent")
        ).all()
    assert sorted(run["sent"] for run in runs) == [1, 2]


def test_an_email_cut_by_a_restart_is_shown_failed_and_sent_again_on_request(
    app, decided, outbox, runner, stalled, clock_at
):
    organiser = publish(app, decided)
    with app.app_context():  # a sender took A's e-mail, then its process ended
        db.session.execute(
            update(PublicationNotice)
            .where(PublicationNotice.application_id == decided.ids["a"])
            .values(state="sending", claimed_at=clock.now())
        )
        db.session.commit()
    assert runner.invoke(args=["send-notices"]).exit_code == 0
    assert _told(outbox) == sorted(decided.applicants[key] for key in "bc")
    page = _dashboard(organiser, decided)
    assert "2 of 3 applicants are informed by e-mail." in page
    assert "1 e-mail is still being sent." in page
    clock_at(clock.now() + timedelta(minutes=11))  # too long without an answer
    page = _dashboard(organiser, decided)
    assert "1 e-mail could not be sent:" in page
    assert (
        f"({decided.applicants['a']}), {decided.numbers['a']}: the sending was interrupted by "
        "a restart of the server; the e-mail may not have arrived"
    ) in page
    assert "still being sent" not in page

    stalled.setattr(announcements, "start", real_start)  # the new process
    retried = organiser.submit(f"/manage/contests/{decided.slug}/notices/retry")
    assert retried.status_code == 302
    assert _told(outbox) == _everyone(decided)
    page = _dashboard(organiser, decided)
    assert "1 e-mail is being sent again." in page
    assert "3 of 3 applicants are informed by e-mail." in page
    again = organiser.submit(f"/manage/contests/{decided.slug}/notices/retry")
    assert "No e-mail about the results waits to be sent again." in _dashboard(organiser, decided)
    assert again.status_code == 302 and len(outbox()) == 3
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "contest.notices_retried")
        )
        assert entry.details["count"] == 1 and entry.contest_id == decided.contest_id


def test_a_mail_server_that_is_down_fails_the_emails_which_are_sent_again_later(
    make_app, build, outbox
):
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=_closed_port(),
        MAIL_USE_TLS=False,
        MAIL_SUPPRESS_SEND=False,
    )
    decided = decided_contest(app, build)
    with app.app_context():
        db.session.execute(update(User).values(language="en"))
        db.session.commit()
    organiser = publish(app, decided)
    assert outbox() == []  # waited for: every e-mail failed
    page = _dashboard(organiser, decided)
    assert "0 of 3 applicants are informed by e-mail." in page
    assert "3 e-mails could not be sent:" in page
    for key in "abc":
        assert f"({decided.applicants[key]}), {decided.numbers[key]}: " in page
    assert page.count("Connection refused") == 3
    app.config["MAIL_SERVER"] = None  # the server is back (here: the outbox)
    assert organiser.submit(f"/manage/contests/{decided.slug}/notices/retry").status_code == 302
    assert _told(outbox) == _everyone(decided)
    page = _dashboard(organiser, decided)
    assert "3 of 3 applicants are informed by e-mail." in page, page
    assert "could not be sent" not in page, page


def test_one_smtp_connection_carries_all_the_emails(make_app, build, outbox, monkeypatch):
    connections = []

    class Server:
        def __init__(self, host, port):
            self.messages, self.closed = [], False
            connections.append(self)

        def set_debuglevel(self, level):
            pass

        def sendmail(self, sender, recipients, message, *options):
            self.messages.append(recipients)

        def quit(self):
            self.closed = True

    monkeypatch.setattr(flask_mail.smtplib, "SMTP", Server)
    app = make_app(MAIL_SERVER="smtp.example.org", MAIL_USE_TLS=False, MAIL_SUPPRESS_SEND=False)
    decided = decided_contest(app, build)
    publish(app, decided)
    assert outbox() == []  # waited for; sent through the server, not the outbox
    (server,) = connections
    assert sorted(r for recipients in server.messages for r in recipients) == _everyone(decided)
    assert server.closed


def test_a_step_back_stops_the_emails_not_yet_sent(app, decided, outbox, runner, stalled):
    publish(app, decided)
    with app.app_context():  # an upheld appeal reopened the results before any e-mail went
        contest = db.session.get(Contest, decided.contest_id)
        contest.stage = Stage.DELIBERATION
        db.session.commit()
    assert runner.invoke(args=["send-notices"]).exit_code == 0
    assert outbox() == []
