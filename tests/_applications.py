"""Arrange helpers shared by the applicants' tests (not a test module)."""

import io
import json
import re
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from scoring.extensions import db
from scoring.models import (
    Answer,
    Application,
    ApplicationState,
    Attachment,
    Conflict,
    Question,
    QuestionKind,
    Scoresheet,
)

KRAMATORSK = "UA14120090000098500"  # Краматорська міська територіальна громада, UA-14
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


def summary_question(**fields) -> Question:
    """The short description (a text area), first on the form unless ``position`` says."""
    return Question(
        key="summary",
        label_uk="Короткий опис",
        label_en="Summary",
        kind=QuestionKind.TEXTAREA,
        **{"position": 0} | fields,
    )


def statute_question(key: str = "statute", **fields) -> Question:
    """The statute as a file."""
    return Question(
        key=key, label_uk="Статут", label_en="Statute", kind=QuestionKind.FILE, **fields
    )


def questions(file_types=None) -> list[Question]:
    """A form with every kind of question; the file question is required."""
    return [
        summary_question(required=True, max_length=200),
        Question(
            key="residents",
            label_uk="Кількість мешканців",
            label_en="Residents",
            kind=QuestionKind.NUMBER,
            required=True,
            min_value=Decimal(1),
            max_value=Decimal(100000),
            position=1,
        ),
        Question(
            key="website",
            label_uk="Сторінка в інтернеті",
            label_en="Web page",
            kind=QuestionKind.URL,
            position=2,
        ),
        Question(
            key="scale",
            label_uk="Масштаб",
            label_en="Scale",
            kind=QuestionKind.CHOICE,
            required=True,
            choices=[
                {"value": "local", "uk": "Громада", "en": "Community"},
                {"value": "region", "uk": "Область", "en": "Oblast"},
            ],
            position=3,
        ),
        Question(
            key="decision",
            label_uk="Рішення виконкому",
            label_en="Decision of the executive committee",
            kind=QuestionKind.FILE,
            required=True,
            file_types=file_types,
            position=4,
        ),
    ]


def question_ids(app, contest_id: int) -> dict[str, int]:
    """{key: "q-<id>"} for the contest's questions."""
    with app.app_context():
        rows = db.session.execute(
            select(Question.key, Question.id).where(Question.contest_id == contest_id)
        ).all()
        return {key: f"q-{qid}" for key, qid in rows}


def application_of(app, contest_id: int) -> Application:
    with app.app_context():
        application = db.session.scalar(
            select(Application).where(Application.contest_id == contest_id)
        )
        db.session.expunge_all()
        return application


def complete_answers(names: dict[str, str]) -> dict[str, str]:
    return {
        "title": "Школа активного мешканця",
        names["summary"]: "Навчаємо мешканців готувати проєкти.",
        names["residents"]: "1 250",
        names["website"]: "https://example.org/school",
        names["scale"]: "local",
    }


def submitted_application(
    app,
    contest_id: int,
    organisation_id: int,
    serial: int = 1,
    *,
    summary: str = "Опис проєкту",
    attached: bool = True,
    **fields,
) -> str:
    """A submitted application made directly, its number: ``summary`` answers the text
    question, and while ``attached`` a PDF answers the file question. ``fields`` set
    its other columns (a ``state`` further on, ``title``, ``submitted_at``, ...)."""
    with app.app_context():
        from scoring.models import Contest

        contest = db.session.get(Contest, contest_id)
        number = f"{contest.number_prefix}-2026-{serial:03d}"
        application = Application(
            contest_id=contest_id,
            organisation_id=organisation_id,
            serial=serial,
            number=number,
            **{
                "state": ApplicationState.SUBMITTED,
                "title": "Проєкт",
                "submitted_at": datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
            }
            | fields,
        )
        contest.last_number = max(contest.last_number, serial)
        text_question = next(q for q in contest.questions if q.kind == QuestionKind.TEXTAREA)
        application.answers = [Answer(question_id=text_question.id, value=summary)]
        if attached:
            question = next(q for q in contest.questions if q.kind == QuestionKind.FILE)
            application.attachments = [
                Attachment(
                    question_id=question.id,
                    filename="рішення.pdf",
                    content_type="application/pdf",
                    size=len(PDF),
                    sha256="0" * 64,
                    content=PDF,
                )
            ]
        db.session.add(application)
        db.session.commit()
        return number


def assign_juror(app, number: str, juror_id: int, conflict=Conflict.NONE) -> None:
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.number == number))
        db.session.add(
            Scoresheet(application_id=application.id, juror_id=juror_id, conflict=conflict)
        )
        db.session.commit()


# Applying through the browser, as a person would ------------------------------------


def start(client, slug="uchast-2026") -> int:
    """Press Apply; the id of the draft it opens."""
    response = client.submit(f"/contests/{slug}/apply")
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.fullmatch(r"/applications/draft/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def autosave(client, application_id: int, fields: dict, token: str | None = None):
    headers = {"X-CSRFToken": token or client.csrf_token()}
    return client.post(
        f"/applications/draft/{application_id}/autosave",
        data=json.dumps({"fields": fields}),
        content_type="application/json",
        headers=headers,
    )


def fill_in(client, app, contest_id: int, application_id: int) -> None:
    """Every answer through autosave and the file through the form, as a person would."""
    names = question_ids(app, contest_id)
    assert autosave(client, application_id, complete_answers(names)).status_code == 200
    response = client.post(
        f"/applications/draft/{application_id}",
        data={
            "csrf_token": client.csrf_token(),
            "action": f"upload:{names['decision']}",
            names["decision"]: (io.BytesIO(PDF), "рішення.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def submit(client, application_id: int):
    return client.submit(f"/applications/draft/{application_id}", {"action": "submit"})
