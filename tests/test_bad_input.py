"""Bad input (issue 7): every form and JSON endpoint takes Hypothesis-made requests.

Strings of any Unicode, control characters, huge and non-finite numbers, wrong types,
missing and doubled fields, empty bodies, bodies of the wrong content type. Whatever is
sent: never a 500; a refused request (4xx, or the form shown again with its errors)
leaves every row of the database as it was, and shows the error beside the field; an
accepted one leaves data that the pages still show, and the typed value reads back.

``ROUTES`` says how a logged-in user who may use it reaches each POST route of the app;
a POST route missing from it fails ``test_every_post_route_is_in_the_table``.
"""

import html
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote, unquote_to_bytes, urlencode, urlsplit

import pyotp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from scoring import clock
from scoring.applications import clarifications
from scoring.contests import round_setup
from scoring.documents import jobs
from scoring.extensions import db
from scoring.models import (
    Answer,
    Application,
    ApplicationState,
    Contest,
    PublicationNotice,
    Role,
    Score,
    Scoresheet,
    Stage,
    User,
    UserSession,
)
from scoring.results import appeals

from ._bad_input import (
    MALFORMED,
    PASSWORD,
    World,
    _user,
    bad_json_bodies,
    build_world,
    changed_tables,
    form_bodies,
    form_for,
    json_values,
    malformed_request,
    nasty_text,
    read_page,
    set_stage,
    snapshot,
    text_field,
)
from ._office_files import google_forms, kept_upload

settings.register_profile(
    "bad-input",
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
fuzz = settings.get_profile("bad-input")


# How to reach each POST route -----------------------------------------------------------


@dataclass
class Reach:
    """Who posts (a key of ``World.logins``; None: nobody logged in), where, and from which page."""

    who: str | None
    url: Callable[[World], str]
    page: Callable[[World], str] | None = None  # the page with the form (default: url)
    stage: Stage | None = None  # the judged contest is moved there first
    setup: Callable | None = None  # (app, world) → None
    readback: tuple[str, ...] = ()  # text fields whose accepted value the page shows again
    valid: Callable[[World], dict] = lambda w: {}  # values for fields the page leaves empty
    partial: frozenset[str] = frozenset()  # tables a form shown again with errors may change
    json: bool = False  # a JSON endpoint, tested by its own test below


def manage(tail: str, contest: str = "judged") -> Callable[[World], str]:
    return lambda w: f"/manage/contests/{getattr(w, contest)}{tail.format(w=w)}"


def sheet(number_serial: int, tail: str = "") -> Callable[[World], str]:
    return lambda w: f"/judging/{w.judged}/{w.numbers[number_serial]}{tail}"


def _submit_draft(app, w: World) -> None:
    with app.app_context():
        draft = db.session.get(Application, w.ids["draft"])
        draft.state, draft.serial = ApplicationState.SUBMITTED, 1
        draft.number, draft.submitted_at = "BU-2026-001", clock.now()
        draft.contest.last_number = 1
        db.session.commit()


def _skipped_for_the_fund(app, w: World) -> None:
    """The judged contest gives grants from 100 000: the first place (…-010) takes 60 000,
    so …-001 (50 000) does not fit in what is left and may be funded in part."""
    with app.app_context():
        contest = db.session.get(Contest, w.judged_id)
        contest.fund = Decimal(100_000)
        for application in db.session.scalars(
            select(Application).where(Application.contest_id == contest.id)
        ):
            requested = {10: 60_000, 1: 50_000}.get(application.serial, 10_000)
            application.requested = Decimal(requested)
        db.session.commit()


def _draft_open(app, w: World) -> None:
    """The open contest back to its draft: rounds are added only then."""
    set_stage(app, w.open_id, Stage.DRAFT)


def _two_rounds(app, w: World) -> None:
    """The open contest, a draft again, with a second round after it."""
    _draft_open(app, w)
    with app.app_context():
        first = db.session.get(Contest, w.open_id)
        organiser = first.organisers[0]
        moment = first.closes_at + timedelta(days=10)
        round_setup.add_round(
            first,
            {
                "round_title_uk": "Презентація",
                "round_title_en": "",
                "opens_at": moment,
                "closes_at": moment + timedelta(days=10),
            },
            actor=organiser,
        )
        db.session.commit()


def _complete_sheet(app, w: World) -> None:
    """Every criterion of the juror's sheet for application 8 scored, so it can be submitted."""
    with app.app_context():
        sheet = db.session.scalars(
            select(Scoresheet)
            .join(Application)
            .where(Application.number == w.numbers[8], Scoresheet.juror_id == w.ids["juror"])
        ).one()
        scored = {s.criterion_id for s in sheet.scores}
        for criterion in sheet.application.contest.criteria:
            if criterion.id not in scored:
                sheet.scores.append(Score(criterion_id=criterion.id, points=Decimal(1)))
        db.session.commit()


def _divergent(app, w: World) -> None:
    """Every ranked application divergent, so the ranking offers to add a juror to each."""
    with app.app_context():
        db.session.get(Contest, w.judged_id).divergence_threshold = Decimal("0.01")
        db.session.commit()


def _await_screening(app, w: World) -> None:
    set_stage(app, w.judged_id, Stage.SCREENING)
    with app.app_context():
        application = db.session.scalar(
            select(Application).where(Application.number == w.numbers[3])
        )
        application.state, application.decided_at = ApplicationState.SUBMITTED, None
        db.session.commit()


def _uploaded(checked: bool = False):
    """A setup: the organiser's Google Forms export uploaded for the judged contest."""

    def setup(app, w: World) -> None:
        w.tokens["upload"] = kept_upload(
            app, w.ids["organiser"], w.judged_id, "applications", google_forms(), checked=checked
        )

    return setup


def upload(tail: str = "") -> Callable[[World], str]:
    return lambda w: f"/manage/imports/{w.tokens['upload']}{tail}"


def _two_factor_accounts(app, w: World) -> None:
    """Two jurors with two-factor sign-in: "pending" stops after the password (the
    second step's form), "two_factor" signs in with a code from ``w.tokens``."""
    with app.app_context():
        for who, email in (
            ("pending", "pending.juror@example.org"),
            ("two_factor", "tf@example.org"),
        ):
            user = _user(email, "Експертка з кодом", Role.JUROR)
            user.totp_secret = pyotp.random_base32()
            user.two_factor_since = clock.now()
            w.logins[who] = email
            if who == "two_factor":
                w.tokens[who] = user.totp_secret
        db.session.commit()


def _own_application(w: World) -> Application:
    """The applicant's own application in the judged contest (the demo's Балаклія)."""
    return db.session.scalar(
        select(Application).where(
            Application.contest_id == w.judged_id,
            Application.organisation_id == w.ids["applicant_organisation"],
        )
    )


def _clarification_asked(app, w: World) -> None:
    """Screening: the organisers asked the applicant to clarify every answer and file."""
    set_stage(app, w.judged_id, Stage.SCREENING)
    with app.app_context():
        application = _own_application(w)
        clarifications.ask(
            application,
            message="Додайте підписаний статут і уточніть опис.",
            question_ids=[q.id for q in application.contest.questions],
            deadline=clock.now() + timedelta(days=3),
            actor=db.session.get(User, w.ids["organiser"]),
        )
        w.tokens["own"] = application.number
        db.session.commit()


def _published_with_appeals(app, w: World, *, filed: bool = False) -> None:
    """The results published today, appeals taken for 10 days; ``filed``: the applicant's
    appeal awaits the commission's answer."""
    with app.app_context():
        contest = db.session.get(Contest, w.judged_id)
        contest.stage, contest.published_at, contest.appeal_days = (
            Stage.PUBLISHED,
            clock.now(),
            10,
        )
        application = _own_application(w)
        w.tokens["own"] = application.number
        if filed:
            appeals.file_appeal(
                application,
                "Комісія не врахувала додаток до заявки.",
                actor=db.session.get(User, w.ids["applicant"]),
            )
        db.session.commit()


def _published_with_a_failed_email(app, w: World) -> None:
    """The results published; the applicant's e-mail of publication failed."""
    _published_with_appeals(app, w)
    with app.app_context():
        contest = db.session.get(Contest, w.judged_id)
        db.session.add(
            PublicationNotice(
                contest_id=contest.id,
                published_at=contest.published_at,
                application_id=_own_application(w).id,
                user_id=w.ids["applicant"],
                state="failed",
                error="550 5.1.1 Mailbox unavailable",
            )
        )
        db.session.commit()


REASON = {"reason": ["Рішення комісії від 12 березня, протокол № 3."]}
ORGANISER_EMAIL = {"email": ["outsider.juror@example.org"]}
NEW_PASSWORD = ["нове-довге-гасло-2026"]

ROUTES: dict[str, Reach] = {
    # accounts
    "auth.login": Reach(
        None,
        lambda w: "/login",
        valid=lambda w: {"email": [w.logins["applicant"]], "password": [PASSWORD]},
    ),
    "auth.logout": Reach("applicant", lambda w: "/logout", page=lambda w: "/account"),
    "auth.register": Reach(None, lambda w: "/register"),
    "auth.reset_request": Reach(
        None, lambda w: "/password/reset", valid=lambda w: {"email": [w.logins["chair"]]}
    ),
    "auth.reset_password": Reach(
        None,
        lambda w: f"/password/reset/{w.tokens['reset']}",
        valid=lambda w: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ),
    "auth.invite": Reach("organiser", lambda w: "/invitations/new"),
    "auth.accept_invitation": Reach(
        None,
        lambda w: f"/invitations/{w.tokens['invitation']}",
        valid=lambda w: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ),
    "auth.account": Reach("applicant", lambda w: "/account", readback=("name",)),
    "auth.change_password": Reach(
        "applicant",
        lambda w: "/account/password",
        page=lambda w: "/account",
        valid=lambda w: {
            "current_password": [PASSWORD],
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    ),
    "auth.set_language": Reach("applicant", lambda w: "/language", page=lambda w: "/"),
    # sign-in security
    "security.login_code": Reach("pending", lambda w: "/login/code", setup=_two_factor_accounts),
    "security.two_factor": Reach("juror", lambda w: "/account/two-factor"),
    "security.two_factor_off": Reach(
        "two_factor",
        lambda w: "/account/two-factor/off",
        page=lambda w: "/account/two-factor",
        setup=_two_factor_accounts,
    ),
    "security.recovery_codes": Reach(
        "two_factor",
        lambda w: "/account/two-factor/recovery-codes",
        page=lambda w: "/account/two-factor",
        setup=_two_factor_accounts,
    ),
    "security.end_session": Reach(
        "applicant",
        lambda w: f"/account/sessions/{w.ids['other_session']}/end",
        page=lambda w: "/account",
        setup=lambda app, w: _second_session(app, w, "applicant"),
    ),
    "security.end_other_sessions": Reach(
        "applicant",
        lambda w: "/account/sessions/end-others",
        page=lambda w: "/account",
        setup=lambda app, w: _second_session(app, w, "applicant"),
    ),
    # applicants
    "applications.apply": Reach(
        "applicant2", lambda w: f"/contests/{w.open}/apply", page=lambda w: f"/contests/{w.open}"
    ),
    "applications.organisation": Reach(
        "applicant", lambda w: "/organisation", readback=("organisation_name", "contact_person")
    ),
    "applications.draft": Reach(
        "applicant",
        lambda w: f"/applications/draft/{w.ids['draft']}",
        readback=("title",),
        partial=frozenset({"answers", "applications", "attachments", "audit_log"}),
    ),
    "applications.api.autosave": Reach(
        "applicant", lambda w: f"/applications/draft/{w.ids['draft']}/autosave", json=True
    ),
    "applications.clarification": Reach(
        "applicant",
        lambda w: f"/applications/{w.tokens['own']}/clarification",
        setup=_clarification_asked,
        # The draft as typed is kept even when it cannot be sent (SPEC §14).
        partial=frozenset({"clarification_requests", "clarification_files", "audit_log"}),
    ),
    "results.file_appeal": Reach(
        "applicant",
        lambda w: f"/applications/{w.tokens['own']}/appeal",
        setup=_published_with_appeals,
    ),
    "applications.withdraw": Reach(
        "applicant",
        lambda w: "/applications/BU-2026-001/withdraw",
        setup=_submit_draft,
    ),
    # organisers: contests, criteria, questions, co-organisers
    "contests.new": Reach("organiser", lambda w: "/manage/contests/new"),
    "contests.edit": Reach(
        "organiser", manage("/edit", "open"), readback=("title_uk", "description_uk")
    ),
    "contests.stage": Reach("organiser", manage("/stage?to=deliberation"), valid=lambda w: REASON),
    "contests.copy": Reach("organiser", manage("/copy", "open"), readback=("title_uk",)),
    "contests.applications_bulk": Reach(
        "organiser",
        manage("/applications/bulk"),
        page=manage("/applications"),
        setup=_await_screening,
    ),
    "contests.invitation_resend": Reach(
        "organiser", manage("/invitations/{w.ids[invitation]}/resend"), page=manage("/jury")
    ),
    "contests.notices_retry": Reach(
        "organiser", manage("/notices/retry"), page=manage(""), setup=_published_with_a_failed_email
    ),
    "contests.invitation_withdraw": Reach(
        "organiser", manage("/invitations/{w.ids[invitation]}/withdraw")
    ),
    "contests.application_show": Reach(
        "organiser",
        lambda w: f"/manage/contests/{w.judged}/applications/{w.numbers[3]}",
        setup=_await_screening,
    ),
    "contests.application_clarify": Reach(
        "organiser",
        lambda w: f"/manage/contests/{w.judged}/applications/{w.numbers[3]}/clarify",
        setup=_await_screening,
    ),
    "contests.criterion_new": Reach("organiser", manage("/criteria/new", "open")),
    "contests.criterion_edit": Reach(
        "organiser",
        manage("/criteria/{w.ids[open_criterion]}/edit", "open"),
        readback=("title_uk",),
    ),
    "contests.criterion_remove": Reach(
        "organiser", manage("/criteria/{w.ids[open_criterion]}/remove", "open")
    ),
    "contests.criterion_move": Reach(
        "organiser",
        manage("/criteria/{w.ids[open_criterion]}/move", "open"),
        page=manage("/criteria", "open"),
    ),
    "contests.question_new": Reach("organiser", manage("/questions/new", "open")),
    "contests.question_edit": Reach(
        "organiser",
        manage("/questions/{w.ids[open_question]}/edit", "open"),
        readback=("label_uk",),
    ),
    "contests.question_remove": Reach(
        "organiser",
        manage("/questions/{w.ids[open_question]}/remove", "open"),
        setup=lambda app, w: set_stage(app, w.open_id, Stage.DRAFT),  # removable only then
    ),
    "contests.question_move": Reach(
        "organiser",
        manage("/questions/{w.ids[open_question]}/move", "open"),
        page=manage("/questions", "open"),
    ),
    "contests.organisers_list": Reach(
        "organiser", manage("/organisers"), valid=lambda w: ORGANISER_EMAIL
    ),
    "contests.organiser_remove": Reach(
        "organiser", manage("/organisers/{w.ids[co_organiser]}/remove")
    ),
    # organisers: the rounds (SPEC §13), declared while the first round is a draft
    "contests.rounds_list": Reach("organiser", manage("/rounds", "open"), setup=_two_rounds),
    "contests.round_new": Reach("organiser", manage("/rounds/new", "open"), setup=_draft_open),
    "contests.round_remove": Reach(
        "organiser", manage("/rounds/last/remove", "open"), setup=_two_rounds
    ),
    # organisers: the jury and its work
    "jury.members": Reach("organiser", manage("/jury"), valid=lambda w: ORGANISER_EMAIL),
    "jury.chair": Reach(
        "organiser", manage("/jury/{w.ids[free_juror]}/chair"), page=manage("/jury")
    ),
    "jury.remove": Reach("organiser", manage("/jury/{w.ids[free_juror]}/remove")),
    "jury.remind": Reach("organiser", manage("/jury/remind")),
    "jury.assign_bulk": Reach(
        "organiser", manage("/assignments/bulk"), page=manage("/assignments")
    ),
    "jury.assign_automatically": Reach(
        "organiser", manage("/assignments/auto"), page=manage("/assignments")
    ),
    "jury.add": Reach(
        "organiser",
        lambda w: (
            f"/manage/contests/{w.judged}/assignments/{w.numbers[1]}/jurors/{w.ids['free_juror']}"
        ),
        page=lambda w: f"/manage/contests/{w.judged}/assignments/{w.numbers[1]}",
    ),
    "jury.unassign": Reach(
        "organiser",
        lambda w: (
            f"/manage/contests/{w.judged}/assignments/{w.numbers[6]}/jurors/{w.ids['juror']}/remove"
        ),
        page=lambda w: f"/manage/contests/{w.judged}/assignments/{w.numbers[6]}",
    ),
    "jury.add_least_loaded": Reach(
        "organiser",
        lambda w: f"/manage/contests/{w.judged}/assignments/{w.numbers[1]}/least-loaded",
        page=lambda w: f"/manage/contests/{w.judged}/assignments/{w.numbers[1]}",
    ),
    "jury.reopen": Reach(
        "organiser", manage("/scoresheets/{w.ids[submitted_sheet]}/reopen"), valid=lambda w: REASON
    ),
    # organisers: deliberation
    "results.tie": Reach(
        "organiser", manage("/ties/5"), stage=Stage.DELIBERATION, valid=lambda w: REASON
    ),
    "results.revoke": Reach(
        "organiser",
        manage("/decisions/{w.ids[decision]}/revoke"),
        stage=Stage.DELIBERATION,
        valid=lambda w: REASON,
    ),
    "results.divergence": Reach(
        "organiser",
        lambda w: f"/manage/contests/{w.judged}/divergences/{w.numbers[1]}",
        valid=lambda w: REASON,
    ),
    "results.divergence_note": Reach(
        "organiser",
        lambda w: f"/manage/contests/{w.judged}/divergences/{w.numbers[1]}/notes",
        page=lambda w: f"/manage/contests/{w.judged}/divergences/{w.numbers[1]}",
    ),
    "results.award": Reach(
        "organiser",
        lambda w: f"/manage/contests/{w.judged}/awards/{w.numbers[1]}",
        stage=Stage.DELIBERATION,
        setup=_skipped_for_the_fund,
        valid=lambda w: {"amount": ["40 000,00"], **REASON},
    ),
    "results.add_juror": Reach(
        "organiser",
        lambda w: f"/manage/contests/{w.judged}/divergences/{w.numbers[1]}/add-juror",
        page=manage("/ranking"),
        setup=_divergent,
    ),
    # organisers: long documents, asked for by the page's script (a POST without a body)
    "documents.protocol": Reach("organiser", manage("/protocol.pdf"), json=True),
    "documents.scoresheets": Reach("organiser", manage("/scoresheets.pdf"), json=True),
    "results.ranking_xlsx": Reach("organiser", manage("/ranking.xlsx"), json=True),
    "results.scores_xlsx": Reach("organiser", manage("/scores.xlsx"), json=True),
    # organisers: imports in the browser
    "imports.upload": Reach("organiser", manage("/import/applications")),
    "imports.upload_contest": Reach("organiser", lambda w: "/manage/imports/contest"),
    "imports.preview": Reach("organiser", upload(), setup=_uploaded()),
    "imports.run": Reach("organiser", upload("/run"), page=upload("/job"), setup=_uploaded(True)),
    "imports.discard": Reach("organiser", upload("/discard"), page=upload(), setup=_uploaded()),
    "results.appeal": Reach(
        "organiser",
        lambda w: f"/manage/contests/{w.judged}/appeals/{w.tokens['own']}",
        setup=lambda app, w: _published_with_appeals(app, w, filed=True),
    ),
    "results.meeting": Reach(
        "organiser",
        manage("/meeting"),
        readback=("protocol_number", "protocol_place", "protocol_secretary"),
    ),
    "privacy.anonymise": Reach(
        "organiser", manage("/people/juror/{w.ids[free_juror]}/anonymise"), stage=Stage.ARCHIVED
    ),
    # jurors
    "judging.scoresheet": Reach(
        "juror",
        sheet(2),
        readback=("overall_comment",),
        partial=frozenset({"scores", "scoresheets", "audit_log"}),
    ),
    "judging.autosave": Reach("juror", sheet(2, "/autosave"), json=True),
    "judging.no_conflict": Reach("juror", sheet(6, "/no-conflict"), page=sheet(6)),
    "judging.recuse": Reach(
        "juror",
        sheet(12, "/recuse"),
        valid=lambda w: {"declaration": ["Консультувала цю громаду."]},
    ),
    "judging.submit": Reach("juror", sheet(8, "/submit"), setup=_complete_sheet),
}


def post_routes(app) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.endpoint != "static"
    }


def test_every_post_route_is_in_the_table(app):
    missing = sorted(post_routes(app) - set(ROUTES))
    assert not missing, f"add this route to ROUTES in tests/test_bad_input.py: {missing}"
    assert not sorted(set(ROUTES) - post_routes(app)), "ROUTES names a route the app no longer has"


# The world of one test ------------------------------------------------------------------


@pytest.fixture
def world(app, monkeypatch, demo_loaded) -> World:
    world = build_world(app, monkeypatch, demo_loaded)
    return world


def logged_in(app, world: World, who: str | None):
    client = app.test_client()
    if who is not None:
        response = client.login(world.logins[who], PASSWORD)
        if response.location == "/login/code" and who in world.tokens:  # two-factor sign-in
            code = pyotp.TOTP(world.tokens[who]).at(clock.now())
            token = client.csrf_token("/login/code")
            client.post("/login/code", data={"csrf_token": token, "code": code})
    return client


def _second_session(app, w: World, who: str) -> None:
    """The person signed in on another browser too: a session to end."""
    logged_in(app, w, who)
    with app.app_context():
        w.ids["other_session"] = db.session.scalar(select(func.max(UserSession.id)))


def token_of(client, page: str) -> str:
    return client.csrf_token(page)


def send(client, url: str, shape: str, pairs: list, token: str, multipart: bool, field=""):
    """POST ``pairs`` (plus the CSRF token) in the shape drawn; ``field`` takes text."""
    if shape in MALFORMED:
        request = malformed_request(shape, url, pairs, token, field or "note")
        return client.post(request.pop("path", url), **request)
    if shape == "empty":
        return client.post(url, data=b"", headers={"X-CSRFToken": token})
    if shape == "json":
        # A file part has no JSON form: a JSON body carries the text fields only.
        body = {name: value for name, value in pairs if not isinstance(value, tuple)}
        return client.post(url, json=body, headers={"X-CSRFToken": token})
    if shape == "text":
        text = "&".join(f"{n}={v}" for n, v in pairs if isinstance(v, str))
        return client.post(
            url, data=text.encode(), content_type="text/plain", headers={"X-CSRFToken": token}
        )
    if shape == "query-only":
        query = urlencode([p for p in pairs if isinstance(p[1], str)])
        joiner = "&" if "?" in url else "?"
        return client.post(f"{url}{joiner}{query}", headers={"X-CSRFToken": token})
    data = MultiDict([("csrf_token", token), *pairs])
    if multipart or any(isinstance(v, tuple) for _, v in pairs):
        data = MultiDict(
            [(n, _file(v) if isinstance(v, tuple) else v) for n, v in data.items(multi=True)]
        )
        return client.post(url, data=data, content_type="multipart/form-data")
    return client.post(url, data=data)


def _file(value: tuple):
    import io

    content, name = value
    return (io.BytesIO(content), name)


def _clean(value: str) -> str:
    return value.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()


def check_refusal(response, html: str, route: str, before: dict, after: dict, partial=frozenset()):
    changed = set(changed_tables(before, after))
    assert changed <= partial, (
        f"{route} refused ({response.status_code}) yet changed {sorted(changed)}"
    )
    if response.status_code == 200 and response.mimetype == "text/html":
        page = read_page(html)
        assert "invalid-feedback" in html or "alert-danger" in html or "alert-warning" in html, (
            f"{route} showed the form again without saying what is wrong"
        )
        for field_id in page.invalid:
            base = re.sub(r"-\d+$", "", field_id)  # an option of a radio or checkbox group
            assert f"{field_id}-errors" in page.ids or f"{base}-errors" in page.ids, (
                f"{route}: the field {field_id} is marked invalid but has no error beside it"
            )


@pytest.mark.parametrize("route", sorted(r for r in ROUTES if not ROUTES[r].json))
def test_form_route_survives_bad_input(route, app, world):
    reach = ROUTES[route]
    if reach.stage is not None:
        set_stage(app, world.judged_id, reach.stage)
    if reach.setup is not None:
        reach.setup(app, world)
    url = reach.url(world)
    page = (reach.page or reach.url)(world)
    client = logged_in(app, world, reach.who)
    html = client.get(page).get_data(as_text=True)
    form = form_for(html, page, url)
    assert form is not None, f"{route}: no form posting to {url} on {page}; fix its row in ROUTES"
    token = token_of(client, page)
    multipart = form.enctype == "multipart/form-data"
    valid = reach.valid(world)
    field = text_field(form)
    state = {"client": client, "token": token, "rows": snapshot(app)}

    @fuzz
    @given(body=form_bodies(form, valid))
    def run(body):
        shape, pairs = body
        client = state["client"]
        if reach.who is None or client.get_cookie("session") is None:
            client = state["client"] = logged_in(app, world, reach.who)
            state["token"] = token_of(client, page)
        before = state["rows"]  # what the previous example left (GET requests write nothing)
        response = send(client, url, shape, pairs, state["token"], multipart, field)
        assert response.status_code < 500, (
            f"{route} answered {response.status_code} to {shape} {pairs!r:.2000}"
        )
        after = state["rows"] = snapshot(app)
        html = response.get_data(as_text=True)
        if shape in MALFORMED:
            assert_refused_as_malformed(response, route, shape, field)
        if response.status_code >= 400 or response.status_code == 200:
            check_refusal(response, html, route, before, after, reach.partial)
            if response.status_code == 200 and reach.partial:
                check_readback(client, page, url, pairs, reach, page_html=html, loaded=form)
            return
        # Accepted (or refused with a message on the next page): the next page renders.
        target = urlsplit(response.location or page)
        if target.netloc in ("", "localhost"):
            shown = client.get(target.path, query_string=target.query)
            assert shown.status_code < 500, f"after {route}, {target} answered {shown.status_code}"
        if after != before and shape == "form":
            check_readback(client, page, url, pairs, reach, loaded=form)

    run()


def check_readback(client, page, url, pairs, reach, page_html=None, loaded=None):
    """The text typed into ``reach.readback`` fields shows on the page again. A field sent
    as the form ``loaded`` showed it was left as it was: a change made since (an earlier
    example) is kept, as a settings form keeps another's change (``merge_stale``)."""
    if not reach.readback:
        return
    html = page_html if page_html is not None else client.get(page).get_data(as_text=True)
    form = form_for(html, page, url)
    if form is None:
        return
    errors = read_page(html).invalid
    sent: dict[str, list] = {}
    for name, value in pairs:
        sent.setdefault(name, []).append(value)
    for name in reach.readback:
        values = sent.get(name)
        if not values or len(values) != 1 or not isinstance(values[0], str) or name in errors:
            continue
        if loaded is not None and _clean(loaded.shown(name) or "") == _clean(values[0]):
            continue
        shown = form.shown(name)
        assert shown is not None and _clean(shown) == _clean(values[0]), (
            f"{reach.url} saved {name}={values[0]!r:.200} but the page shows {shown!r:.200}"
        )


# The JSON endpoints: the applicant's autosave and the juror's ------------------------------


def json_request(client, url: str, body, token: str):
    """POST ``body``: a Python value sent as JSON, or raw bytes (invalid JSON, wrong type)."""
    headers = {"X-CSRFToken": token}
    if isinstance(body, tuple):  # (raw bytes, content type)
        return client.post(url, data=body[0], content_type=body[1], headers=headers)
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


raw_bodies = st.tuples(
    st.one_of(
        bad_json_bodies,
        st.sampled_from([b'{"fields": {"title": NaN}}', b'{"points": {"1": 1e309}}']),
    ),
    st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]),
)


def stored_draft(app, draft_id: int) -> dict[str, str]:
    """{field name: stored text} of the draft: its title and its answers."""
    with app.app_context():
        application = db.session.get(Application, draft_id)
        values = {"title": application.title}
        for answer in db.session.scalars(select(Answer).where(Answer.application_id == draft_id)):
            values[f"q-{answer.question_id}"] = answer.value
        return values


def test_applicant_autosave_survives_bad_input(app, world):
    client = logged_in(app, world, "applicant")
    url = f"/applications/draft/{world.ids['draft']}/autosave"
    token = client.get(url).get_json()["csrf_token"]
    with app.app_context():
        names = ["title", *(f"q-{q.id}" for q in db.session.get(Contest, world.open_id).questions)]
    field_names = st.one_of(st.sampled_from(names), st.text(max_size=8))
    bodies = st.one_of(
        st.dictionaries(
            st.just("fields"), st.dictionaries(field_names, json_values | nasty_text, max_size=4)
        ),
        json_values,
        raw_bodies,
    )

    @fuzz
    @given(body=bodies)
    @example(body={"fields": {"title": "Назва\x00з NUL", names[1]: ["список", "замість тексту"]}})
    @example(body={"fields": {names[1]: "x" * 100_000}})
    @example(body=(b'{"fields": {"title": NaN}}', "application/json"))
    @example(body={"fields": {"title": "\ud800"}})  # found (issue 12): a 500 at the database
    def run(body):
        before, stored = snapshot(app), stored_draft(app, world.ids["draft"])
        response = json_request(client, url, body, token)
        assert response.status_code < 500, f"{response.status_code} for {body!r:.500}"
        assert response.is_json
        after, now = snapshot(app), stored_draft(app, world.ids["draft"])
        if response.status_code not in (200, 422):
            assert before == after, f"refused ({response.status_code}) yet changed"
            return
        answer = response.get_json()
        assert set(changed_tables(before, after)) <= {"answers", "applications", "audit_log"}
        fields = (json.loads(body[0]) if isinstance(body, tuple) else body)["fields"]
        for name, value in fields.items():
            if name in answer["saved"]:
                expected = (
                    _clean(value)
                    if name == "title"
                    else value.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
                )
                assert now[name] == expected, f"{name} saved as {now[name]!r:.100}"
            elif name in answer["errors"]:
                assert now.get(name) == stored.get(name), f"{name} was refused but changed"
        for name in set(now) - set(fields):
            assert now[name] == stored.get(name), f"{name} was not sent but changed"

    run()


def stored_sheet(app, world: World) -> tuple[dict, str]:
    with app.app_context():
        sheet = db.session.scalars(
            select(Scoresheet)
            .join(Application)
            .where(
                Application.number == world.numbers[2], Scoresheet.juror_id == world.ids["juror"]
            )
        ).one()
        return {s.criterion_id: (s.points, s.comment) for s in sheet.scores}, sheet.overall_comment


def test_juror_autosave_survives_bad_input(app, world):
    client = logged_in(app, world, "juror")
    url = f"/judging/{world.judged}/{world.numbers[2]}/autosave"
    token = client.csrf_token(f"/judging/{world.judged}/{world.numbers[2]}")
    with app.app_context():
        criteria = [c.id for c in db.session.get(Contest, world.judged_id).criteria]
    keys = st.one_of(st.sampled_from([str(c) for c in criteria]), st.text(max_size=6))
    points = st.one_of(
        nasty_text, json_values, st.sampled_from(["7", "7.5", "10", 3, 2.5, 1e308, -0.0])
    )
    bodies = st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "points": st.dictionaries(keys, points, max_size=3) | json_values,
                "comments": st.dictionaries(keys, nasty_text | json_values, max_size=3)
                | json_values,
                "overall_comment": nasty_text | json_values,
            },
        ),
        json_values,
        raw_bodies,
    )

    @fuzz
    @given(body=bodies)
    @example(body={"points": {str(criteria[0]): "1e309"}, "comments": {str(criteria[0]): "\x00"}})
    @example(body={"points": {str(criteria[0]): float("nan")}})
    @example(body={"points": [1, 2], "comments": "текст", "overall_comment": {"a": 1}})
    @example(body={"overall_comment": "Рядок\rдругий\r\nтретій"})  # found: \r kept as sent
    @example(body={"overall_comment": "a\udfffb"})  # found (issue 12): a 500 at the database
    def run(body):
        before, (scores, overall) = snapshot(app), stored_sheet(app, world)
        if isinstance(body, dict):
            body = json.loads(json.dumps(body))  # NaN travels as the bare word NaN
        response = json_request(client, url, body, token)
        assert response.status_code < 500, f"{response.status_code} for {body!r:.500}"
        assert response.is_json
        after, (now, now_overall) = snapshot(app), stored_sheet(app, world)
        if response.status_code not in (200, 422):
            assert before == after, f"refused ({response.status_code}) yet changed"
            return
        errors = response.get_json().get("errors", {})
        if isinstance(body, tuple):
            body = json.loads(body[0])
        assert set(changed_tables(before, after)) <= {"scores", "scoresheets", "audit_log"}
        for criterion in criteria:
            if f"points_{criterion}" in errors:
                assert now.get(criterion, (None,))[0] == scores.get(criterion, (None,))[0]
        sent = body.get("overall_comment")
        if isinstance(sent, str) and "overall_comment" not in errors:
            assert now_overall == _clean(sent)
        elif "overall_comment" not in body or not isinstance(sent, str):
            assert now_overall == overall

    run()


def test_documents_asked_for_in_the_background_survive_bad_input(app, world):
    """Any query and any body: the job starts and ends with its document, or the request is
    refused; never a 500, and nothing is written."""
    client = logged_in(app, world, "organiser")
    token = token_of(client, manage("")(world))
    before = snapshot(app)
    names = st.sampled_from(["members", "lang", "application", "blank"]) | st.text(max_size=5)

    @settings(fuzz, max_examples=12)
    @given(
        endpoint=st.sampled_from(
            ["documents.protocol", "documents.scoresheets", "results.ranking_xlsx"]
        ),
        query=st.lists(st.tuples(names, nasty_text), max_size=3),
        body=raw_bodies,
    )
    def run(endpoint, query, body):
        url = ROUTES[endpoint].url(world)
        response = client.post(
            url,
            query_string=MultiDict(query),
            data=body[0],
            content_type=body[1],
            headers={"X-CSRFToken": token},
        )
        # 400: a body no form reads (JSON to this endpoint: scoring/requestguard.py)
        status = response.status_code
        assert status in (202, 400, 404), f"{url} {query!r:.300}: {status}"
        if response.status_code == 202:
            jobs.join()
            state = client.get(response.get_json()["progress"]).get_json()
            assert state["state"] == "ready", f"{url} {query!r:.300}: {state}"

    run()
    assert snapshot(app) == before, "asking for documents changed the database"


# Query strings of GET pages ------------------------------------------------------------

QUERY_PAGES = {
    "contests.applications_list": (
        "organiser",
        manage("/applications"),
        ("q", "state", "kind", "oblast", "category", "page"),
    ),
    "contests.applications_download": (
        "organiser",
        manage("/applications.csv"),
        ("q", "state", "kind", "oblast", "category", "excel"),
    ),
    "jury.progress_download": ("organiser", manage("/jury.csv"), ("excel",)),
    "results.ranking_csv": ("organiser", manage("/ranking.csv"), ("excel",)),
    "jury.assignments": ("organiser", manage("/assignments"), ("page",)),
    "results.ranking": ("organiser", manage("/ranking"), ("stability",)),
    "results.tie": ("organiser", manage("/ties/5"), ("category",)),
    "contests.stage": ("organiser", manage("/stage"), ("to",)),
    "documents.scoresheets": (
        "organiser",
        manage("/scoresheets.pdf"),
        ("application", "blank", "lang"),
    ),
    "documents.protocol": ("organiser", manage("/protocol.pdf"), ("members", "lang")),
    "judging.index": ("juror", lambda w: "/judging", ("all",)),
    "results.api": (None, lambda w: f"/api/contests/{w.judged}/results", ("lang",)),
    "auth.login": (None, lambda w: "/login", ("next",)),
}


def test_query_strings_of_pages_survive_bad_input(app, world):
    """Filters, search, page numbers, ?application=, ?blank=, languages and next=."""
    clients = {who: logged_in(app, world, who) for who in ("organiser", "juror", None)}
    before = snapshot(app)
    pages = sorted(QUERY_PAGES)

    @settings(fuzz, max_examples=30)
    @given(data=st.data())
    @example(data=None)
    def run(data):
        if data is None:  # the values found by hand first
            cases = [
                (
                    "contests.applications_list",
                    [("page", "9" * 40), ("q", "\x00" * 3), ("state", "x")],
                )
            ]
        else:
            endpoint = data.draw(st.sampled_from(pages))
            names = QUERY_PAGES[endpoint][2]
            query = data.draw(
                st.lists(
                    st.tuples(st.sampled_from(names) | st.text(max_size=5), nasty_text), max_size=4
                )
            )
            cases = [(endpoint, query)]
        for endpoint, query in cases:
            who, url, _names = QUERY_PAGES[endpoint]
            response = clients[who].get(url(world), query_string=MultiDict(query))
            assert response.status_code < 500, (
                f"{endpoint} answered {response.status_code} to {query!r:.500}"
            )
            if endpoint == "auth.login" and response.status_code == 302:
                assert urlsplit(response.location).netloc in ("", "localhost")

    run()
    assert snapshot(app) == before, "reading pages changed the database"


# Bugs found here, kept as plain regression tests ----------------------------------------


def criterion_form(world: World, **changes) -> dict:
    values = {
        "code": "K1",
        "title_uk": "Готовність керівництва громади",
        "title_en": "Commitment",
        "guidance_uk": "",
        "guidance_en": "",
        "max_points": "10",
        "weight": "1",
        "step": "1",
        "min_points": "",
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def test_a_maximum_no_step_divides_is_refused_beside_the_field(app, world):
    """Found here: max_points=1e309 raised decimal.InvalidOperation (a 500)."""
    client = logged_in(app, world, "organiser")
    client.submit("/language", {"language": "en", "next": "/"})
    url = f"/manage/contests/{world.open}/criteria/{world.ids['open_criterion']}/edit"
    before = snapshot(app)
    response = client.submit(url, criterion_form(world, max_points="1e309"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="max_points-errors"' in page
    assert "Enter a number greater than 0 and at most 1000." in page
    assert changed_tables(before, snapshot(app)) == []


def test_a_criterion_form_without_its_english_fields_keeps_them_empty(app, world):
    """Found here: a request without title_en stored None in a NOT NULL column (a 500)."""
    client = logged_in(app, world, "organiser")
    url = f"/manage/contests/{world.open}/criteria/{world.ids['open_criterion']}/edit"
    response = client.submit(
        url, criterion_form(world, title_en=None, guidance_en=None, title_uk="Нова назва")
    )
    assert response.status_code == 302
    form = form_for(client.get(url).get_data(as_text=True), url, url)
    assert form.shown("title_uk") == "Нова назва"
    assert form.shown("title_en") == ""


def test_a_comment_saved_alone_shows_when_the_juror_reloads_the_sheet(app, world):
    """Found here: a save that changed only comments wrote no audit entry, so the page
    cache (keyed on the newest entry) served the sheet as it was before the save."""
    client = logged_in(app, world, "juror")
    page = f"/judging/{world.judged}/{world.numbers[2]}"
    form = form_for(client.get(page).get_data(as_text=True), page, page)
    values = form.valid()
    points = next(name for name in values if name.startswith("points_"))
    values.pop(points)
    values["overall_comment"] = ["Київ\x00Львів"]
    response = client.post(
        page,
        data=MultiDict(
            [("csrf_token", token_of(client, page))]
            + [(n, v) for n, vs in values.items() for v in vs]
        ),
    )
    assert response.status_code == 302
    assert stored_sheet(app, world)[1] == "КиївЛьвів"
    for _ in range(2):  # the first one shows "Saved." once, the second is a plain reload
        html = client.get(page).get_data(as_text=True)
        assert form_for(html, page, page).shown("overall_comment") == "КиївЛьвів"
    comment = f"comment_{points.removeprefix('points_')}"
    response = client.post(page, data={"csrf_token": token_of(client, page), comment: "Добре."})
    assert response.status_code == 302
    client.get(page)
    assert form_for(client.get(page).get_data(as_text=True), page, page).shown(comment) == "Добре."


def _form_post(client, url: str, **changes):
    """POST the form of ``url`` as the page shows it, with ``changes`` typed in."""
    form = form_for(client.get(url).get_data(as_text=True), url, url)
    values = {**form.valid(), **{name: [value] for name, value in changes.items()}}
    pairs = [(name, value) for name, values_ in values.items() for value in values_]
    return client.post(url, data=MultiDict([("csrf_token", token_of(client, url)), *pairs]))


@pytest.mark.parametrize(
    ("page", "field", "typed", "message"),
    [
        ("edit", "winners", "9" * 400, "Введіть ціле число від 1 до 1000."),
        ("edit", "quorum", "-" + "9" * 300, "Введіть ціле число від 1 до 100."),
        ("edit", "max_winners_per_oblast", "1" + "0" * 20, "Введіть ціле число від 1 до 1000."),
        ("edit", "min_total", "1e999999", "Введіть число від 0 до 1000000."),
        ("edit", "min_total", "5.555", "Після коми — не більше двох цифр."),
        ("edit", "divergence_threshold", "0.12345", "Після коми — не більше трьох цифр."),
        ("question", "max_length", "9" * 400, "Введіть ціле число від 1 до 100000."),
        ("criterion", "weight", "0." + "0" * 400 + "1", "Введіть вагу, більшу за 0"),
        ("criterion", "min_points", "1e-999999", "Введіть число від 0 до 1000."),
    ],
)
def test_a_number_beyond_its_field_is_refused_beside_the_field(
    app, world, page, field, typed, message
):
    """Found by the outside attack of issue 12: hundreds of digits in a whole-number field
    were a 500 (WTForms' range check makes a float of it); a decimal with more places than
    its column keeps was rounded, differently on SQLite and PostgreSQL."""
    client = logged_in(app, world, "organiser")
    url = {
        "edit": f"/manage/contests/{world.open}/edit",
        "question": manage("/questions/{w.ids[open_question]}/edit", "open")(world),
        "criterion": manage("/criteria/{w.ids[open_criterion]}/edit", "open")(world),
    }[page]
    before = snapshot(app)
    response = _form_post(client, url, **{field: typed})
    assert response.status_code == 200
    html_page = response.get_data(as_text=True)
    assert f'id="{field}-errors"' in html_page
    assert message in html.unescape(html_page)
    assert changed_tables(before, snapshot(app)) == []


def test_an_upload_whose_name_is_not_utf8_is_refused_not_renamed(app, world):
    """Found by attacking the fix of issue 12: ``filename*=UTF-8''%FF.pdf`` was stored as
    «\ufffd.pdf» (werkzeug decodes it with U+FFFD in place of the bytes)."""
    client = logged_in(app, world, "applicant")
    page = f"/applications/draft/{world.ids['draft']}"
    form = form_for(client.get(page).get_data(as_text=True), page, page)
    question = next(f["name"] for f in form.fields if f["type"] == "file")
    before = snapshot(app)
    request = malformed_request(
        "not-utf8-filename", page, [("action", "save")], token_of(client, page), question
    )
    response = client.post(page, **request)
    assert response.status_code == 400
    assert "Надіслані дані не є текстом UTF-8" in response.get_data(as_text=True)
    assert changed_tables(before, snapshot(app)) == []


# Integer ids in addresses ----------------------------------------------------------------

OUT_OF_RANGE = [2**31, 2**63, 10**40]  # PostgreSQL's INTEGER ends at 2**31 - 1
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")  # <converter(args):name>


def test_an_id_beyond_the_database_integers_is_a_plain_404_on_every_route(app, world):
    """Every ``<int:...>`` route of the URL map, as a user who may use it, by every
    method: a number too large for an INTEGER column is no row (404), never a 500;
    the largest INTEGER itself reaches the view, which finds no row either."""
    rules = sorted(
        (
            r
            for r in app.url_map.iter_rules()
            if any(c == "int" for c, _ in ARGUMENT.findall(r.rule))
        ),
        key=lambda rule: rule.rule,
    )
    assert len(rules) >= 19, [rule.rule for rule in rules]
    clients = {who: logged_in(app, world, who) for who in ("organiser", "juror", "applicant")}
    tokens = {who: token_of(client, "/") for who, client in clients.items()}
    before = snapshot(app)
    problems = []
    for rule in rules:
        if rule.rule.startswith("/manage/"):
            who, number = "organiser", world.numbers[1]
        elif rule.rule.startswith("/judging/"):
            who, number = "juror", world.numbers[2]  # a sheet she may open
        else:
            who, number = "applicant", None
        strings = {"slug": world.judged, "number": number, "kind": "juror"}
        for value in [2**31 - 1, *OUT_OF_RANGE]:
            path = ARGUMENT.sub(
                lambda m: str(value if m[1] == "int" else strings[m[2]]),  # noqa: B023
                rule.rule,
            )
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = clients[who].open(
                    path,
                    method=method,
                    headers={"X-CSRFToken": tokens[who]},
                    json={"fields": {}}
                    if method == "POST" and path.endswith("/autosave")
                    else None,
                )
                expected = 404
                if rule.endpoint == "results.tie" and value not in OUT_OF_RANGE:
                    expected = 302  # a place without a tie: back to the ranking
                if response.status_code != expected:
                    problems.append(f"{method} {path} as {who}: {response.status_code}")
    assert not problems, "\n".join(problems)
    assert changed_tables(before, snapshot(app)) == []


# Malformed content: a 400 with a message on every route (SPEC §8, issue 12) ------------------

CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")


def _refusal_text(shape: str, field: str) -> str:
    """What the refusal of a ``MALFORMED`` shape says (Ukrainian, the default language)."""
    if shape.startswith("json-"):
        return "Ця адреса приймає форму, а не дані JSON."
    if shape == "file-for-text":
        return f"Поле «{field}» приймає текст, але в ньому надіслано файл."
    if shape == "not-utf8-query":
        return "Адреса містить байти, що не є текстом UTF-8."
    if shape == "nul-query":
        return "Адреса містить нульовий символ (NUL)"
    return "Надіслані дані не є текстом UTF-8"


def assert_refused_as_malformed(response, route: str, shape: str, field: str) -> None:
    """400, and what cannot be read said plainly: the error page, or JSON at a JSON route."""
    assert response.status_code == 400, f"{route} answered {response.status_code} to {shape}"
    if ROUTES[route].json:
        assert response.is_json, f"{route} answered {shape} with {response.mimetype}"
        message = response.get_json()["message"]
        if shape.startswith("json-"):  # the endpoint's own "not valid"
            assert CYRILLIC.search(message), message
        else:
            assert _refusal_text(shape, field) in message, message
        return
    assert response.mimetype == "text/html"
    page = html.unescape(response.get_data(as_text=True))
    assert _refusal_text(shape, field) in page, f"{route}, {shape}: {page[:3000]}"


JSON_FIELDS = {"applications.api.autosave": "title", "judging.autosave": "overall_comment"}


def _json_token(client, route: str, url: str) -> str:
    if route == "applications.api.autosave":
        return client.get(url).get_json()["csrf_token"]
    return token_of(client, url.removesuffix("/autosave"))


# The documents' POSTs (made in the background) read no body: their bad bodies and
# queries are drawn by test_documents_asked_for_in_the_background_survive_bad_input.
READ_BODIES = sorted(r for r in ROUTES if not ROUTES[r].json or r in JSON_FIELDS)


@pytest.mark.parametrize("route", READ_BODIES)
def test_malformed_content_is_refused_with_a_message_on_every_post_route(route, app, world):
    """A JSON list or deeply nested JSON to a form, nested JSON objects, a file in a text
    field, bytes that are not UTF-8 in the body or the query, NUL in the query: each gets
    a 400 that says what is wrong (a page, or JSON at the autosaves) and changes nothing.
    Found by the outside attack of issue 12: most of these were 500s."""
    reach = ROUTES[route]
    if reach.stage is not None:
        set_stage(app, world.judged_id, reach.stage)
    if reach.setup is not None:
        reach.setup(app, world)
    url = reach.url(world)
    client = logged_in(app, world, reach.who)
    if reach.json:
        token, pairs, field = _json_token(client, route, url), [], JSON_FIELDS[route]
    else:
        page = (reach.page or reach.url)(world)
        form = form_for(client.get(page).get_data(as_text=True), page, url)
        token, field = token_of(client, page), text_field(form)
        valid = {**form.valid(), **reach.valid(world)}
        pairs = [(name, value) for name, values in valid.items() for value in values]
    before = snapshot(app)
    for shape in MALFORMED:
        response = send(client, url, shape, pairs, token, False, field)
        assert_refused_as_malformed(response, route, shape, field)
    assert changed_tables(before, snapshot(app)) == []


def _address_cases(app, world: World):
    """(rule, who, method, the path with valid arguments, {argument: its place in the path})."""
    strings = {
        "slug": world.judged,
        "kind": "juror",
        "oblast": "UA-63",
        "token": world.tokens["reset"],
        "filename": "app.css",
        "job": "no-such-job",  # a document made in the background: none is under way
        "fmt": "xlsx",
    }
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith("/manage/"):
            who, number = "organiser", world.numbers[1]
        elif rule.rule.startswith("/judging/"):
            who, number = "juror", world.numbers[2]
        else:
            who, number = "applicant", world.numbers[1]
        values = {**strings, "number": number}
        arguments = [(c, n) for c, n in ARGUMENT.findall(rule.rule)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, who, method, values, arguments


def _path(rule, values: dict, spoilt: str | None = None, with_value: str = "") -> str:
    return ARGUMENT.sub(
        lambda m: (
            with_value
            if m[2] == spoilt
            else str(1 if m[1] == "int" else quote(values[m[2]], safe="/"))
        ),
        rule.rule,
    )


def test_an_address_with_nul_or_bytes_not_utf8_is_refused_on_every_route(app, world):
    """Every rule of the URL map, by every method, as a user who may use it: a NUL in a
    path argument (``/contests/a%00b``: a 500 on PostgreSQL), bytes that are not UTF-8 in
    the path (as a WSGI server passes them on) and in the query, a NUL in the query."""
    clients = {who: logged_in(app, world, who) for who in ("organiser", "juror", "applicant")}
    tokens = {who: token_of(client, "/") for who, client in clients.items()}
    before = snapshot(app)
    problems = []
    count = 0
    for rule, who, method, values, arguments in _address_cases(app, world):
        path = _path(rule, values)
        cases = [
            (_path(rule, values, name, "a%00b"), {}, "Адреса містить нульовий символ (NUL)")
            for converter, name in arguments
            if converter in ("", "path")
        ]
        raw = path.rstrip("/") + "/\xff\xfe"  # PATH_INFO: the bytes as latin-1, per WSGI
        cases += [
            (path, {"PATH_INFO": raw}, "Адреса містить байти, що не є текстом UTF-8."),
            (f"{path}?q=%FF", {}, "Адреса містить байти, що не є текстом UTF-8."),
            (f"{path}?q=a%00b", {}, "Адреса містить нульовий символ (NUL)"),
        ]
        for address, environ, expected in cases:
            count += 1
            response = clients[who].open(
                address,
                method=method,
                headers={"X-CSRFToken": tokens[who]},
                environ_overrides=environ,
            )
            text = (
                response.get_json()["message"]
                if response.is_json
                else html.unescape(response.get_data(as_text=True))
            )
            if response.status_code != 400 or expected not in text:
                problems.append(f"{method} {address} {environ} as {who}: {response.status_code}")
    assert count > 250
    assert not problems, "\n".join(problems)
    assert changed_tables(before, snapshot(app)) == []


def test_the_json_endpoints_refuse_an_address_in_json(app, world):
    """The results API and the autosaves say what is wrong in JSON, as they answer."""
    client = logged_in(app, world, "juror")
    for address in (
        f"/api/contests/{world.judged}%00/results",
        f"/judging/{world.judged}/{world.numbers[2]}%00/autosave",
        "/healthz?check=%FF",
    ):
        method = "POST" if address.endswith("autosave") else "GET"
        response = client.open(address, method=method, json={})
        assert response.status_code == 400 and response.is_json, address
        assert response.get_json()["error"] == "bad_request"
        assert "Адреса містить" in response.get_json()["message"]


@settings(fuzz, max_examples=40)
@given(data=st.data())
def test_every_route_survives_nasty_addresses(app_and_world, data):
    """Hypothesis over every rule of the URL map: any text (NUL and control characters,
    lone surrogates' bytes, any Unicode) or raw bytes in a path argument and in the query.
    Never a 500; NUL or bytes that are not UTF-8 are a 400 that says so."""
    app, world, clients, tokens, cases = app_and_world
    rule, who, method, values, arguments = data.draw(st.sampled_from(cases))
    spoilt = [name for converter, name in arguments if converter in ("", "path")]
    raw = data.draw(
        st.one_of(nasty_text.map(lambda text: text.encode("utf-8", "surrogatepass")), st.binary())
    )
    address = _path(rule, values)
    environ = {}
    if spoilt and data.draw(st.booleans()):
        name = data.draw(st.sampled_from(spoilt))
        address = _path(rule, values, name, quote(raw, safe=""))
        environ = {"PATH_INFO": unquote_to_bytes(address).decode("latin-1")}
    query = data.draw(st.lists(st.tuples(st.text(max_size=5), st.binary(max_size=8)), max_size=3))
    if query:
        address += "?" + "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query)
    response = clients[who].open(
        address,
        method=method,
        headers={"X-CSRFToken": tokens[who]},
        environ_overrides=environ,
        buffered=True,  # a static file's handle is closed here, not whenever GC runs
    )
    assert response.status_code < 500, f"{method} {address!r} answered {response.status_code}"
    sent = [unquote_to_bytes(urlsplit(address).path)] + [v for _k, v in query]
    unreadable = any(b"\x00" in part for part in sent) or not all(_utf8(part) for part in sent)
    if unreadable:
        assert response.status_code == 400, f"{method} {address!r}: {response.status_code}"


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.fixture
def app_and_world(app, world):
    clients = {who: logged_in(app, world, who) for who in ("organiser", "juror", "applicant")}
    tokens = {who: token_of(client, "/") for who, client in clients.items()}
    return app, world, clients, tokens, list(_address_cases(app, world))


ONE_LINE_TYPES = ("text", "email", "url", "search", "tel")
CRAFTED = "\r\nBcc: x@example.org"
DRAFTS = {"applications.draft", "applications.clarification"}  # saved as typed
DRAFT_TABLES = {"applications", "answers", "clarification_requests"}


@pytest.mark.parametrize("route", sorted(r for r in ROUTES if not ROUTES[r].json))
def test_a_line_break_in_a_one_line_field_is_never_stored(route, app, world):
    """A title, a name or an address is one line wherever it goes (a subject, a CSV row,
    a line of a PDF): a browser's input never sends a line break, so one in a one-line
    field is a crafted request, refused beside the field with nothing changed (it was
    stored as sent, the e-mail subject being the only place that made it one line). An
    applicant's draft keeps what was typed; its submission refuses it (the test below)."""
    reach = ROUTES[route]
    if reach.stage is not None:
        set_stage(app, world.judged_id, reach.stage)
    if reach.setup is not None:
        reach.setup(app, world)
    url = reach.url(world)
    page = (reach.page or reach.url)(world)
    client = logged_in(app, world, reach.who)
    form = form_for(client.get(page).get_data(as_text=True), page, url)
    valid = {**form.valid(), **reach.valid(world)}
    for name in (f["name"] for f in form.fields if f["type"] in ONE_LINE_TYPES):
        typed = (valid.get(name) or [""])[0] or "Громада"
        body = {**valid, name: [typed + CRAFTED]}
        pairs = [(n, value) for n, values in body.items() for value in values]
        response = send(client, url, "form", pairs, token_of(client, page), False)
        assert response.status_code < 500, (route, name, response.status)
        stored = [t for t, rows in snapshot(app).items() if "Bcc: x@example.org" in repr(rows)]
        assert stored == [] or (route in DRAFTS and set(stored) <= DRAFT_TABLES), (
            f"{route}: {name} with a line break was stored in {stored}"
        )
        if response.status_code == 200 and response.mimetype == "text/html":
            assert read_page(response.get_data(as_text=True)).invalid, (route, name)


def test_a_draft_with_a_line_break_in_its_title_is_not_submitted(app, world):
    url = f"/applications/draft/{world.ids['draft']}"
    client = logged_in(app, world, "applicant")
    form = form_for(client.get(url).get_data(as_text=True), url, url)
    body = {**form.valid(), "title": ["Світло" + CRAFTED], "action": ["submit"]}
    pairs = [(n, value) for n, values in body.items() for value in values]
    response = send(client, url, "form", pairs, token_of(client, url), False)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="title-errors"' in html
    errors = html.partition('id="title-errors"')[2].partition("</")[0]
    assert "Напишіть це одним рядком" in errors
    with app.app_context():
        assert db.session.get(Application, world.ids["draft"]).state == ApplicationState.DRAFT
