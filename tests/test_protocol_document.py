"""The protocol and the diplomas as the secretary who signs them reads them (SPEC §16).

One contest with what real commissions bring: nine members (more than the matrix has
columns for), registration numbers with the longest prefix a contest may have, two
categories, a tie at the top of one decided by the commission, and in the other an
application that ranks second but cannot win (a criterion below its minimum), so that
the winner ranked third takes the second prize place.
"""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import (
    Application,
    Category,
    Conflict,
    Contest,
    Criterion,
    Decision,
    DecisionKind,
    JuryMember,
    Role,
    SheetState,
    Stage,
)

from ._judging import judged_contest, set_sheet
from ._pdf_layout import layout_problems
from .conftest import PASSWORD
from .test_documents import Document, read

# Entered in this order; the protocol lists them in the order of the Ukrainian alphabet
# (І after И, not after Я as the code points have it), the chair first.
MEMBERS = [
    "Ярослава Ткаченко",
    "Олена Коваленко",  # the chair
    "Ірина Бондар",
    "Андрій Мельник",
    "Олександра-Вікторія Константинопольська-Загорулько",
    "Богдан Кравчук",
    "Марія Савченко",
    "Тарас Лисенко",
    "Євген Гончаренко",
]
PREFIX = "KHARKIVGRANT"  # 12 letters: the longest prefix a contest may have
SMALL, NGO = "Малі громади (до 10 тисяч мешканців)", "Громадські організації"
NAMES = [
    "Апостолівська міська рада",  # small: tied at the top with the next, loses the tie
    "Балаклійська міська рада",  # small: wins the tie
    "Печенізька селищна рада",  # small
    "ГО «Світанок»",  # ngo: first
    "ГО «Друге місце без права перемоги»",  # ngo: second, C3 below its minimum
    "ГО «Третя в рейтингу»",  # ngo: third, the second winner
    "ГО «Остання»",  # ngo
]
POINTS = [(9, 9, 5), (9, 9, 5), (6, 6, 3), (10, 10, 5), (10, 9, 1), (8, 7, 4), (5, 5, 3)]


def _number(i: int) -> str:
    return f"{PREFIX}-2026-{i + 1:05d}"


@pytest.fixture
def contest(app, client, build, clock_at):
    """The contest in deliberation, its meeting recorded by the organiser; its slug."""
    clock_at(datetime(2026, 9, 20, 9, 0, tzinfo=UTC))
    jurors = [build.user(Role.JUROR, name=name) for name in MEMBERS]
    judged = judged_contest(
        app,
        build,
        jurors,
        count=len(NAMES),
        stage=Stage.DELIBERATION,
        opens_at=datetime(2026, 8, 1, tzinfo=UTC),
        closes_at=datetime(2026, 9, 1, tzinfo=UTC),
    )
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        contest.number_prefix = PREFIX
        small = Category(contest=contest, code="small", title_uk=SMALL, winners=1, position=0)
        ngo = Category(contest=contest, code="ngo", title_uk=NGO, winners=2, position=1)
        db.session.add_all([small, ngo])
        db.session.flush()
        criterion = db.session.scalar(
            select(Criterion).where(Criterion.contest_id == contest.id, Criterion.code == "C3")
        )
        criterion.min_points = Decimal(3)
        for i, number in enumerate(judged.numbers):
            application = db.session.scalar(select(Application).where(Application.number == number))
            application.number = _number(i)
            application.organisation.name = NAMES[i]
            application.freeze_facts()  # the applicant as submitted, as documents show it
            application.category_id = small.id if i < 3 else ngo.id
        chair = db.session.scalar(select(JuryMember).where(JuryMember.user_id == jurors[1]))
        chair.is_chair = True
        small_id = small.id
        db.session.commit()
    for i in range(len(NAMES)):
        c1, c2, c3 = POINTS[i]
        points = {
            judged.criteria["C1"]: str(c1),
            judged.criteria["C2"]: str(c2),
            judged.criteria["C3"]: str(c3),
        }
        for juror in jurors:
            if i == 2 and juror == jurors[4]:  # the longest name recuses herself
                set_sheet(
                    app,
                    juror,
                    _number(i),
                    conflict=Conflict.RECUSED,
                    declaration="Я була членкинею виконавчого комітету цієї ради до 2024 року.",
                )
                continue
            set_sheet(app, juror, _number(i), state=SheetState.SUBMITTED, points=points)
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        winner = db.session.scalar(select(Application).where(Application.number == _number(1)))
        db.session.add(
            Decision(
                contest_id=contest.id,
                category_id=small_id,
                kind=DecisionKind.TIE,
                winner_ids=[winner.id],
                reason="Голосування комісії: 6 голосів за Балаклійську міську раду, 1 — проти.",
            )
        )
        organiser = contest.organisers[0].email
        db.session.commit()
    client.login(organiser, PASSWORD)
    form = {
        "protocol_number": "17/2026",
        "protocol_date": "14.09.2026",
        "protocol_place": "м. Харків, вул. Сумська, 64, зала засідань",
        "protocol_secretary": "Світлана Гребенюк",
        "protocol_secretary_position": "менеджерка програм",
        "ranking_for": "6",
        "ranking_against": "1",
        "ranking_abstained": "0",
    }
    for i, juror in enumerate(jurors):
        form[f"position_{juror}"] = "членкиня комісії"
        form[f"present_{juror}"] = "no" if i in (0, 7) else "yes"
    url = f"/manage/contests/{judged.slug}/meeting"
    response = client.post(url, data={"csrf_token": client.csrf_token(url), **form})
    assert response.status_code == 302, response.get_data(as_text=True)
    return judged.slug


def test_the_protocol_keeps_long_numbers_in_their_cells_and_names_the_winners_by_category(
    client, contest
):
    data = client.get(f"/manage/contests/{contest}/protocol.pdf").get_data()
    # «KHARKIVGRANT-2026-00001» is wider than a fixed column: the column takes its width.
    assert layout_problems(data) == []
    document = Document(data)
    assert "Присутні 7 з 9 членів комісії, засідання правомочне." in document
    # The tie, in its category; the winner named with «заявку», the name in the nominative.
    assert f"1 місце в категорії «{SMALL}». Однаковий бал:" in document
    assert f"переможцем визнано заявку {_number(1)} (Балаклійська міська рада)." in document
    # The decision names the winners category by category, with their places among the
    # winners: the third in the ranking is the second prize place, as on its diploma.
    assert (
        f"Визнати переможцем у категорії «{SMALL}»: 1 місце — {_number(1)} "
        "(Балаклійська міська рада), бал 27,50." in document
    )
    assert (
        f"Визнати переможцями в категорії «{NGO}»: 1 місце — {_number(3)} (ГО «Світанок»), "
        f"бал 30,00; 2 місце — {_number(5)} (ГО «Третя в рейтингу»), бал 22,50." in document
    )
    assert "Голосували: «за» — 6, «проти» — 1, «утрималися» — 0." in document
    # The recusal's narrow column breaks the longest name after its hyphen, not inside it.
    assert any("Константинопольська-\nЗагорулько" in page for page in document.pages), (
        "the name is broken elsewhere"
    )


def test_the_members_are_in_ukrainian_alphabetical_order_and_each_total_stays_with_its_member(
    client, contest
):
    document = Document(client.get(f"/manage/contests/{contest}/protocol.pdf").get_data())
    legend = (
        "Ч1 — Олена Коваленко (голова); Ч2 — Андрій Мельник; Ч3 — Богдан Кравчук; "
        "Ч4 — Євген Гончаренко; Ч5 — Ірина Бондар; Ч6 — Марія Савченко; "
        "Ч7 — Олександра-Вікторія Константинопольська-Загорулько; Ч8 — Тарас Лисенко; "
        "Ч9 — Ярослава Ткаченко."
    )
    assert legend in document
    # Nine members: each line of the matrix names them; «Ч5:» never ends a line without
    # its total.
    assert "Ч9:" in document.flat
    for page in document.pages:
        assert not re.search(r"Ч\d+:\s*\n", page), page


def test_a_diploma_names_the_place_among_the_winners(client, contest):
    third = read(client.get(f"/manage/contests/{contest}/certificates/{_number(5)}.pdf"))
    assert f"2 місце у категорії «{NGO}»" in third
    assert "3 місце" not in third
    first = read(client.get(f"/manage/contests/{contest}/certificates/{_number(1)}.pdf"))
    assert f"1 місце у категорії «{SMALL}»" in first
    # The application ranked second cannot win: no diploma.
    assert (
        client.get(f"/manage/contests/{contest}/certificates/{_number(4)}.pdf").status_code == 404
    )


def test_the_announcement_keeps_long_numbers_in_their_cells(client, contest):
    response = client.get(f"/contests/{contest}/results.pdf")
    assert response.status_code == 200
    assert layout_problems(response.get_data()) == []
