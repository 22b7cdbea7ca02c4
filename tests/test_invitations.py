"""Invitations sent again and withdrawn (issue 16): the organiser sees the pending ones
with both actions; sending again mails a new link and the old one says a newer e-mail
came; a withdrawn link says so; both are audited and refused for another contest's
invitation or one already accepted."""

import re

import pytest
from sqlalchemy import func, select

from scoring.extensions import db
from scoring.models import AuditEntry, Invitation, Role, Stage, User

from .test_jury import arrange


@pytest.fixture
def organiser(signed_in):
    return signed_in(Role.ORGANISER, "org@example.org", name="Оксана Секретар")


def _link(message) -> str:
    return re.search(r"http://127.0.0.1:5000(/invitations/\S+)", message.get_content()).group(1)


def _actions(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.like("invitation.%"))
            .order_by(AuditEntry.id)
        ).all()


@pytest.fixture
def invited(app, build, client, organiser, outbox):
    arranged = arrange(app, build, organiser)
    client.submit(arranged.url("/jury"), {"email": "new.expert@example.org", "name": "Ганна Нова"})
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id))
    return arranged, invitation_id, _link(outbox()[-1])


def test_an_invitation_sent_again_has_a_new_link_and_the_old_one_says_why(
    app, client, invited, outbox
):
    arranged, invitation_id, old_link = invited
    page = client.get(arranged.url("/jury")).get_data(as_text=True)
    resend = arranged.url(f"/invitations/{invitation_id}/resend")
    withdraw = arranged.url(f"/invitations/{invitation_id}/withdraw")
    assert f'action="{resend}"' in page and f'href="{withdraw}"' in page
    response = client.submit(resend)
    assert response.status_code == 302 and response.headers["Location"].endswith("/jury")
    assert len(outbox()) == 2
    new_link = _link(outbox()[-1])
    assert new_link != old_link
    stale = app.test_client().get(old_link)
    assert stale.status_code == 410
    # The invitee is not signed in: the page speaks Ukrainian.
    assert "Надіслано новіше запрошення" in stale.get_data(as_text=True)
    assert 'data-state="replaced"' in stale.get_data(as_text=True)
    fresh = app.test_client().get(new_link)
    assert fresh.status_code == 200 and 'id="password"' in fresh.get_data(as_text=True)
    assert _actions(app) == ["invitation.created", "invitation.resent"]
    with app.app_context():
        old, new = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
        assert old.withdrawn_at is not None and old.replaced_by_id == new.id
        assert new.expires_at > old.expires_at or new.expires_at == old.expires_at
    page = client.get(arranged.url("/jury")).get_data(as_text=True)
    assert page.count('data-invitation="') == 1  # only the new one is pending


def test_a_withdrawn_invitation_answers_with_a_clear_page(app, client, invited):
    arranged, invitation_id, link = invited
    url = arranged.url(f"/invitations/{invitation_id}/withdraw")
    confirm = client.get(url).get_data(as_text=True)
    assert "Withdraw the invitation?" in confirm and "new.expert@example.org" in confirm
    assert _actions(app) == ["invitation.created"]  # nothing before the confirmation
    assert client.submit(url).status_code == 302
    page = app.test_client().get(link)
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "Запрошення відкликано" in text and "Організатори відкликали" in text
    # Using it anyway joins nobody.
    newcomer = app.test_client()
    newcomer.post(link, data={"name": "Ганна", "password": "correct horse battery"})
    with app.app_context():
        assert db.session.scalar(select(Invitation.accepted_at)) is None
    assert _actions(app) == ["invitation.created", "invitation.withdrawn"]
    again = client.submit(url)
    assert again.status_code == 409 and "already withdrawn" in again.get_data(as_text=True)
    assert "new.expert@example.org" not in client.get(arranged.url("/jury")).get_data(as_text=True)


def test_another_contests_invitation_cannot_be_resent_or_withdrawn(
    app, build, client, organiser, invited
):
    _arranged, invitation_id, _link_ = invited
    other = arrange(app, build, organiser, slug="insha-2026")
    for tail in ("resend", "withdraw"):
        response = client.submit(other.url(f"/invitations/{invitation_id}/{tail}"))
        assert response.status_code == 404
    assert client.get(other.url(f"/invitations/{invitation_id}/withdraw")).status_code == 404
    assert _actions(app) == ["invitation.created"]


def test_an_accepted_invitation_and_a_published_jury_cannot_be_resent(app, client, invited, outbox):
    arranged, invitation_id, link = invited
    newcomer = app.test_client()
    newcomer.post(
        link,
        data={
            "csrf_token": newcomer.csrf_token(link),
            "name": "Ганна Нова",
            "password": "correct horse battery",
            "password_confirm": "correct horse battery",
        },
    )
    response = client.submit(
        arranged.url(f"/invitations/{invitation_id}/resend"), follow_redirects=True
    )
    assert "already accepted" in response.get_data(as_text=True)
    assert len(outbox()) == 1 and "invitation.resent" not in _actions(app)
    used = app.test_client().get(link)
    assert used.status_code == 410 and "Запрошення вже прийнято" in used.get_data(as_text=True)


def test_organisers_invitations_are_resent_from_the_organisers_page(
    app, build, client, organiser, outbox
):
    arranged = arrange(app, build, organiser, stage=Stage.PUBLISHED)
    client.submit(arranged.url("/organisers"), {"email": "colleague@example.org"})
    with app.app_context():
        invitation_id = db.session.scalar(select(Invitation.id))
    page = client.get(arranged.url("/organisers")).get_data(as_text=True)
    assert f'action="{arranged.url(f"/invitations/{invitation_id}/resend")}"' in page
    response = client.submit(arranged.url(f"/invitations/{invitation_id}/resend"))
    assert response.headers["Location"].endswith("/organisers")
    assert [m["To"] for m in outbox()] == ["colleague@example.org"] * 2


def test_inviting_the_same_address_again_sends_the_pending_invitation_again(
    app, build, client, organiser, invited, outbox
):
    """Typing the address a second time (a lost e-mail) leaves one invitation and one
    working link, not two."""
    arranged, _invitation_id, old_link = invited
    response = client.submit(
        arranged.url("/jury"), {"email": "New.Expert@example.org ", "name": "Ганна Нова"}
    )
    assert response.status_code == 302
    assert len(outbox()) == 2 and outbox()[-1]["To"] == "new.expert@example.org"
    new_link = _link(outbox()[-1])
    assert app.test_client().get(old_link).status_code == 410
    assert app.test_client().get(new_link).status_code == 200
    assert _actions(app) == ["invitation.created", "invitation.resent"]
    page = client.get(arranged.url("/jury")).get_data(as_text=True)
    assert page.count('data-invitation="') == 1
    # Another contest's jury is another invitation: the first one keeps working.
    other = arrange(app, build, organiser, slug="insha-2026")
    client.submit(other.url("/jury"), {"email": "new.expert@example.org", "name": ""})
    assert _actions(app) == ["invitation.created", "invitation.resent", "invitation.created"]
    assert app.test_client().get(new_link).status_code == 200


def _while_another_withdraws(app, invitation_id: int, request) -> list:
    """Run ``request`` (a thread) while another organiser's withdrawal of the invitation
    is written but not yet committed; the response, once that withdrawal commits."""
    import threading

    from scoring import clock

    responses = []
    with app.app_context():
        with db.engine.begin() as other:
            other.execute(
                Invitation.__table__.update()
                .where(Invitation.id == invitation_id)
                .values(withdrawn_at=clock.now())
            )
            thread = threading.Thread(target=lambda: responses.append(request()))
            thread.start()
            thread.join(timeout=1)
        thread.join(timeout=30)
    return responses


def test_an_invitation_sent_again_while_another_organiser_withdraws_it_stays_withdrawn(
    app, client, invited, outbox
):
    """Two organisers at once: one withdraws, the other sends again. The second waits
    for the first and is told the invitation is withdrawn; no new link is made or
    mailed, so the withdrawal holds (PostgreSQL: the invitation's row; SQLite: the
    write lock)."""
    arranged, invitation_id, _link_sent = invited
    resend = arranged.url(f"/invitations/{invitation_id}/resend")
    token = client.csrf_token()
    responses = _while_another_withdraws(
        app, invitation_id, lambda: client.post(resend, data={"csrf_token": token})
    )
    assert responses[0].status_code == 302
    page = client.get(arranged.url("/jury")).get_data(as_text=True)
    assert "The invitation is already withdrawn or replaced by a newer one." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert len(outbox()) == 1  # only the first invitation
    assert "invitation.resent" not in _actions(app)


def test_an_invitation_accepted_while_it_is_withdrawn_lets_nobody_join(app, invited):
    """The invitee sends the form in the moment the organiser withdraws: the acceptance
    waits and finds the link withdrawn; nobody joins the jury."""
    _arranged, invitation_id, link = invited
    invitee = app.test_client()
    page = invitee.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf-token" content="([^"]+)"', page)
    form = {
        "csrf_token": token.group(1),
        "name": "Ганна Нова",
        "password": "Hanna-strong-pass-2026",
        "password_confirm": "Hanna-strong-pass-2026",
    }
    responses = _while_another_withdraws(app, invitation_id, lambda: invitee.post(link, data=form))
    assert responses[0].status_code == 410
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "new.expert@example.org")) is None
        assert db.session.get(Invitation, invitation_id).accepted_at is None
    assert "invitation.accepted" not in _actions(app)
