"""A contest at the sizes the documents must hold (not a test module): 1,000 admitted
applications, 15 jurors, organisation names of 300 characters, long declarations.

Rows are written with bulk inserts (a few seconds, not minutes): the documents are read
from the database as the app reads them, through ``documents.data``.

- Jurors: 15, the first is the chair; each application is scored by 3 of them in turn.
- Every 10th organisation has a name of 300 characters, every 7th a long community.
- Every 25th application has a recusal (with a declaration of several lines), every
  40th a sheet not submitted, every 60th divergent scores; two applications tie at the
  last winning place and the commission decided the tie; one divergence is resolved.
- With a fund (``build_big_contest(app, fund=...)``), every application requests an
  amount, every 100th the widest, 999 999,99.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from scoring import clock, edrpou
from scoring.extensions import db
from scoring.models import (
    Answer,
    Application,
    ApplicationState,
    Attachment,
    Conflict,
    Contest,
    Criterion,
    Decision,
    DecisionKind,
    JuryMember,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Question,
    QuestionKind,
    Role,
    Score,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from .conftest import PASSWORD

SLUG = "velykyi-konkurs-2026"
ORGANISER = "sekretar@big.example"
APPLICATIONS = 1000
JURORS = 15
PER_APPLICATION = 3
WINNERS = 10

FIRST_NAMES = ["Олена", "Андрій", "Ірина", "Олександра-Вікторія", "Святослав", "Ярослава"]
SURNAMES = ["Коваленко", "Мельник", "Бондар", "Константинопольська-Загорулько", "Шевчук"]
TOWNS = ["Апостолівська", "Балаклійська", "Кам’янець-Подільська", "Новоград-Волинська"]
OBLASTS = ["UA-12", "UA-14", "UA-23", "UA-35", "UA-48", "UA-51", "UA-63", "UA-71"]
LONG_NAME = (
    "Громадська організація «Асоціація сприяння розвитку місцевого самоврядування, "
    "територіальних громад, громадянського суспільства та міжмуніципального "
    "співробітництва в умовах децентралізації, відновлення після війни і європейської "
    "інтеграції України імені видатних діячів місцевого самоврядування Придніпров’я» № {n}"
)
DECLARATION = (
    "Протягом останніх трьох років я консультував(ла) цю організацію щодо її статуту та "
    "стратегії розвитку, а мій близький родич є членом її правління; тому заявляю про "
    "конфлікт інтересів і не оцінюю цю заявку."
)


@dataclass
class Big:
    contest_id: int
    slug: str
    numbers: list[str]
    long_named: str  # the number of an application whose organisation has 300 characters
    winner: str  # the number of a winner with a long name


def _long_name(n: int) -> str:
    name = LONG_NAME.format(n=n)
    return (name + " " + "і партнерів" * 40)[:300]


def _requested(i: int) -> Decimal:
    """What application ``i`` requests when the contest has a fund: from 48 000,50 to
    the widest amount a cell must hold, 999 999,99."""
    if i % 100 == 0:
        return Decimal("999999.99")
    return Decimal(48000 + i * 7919 % 450000) + Decimal("0.5")


def build_big_contest(app, fund: Decimal | None = None) -> Big:
    """The contest in deliberation, committed; see the module's docstring. With a
    ``fund``, every application requests an amount (``_requested``)."""
    rnd = random.Random(20260915)  # noqa: S311 — test data, repeatable
    now = clock.now()
    with app.app_context():
        organiser = User(email=ORGANISER, name="Оксана Секретаренко", role=Role.ORGANISER)
        organiser.set_password(PASSWORD)
        jurors = []
        for i in range(JURORS):
            name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {SURNAMES[i % len(SURNAMES)]}"
            juror = User(email=f"juror{i + 1}@big.example", name=name, role=Role.JUROR)
            juror.password_hash = organiser.password_hash
            jurors.append(juror)
        db.session.add_all([organiser, *jurors])
        contest = Contest(
            slug=SLUG,
            title_uk="Великий конкурс проєктів участі громад і громадських організацій 2026 року",
            title_en="The big contest of participation projects 2026",
            organising_body="Хаб участі",
            opens_at=now - timedelta(days=60),
            closes_at=now - timedelta(days=30),
            number_prefix="BIG",
            applicant_kinds=["community", "ngo"],
            winners=WINNERS,
            quorum=2,
            divergence_threshold=Decimal("0.4"),
            min_total=Decimal(20),
            stage=Stage.DELIBERATION,
            fund=fund,
            protocol_number="17/2026",
            protocol_place="м. Харків, вул. Сумська, 64, зала засідань обласної ради",
        )
        contest.organisers = [organiser]
        contest.jury = [JuryMember(user=j, is_chair=(i == 0)) for i, j in enumerate(jurors)]
        contest.criteria = [
            Criterion(
                code=f"C{i + 1}",
                title_uk=title,
                max_points=Decimal(10),
                weight=Decimal("1.5") if i == 1 else Decimal(1),
                position=i,
            )
            for i, title in enumerate(
                [
                    "Актуальність проєкту для громади та відповідність меті конкурсу",
                    "Залучення мешканців, зокрема внутрішньо переміщених осіб і молоді",
                    "Обґрунтованість бюджету",
                    "Сталість результатів після завершення фінансування",
                    "Спроможність команди",
                    "Інноваційність",
                ]
            )
        ]
        contest.questions = [
            Question(key="summary", label_uk="Короткий опис проєкту", kind=QuestionKind.TEXTAREA),
            Question(key="statute", label_uk="Статут", kind=QuestionKind.FILE, position=1),
        ]
        db.session.add(contest)
        db.session.flush()
        criteria = [c.id for c in contest.criteria]
        juror_ids = [j.id for j in jurors]
        summary_id, statute_id = (q.id for q in contest.questions)

        organisations = []
        for i in range(1, APPLICATIONS + 1):
            community = i % 2 == 0
            town = TOWNS[i % len(TOWNS)]
            if i % 10 == 0:
                name = _long_name(i)
            elif community:
                name = f"{town} міська рада {i}"
            else:
                name = f"ГО «Світанок {i}»"
            long_community = " об’єднана територіальна громада Придніпровського краю" * 2
            organisations.append(
                {
                    "kind": OrganisationKind.COMMUNITY if community else OrganisationKind.NGO,
                    "name": name,
                    "edrpou": edrpou.complete(f"{5000000 + i:07d}"),
                    "oblast": OBLASTS[i % len(OBLASTS)],
                    "community": f"{town} міська територіальна громада"
                    + (long_community if i % 7 == 0 else ""),
                    "contact_person": "Олена Коваленко",
                    "email": f"org{i}@big.example",
                    "phone": "+380501234567",
                }
            )
        db.session.execute(insert(Organisation), organisations)
        org_ids = db.session.scalars(
            select(Organisation.id).where(Organisation.email.like("%@big.example"))
            .order_by(Organisation.id)
        ).all()
        numbers = [f"BIG-2026-{i:04d}" for i in range(1, APPLICATIONS + 1)]
        db.session.execute(
            insert(Application),
            [
                {
                    "contest_id": contest.id,
                    "organisation_id": org_ids[i - 1],
                    "state": ApplicationState.ADMITTED,
                    "serial": i,
                    "number": numbers[i - 1],
                    "title": f"Проєкт участі мешканців у плануванні громадського простору № {i}",
                    "submitted_at": now - timedelta(days=40, minutes=i),
                    "decided_at": now - timedelta(days=25),
                    "requested": _requested(i) if fund else None,
                    # The applicant as submitted, which the documents print (SPEC §8).
                    "applicant_name": organisations[i - 1]["name"],
                    "applicant_kind": organisations[i - 1]["kind"],
                    "applicant_oblast": organisations[i - 1]["oblast"],
                    "applicant_community": organisations[i - 1]["community"],
                    "applicant_status": OrganisationStatus.ACTIVE,
                }
                for i in range(1, APPLICATIONS + 1)
            ],
        )
        app_ids = db.session.scalars(
            select(Application.id).where(Application.contest_id == contest.id)
            .order_by(Application.serial)
        ).all()
        db.session.execute(
            insert(Answer),
            [
                {"application_id": a, "question_id": summary_id, "value": "Відкриті слухання."}
                for a in app_ids
            ],
        )
        pdf = b"%PDF-1.4\n%%EOF\n"
        db.session.execute(
            insert(Attachment),
            [
                {
                    "application_id": app_ids[i],
                    "question_id": statute_id,
                    "filename": f"Статут громадської організації, редакція 2025 року, {n}.pdf",
                    "content_type": "application/pdf",
                    "size": len(pdf),
                    "sha256": hashlib.sha256(pdf).hexdigest(),
                    "content": pdf,
                }
                for i in range(0, APPLICATIONS, 10)
                for n in range(3)
            ],
        )
        sheets = []
        for index, application_id in enumerate(app_ids):
            serial = index + 1
            for k in range(PER_APPLICATION):
                juror = juror_ids[(index + k * 5) % JURORS]
                recused = serial % 25 == 0 and k == 2
                draft = serial % 40 == 0 and k == 1
                sheets.append(
                    {
                        "application_id": application_id,
                        "juror_id": juror,
                        "conflict": Conflict.RECUSED if recused else Conflict.NONE,
                        "declaration": DECLARATION if recused else "",
                        "declared_at": now - timedelta(days=20),
                        "state": SheetState.DRAFT if recused or draft else SheetState.SUBMITTED,
                        "submitted_at": None if recused or draft else now - timedelta(days=10),
                    }
                )
        db.session.execute(insert(Scoresheet), sheets)
        submitted = db.session.execute(
            select(Scoresheet.id, Scoresheet.application_id)
            .join(Application)
            .where(Application.contest_id == contest.id, Scoresheet.state == SheetState.SUBMITTED)
            .order_by(Scoresheet.id)
        ).all()
        serial_of = {a: i + 1 for i, a in enumerate(app_ids)}
        scores = []
        seen: dict[int, int] = {}
        for sheet_id, application_id in submitted:
            serial = serial_of[application_id]
            nth = seen[application_id] = seen.get(application_id, 0) + 1
            for criterion_id in criteria:
                if serial in (3, 4):  # the tie at the last winning place
                    points = 9
                elif serial % 60 == 0:  # divergent
                    points = 10 if nth == 1 else 1
                else:
                    points = rnd.randint(2, 8) if serial > 12 else 10 - serial % 3
                scores.append(
                    {
                        "scoresheet_id": sheet_id,
                        "criterion_id": criterion_id,
                        "points": Decimal(points),
                        "comment": "",
                    }
                )
        db.session.execute(insert(Score), scores)
        contest_id = contest.id
        db.session.commit()
    return Big(
        contest_id=contest_id,
        slug=SLUG,
        numbers=numbers,
        long_named=numbers[9],
        winner=numbers[9],
    )


def decide(app, big: Big) -> None:
    """The commission's decisions: the tie at the last winning place and a divergence."""
    with app.app_context():
        contest = db.session.get(Contest, big.contest_id)
        ids = dict(
            db.session.execute(
                select(Application.number, Application.id).where(
                    Application.contest_id == contest.id
                )
            ).all()
        )
        db.session.add_all(
            [
                Decision(
                    contest_id=contest.id,
                    kind=DecisionKind.DIVERGENCE,
                    application_id=ids[big.numbers[59]],
                    reason="Оцінки перевірено на засіданні: обидві обґрунтовані коментарями, "
                    "комісія залишила їх без змін.",
                ),
            ]
        )
        db.session.commit()
