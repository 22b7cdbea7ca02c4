"""Sessions end on the server (SPEC §8, issue 12 item 4): a copied cookie stops working.

An attacker who copied a session cookie (from a shared computer, a proxy log, a stolen
laptop's browser profile) replays it after the owner logged out, after the owner ended
the session on the account page, or after a new password: every page refuses it, the
page cache included.
"""

import re
from datetime import timedelta

from sqlalchemy import func, select

from scoring import clock
from scoring.extensions import db
from scoring.models import AuditEntry, Role, UserSession

from ._judging import judged_contest, set_sheet
from .conftest import PASSWORD

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
NEW_PASSWORD = "зимовий вечір над Дніпром"


def _browser(app, user_agent: str = FIREFOX):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def _copy(client, app):
    """Another browser holding the same cookie (the attacker's copy)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, build, client):
    organiser = build.user(Role.ORGANISER, email="org@example.org")
    build.contest(organisers=[organiser], slug="hromada-2026")
    client.login("org@example.org")
    thief = _copy(client, app)
    assert thief.get("/account").status_code == 200  # the copy works while signed in
    assert thief.get("/manage/contests/hromada-2026").status_code == 200
    assert client.submit("/logout").status_code == 302
    for page in ("/account", "/manage/contests", "/manage/contests/hromada-2026"):
        response = thief.get(page)
        assert response.status_code == 302, page
        assert response.location.startswith("/login"), page
    token = thief.csrf_token("/")
    refused = thief.post("/account", data={"csrf_token": token, "name": "Зловмисник"})
    assert refused.status_code == 302 and refused.location.startswith("/login")


def test_an_ended_session_is_never_served_a_kept_page(app, build, client):
    """The scoresheet is kept rendered (pagecache.py); logging out writes no audit
    entry, so the cache itself must see that the session has ended."""
    juror = build.user(Role.JUROR, email="juror@example.org")
    judged = judged_contest(app, build, [juror], count=1)
    set_sheet(app, juror, judged.numbers[0])
    url = judged.url(judged.numbers[0])
    client.login("juror@example.org")
    first = client.get(url)
    assert client.get(url).get_data() == first.get_data()  # now served from the cache
    thief = _copy(client, app)
    assert thief.get(url).get_data() == first.get_data()
    with app.app_context():
        entries = db.session.scalar(select(func.count(AuditEntry.id)))
    client.submit("/logout")
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEntry.id))) == entries
    response = thief.get(url)
    assert response.status_code == 302 and response.location.startswith("/login")
    assert "Актуальність" not in response.get_data(as_text=True)


def test_the_account_page_lists_the_sessions_and_ends_one_or_all_others(app, build):
    build.user(Role.JUROR, email="juror@example.org")
    laptop, phone, tablet = _browser(app), _browser(app, IPHONE), _browser(app, "")
    for browser in (laptop, phone, tablet):
        browser.login("juror@example.org")
    page = laptop.get("/account").get_data(as_text=True)
    sessions = page[page.index('id="sessions-heading"') :]
    assert "Firefox 128 · Windows 10" in sessions and "Mobile Safari 17 · iOS 17" in sessions
    assert "Невідомий браузер" in sessions
    assert sessions.count("цей браузер") == 1
    assert sessions.count("Лише з паролем") == 3
    with app.app_context():
        phone_id = db.session.scalar(
            select(UserSession.id).where(UserSession.device.like("Mobile Safari%"))
        )
    response = laptop.submit(f"/account/sessions/{phone_id}/end")
    assert response.status_code == 302
    assert phone.get("/account").status_code == 302  # the phone is signed out
    assert tablet.get("/account").status_code == 200
    page = laptop.get("/account").get_data(as_text=True)
    assert "Сеанс завершено" in page and "Mobile Safari" not in page
    laptop.submit("/account/sessions/end-others")
    assert tablet.get("/account").status_code == 302
    page = laptop.get("/account").get_data(as_text=True)
    assert "Завершено інших сеансів: 1" in page or "Завершено 1 інший сеанс" in page
    assert "Завершити всі інші сеанси" not in page  # nothing left to end
    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id))) == 1
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert actions.count("user.sessions_ended") == 2


def test_nobody_ends_another_persons_session(app, build):
    build.user(Role.JUROR, email="juror@example.org")
    build.user(Role.JUROR, email="other@example.org")
    victim, attacker = _browser(app), _browser(app)
    victim.login("juror@example.org")
    attacker.login("other@example.org")
    with app.app_context():
        victims = db.session.scalar(
            select(UserSession.id).join(UserSession.user).where(
                UserSession.user.has(email="juror@example.org")
            )
        )
    assert attacker.submit(f"/account/sessions/{victims}/end").status_code == 404
    assert attacker.submit("/account/sessions/999999/end").status_code == 404
    assert victim.get("/account").status_code == 200
    # Without the CSRF token nothing is ended either.
    own = victim.get("/account").get_data(as_text=True)
    assert victim.post("/account/sessions/end-others").status_code == 400
    assert "цей браузер" in own


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(app, build):
    build.user(Role.JUROR, email="juror@example.org")
    owner, thief = _browser(app), _browser(app, IPHONE)
    owner.login("juror@example.org")
    thief.login("juror@example.org")
    response = owner.submit(
        "/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    page = owner.get("/account").get_data(as_text=True)
    assert "Новий пароль установлено" in page
    assert "Завершено 1 інший сеанс" in page
    assert thief.get("/account").status_code == 302
    assert owner.get("/account").status_code == 200


def test_a_password_reset_ends_every_session(app, build, outbox):
    build.user(Role.JUROR, email="juror@example.org")
    thief = _browser(app, IPHONE)
    thief.login("juror@example.org")
    owner = _browser(app)
    owner.submit("/password/reset", {"email": "juror@example.org"})
    link = re.search(r"http://127.0.0.1:5000(/password/reset/\S+)", outbox()[0].get_content())
    response = owner.post(
        link.group(1),
        data={
            "csrf_token": owner.csrf_token(link.group(1)),
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert thief.get("/account").status_code == 302
    assert owner.get("/account").status_code == 200


def test_a_session_ends_fourteen_days_after_the_login_whatever_the_cookie(
    app, build, client, clock_at
):
    build.user(Role.JUROR, email="juror@example.org")
    start = clock.now()
    client.login("juror@example.org")
    clock_at(start + timedelta(days=13, hours=23))
    assert client.get("/account").status_code == 200
    clock_at(start + timedelta(days=14, minutes=1))
    assert client.get("/account").status_code == 302


def test_last_seen_follows_the_person_a_few_minutes_at_most_behind(app, build, client, clock_at):
    build.user(Role.JUROR, email="juror@example.org")
    start = clock.now()
    client.login("juror@example.org")
    with app.app_context():
        first = db.session.scalar(select(UserSession.last_seen_at))
    clock_at(start + timedelta(minutes=2))
    client.get("/account")
    with app.app_context():
        assert db.session.scalar(select(UserSession.last_seen_at)) == first  # not every time
    clock_at(start + timedelta(minutes=7))
    client.get("/")
    with app.app_context():
        assert db.session.scalar(select(UserSession.last_seen_at)) == start + timedelta(minutes=7)


def test_a_hostile_user_agent_is_shown_as_text_and_kept_short(app, build):
    """The sessions list shows what the browser said about itself: an attacker's
    User-Agent could carry markup, or be as long as the server lets a header be."""
    build.user(Role.JUROR, email="juror@example.org")
    hostile = '<img src=x onerror=alert(1)> Firefox/128.0 "><script>alert(2)</script>'
    attacker = _browser(app, hostile)
    attacker.login("juror@example.org")
    huge = _browser(app, "Mozilla/5.0 (X11; Linux x86_64) " + "A" * 8000)
    huge.login("juror@example.org")
    owner = _browser(app)
    owner.login("juror@example.org")
    page = owner.get("/account").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    with app.app_context():
        devices = db.session.scalars(select(UserSession.device)).all()
    assert all(len(device) <= 200 for device in devices)
