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
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from scoring import clock
from scoring.extensions import db
from scoring.models import (
    Answer,
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Feedback,
    Question,
    QuestionKind,
    Role,
    Score,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

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
        "protocol_number": "7",
        "protocol_date": date(2026, 3, 20),
        "protocol_place": "м. Харків, зала засідань",
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
        # The meeting's record as publication needs it (SPEC §16): every member present.
        record_meeting(
            contest,
            number=settings["protocol_number"],
            day=settings["protocol_date"],
            place=settings["protocol_place"],
        )
        contest.questions = [
            Question(
                key="summary",
                label_uk="Короткий опис",
                label_en="Summary",
                kind=QuestionKind.TEXTAREA,
                required=True,
                max_length=500,
                position=0,
            ),
            Question(
                key="budget",
                label_uk="Бюджет",
                label_en="Budget",
                kind=QuestionKind.NUMBER,
                position=1,
            ),
            Question(
                key="statute",
                label_uk="Статут",
                label_en="Statute",
                kind=QuestionKind.FILE,
                position=2,
            ),
        ]
        db.session.flush()
        decided.questions = {q.key: q.id for q in contest.questions}
        c1, c2 = contest.criteria
        for serial, key in enumerate(("a", "b", "c"), start=1):
            organisation_id = db.session.scalar(
                select(User.organisation_id).where(User.email == decided.applicants[key])
            )
            application = Application(
                contest=contest,
                organisation_id=organisation_id,
                state=ApplicationState.REJECTED if key == "c" else ApplicationState.ADMITTED,
                serial=serial,
                number=f"PR-2026-{serial:03d}",
                title=f"Проєкт {NAMES[key]}",
                submitted_at=now - timedelta(days=40),
                decided_at=now - timedelta(days=25),
                decision_reason=REJECTION if key == "c" else None,
            )
            application.answers = [
                Answer(question_id=decided.questions["summary"], value=f"Опис {key}")
            ]
            db.session.add(application)
            db.session.flush()
            decided.numbers[key] = application.number
            decided.ids[key] = application.id
        contest.last_number = 3
        a, b = decided.ids["a"], decided.ids["b"]
        first, second, third = jurors

        def sheet(app_id, juror, points, comments=(), overall=""):
            comments = (*comments, "", "")
            db.session.add(
                Scoresheet(
                    application_id=app_id,
                    juror_id=juror,
                    conflict=Conflict.NONE,
                    declared_at=now - timedelta(days=20),
                    state=SheetState.SUBMITTED,
                    submitted_at=now - timedelta(days=10),
                    overall_comment=overall,
                    scores=[
                        Score(criterion=c1, points=Decimal(points[0]), comment=comments[0]),
                        Score(criterion=c2, points=Decimal(points[1]), comment=comments[1]),
                    ],
                )
            )

        sheet(a, first, ("9", "8"), ("A-C1-перший", "A-C2-перший"), "A-загальний-перший")
        sheet(a, second, ("8", "7"), ("A-C1-другий",), "A-загальний-другий")
        db.session.add(
            Scoresheet(
                application_id=a,
                juror_id=third,
                conflict=Conflict.RECUSED,
                declaration="Консультувала цю організацію.",
                declared_at=now - timedelta(days=20),
            )
        )
        sheet(b, first, ("6", "5"), ("B-C1-перший",))
        sheet(b, second, ("5", "6"), ("B-C1-другий",), "B-загальний-другий")
        sheet(b, third, ("4", "4"))
        db.session.commit()
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
            "protocol_number": "7",
            "protocol_date": "2026-03-20",
            "protocol_place": "м. Харків, зала засідань",
            "feedback": "comments",
            "appeal_days": "10",
            "appeal_answer_days": "5",
        }
