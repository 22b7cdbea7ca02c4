"""The authorisation matrix (issue 7, SPEC §8): every route × every role.

The routes come from the app's URL map when the tests are collected, so a new route is
covered at once, and fails until it is classified in ``EXPECTED``. The roles are those
of ``tests/_matrix.py``, one scenario in which each role has its place.

- Every GET answers each role with the expected status: the login page for anonymous
  visitors on protected pages, 403 for a wrong role, 404 for an object that is not
  the user's (the same as an unknown one). No response shows a marker of an object the
  role may not see, and page views write nothing.
- Every state-changing request without a CSRF token answers 400 and writes nothing.
- With a valid token, a refused role gets its refusal and nothing is written; an
  allowed role is not refused (it may be redirected or see a form error).
- An organiser cannot reach another contest's objects through their own contest.
- Results (SPEC §6, §8), at every stage of contest A (``STAGES``, the published ones
  with the full ranking and with the winners only): every GET of the URL map, for every
  role, shows no marker of the results that the role may not see at that stage — in
  pages, JSON, CSV, XLSX and PDF alike (``tests/_shown.py`` reads each format) — and no
  e-mail written by a request shows one to its recipient. Where results must show, they
  do (so that the absence can fail), and after publication the API and the
  announcement PDF hold exactly the applications, places, scores and notes of the
  public results page, compared cell by cell.

GET cases and refused writes share one module-wide database (they must not change it;
that is asserted). Allowed writes change it, and it is restored after each of them. The
stage tests move contest A to their stage and back to judging (with an audit entry each
time, as the app writes one: the page cache keys on it).
"""

import email
import io
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import url_for
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, text

from scoring import audit, background, clock, create_app
from scoring.documents import jobs
from scoring.extensions import db
from scoring.i18n import oblast_name, points
from scoring.models import (
    Application,
    ApplicationState,
    Contest,
    Organisation,
    Stage,
    User,
    UserSession,
)

from ._databases import dump
from ._matrix import (
    ANONYMOUS,
    APPEAL,
    CLARIFICATION,
    CONTACT,
    DECISION,
    EMAILS,
    FILENAME,
    INVITATION_TOKEN,
    JUROR,
    JUROR_FREE,
    JUROR_RECUSED,
    MARKERS,
    ORGANISATION,
    ORGANISER,
    OTHER_APPLICANT,
    OTHER_COMMENT,
    OTHER_JUROR,
    OTHER_JUROR_EMAIL,
    OTHER_ORGANISER,
    OWN_DIVERGENCE,
    OWNER,
    PHONE,
    ROLES,
    SCORE_THIRD,
    SCORE_TIED,
    STAGES,
    THIRD,
    TIE_NOTE,
    TIE_REASON,
    TIED_OUT,
    TOTAL_OTHER,
    UNRANKED,
    Scenario,
    build_scenario,
    markers,
    published,
    store_upload,
)
from ._shown import results_tables, shows, squeeze, visible_text
from .conftest import TEST_DATABASE_URL, Client, _empty_postgresql_tables, _settings

LOGIN = "login"  # a redirect to the login page
WRITE = "write"  # allowed to change something: neither 403 nor 404 (nor 500)
APPLICANTS = (OWNER, OTHER_APPLICANT)
JURORS = (JUROR, JUROR_FREE, JUROR_RECUSED)
ORGANISERS = (ORGANISER, OTHER_ORGANISER)
_SEE = (OWNER, JUROR, ORGANISER)


def _collect_routes() -> tuple[list[tuple[str, str]], dict]:
    """(endpoint, method) of every route of the app, and each endpoint's rule."""
    folder = tempfile.mkdtemp(prefix="matrix-routes-")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "collect",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/unused.sqlite",
            "INSTANCE_PATH": folder,
        }
    )
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    arguments = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    shutil.rmtree(folder, ignore_errors=True)
    return sorted(routes), arguments


ROUTES, RULES = _collect_routes()
READS = [endpoint for endpoint, method in ROUTES if method == "GET"]
WRITES = [(endpoint, method) for endpoint, method in ROUTES if method != "GET"]


# The expectations ------------------------------------------------------------------


def table(ok, *, anonymous=LOGIN, applicants=403, jurors=403, organisers=403, **roles):
    """Status by role: ``ok`` for the roles named in ``roles`` as True, the rest by group."""
    statuses = {ANONYMOUS: anonymous}
    statuses |= dict.fromkeys(APPLICANTS, applicants)
    statuses |= dict.fromkeys(JURORS, jurors)
    statuses |= dict.fromkeys(ORGANISERS, organisers)
    for role, allowed in roles.items():
        statuses[role] = ok if allowed is True else allowed
    return statuses


def everyone(status):
    return dict.fromkeys(ROLES, status)


def manage(ok=200, **roles):
    """The contest's organisers only; another contest's organiser is told "not found"."""
    return table(ok, organisers=404, **{ORGANISER: True}, **roles)


def organisers(ok=200):
    return table(ok, organisers=ok)


def applicants(ok=200):
    return table(ok, applicants=ok)


def signed_in(ok=200):
    return table(ok, applicants=ok, jurors=ok, organisers=ok)


def the_application(ok=200):
    """A submitted application: its applicant, its organisers and its (declared) juror."""
    return table(ok, applicants=404, jurors=404, organisers=404, **dict.fromkeys(_SEE, True))


def scoresheet(ok=200):
    """A juror's own sheet; a juror not assigned or recused is told "not found"."""
    return table(ok, jurors=404, **{JUROR: True})


# {endpoint: {method: {role: expected}}}; GET pages of contest A (in judging), POSTs.
EXPECTED: dict[str, dict[str, dict]] = {
    # Public pages and files.
    "pages.home": {"GET": everyone(200)},
    "pages.contest": {"GET": everyone(200)},
    "static": {"GET": everyone(200)},
    "pages.favicon": {"GET": everyone(200)},
    "bootstrap.static": {"GET": everyone(200)},
    "health.healthz": {"GET": everyone(200)},
    "applications.communities": {"GET": everyone(200)},
    # Results are public only once published; before, the organisers' draft PDF.
    "results.public": {"GET": everyone(404)},
    "results.api": {"GET": everyone(404)},
    "documents.announcement": {
        "GET": table(
            200, anonymous=404, applicants=404, jurors=404, organisers=404, **{ORGANISER: True}
        )
    },
    # Accounts.
    "auth.login": {
        "GET": table(302, anonymous=200, applicants=302, jurors=302, organisers=302),
        "POST": everyone(WRITE),
    },
    "auth.register": {
        "GET": table(302, anonymous=200, applicants=302, jurors=302, organisers=302),
        "POST": everyone(WRITE),
    },
    "auth.logout": {"GET": everyone(200), "POST": everyone(WRITE)},
    "auth.set_language": {"POST": everyone(WRITE)},
    "auth.reset_request": {"GET": everyone(200), "POST": everyone(WRITE)},
    # The token is the credential: whoever holds the link may use it.
    "auth.reset_password": {"GET": everyone(200), "POST": everyone(WRITE)},
    "auth.accept_invitation": {"GET": everyone(200), "POST": everyone(WRITE)},
    "auth.account": {"GET": signed_in(200), "POST": signed_in(WRITE)},
    "auth.change_password": {"POST": signed_in(WRITE)},
    "auth.invite": {"GET": organisers(200), "POST": organisers(WRITE)},
    # Sign-in security: the code after the password (anyone may try, rate-limited), the
    # two-factor pages of organisers and jurors, one's own sessions.
    "security.login_code": {"GET": everyone(302), "POST": everyone(WRITE)},
    "security.two_factor": {
        "GET": table(200, jurors=200, organisers=200),
        "POST": table(WRITE, jurors=WRITE, organisers=WRITE),
    },
    "security.two_factor_off": {"POST": table(WRITE, jurors=WRITE, organisers=WRITE)},
    "security.recovery_codes": {"POST": table(WRITE, jurors=WRITE, organisers=WRITE)},
    # The owner's other session (another browser): everyone else is told "not found".
    "security.end_session": {
        "POST": table(WRITE, applicants=404, jurors=404, organisers=404, **{OWNER: True})
    },
    "security.end_other_sessions": {"POST": signed_in(WRITE)},
    # Applicants.
    "applications.organisation": {"GET": applicants(200), "POST": applicants(WRITE)},
    "privacy.organisation_data": {"GET": applicants(200)},
    "applications.mine": {"GET": applicants(200)},
    "applications.apply": {"POST": applicants(WRITE)},
    # The owner's draft in contest B: nobody else's, not even that contest's organiser.
    "applications.draft": {
        "GET": table(200, applicants=404, **{OWNER: True}),
        "POST": table(WRITE, applicants=404, **{OWNER: True}),
    },
    # JSON for the page's script: 401 without a session, 404 for anyone but the owner.
    "applications.api.autosave": {
        "GET": table(
            200, anonymous=401, applicants=404, jurors=404, organisers=404, **{OWNER: True}
        ),
        "POST": table(
            WRITE, anonymous=401, applicants=404, jurors=404, organisers=404, **{OWNER: True}
        ),
    },
    "applications.show": {"GET": the_application(200)},
    "applications.download": {"GET": the_application(200)},
    # The receipt holds the contact person's details: not the jurors' (issue 12).
    "documents.receipt": {
        "GET": table(
            200, applicants=404, jurors=404, organisers=404, **{OWNER: True, ORGANISER: True}
        )
    },
    "applications.withdraw": {
        "GET": table(200, applicants=404, **{OWNER: True}),
        "POST": table(WRITE, applicants=404, **{OWNER: True}),
    },
    # "Check your answers" of the owner's draft in contest B.
    "applications.check": {"GET": table(200, applicants=404, **{OWNER: True})},
    # After the decision (SPEC §14): the owner's own answer to a clarification, appeal,
    # feedback and diploma. The last two once the results are published (404 before,
    # to everyone; the contest's organisers read them as the owner does).
    "applications.clarification": {
        "GET": table(200, applicants=404, **{OWNER: True}),
        "POST": table(WRITE, applicants=404, **{OWNER: True}),
    },
    "results.file_appeal": {
        "GET": table(200, applicants=404, **{OWNER: True}),
        "POST": table(WRITE, applicants=404, **{OWNER: True}),
    },
    "documents.feedback": {"GET": table(404, applicants=404, jurors=404, organisers=404)},
    "documents.applicant_certificate": {
        "GET": table(404, applicants=404, jurors=404, organisers=404)
    },
    # Jurors.
    "judging.index": {"GET": table(302, jurors=302)},  # straight to the one contest judged
    "judging.assignments": {"GET": table(200, jurors=200)},
    "judging.scoresheet": {"GET": scoresheet(200), "POST": scoresheet(WRITE)},
    "judging.attachment": {"GET": scoresheet(200)},
    "judging.recuse": {"GET": scoresheet(200), "POST": scoresheet(WRITE)},
    "judging.submit": {"GET": scoresheet(200), "POST": scoresheet(WRITE)},
    "judging.no_conflict": {"POST": scoresheet(WRITE)},
    "documents.juror_scoresheet": {"GET": scoresheet(200)},
    # JSON: 401 without a session, 403 for another role, 404 for a sheet not theirs.
    "judging.autosave": {"POST": table(WRITE, anonymous=401, jurors=404, **{JUROR: True})},
    # Organisers: pages of any organiser, then contest A's pages.
    "contests.index": {"GET": organisers(200)},
    "contests.new": {"GET": organisers(200), "POST": organisers(WRITE)},
    "contests.dashboard": {"GET": manage()},
    "contests.edit": {"GET": manage(), "POST": manage(WRITE)},
    "contests.copy": {"GET": manage(), "POST": manage(WRITE)},
    "contests.applications_bulk": {"POST": manage(WRITE)},
    "contests.invitation_resend": {"POST": manage(WRITE)},
    "contests.notices_retry": {"POST": manage(WRITE)},
    "contests.invitation_withdraw": {"GET": manage(), "POST": manage(WRITE)},
    "jury.assign_bulk": {"POST": manage(WRITE)},
    "contests.stage": {"GET": manage(), "POST": manage(WRITE)},
    "contests.applications_list": {"GET": manage()},
    "contests.applications_download": {"GET": manage()},
    "contests.application_show": {"GET": manage(), "POST": manage(WRITE)},
    "contests.application_clarify": {"GET": manage(), "POST": manage(WRITE)},
    "results.appeals": {"GET": manage()},
    "results.appeal": {"GET": manage(), "POST": manage(WRITE)},
    "documents.appeals": {"GET": manage()},
    "contests.criteria_list": {"GET": manage()},
    "contests.criterion_new": {"GET": manage(), "POST": manage(WRITE)},
    "contests.criterion_edit": {"GET": manage(), "POST": manage(WRITE)},
    "contests.criterion_remove": {"GET": manage(), "POST": manage(WRITE)},
    "contests.criterion_move": {"POST": manage(WRITE)},
    "contests.questions_list": {"GET": manage()},
    "contests.questions_preview": {"GET": manage()},
    "contests.question_new": {"GET": manage(), "POST": manage(WRITE)},
    "contests.question_edit": {"GET": manage(), "POST": manage(WRITE)},
    "contests.question_remove": {"GET": manage(), "POST": manage(WRITE)},
    "contests.question_move": {"POST": manage(WRITE)},
    "contests.organisers_list": {"GET": manage(), "POST": manage(WRITE)},
    "contests.organiser_remove": {"GET": manage(), "POST": manage(WRITE)},
    # Rounds (SPEC §13): contest A is judged, so its rounds are declared already.
    "contests.rounds_list": {"GET": manage(), "POST": manage(WRITE)},
    "contests.round_new": {"GET": manage(), "POST": manage(WRITE)},
    "contests.round_remove": {"GET": manage(), "POST": manage(WRITE)},
    "jury.members": {"GET": manage(), "POST": manage(WRITE)},
    "jury.progress_download": {"GET": manage()},
    "jury.chair": {"POST": manage(WRITE)},
    "jury.remove": {"GET": manage(), "POST": manage(WRITE)},
    "jury.remind": {"GET": manage(), "POST": manage(WRITE)},
    "jury.assignments": {"GET": manage()},
    "jury.assign_automatically": {"POST": manage(WRITE)},
    "jury.application": {"GET": manage()},
    "jury.add": {"POST": manage(WRITE)},
    "jury.add_least_loaded": {"POST": manage(WRITE)},
    "jury.unassign": {"POST": manage(WRITE)},
    "jury.reopen": {"GET": manage(), "POST": manage(WRITE)},
    "results.ranking": {"GET": manage()},
    "results.ranking_csv": {"GET": manage()},
    "results.ranking_xlsx": {"GET": manage(), "POST": manage(WRITE)},  # POST: in the background
    "results.scores_csv": {"GET": manage()},
    "results.scores_xlsx": {"GET": manage(), "POST": manage(WRITE)},
    "results.tie": {"GET": manage(302), "POST": manage(WRITE)},  # no tie awaits: back
    "results.divergence": {"GET": manage(), "POST": manage(WRITE)},
    "results.divergence_note": {"POST": manage(WRITE)},
    # Contest A has no fund: the page says no application can be funded in part.
    "results.award": {"GET": manage(), "POST": manage(WRITE)},
    "results.add_juror": {"POST": manage(WRITE)},
    "results.revoke": {"GET": manage(), "POST": manage(WRITE)},
    "results.meeting": {"GET": manage(), "POST": manage(WRITE)},
    "documents.protocol": {"GET": manage(), "POST": manage(WRITE)},  # POST: in the background
    "documents.scoresheets": {"GET": manage(), "POST": manage(WRITE)},
    # A document made in the background answers only the one who asked (none here).
    "documents.job": {"GET": table(404, applicants=404, jurors=404, organisers=404)},
    "documents.job_file": {"GET": table(404, applicants=404, jurors=404, organisers=404)},
    # The owner's application wins the tie by the commission's decision: its certificate
    # (marked as a draft until the results are published) is the organisers' to print.
    "documents.certificate": {"GET": manage()},
    "privacy.people": {"GET": manage()},
    "privacy.anonymise": {"GET": manage(), "POST": manage(WRITE)},
    # Imports in the browser: a contest's, or a new contest's from a document; each file
    # uploaded is its uploader's alone (another organiser is told "not found").
    "imports.upload": {"GET": manage(), "POST": manage(WRITE)},
    "imports.upload_contest": {"GET": organisers(200), "POST": organisers(WRITE)},
    "imports.preview": {"GET": manage(), "POST": manage(WRITE)},
    "imports.job": {"GET": manage()},
    "imports.progress": {"GET": manage()},
    "imports.run": {"POST": manage(WRITE)},
    "imports.discard": {"POST": manage(WRITE)},
}


# URLs and request bodies from the scenario -----------------------------------------


def url_values(endpoint: str, s: Scenario) -> dict:
    """The values of the endpoint's URL parameters (and query) in the scenario.

    A route with a parameter unknown here fails its tests until it has a value.
    """
    values = {
        "slug": s.slug,
        "number": s.number,
        "application_id": s.draft,
        "attachment_id": s.attachment,
        "criterion_id": s.criterion,
        "question_id": s.question,
        "sheet_id": s.sheet,
        "decision_id": s.decision,
        "rank": 1,
        "kind": "applicant",
        "person_id": s.organisation,
        "oblast": "UA-63",
        "job": "no-such-job",
        "fmt": "xlsx",
        "token": s.upload,
        "session_id": s.other_session,
        "invitation_id": s.invitation,
    }
    values = {name: values[name] for name in RULES[endpoint].arguments if name in values}
    values |= {
        "jury.chair": {"user_id": s.users[JUROR]},
        "jury.remove": {"user_id": s.users[JUROR_RECUSED]},
        "jury.add": {"user_id": s.users[JUROR_FREE]},
        "jury.unassign": {"user_id": s.users[JUROR_RECUSED]},
        "contests.organiser_remove": {"user_id": s.co_organiser},
        "contests.stage": {"to": "deliberation"},
        "imports.upload": {"kind": "applications"},
        "auth.reset_password": {"token": s.reset_token},
        "auth.accept_invitation": {"token": INVITATION_TOKEN},
        "static": {"filename": "app.css"},
        "bootstrap.static": {"filename": "css/bootstrap.min.css"},
    }.get(endpoint, {})
    missing = set(RULES[endpoint].arguments) - set(values)
    if missing:
        pytest.fail(f"classify this route: give {endpoint} a value for {missing} in url_values")
    return values


NEW_PASSWORD = "another horse battery staple"
IMPORT_COLUMNS = ["number", "organisation", "kind", "edrpou", "oblast", "community"]
IMPORT_COLUMNS += ["email", "title"]
IMPORT_FILE = (",".join(IMPORT_COLUMNS) + "\n,ГО,ngo,00032129,UA-63,Г,a@b.example,Т\n").encode()
CONTEST_FILE = b'{"format": "scoring.contest/1", "slug": "z-faila"}'


@dataclass
class Json:
    body: dict


def request_data(endpoint: str, s: Scenario):
    """A valid request body for the endpoint (form fields, or ``Json``)."""
    contest_form = {
        "slug": s.slug,
        "title_uk": "Матриця доступу",
        "applicant_kinds": ["ngo", "community"],
        "opens_at": "2026-01-01T09:00",
        "closes_at": "2026-01-31T18:00",
        "winners": "5",
        "number_prefix": "MTX",
        "aggregation": "mean",
        "normalise": "none",
        "jurors_per_application": "0",
        "quorum": "2",
        "divergence_threshold": "0.3",
        "min_total": "0",
    }
    data = {
        "auth.login": {"email": EMAILS[OWNER], "password": "correct horse battery"},
        "auth.register": {"email": "new@applicant.example", "password": NEW_PASSWORD},
        "auth.set_language": {"language": "en", "next": "/"},
        "auth.reset_request": {"email": EMAILS[OWNER]},
        "auth.reset_password": {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        "auth.accept_invitation": {
            "name": "Запрошена Експертка",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
        "auth.account": {"name": "Нове Ім’я", "language": "uk"},
        "auth.change_password": {
            "current_password": "correct horse battery",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
        "security.login_code": {"code": "123456"},
        "security.two_factor": {"code": "123456"},
        "security.two_factor_off": {"off-password": "correct horse battery"},
        "security.recovery_codes": {"codes-password": "correct horse battery"},
        "auth.invite": {
            "email": "invited@jury.example",
            "name": "Нова Експертка",
            "role": "juror",
            "contest": str(s.contest),
        },
        "applications.organisation": {"name": "ГО Нова назва"},
        "applications.draft": {"title": "Нова назва", "action": "save"},
        "applications.api.autosave": Json({"fields": {"title": "Нова назва"}}),
        "judging.scoresheet": {f"points_{s.criterion}": "8", "save": "y"},
        "judging.autosave": Json({"points": {str(s.criterion): "9"}}),
        "judging.recuse": {"declaration": "Я знайома з керівником організації."},
        "contests.new": {**contest_form, "slug": "novyi-konkurs", "number_prefix": "NEW"},
        "contests.edit": contest_form,
        "contests.copy": {
            "title_uk": "Матриця доступу 2027",
            "number_prefix": "MTY",
            "opens_at": "2027-01-01T09:00",
            "closes_at": "2027-01-31T18:00",
        },
        "contests.applications_bulk": {
            "numbers": [s.number],
            "decision": "admitted",
            "confirmed": "1",
        },
        "jury.assign_bulk": {
            "numbers": [s.second_number],
            "juror": str(s.users[JUROR_FREE]),
            "confirmed": "1",
        },
        "contests.stage": {"to": "deliberation", "reason": ""},
        "contests.application_show": {"decision": "admitted", "reason": ""},
        "contests.criterion_new": {
            "code": "C9",
            "title_uk": "Новий критерій",
            "max_points": "5",
            "weight": "1",
            "step": "1",
        },
        "contests.criterion_edit": {
            "code": "C1",
            "title_uk": "Актуальність",
            "max_points": "10",
            "weight": "1",
            "step": "1",
        },
        "contests.criterion_move": {"direction": "down"},
        "contests.question_new": {"key": "budget", "label_uk": "Бюджет", "kind": "number"},
        "contests.question_edit": {"key": "summary", "label_uk": "Опис", "kind": "textarea"},
        "contests.question_move": {"direction": "down"},
        "contests.organisers_list": {"email": EMAILS[OTHER_ORGANISER]},
        "contests.round_new": {
            "round_title_uk": "Презентація",
            "opens_at": "2027-01-01T09:00",
            "closes_at": "2027-01-31T18:00",
        },
        "jury.members": {"email": "invitee@jury.example", "name": "Нова Експертка"},
        "jury.reopen": {"reason": "Оцінки за C2 треба переглянути."},
        "results.tie": {"winners": [str(s.application)], "reason": "Рішення комісії."},
        "results.divergence": {"reason": "Розбіжність обговорено на засіданні."},
        "results.add_juror": {"juror": str(s.users[JUROR_FREE])},
        "results.revoke": {"reason": "Рішення переглянуто."},
        "imports.upload": {"file": (io.BytesIO(IMPORT_FILE), "applications.csv")},
        "imports.upload_contest": {"file": (io.BytesIO(CONTEST_FILE), "contest.json")},
        "imports.preview": {f"column_{i}": name for i, name in enumerate(IMPORT_COLUMNS)},
        "applications.clarification": {f"q-{s.question}": "Уточнений опис.", "action": "save"},
        "results.file_appeal": {"reason": "Прошу переглянути оцінку за C2."},
        "contests.application_clarify": {
            "message": "Додайте статут.",
            "questions": [str(s.question)],
            "deadline": "2026-12-31T18:00",
        },
        "results.appeal": {"decision": "rejected", "answer": "Підстав для перегляду немає."},
        "results.meeting": {"protocol_number": "3", "protocol_place": "м. Харків"},
    }
    return data.get(endpoint, {})


# The module's database, clients and checks ----------------------------------------


class Matrix:
    """The scenario's app, a client per role (sessions made once), restore and checks."""

    def __init__(self, app, scenario: Scenario, folder: Path, url: str):
        self.app, self.scenario, self.folder = app, scenario, folder
        self.database_url = url
        self.sessions: dict[str, str] = {}
        self.snapshot = folder / "snapshot.sqlite"

    def client(self, role: str) -> Client:
        client = self.app.test_client()
        if role != ANONYMOUS:
            client.set_cookie("session", self.sessions[role])
        return client

    def url(self, endpoint: str) -> str:
        with self.app.test_request_context():
            return url_for(endpoint, **url_values(endpoint, self.scenario))

    @contextmanager
    def staged(self, stage: str):
        """Contest A in ``stage`` (a key of ``STAGES``) inside the block, then judging."""
        if stage == "judging":
            yield
            return
        self._move(*STAGES[stage])
        try:
            yield
        finally:
            self._move(Stage.JUDGING, True)

    @contextmanager
    def in_english(self):
        """Every account's language English inside the block (the visitor's is the
        session's), then Ukrainian again."""
        self._languages("en")
        try:
            yield
        finally:
            self._languages("uk")

    def _languages(self, language: str) -> None:
        with self.app.app_context():
            for user in db.session.scalars(select(User)):
                user.language = language
            audit.record("matrix.language", language=language)
            db.session.commit()

    def _move(self, stage: Stage, full_ranking: bool) -> None:
        with self.app.app_context():
            contest = db.session.get(Contest, self.scenario.contest)
            contest.stage, contest.results_full_ranking = stage, full_ranking
            contest.published_at = (
                clock.now() if stage in (Stage.PUBLISHED, Stage.ARCHIVED) else None
            )
            audit.record("contest.stage", contest=contest, obj=contest, to_stage=stage.value)
            db.session.commit()

    def mails(self) -> dict[str, email.message.EmailMessage]:
        """The e-mails written so far (those being sent in the background waited for), by
        file name."""
        background.join()
        outbox = Path(self.app.config["MAIL_OUTBOX"])
        return {
            path.name: email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in (sorted(outbox.glob("*.eml")) if outbox.exists() else [])
        }

    def state(self) -> tuple:
        """Every row of every table, and the e-mails written.

        When a session was last seen is left out: page views note it (every few
        minutes, scoring/sessions.py), and it is no data a page shows.
        """
        background.join()  # what a request started in the background is part of it
        outbox = Path(self.app.config["MAIL_OUTBOX"])
        mails = sorted(p.name for p in outbox.glob("*.eml")) if outbox.exists() else []
        tables = dump(self.app)
        seen = list(UserSession.__table__.columns.keys()).index("last_seen_at")
        tables["user_sessions"] = [r[:seen] + r[seen + 1 :] for r in tables["user_sessions"]]
        return tables, mails

    def _restore_sessions(self) -> None:
        """The logins' sessions as they were saved, so the roles' cookies work again."""
        table = UserSession.__table__
        names = list(table.columns.keys())
        with self.app.app_context():
            db.session.execute(
                table.insert(), [dict(zip(names, row, strict=True)) for row in self.session_rows]
            )
            db.session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('user_sessions', 'id'), "
                    "(SELECT max(id) FROM user_sessions))"
                )
            )
            db.session.commit()

    def _sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    def save(self) -> None:
        self.session_rows = dump(self.app)["user_sessions"]
        if TEST_DATABASE_URL:
            return
        with self.app.app_context():
            db.engine.dispose()
        connection = sqlite3.connect(self._sqlite_path())
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        shutil.copyfile(self._sqlite_path(), self.snapshot)

    def restore(self) -> None:
        """Back to the scenario as it was after the logins (same ids, same sessions)."""
        jobs.join()  # a document asked for in the background reads the database
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        if TEST_DATABASE_URL:
            _empty_postgresql_tables(self.database_url)
            build_scenario(self.app)
            self._restore_sessions()
            return
        path = self._sqlite_path()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.snapshot, path)
        store_upload(self.app, self.scenario)  # an import removes its file


@pytest.fixture(scope="module")
def matrix(migrated_database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("matrix")
    if TEST_DATABASE_URL:
        _empty_postgresql_tables(migrated_database)
        url = migrated_database
    else:
        copy = folder / "matrix.sqlite"
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), copy)
        url = f"sqlite:///{copy}"
    app = create_app(_settings(folder, url))
    app.test_client_class = Client
    matrix = Matrix(app, build_scenario(app), folder, url)
    for role in ROLES:
        if role != ANONYMOUS:
            client = app.test_client()
            client.login(EMAILS[role])
            matrix.sessions[role] = client.get_cookie("session").value
    app.test_client().login(EMAILS[OWNER])  # the owner's second browser
    with app.app_context():
        matrix.scenario.other_session = db.session.scalar(select(func.max(UserSession.id)))
    matrix.save()
    yield matrix
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if TEST_DATABASE_URL:
        _empty_postgresql_tables(migrated_database)


def expected(endpoint: str, method: str, role: str):
    try:
        return EXPECTED[endpoint][method][role]
    except KeyError:
        pytest.fail(
            f"classify this route: {method} {endpoint} has no expectation for {role} "
            "in EXPECTED of tests/test_authorisation_matrix.py"
        )


def assert_status(response, want, where: str) -> None:
    got = response.status_code
    if want == LOGIN:
        location = urlsplit(response.headers.get("Location", "")).path
        assert (got, location) == (302, "/login"), f"{where}: {got} → {location!r}"
    else:
        assert got == want, f"{where}: expected {want}, got {got}"


def leaks(text: str, role: str, seen: dict) -> list:
    """The markers in ``text`` that ``role`` may not see (``seen``: marker → roles)."""
    return [marker for marker, roles in seen.items() if role not in roles and shows(text, marker)]


def assert_nothing_leaks(response, role: str, where: str, seen: dict = MARKERS) -> None:
    found = leaks(visible_text(response), role, seen)
    assert not found, f"{where} shows {found}"
    in_headers = leaks(str(response.headers), role, seen)
    assert not in_headers, f"{where}: the headers show {in_headers}"


def assert_mails_leak_nothing(matrix, before: set, stage: str = "judging") -> None:
    """Every e-mail written since ``before`` shows its recipient only what they may see."""
    roles = {address: role for role, address in EMAILS.items()}
    for name, message in matrix.mails().items():
        if name in before:
            continue
        address = message["To"].addresses[0].addr_spec
        role = roles.get(address, ANONYMOUS)
        text = f"{message['Subject']}\n{message.get_body(('plain',)).get_content()}"
        seen = markers(stage)
        if address == OTHER_JUROR_EMAIL:  # that juror's own e-mail greets them by name
            seen = {marker: who for marker, who in seen.items() if marker != OTHER_JUROR}
        found = leaks(text, role, seen)
        assert not found, f"the e-mail «{message['Subject']}» to {role} shows {found}"


# Writes that may change the database without an audit entry: nothing they change is
# shown on a page the page cache keeps (the session's own details, drafts, tokens).
UNAUDITED = {
    "auth.login",  # the time of the last login, the new session (the cache checks it)
    "auth.logout",  # the session ended (the cache checks it, scoring/sessions.py)
    "security.login_code",  # the same as a login, and the code's time step
    "applications.draft",  # a draft no one but its applicant sees
    "applications.api.autosave",
}


# The tests -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", READS)
def test_every_page_answers_each_role_as_expected_and_leaks_nothing(matrix, endpoint, role):
    want = expected(endpoint, "GET", role)
    url = matrix.url(endpoint)
    with matrix.client(role).get(url) as response:
        assert_status(response, want, f"GET {url} as {role}")
        assert_nothing_leaks(response, role, f"GET {url} as {role}")


def test_page_views_wrote_nothing(matrix):
    """Runs after the page views above (pytest keeps the file's order)."""
    before = matrix.state()
    for endpoint in READS:
        for role in (ANONYMOUS, OWNER, JUROR, ORGANISER):
            matrix.client(role).get(matrix.url(endpoint)).close()
    assert matrix.state() == before


def _send(client, method: str, url: str, data, token: str | None):
    if isinstance(data, Json):
        headers = {"X-CSRFToken": token} if token else {}
        return client.open(url, method=method, json=data.body, headers=headers)
    form = {**data, "csrf_token": token} if token else dict(data)
    return client.open(url, method=method, data=form)


@pytest.mark.parametrize(("endpoint", "method"), WRITES)
def test_every_write_without_a_csrf_token_is_refused_and_writes_nothing(matrix, endpoint, method):
    allowed = [r for r in ROLES if expected(endpoint, method, r) == WRITE]
    assert allowed, f"{method} {endpoint}: nobody may send it? then remove the route"
    role = allowed[0]  # someone who may send it: only the missing token refuses it
    url = matrix.url(endpoint)
    before = matrix.state()
    response = _send(
        matrix.client(role), method, url, request_data(endpoint, matrix.scenario), token=None
    )
    after = matrix.state()
    if after != before:
        matrix.restore()
    assert response.status_code == 400, f"{method} {url} as {role}: {response.status_code}"
    assert after == before, f"{method} {url} without a token changed the database or outbox"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method"), WRITES)
def test_every_write_is_refused_or_allowed_by_role(matrix, endpoint, method, role):
    want = expected(endpoint, method, role)
    url = matrix.url(endpoint)
    where = f"{method} {url} as {role}"
    client = matrix.client(role)
    token = client.csrf_token("/")
    data = request_data(endpoint, matrix.scenario)
    if want == WRITE:
        before, mails = matrix.state()
        try:
            response = _send(client, method, url, data, token)
            after = matrix.state()[0]
            assert_mails_leak_nothing(matrix, set(mails))
        finally:
            matrix.restore()
        assert response.status_code not in (403, 404, 500), (
            f"{where}: refused ({response.status_code})"
        )
        changed = {table for table in before if before[table] != after[table]}
        if changed and "audit_log" not in changed:
            assert endpoint in UNAUDITED, (
                f"{where} changed {sorted(changed)} without an audit entry: the page cache "
                "(scoring/pagecache.py) would go on serving pages that show the old data"
            )
        return
    before = matrix.state()
    response = _send(client, method, url, data, token)
    after = matrix.state()
    if after != before:
        matrix.restore()
    assert_status(response, want, where)
    assert_nothing_leaks(response, role, where)
    assert after == before, f"{where} was refused but changed the database or outbox"


# An organiser reaches only their own contest's objects, whatever the URL says: the
# organisers' routes with an object besides the contest in their URL.
FOREIGN = sorted(
    endpoint
    for endpoint, rule in RULES.items()
    if rule.rule.startswith("/manage/contests/<slug>/")
    and set(rule.arguments) - {"slug", "fmt", "kind"}  # a format, a kind of file: no object
)


@pytest.mark.parametrize("endpoint", FOREIGN)
def test_an_organiser_cannot_reach_another_contests_objects_through_their_own(matrix, endpoint):
    """Contest B's organiser, at B's address with contest A's object in the URL: 404."""
    s = matrix.scenario
    with matrix.app.test_request_context():
        values = url_values(endpoint, s) | {"slug": s.other_slug}
        if endpoint == "privacy.anonymise":  # the owner also has a draft in B: a juror
            values |= {"kind": "juror", "person_id": s.users[JUROR]}
        url = url_for(endpoint, **values)
    client = matrix.client(OTHER_ORGANISER)
    before = matrix.state()
    if "GET" in EXPECTED[endpoint]:
        response = client.get(url)
    else:
        response = _send(client, "POST", url, request_data(endpoint, s), client.csrf_token("/"))
    after = matrix.state()
    if after != before:
        matrix.restore()
    assert response.status_code == 404, f"{url}: {response.status_code}"
    assert_nothing_leaks(response, OTHER_ORGANISER, url)
    assert after == before


def test_the_expectations_name_only_routes_that_exist():
    """A removed route must leave the table too, so that it stays the app's true map."""
    routes = {(e, m) for e, m in ROUTES}
    stale = [(e, m) for e, methods in EXPECTED.items() for m in methods if (e, m) not in routes]
    assert stale == []


def test_a_juror_of_a_blind_contest_never_gets_a_file_under_its_own_name(matrix):
    """The file's name may say who applied («Статут ГО …»): jurors get a neutral one."""
    s = matrix.scenario
    with matrix.app.app_context():
        db.session.get(Contest, s.contest).blind = True
        db.session.commit()
    try:
        juror = matrix.client(JUROR)
        page = juror.get(f"/applications/{s.number}").get_data(as_text=True)
        direct = juror.get(f"/attachments/{s.attachment}")
        neutral = juror.get(f"/judging/{s.slug}/{s.number}/attachments/{s.attachment}")
        organiser = matrix.client(ORGANISER).get(f"/attachments/{s.attachment}")
    finally:
        matrix.restore()
    assert FILENAME not in page and ORGANISATION not in page
    assert f"/judging/{s.slug}/{s.number}/attachments/{s.attachment}" in page
    assert direct.status_code == 404
    assert neutral.status_code == 200
    assert f"{s.number}-1.pdf" in neutral.headers["Content-Disposition"]
    assert organiser.status_code == 200  # organisers see who applied


def test_the_leak_check_reads_the_text_inside_pdfs(matrix):
    """The receipt holds the contact person's details, and the check of every page above
    finds them in a PDF (whose streams are compressed), so a juror's copy would fail."""
    s = matrix.scenario
    response = matrix.client(ORGANISER).get(f"/applications/{s.number}/receipt.pdf")
    assert response.status_code == 200
    text = visible_text(response)
    assert all(marker in text for marker in (CONTACT, PHONE, EMAILS[OWNER], ORGANISATION))
    assert CONTACT.encode() not in response.data  # not to be found without reading it


# Results at every stage (SPEC §6, §8) ---------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("endpoint", READS)
def test_no_page_or_file_shows_results_to_anyone_who_may_not_see_them(matrix, endpoint, stage):
    """Every role, at every stage of contest A: scores, places, the commission's decisions
    and reasons, other jurors' totals and comments stay where they belong."""
    url = matrix.url(endpoint)
    seen = markers(stage)
    with matrix.staged(stage):
        for role in ROLES:
            with matrix.client(role).get(url) as response:
                where = f"GET {url} as {role} ({stage})"
                assert response.status_code != 500, where
                assert_nothing_leaks(response, role, where, seen)


# What applicants, jurors and visitors read about a contest, checked once more in English
# (the session's language, and ``?lang=en`` for the API and the documents).
IN_ENGLISH = [
    "pages.home",
    "pages.contest",
    "results.public",
    "results.api",
    "documents.announcement",
    "privacy.organisation_data",
    "applications.mine",
    "applications.show",
    "documents.receipt",
    "documents.feedback",
    "documents.applicant_certificate",
    "results.file_appeal",
    "judging.assignments",
    "judging.scoresheet",
    "documents.juror_scoresheet",
]

# The pages of the published results, which name the commission's decision on the tie.
PUBLIC_RESULTS = ("results.public", "results.api", "documents.announcement")


@pytest.mark.parametrize("stage", STAGES)
def test_in_english_too_results_reach_only_those_who_may_see_them(matrix, stage):
    seen = markers(stage)
    with matrix.staged(stage), matrix.in_english():
        for role in ROLES:
            client = matrix.client(role)
            with client.session_transaction() as session:
                session["language"] = "en"
            for endpoint in IN_ENGLISH:
                url = f"{matrix.url(endpoint)}?lang=en"
                with client.get(url) as response:
                    where = f"GET {url} as {role} ({stage}, in English)"
                    assert response.status_code != 500, where
                    assert_nothing_leaks(response, role, where, seen)
                    english = visible_text(response)
                if published(stage) and endpoint in PUBLIC_RESULTS:
                    assert "the tie is decided by the commission" in english, where


def shown(stage: str) -> list[tuple[str, str, tuple]]:
    """Where results must show at ``stage``: (endpoint, role, markers)."""
    # The appeal and the clarification, whatever the stage: the owner's and the organisers'.
    places = [
        ("results.appeal", ORGANISER, (APPEAL,)),
        ("documents.appeals", ORGANISER, (APPEAL,)),
        ("contests.application_show", ORGANISER, (CLARIFICATION,)),
        ("applications.clarification", OWNER, (CLARIFICATION,)),
    ]
    if STAGES[stage][0] not in (Stage.DRAFT, Stage.OPEN, Stage.SCREENING):
        everything = (SCORE_TIED, SCORE_THIRD, TOTAL_OTHER, TIE_NOTE, TIED_OUT, UNRANKED)
        places += [
            ("results.ranking", ORGANISER, (*everything, TIE_REASON, DECISION, OWN_DIVERGENCE)),
            ("results.ranking_csv", ORGANISER, everything),
            ("results.ranking_xlsx", ORGANISER, (*everything, OTHER_COMMENT)),
            ("documents.protocol", ORGANISER, (*everything, TIE_REASON, DECISION)),
            ("documents.scoresheets", ORGANISER, (OTHER_COMMENT,)),
        ]
    if published(stage):
        public = (ORGANISATION, SCORE_TIED, TIE_NOTE, TIE_REASON)
        if STAGES[stage][1]:
            public += (THIRD, TIED_OUT, UNRANKED, SCORE_THIRD)
        places += [
            (endpoint, role, public)
            for endpoint in ("results.public", "results.api", "documents.announcement")
            for role in (ANONYMOUS, OTHER_APPLICANT, JUROR_FREE)
        ]
        # The owner's application won the tie: the personal-data file says so, as the
        # public page does.
        places.append(("privacy.organisation_data", OWNER, (TIE_REASON,)))
        # The owner's own result and feedback: the comments on their application without
        # the name of the juror who wrote them, and the diploma (SPEC §14).
        places += [
            ("applications.show", OWNER, (SCORE_TIED, OTHER_COMMENT, APPEAL)),
            ("documents.feedback", OWNER, (SCORE_TIED, OTHER_COMMENT)),
            ("documents.applicant_certificate", OWNER, (ORGANISATION,)),
            ("results.file_appeal", OWNER, (APPEAL,)),
        ]
    return places


@pytest.mark.parametrize("stage", STAGES)
def test_the_results_show_where_they_belong(matrix, stage):
    """The other side of the test above: the markers are real, and results do show to
    the organisers from judging on, and to everyone once published."""
    missing = []
    with matrix.staged(stage):
        for endpoint, role, expected_markers in shown(stage):
            with matrix.client(role).get(matrix.url(endpoint)) as response:
                assert response.status_code == 200, f"{endpoint} as {role} ({stage})"
                text = visible_text(response)
            missing += [(endpoint, role, m) for m in expected_markers if not shows(text, m)]
    assert missing == []


@pytest.mark.parametrize("stage", [stage for stage in STAGES if published(stage)])
def test_the_api_and_the_announcement_hold_exactly_the_rows_of_the_public_page(matrix, stage):
    """Compared cell by cell with the page, not with a list written here."""
    s = matrix.scenario
    visitor = matrix.client(ANONYMOUS)
    with matrix.staged(stage):
        page = visitor.get(f"/contests/{s.slug}/results").get_data(as_text=True)
        api = visitor.get(f"/api/contests/{s.slug}/results").get_json()
        announcement = squeeze(visible_text(visitor.get(f"/contests/{s.slug}/results.pdf")))
    with matrix.app.app_context():
        admitted = db.session.execute(
            select(Application.number, Organisation.name)
            .join(Organisation, Application.organisation_id == Organisation.id)
            .where(
                Application.contest_id == s.contest,
                Application.state == ApplicationState.ADMITTED,
            )
        ).all()

    # The page in Ukrainian, as a visitor first gets it; its column headers in English.
    with matrix.app.test_request_context(), force_locale("uk"):
        words = {gettext(w): w for w in ("Place", "Number", "Applicant", "Community")}
        words |= {gettext(w): w for w in ("Oblast", "Score", "Note")}
        winners_caption = gettext("Winners")
        rows, winners = {}, set()
        for caption, table in results_tables(page, gettext("Number")):
            for row in table:
                if caption == winners_caption or row.pop("badges"):
                    winners.add(row[gettext("Number")])
                row = {words[k]: v for k, v in row.items() if k in words}
                # A winner is in the winners' table and in the full ranking alike.
                assert rows.setdefault(row["Number"], row) == row
        assert rows, "the public page shows no application"
        from_api = {
            r["number"]: {
                "Place": str(r["rank"]),
                "Number": r["number"],
                "Applicant": r["organisation"],
                "Community": r["community"],
                "Oblast": oblast_name(r["oblast"]),
                "Score": points(r["score"]),
                "Note": r["note"],
            }
            for r in api["ranking"]
        }
    assert rows == from_api
    assert winners == {r["number"] for r in api["ranking"] if r["winner"]}
    page_text = squeeze(page)
    for item in api["not_ranked"]:
        assert squeeze(f"{item['number']} {item['organisation']}: {item['reason']}") in page_text
    for decision in api["decisions"]:
        assert squeeze(decision["reason"]) in page_text
    # The announcement names an application exactly when the page does, with its score.
    listed = set(rows) | {item["number"] for item in api["not_ranked"]}
    for number, name in admitted:
        on_page = number in listed
        assert (squeeze(number) in announcement) == on_page, number
        assert (squeeze(name) in announcement) == on_page, name
        assert (squeeze(name) in page_text) == on_page, name
    for row in rows.values():
        assert squeeze(row["Score"]) in announcement


def test_the_publication_email_tells_the_applicants_only_what_is_public(matrix):
    s = matrix.scenario
    organiser = matrix.client(ORGANISER)
    before = set(matrix.mails())
    try:
        with matrix.staged("deliberation"):
            response = organiser.change_stage(s.slug, "published")
            assert response.status_code == 302, response.text
            new = [m for name, m in matrix.mails().items() if name not in before]
            assert [m["To"].addresses[0].addr_spec for m in new] == [EMAILS[OWNER]]
            assert_mails_leak_nothing(matrix, before, "published")
    finally:
        matrix.restore()
