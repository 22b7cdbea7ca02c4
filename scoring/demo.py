"""The demo: «Успішна участь громади» in judging, and an open contest to apply to.

Twelve applications from communities and NGOs of the target oblasts, three jurors
(two have submitted every sheet, the third is halfway, one recusal), an organiser and
an applicant whose community can apply to the open contest. Two applications are
scored identically by every juror, so deliberation meets a real tie.
"""

import random
from datetime import timedelta
from decimal import Decimal

from . import audit, clock, edrpou, hromadas
from .extensions import db
from .models import (
    Answer,
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Criterion,
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

PASSWORD = "demo-pass-2026"
EASTERN_OBLASTS = ["UA-12", "UA-14", "UA-23", "UA-35", "UA-48", "UA-51", "UA-63"]

COMMUNITY, NGO = OrganisationKind.COMMUNITY, OrganisationKind.NGO
ACTIVE, RELOCATED, OCCUPIED = (
    OrganisationStatus.ACTIVE,
    OrganisationStatus.RELOCATED,
    OrganisationStatus.OCCUPIED,
)

# name, kind, oblast, community (as people say it; the official name and КАТОТТГ code are
# looked up), status, contact person, project title, quality (0..10)
ORGANISATIONS = [
    (
        "ГО «Агенція розвитку Апостолова»",
        NGO,
        "UA-12",
        "Апостолівська міська громада",
        ACTIVE,
        "Оксана Литвиненко",
        "Школа активного мешканця",
        Decimal("8.5"),
    ),
    (
        "Синельниківська міська рада",
        COMMUNITY,
        "UA-12",
        "Синельниківська міська громада",
        ACTIVE,
        "Віталій Кравець",
        "Громадський бюджет для молоді",
        Decimal("6"),
    ),
    (
        "ГО «Платформа громадської участі Краматорська»",
        NGO,
        "UA-14",
        "Краматорська міська громада",
        RELOCATED,
        "Марина Руденко",
        "Онлайн-слухання для переселенців",
        Decimal("8"),
    ),
    (
        "Маріупольська міська рада",
        COMMUNITY,
        "UA-14",
        "Маріупольська міська громада",
        OCCUPIED,
        "Сергій Ткаченко",
        "Голос маріупольців у вимушеному переселенні",
        Decimal("7"),
    ),
    (
        "ГО «Запорізький центр місцевої демократії»",
        NGO,
        "UA-23",
        "Запорізька міська громада",
        ACTIVE,
        "Наталія Гончаренко",
        "Відкриті засідання виконкому",
        Decimal("7"),
    ),
    (
        "Мелітопольська міська рада",
        COMMUNITY,
        "UA-23",
        "Мелітопольська міська громада",
        OCCUPIED,
        "Ігор Шевчук",
        "Е-петиції в умовах окупації",
        Decimal("5"),
    ),
    (
        "ГО «Кропивницька агенція участі»",
        NGO,
        "UA-35",
        "Кропивницька міська громада",
        ACTIVE,
        "Юлія Савченко",
        "Карта потреб мікрорайонів",
        Decimal("7.5"),
    ),
    (
        "Південнівська міська рада",
        COMMUNITY,
        "UA-51",
        "Південнівська міська громада",
        ACTIVE,
        "Олег Поліщук",
        "Молодіжна рада при голові громади",
        Decimal("4.5"),
    ),
    (
        "ГО «Миколаївська ініціатива»",
        NGO,
        "UA-48",
        "Миколаївська міська громада",
        ACTIVE,
        "Тетяна Мороз",
        "Бюджет участі для шкіл",
        Decimal("6.5"),
    ),
    (
        "Балаклійська міська рада",
        COMMUNITY,
        "UA-63",
        "Балаклійська міська громада",
        ACTIVE,
        "Андрій Коваль",
        "Відновлення публічного простору разом",
        Decimal("9"),
    ),
    (
        "ГО «Харківський хаб партисипації»",
        NGO,
        "UA-63",
        "Харківська міська громада",
        ACTIVE,
        "Дмитро Бондаренко",
        "Громадська експертиза рішень ради",
        Decimal("5.5"),
    ),
    (
        "Вознесенська міська рада",
        COMMUNITY,
        "UA-48",
        "Вознесенська міська громада",
        ACTIVE,
        "Людмила Павленко",
        "Консультації з внутрішньо переміщеними особами",
        Decimal("4"),
    ),
]
TIED = (4, 3)  # these two get identical sheets from every juror

CRITERIA = [
    (
        "C1",
        "Актуальність і відповідність меті конкурсу",
        "Relevance to the contest's aim",
        "Наскільки практика відповідає потребам громади та меті конкурсу.",
        1,
        1,
    ),
    (
        "C2",
        "Залучення мешканців",
        "Involvement of residents",
        "Скільки і яких мешканців залучено, чи враховано вразливі групи та ВПО.",
        Decimal("1.5"),
        1,
    ),
    (
        "C3",
        "Партнерство з органами місцевого самоврядування",
        "Partnership with local government",
        "Чи є спільні рішення, меморандуми, участь посадовців.",
        1,
        1,
    ),
    (
        "C4",
        "Інклюзивність і доступність",
        "Inclusion and accessibility",
        "Доступність для людей з інвалідністю, літніх людей, переселенців.",
        1,
        1,
    ),
    (
        "C5",
        "Сталість результатів",
        "Sustainability of results",
        "Чи продовжиться практика після завершення підтримки.",
        1,
        1,
    ),
    (
        "C6",
        "Обґрунтованість бюджету",
        "Soundness of the budget",
        "Реалістичність витрат; оцінка з кроком 0,5 бала.",
        1,
        Decimal("0.5"),
    ),
]

JURORS = [
    ("olena.kovalenko@demo.example", "Олена Коваленко", "UA-12", Decimal("0.5")),
    ("andrii.melnyk@demo.example", "Андрій Мельник", "UA-63", Decimal("-0.5")),
    ("iryna.bondar@demo.example", "Ірина Бондар", "UA-23", Decimal(0)),
]


def _question(key, label_uk, label_en, kind, required=False, position=0, **limits):
    return Question(
        key=key,
        label_uk=label_uk,
        label_en=label_en,
        kind=kind,
        required=required,
        position=position,
        **limits,
    )


def _user(email, name, role, **fields) -> User:
    user = User(email=email, name=name, role=role, **fields)
    user.set_password(PASSWORD)
    db.session.add(user)
    return user


def _kyiv_day(now, days: int, hour: int):
    """A round moment (``hour``:00 Kyiv time) ``days`` from ``now``, as contests announce."""
    local = (now + timedelta(days=days)).astimezone(clock.KYIV)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def _official_community(oblast: str, spoken: str) -> dict:
    """«Апостолівська міська громада» → its name and code in the official codifier."""
    stem = spoken.removesuffix(" громада") + " "
    found = next(c for c in hromadas.communities(oblast) if c["name"].startswith(stem))
    return {"community": found["name"], "community_code": found["code"]}


def _clamp(value: Decimal, step: Decimal, top: int = 10) -> Decimal:
    value = min(max(value, Decimal(0)), Decimal(top))
    return (value / step).to_integral_value() * step


def load() -> list[tuple[str, str, str]]:
    """Create the demo data in the current transaction; return (role, e-mail, password)."""
    now = clock.now()
    organiser = _user("organiser@demo.example", "Світлана Гребенюк", Role.ORGANISER)
    jurors = [_user(e, n, Role.JUROR, oblast=o) for e, n, o, _bias in JURORS]

    judged = Contest(
        slug=f"uspishna-uchast-{now.year}",
        title_uk=f"Успішна участь громади {now.year}",
        title_en=f"Successful Community Participation {now.year}",
        description_uk="Конкурс практик громадської участі серед громад та громадських "
        "організацій цільових областей. П’ять переможців отримають підтримку "
        "для поширення своєї практики.",
        description_en="A contest of civic participation practices among communities and NGOs "
        "of the target oblasts. Five winners receive support to spread their "
        "practice.",
        rules_uk="Заявки приймаються лише онлайн. Кожну заявку оцінюють щонайменше два члени "
        "журі за опублікованими критеріями. Члени журі декларують відсутність "
        "конфлікту інтересів перед оцінюванням.",
        organising_body="Хаб участі",
        applicant_kinds=[COMMUNITY.value, NGO.value],
        oblasts=EASTERN_OBLASTS,
        opens_at=_kyiv_day(now, -60, 9),
        closes_at=_kyiv_day(now, -20, 18),
        stage=Stage.JUDGING,
        number_prefix="UUG",
        winners=5,
        organisers=[organiser],
    )
    judged.criteria = [
        Criterion(
            code=code,
            title_uk=uk,
            title_en=en,
            guidance_uk=guidance,
            max_points=Decimal(10),
            weight=Decimal(weight),
            step=Decimal(step),
            position=i,
        )
        for i, (code, uk, en, guidance, weight, step) in enumerate(CRITERIA)
    ]
    judged.questions = [
        _question(
            "summary",
            "Короткий опис практики",
            "Summary of the practice",
            QuestionKind.TEXTAREA,
            True,
            0,
            max_length=2000,
        ),
        _question(
            "residents",
            "Кількість залучених мешканців",
            "Residents involved",
            QuestionKind.NUMBER,
            True,
            1,
            min_value=Decimal(0),
        ),
        _question(
            "website",
            "Сторінка практики в інтернеті",
            "Web page of the practice",
            QuestionKind.URL,
            False,
            2,
        ),
        _question(
            "evidence", "Підтвердні матеріали", "Supporting documents", QuestionKind.FILE, False, 3
        ),
    ]
    judged.jury = [JuryMember(user=j, is_chair=(i == 0)) for i, j in enumerate(jurors)]
    db.session.add(judged)

    rng = random.Random(2026)  # noqa: S311 — demo data, not secrets
    applicant = None
    for serial, (name, kind, oblast, community, status, person, title, quality) in enumerate(
        ORGANISATIONS, start=1
    ):
        organisation = Organisation(
            kind=kind,
            name=name,
            edrpou=edrpou.complete(f"{(26000000 + serial * 7919) // 10:07d}"),
            oblast=oblast,
            **_official_community(oblast, community),
            status=status,
            contact_person=person,
            email=f"applicant{serial:02d}@demo.example",
            phone=f"+38050{1000000 + serial:07d}",
        )
        contact = _user(organisation.email, person, Role.APPLICANT, organisation=organisation)
        if name == "Балаклійська міська рада":
            applicant = contact
        submitted = judged.opens_at + timedelta(days=serial)
        application = Application(
            contest=judged,
            organisation=organisation,
            state=ApplicationState.ADMITTED,
            serial=serial,
            number=f"UUG-{submitted.year}-{serial:03d}",
            title=title,
            submitted_at=submitted,
            decided_at=judged.closes_at + timedelta(days=2),
            decision_reason="",
        )
        application.answers = [
            Answer(
                question=judged.questions[0],
                value=f"{title}: практика, яку {name} впроваджує разом із мешканцями.",
            ),
            Answer(question=judged.questions[1], value=str(40 + serial * 13)),
        ]
        db.session.add(application)
        _score(application, judged.criteria, jurors, quality, serial, rng)

    judged.last_number = len(ORGANISATIONS)  # the next number continues the sequence

    open_contest = Contest(
        slug=f"biudzhet-uchasti-{now.year + 1}",
        title_uk=f"Відбір п’яти громад для впровадження бюджету участі {now.year + 1}",
        title_en=f"Selecting five communities to introduce a participatory budget {now.year + 1}",
        description_uk="Східноукраїнський хаб партисипації обирає п'ять громад, які отримають "
        "повний супровід у запровадженні бюджету участі.",
        description_en="The participation hub selects five communities for full support in "
        "introducing a participatory budget.",
        rules_uk="Подати заявку може рада територіальної громади однієї з семи цільових "
        "областей. Потрібне рішення виконавчого комітету про участь у конкурсі.",
        organising_body="Хаб участі",
        applicant_kinds=[COMMUNITY.value],
        oblasts=EASTERN_OBLASTS,
        opens_at=_kyiv_day(now, -5, 9),
        closes_at=_kyiv_day(now, 40, 18),
        stage=Stage.OPEN,
        number_prefix="BU",
        winners=5,
        organisers=[organiser],
    )
    open_contest.criteria = [
        Criterion(
            code="K1",
            title_uk="Готовність керівництва громади",
            title_en="Commitment",
            max_points=Decimal(10),
            position=0,
        ),
        Criterion(
            code="K2",
            title_uk="Досвід залучення мешканців",
            title_en="Experience",
            max_points=Decimal(10),
            position=1,
        ),
        Criterion(
            code="K3",
            title_uk="Ресурси для реалізації",
            title_en="Resources",
            max_points=Decimal(5),
            position=2,
        ),
    ]
    open_contest.questions = [
        _question(
            "motivation",
            "Чому громада хоче запровадити бюджет участі",
            "Why the community wants a participatory budget",
            QuestionKind.TEXTAREA,
            True,
            0,
            max_length=3000,
        ),
        _question(
            "population",
            "Кількість мешканців громади",
            "Population",
            QuestionKind.NUMBER,
            True,
            1,
            min_value=Decimal(1),
        ),
        _question(
            "decision",
            "Рішення виконавчого комітету про участь",
            "Decision of the executive committee",
            QuestionKind.FILE,
            True,
            2,
            file_types=["application/pdf"],
        ),
    ]
    db.session.add(open_contest)
    db.session.flush()
    audit.record("demo.loaded", actor=organiser, contests=[judged.slug, open_contest.slug])
    return [
        ("organiser", organiser.email, PASSWORD),
        *(("juror", j.email, PASSWORD) for j in jurors),
        ("applicant", applicant.email, PASSWORD),
    ]


def _score(application, criteria, jurors, quality, serial, rng) -> None:
    """Sheets for one application: two jurors submitted, the third part of the way."""
    tied = serial - 1 in TIED
    for j, juror in enumerate(jurors):
        sheet = Scoresheet(application=application, juror=juror)
        db.session.add(sheet)
        if j == 1 and serial == 10:
            sheet.conflict = Conflict.RECUSED
            sheet.declaration = "Торік консультував(ла) цю громаду щодо статуту."
            sheet.declared_at = application.decided_at
            continue
        if j == 2 and serial in (2, 6, 8, 12):
            if serial in (6, 12):  # not started yet
                continue
            sheet.conflict, sheet.declared_at = Conflict.NONE, application.decided_at
            sheet.scores = [Score(criterion=criteria[0], points=_clamp(quality, Decimal(1)))]
            continue
        bias = Decimal(0) if tied else JURORS[j][3]
        sheet.conflict, sheet.declared_at = Conflict.NONE, application.decided_at
        sheet.state, sheet.submitted_at = SheetState.SUBMITTED, application.decided_at
        sheet.scores = [
            Score(
                criterion=c,
                points=_clamp(quality + bias + (0 if tied else rng.choice((-1, 0, 0, 1))), c.step),
            )
            for c in criteria
        ]
