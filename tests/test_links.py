"""Links that leave the site come from PUBLIC_URL, never from the request (SPEC §8, issue 12).

An attacker who asks for a password reset with ``Host: evil.example`` must not get the
victim's reset link pointed at their server; in production a request for any host but
the site's own is refused. The documents and ``make run`` use the real address too
(issue 15).
"""

import io
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from scoring import config, create_app
from scoring.models import Role, Stage

from ._judging import judged_contest, organised_by
from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "https://contests.example.org"
STRONG_KEY = "k7Qp2vX9sL4mN8wR1tY6uI3oP5aS0dF2gH7jK4lZ"
EVIL = "evil.example"


def _links(message) -> list[str]:
    return re.findall(r"https?://\S+", message.get_content())


def _token(client, base_url: str, path: str = "/") -> str:
    """The CSRF token of a page asked for at ``base_url`` (cookies are kept per host)."""
    page = client.get(path, base_url=base_url).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _production(make_app, **settings):
    return make_app(SCORING_ENV="production", SECRET_KEY=STRONG_KEY, PUBLIC_URL=PUBLIC, **settings)


def test_a_reset_asked_for_with_a_foreign_host_links_to_the_public_address(make_app, build, outbox):
    """The attack of issue 12: Host and X-Forwarded-Host name the attacker's server."""
    app = make_app(PUBLIC_URL=PUBLIC, PROXY_FIX=True)
    build.user(Role.ORGANISER, email="secretary@example.org")
    client = app.test_client()
    headers = {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "http"}
    response = client.post(
        "/password/reset",
        data={"csrf_token": _token(client, f"http://{EVIL}"), "email": "secretary@example.org"},
        base_url=f"http://{EVIL}",
        headers=headers,
    )
    assert response.status_code == 302
    (message,) = outbox()
    (link,) = _links(message)
    assert link.startswith(f"{PUBLIC}/password/reset/")
    assert EVIL not in message.as_string()


def test_invitations_and_the_receipt_link_ignore_the_host_too(make_app, build, outbox):
    app = make_app(PUBLIC_URL=PUBLIC)
    organiser = build.user(Role.ORGANISER, email="org@example.org")
    contest = build.contest(organisers=[organiser])
    client = app.test_client()
    base = f"http://{EVIL}"
    login = {"csrf_token": _token(client, base), "email": "org@example.org", "password": PASSWORD}
    assert client.post("/login", data=login, base_url=base).status_code == 302
    response = client.post(
        "/invitations/new",
        data={
            "csrf_token": _token(client, base, "/invitations/new"),
            "email": "expert@example.org",
            "name": "Ірина Бондар",
            "role": "juror",
            "contest": str(contest),
        },
        base_url=base,
    )
    assert response.status_code == 302
    (message,) = outbox()
    (link,) = _links(message)
    assert link.startswith(f"{PUBLIC}/invitations/")
    assert EVIL not in message.as_string()


def test_the_jurors_emails_link_to_the_public_address_whatever_the_host(
    make_app, build, outbox
):
    """The e-mails of issue 16 (new assignments, judging opened) link a juror to their
    list from PUBLIC_URL too: an organiser's request with a foreign Host (or the app
    reached by another name or port) must not point every juror elsewhere."""
    app = make_app(PUBLIC_URL=PUBLIC)
    organiser = build.user(Role.ORGANISER, email="org@example.org")
    juror = build.user(Role.JUROR, email="juror@example.org", name="Ірина Бондар")
    judged = judged_contest(app, build, [juror], count=2, assigned=[], jurors_per_application=0)
    organised_by(app, judged.contest_id, organiser)
    client = app.test_client()
    base = f"http://{EVIL}:8080"
    login = {"csrf_token": _token(client, base), "email": "org@example.org", "password": PASSWORD}
    assert client.post("/login", data=login, base_url=base).status_code == 302
    url = f"/manage/contests/{judged.slug}/assignments"
    response = client.post(
        f"{url}/auto", data={"csrf_token": _token(client, base, url)}, base_url=base
    )
    assert response.status_code == 302
    (message,) = outbox()
    assert message["To"] == "juror@example.org"
    assert _links(message) == [f"{PUBLIC}/judging/{judged.slug}"]
    assert EVIL not in message.as_string()


def test_the_public_address_may_carry_a_path(make_app, build, outbox, client):
    app = make_app(PUBLIC_URL="https://example.org/konkursy/")
    build.user(Role.JUROR, email="juror@example.org")
    client = app.test_client()
    client.submit("/password/reset", {"email": "juror@example.org"})
    (link,) = _links(outbox()[0])
    assert link.startswith("https://example.org/konkursy/password/reset/")


def test_production_refuses_requests_for_any_other_host(make_app, build, outbox):
    app = _production(make_app, PROXY_FIX=True)
    assert app.config["TRUSTED_HOSTS"] == ["contests.example.org"]
    client = app.test_client()
    refused = client.get("/login", base_url=f"http://{EVIL}")
    assert refused.status_code == 400
    assert "Цю адресу тут не обслуговують" in refused.get_data(as_text=True)
    assert client.post("/password/reset", base_url=f"http://{EVIL}").status_code == 400
    for host in ("127.0.0.1", "contests.example.org.evil.example", "evil.contests.example.org"):
        assert client.get("/", base_url=f"http://{host}").status_code == 400, host
    # Behind the proxy the host is the one nginx passes, whatever X-Forwarded-Host says.
    build.user(Role.ORGANISER, email="secretary@example.org")
    response = client.post(
        "/password/reset",
        data={"csrf_token": _token(client, PUBLIC), "email": "secretary@example.org"},
        base_url=PUBLIC,
        headers={
            "X-Forwarded-Host": EVIL,
            "X-Forwarded-Proto": "https",
            "Referer": f"{PUBLIC}/password/reset",  # Flask-WTF checks it over HTTPS
        },
    )
    assert response.status_code == 302
    assert EVIL not in outbox()[0].as_string()
    assert client.get("/", base_url=f"{PUBLIC}:443").status_code == 200


def test_more_hosts_can_be_trusted_besides_the_public_one(make_app, monkeypatch):
    monkeypatch.setenv("TRUSTED_HOSTS", "127.0.0.1, www.contests.example.org")
    app = _production(make_app)
    assert app.config["TRUSTED_HOSTS"] == [
        "contests.example.org",
        "127.0.0.1",
        "www.contests.example.org",
    ]
    client = app.test_client()
    assert client.get("/healthz", base_url="http://127.0.0.1:8000").status_code == 200
    assert client.get("/", base_url="https://www.contests.example.org").status_code == 200
    assert client.get("/", base_url=f"http://{EVIL}").status_code == 400


def test_production_does_not_start_without_its_public_address(monkeypatch, tmp_path):
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    for name in ("FLASK_DEBUG", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SCORING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    with pytest.raises(RuntimeError, match="PUBLIC_URL is not set"):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    monkeypatch.setenv("PUBLIC_URL", "contests.example.org")  # no scheme: not an address
    with pytest.raises(RuntimeError, match="PUBLIC_URL is not set"):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    monkeypatch.setenv("PUBLIC_URL", PUBLIC)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    assert app.config["TRUSTED_HOSTS"] == ["contests.example.org"]


def test_outside_production_every_host_is_served(app):
    assert app.config["TRUSTED_HOSTS"] is None
    assert config.load(Path("/nonexistent"), {"SECRET_KEY": "x"})["TRUSTED_HOSTS"] is None


def test_the_announcement_links_and_its_qr_code_point_at_the_public_address(
    make_app, build, tmp_path
):
    app = make_app(PUBLIC_URL="http://127.0.0.1:5123")
    organiser = build.user(Role.ORGANISER, email="org@example.org")
    build.contest(organisers=[organiser], slug="hromada-2026", stage=Stage.JUDGING)
    out = tmp_path / "announcement.pdf"
    result = app.test_cli_runner().invoke(
        args=["pdf", "hromada-2026", "announcement", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "http://127.0.0.1:5123/contests/hromada-2026/results" in text
    assert ":5000" not in text


def test_make_run_gives_the_app_the_address_it_serves(tmp_path):
    """``make run PORT=…``: the demo's login address, the e-mails and the documents' QR
    code name the port the app really listens on (issue 15), unless PUBLIC_URL is set."""
    stand_in = tmp_path / "flask"
    stand_in.write_text(
        f"#!{sys.executable}\nimport os, sys\nprint(os.environ.get('PUBLIC_URL'), *sys.argv[1:])\n"
    )
    stand_in.chmod(stand_in.stat().st_mode | stat.S_IEXEC)
    environment = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "MAKEFLAGS")}

    def run(*arguments, **extra):
        completed = subprocess.run(
            # -o: the virtualenv counts as installed; the stand-in replaces flask.
            [
                shutil.which("make"),
                "-s",
                "-o",
                ".venv/.installed-run",
                "run",
                f"FLASK={stand_in}",
                *arguments,
            ],
            cwd=ROOT,
            env={**environment, **extra},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return completed.stdout.splitlines()

    assert run("PORT=5123") == [
        "http://127.0.0.1:5123 init-db",
        "http://127.0.0.1:5123 demo --if-empty",
        "http://127.0.0.1:5123 run --host 127.0.0.1 --port 5123",
    ]
    assert run()[-1] == "http://127.0.0.1:5000 run --host 127.0.0.1 --port 5000"
    assert run("PORT=5124", PUBLIC_URL=PUBLIC)[0] == f"{PUBLIC} init-db"
