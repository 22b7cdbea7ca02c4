"""import-contest, export-contest and import-applications on the command line (SPEC §4, §9).

The commands run in English here (``BABEL_DEFAULT_LOCALE``), so the assertions hold
before and after the Ukrainian catalogue has the new messages.
"""

import copy
import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from scoring import edrpou
from scoring.extensions import db
from scoring.models import (
    Application,
    ApplicationState,
    AuditEntry,
    Category,
    Contest,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Question,
    Role,
    Stage,
    User,
)

ORGANISER = "organiser@demo.example"

# The example of SPEC §4, as written there.
SPEC_EXAMPLE = """{
  "format": "scoring.contest/1",
  "slug": "uspishna-uchast-2024",
  "title": {"uk": "Успішна участь громади", "en": "Successful Community Participation"},
  "description": {"uk": "...", "en": "..."},
  "applicant_kinds": ["community", "ngo"],
  "oblasts": ["UA-12", "UA-14", "UA-23", "UA-35", "UA-51", "UA-48", "UA-63"],
  "opens_at": "2024-03-01T09:00:00+02:00",
  "closes_at": "2024-03-31T18:00:00+03:00",
  "winners": 5,
  "categories": [],
  "scoring": {"aggregation": "mean", "normalise": "none", "jurors_per_application": 0,
              "quorum": 2, "divergence_threshold": 0.3, "min_total": 0,
              "max_winners_per_oblast": null, "blind": false},
  "criteria": [
    {"code": "C1", "title": {"uk": "Актуальність", "en": "Relevance"},
     "guidance": {"uk": "...", "en": "..."}, "max_points": 10, "weight": 1, "step": 1,
     "min_points": null}
  ],
  "questions": [
    {"key": "summary", "label": {"uk": "Короткий опис", "en": "Summary"},
     "kind": "textarea", "required": true, "max_length": 2000}
  ]
}"""

# Every field of the format and of our extensions set, with fractions where they may be.
FULL = {
    "format": "scoring.contest/1",
    "slug": "biudzhet-uchasti-2027",
    "title": {"uk": "Бюджет участі 2027", "en": "Participatory budget 2027"},
    "description": {"uk": "Опис «з лапками»", "en": "Description"},
    "applicant_kinds": ["ngo", "community"],
    "oblasts": [],
    "opens_at": "2027-03-01T09:00:00+02:00",
    "closes_at": "2027-07-31T18:00:00+03:00",
    "winners": 5,
    "categories": [
        {"code": "ngo", "title": {"uk": "ГО", "en": "NGOs"}, "winners": 3},
        {"code": "community", "title": {"uk": "Громади", "en": ""}, "winners": 2},
    ],
    "scoring": {
        "aggregation": "trimmed_mean",
        "normalise": "zscore",
        "jurors_per_application": 3,
        "quorum": 3,
        "divergence_threshold": 0.25,
        "min_total": 12.5,
        "max_winners_per_oblast": 2,
        "blind": True,
    },
    "criteria": [
        {
            "code": "K1",
            "title": {"uk": "Готовність", "en": "Commitment"},
            "guidance": {"uk": "Що оцінювати", "en": ""},
            "max_points": 7.5,
            "weight": 0.3333,
            "step": 0.5,
            "min_points": 4.5,
        },
        {
            "code": "K2",
            "title": {"uk": "Досвід", "en": "Experience"},
            "guidance": {"uk": "", "en": ""},
            "max_points": 10,
            "weight": 2,
            "step": 1,
            "min_points": None,
        },
    ],
    "questions": [
        {
            "key": "kind_of_practice",
            "label": {"uk": "Вид практики", "en": "Kind of practice"},
            "help": {"uk": "Оберіть одне", "en": "Choose one"},
            "kind": "choice",
            "required": True,
            "choices": [
                {"value": "budget", "uk": "Бюджет участі", "en": "Participatory budget"},
                {"value": "petition", "uk": "Е-петиції", "en": ""},
            ],
        },
        {
            "key": "budget_total",
            "label": {"uk": "Кошторис, грн", "en": "Budget, UAH"},
            "help": {"uk": "", "en": ""},
            "kind": "number",
            "required": False,
            "min_value": 0.5,
            "max_value": 100000.25,
        },
        {
            "key": "decision",
            "label": {"uk": "Рішення", "en": "Decision"},
            "help": {"uk": "", "en": ""},
            "kind": "file",
            "required": True,
            "file_types": ["application/pdf"],
        },
    ],
    "rules": {"uk": "Правила", "en": "Rules"},
    "organising_body": "Асоціація громад",
    "number_prefix": "BU27",
    "conflicts": {"same_oblast": True, "same_community": False},
    "results": {"full_ranking": False},
    "jury": {"two_factor": True},
    "attachments": {
        "types": ["application/pdf", "image/png", "application/zip"],
        "max_file_size": 5242880,
        "max_total_size": 20971520,
    },
    "after_results": {"feedback": "comments", "appeal_days": 10, "appeal_answer_days": 7},
}


@pytest.fixture
def app(make_app):
    return make_app(BABEL_DEFAULT_LOCALE="en")


def _write(tmp_path, document, name="contest.json") -> str:
    path = tmp_path / name
    if isinstance(document, bytes):
        path.write_bytes(document)
    elif isinstance(document, str):
        path.write_text(document, encoding="utf-8")
    else:
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _export(runner, slug: str) -> dict:
    result = runner.invoke(args=["export-contest", slug])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()


def _counts(app) -> dict:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Contest, Organisation, User, Application, AuditEntry)
        }


def _demo_slug(runner, app) -> str:
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        return db.session.scalar(select(Contest.slug).where(Contest.stage == Stage.JUDGING))


# export-contest and import-contest ------------------------------------------------------


def test_the_demo_contest_exported_and_imported_under_another_slug_exports_the_same(
    runner, app, tmp_path
):
    slug = _demo_slug(runner, app)
    exported = _export(runner, slug)
    assert list(exported)[:13] == [
        "format",
        "slug",
        "title",
        "description",
        "applicant_kinds",
        "oblasts",
        "opens_at",
        "closes_at",
        "winners",
        "categories",
        "scoring",
        "criteria",
        "questions",
    ]
    assert exported["format"] == "scoring.contest/1" and exported["slug"] == slug
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT09:00:00\+0[23]:00", exported["opens_at"])
    assert exported["scoring"] == {
        "aggregation": "mean",
        "normalise": "none",
        "jurors_per_application": 0,
        "quorum": 2,
        "divergence_threshold": 0.3,
        "min_total": 0,
        "max_winners_per_oblast": None,
        "blind": False,
    }
    assert [c["code"] for c in exported["criteria"]] == ["C1", "C2", "C3", "C4", "C5", "C6"]
    assert exported["criteria"][1]["weight"] == 1.5 and exported["criteria"][5]["step"] == 0.5
    assert isinstance(exported["criteria"][0]["max_points"], int)
    assert exported["questions"][0] == {
        "key": "summary",
        "label": {"uk": "Короткий опис практики", "en": "Summary of the practice"},
        "help": {"uk": "", "en": ""},
        "kind": "textarea",
        "required": True,
        "max_length": 2000,
    }
    assert exported["number_prefix"] == "UUG" and exported["organising_body"] == "Хаб участі"
    assert "Кожну заявку оцінюють" in exported["rules"]["uk"]

    template = {**exported, "slug": "uspishna-uchast-next"}
    result = runner.invoke(
        args=["import-contest", _write(tmp_path, template), "--organiser", ORGANISER]
    )
    assert result.exit_code == 0, result.output
    assert (
        "uspishna-uchast-next" in result.output
        and "(criteria: 6, questions of the application form: 4, categories: 0)" in result.output
    )
    assert "same prefix UUG" in result.output  # the two contests would share numbers

    assert _export(runner, "uspishna-uchast-next") == template
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == "uspishna-uchast-next"))
        assert contest.stage == Stage.DRAFT and contest.last_number == 0
        assert [u.email for u in contest.organisers] == [ORGANISER]
        assert contest.jury == []
    (imported,) = _audit(app, "contest.imported")
    assert imported.details["slug"] == "uspishna-uchast-next"
    assert imported.details["criteria"] == 6 and imported.details["questions"] == 4


def test_the_example_document_of_the_spec_creates_its_criteria_and_questions(
    runner, app, tmp_path, build
):
    build.user(Role.ORGANISER, email="chair@example.org")
    result = runner.invoke(
        args=["import-contest", _write(tmp_path, SPEC_EXAMPLE), "--organiser", "Chair@Example.org"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == "uspishna-uchast-2024"))
        assert contest.title_uk == "Успішна участь громади" and contest.stage == Stage.DRAFT
        assert contest.opens_at == datetime(2024, 3, 1, 7, 0, tzinfo=UTC)
        assert contest.closes_at == datetime(2024, 3, 31, 15, 0, tzinfo=UTC)
        assert contest.oblasts == ["UA-12", "UA-14", "UA-23", "UA-35", "UA-51", "UA-48", "UA-63"]
        assert contest.divergence_threshold == Decimal("0.3") and contest.quorum == 2
        (criterion,) = contest.criteria
        assert (criterion.code, criterion.title_en, criterion.guidance_uk) == (
            "C1",
            "Relevance",
            "...",
        )
        assert (criterion.max_points, criterion.weight, criterion.step) == (10, 1, 1)
        assert criterion.min_points is None
        (question,) = contest.questions
        assert (question.key, question.kind.value, question.required) == (
            "summary",
            "textarea",
            True,
        )
        assert question.max_length == 2000 and question.label_en == "Summary"
        # What the example leaves out takes the defaults of a contest made in the browser.
        assert contest.number_prefix == "UU" and contest.organising_body == "Хаб участі"
        assert contest.results_full_ranking and contest.categories == []
        assert [u.email for u in contest.organisers] == ["chair@example.org"]


def test_every_field_survives_the_round_trip_exactly(runner, app, tmp_path):
    result = runner.invoke(args=["import-contest", _write(tmp_path, FULL)])
    assert result.exit_code == 0, result.output
    assert "criteria: 2, questions of the application form: 3, categories: 2" in result.output
    assert "Nobody manages it in the browser" in result.output
    assert _export(runner, FULL["slug"]) == FULL
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == FULL["slug"]))
        assert contest.criteria[0].weight == Decimal("0.3333")
        assert contest.criteria[0].max_points == Decimal("7.5")
        assert contest.min_total == Decimal("12.5") and contest.normalise.value == "zscore"
        assert [c.code for c in contest.categories] == ["ngo", "community"]
        number = db.session.scalar(select(Question).where(Question.key == "budget_total"))
        assert number.max_value == Decimal("100000.25")
    text = runner.invoke(args=["export-contest", FULL["slug"]]).stdout
    assert '"uk": "Бюджет участі 2027"' in text  # UTF-8, not \u escapes
    assert '\n  "slug"' in text  # indented by two


def _with(change):
    document = copy.deepcopy(FULL)
    change(document)
    return document


def _set(path, value):
    def change(document):
        *parents, last = path
        target = document
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def _drop(path):
    def change(document):
        *parents, last = path
        target = document
        for key in parents:
            target = target[key]
        del target[last]

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set(["format"], "scoring.contest/2"), "format: must be “scoring.contest/1”"),
        (_drop(["title"]), "title: is required"),
        (_set(["title", "uk"], "  "), "title.uk: must not be empty"),
        (_drop(["opens_at"]), "opens_at: is required"),
        (_drop(["criteria", 1, "max_points"]), "criteria[1].max_points: is required"),
        (_set(["slug"], "Uspishna Uchast"), "slug: use lowercase latin letters"),
        (_set(["slug"], "new"), "slug: this address is reserved"),
        (_set(["criteria", 1, "code"], "K1"), "criteria[1].code: “K1” is already used in"),
        (_set(["criteria", 0, "code"], "k 1"), "criteria[0].code: use up to 20 latin capital"),
        (
            _set(["questions", 2, "key"], "budget_total"),
            "questions[2].key: “budget_total” is already used in questions[1].key",
        ),
        (_set(["categories", 1, "code"], "ngo"), "categories[1].code: “ngo” is already used"),
        (_set(["criteria", 1, "step"], 0.25), "criteria[1].step: must be 1 or 0.5"),
        (_set(["criteria", 1, "step"], 2), "criteria[1].step: must be 1 or 0.5"),
        (_set(["criteria", 1, "max_points"], 0), "criteria[1].max_points: must be greater than 0"),
        (_set(["criteria", 1, "max_points"], 9.5), "criteria[1].max_points: must be a multiple"),
        (_set(["criteria", 1, "max_points"], "10"), "criteria[1].max_points: must be a number"),
        (_set(["criteria", 0, "weight"], 0), "criteria[0].weight: must be greater than 0"),
        (_set(["criteria", 0, "weight"], -1.5), "criteria[0].weight: must be greater than 0"),
        (_set(["criteria", 0, "weight"], 0.12345), "criteria[0].weight: must have at most 4"),
        (_set(["criteria", 0, "min_points"], 8), "criteria[0].min_points: must not exceed"),
        (_set(["criteria", 0, "weigth"], 1), "criteria[0].weigth: unknown field"),
        (_set(["opens_at"], "2027-03-01T09:00:00"), "opens_at: must be a date and time"),
        (_set(["opens_at"], "1 March 2027"), "opens_at: must be a date and time"),
        (_set(["closes_at"], "2027-03-01T09:00:00+02:00"), "closes_at: must be later than"),
        (_set(["oblasts"], ["UA-63", "UA-99"]), "oblasts[1]: unknown oblast code “UA-99”"),
        (_set(["oblasts"], ["UA-63", "UA-63"]), "oblasts[1]: “UA-63” is already used"),
        (_set(["oblasts"], "UA-63"), "oblasts: must be a list"),
        (_set(["applicant_kinds"], ["ngo", "club"]), "applicant_kinds[1]: must be one of"),
        (_set(["applicant_kinds"], []), "applicant_kinds: name at least one"),
        (_set(["scoring", "aggregation"], "max"), "scoring.aggregation: must be one of: mean"),
        (_set(["scoring", "normalise"], "minmax"), "scoring.normalise: must be one of: none"),
        (_set(["scoring", "quorum"], 0), "scoring.quorum: must be a whole number from 1"),
        (_set(["scoring", "divergence_threshold"], 1.5), "scoring.divergence_threshold: must be"),
        (_set(["scoring", "blind"], "yes"), "scoring.blind: must be true or false"),
        (_set(["winners"], 0), "winners: must be a whole number from 1 to 1000"),
        (_set(["winners"], True), "winners: must be a whole number from 1 to 1000"),
        (_set(["categories", 0, "winners"], 0), "categories[0].winners: must be a whole"),
        (_set(["number_prefix"], "uu-g"), "number_prefix: use from 2 to 12 latin capital"),
        (_drop(["questions", 0, "choices"]), "questions[0].choices: give from 1 to 100"),
        (_set(["questions", 1, "max_length"], 10), "questions[1].max_length: applies only to"),
        (_set(["questions", 1, "max_value"], 0), "questions[1].max_value: must not be less"),
        (_set(["questions", 2, "kind"], "essay"), "questions[2].kind: must be one of: text"),
        (_drop(["questions", 2, "kind"]), "questions[2].kind: is required"),
        (_set(["questions", 2, "file_types"], ["image/gif"]), "questions[2].file_types[0]:"),
        (_set(["attachments", "max_total_size"], 1), "attachments.max_total_size: must not be"),
        (_set(["criteria"], {"C1": {}}), "criteria: must be a list"),
        (_set(["criteria"], [[]]), "criteria[0]: must be an object"),
        (_set(["title", "en"], "Nul\x00"), "title.en: must not contain the NUL character"),
        (_set(["title", "uk"], "Конкурс\r\nBcc: x@example.org"), "title.uk: must be one line"),
        (_set(["criteria", 0, "title", "uk"], "Якість\nпроєкту"), "criteria[0].title.uk: must be"),
        (_set(["opens_at"], "0001-01-01T00:00:00+02:00"), "opens_at: must be a date and time"),
        (_set(["winners"], 1e300), "winners: must be a whole number from 1 to 1000"),
        (_set(["scoring", "min_total"], 1e-30), "scoring.min_total: must have at most 2"),
    ],
)
def test_a_wrong_document_is_refused_with_the_place_of_the_problem(
    runner, app, tmp_path, change, message
):
    before = _counts(app)
    result = runner.invoke(args=["import-contest", _write(tmp_path, _with(change))])
    assert result.exit_code == 1
    assert "Error: The contest is not imported:" in result.output
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    assert _counts(app) == before


def test_every_problem_of_a_document_is_listed_at_once(runner, app, tmp_path, build):
    build.contest(slug=FULL["slug"])
    document = _with(_set(["criteria", 1, "step"], 0.25))
    document["oblasts"] = ["UA-99"]
    document["scoring"]["min_total"] = float("nan")
    path = tmp_path / "contest.json"
    path.write_text(json.dumps(document, ensure_ascii=False))  # writes NaN, as some tools do
    before = _counts(app)
    result = runner.invoke(args=["import-contest", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "Error: The contest is not imported:"
    assert lines[1:] == [
        "  slug: another contest already has this slug",
        "  oblasts[0]: unknown oblast code “UA-99”",
        "  scoring.min_total: must be a number",
        "  criteria[1].step: must be 1 or 0.5",
    ]
    assert _counts(app) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"format": "scoring.contest/1",}', "The file is not valid JSON: Expecting property"),
        (b"", "The file is not valid JSON"),
        ('{"title": "Конкурс"}'.encode("cp1251"), "The file is not in UTF-8"),
        (b"[1, 2]", "The document must be a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "The file is not valid JSON"),
        (b'{"winners": ' + b"9" * 5000 + b"}", "The file is not valid JSON"),
    ],
)
def test_a_file_that_is_not_a_json_document_is_a_clear_error(
    runner, app, tmp_path, content, message
):
    result = runner.invoke(args=["import-contest", _write(tmp_path, content)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert _counts(app)["Contest"] == 0


def test_a_missing_file_and_an_unknown_contest_are_clear_errors(runner, tmp_path):
    missing = runner.invoke(args=["import-contest", str(tmp_path / "nowhere.json")])
    assert missing.exit_code == 1 and "Cannot read" in missing.output
    assert "No such file" in missing.output
    unknown = runner.invoke(args=["export-contest", "no-such-contest"])
    assert unknown.exit_code == 1 and "no-such-contest" in unknown.output
    csv_for_unknown = runner.invoke(
        args=["import-applications", "no-such-contest", str(tmp_path / "a.csv")]
    )
    assert csv_for_unknown.exit_code == 1 and "no-such-contest" in csv_for_unknown.output


def test_the_named_organisers_must_exist_and_be_organisers(runner, app, tmp_path, build):
    build.user(Role.JUROR, email="juror@example.org")
    build.user(Role.ORGANISER, email="chair@example.org")
    before = _counts(app)
    result = runner.invoke(
        args=[
            "import-contest",
            _write(tmp_path, FULL),
            "--organiser",
            "chair@example.org",
            "--organiser",
            "nobody@example.org",
            "--organiser",
            "juror@example.org",
        ]
    )
    assert result.exit_code == 1
    assert "--organiser nobody@example.org: there is no user with this e-mail" in result.output
    assert "--organiser juror@example.org: this user is not an organiser" in result.output
    assert "chair@example.org" not in result.output
    assert _counts(app) == before


def test_export_writes_a_file_when_asked(runner, app, tmp_path):
    assert runner.invoke(args=["import-contest", _write(tmp_path, FULL)]).exit_code == 0
    target = tmp_path / "template.json"
    result = runner.invoke(args=["export-contest", FULL["slug"], "-o", str(target)])
    assert result.exit_code == 0 and str(target) in result.output
    assert json.loads(target.read_text(encoding="utf-8")) == FULL


# import-applications ----------------------------------------------------------------------

HEADER = "number,organisation,kind,edrpou,oblast,community,email,title"


def _code(n: int) -> str:
    return edrpou.complete(f"{3300000 + n:07d}")


def _bad_code(n: int) -> str:
    good = _code(n)
    return good[:7] + str((int(good[7]) + 1) % 10)


@pytest.fixture
def contest(build, clock_at):
    """A contest in screening numbered UUG, open to both kinds from three oblasts."""
    clock_at(datetime(2026, 5, 4, 10, 0, tzinfo=UTC))
    return build.contest(
        stage=Stage.SCREENING,
        slug="uspishna-uchast-2026",
        number_prefix="UUG",
        oblasts=["UA-14", "UA-48", "UA-63"],
        opens_at=datetime(2026, 3, 1, 7, 0, tzinfo=UTC),
        closes_at=datetime(2026, 3, 31, 15, 0, tzinfo=UTC),
    )


def _import(runner, tmp_path, text: str | bytes, slug="uspishna-uchast-2026"):
    path = tmp_path / "applications.csv"
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return runner.invoke(args=["import-applications", slug, str(path)])


def _applications(app, contest_id: int) -> list[Application]:
    with app.app_context():
        return db.session.scalars(
            select(Application)
            .where(Application.contest_id == contest_id)
            .order_by(Application.serial)
        ).all()


def test_a_csv_with_a_bom_and_semicolons_is_imported_submitted_and_admitted(
    runner, app, tmp_path, contest
):
    text = "\ufeff" + "\r\n".join(
        [
            HEADER.replace(",", ";"),
            f";ГО «Світанок; Харків»;ngo;{_code(1)};UA-63;Харківська міська громада;"
            "Svitanok@Example.org;Школа активного мешканця",
            f";Вознесенська міська рада;community;{_code(2)};UA-48;Вознесенська міська громада;"
            "rada@example.org;Консультації з ВПО",
        ]
    )
    text = text.replace("ГО «Світанок; Харків»", '"ГО «Світанок; Харків»"')
    result = _import(runner, tmp_path, text)
    assert result.exit_code == 0, result.output
    assert "Applications imported into “uspishna-uchast-2026”: 2." in result.output
    assert "UUG-2026-001  ГО «Світанок; Харків»" in result.output

    first, second = _applications(app, contest)
    with app.app_context():
        first = db.session.merge(first)
        assert first.number == "UUG-2026-001" and first.serial == 1
        assert first.state == ApplicationState.ADMITTED
        assert first.title == "Школа активного мешканця"
        assert first.submitted_at == first.decided_at == datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
        assert first.decision_reason == "imported"
        organisation = first.organisation
        assert (organisation.name, organisation.kind, organisation.edrpou) == (
            "ГО «Світанок; Харків»",
            OrganisationKind.NGO,
            _code(1),
        )
        # The hromada as the official list names it, with its KATOTTG code (SPEC §15).
        assert (organisation.oblast, organisation.community, organisation.community_code) == (
            "UA-63",
            "Харківська міська територіальна громада",
            "UA63120270000028556",
        )
        user = db.session.scalar(select(User).where(User.email == "svitanok@example.org"))
        assert user.role == Role.APPLICANT and user.password_hash is None
        assert user.organisation_id == organisation.id and user.name == "ГО «Світанок; Харків»"
        assert db.session.merge(second).number == "UUG-2026-002"
        assert db.session.get(Contest, contest).last_number == 2
    (imported,) = _audit(app, "applications.imported")
    assert imported.contest_id == contest and imported.details["count"] == 2
    assert imported.details["numbers"] == ["UUG-2026-001", "UUG-2026-002"]


def test_numbers_given_are_kept_and_the_others_follow_the_highest(
    runner, app, tmp_path, contest, build
):
    with app.app_context():
        db.session.get(Contest, contest).last_number = 3
        db.session.commit()
    text = "\n".join(
        [
            HEADER,
            f",ГО «Перша»,ngo,{_code(1)},UA-63,Харківська міська громада,a@example.org,Перша",
            f"UUG-2025-010,ГО «Друга»,ngo,{_code(2)},UA-63,Харківська міська,b@example.org,Друга",
            f"UUG-2026-002,ГО «Третя»,ngo,{_code(3)},UA-14,Краматорська міська,c@example.org,Третя",
            f",ГО «Четверта»,ngo,{_code(4)},UA-14,Краматорська міська,d@example.org,Четверта",
        ]
    )
    result = _import(runner, tmp_path, text)
    assert result.exit_code == 0, result.output
    numbers = {a.title: a.number for a in _applications(app, contest)}
    assert numbers == {
        "Перша": "UUG-2026-011",
        "Друга": "UUG-2025-010",
        "Третя": "UUG-2026-002",
        "Четверта": "UUG-2026-012",
    }
    with app.app_context():
        assert db.session.get(Contest, contest).last_number == 12


def test_a_file_with_bad_lines_is_refused_whole_naming_every_line(runner, app, tmp_path, contest):
    text = "\n".join(
        [
            HEADER,
            f",ГО «Перша»,ngo,{_code(1)},UA-63,Харківська міська громада,a@example.org,Перша",
            f",ГО «Друга»,ngo,{_bad_code(2)},UA-63,Харківська міська громада,b@example.org,Друга",
            f",ГО «Третя»,ngo,{_code(3)},UA-14,Краматорська міська громада,c@example.org,Третя",
            f",ГО «Четверта»,ngo,{_code(4)},UA-99,Десь,d@example.org,Четверта",
        ]
    )
    before = _counts(app)
    result = _import(runner, tmp_path, text)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Read as UTF-8; the columns are separated by: comma.",
        "Error: The applications are not imported:",
        f"  line 3, column D «edrpou»: EDRPOU code {_bad_code(2)} is not valid",
        "  line 5, column E «oblast»: unknown oblast “UA-99”: give its code (UA-63) or name",
    ]
    assert _counts(app) == before
    with app.app_context():
        assert db.session.get(Contest, contest).last_number == 0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            f"UUG-2026-7,ГО,ngo,{_code(9)},UA-63,Харківська міська громада,x@example.org,Назва",
            "line 3, column A «number»: the number UUG-2026-7 does not fit this contest: write "
            "it as UUG-2026-001",
        ),
        (
            f"ABC-2026-001,ГО,ngo,{_code(9)},UA-63,Харківська міська громада,x@example.org,Назва",
            "line 3, column A «number»: the number ABC-2026-001 does not fit this contest",
        ),
        (
            f"UUG-2026-005,ГО,ngo,{_code(9)},UA-63,Харківська міська громада,x@example.org,Назва",
            "line 3: the number UUG-2026-005 is already taken",
        ),
        (
            f"UUG-2025-005,ГО,ngo,{_code(9)},UA-63,Харківська міська громада,x@example.org,Назва",
            "line 3: the sequence number of UUG-2025-005 is already used in this contest",
        ),
        (
            f",ГО,club,{_code(9)},UA-63,Харківська міська громада,x@example.org,Назва",
            "line 3, column C «kind»: unknown kind “club”; the kinds are: community, ngo",
        ),
        (
            f",ГО,ngo,{_code(9)},UA-05,Вінницька міська громада,x@example.org,Назва",
            "line 3: the contest does not accept applicants from the oblast Vinnytsia Oblast",
        ),
        (
            f",ГО,ngo,{_code(9)},UA-63,Харківська міська громада,not-an-address,Назва",
            "line 3, column G «email»: “not-an-address” is not an e-mail address",
        ),
        (
            f",ГО,ngo,{_code(9)},UA-63,Харківська міська громада,x@example.org,",
            "line 3, column H «title»: the column “title” is empty",
        ),
        (
            f",ГО,ngo,{_code(9)},UA-63,Харківська міська громада,x@example.org",
            "line 3: 7 values instead of 8",
        ),
        (
            f",ГО,ngo,{_code(9)},UA-63,Харківська міська громада,juror@example.org,Назва",
            "line 3: the e-mail juror@example.org belongs to an account with the role",
        ),
        (
            f",ГО,ngo,{_code(9)},UA-63,Харківська міська громада,member@example.org,Назва",
            "line 3: the account member@example.org belongs to another organisation",
        ),
        (
            f",ГО «Перша знову»,ngo,{_code(1)},UA-63,Харківська міська,y@example.org,Ще одна",
            f"line 3: the organisation with EDRPOU code {_code(1)} is already on line 2",
        ),
        (
            f",ГО,ngo,{_code(7)},UA-63,Харківська міська громада,z@example.org,Назва",
            f"line 3: the organisation with EDRPOU code {_code(7)} already has an application "
            "in this contest (UUG-2026-005)",
        ),
    ],
)
def test_each_rule_of_a_line_is_checked(runner, app, tmp_path, contest, build, line, message):
    build.user(Role.JUROR, email="juror@example.org")
    build.applicant(email="member@example.org")
    applied = build.organisation(edrpou=_code(7))
    with app.app_context():
        db.session.add(
            Application(
                contest_id=contest,
                organisation_id=applied,
                state=ApplicationState.SUBMITTED,
                serial=5,
                number="UUG-2026-005",
                submitted_at=datetime(2026, 3, 5, tzinfo=UTC),
            )
        )
        db.session.get(Contest, contest).last_number = 5
        db.session.commit()
    text = "\n".join(
        [
            HEADER,
            f",ГО «Перша»,ngo,{_code(1)},UA-63,Харківська міська громада,a@example.org,Перша",
            line,
        ]
    )
    before = _counts(app)
    result = _import(runner, tmp_path, text)
    assert result.exit_code == 1
    assert message in result.output, result.output
    assert _counts(app) == before


def test_line_numbers_count_the_lines_of_a_quoted_value_and_zeros_come_back(
    runner, app, tmp_path, contest
):
    state_body = edrpou.complete("0003212")
    text = "\n".join(
        [
            HEADER,
            f',ГО «Перша»,ngo,{_code(1)},UA-63,Харківська міська громада,a@example.org,"Назва',
            'у два рядки"',
            f",Орган,community,{state_body.lstrip('0')},UA-63,Харківська міська,b@example.org,Два",
            f",ГО «Третя»,ngo,{_bad_code(3)},UA-63,Харківська міська громада,c@example.org,Третя",
        ]
    )
    result = _import(runner, tmp_path, text)
    assert result.exit_code == 1
    # The quoted value takes lines 2 and 3: the third record is on line 5. (A title is
    # one line, so the quoted one of two lines is refused too.)
    assert result.output.splitlines()[2:] == [
        "  line 2, column H «title»: the column “title” holds several lines: write it on one",
        f"  line 5, column D «edrpou»: EDRPOU code {_bad_code(3)} is not valid",
    ]
    one_line = text.rsplit("\n", 1)[0].replace('"Назва\nу два рядки"', '"Назва, у два слова"')
    result = _import(runner, tmp_path, one_line)
    assert result.exit_code == 0, result.output
    with app.app_context():
        first, second = (db.session.merge(a) for a in _applications(app, contest))
        assert first.title == "Назва, у два слова"
        assert second.organisation.edrpou == state_body


def test_problems_are_told_in_the_order_of_the_lines(runner, app, tmp_path, build):
    build.contest(slug="communities", number_prefix="CM", applicant_kinds=["community"])
    text = "\n".join(
        [
            HEADER,
            f",ГО «Перша»,ngo,{_code(1)},UA-63,Харківська міська громада,a@example.org,Перша",
            f",Рада,community,{_code(2)},UA-63,Харківська міська громада,b@example.org,",
        ]
    )
    result = _import(runner, tmp_path, text, slug="communities")
    assert result.exit_code == 1
    assert result.output.splitlines()[2:] == [
        "  line 2: the contest does not accept applicants of this kind (NGO)",
        "  line 3, column H «title»: the column “title” is empty",
    ]


def test_a_registered_organisation_and_account_are_reused(runner, app, tmp_path, contest, build):
    organisation_id = build.organisation(edrpou=_code(5), name="ГО «Зареєстрована»")
    user_id = build.user(
        Role.APPLICANT, email="contact@example.org", organisation_id=organisation_id
    )
    loose_id = build.user(Role.APPLICANT, email="loose@example.org")
    text = "\n".join(
        [
            HEADER,
            f",Інша назва,community,{_code(5)},UA-14,Краматорська міська громада,"
            "contact@example.org,Проєкт",
            f",ГО «Нова»,ngo,{_code(6)},UA-63,Харківська міська громада,loose@example.org,Другий",
        ]
    )
    before = _counts(app)
    result = _import(runner, tmp_path, text)
    assert result.exit_code == 0, result.output
    after = _counts(app)
    assert after["Organisation"] == before["Organisation"] + 1
    assert after["User"] == before["User"]
    with app.app_context():
        first, second = (db.session.merge(a) for a in _applications(app, contest))
        assert first.organisation_id == organisation_id
        assert first.organisation.name == "ГО «Зареєстрована»"  # as registered
        # The application as it was submitted (on paper): the file's facts (SPEC §8).
        assert (first.facts.name, first.facts.kind.value, first.facts.oblast) == (
            "Інша назва",
            "community",
            "UA-14",
        )
        assert db.session.get(User, user_id).organisation_id == organisation_id
        assert db.session.get(User, loose_id).organisation_id == second.organisation_id


def test_categories_are_required_when_the_contest_has_them(runner, app, tmp_path, contest):
    with app.app_context():
        db.session.add(Category(contest_id=contest, code="ngo", title_uk="ГО", winners=2))
        db.session.commit()
    row = f",ГО «Перша»,ngo,{_code(1)},UA-63,Харківська міська громада,a@example.org,Перша"
    missing = _import(runner, tmp_path, f"{HEADER}\n{row}")
    assert missing.exit_code == 1
    assert "line 1: the column “category” is missing" in missing.output
    unknown = _import(runner, tmp_path, f"{HEADER},category\n{row},large")
    assert unknown.exit_code == 1
    assert (
        "line 2, column I «category»: unknown category “large”; the categories are: ngo"
        in unknown.output
    )
    good = _import(runner, tmp_path, f"{HEADER},category\n{row},ngo")
    assert good.exit_code == 0, good.output
    with app.app_context():
        (application,) = (db.session.merge(a) for a in _applications(app, contest))
        assert application.category.code == "ngo"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file has no applications."),
        (HEADER + "\n\n", "The file has no applications."),
        ("number,organisation,kind\n", "line 1: the column “edrpou” is missing"),
        (HEADER + ",phone\n", "line 1: unknown column “phone”"),
        (HEADER + ",category\n", "line 1: the contest has no categories"),
        ("Організація,ГО\n".encode() + "Ґава\n".encode("cp1251"), "in different encodings"),
        (HEADER.encode() + b"\n\x00\x01", "it contains NUL characters"),
        (b"PK\x03\x04\x14\x00", "This is an Excel workbook (XLSX) or another ZIP archive"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_clear_error(runner, app, tmp_path, contest, text, message):
    result = _import(runner, tmp_path, text)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert _applications(app, contest) == []


@pytest.mark.parametrize("stage", [Stage.PUBLISHED, Stage.ARCHIVED])
def test_a_published_or_archived_contest_refuses_imports(runner, app, tmp_path, build, stage):
    build.contest(stage=stage, slug="closed-contest", number_prefix="CL")
    row = f",ГО «Перша»,ngo,{_code(1)},UA-63,Харківська міська громада,a@example.org,Перша"
    before = _counts(app)
    result = _import(runner, tmp_path, f"{HEADER}\n{row}", slug="closed-contest")
    assert result.exit_code == 1
    assert "applications can be imported only before publication" in result.output
    assert _counts(app) == before


def test_a_draft_contest_accepts_imports(runner, app, tmp_path, build):
    contest_id = build.contest(stage=Stage.DRAFT, slug="draft-contest", number_prefix="DR")
    row = f",ГО «Перша»,ngo,{_code(1)},UA-63,Харківська міська громада,a@example.org,Перша"
    result = _import(runner, tmp_path, f"{HEADER}\n{row}", slug="draft-contest")
    assert result.exit_code == 0, result.output
    (application,) = _applications(app, contest_id)
    assert application.state == ApplicationState.ADMITTED


def test_every_exchange_command_has_help(runner):
    for command in ("import-contest", "export-contest", "import-applications"):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


# The hromada, the oblast and the status, checked as the browser checks them (issue 13) -

KHARKIV_CODE = "UA63120270000028556"  # Харківська міська територіальна громада
MYKOLAIV_DNIPRO = "UA12020090000044548"  # Миколаївська сільська … Дніпровського району


def test_the_hromada_is_found_by_its_katottg_code_or_its_name_within_the_oblast(
    runner, app, tmp_path, contest
):
    text = "\n".join(
        [
            f"{HEADER},community_code,status",
            f",ГО «Код»,ngo,{_code(1)},UA-63,,a@example.org,Перша,{KHARKIV_CODE},relocated",
            f",ГО «Назва»,ngo,{_code(2)},UA-14,краматорська МІСЬКА громада,b@example.org,"
            "Друга,,occupied",
            f",ГО «Без статусу»,ngo,{_code(3)},UA-48,Миколаївська міська територіальна громада,"
            "c@example.org,Третя,,",
        ]
    )
    result = _import(runner, tmp_path, text)
    assert result.exit_code == 0, result.output
    with app.app_context():
        first, second, third = (db.session.merge(a) for a in _applications(app, contest))
        assert first.facts[2:] == (
            "UA-63",
            "Харківська міська територіальна громада",
            KHARKIV_CODE,
            OrganisationStatus.RELOCATED,
        )
        assert first.organisation.community_code == KHARKIV_CODE
        assert second.facts.community == "Краматорська міська територіальна громада"
        assert second.facts.community_code == "UA14120090000098500"
        assert second.facts.status == OrganisationStatus.OCCUPIED
        assert third.facts.status == OrganisationStatus.ACTIVE  # empty: the default


def test_a_hromada_that_cannot_be_told_for_certain_is_refused_naming_the_line(
    runner, app, tmp_path, contest
):
    with app.app_context():
        db.session.get(Contest, contest).oblasts = []  # every oblast
        db.session.commit()
    text = "\n".join(
        [
            f"{HEADER},community_code,status",
            f",ГО «1»,ngo,{_code(1)},UA-63,м. Харків,a@example.org,Т,,",  # 2: not a hromada
            f",ГО «2»,ngo,{_code(2)},UA-12,Миколаївська сільська громада,b@example.org,Т,,",  # 3
            f",ГО «3»,ngo,{_code(3)},UA-14,,c@example.org,Т,{KHARKIV_CODE},",  # 4: oblast
            f",ГО «4»,ngo,{_code(4)},UA-63,,d@example.org,Т,UA99999999999999999,",  # 5: code
            f",ГО «5»,ngo,{_code(5)},UA-63,Ізюмська міська громада,e@example.org,Т,"
            f"{KHARKIV_CODE},",  # 6: the name and the code disagree
            f",ГО «6»,ngo,{_code(6)},UA-63,Харківська міська громада,f@example.org,Т,,moved",  # 7
            f",ГО «7»,ngo,{_code(7)},UA-12,,g@example.org,Т,{MYKOLAIV_DNIPRO},active",  # good
        ]
    )
    before = _counts(app)
    result = _import(runner, tmp_path, text)
    assert result.exit_code == 1
    for message in (
        "line 2, column F «community»: there is no hromada «м. Харків» in the official list "
        "of Kharkiv Oblast",
        "line 3, column F «community»: «Миколаївська сільська громада» names several hromadas "
        "of Dnipropetrovsk Oblast (Миколаївська сільська територіальна громада Дніпровського "
        f"району, {MYKOLAIV_DNIPRO};",
        f"line 4, column E «oblast»: the hromada {KHARKIV_CODE} («Харківська міська "
        "територіальна громада») is in Kharkiv Oblast, not in Donetsk Oblast",
        "line 5, column I «community_code»: unknown KATOTTG code of the hromada "
        "“UA99999999999999999”",
        "line 6, column F «community»: the community «Ізюмська міська громада» and the KATOTTG "
        f"code {KHARKIV_CODE} («Харківська міська територіальна громада») name different "
        "hromadas",
        "line 7, column J «status»: unknown status “moved”; the statuses are: active, relocated, "
        "occupied",
    ):
        assert message in result.output, (message, result.output)
    assert "line 8" not in result.output
    assert _counts(app) == before
