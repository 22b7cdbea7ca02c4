"""Fixtures: one app per test on a real database, a client that sends CSRF tokens, builders.

SQLite (default): the schema is migrated once per session into a template file that
each test copies. PostgreSQL (``TEST_DATABASE_URL``): the schema is migrated once and
every test starts from truncated tables.

The demo (``flask demo``) is loaded once per session too (``demo_template``): a test
that asks for ``demo_loaded`` gets it copied into its own database. ``signed_in``
signs the test's client in as a new user of a role, the interface in English.
"""

import contextlib
import email
import functools
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from email import policy
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool
from werkzeug import security

from scoring import audit, background, clock, config, create_app, demo, edrpou, models
from scoring.extensions import db
from scoring.models import (
    Contest,
    Criterion,
    JuryMember,
    Organisation,
    OrganisationKind,
    Role,
    Stage,
    User,
)
from tests import _audit_guard
from tests._meeting import record_meeting

_audit_guard.install()  # every request's write carries an audit entry (the page cache)

PASSWORD = "correct horse battery"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
CSRF_INPUT = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)

WARNINGS_INPUT = re.compile(r'name="warnings" type="hidden" value="([0-9a-f]*)"')


class Client(FlaskClient):
    """A test client that fills in the CSRF token as a browser with the page open would."""

    def csrf_token(self, page: str = "/") -> str:
        html = self.get(page).get_data(as_text=True)
        match = CSRF_INPUT.search(html)
        assert match, f"no CSRF token on {page}"
        return match.group(1) or match.group(2)

    def submit(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with the CSRF token taken from the page itself."""
        form = {"csrf_token": self.csrf_token(), **(data or {})}
        return self.post(url, data=form, **kwargs)

    def change_stage(self, slug: str, stage: str, reason: str = ""):
        """Move a contest as its organiser does: the stage page read, its warnings
        (``lifecycle.preview``) confirmed by their fingerprint, the form sent."""
        url = f"/manage/contests/{slug}/stage?to={stage}"
        shown = WARNINGS_INPUT.search(self.get(url).get_data(as_text=True))
        fingerprint = shown.group(1) if shown else ""
        return self.submit(url, {"reason": reason, "warnings": fingerprint, "confirm": "y"})

    def login(self, email: str, password: str = PASSWORD):
        response = self.submit("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response


def _settings(tmp_path: Path, database_uri: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_SERVER": None,
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        "IMPORT_IN_BACKGROUND": False,  # a check or an import runs within its request
        "BACKUP_SIGNING_KEY": "test-backup-signing-key-0123456789abcdef",
        "PUBLIC_URL": "http://127.0.0.1:5000",  # links in e-mails, whatever the environment says
    }


@pytest.fixture(scope="session", autouse=True)
def static_build(tmp_path_factory):
    """One build of the static files for the session (scoring/assets.py), not one per app."""
    folder = tmp_path_factory.mktemp("static-build")
    previous = os.environ.get("STATIC_BUILD_DIR")
    os.environ["STATIC_BUILD_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("STATIC_BUILD_DIR", None)
    else:
        os.environ["STATIC_BUILD_DIR"] = previous


# Held by a run on its PostgreSQL database (not the audit log's key, scoring/audit.py).
ONE_RUN_KEY = 7_301_199


def _one_run_at_a_time(url: str):
    """A connection holding the database for this run, or ``pytest.exit``: two runs on one
    database empty each other's tables under their feet (a signed-in test client loses its
    session row and is sent to /login; their TRUNCATEs deadlock)."""
    connection = create_engine(url, poolclass=NullPool).connect()
    held = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ONE_RUN_KEY})
    if not held.scalar():
        connection.close()
        pytest.exit(f"another test run is using {url}: wait for it, or use a database of your own")
    connection.commit()
    return connection


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """The URL of a database migrated to the latest schema (a template file for SQLite)."""
    base = tmp_path_factory.mktemp("template")
    holder = None
    if TEST_DATABASE_URL:
        url = config.database_url(TEST_DATABASE_URL, base)
        holder = _one_run_at_a_time(url)
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{base / 'template.sqlite'}"
    app = create_app(_settings(base, url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    if not TEST_DATABASE_URL:
        connection = sqlite3.connect(base / "template.sqlite")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
    yield url
    if holder is not None:
        holder.close()


def _empty_postgresql_tables(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(t.name for t in db.metadata.sorted_tables)
    with engine.begin() as connection:
        # The audit log refuses TRUNCATE (migration 0004): lifted for this transaction only.
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    engine.dispose()


@pytest.fixture
def database_uri(migrated_database, tmp_path):
    if TEST_DATABASE_URL:
        _empty_postgresql_tables(migrated_database)
        return migrated_database
    template = Path(migrated_database.removeprefix("sqlite:///"))
    copy = tmp_path / "scoring.sqlite"
    shutil.copyfile(template, copy)
    return f"sqlite:///{copy}"


@contextlib.contextmanager
def cheap_password_hashes():
    """Password hashes that take no time to make or check: the demo's 17 scrypt hashes
    take seconds, and every login checks one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            models,
            "generate_password_hash",
            functools.partial(security.generate_password_hash, method="pbkdf2:sha256:1"),
        )
        yield


@dataclass(frozen=True)
class DemoTemplate:
    """The demo loaded once: a database file (SQLite) or every table's rows (PostgreSQL)."""

    logins: list  # (role, e-mail, password), as ``demo.load`` returns them
    path: Path | None = None
    rows: dict | None = None


@pytest.fixture(scope="session")
def demo_template(migrated_database, tmp_path_factory) -> DemoTemplate:
    folder = tmp_path_factory.mktemp("demo")
    if TEST_DATABASE_URL:
        _empty_postgresql_tables(migrated_database)
        url = migrated_database
    else:
        path = folder / "demo.sqlite"
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), path)
        url = f"sqlite:///{path}"
    app = create_app(_settings(folder, url))
    rows = None
    with app.app_context(), cheap_password_hashes():
        logins = demo.load()
        db.session.commit()
        if TEST_DATABASE_URL:
            with db.engine.connect() as connection:
                rows = {
                    table.name: [dict(row._mapping) for row in connection.execute(table.select())]
                    for table in db.metadata.sorted_tables
                }
        db.session.remove()
        db.engine.dispose()
    if TEST_DATABASE_URL:
        _empty_postgresql_tables(url)
        return DemoTemplate(logins, rows=rows)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return DemoTemplate(logins, path=path)


def load_demo(app, database_uri: str, template: DemoTemplate) -> list:
    """Put the demo into the (empty) database of ``app``, as ``flask demo`` leaves it: the
    audit log anchored in the app's instance folder too."""
    _copy_demo(app, database_uri, template)
    with app.app_context():
        report = audit.verify()
        audit.move_anchor(audit.Anchor(report.last_id, report.last_hash))
    return template.logins


def _copy_demo(app, database_uri: str, template: DemoTemplate) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        if not TEST_DATABASE_URL:
            target = Path(database_uri.removeprefix("sqlite:///"))
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(template.path, target)
            return
        with db.engine.begin() as connection:
            for table in db.metadata.sorted_tables:
                if template.rows[table.name]:
                    connection.execute(table.insert(), template.rows[table.name])
            for table in db.metadata.sorted_tables:
                if "id" in table.c and table.c.id.primary_key:
                    # The names are those of our own tables, not input.
                    restart = (
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                        f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"
                    )
                    connection.execute(text(restart))
        db.engine.dispose()


@pytest.fixture
def demo_loaded(app, database_uri, demo_template) -> list:
    """The demo in this test's database (copied from ``demo_template``); its logins."""
    return load_demo(app, database_uri, demo_template)


@pytest.fixture
def make_app(database_uri, tmp_path):
    """Build apps on the test's database, with settings changed: ``make_app(KEY=value)``."""
    apps = []

    def make(**overrides):
        app = create_app({**_settings(tmp_path, database_uri), **overrides})
        app.test_client_class = Client
        apps.append(app)
        return app

    yield make
    background.join()  # work still done in the background (documents, e-mails) reads the database
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    """The e-mails written so far, oldest first, as ``email.message.EmailMessage``; those
    still being sent in the background (the e-mails of publication) are waited for."""

    def read() -> list:
        background.join()
        folder = Path(app.config["MAIL_OUTBOX"])
        return (
            [
                email.message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(folder.glob("*.eml"))
            ]
            if folder.exists()
            else []
        )

    return read


@pytest.fixture
def clock_at(monkeypatch):
    """Move the application's clock: ``clock_at(datetime)``."""

    def move(moment):
        monkeypatch.setattr(clock, "now", lambda: moment)

    return move


class Builders:
    """Create domain objects directly in the database, committed, for the arrange step."""

    def __init__(self, app):
        self.app = app
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def user(
        self,
        role: Role = Role.JUROR,
        email: str | None = None,
        name: str = "Тест",
        password: str = PASSWORD,
        **fields,
    ) -> int:
        with self.app.app_context():
            user = User(
                email=email or f"user{self._next()}@example.org", name=name, role=role, **fields
            )
            user.set_password(password)
            db.session.add(user)
            db.session.commit()
            return user.id

    def organisation(self, kind=OrganisationKind.NGO, oblast="UA-63", **fields) -> int:
        n = self._next()
        with self.app.app_context():
            organisation = Organisation(
                kind=kind,
                name=fields.pop("name", f"ГО «Тест {n}»"),
                edrpou=fields.pop("edrpou", edrpou.complete(f"{4100000 + n:07d}")),
                oblast=oblast,
                community=fields.pop("community", "Харківська міська громада"),
                contact_person="Контактна особа",
                email=f"org{n}@example.org",
                phone="+380501234567",
                **fields,
            )
            db.session.add(organisation)
            db.session.commit()
            return organisation.id

    def applicant(self, email: str | None = None, **org_fields) -> int:
        organisation_id = self.organisation(**org_fields)
        return self.user(Role.APPLICANT, email=email, organisation_id=organisation_id)

    def contest(self, organisers=(), jurors=(), stage: Stage = Stage.OPEN, **fields) -> int:
        n = self._next()
        now = clock.now()
        with self.app.app_context():
            contest = Contest(
                slug=fields.pop("slug", f"contest-{n}"),
                title_uk=fields.pop("title_uk", f"Конкурс {n}"),
                opens_at=fields.pop("opens_at", now - timedelta(days=1)),
                closes_at=fields.pop("closes_at", now + timedelta(days=30)),
                number_prefix=fields.pop("number_prefix", f"T{n}"),
                applicant_kinds=fields.pop("applicant_kinds", ["community", "ngo"]),
                stage=stage,
                **fields,
            )
            contest.organisers = [db.session.get(User, uid) for uid in organisers]
            contest.jury = [JuryMember(user_id=uid) for uid in jurors]
            contest.criteria = [
                Criterion(code="C1", title_uk="Актуальність", max_points=Decimal(10), position=0),
                Criterion(
                    code="C2",
                    title_uk="Залучення мешканців",
                    max_points=Decimal(10),
                    weight=Decimal("1.5"),
                    position=1,
                ),
            ]
            db.session.add(contest)
            db.session.commit()
            return contest.id

    def meeting(self, contest: int | str, **details) -> None:
        """The jury's meeting entered for the protocol of the contest (its id or slug),
        as publication needs it: ``record_meeting``'s number, date, place and attendance."""
        with self.app.app_context():
            found = (
                db.session.get(Contest, contest)
                if isinstance(contest, int)
                else db.session.scalar(select(Contest).where(Contest.slug == contest))
            )
            record_meeting(found, **details)
            db.session.commit()


@pytest.fixture
def build(app) -> Builders:
    return Builders(app)


@pytest.fixture
def signed_in(build, client):
    """Sign the test's client in as a new user: ``signed_in(Role.ORGANISER, email,
    name=..., **fields)`` gives the user's id; the interface is switched to English."""

    def sign_in(role: Role, email: str, **fields) -> int:
        user_id = build.user(role, email=email, **fields)
        client.login(email)
        client.submit("/language", {"language": "en", "next": "/"})
        return user_id

    return sign_in
