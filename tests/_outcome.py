"""The arrange step of the tests after the decision (SPEC §14; not a test module).

``decided_contest`` makes a contest in deliberation, ready to publish: two criteria, a
jury of three (the first its chair) and three applicants with accounts. «Перша» (A) and
«Друга» (B) are admitted and scored, «Третя» (C) was rejected at screening. The jurors'
comments are distinctive markers, and so are their names: no feedback may show a name.

    juror 1 (chair)  A: C1 9 «A-C1-перший», C2 8 «A-C2-перший», overall «A-загальний-перший»
                     B: C1 6 «B-C1-перший», C2 5
    juror 2          A: C1 8 «A-C1-другий», C2 7, overall «A-загальний-другий»
                     B: C1 5 «B-C1-другий», C2 6, overall «B-загальний-другий»
    juror 3          A: recused;  B: C1 4, C2 4

A's jurors' totals are 21 and 18.5 (mean 19.75, the winner, place 1); B's 13.5, 14 and
10 (mean 12.5, place 2). ``publish`` publishes it through the stage page.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from scoring import clock
from scoring.extensions import db
from scoring.models import (
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Feedback,
    Question,
    QuestionKind,
    Role,
    SheetState,
    Stage,
    User,
)

from ._applications import assign_juror, statute_question, submitted_application, summary_question
from ._judging import set_sheet
from ._meeting import record_meeting
from .conftest import PASSWORD

JURORS = ("Оксана Суддівська", "Богдан Оцінювач", "Марта Рецензентка")
COMMENTS_A = ("A-C1-перший", "A-C2-перший", "A-C1-другий")
OVERALL_A = ("A-загальний-перший", "A-загальний-другий")
COMMENTS_B = ("B-C1-перший", "B-C1-другий", "B-загальний-другий")
NAMES = {"a": "ГО «Перша»", "b": "ГО «Друга»", "c": "ГО «Третя»"}
REJECTION = "Бракує статуту."


@dataclass
class Decided:
    contest_id: int
    slug: str
    organiser: str  # e-mail
    jurors: list[int]
    applicants: dict[str, str] = field(default_factory=dict)  # "a" → e-mail
    numbers: dict[str, str] = field(default_factory=dict)  # "a" → registration number
    ids: dict[str, int] = field(default_factory=dict)  # "a" → application id
    questions: dict[str, int] = field(default_factory=dict)  # key → question id


def decided_contest(app, build, *, slug: str = "pislia-rishennia", **fields) -> Decided:
    organiser_email = f"organiser@{slug}.example"
    organiser = build.user(Role.ORGANISER, email=organiser_email, name="Світлана Секретарка")
    jurors = [
        build.user(Role.JUROR, email=f"j{i}@{slug}.example", name=n)
        for i, n in enumerate(JURORS, start=1)
    ]
    now = clock.now()
    settings = {
        "stage": Stage.DELIBERATION,
        "winners": 1,
        "feedback": Feedback.COMMENTS,
        "appeal_days": 10,
        "appeal_answer_days": 5,
        "opens_at": now - timedelta(days=60),
        "closes_at": now - timedelta(days=30),
        "number_prefix": "PR",
    } | fields
    contest_id = build.contest(organisers=[organiser], jurors=jurors, slug=slug, **settings)
    decided = Decided(contest_id, slug, organiser_email, jurors)
    for key in ("a", "b", "c"):
        email = f"applicant-{key}@{slug}.example"
        build.applicant(email=email, name=NAMES[key])
        decided.applicants[key] = email
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        contest.jury[0].is_chair = True
        record_meeting(contest)  # the meeting publication needs (SPEC §16)
        contest.questions = [
            summary_question(required=True, max_length=500),
            Question(
                key="budget",
                label_uk="Бюджет",
                label_en="Budget",
                kind=QuestionKind.NUMBER,
                position=1,
            ),
            statute_question(position=2),
        ]
        db.session.commit()
        decided.questions = {q.key: q.id for q in contest.questions}
        c1, c2 = (c.id for c in contest.criteria)
        organisations = dict(
            db.session.execute(
                select(User.email, User.organisation_id).where(
                    User.email.in_(decided.applicants.values())
                )
            ).all()
        )
    for serial, key in enumerate(("a", "b", "c"), start=1):
        rejected = key == "c"
        decided.numbers[key] = submitted_application(
            app,
            contest_id,
            organisations[decided.applicants[key]],
            serial,
            summary=f"Опис {key}",
            attached=False,
            state=ApplicationState.REJECTED if rejected else ApplicationState.ADMITTED,
            title=f"Проєкт {NAMES[key]}",
            submitted_at=now - timedelta(days=40),
            decided_at=now - timedelta(days=25),
            decision_reason=REJECTION if rejected else None,
        )
    with app.app_context():
        ids = dict(
            db.session.execute(
                select(Application.number, Application.id).where(
                    Application.contest_id == contest_id
                )
            ).all()
        )
    decided.ids = {key: ids[number] for key, number in decided.numbers.items()}
    a, b = decided.numbers["a"], decided.numbers["b"]
    first, second, third = jurors

    def sheet(number, juror, points, comments=(), overall=""):
        assign_juror(app, number, juror)
        set_sheet(
            app,
            juror,
            number,
            state=SheetState.SUBMITTED,
            points={c1: points[0], c2: points[1]},
            comments=dict(zip((c1, c2), comments, strict=False)),
            overall=overall,
            declared_at=now - timedelta(days=20),
            submitted_at=now - timedelta(days=10),
        )

    sheet(a, first, ("9", "8"), ("A-C1-перший", "A-C2-перший"), "A-загальний-перший")
    sheet(a, second, ("8", "7"), ("A-C1-другий",), "A-загальний-другий")
    assign_juror(app, a, third)
    set_sheet(
        app,
        third,
        a,
        conflict=Conflict.RECUSED,
        declaration="Консультувала цю організацію.",
        declared_at=now - timedelta(days=20),
    )
    sheet(b, first, ("6", "5"), ("B-C1-перший",))
    sheet(b, second, ("5", "6"), ("B-C1-другий",), "B-загальний-другий")
    sheet(b, third, ("4", "4"))
    return decided


def signed_in(app, email: str):
    client = app.test_client()
    client.login(email, PASSWORD)
    return client


def publish(app, decided: Decided):
    """The organiser publishes the results on the stage page; the organiser's client."""
    organiser = signed_in(app, decided.organiser)
    response = organiser.change_stage(decided.slug, "published")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Contest, decided.contest_id).stage == Stage.PUBLISHED
    return organiser


def settings_form(app, decided) -> dict:
    """The contest's settings form as its page would send it back unchanged."""
    with app.app_context():
        contest = db.session.get(Contest, decided.contest_id)
        return {
            "slug": contest.slug,
            "title_uk": contest.title_uk,
            "organising_body": "Хаб участі",
            "applicant_kinds": ["community", "ngo"],
            "opens_at": contest.opens_at.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": contest.closes_at.strftime("%Y-%m-%dT%H:%M"),
            "winners": "1",
            "number_prefix": contest.number_prefix,
            "aggregation": "mean",
            "normalise": "none",
            "jurors_per_application": "0",
            "quorum": "2",
            "divergence_threshold": "0.3",
            "min_total": "0",
            "feedback": "comments",
            "appeal_days": "10",
            "appeal_answer_days": "5",
        }
