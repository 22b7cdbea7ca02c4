"""Arrange helpers shared by the jurors' tests (not a test module)."""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from scoring import clock, edrpou
from scoring.extensions import db
from scoring.models import (
    Answer,
    Application,
    ApplicationState,
    Attachment,
    AuditEntry,
    Conflict,
    Contest,
    Criterion,
    Organisation,
    OrganisationKind,
    Role,
    Score,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from . import _files
from ._applications import statute_question, summary_question

PDF = _files.pdf()  # a real one: a blind contest's jurors get it stripped of metadata
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@dataclass
class Judged:
    """A contest in judging with admitted applications and a sheet per juror × application."""

    contest_id: int
    slug: str
    numbers: list[str]
    criteria: dict[str, int]  # code → id
    jurors: list[int]

    def url(self, number: str | None = None, tail: str = "") -> str:
        base = f"/judging/{self.slug}"
        return base + (f"/{number}" if number else "") + tail


def judged_contest(
    app,
    build,
    jurors: list[int],
    *,
    count: int = 3,
    assigned: list[int] | None = None,
    slug: str = "uchast-2026",
    **fields,
) -> Judged:
    """A contest in judging with ``count`` admitted applications.

    Criteria: C1 (0..10, step 1), C2 (0..10, weight 1.5), C3 (0..5, step 0.5). Each
    application has an answer and a PDF attachment; the jurors in ``assigned`` (all
    by default) have a fresh scoresheet for every application.
    """
    organiser = build.user(Role.ORGANISER)
    contest_id = build.contest(
        organisers=[organiser],
        jurors=jurors,
        stage=fields.pop("stage", Stage.JUDGING),
        slug=slug,
        number_prefix="UCH",
        **fields,
    )
    assigned = jurors if assigned is None else assigned
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        contest.criteria.append(
            Criterion(
                code="C3",
                title_uk="Обґрунтованість бюджету",
                title_en="Soundness of the budget",
                guidance_uk="Оцінка з кроком 0,5 бала.",
                max_points=Decimal(5),
                step=Decimal("0.5"),
                position=2,
            )
        )
        contest.questions = [summary_question(), statute_question("evidence", position=1)]
        db.session.flush()
        now = clock.now()
        numbers = []
        for i in range(1, count + 1):
            organisation = Organisation(
                kind=OrganisationKind.NGO,
                name=f"ГО «Таємниця {slug} {i}»",
                edrpou=edrpou.complete(f"{3300000 + contest_id * 1000 + i:07d}"),
                oblast="UA-14",
                community=f"Прихована міська громада {i}",
                contact_person=f"Ганна Контактна {i}",
                email=f"hidden{contest_id}-{i}@applicant.example",
                phone=f"+38067{5550000 + i:07d}",
            )
            number = f"UCH-2026-{contest_id:02d}{i:03d}"
            numbers.append(number)
            application = Application(
                contest=contest,
                organisation=organisation,
                state=ApplicationState.ADMITTED,
                serial=i,
                number=number,
                title=f"Проєкт участі {i}",
                submitted_at=now - timedelta(days=3),
                decided_at=now - timedelta(days=1),
            )
            application.answers = [
                Answer(question=contest.questions[0], value=f"Відкриті слухання, частина {i}.")
            ]
            application.attachments = [
                Attachment(
                    question_id=contest.questions[1].id,
                    filename=f"Статут ГО Таємниця {i}.pdf",
                    content_type="application/pdf",
                    size=len(PDF),
                    sha256=hashlib.sha256(PDF).hexdigest(),
                    content=PDF,
                )
            ]
            db.session.add(application)
            for juror in assigned:
                db.session.add(Scoresheet(application=application, juror_id=juror))
        db.session.commit()
        criteria = {c.code: c.id for c in contest.criteria}
    return Judged(contest_id, slug, numbers, criteria, list(jurors))


def organised_by(app, contest_id: int, organiser: int) -> None:
    """Make ``organiser`` one of the contest's organisers too."""
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        contest.organisers.append(db.session.get(User, organiser))
        db.session.commit()


def set_sheet(
    app,
    juror: int,
    number: str,
    *,
    conflict=Conflict.NONE,
    state=SheetState.DRAFT,
    points: dict[int, str] | None = None,
    comments: dict[int, str] | None = None,
    declaration: str = "",
    overall: str | None = None,
    declared_at: datetime | None = None,
    submitted_at: datetime | None = None,
) -> None:
    """Put a juror's sheet directly into a state (the arrange step of a test): its
    conflict declared and, when submitted, submitted at those moments (now unless
    given); ``overall`` its overall comment."""
    with app.app_context():
        sheet = db.session.scalars(
            select(Scoresheet)
            .join(Application)
            .where(Application.number == number, Scoresheet.juror_id == juror)
        ).one()
        sheet.conflict, sheet.declaration = conflict, declaration
        sheet.declared_at = (
            (declared_at or clock.now()) if conflict != Conflict.UNDECLARED else None
        )
        if overall is not None:
            sheet.overall_comment = overall
        for criterion_id, value in (points or {}).items():
            sheet.scores.append(
                Score(
                    criterion_id=criterion_id,
                    points=Decimal(value),
                    comment=(comments or {}).get(criterion_id, ""),
                )
            )
        sheet.state = state
        sheet.submitted_at = (
            (submitted_at or clock.now()) if state == SheetState.SUBMITTED else None
        )
        db.session.commit()


def stored_scores(app, juror: int, number: str) -> dict[int, tuple[Decimal | None, str]]:
    """{criterion id: (points, comment)} of the juror's sheet, as the database holds it."""
    with app.app_context():
        return {
            s.criterion_id: (s.points, s.comment)
            for s in db.session.scalars(
                select(Score)
                .join(Scoresheet)
                .join(Application)
                .where(Application.number == number, Scoresheet.juror_id == juror)
            )
        }


def sheet_row(app, juror: int, number: str) -> Scoresheet:
    with app.app_context():
        sheet = db.session.scalars(
            select(Scoresheet)
            .join(Application)
            .where(Application.number == number, Scoresheet.juror_id == juror)
        ).one()
        db.session.expunge(sheet)
        return sheet


def audit_entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
        for entry in entries:
            db.session.expunge(entry)
        return entries


def page_csrf(client, url: str) -> str:
    """The CSRF token from the page's <meta name="csrf-token">, as the script reads it."""
    match = META_CSRF.search(client.get(url).get_data(as_text=True))
    assert match, f"no csrf-token meta on {url}"
    return match.group(1)


def autosave(client, judged: Judged, number: str, body: dict, token: str | None = None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(judged.url(number, "/autosave"), json=body, headers=headers)
