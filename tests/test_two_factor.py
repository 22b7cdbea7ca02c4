"""Two-factor sign-in (SPEC §8, issue 12 item 7): set up with a QR code, sign in with a
code, recovery codes, the deployment's and the contest's requirements — and the
attacks on it: a replayed code, a reused recovery code, a guessed code, the second
step skipped."""

import re
from datetime import timedelta
from urllib.parse import unquote

import pyotp
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from scoring import clock
from scoring.extensions import db
from scoring.models import AuditEntry, Contest, RecoveryCode, Role, Stage, User, UserSession

from ._bad_input import form_for
from ._judging import autosave, judged_contest, page_csrf, set_sheet
from .conftest import PASSWORD

SECRET = re.compile(r'<code[^>]*id="secret">([A-Z2-7 ]+)</code>')
CODES = re.compile(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>")


def code_at(secret: str, moment=None) -> str:
    return pyotp.TOTP(secret).at(moment or clock.now())


def set_up(client, page: str = "/account/two-factor") -> tuple[str, list[str]]:
    """Walk the set-up page as a person with an authenticator app: the secret and codes."""
    html = client.get(page).get_data(as_text=True)
    secret = SECRET.search(html).group(1).replace(" ", "")
    response = client.post(
        page,
        data={"csrf_token": client.csrf_token(page), "code": code_at(secret), "password": PASSWORD},
    )
    assert response.status_code == 200, response.status_code
    codes = CODES.findall(response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def log_in_with_code(client, email: str, code: str, password: str = PASSWORD):
    first = client.submit("/login", {"email": email, "password": password})
    assert first.status_code == 302 and first.location == "/login/code"
    return client.post(
        "/login/code", data={"csrf_token": client.csrf_token("/login/code"), "code": code}
    )


def actions(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def test_an_organiser_sets_up_two_factor_and_signs_in_with_a_code(app, build, client, clock_at):
    build.user(Role.ORGANISER, email="org@example.org")
    client.login("org@example.org")
    page = client.get("/account/two-factor").get_data(as_text=True)
    qr = re.search(r'<img src="(data:image/svg\+xml[^"]+)"', page).group(1)
    svg = unquote(qr)
    assert "<svg" in svg and "href" not in svg and "url(" not in svg  # nothing loaded
    assert 'alt="QR-код' in page
    secret = SECRET.search(page).group(1).replace(" ", "")
    wrong = client.submit("/account/two-factor", {"code": "000000", "password": PASSWORD})
    assert wrong.status_code == 400
    assert 'id="code-errors"' in wrong.get_data(as_text=True)
    assert "Код не збігається" in wrong.get_data(as_text=True)
    assert SECRET.search(wrong.get_data(as_text=True)).group(1).replace(" ", "") == secret
    with app.app_context():
        assert db.session.scalar(select(User.totp_secret)) is None

    response = client.submit("/account/two-factor", {"code": code_at(secret), "password": PASSWORD})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    codes = CODES.findall(response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.totp_secret == secret and user.two_factor_since is not None
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10 and not set(codes) & set(stored)  # hashes only
    assert "user.two_factor_on" in actions(app)
    account = client.get("/account").get_data(as_text=True)
    assert "Увімкнено з" in account
    assert "З кодом із застосунку" in account  # this session now counts as two-factor

    client.submit("/logout")
    clock_at(clock.now() + timedelta(seconds=60))
    first = client.submit("/login", {"email": "org@example.org", "password": PASSWORD})
    assert first.location == "/login/code"
    assert client.get("/account").status_code == 302  # the password alone opens nothing
    assert client.get("/manage/contests").status_code == 302
    page = client.get("/login/code").get_data(as_text=True)
    assert "Код для входу" in page and 'autocomplete="one-time-code"' in page
    response = client.post(
        "/login/code",
        data={"csrf_token": client.csrf_token("/login/code"), "code": code_at(secret)},
    )
    assert response.status_code == 302 and response.location == "/account"
    account = client.get("/account").get_data(as_text=True)
    assert "З кодом із застосунку" in account
    with app.app_context():
        assert db.session.scalar(select(UserSession.two_factor)) is True


def test_a_code_signs_in_once(app, build, client, clock_at):
    """A code seen over a shoulder, or replayed from a proxy log, is refused."""
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    secret, _codes = set_up(client)
    client.submit("/logout")
    start = clock.now() + timedelta(seconds=90)
    clock_at(start)
    code = code_at(secret, start)
    assert log_in_with_code(client, "juror@example.org", code).location == "/account"
    client.submit("/logout")
    replay = log_in_with_code(client, "juror@example.org", code)
    assert replay.status_code == 200
    assert "Код неправильний або вже використаний" in replay.get_data(as_text=True)
    # The code of the step before is older than the one used: refused as well.
    earlier = code_at(secret, start - timedelta(seconds=30))
    response = client.post(
        "/login/code", data={"csrf_token": client.csrf_token("/login/code"), "code": earlier}
    )
    assert response.status_code == 200
    clock_at(start + timedelta(seconds=30))
    response = client.post(
        "/login/code",
        data={
            "csrf_token": client.csrf_token("/login/code"),
            "code": code_at(secret, start + timedelta(seconds=30)),
        },
    )
    assert response.status_code == 302


def test_the_code_used_to_turn_it_on_does_not_sign_in_again(app, build, client):
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = SECRET.search(page).group(1).replace(" ", "")
    code = code_at(secret)
    client.submit("/account/two-factor", {"code": code, "password": PASSWORD})
    client.submit("/logout")
    assert log_in_with_code(client, "juror@example.org", code).status_code == 200


def test_a_recovery_code_signs_in_once_and_is_audited(app, build, client):
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    _secret, codes = set_up(client)
    client.submit("/logout")
    typed = " " + codes[3].upper().replace("-", " ") + " "  # as a person may type it
    response = log_in_with_code(client, "juror@example.org", typed)
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "Ви ввійшли з резервним кодом; залишилося 9" in page
    assert actions(app).count("user.recovery_code_used") == 1
    client.submit("/logout")
    reuse = log_in_with_code(client, "juror@example.org", codes[3])
    assert reuse.status_code == 200 and "вже використаний" in reuse.get_data(as_text=True)
    assert actions(app).count("user.recovery_code_used") == 1
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "user.recovery_code_used")
        )
        assert entry.details == {"left": 9}


def test_another_accounts_recovery_code_does_not_work(app, build, client):
    build.user(Role.JUROR, email="juror@example.org")
    build.user(Role.JUROR, email="other@example.org")
    client.login("other@example.org")
    _secret, others = set_up(client)
    client.submit("/logout")
    client.login("juror@example.org")
    set_up(client)
    client.submit("/logout")
    response = log_in_with_code(client, "juror@example.org", others[0])
    assert response.status_code == 200


def test_guessing_the_code_is_rate_limited_per_account_from_any_address(make_app, build):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="5 per minute")
    build.user(Role.JUROR, email="juror@example.org")
    owner = app.test_client()
    owner.login("juror@example.org")
    secret, _codes = set_up(owner)
    attacker = app.test_client()
    statuses = []
    for n in range(8):  # a botnet: each guess from another address
        address = {"REMOTE_ADDR": f"198.51.100.{n}"}
        attacker.post(
            "/login",
            data={
                "csrf_token": attacker.csrf_token("/login"),
                "email": "juror@example.org",
                "password": PASSWORD,
            },
            environ_base=address,
        )
        guess = f"{n:06d}"
        response = attacker.post(
            "/login/code",
            data={"csrf_token": attacker.csrf_token("/login/code"), "code": guess},
            environ_base=address,
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 3
    # Even the right code waits: the account's attempts are used up for now.
    response = attacker.post(
        "/login/code",
        data={"csrf_token": attacker.csrf_token("/login/code"), "code": code_at(secret)},
        environ_base={"REMOTE_ADDR": "198.51.100.99"},
    )
    assert response.status_code == 429
    assert attacker.get("/account").status_code == 302


def test_the_second_step_expires_and_then_needs_the_password_again(app, build, client, clock_at):
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    secret, _codes = set_up(client)
    client.submit("/logout")
    start = clock.now()
    client.submit("/login", {"email": "juror@example.org", "password": PASSWORD})
    clock_at(start + timedelta(minutes=11))
    response = client.post(
        "/login/code",
        data={"csrf_token": client.csrf_token("/"), "code": code_at(secret)},
    )
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/account").status_code == 302


def test_without_the_password_there_is_no_second_step(app, build, client):
    build.user(Role.JUROR, email="juror@example.org")
    response = client.get("/login/code")
    assert response.status_code == 302 and response.location == "/login"
    wrong = client.submit("/login", {"email": "juror@example.org", "password": "nope-nope-nope"})
    assert wrong.status_code == 200
    assert client.get("/login/code").location == "/login"


def test_turning_it_off_or_new_codes_need_the_password(app, build, client):
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    _secret, old = set_up(client)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Залишилося 10 резервних кодів" in page
    wrong = client.submit("/account/two-factor/recovery-codes", {"codes-password": "wrong-one"})
    assert wrong.status_code == 400 and "Пароль неправильний" in wrong.get_data(as_text=True)
    assert 'id="codes-password-errors"' in wrong.get_data(as_text=True)
    renewed = client.submit("/account/two-factor/recovery-codes", {"codes-password": PASSWORD})
    new = CODES.findall(renewed.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    wrong = client.submit("/account/two-factor/off", {"off-password": "wrong-one"})
    assert wrong.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(User.totp_secret)) is not None
    response = client.submit("/account/two-factor/off", {"off-password": PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.totp_secret)) is None
        assert db.session.scalar(select(RecoveryCode.id)) is None
    assert actions(app)[-3:] == [
        "user.two_factor_on",
        "user.recovery_codes_renewed",
        "user.two_factor_off",
    ]
    client.submit("/logout")
    client.login("juror@example.org")  # the password alone again
    assert client.get("/account").status_code == 200


def test_turning_it_on_ends_the_sessions_signed_in_with_the_password_alone(app, build):
    build.user(Role.ORGANISER, email="org@example.org")
    laptop, old_tab = app.test_client(), app.test_client()
    laptop.login("org@example.org")
    old_tab.login("org@example.org")
    set_up(laptop)
    assert old_tab.get("/account").status_code == 302
    assert laptop.get("/account").status_code == 200


def test_applicants_have_no_two_factor_page(app, build, client):
    build.applicant(email="applicant@example.org")
    client.login("applicant@example.org")
    assert client.get("/account/two-factor").status_code == 403
    assert "Двофакторний вхід" not in client.get("/account").get_data(as_text=True)


def test_a_deployment_makes_it_compulsory_for_organisers(make_app, build):
    app = make_app(REQUIRE_ORGANISER_2FA=True)
    organiser = build.user(Role.ORGANISER, email="org@example.org")
    build.contest(organisers=[organiser], slug="hromada-2026")
    build.user(Role.JUROR, email="juror@example.org")
    client = app.test_client()
    client.login("org@example.org")
    for page in ("/manage/contests/hromada-2026", "/account", "/"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.location.startswith("/account/two-factor?next="), page
    setup = client.get("/account/two-factor?next=/manage/contests/hromada-2026")
    assert "Організатори на цьому сайті входять із двофакторною" in setup.get_data(as_text=True)
    refused = client.post(
        "/invitations/new",
        data={"csrf_token": client.csrf_token("/account/two-factor"), "email": "x@example.org"},
    )
    assert refused.status_code == 302 and refused.location.startswith("/account/two-factor")
    set_up(client, "/account/two-factor?next=/manage/contests/hromada-2026")
    assert client.get("/manage/contests/hromada-2026").status_code == 200
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "не можна вимкнути" in page and "off-password" not in page
    response = client.submit("/account/two-factor/off", {"off-password": PASSWORD})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.totp_secret).where(User.role == Role.ORGANISER))
    juror = app.test_client()  # jurors are not held to it
    juror.login("juror@example.org")
    assert juror.get("/account").status_code == 200


def test_a_contest_asks_its_jurors_for_two_factor_before_the_scoresheets(app, build, client):
    juror = build.user(Role.JUROR, email="juror@example.org")
    judged = judged_contest(app, build, [juror], count=1, jurors_two_factor=True)
    set_sheet(app, juror, judged.numbers[0])
    sheet = judged.url(judged.numbers[0])
    client.login("juror@example.org")
    token = page_csrf(client, "/account")
    for page in (judged.url(), sheet, sheet + "/recuse"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.location.startswith("/account/two-factor?next="), page
    refused = autosave(client, judged, judged.numbers[0], {"points": {"1": "5"}}, token)
    assert refused.status_code == 403 and refused.get_json()["error"] == "two_factor"
    page = client.get(f"/account/two-factor?next={sheet}").get_data(as_text=True)
    assert "Цей конкурс вимагає від членів журі двофакторного входу" in page
    set_up(client, f"/account/two-factor?next={sheet}")
    assert client.get(sheet).status_code == 200
    assert client.get(sheet).status_code == 200  # served from the page cache now
    assert client.get(judged.url()).status_code == 200
    client.submit("/account/two-factor/off", {"off-password": PASSWORD})
    response = client.get(sheet)  # the kept page is not served after the change
    assert response.status_code == 302 and "/account/two-factor" in response.location


def test_an_organiser_asks_the_jury_for_two_factor_in_the_contest_settings(app, build, client):
    organiser = build.user(Role.ORGANISER, email="org@example.org")
    contest = build.contest(
        organisers=[organiser], slug="hromada-2026", stage=Stage.JUDGING, organising_body="Хаб"
    )
    client.login("org@example.org")
    url = "/manage/contests/hromada-2026/edit"
    page = client.get(url).get_data(as_text=True)
    assert "Члени журі входять із двофакторною автентифікацією" in page
    values = form_for(page, url, url).valid()
    values["jurors_two_factor"] = ["y"]
    data = MultiDict([(name, value) for name, vs in values.items() for value in vs])
    data["csrf_token"] = client.csrf_token(url)
    response = client.post(url, data=data)
    assert response.status_code == 302, re.findall(
        r"invalid-feedback[^>]*>(.*?)</div>", response.get_data(as_text=True), re.S
    )
    with app.app_context():
        assert db.session.get(Contest, contest).jurors_two_factor is True
    assert "contest.updated" in actions(app)
    dashboard = client.get("/manage/contests/hromada-2026").get_data(as_text=True)
    assert "Члени журі входять із двофакторною автентифікацією" in dashboard


def test_an_administrator_turns_it_off_for_a_person_who_lost_the_phone(app, build, client):
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    set_up(client)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["two-factor-off", "juror@example.org"])
    assert result.exit_code == 0, result.output
    assert "вимкнено" in result.output
    assert client.get("/account").status_code == 302  # the sessions ended too
    client.login("juror@example.org")  # the password alone
    assert client.get("/account").status_code == 200
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "user.two_factor_off")
        )
        assert entry.actor_id is None and entry.details == {"via": "cli"}
    again = runner.invoke(args=["two-factor-off", "juror@example.org"])
    assert again.exit_code == 1 and "не використовує" in again.output
    unknown = runner.invoke(args=["two-factor-off", "nobody@example.org"])
    assert unknown.exit_code == 1


# Found by attacking it -----------------------------------------------------------------


def test_a_copied_cookie_cannot_tie_the_account_to_a_strangers_phone(app, build, client):
    """Found: with only a stolen session cookie, an attacker turned on two-factor sign-in
    with their own app, which ended the owner's sessions and locked the owner out. It now
    takes the password."""
    build.user(Role.ORGANISER, email="org@example.org")
    client.login("org@example.org")
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    page = thief.get("/account/two-factor").get_data(as_text=True)
    secret = SECRET.search(page).group(1).replace(" ", "")
    response = thief.post(
        "/account/two-factor",
        data={
            "csrf_token": thief.csrf_token("/account/two-factor"),
            "code": code_at(secret),
            "password": "a guess of the password",
        },
    )
    assert response.status_code == 400
    assert 'id="password-errors"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.totp_secret)) is None
    assert client.get("/account").status_code == 200  # the owner is still signed in


def test_a_password_reset_does_not_skip_the_second_factor(app, build, client, outbox):
    """Found: a reset signed the person in at once, so access to the mailbox alone
    opened an account protected with two factors."""
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    secret, _codes = set_up(client)
    client.submit("/logout")
    mailbox_reader = app.test_client()
    mailbox_reader.submit("/password/reset", {"email": "juror@example.org"})
    link = re.search(r"http://127.0.0.1:5000(/password/reset/\S+)", outbox()[0].get_content())
    new = "зимовий вечір над Дніпром"
    response = mailbox_reader.post(
        link.group(1),
        data={
            "csrf_token": mailbox_reader.csrf_token(link.group(1)),
            "password": new,
            "password_confirm": new,
        },
    )
    assert response.status_code == 302 and response.location == "/login/code"
    assert mailbox_reader.get("/account").status_code == 302
    assert mailbox_reader.get("/manage/contests").status_code == 302


def test_next_after_the_set_up_stays_on_the_site(app, build, client):
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    page = "/account/two-factor?next=https://evil.example/steal"
    html = client.get(page).get_data(as_text=True)
    secret = SECRET.search(html).group(1).replace(" ", "")
    response = client.post(
        page,
        data={"csrf_token": client.csrf_token(page), "code": code_at(secret), "password": PASSWORD},
    )
    offsite = re.compile(r'href="(https?:)?[/\\]{2}evil')
    assert "Коди збережено" in response.get_data(as_text=True)
    assert not offsite.search(response.get_data(as_text=True))
    for target in ("//evil.example", "/\\evil.example"):
        html = client.get(f"/account/two-factor?next={target}").get_data(as_text=True)
        assert not offsite.search(html)


def test_a_juror_of_such_a_contest_opens_no_application_page_without_it(app, build, client):
    """Found: the application's own page (/applications/<number>) and its files showed
    the content to a juror of a contest that asks for two-factor sign-in."""
    juror = build.user(Role.JUROR, email="juror@example.org")
    judged = judged_contest(app, build, [juror], count=1, jurors_two_factor=True)
    set_sheet(app, juror, judged.numbers[0])  # no conflict declared: the content opens
    client.login("juror@example.org")
    assert client.get(f"/applications/{judged.numbers[0]}").status_code == 404
    set_up(client)
    assert client.get(f"/applications/{judged.numbers[0]}").status_code == 200


def test_a_code_in_other_digits_is_read_as_digits_not_a_500(app, build, client, clock_at):
    """Full-width (a Japanese keyboard) or Arabic-Indic digits are digits: the code they
    spell signs in once; a wrong one is refused beside the field, never a 500."""
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    secret, _codes = set_up(client)
    client.submit("/logout")
    start = clock.now() + timedelta(seconds=90)
    clock_at(start)
    wrong = log_in_with_code(client, "juror@example.org", "١٢٣٤٥٦")
    assert wrong.status_code == 200
    assert "Код неправильний або вже використаний" in wrong.get_data(as_text=True)
    wide = "".join(chr(ord("０") + int(d)) for d in code_at(secret, start))
    response = client.post(
        "/login/code", data={"csrf_token": client.csrf_token("/login/code"), "code": wide}
    )
    assert response.status_code == 302 and response.location == "/account"


def test_the_session_cookie_does_not_carry_the_secret_being_set_up(app, build, client):
    """The cookie is signed, not encrypted: read it as anyone holding it could."""
    build.user(Role.ORGANISER, email="org@example.org")
    client.login("org@example.org")
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = SECRET.search(page).group(1).replace(" ", "")
    cookie = client.get_cookie("session").value
    read = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert secret not in repr(read) and secret not in cookie
    again = client.get("/account/two-factor").get_data(as_text=True)
    assert SECRET.search(again).group(1).replace(" ", "") == secret  # the same until confirmed
    response = client.submit("/account/two-factor", {"code": code_at(secret), "password": PASSWORD})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.totp_secret)) == secret


def test_a_secret_read_with_a_copied_cookie_dies_with_that_session(app, build, client):
    """Found (outside attack): the set-up's nonce outlived the login session in the cookie,
    so a thief who read the secret with a copied cookie saw it again in the owner's next
    session, after the owner had logged out to end the copy, and knew the second factor
    the owner then turned on. The secret is now bound to the session it was shown in."""
    build.user(Role.ORGANISER, email="org@example.org")
    client.login("org@example.org")
    shown = SECRET.search(client.get("/account/two-factor").text).group(1).replace(" ", "")
    thief = app.test_client()  # the cookie copied while the set-up page was open
    thief.set_cookie("session", client.get_cookie("session").value)
    seen = SECRET.search(thief.get("/account/two-factor").text).group(1).replace(" ", "")
    assert seen == shown  # the session's own page: the copy shows what its owner sees
    client.submit("/logout")  # «a copied cookie stops working»
    assert thief.get("/account/two-factor").status_code == 302
    client.login("org@example.org")
    secret, _codes = set_up(client)
    assert secret != seen
    with app.app_context():
        assert db.session.scalar(select(User.totp_secret)) == secret


def test_a_new_password_ends_the_secret_a_copied_cookie_read(app, build, client):
    """The same with a new password instead of logging out: the copy is signed out and
    the owner's set-up page shows another secret than the one the copy read."""
    build.user(Role.JUROR, email="juror@example.org")
    client.login("juror@example.org")
    shown = SECRET.search(client.get("/account/two-factor").text).group(1).replace(" ", "")
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    new = "a-new-and-long-passphrase-2026"
    changed = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "password": new, "password_confirm": new},
    )
    assert changed.status_code == 302
    assert thief.get("/account/two-factor").status_code == 302  # signed out
    again = SECRET.search(client.get("/account/two-factor").text).group(1).replace(" ", "")
    assert again != shown


def test_a_second_tab_confirming_after_the_first_is_told_it_is_on(app, build, client):
    """Two tabs of the set-up page: the first confirms; the second's form, sent after,
    is told that two-factor sign-in is already on (it was a bare «405» page)."""
    build.user(Role.ORGANISER, email="org@example.org")
    client.login("org@example.org")
    page = client.get("/account/two-factor").text
    secret = SECRET.search(page).group(1).replace(" ", "")
    token = client.csrf_token("/account/two-factor")
    sent = {"csrf_token": token, "code": code_at(secret), "password": PASSWORD}
    assert client.post("/account/two-factor", data=sent).status_code == 200  # the first tab
    second = client.post("/account/two-factor", data=sent, follow_redirects=True)
    assert second.status_code == 200
    assert "Двофакторний вхід уже увімкнено" in second.text
    assert "Код не збігається" not in second.text
    assert actions(app).count("user.two_factor_on") == 1


def test_a_set_up_begun_by_one_account_is_not_finished_by_the_next_in_that_browser(
    app, build, client
):
    """Outside attack (a guard that held): the nonce stays in the browser's cookie, but
    the next account signed in there gets a secret of its own, the first account's code
    does not turn it on, and a secret once confirmed and turned off is not shown again."""
    build.user(Role.ORGANISER, email="first@example.org")
    build.user(Role.JUROR, email="next@example.org")
    client.login("first@example.org")
    first = SECRET.search(client.get("/account/two-factor").text).group(1).replace(" ", "")
    client.submit("/logout")
    client.login("next@example.org")
    mine = SECRET.search(client.get("/account/two-factor").text).group(1).replace(" ", "")
    assert mine != first
    wrong = client.submit("/account/two-factor", {"code": code_at(first), "password": PASSWORD})
    assert wrong.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(User.totp_secret)).all() == [None, None]
    secret, _codes = set_up(client)
    assert secret == mine
    off = client.submit("/account/two-factor/off", {"off-password": PASSWORD})
    assert off.status_code == 302
    again = SECRET.search(client.get("/account/two-factor").text).group(1).replace(" ", "")
    assert again not in (secret, first)
