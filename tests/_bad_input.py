"""Helpers of the bad-input tests (not a test module): the world, a form reader, nasty values.

The world is the demo (``scoring.demo.load``: a contest in judging, an open contest, an
organiser, three jurors, twelve applicants) plus what some routes need to have something
to act on: the applicant's draft, a decision, an invitation, a second organiser and a
juror outside the jury. Passwords are hashed with one PBKDF2 round while it is built so
that a world costs milliseconds, not seconds.
"""

import functools
import io
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug import security
from werkzeug.datastructures import MultiDict

from scoring import background, demo, models
from scoring.applications import operations as application_operations
from scoring.auth import operations as auth_operations
from scoring.extensions import db
from scoring.models import (
    Application,
    Contest,
    Decision,
    DecisionKind,
    JuryMember,
    OrganisationKind,
    Role,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from ._databases import dump

PASSWORD = demo.PASSWORD


@dataclass
class World:
    judged: str  # slug of the contest in judging
    open: str  # slug of the open contest
    judged_id: int
    open_id: int
    logins: dict[str, str]  # who → e-mail
    ids: dict[str, int] = field(default_factory=dict)  # users, criteria, questions, ...
    numbers: dict[int, str] = field(default_factory=dict)  # serial → number (judged)
    tokens: dict[str, str] = field(default_factory=dict)


def build_world(app, monkeypatch, logins: list) -> World:
    """The demo (loaded already; ``logins`` as ``demo.load`` returned them) and a few
    extras, committed; what the route table refers to."""
    monkeypatch.setattr(
        models,
        "generate_password_hash",
        functools.partial(security.generate_password_hash, method="pbkdf2:sha256:1"),
    )
    with app.app_context():
        organiser = db.session.scalar(select(User).where(User.role == Role.ORGANISER))
        judged, open_ = db.session.scalars(select(Contest).order_by(Contest.id)).all()
        users = {
            email: db.session.scalar(select(User).where(User.email == email))
            for _, email, _ in logins
        }
        jurors = [email for role, email, _ in logins if role == "juror"]
        applicant_email = next(email for role, email, _ in logins if role == "applicant")
        applicant = users[applicant_email]
        other_community = next(
            u
            for u in db.session.scalars(select(User).where(User.role == Role.APPLICANT))
            if u.id != applicant.id and u.organisation.kind == OrganisationKind.COMMUNITY
        )

        co_organiser = _user("co.organiser@example.org", "Друга Організаторка", Role.ORGANISER)
        judged.organisers.append(co_organiser)
        free_juror = _user("free.juror@example.org", "Вільний Експерт", Role.JUROR)
        outsider = _user("outsider.juror@example.org", "Сторонній Експерт", Role.JUROR)
        judged.jury.append(JuryMember(user=free_juror))
        db.session.add(outsider)

        draft = application_operations.start_application(open_, applicant)
        db.session.flush()
        application_operations.save_answers(draft, {"title": "Бюджет участі для всіх"})

        numbers = {
            a.serial: a.number
            for a in db.session.scalars(
                select(Application).where(Application.contest_id == judged.id)
            )
        }
        first = db.session.scalar(select(Application).where(Application.number == numbers[1]))
        decision = Decision(
            contest_id=judged.id,
            kind=DecisionKind.DIVERGENCE,
            application_id=first.id,
            reason="Розбіжність обговорено на засіданні.",
            decided_by_id=organiser.id,
        )
        db.session.add(decision)
        _invitation, invitation_token = auth_operations.invite(
            inviter=organiser,
            email="invited@example.org",
            name="Запрошена Експертка",
            role=Role.JUROR,
            contest=judged,
        )
        db.session.flush()
        submitted_sheet = db.session.scalar(
            select(Scoresheet.id)
            .where(Scoresheet.application_id == first.id, Scoresheet.state == SheetState.SUBMITTED)
            .order_by(Scoresheet.id)
        )
        world = World(
            judged=judged.slug,
            open=open_.slug,
            judged_id=judged.id,
            open_id=open_.id,
            logins={
                "organiser": organiser.email,
                "juror": jurors[2],  # Ірина Бондар: draft sheets for 2 and 8, undeclared 6 and 12
                "chair": jurors[0],
                "applicant": applicant_email,
                "applicant2": other_community.email,
            },
            numbers=numbers,
            ids={
                "organiser": organiser.id,
                "co_organiser": co_organiser.id,
                "juror": users[jurors[2]].id,
                "juror0": users[jurors[0]].id,
                "free_juror": free_juror.id,
                "applicant": applicant.id,
                "applicant_organisation": applicant.organisation_id,
                "draft": draft.id,
                "criterion": judged.criteria[0].id,
                "open_criterion": open_.criteria[0].id,
                "open_question": open_.questions[0].id,
                "decision": decision.id,
                "submitted_sheet": submitted_sheet,
                "invitation": _invitation.id,
            },
            tokens={
                "invitation": invitation_token,
                "reset": auth_operations.reset_token(users[jurors[1]]),
            },
        )
        db.session.commit()
    monkeypatch.undo()
    return world


def _user(email: str, name: str, role: Role) -> User:
    user = User(email=email, name=name, role=role)
    user.set_password(PASSWORD)
    db.session.add(user)
    return user


def set_stage(app, contest_id: int, stage: Stage) -> None:
    with app.app_context():
        db.session.get(Contest, contest_id).stage = stage
        db.session.commit()


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table: a rejected request must leave it equal. What a request
    started in the background (the e-mails of publication) is waited for: it is part of it."""
    background.join()
    return dump(app)


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


# Reading the forms of a page ------------------------------------------------------------


@dataclass
class Form:
    action: str
    enctype: str
    fields: list[dict] = field(default_factory=list)  # {name, type, value, checked, options}

    def names(self) -> list[str]:
        return list(dict.fromkeys(f["name"] for f in self.fields if f["name"] != "csrf_token"))

    def valid(self) -> dict[str, list]:
        """{name: [values]} as a browser would send the form untouched (first button)."""
        values: dict[str, list] = {}
        buttons = []
        for f in self.fields:
            name, kind = f["name"], f["type"]
            if name == "csrf_token":
                continue
            if kind in ("submit", "button"):
                buttons.append(f)
            elif kind in ("checkbox", "radio"):
                values.setdefault(name, [])
                if f["checked"]:
                    values[name].append(f["value"] if f["value"] is not None else "on")
            elif kind == "select":
                chosen = [v for v, selected in f["options"] if selected] or [
                    v for v, _ in f["options"][:1]
                ]
                values[name] = chosen[:1]
            elif kind == "file":
                values.setdefault(name, [])
            else:
                values[name] = [f["value"] or ""]
        if buttons:
            values.setdefault(buttons[0]["name"], [buttons[0]["value"] or ""])
        return values

    def shown(self, name: str) -> str | None:
        """The value the page shows in the field ``name`` (text-like fields)."""
        for f in self.fields:
            if f["name"] == name and f["type"] not in ("submit", "button", "checkbox", "radio"):
                if f["type"] == "select":
                    return next((v for v, selected in f["options"] if selected), None)
                return f["value"] or ""
        return None


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.ids: set[str] = set()
        self.invalid: list[str] = []  # ids of fields marked is-invalid
        self._form: Form | None = None
        self._textarea: dict | None = None
        self._select: dict | None = None
        self._option: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if "is-invalid" in (a.get("class") or "").split() and a.get("id"):
            self.invalid.append(a["id"])
        if tag == "form":
            self._form = Form(a.get("action") or "", a.get("enctype") or "")
            self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._start_option(a)
            return
        if tag == "input":
            self._form.fields.append(
                {
                    "name": a["name"],
                    "type": (a.get("type") or "text").lower(),
                    "value": a.get("value"),
                    "checked": "checked" in a,
                    "options": [],
                }
            )
        elif tag == "button":
            self._form.fields.append(
                {
                    "name": a["name"],
                    "type": "submit",
                    "value": a.get("value") or "",
                    "checked": False,
                    "options": [],
                }
            )
        elif tag == "textarea":
            self._textarea = {
                "name": a["name"],
                "type": "textarea",
                "value": "",
                "checked": False,
                "options": [],
            }
            self._form.fields.append(self._textarea)
        elif tag == "select":
            self._select = {
                "name": a["name"],
                "type": "select",
                "value": None,
                "checked": False,
                "options": [],
            }
            self._form.fields.append(self._select)

    def _start_option(self, a):
        self._option = [a.get("value"), "selected" in a]
        self._select["options"].append(self._option)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data
        if self._option is not None and self._option[0] is None:
            self._option.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            if self._textarea is not None and self._textarea["value"].startswith("\n"):
                self._textarea["value"] = self._textarea["value"][1:]  # HTML drops it too
            self._textarea = None
        elif tag == "select":
            if self._select is not None:
                self._select["options"] = [
                    (o[0] if o[0] is not None else "".join(o[2:]).strip(), o[1])
                    for o in self._select["options"]
                ]
            self._select = None
        elif tag == "option":
            self._option = None


def read_page(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


def form_for(html: str, page: str, target: str) -> Form | None:
    """The form of ``html`` (served at ``page``) that posts to ``target``."""
    wanted = urlsplit(target).path
    for form in read_page(html).forms:
        action = form.action or page
        if urlsplit(action).path == wanted:
            return form
    return None


def form_as_shown(client, url: str, **changes) -> MultiDict:
    """The form of the page at ``url`` (posting back to it) with every value as the page
    shows it, ``changes`` typed in, and the page's CSRF token: what a person sends."""
    form = form_for(client.get(url).get_data(as_text=True), url, url)
    values = {**form.valid(), **{name: [value] for name, value in changes.items()}}
    pairs = [(name, value) for name, many in values.items() for value in many]
    return MultiDict([("csrf_token", client.csrf_token(url)), *pairs])


# Nasty values ---------------------------------------------------------------------------

SAMPLES = [
    "",
    " ",
    "\x00",
    "Київ\x00Львів",
    "\t\r\n",
    "\r\n\r\n",
    "\u202eлівий\u202c",
    "\u200f\u200e\u200b\ufeff",
    "\x01\x02\x1b[31m\x7f",
    "-1",
    "0",
    "-0",
    "0.5",
    "7,5",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "9" * 40,
    "-" + "9" * 40,
    "9" * 400,  # found: WholeNumberField (WTForms' NumberRange made it a float: a 500)
    "-" + "1" * 300,
    "0." + "0" * 400 + "1",
    "1e999999",
    "1e-999999",
    str(2**63),
    str(-(2**63) - 1),
    "١٢٣",
    "½",
    "0x10",
    "1_000",
    "True",
    "null",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "%s%n{0}{{7*7}}",
    "../../etc/passwd",
    "UA-00",
    "2026-02-30T25:61",
    "0000-00-00",
    "a@b",
    "user@example.org\nBcc: x@example.org",
    "😀" * 300,
    "Ґ" * 5000,
    "x" * 100_000,
]
nasty_text = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
MISSING: list = []
files = st.tuples(
    st.sampled_from([b"", b"%PDF-1.4\n%%EOF\n", b"\x89PNG\r\n\x1a\n", b"\x00" * 64, b"MZ\x90\x00"]),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters='"\\'),
        min_size=1,
        max_size=30,
    ),
)


@st.composite
def form_bodies(draw, form: Form, overrides: dict[str, list] | None = None):
    """(shape, [(name, value), ...]): the untouched form with up to three fields spoilt.

    A spoilt field is missing, sent twice or more, or carries a nasty value; a file field
    carries random bytes under a random name. Now and then an unknown field is added.
    """
    valid = {**form.valid(), **(overrides or {})}
    names = list(valid) or ["field"]
    spoilt = draw(st.sets(st.sampled_from(names), max_size=min(3, len(names))))
    types = {f["name"]: f["type"] for f in form.fields}
    pairs = []
    for name in names:
        if name not in spoilt:
            values = valid.get(name, [])
        elif types.get(name) == "file":
            values = draw(st.lists(files, max_size=2))
        else:
            values = draw(
                st.one_of(
                    st.just(MISSING),
                    nasty_text.map(lambda v: [v]),
                    st.lists(nasty_text, min_size=2, max_size=3),
                )
            )
        pairs += [(name, value) for value in values]
    pairs += draw(st.lists(st.tuples(st.text(min_size=1, max_size=8), nasty_text), max_size=1))
    shape = draw(
        st.sampled_from(["form"] * 12 + ["empty", "json", "text", "query-only", *MALFORMED])
    )
    return shape, pairs


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        nasty_text,
        st.sampled_from(["\ud800", "a\udfffb"]),  # lone surrogates: JSON writes them as \ud800
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
# Python's json writes these, as many a client library would; strict parsers refuse them.
json_specials = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e309", "-1e309", "1" * 400])
bad_json_bodies = st.one_of(
    st.sampled_from([b"", b"{", b"{'fields': 1}", b"\xff\xfe", b"null", b"[]", b'"x"', b"\x00"]),
    st.binary(max_size=40),
)


# Malformed content (SPEC §8: 400 with a message, never a 500) ----------------------------

DEEP = 100_000  # levels of nesting: far beyond what the JSON parser recurses into
MALFORMED = (
    "json-array",  # a JSON list where a form (or a JSON object) is expected
    "json-nested",  # every field an object holding a list
    "json-deep-array",
    "json-deep-object",
    "json-surrogate",  # found by the attack on the fix: "\ud800" reached the database
    "file-for-text",  # a file part in the first text field
    "not-utf8-filename",  # found as well: werkzeug put U+FFFD into filename*=UTF-8''%FF
    "not-utf8-body",  # raw bytes that are not UTF-8 in an url-encoded form
    "not-utf8-percent",  # the same, percent-encoded
    "not-utf8-multipart",  # the same in a text part of a multipart form
    "not-utf8-query",
    "nul-query",
)


def malformed_request(shape: str, url: str, pairs: list, token: str, text_field: str) -> dict:
    """Keyword arguments of ``client.open`` for a POST to ``url`` of the ``shape`` (one of
    ``MALFORMED``): the pairs of a form (text values only), spoilt in that one way."""
    headers = {"X-CSRFToken": token}
    fields = [("csrf_token", token), *((n, v) for n, v in pairs if isinstance(v, str))]
    body = urlencode(fields).encode()
    if shape == "json-array":
        data = json.dumps(fields).encode()
    elif shape == "json-nested":
        data = json.dumps({name: {"value": [value, {"a": None}]} for name, value in fields})
    elif shape == "json-deep-array":
        data = "[" * DEEP + "]" * DEEP
    elif shape == "json-deep-object":
        data = '{"fields":' * DEEP + "1" + "}" * DEEP
    elif shape == "json-surrogate":  # json.dumps writes a lone surrogate as \ud800
        lone = "\ud800"
        data = json.dumps({**dict(fields), text_field: lone, "fields": {text_field: lone}})
    else:
        data = None
    if data is not None:
        return {"data": data, "content_type": "application/json", "headers": headers}
    if shape == "file-for-text":
        files = [(n, v) for n, v in fields if n != text_field]
        files.append((text_field, (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "text.pdf")))
        return {"data": MultiDict(files), "content_type": "multipart/form-data"}
    if shape == "not-utf8-filename":
        boundary = "malformed0boundary"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'.encode()
            for n, v in fields
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{text_field}"; '
            f"filename*=UTF-8''%FF%FE.pdf\r\nContent-Type: application/pdf\r\n\r\n".encode()
            + b"%PDF-1.4\n%%EOF\n\r\n"
        )
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return {"data": data, "content_type": f"multipart/form-data; boundary={boundary}"}
    if shape == "not-utf8-body":
        return _form(body + f"&{quote(text_field)}=".encode() + b"\xff\xfe\xc0\x80")
    if shape == "not-utf8-percent":
        return _form(body + f"&{quote(text_field)}=%FF%FE%C0%80".encode())
    if shape == "not-utf8-multipart":
        boundary = "malformed0boundary"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n'.encode()
            + (value.encode() if n != text_field else b"\xd0\x9a\xff\xfe")
            + b"\r\n"
            for n, value in [*fields, (text_field, "")]
        ]
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return {"data": data, "content_type": f"multipart/form-data; boundary={boundary}"}
    joiner = "&" if "?" in url else "?"
    query = {"not-utf8-query": "%FF%FE", "nul-query": "a%00b"}[shape]
    return {**_form(body), "path": f"{url}{joiner}{quote(text_field)}={query}"}


def _form(data: bytes) -> dict:
    return {"data": data, "content_type": "application/x-www-form-urlencoded"}


def text_field(form: Form) -> str:
    """The first field of ``form`` that takes typed text (or a made-up one when none does)."""
    texts = ("text", "textarea", "email", "password", "number", "search", "tel", "url")
    return next((f["name"] for f in form.fields if f["type"] in texts), "note")
