"""The arrange step of the tests of rounds (SPEC §13; not a test module).

``two_rounds`` makes a contest judged in two rounds, the first in deliberation and
ready to publish, the second a contest of its own naming the first
(``previous_round_id``), open, with its own jury and, on request, its own form. Both
rounds have the criteria of ``build.contest``: C1 (0..10) and C2 (0..10, weight 1,5), a
maximum total of 25. Four applicants with accounts; two jurors score the first round
alike, so the means are:

    A 25 (place 1),  B 20 and C 20 (tied at place 2, one place left),  D 10

Two advance (``winners=2``): A, and B or C as the commission decides. With
``weights=(40, 60)`` the final score is 40 % of the first round and 60 % of the second.
``score_second_round`` then judges the second round: A 18 and C 20 of 25 there, so C
leads the round's own order and A the combined one (A 40 + 43,2 = 83,2; C 32 + 48 = 80).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
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

NAMES = {"a": "ГО «Альфа»", "b": "ГО «Бета»", "c": "ГО «Гамма»", "d": "ГО «Дельта»"}
FIRST_SCORES = {"a": ("10", "10"), "b": ("8", "8"), "c": ("8", "8"), "d": ("4", "4")}
SECOND_SCORES = {"a": ("6", "8"), "c": ("8", "8")}  # 18 and 20 of 25
FIRST_TITLE, SECOND_TITLE = "Концепції", "Повні заявки"


@dataclass
class Rounds:
    first_id: int
    second_id: int
    first: str  # slugs
    second: str
    organiser: str  # e-mail
    applicants: dict[str, str] = field(default_factory=dict)  # "a" → e-mail
    numbers: dict[str, str] = field(default_factory=dict)  # "a" → first-round number
    ids: dict[str, int] = field(default_factory=dict)  # "a" → first-round application id


def _sheet(application_id, juror, criteria, points, now, comment=""):
    return Scoresheet(
        application_id=application_id,
        juror_id=juror,
        conflict=Conflict.NONE,
        declared_at=now - timedelta(days=5),
        state=SheetState.SUBMITTED,
        submitted_at=now - timedelta(days=4),
        scores=[
            Score(criterion=c, points=Decimal(p), comment=comment)
            for c, p in zip(criteria, points, strict=True)
        ],
    )


def two_rounds(app, build, *, weights=None, form=False, **first_fields) -> Rounds:
    """The two rounds; ``form``: the second round has its own question."""
    organiser_email = "organiser@rounds.example"
    organiser = build.user(Role.ORGANISER, email=organiser_email, name="Світлана Секретарка")
    jurors = [
        build.user(Role.JUROR, email=f"j{i}@rounds.example", name=f"Суддя {i}")
        for i in (1, 2, 3, 4)
    ]
    now = clock.now()
    settings = {
        "stage": Stage.DELIBERATION,
        "winners": 2,
        "feedback": Feedback.SCORES,
        "opens_at": now - timedelta(days=60),
        "closes_at": now - timedelta(days=30),
        "number_prefix": "KR",
        "title_uk": "Громадські ініціативи",
        "round_title_uk": FIRST_TITLE,
        "round_weight": Decimal(weights[0]) if weights else None,
    } | first_fields
    first_id = build.contest(organisers=[organiser], jurors=jurors[:2], slug="tury-1", **settings)
    second_id = build.contest(
        organisers=[organiser],
        jurors=jurors[2:],
        slug="tury-2",
        stage=Stage.OPEN,
        winners=1,
        number_prefix="KR2",
        title_uk="Громадські ініціативи",
        round_title_uk=SECOND_TITLE,
        round_weight=Decimal(weights[1]) if weights else None,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=20),
    )
    rounds = Rounds(first_id, second_id, "tury-1", "tury-2", organiser_email)
    for key in "abcd":
        email = f"applicant-{key}@rounds.example"
        build.applicant(email=email, name=NAMES[key])
        rounds.applicants[key] = email
    with app.app_context():
        first = db.session.get(Contest, first_id)
        second = db.session.get(Contest, second_id)
        second.previous_round_id = first_id
        for contest in (first, second):
            contest.jury[0].is_chair = True
        record_meeting(first)
        if form:
            second.questions = [
                Question(
                    key="plan",
                    label_uk="План заходів",
                    label_en="Plan of activities",
                    kind=QuestionKind.TEXTAREA,
                    required=True,
                    position=0,
                )
            ]
        first.questions = [
            Question(
                key="idea",
                label_uk="Ідея",
                label_en="Idea",
                kind=QuestionKind.TEXTAREA,
                position=0,
            )
        ]
        db.session.flush()
        for serial, key in enumerate("abcd", start=1):
            organisation_id = db.session.scalar(
                select(User.organisation_id).where(User.email == rounds.applicants[key])
            )
            application = Application(
                contest=first,
                organisation_id=organisation_id,
                state=ApplicationState.ADMITTED,
                serial=serial,
                number=f"KR-2026-{serial:03d}",
                title=f"Проєкт {NAMES[key]}",
                submitted_at=now - timedelta(days=40),
                decided_at=now - timedelta(days=25),
            )
            application.answers = [
                Answer(question_id=first.questions[0].id, value=f"Ідея першого туру {key}")
            ]
            db.session.add(application)
            db.session.flush()
            rounds.numbers[key], rounds.ids[key] = application.number, application.id
            for juror in jurors[:2]:
                db.session.add(
                    _sheet(application.id, juror, first.criteria, FIRST_SCORES[key], now)
                )
        first.last_number = 4
        db.session.commit()
    return rounds


def second_round_applications(app, rounds: Rounds) -> dict[str, Application]:
    """The second round's applications by applicant key, as the database holds them."""
    keys = {v: k for k, v in rounds.ids.items()}
    with app.app_context():
        found = db.session.scalars(
            select(Application).where(Application.contest_id == rounds.second_id)
        ).all()
        db.session.expunge_all()
    return {keys[a.previous_id]: a for a in found}


def score_second_round(app, rounds: Rounds) -> None:
    """The second round screened, scored (A 18, C 20 of 25) and in deliberation."""
    now = clock.now()
    with app.app_context():
        second = db.session.get(Contest, rounds.second_id)
        jurors = [m.user_id for m in second.jury]
        keys = {v: k for k, v in rounds.ids.items()}
        for application in db.session.scalars(
            select(Application).where(Application.contest_id == second.id)
        ):
            application.state = ApplicationState.ADMITTED
            application.decided_at = now
            for juror in jurors:
                points = SECOND_SCORES[keys[application.previous_id]]
                db.session.add(_sheet(application.id, juror, second.criteria, points, now))
        second.stage = Stage.DELIBERATION
        record_meeting(second)
        db.session.commit()


def signed_in(app, email: str, language: str = "en"):
    client = app.test_client()
    client.login(email, PASSWORD)
    client.submit("/language", {"language": language, "next": "/"})
    return client
