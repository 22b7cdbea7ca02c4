"""Accounts as a user meets them: register, log in and out, reset, invitations, language."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from scoring import clock, edrpou
from scoring.extensions import db
from scoring.models import AuditEntry, JuryMember, Organisation, Role, User

from .conftest import PASSWORD

REGISTRATION = {
    "kind": "ngo",
    "organisation_name": "ГО «Платформа участі Краматорська»",
    "edrpou": "14360570",
    "oblast": "UA-14",
    "community": "UA14120090000098500",  # Краматорська міська територіальна громада
    "status": "relocated",
    "contact_person": "Марина Руденко",
    "phone": "+380 67 123 45 67",
    "email": "Marina@Example.org ",
    "password": PASSWORD,
    "password_confirm": PASSWORD,
    "consent": "y",
}


def test_an_ngo_from_a_relocated_community_registers_and_sees_its_profile(client, app):
    response = client.submit("/register", REGISTRATION)
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "ГО «Платформа участі Краматорська»" in page
    assert "Донецька область" in page
    assert "релокована" in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "marina@example.org"))
        assert user.role == Role.APPLICANT
        assert user.organisation.edrpou == "14360570"
        assert user.password_hash != PASSWORD and user.check_password(PASSWORD)


def test_a_wrong_edrpou_check_digit_is_named_beside_its_field_and_nothing_is_saved(client, app):
    response = client.submit("/register", {**REGISTRATION, "edrpou": "14360571"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="edrpou-errors"' in page
    assert "Код ЄДРПОУ" in page and "контрольн" in page
    assert 'value="ГО «Платформа участі Краматорська»"' in page  # what was typed stays
    with app.app_context():
        assert db.session.scalar(select(Organisation)) is None


def test_every_missing_field_is_listed_at_once(client):
    page = client.submit("/register", {}).get_data(as_text=True)
    summary = page[
        page.index('id="error-summary"') : page.index("</ul>", page.index('id="error-summary"'))
    ]
    for field in (
        "kind",
        "organisation_name",
        "edrpou",
        "oblast",
        "community",
        "contact_person",
        "phone",
        "email",
        "password",
        "consent",
    ):
        assert f'href="#{field}"' in summary
    assert "Це поле обов" in page


def test_a_duplicate_registration_gets_a_clear_message(client, build):
    build.applicant(email="marina@example.org", edrpou="14360570")
    page = client.submit("/register", REGISTRATION).get_data(as_text=True)
    assert "Обліковий запис із цією адресою вже існує" in page
    page = client.submit(
        "/register", {**REGISTRATION, "email": "other@example.org", "edrpou": "14360570"}
    ).get_data(as_text=True)
    assert "вже зареєстрована" in page


def test_login_with_a_wrong_password_says_so_and_logout_ends_the_session(client, build):
    build.user(Role.JUROR, email="juror@example.org")
    page = client.submit(
        "/login", {"email": "juror@example.org", "password": "nope-nope-nope"}
    ).get_data(as_text=True)
    assert "Неправильна адреса або пароль" in page
    client.login("juror@example.org")
    assert client.get("/account").status_code == 200
    assert client.submit("/logout").status_code == 302
    assert client.get("/account").status_code == 302


def test_login_redirects_only_to_local_next_urls(client, build):
    build.user(Role.JUROR, email="juror@example.org")
    token = client.csrf_token()
    form = {"csrf_token": token, "email": "juror@example.org", "password": PASSWORD}
    response = client.post("/login?next=https://evil.example/steal", data=form)
    assert response.headers["Location"] == "/account"
    client.submit("/logout")
    response = client.post(
        "/login?next=//evil.example", data={**form, "csrf_token": client.csrf_token()}
    )
    assert response.headers["Location"] == "/account"
    client.submit("/logout")
    response = client.post(
        "/login?next=/contests/x", data={**form, "csrf_token": client.csrf_token()}
    )
    assert response.headers["Location"] == "/contests/x"


def test_a_post_without_csrf_token_is_refused(client, build):
    build.user(Role.JUROR, email="juror@example.org")
    response = client.post("/login", data={"email": "juror@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert "Сторінка застаріла" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # not logged in


def test_login_is_rate_limited(make_app, build):
    client = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute").test_client()
    build.user(Role.JUROR, email="juror@example.org")
    token = client.csrf_token()
    statuses = [
        client.post(
            "/login",
            data={"csrf_token": token, "email": "juror@example.org", "password": "wrong-password"},
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    response = client.post(
        "/login", data={"csrf_token": token, "email": "juror@example.org", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Забагато спроб" in response.get_data(as_text=True)


def test_guessing_one_accounts_password_from_many_addresses_is_rate_limited(make_app, build):
    """Issue 12: the limit was per client address only, so a thousand machines could
    guess one account's password a thousand times faster. Sign-ins that work do not
    count: another account signs in meanwhile."""
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    build.user(Role.JUROR, email="juror@example.org")
    build.user(Role.JUROR, email="other@example.org")
    statuses = []
    for n in range(4):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n + 1}"
        statuses.append(
            client.submit(
                "/login", {"email": " Juror@Example.org", "password": f"guess-{n}"}
            ).status_code
        )
    assert statuses == [200, 200, 200, 429]
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    refused = elsewhere.submit("/login", {"email": "juror@example.org", "password": PASSWORD})
    assert refused.status_code == 429
    assert "Забагато спроб" in refused.get_data(as_text=True)
    for n in range(4):  # the other account, from one address: each works, none counts
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
        assert (
            other.submit("/login", {"email": "other@example.org", "password": PASSWORD}).status_code
            == 302
        )


def test_password_reset_through_the_emailed_link(client, build, outbox):
    build.user(Role.JUROR, email="juror@example.org", name="Олена")
    page = client.submit("/password/reset", {"email": "juror@example.org"}, follow_redirects=True)
    assert "посилання" in page.get_data(as_text=True)
    (message,) = outbox()
    assert message["To"] == "juror@example.org"
    body = message.get_content()
    assert body.startswith("Шановна пані Олено!")  # greeted in the vocative
    link = re.search(r"http://127.0.0.1:5000(/password/reset/\S+)", body).group(1)
    page = client.get(link).get_data(as_text=True)
    assert "Новий пароль" in page
    response = client.post(
        link,
        data={
            "csrf_token": client.csrf_token(link),
            "password": "a brand new secret",
            "password_confirm": "a brand new secret",
        },
    )
    assert response.status_code == 302
    client.submit("/logout")
    assert "Неправильна" in client.submit(
        "/login", {"email": "juror@example.org", "password": PASSWORD}
    ).get_data(as_text=True)
    client.login("juror@example.org", "a brand new secret")
    client.submit("/logout")
    assert client.get(link).status_code == 410  # a used link does not work twice


def test_an_expired_reset_link_is_refused_with_a_way_forward(client, build, outbox, clock_at):
    build.user(Role.JUROR, email="juror@example.org")
    client.submit("/password/reset", {"email": "juror@example.org"})
    link = re.search(
        r"http://127.0.0.1:5000(/password/reset/\S+)", outbox()[0].get_content()
    ).group(1)
    clock_at(clock.now() + timedelta(hours=3))
    response = client.get(link)
    assert response.status_code == 410
    assert "Посилання більше не діє" in response.get_data(as_text=True)
    assert client.get("/password/reset/garbage").status_code == 410


def test_reset_for_an_unknown_address_reveals_nothing(client, outbox):
    response = client.submit(
        "/password/reset", {"email": "nobody@example.org"}, follow_redirects=True
    )
    assert "Якщо цю адресу зареєстровано" in response.get_data(as_text=True)
    assert outbox() == []


def test_an_organiser_invites_a_juror_who_joins_the_jury(client, app, build, outbox):
    organiser = build.user(Role.ORGANISER, email="org@example.org")
    contest = build.contest(organisers=[organiser], title_uk="Успішна участь громади")
    client.login("org@example.org")
    response = client.submit(
        "/invitations/new",
        {
            "email": "expert@example.org",
            "name": "Ірина Бондар",
            "role": "juror",
            "contest": str(contest),
        },
    )
    assert response.status_code == 302
    (message,) = outbox()
    body = message.get_content()
    assert "до складу журі конкурсу «Успішна участь громади»" in body
    link = re.search(r"http://127.0.0.1:5000(/invitations/\S+)", body).group(1)
    client.submit("/logout")
    assert "Ірина Бондар" in client.get(link).get_data(as_text=True)
    response = client.post(
        link,
        data={
            "csrf_token": client.csrf_token(link),
            "name": "Ірина Бондар",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert "Успішна участь громади" in client.get("/account").get_data(as_text=True)
    with app.app_context():
        juror = db.session.scalar(select(User).where(User.email == "expert@example.org"))
        assert juror.role == Role.JUROR
        assert db.session.get(JuryMember, (contest, juror.id)) is not None
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert "invitation.created" in actions and "invitation.accepted" in actions
    client.submit("/logout")
    assert client.get(link).status_code == 410  # accepted links are spent


def test_only_organisers_can_invite(client, build):
    build.user(Role.JUROR, email="juror@example.org")
    assert client.get("/invitations/new").status_code == 302  # to the login page
    client.login("juror@example.org")
    response = client.get("/invitations/new")
    assert response.status_code == 403
    assert "Доступ заборонено" in response.get_data(as_text=True)


def test_invitations_expire(client, build, outbox, clock_at):
    organiser = build.user(Role.ORGANISER, email="org@example.org")
    build.contest(organisers=[organiser])
    client.login("org@example.org")
    client.submit(
        "/invitations/new",
        {"email": "late@example.org", "name": "Пізній", "role": "organiser", "contest": ""},
    )
    link = re.search(r"http://127.0.0.1:5000(/invitations/\S+)", outbox()[0].get_content()).group(1)
    client.submit("/logout")
    clock_at(clock.now() + timedelta(days=15))
    assert client.get(link).status_code == 410


def test_the_language_switch_turns_the_interface_english_and_back(client, build):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="uk">' in page and "Увійти" in page
    client.submit("/language", {"language": "en", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page
    build.user(Role.JUROR, email="juror@example.org")
    client.submit("/language", {"language": "uk", "next": "https://evil.example"})
    assert '<html lang="uk">' in client.get("/").get_data(as_text=True)


def test_navigation_shows_each_role_its_places(client, build):
    build.user(Role.ORGANISER, email="org@example.org")
    build.user(Role.JUROR, email="juror@example.org")
    anonymous = client.get("/").get_data(as_text=True)
    assert "Зареєструватися" in anonymous and "Мій кабінет" not in anonymous
    client.login("org@example.org")
    organiser = client.get("/").get_data(as_text=True)
    assert "Мій кабінет" in organiser and "Запросити" in organiser
    client.submit("/logout")
    client.login("juror@example.org")
    juror = client.get("/").get_data(as_text=True)
    assert "Мій кабінет" in juror and "Запросити" not in juror


def test_security_headers_and_cookie_flags(client, app, build):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    build.user(Role.JUROR, email="juror@example.org")
    cookie = client.login("juror@example.org").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    over_https = app.test_client().get("/", base_url="https://localhost")
    assert "Secure" in over_https.headers["Set-Cookie"]


def test_guessing_the_current_password_on_the_account_page_is_rate_limited(make_app, build):
    """A copied cookie must not become the password: the current password is checked as
    often as a login is."""
    client = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute").test_client()
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    token = client.csrf_token("/account")
    guesses = [
        client.post(
            "/account/password",
            data={
                "csrf_token": token,
                "current_password": f"guess-{n}",
                "password": "зимовий вечір над Дніпром",
                "password_confirm": "зимовий вечір над Дніпром",
            },
        ).status_code
        for n in range(4)
    ]
    assert guesses == [400, 400, 400, 429]


def test_changing_the_password_needs_the_current_one(client, build):
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    page = client.submit(
        "/account/password",
        {
            "current_password": "wrong",
            "password": "зимовий вечір над Дніпром",
            "password_confirm": "зимовий вечір над Дніпром",
        },
    )
    assert page.status_code == 400
    assert "Поточний пароль неправильний" in page.get_data(as_text=True)
    response = client.submit(
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "весняний ранок у Полтаві",
            "password_confirm": "весняний ранок у Полтаві",
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # still signed in after the change


# Passwords and registration (issue 12, item 6) -----------------------------------------

WEAK = ["password12", "1234567890", "qwertyuiop", "зфііцщкв12", "йцукенгшщз", "aaaaaaaaaaaa"]


def _registration(**changes) -> dict:
    return {**REGISTRATION, **changes}


def test_common_and_leaked_passwords_are_refused_at_registration(client, app):
    for weak in WEAK:
        response = client.submit("/register", _registration(password=weak, password_confirm=weak))
        page = response.get_data(as_text=True)
        assert response.status_code == 200, weak
        errors = page[page.index('id="password-errors"') :][:600]
        assert "Пароль" in errors, weak
        assert "найпоширеніших" in errors or "легко вгадати" in errors, weak
        assert 'href="#password"' in page  # the summary names the field too
    with app.app_context():
        assert db.session.scalar(select(User)) is None
        assert db.session.scalar(select(Organisation)) is None


def test_a_password_made_of_ones_own_name_or_address_is_refused(client):
    page = client.submit(
        "/register",
        _registration(password="marina@example.org", password_confirm="marina@example.org"),
    ).get_data(as_text=True)
    assert "з вашого імені або адреси" in page
    page = client.submit(
        "/register", _registration(password="МаринаРуденко", password_confirm="МаринаРуденко")
    ).get_data(as_text=True)
    assert "з вашого імені або адреси" in page


def test_a_new_password_is_checked_wherever_one_is_chosen(client, app, build, outbox):
    """Reset link, password change, invitation: the same check, beside the field."""
    organiser = build.user(Role.ORGANISER, email="org@example.org", name="Ганна Коваль")
    build.user(Role.JUROR, email="juror@example.org")
    client.login("org@example.org")
    page = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "password": "password12", "password_confirm": "password12"},
    )
    assert page.status_code == 400
    assert 'id="password-errors"' in page.get_data(as_text=True)
    assert "Новий пароль — серед найпоширеніших" in page.get_data(as_text=True)
    page = client.submit(
        "/account/password",
        {
            "current_password": PASSWORD,
            "password": "hanna.koval",
            "password_confirm": "hanna.koval",
        },
    ).get_data(as_text=True)
    assert "з вашого імені або адреси" not in page or "Новий пароль" in page
    contest = build.contest(organisers=[organiser])
    client.submit(
        "/invitations/new",
        {"email": "expert@example.org", "name": "Ірина", "role": "juror", "contest": str(contest)},
    )
    invitation = re.search(r"http://127.0.0.1:5000(/invitations/\S+)", outbox()[0].get_content())
    client.submit("/logout")
    link = invitation.group(1)
    page = client.post(
        link,
        data={
            "csrf_token": client.csrf_token(link),
            "name": "Ірина",
            "password": "1234567890",
            "password_confirm": "1234567890",
        },
    ).get_data(as_text=True)
    assert "Пароль — серед найпоширеніших" in page
    client.submit("/password/reset", {"email": "juror@example.org"})
    reset = re.search(r"http://127.0.0.1:5000(/password/reset/\S+)", outbox()[1].get_content())
    page = client.post(
        reset.group(1),
        data={
            "csrf_token": client.csrf_token(reset.group(1)),
            "password": "iloveyou12",
            "password_confirm": "iloveyou12",
        },
    ).get_data(as_text=True)
    assert "Пароль — серед найпоширеніших" in page
    with app.app_context():
        juror = db.session.scalar(select(User).where(User.email == "juror@example.org"))
        assert juror.check_password(PASSWORD)  # unchanged
        assert db.session.scalar(select(User).where(User.email == "expert@example.org")) is None


def test_create_user_refuses_a_common_password(runner):
    result = runner.invoke(
        args=["create-user", "new@example.org", "--role", "juror", "--password-stdin"],
        input="password12\n",
    )
    assert result.exit_code == 1
    assert "серед найпоширеніших" in result.output


def test_registration_is_rate_limited_per_client_address(make_app):
    """Issue 12: /register took 118 registrations in ten seconds."""
    app = make_app(RATELIMIT_ENABLED=True)
    statuses = []
    for n in range(20):
        client = app.test_client()  # a bot starts afresh each time, from one address
        form = _registration(
            email=f"bot{n}@example.org", edrpou=edrpou.complete(f"{5100000 + n:07d}")
        )
        form["csrf_token"] = client.csrf_token("/register")
        statuses.append(client.post("/register", data=form).status_code)
    assert statuses == [302] * 10 + [429] * 10
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 10
    other = app.test_client()  # another address is not held back
    form = _registration(email="x@example.org", edrpou=edrpou.complete("5200000"))
    form["csrf_token"] = other.csrf_token("/register")
    response = other.post("/register", data=form, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 302


def test_reset_requests_are_rate_limited_per_client_and_per_mailbox(make_app, build, outbox):
    app = make_app(RATELIMIT_ENABLED=True)
    build.user(Role.JUROR, email="juror@example.org")
    client = app.test_client()
    token = client.csrf_token("/password/reset")
    statuses = [
        client.post(
            "/password/reset",
            data={"csrf_token": token, "email": "juror@example.org"},
            environ_base={"REMOTE_ADDR": f"192.0.2.{n}"},  # many machines, one victim
        ).status_code
        for n in range(8)
    ]
    assert statuses == [302] * 5 + [429] * 3
    assert len(outbox()) == 5
    statuses = [
        client.post(
            "/password/reset", data={"csrf_token": token, "email": f"n{n}@example.org"}
        ).status_code
        for n in range(12)
    ]
    assert statuses == [302] * 10 + [429] * 2  # one machine, many addresses
