"""Organisers set up a contest's criteria, application form and co-organisers in the browser."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import (
    Application,
    ApplicationState,
    AuditEntry,
    Conflict,
    Contest,
    Criterion,
    Question,
    QuestionKind,
    Role,
    Score,
    Scoresheet,
    Stage,
    User,
)

from .conftest import PASSWORD

ORGANISER = "org@example.org"
SLUG = "uspishna-uchast-2026"
CONTEST_FORM = {
    "slug": SLUG,
    "title_uk": "Успішна участь громади",
    "title_en": "Successful Community Participation",
    "organising_body": "Хаб участі",
    "applicant_kinds": ["ngo"],
    "opens_at": "2026-03-01T09:00",
    "closes_at": "2026-03-31T18:00",
    "winners": "5",
    "number_prefix": "UUG",
    "aggregation": "mean",
    "normalise": "none",
    "jurors_per_application": "0",
    "quorum": "2",
    "divergence_threshold": "0.3",
    "min_total": "0",
}
# The six criteria of «Успішна участь громади»: (code, uk, en, max, weight, step, minimum).
CRITERIA = [
    ("C1", "Актуальність і відповідність меті конкурсу", "Relevance", "10", "1", "1", "4"),
    ("C2", "Залучення мешканців", "Involvement of residents", "10", "1,5", "1", ""),
    ("C3", "Партнерство з ОМС", "Partnership with local government", "10", "1", "1", ""),
    ("C4", "Інклюзивність і доступність", "Inclusion and accessibility", "10", "1", "1", ""),
    ("C5", "Сталість результатів", "Sustainability of results", "10", "1", "1", ""),
    ("C6", "Якість звітності", "Quality of reporting", "5", "1", "0.5", ""),
]


def _criterion_form(code="C7", title_uk="Новий критерій", max_points="10", **changes) -> dict:
    return {
        "code": code,
        "title_uk": title_uk,
        "title_en": "",
        "guidance_uk": "",
        "guidance_en": "",
        "max_points": max_points,
        "weight": "1",
        "step": "1",
        "min_points": "",
        **changes,
    }


def _question_form(key="summary", kind="textarea", **changes) -> dict:
    return {
        "key": key,
        "label_uk": "Короткий опис практики",
        "label_en": "Summary of the practice",
        "help_uk": "",
        "help_en": "",
        "kind": kind,
        "max_length": "",
        "min_value": "",
        "max_value": "",
        "choices": "",
        **changes,
    }


@pytest.fixture
def organiser(signed_in):
    """The signed-in organiser's id; the interface is switched to English."""
    return signed_in(Role.ORGANISER, ORGANISER, name="Світлана Гребенюк")


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()


def _criteria(app, contest_id: int) -> list[tuple]:
    with app.app_context():
        return [
            (c.code, c.max_points, c.weight, c.step, c.min_points)
            for c in db.session.scalars(
                select(Criterion)
                .where(Criterion.contest_id == contest_id)
                .order_by(Criterion.position)
            )
        ]


def _criterion_id(app, contest_id: int, code: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Criterion.id).where(Criterion.contest_id == contest_id, Criterion.code == code)
        )


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _errors(page: str, field: str) -> str:
    start = page.index(f'id="{field}-errors"')
    return page[start : page.index("</div>\n", start)]


def _score(app, build, contest_id: int, code: str, points="7") -> None:
    """A juror's scoresheet with points on the criterion ``code`` of the contest."""
    juror = build.user(Role.JUROR)
    organisation = build.organisation()
    with app.app_context():
        application = Application(
            contest_id=contest_id,
            organisation_id=organisation,
            state=ApplicationState.ADMITTED,
            serial=1,
            number="T-2026-001",
            submitted_at=datetime(2026, 3, 10, tzinfo=UTC),
        )
        sheet = Scoresheet(application=application, juror_id=juror, conflict=Conflict.NONE)
        sheet.scores = [
            Score(criterion_id=_criterion_id(app, contest_id, code), points=Decimal(points))
        ]
        db.session.add_all([application, sheet])
        db.session.commit()


# Criteria


def test_the_six_criteria_of_uspishna_uchast_are_set_up_from_scratch(client, app, organiser):
    assert client.submit("/manage/contests/new", CONTEST_FORM).status_code == 302
    dashboard = client.get(f"/manage/contests/{SLUG}").get_data(as_text=True)
    assert f'href="/manage/contests/{SLUG}/criteria"' in dashboard
    page = client.get(f"/manage/contests/{SLUG}/criteria").get_data(as_text=True)
    assert "No criteria yet" in page and "tie-break order" in page
    assert "Maximum possible total: 0 points" in page

    for code, uk, en, top, weight, step, minimum in CRITERIA:
        form = _criterion_form(
            code=code.lower(),  # codes are kept in capitals
            title_uk=uk,
            title_en=en,
            guidance_uk=f"Що оцінюємо: {uk.lower()}.",
            max_points=top,
            weight=weight,
            step=step,
            min_points=minimum,
        )
        response = client.submit(f"/manage/contests/{SLUG}/criteria/new", form)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.headers["Location"] == f"/manage/contests/{SLUG}/criteria"

    page = client.get(f"/manage/contests/{SLUG}/criteria").get_data(as_text=True)
    # 10 + 1.5 × 10 + 10 + 10 + 10 + 5 = 60
    assert "Maximum possible total: 60 points" in page
    text = _text(page)
    assert [m for m in re.findall(r"\d\. (C\d) —", text)] == [c[0] for c in CRITERIA]
    assert "Weight 1.5" in text and "Step 0.5" in text and "Minimum to win 4" in text
    assert "Up to, in the total 15" in text
    assert "Involvement of residents" in page and "Що оцінюємо: залучення мешканців." in page
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == SLUG))
        assert contest.max_total == 60
        contest_id = contest.id
    assert _criteria(app, contest_id) == [
        ("C1", 10, 1, 1, 4),
        ("C2", 10, Decimal("1.5"), 1, None),
        ("C3", 10, 1, 1, None),
        ("C4", 10, 1, 1, None),
        ("C5", 10, 1, 1, None),
        ("C6", 5, 1, Decimal("0.5"), None),
    ]
    created = _audit(app, "criterion.created")
    assert [e.details["code"] for e in created] == [c[0] for c in CRITERIA]
    assert created[1].details["weight"] == "1.5" and created[0].actor_id == organiser
    dashboard = client.get(f"/manage/contests/{SLUG}").get_data(as_text=True)
    assert "6 criteria, maximum possible total 60 points" in dashboard


def test_fields_are_marked_invalid_only_when_they_are(client, build, organiser):
    build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="c")
    page = client.get("/manage/contests/c/criteria/new").get_data(as_text=True)
    code = re.search(r'<input [^>]*id="code"[^>]*>', page).group()
    assert "aria-invalid" not in code and 'aria-describedby="code-help"' in code
    title = re.search(r'<input [^>]*id="title_en"[^>]*>', page).group()
    assert "aria-invalid" not in title and "aria-describedby" not in title
    page = client.submit("/manage/contests/c/criteria/new", _criterion_form(code="")).get_data(
        as_text=True
    )
    code = re.search(r'<input [^>]*id="code"[^>]*>', page).group()
    assert 'aria-invalid="true"' in code and 'aria-describedby="code-help code-errors"' in code


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("code", {"code": "c1"}, "already has this code"),
        ("code", {"code": "К1"}, "latin letters"),  # a Cyrillic К
        ("min_points", {"min_points": "12"}, "cannot be greater than the maximum"),
        ("weight", {"weight": "0"}, "greater than 0"),
        ("weight", {"weight": "ten"}, "Enter a number"),
        ("step", {"step": "0.7"}, "Choose 1 or 0.5"),
        ("max_points", {"max_points": "7.5"}, "multiple of the step"),
        ("max_points", {"max_points": "-1"}, "greater than 0"),
        ("title_uk", {"title_uk": " "}, "required"),
    ],
)
def test_a_wrong_criterion_is_named_beside_its_field_and_nothing_is_saved(
    client, app, build, organiser, field, changes, message
):
    contest_id = build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="c")
    form = _criterion_form(**{"title_uk": "Сталість результатів", **changes})
    response = client.submit("/manage/contests/c/criteria/new", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in _errors(page, field)
    assert f'href="#{field}"' in page  # in the summary at the top
    assert 'value="Сталість результатів"' in page or field == "title_uk"  # what was typed stays
    assert [c[0] for c in _criteria(app, contest_id)] == ["C1", "C2"]
    assert _audit(app, "criterion.created") == []


def test_a_criterion_is_edited_and_the_change_audited(client, app, build, organiser):
    contest_id = build.contest(organisers=[organiser], stage=Stage.OPEN, slug="c")
    c2 = _criterion_id(app, contest_id, "C2")
    url = f"/manage/contests/c/criteria/{c2}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'value="C2"' in form and 'value="1.5"' in form and 'value="10"' in form
    edited = _criterion_form(code="C2", title_uk="Залучення мешканців", weight="2", min_points="3")
    duplicate = client.submit(url, {**edited, "code": "C1"}).get_data(as_text=True)
    assert "already has this code" in _errors(duplicate, "code")
    assert client.submit(url, edited).status_code == 302
    assert _criteria(app, contest_id)[1] == ("C2", 10, 2, 1, 3)
    (entry,) = _audit(app, "criterion.updated")
    assert sorted(entry.details["fields"]) == ["min_points", "weight"]
    assert entry.details["weight"] == ["1.5", "2"]
    client.submit(url, edited)
    assert len(_audit(app, "criterion.updated")) == 1  # nothing changed, nothing recorded


def test_the_order_of_criteria_is_the_order_on_the_public_page(client, app, build, organiser):
    contest_id = build.contest(organisers=[organiser], stage=Stage.OPEN, slug="c")
    public = _text(client.get("/contests/c").get_data(as_text=True))
    assert public.index("Актуальність") < public.index("Залучення мешканців")
    c1, c2 = (_criterion_id(app, contest_id, code) for code in ("C1", "C2"))

    page = client.get("/manage/contests/c/criteria").get_data(as_text=True)
    move_up = f'action="/manage/contests/c/criteria/{c2}/move"'
    assert move_up in page and f'action="/manage/contests/c/criteria/{c1}/move"' in page
    response = client.submit(f"/manage/contests/c/criteria/{c2}/move", {"direction": "up"})
    assert response.headers["Location"] == f"/manage/contests/c/criteria#criterion-{c2}"

    assert [c[0] for c in _criteria(app, contest_id)] == ["C2", "C1"]
    public = _text(client.get("/contests/c").get_data(as_text=True))
    assert public.index("Залучення мешканців") < public.index("Актуальність")
    page = _text(client.get("/manage/contests/c/criteria").get_data(as_text=True))
    assert page.index("1. C2") < page.index("2. C1")
    (entry,) = _audit(app, "criterion.moved")
    assert entry.details == {"code": "C2", "from_position": 2, "to_position": 1}
    # Already at the top: nothing moves, nothing is recorded.
    client.submit(f"/manage/contests/c/criteria/{c2}/move", {"direction": "up"})
    client.submit(f"/manage/contests/c/criteria/{c2}/move", {"direction": "sideways"})
    assert [c[0] for c in _criteria(app, contest_id)] == ["C2", "C1"]
    assert len(_audit(app, "criterion.moved")) == 1


def test_a_criterion_is_removed_after_confirmation(client, app, build, organiser):
    contest_id = build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="c")
    c2 = _criterion_id(app, contest_id, "C2")
    url = f"/manage/contests/c/criteria/{c2}/remove"
    assert f'href="{url}"' in client.get("/manage/contests/c/criteria").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "Remove the criterion C2?" in page and "Remove the criterion</button>" in page
    assert [c[0] for c in _criteria(app, contest_id)] == ["C1", "C2"]  # GET changes nothing
    assert client.submit(url).headers["Location"] == "/manage/contests/c/criteria"
    assert [c[0] for c in _criteria(app, contest_id)] == ["C1"]
    (entry,) = _audit(app, "criterion.removed")
    assert entry.details["code"] == "C2" and entry.object_id == str(c2)
    assert "Maximum possible total: 10 points" in client.get(
        "/manage/contests/c/criteria"
    ).get_data(as_text=True)


def test_a_scored_criterion_keeps_its_points_rules_and_its_place(client, app, build, organiser):
    contest_id = build.contest(organisers=[organiser], stage=Stage.SCREENING, slug="c")
    _score(app, build, contest_id, "C1")
    c1, c2 = (_criterion_id(app, contest_id, code) for code in ("C1", "C2"))

    page = client.get(f"/manage/contests/c/criteria/{c1}/remove").get_data(as_text=True)
    assert "Jurors have already given points on this criterion" in page
    assert "Remove the criterion</button>" not in page
    response = client.submit(f"/manage/contests/c/criteria/{c1}/remove")
    assert response.status_code == 409
    # The other criterion is unscored, but the contest's scores depend on it too.
    assert "already given points in this contest" in client.get(
        f"/manage/contests/c/criteria/{c2}/remove"
    ).get_data(as_text=True)
    assert client.submit(f"/manage/contests/c/criteria/{c2}/remove").status_code == 409
    assert [c[0] for c in _criteria(app, contest_id)] == ["C1", "C2"]

    url = f"/manage/contests/c/criteria/{c1}/edit"
    changed = _criterion_form(code="C1", title_uk="Актуальність", max_points="20", step="0.5")
    page = client.submit(url, changed).get_data(as_text=True)
    assert "Jurors have already given points" in _errors(page, "max_points")
    assert "Jurors have already given points" in _errors(page, "step")
    assert 'id="weight-errors"' not in page
    reworded = _criterion_form(code="C1", title_uk="Актуальність практики", min_points="5")
    assert client.submit(url, reworded).status_code == 302
    assert _criteria(app, contest_id)[0] == ("C1", 10, 1, 1, 5)

    page = client.get("/manage/contests/c/criteria").get_data(as_text=True)
    assert "already given points in this contest" in page
    assert "/move" not in page and "Add a criterion" not in page
    client.submit(f"/manage/contests/c/criteria/{c2}/move", {"direction": "up"})
    assert [c[0] for c in _criteria(app, contest_id)] == ["C1", "C2"]
    response = client.submit("/manage/contests/c/criteria/new", _criterion_form())
    assert "already given points in this contest" in response.get_data(as_text=True)
    assert len(_criteria(app, contest_id)) == 2
    for action in ("removed", "moved", "created"):
        assert _audit(app, f"criterion.{action}") == []


def test_once_judging_has_started_the_criteria_are_fixed(client, app, build, organiser):
    contest_id = build.contest(organisers=[organiser], stage=Stage.JUDGING, slug="c")
    c2 = _criterion_id(app, contest_id, "C2")
    page = client.get(f"/manage/contests/c/criteria/{c2}/remove").get_data(as_text=True)
    assert "Judging has started" in page
    assert client.submit(f"/manage/contests/c/criteria/{c2}/remove").status_code == 409
    page = client.submit(
        f"/manage/contests/c/criteria/{c2}/edit",
        _criterion_form(code="C2", title_uk="Залучення", weight="1"),
    ).get_data(as_text=True)
    assert "Judging has started" in _errors(page, "weight")
    assert _criteria(app, contest_id)[1] == ("C2", 10, Decimal("1.5"), 1, None)


# Application form


QUESTIONS = [
    _question_form("summary", "textarea", required="y", max_length="2000"),
    _question_form(
        "project_title", "text", label_uk="Назва практики", label_en="", max_length="150"
    ),
    _question_form(
        "residents",
        "number",
        label_uk="Кількість залучених мешканців",
        label_en="Residents involved",
        help_uk="Лише дорослі мешканці.",
        help_en="Adult residents only.",
        min_value="0",
        max_value="100000",
        required="y",
    ),
    _question_form(
        "applicant_type",
        "choice",
        label_uk="Хто подає",
        label_en="Who applies",
        choices="ngo | Громадська організація | NGO\ncouncil | Орган місцевого самоврядування\n"
        "Ініціативна група",
    ),
    _question_form("website", "url", label_uk="Сторінка практики", label_en="Web page"),
    _question_form(
        "evidence",
        "file",
        label_uk="Підтвердні матеріали",
        label_en="Supporting documents",
        file_types=["application/pdf"],
    ),
]


def _add_questions(client, slug: str, forms=QUESTIONS) -> None:
    for form in forms:
        response = client.submit(f"/manage/contests/{slug}/questions/new", form)
        assert response.status_code == 302, response.get_data(as_text=True)


def test_the_form_builder_makes_a_question_of_each_kind_and_previews_it(
    client, app, build, organiser
):
    contest_id = build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="c")
    dashboard = client.get("/manage/contests/c").get_data(as_text=True)
    assert 'href="/manage/contests/c/questions"' in dashboard
    assert 'href="/manage/contests/c/organisers"' in dashboard
    page = client.get("/manage/contests/c/questions/new").get_data(as_text=True)
    assert "value | Ukrainian label | English label" in page
    _add_questions(client, "c")

    with app.app_context():
        questions = db.session.scalars(
            select(Question).where(Question.contest_id == contest_id).order_by(Question.position)
        ).all()
        assert [q.kind for q in questions] == [
            QuestionKind.TEXTAREA,
            QuestionKind.TEXT,
            QuestionKind.NUMBER,
            QuestionKind.CHOICE,
            QuestionKind.URL,
            QuestionKind.FILE,
        ]
        summary, title, residents, choice, website, evidence = questions
        assert summary.required and summary.max_length == 2000
        assert title.max_length == 150 and not title.required
        assert (residents.min_value, residents.max_value) == (0, 100000)
        assert residents.max_length is None and residents.choices is None
        assert choice.choices == [
            {"value": "ngo", "uk": "Громадська організація", "en": "NGO"},
            {"value": "council", "uk": "Орган місцевого самоврядування", "en": ""},
            {"value": "Ініціативна група", "uk": "Ініціативна група", "en": ""},
        ]
        assert evidence.file_types == ["application/pdf"]
        assert website.max_length is None
        ids = {q.key: q.id for q in questions}
    assert [e.details["key"] for e in _audit(app, "question.created")] == [
        q["key"] for q in QUESTIONS
    ]

    listing = _text(client.get("/manage/contests/c/questions").get_data(as_text=True))
    assert "summary · Long text · required · At most 2000 characters." in listing
    assert "A number from 0 to 100,000." in listing

    preview = client.get("/manage/contests/c/questions/preview").get_data(as_text=True)
    field = f'id="q-{ids["summary"]}"'
    assert re.search(rf"<textarea [^>]*{field}[^>]*maxlength=\"2000\"", preview)
    assert f'<label class="form-label fw-semibold" for="q-{ids["summary"]}">Summary' in preview
    text_input = re.search(rf'<input [^>]*id="q-{ids["project_title"]}"[^>]*>', preview).group()
    assert 'type="text"' in text_input and 'maxlength="150"' in text_input
    assert "disabled" in text_input
    number = re.search(rf'<input [^>]*id="q-{ids["residents"]}"[^>]*>', preview).group()
    assert 'inputmode="decimal"' in number and "disabled" in number
    assert f'aria-describedby="q-{ids["residents"]}-help"' in number
    assert 'aria-required="true"' in number
    help_text = preview[preview.index(f'id="q-{ids["residents"]}-help"') :]
    assert help_text.startswith(
        f'id="q-{ids["residents"]}-help" class="form-text"><span class="prewrap">'
        "Adult residents only.</span> A number from 0 to 100,000."
    )
    # An optional choice: "No answer" first, then the options, in English where given.
    radios = re.findall(rf'name="q-{ids["applicant_type"]}" value="([^"]*)"', preview)
    assert radios == ["", "ngo", "council", "Ініціативна група"]
    assert ">NGO</label>" in preview and ">Орган місцевого самоврядування</label>" in preview
    url = re.search(rf'<input [^>]*id="q-{ids["website"]}"[^>]*>', preview).group()
    assert 'type="url"' in url
    upload = re.search(rf'<input [^>]*id="q-{ids["evidence"]}"[^>]*>', preview).group()
    assert 'type="file"' in upload and 'accept="application/pdf"' in upload
    assert "PDF, at most 10 MB per file." in preview
    # The label in the page's language: Ukrainian where no English was given.
    assert "Назва практики" in preview
    client.submit("/language", {"language": "uk", "next": "/"})
    preview = client.get("/manage/contests/c/questions/preview").get_data(as_text=True)
    assert "Короткий опис практики" in preview and "Лише дорослі мешканці." in preview


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("key", {"key": "1st answer"}, "latin letters, digits and underscores"),
        ("key", {"key": "опис"}, "latin letters, digits and underscores"),
        ("key", {"key": "Summary"}, "already has this key"),
        ("label_uk", {"label_uk": ""}, "required"),
        ("kind", {"kind": "date"}, "Not a valid choice"),
        ("max_length", {"max_length": "0"}, "whole number from 1 to 100000"),
        ("max_value", {"kind": "number", "min_value": "10", "max_value": "5"}, "less than"),
        ("min_value", {"kind": "number", "min_value": "1,234"}, "two digits"),
        ("choices", {"kind": "choice", "choices": "one"}, "at least two options"),
        ("choices", {"kind": "choice", "choices": "a|A\na|B"}, "«a» is used twice"),
        ("choices", {"kind": "choice", "choices": "a|b|c|d\nx"}, "Line 1"),
        ("file_types", {"kind": "file", "file_types": ["text/html"]}, "Choose from the options"),
    ],
)
def test_a_wrong_question_is_named_beside_its_field_and_nothing_is_saved(
    client, app, build, organiser, field, changes, message
):
    contest_id = build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="c")
    _add_questions(client, "c", QUESTIONS[:1])
    form = _question_form(**{"key": "budget", "label_uk": "Бюджет проєкту", **changes})
    response = client.submit("/manage/contests/c/questions/new", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in _errors(page, field)
    with app.app_context():
        keys = db.session.scalars(select(Question.key).where(Question.contest_id == contest_id))
        assert list(keys) == ["summary"]


def test_limits_of_another_kind_are_not_kept(client, app, build, organiser):
    contest_id = build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="c")
    form = _question_form("site", "url", max_length="10", min_value="x", choices="one")
    assert client.submit("/manage/contests/c/questions/new", form).status_code == 302
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.contest_id == contest_id))
        assert question.max_length is None and question.choices is None


def _open_form_contest(app, build, organiser, stage=Stage.OPEN) -> tuple[int, dict]:
    contest_id = build.contest(organisers=[organiser], stage=stage, slug="c")
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        contest.questions = [
            Question(
                key="summary",
                label_uk="Опис",
                kind=QuestionKind.TEXTAREA,
                max_length=2000,
                position=0,
            ),
            Question(
                key="residents",
                label_uk="Мешканці",
                kind=QuestionKind.NUMBER,
                min_value=Decimal(0),
                max_value=Decimal(1000),
                position=1,
            ),
            Question(
                key="kind",
                label_uk="Хто подає",
                kind=QuestionKind.CHOICE,
                choices=[
                    {"value": "ngo", "uk": "ГО", "en": ""},
                    {"value": "council", "uk": "ОМС", "en": ""},
                ],
                position=2,
            ),
        ]
        db.session.commit()
        return contest_id, {q.key: q.id for q in contest.questions}


def test_an_open_contest_keeps_its_form_valid_for_submitted_applications(
    client, app, build, organiser
):
    contest_id, ids = _open_form_contest(app, build, organiser)
    listing = client.get("/manage/contests/c/questions").get_data(as_text=True)
    assert "The contest has opened" in listing and "/remove" not in listing

    page = client.get(f"/manage/contests/c/questions/{ids['summary']}/remove")
    assert "removing it would lose their answers" in page.get_data(as_text=True)
    assert client.submit(f"/manage/contests/c/questions/{ids['summary']}/remove").status_code == 409

    summary = _question_form("summary", "textarea", label_uk="Опис", max_length="2000")
    url = f"/manage/contests/c/questions/{ids['summary']}/edit"
    for field, changes in (
        ("required", {"required": "y"}),
        ("max_length", {"max_length": "1000"}),
        ("key", {"key": "description"}),
        ("kind", {"kind": "text"}),
    ):
        page = client.submit(url, {**summary, **changes}).get_data(as_text=True)
        assert "submitted application valid" in _errors(page, field), field
    residents = _question_form(
        "residents", "number", label_uk="Мешканці", min_value="0", max_value="1000"
    )
    page = client.submit(
        f"/manage/contests/c/questions/{ids['residents']}/edit",
        {**residents, "min_value": "1", "max_value": ""},  # narrower below, wider above
    ).get_data(as_text=True)
    assert 'id="min_value-errors"' in page and 'id="max_value-errors"' not in page
    choice = _question_form(
        "kind", "choice", label_uk="Хто подає", label_en="", choices="ngo|ГО\ncouncil|ОМС"
    )
    page = client.submit(
        f"/manage/contests/c/questions/{ids['kind']}/edit", {**choice, "choices": "ngo|ГО\nx|Y"}
    ).get_data(as_text=True)
    assert "submitted application valid" in _errors(page, "choices")
    page = client.submit(
        "/manage/contests/c/questions/new", _question_form("budget", "number", required="y")
    ).get_data(as_text=True)
    assert "can only be optional" in _errors(page, "required")
    assert _audit(app, "question.updated") == [] and _audit(app, "question.created") == []

    # Wording, wider limits, new options, reordering and optional questions are welcome.
    reworded = {**summary, "label_uk": "Опис практики", "label_en": "Summary", "max_length": "3000"}
    assert client.submit(url, reworded).status_code == 302
    more = {**choice, "choices": "ngo|Громадська організація|NGO\ncouncil|ОМС\ngroup|Група"}
    assert (
        client.submit(f"/manage/contests/c/questions/{ids['kind']}/edit", more).status_code == 302
    )
    assert (
        client.submit(
            f"/manage/contests/c/questions/{ids['kind']}/move", {"direction": "up"}
        ).status_code
        == 302
    )
    assert (
        client.submit(
            "/manage/contests/c/questions/new", _question_form("budget", "number")
        ).status_code
        == 302
    )
    with app.app_context():
        questions = db.session.scalars(
            select(Question).where(Question.contest_id == contest_id).order_by(Question.position)
        ).all()
        assert [q.key for q in questions] == ["summary", "kind", "residents", "budget"]
        assert questions[0].label_uk == "Опис практики" and questions[0].max_length == 3000
        assert [o["value"] for o in questions[1].choices] == ["ngo", "council", "group"]
    assert [e.details["fields"] for e in _audit(app, "question.updated")] == [
        ["label_uk", "label_en", "max_length"],
        ["choices"],
    ]
    assert _audit(app, "question.moved")[0].details == {
        "key": "kind",
        "from_position": 3,
        "to_position": 2,
    }


def test_a_draft_question_is_removed_after_confirmation(client, app, build, organiser):
    contest_id, ids = _open_form_contest(app, build, organiser, stage=Stage.DRAFT)
    url = f"/manage/contests/c/questions/{ids['residents']}/remove"
    assert "Remove the question «residents»?" in client.get(url).get_data(as_text=True)
    assert client.submit(url).headers["Location"] == "/manage/contests/c/questions"
    with app.app_context():
        keys = db.session.scalars(
            select(Question.key)
            .where(Question.contest_id == contest_id)
            .order_by(Question.position)
        )
        assert list(keys) == ["summary", "kind"]
    assert _audit(app, "question.removed")[0].details == {
        "key": "residents",
        "label_uk": "Мешканці",
    }


def test_the_question_macro_shows_errors_beside_the_field(app, build, organiser):
    contest_id, ids = _open_form_contest(app, build, organiser)
    with app.test_request_context():
        question = db.session.get(Question, ids["kind"])
        template = app.jinja_env.from_string(
            '{% from "_macros/questions.html" import question_field %}'
            "{{ question_field(question, 'council', ['Choose one of the options.']) }}"
        )
        html = template.render(question=question)
    fieldset = re.search(r"<fieldset [^>]*>", html).group()
    assert f'aria-describedby="q-{ids["kind"]}-errors"' in fieldset
    assert 'aria-invalid="true"' not in fieldset  # on the radios, not on the group
    assert re.search(r'value="council" data-autosave checked', html)
    assert f'id="q-{ids["kind"]}-errors" class="invalid-feedback d-block"' in html
    assert "Choose one of the options." in html and " disabled" not in html


# Co-organisers


def test_an_existing_organiser_is_added_at_once(client, app, build, organiser):
    contest_id = build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="c")
    colleague = build.user(Role.ORGANISER, email="colleague@example.org", name="Олег Ткаченко")
    page = client.get("/manage/contests/c/organisers").get_data(as_text=True)
    assert ORGANISER in page and "Stop organising" not in page  # the only organiser

    response = client.submit(
        "/manage/contests/c/organisers", {"email": " Colleague@Example.org", "name": ""}
    )
    assert response.headers["Location"] == "/manage/contests/c/organisers"
    page = client.get("/manage/contests/c/organisers").get_data(as_text=True)
    assert "Олег Ткаченко is now an organiser of the contest." in page
    assert "colleague@example.org" in page
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        assert sorted(u.id for u in contest.organisers) == sorted([organiser, colleague])
    (entry,) = _audit(app, "contest.organiser_added")
    assert entry.actor_id == organiser and entry.object_id == str(colleague)

    page = client.submit(
        "/manage/contests/c/organisers", {"email": "colleague@example.org"}
    ).get_data(as_text=True)
    assert "already organises the contest" in _errors(page, "email")
    build.user(Role.JUROR, email="juror@example.org")
    page = client.submit("/manage/contests/c/organisers", {"email": "juror@example.org"}).get_data(
        as_text=True
    )
    assert "another role" in _errors(page, "email")
    page = client.submit("/manage/contests/c/organisers", {"email": "not an address"}).get_data(
        as_text=True
    )
    assert "name@example.org" in _errors(page, "email")
    assert len(_audit(app, "contest.organiser_added")) == 1

    client.submit("/logout")
    client.login("colleague@example.org")
    assert client.get("/manage/contests/c").status_code == 200


def test_a_new_organiser_is_invited_and_joins_through_the_link(
    client, app, build, organiser, outbox
):
    contest_id = build.contest(
        organisers=[organiser], stage=Stage.DRAFT, slug="c", title_uk="Успішна участь громади"
    )
    response = client.submit(
        "/manage/contests/c/organisers", {"email": "new@example.org", "name": "Марія Коваль"}
    )
    assert response.status_code == 302
    page = client.get("/manage/contests/c/organisers").get_data(as_text=True)
    assert "an invitation is sent to new@example.org" in page
    assert "Invitations not yet accepted" in page and "new@example.org" in page
    (message,) = outbox()
    assert message["To"] == "new@example.org"
    body = message.get_content()
    assert body.startswith("Шановна пані Маріє!")  # greeted by name, in the vocative
    assert "до організаторів конкурсу «Успішна участь громади»" in body
    link = re.search(r"http://127.0.0.1:5000(/invitations/\S+)", body).group(1)
    assert [e.details for e in _audit(app, "invitation.created")] == [{"role": "organiser"}]

    client.submit("/logout")
    response = client.post(
        link,
        data={
            "csrf_token": client.csrf_token(link),
            "name": "Марія Коваль",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get("/manage/contests/c").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.org"))
        assert user.role == Role.ORGANISER
        assert user in db.session.get(Contest, contest_id).organisers
    page = client.get("/manage/contests/c/organisers").get_data(as_text=True)
    assert "Invitations not yet accepted" not in page


def test_organisers_are_removed_after_confirmation_but_never_the_last(
    client, app, build, organiser
):
    colleague = build.user(Role.ORGANISER, email="colleague@example.org", name="Олег Ткаченко")
    contest_id = build.contest(organisers=[organiser, colleague], stage=Stage.DRAFT, slug="c")
    url = f"/manage/contests/c/organisers/{colleague}/remove"
    assert f'href="{url}"' in client.get("/manage/contests/c/organisers").get_data(as_text=True)
    assert "Remove Олег Ткаченко from the organisers?" in client.get(url).get_data(as_text=True)
    assert client.submit(url).headers["Location"] == "/manage/contests/c/organisers"
    (entry,) = _audit(app, "contest.organiser_removed")
    assert entry.object_id == str(colleague) and entry.actor_id == organiser

    own = f"/manage/contests/c/organisers/{organiser}/remove"
    page = client.get(own).get_data(as_text=True)
    assert "needs at least one organiser" in page and "Stop organising</button>" not in page
    assert client.submit(own).status_code == 409
    with app.app_context():
        assert [u.id for u in db.session.get(Contest, contest_id).organisers] == [organiser]
    assert client.get(url).status_code == 404  # no longer an organiser of the contest

    # With a colleague back, an organiser may leave; the contest is then out of reach.
    client.submit("/manage/contests/c/organisers", {"email": "colleague@example.org"})
    assert "Stop organising this contest?" in client.get(own).get_data(as_text=True)
    assert client.submit(own).headers["Location"] == "/manage/contests"
    assert client.get("/manage/contests/c").status_code == 404
    with app.app_context():
        assert [u.id for u in db.session.get(Contest, contest_id).organisers] == [colleague]


# Access


def _routes(app, contest_id: int, organiser_id: int) -> tuple[list[str], list[tuple]]:
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        contest.questions = [
            Question(key="summary", label_uk="Опис", kind=QuestionKind.TEXTAREA, position=0)
        ]
        db.session.commit()
        criterion = contest.criteria[0].id
        question = contest.questions[0].id
    base = f"/manage/contests/{contest.slug}"
    pages = [
        f"{base}/criteria",
        f"{base}/criteria/new",
        f"{base}/criteria/{criterion}/edit",
        f"{base}/criteria/{criterion}/remove",
        f"{base}/questions",
        f"{base}/questions/new",
        f"{base}/questions/preview",
        f"{base}/questions/{question}/edit",
        f"{base}/questions/{question}/remove",
        f"{base}/organisers",
        f"{base}/organisers/{organiser_id}/remove",
    ]
    writes = [
        (f"{base}/criteria/new", _criterion_form()),
        (f"{base}/criteria/{criterion}/edit", _criterion_form(code="C1")),
        (f"{base}/criteria/{criterion}/remove", {}),
        (f"{base}/criteria/{criterion}/move", {"direction": "down"}),
        (f"{base}/questions/new", _question_form("other")),
        (f"{base}/questions/{question}/edit", _question_form("summary")),
        (f"{base}/questions/{question}/remove", {}),
        (f"{base}/questions/{question}/move", {"direction": "down"}),
        (f"{base}/organisers", {"email": ORGANISER}),
        (f"{base}/organisers/{organiser_id}/remove", {}),
    ]
    return pages, writes


def test_another_organisers_contest_is_404_on_every_route(client, app, build, organiser):
    other = build.user(Role.ORGANISER, email="other@example.org")
    colleague = build.user(Role.ORGANISER, email="colleague@example.org")
    theirs = build.contest(organisers=[other, colleague], stage=Stage.DRAFT, slug="theirs")
    mine = build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="mine")
    pages, writes = _routes(app, theirs, other)
    for url in pages:
        assert client.get(url).status_code == 404, url
    for url, data in writes:
        assert client.submit(url, data).status_code == 404, url
    # Objects of another contest are not reachable through one's own contest either.
    for url in pages:
        if re.search(r"/\d+/", url):
            own_url = url.replace("/theirs/", "/mine/")
            assert client.get(own_url).status_code == 404, own_url
    with app.app_context():
        contest = db.session.get(Contest, theirs)
        assert len(contest.criteria) == 2 and len(contest.questions) == 1
        assert sorted(u.id for u in contest.organisers) == sorted([other, colleague])
        assert organiser not in [u.id for u in contest.organisers]
    assert mine and _audit(app, "criterion.moved") == []


def test_jurors_get_403_and_visitors_the_login_page(client, app, build):
    organiser_id = build.user(Role.ORGANISER)
    build.user(Role.JUROR, email="juror@example.org")
    contest_id = build.contest(organisers=[organiser_id], stage=Stage.DRAFT, slug="c")
    pages, writes = _routes(app, contest_id, organiser_id)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    client.login("juror@example.org")
    for url in pages:
        assert client.get(url).status_code == 403, url
    for url, data in writes:
        assert client.submit(url, data).status_code == 403, url


def test_a_post_without_csrf_token_is_refused(client, app, build, organiser):
    colleague = build.user(Role.ORGANISER, email="colleague@example.org")
    contest_id = build.contest(organisers=[organiser, colleague], stage=Stage.DRAFT, slug="c")
    _pages, writes = _routes(app, contest_id, colleague)
    for url, data in writes:
        assert client.post(url, data=data).status_code == 400, url
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        assert [c.code for c in contest.criteria] == ["C1", "C2"]
        assert [q.key for q in contest.questions] == ["summary"]
        assert len(contest.organisers) == 2
    assert _audit(app, "criterion.created") == []


def test_an_option_with_markup_is_named_as_text_in_its_error(client, build, organiser):
    build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="c")
    twice = "<img src=x onerror=alert(1)>"
    form = _question_form(
        **{"key": "budget", "label_uk": "Бюджет", "kind": "choice", "choices": f"{twice}\n{twice}"}
    )
    page = client.submit("/manage/contests/c/questions/new", form).get_data(as_text=True)
    assert "«&lt;img src=x onerror=alert(1)&gt;» is used twice" in page
    assert "<img src=x" not in page.split("</textarea>")[-1]  # the textarea keeps it as text
