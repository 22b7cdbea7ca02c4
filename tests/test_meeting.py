"""The record of the jury's meeting (SPEC §16): the organiser enters it in the browser, the
protocol prints it, and what the protocol could not truthfully say is refused.

The demo's contest in judging: three jurors (Олена Коваленко chairs, Андрій Мельник,
Ірина Бондар), the demo's organiser signed in, the interface in Ukrainian.
"""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from scoring import demo
from scoring.clock import KYIV
from scoring.extensions import db
from scoring.i18n import long_date
from scoring.models import (
    AgendaItem,
    AuditEntry,
    Contest,
    JuryMember,
    ProtocolVote,
    Role,
    Stage,
    User,
)

from .test_documents import read, words

ORGANISER = "organiser@demo.example"
# The demo's dates follow the day it is loaded; the tests move the clock to ten days
# after its applications closed and hold the meeting three days before that.
DAY = date(2026, 9, 14)
NOW = datetime(2026, 9, 20, 9, 0, tzinfo=UTC)


def _long_date(app, value, language: str = "uk") -> str:
    with app.test_request_context(), force_locale(language):
        return long_date(value)


@pytest.fixture
def meeting(app, client, demo_loaded, clock_at):
    """(slug, {name: user id}) of the demo's contest in judging; the organiser signed in."""
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.stage == Stage.JUDGING))
        shift = contest.closes_at.astimezone(KYIV).date() + timedelta(days=3) - DAY
        contest.opens_at -= shift
        contest.closes_at -= shift
        db.session.commit()
    clock_at(NOW)
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.stage == Stage.JUDGING))
        members = {
            user.name: user.id
            for user in db.session.scalars(
                select(User).join(JuryMember).where(JuryMember.contest_id == contest.id)
            )
        }
        slug = contest.slug
    client.login(ORGANISER, demo.PASSWORD)
    return slug, members


def _form(members: dict, **changes) -> dict:
    form = {
        "protocol_number": "3",
        "protocol_date": "14.09.2026",
        "protocol_place": "м. Харків, вул. Сумська, 64, зала засідань",
        "protocol_secretary": "Світлана Гребенюк",
        "protocol_secretary_position": "менеджерка програм Хабу участі",
        f"position_{members['Олена Коваленко']}": "директорка ГО «Агенція розвитку»",
        f"present_{members['Олена Коваленко']}": "yes",
        f"position_{members['Андрій Мельник']}": "експерт з децентралізації",
        f"present_{members['Андрій Мельник']}": "no",
        f"position_{members['Ірина Бондар']}": "депутатка обласної ради",
        f"present_{members['Ірина Бондар']}": "yes",
        "conflicts_for": "2",
        "conflicts_against": "0",
        "conflicts_abstained": "0",
        "ranking_for": "2",
        "ranking_against": "",
        "ranking_abstained": "",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def _post(client, slug: str, form: dict):
    url = f"/manage/contests/{slug}/meeting"
    return client.post(url, data={"csrf_token": client.csrf_token(url), **form})


def _stored(app, slug: str) -> tuple:
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
        members = db.session.scalars(
            select(JuryMember)
            .where(JuryMember.contest_id == contest.id)
            .order_by(JuryMember.user_id)
        ).all()
        votes = db.session.scalars(
            select(ProtocolVote).where(ProtocolVote.contest_id == contest.id)
        ).all()
        return (
            contest.protocol_number,
            contest.protocol_date,
            contest.protocol_place,
            contest.protocol_secretary,
            contest.protocol_secretary_position,
            [(m.user_id, m.position, m.present) for m in members],
            sorted((v.item.value, v.votes_for, v.votes_against, v.abstained) for v in votes),
        )


def _field_errors(page: str, field: str) -> str:
    start = page.find(f'id="{field}-errors"')
    assert start != -1, f"no error beside {field}"
    return page[start : page.index("</div>\n", start)]


def test_the_organiser_records_the_meeting_and_the_protocol_prints_it(app, client, meeting):
    slug, members = meeting
    page = client.get(f"/manage/contests/{slug}/meeting").get_data(as_text=True)
    assert "Засідання журі" in page and 'name="protocol_date"' in page
    for name in members:
        assert name in page
    response = _post(client, slug, _form(members))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Відомості про засідання збережено." in page
    assert "Присутні 2 з 3 членів комісії, засідання правомочне." in page

    number, day, place, secretary, position, stored, votes = _stored(app, slug)
    assert (number, day, secretary) == ("3", date(2026, 9, 14), "Світлана Гребенюк")
    assert place == "м. Харків, вул. Сумська, 64, зала засідань"
    assert position == "менеджерка програм Хабу участі"
    assert (members["Андрій Мельник"], "експерт з децентралізації", False) in stored
    assert (members["Олена Коваленко"], "директорка ГО «Агенція розвитку»", True) in stored
    # «Проти» and «утрималися» left empty next to «за»: none.
    assert votes == [("conflicts", 2, 0, 0), ("ranking", 2, 0, 0)]
    with app.app_context():
        (entry,) = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "protocol.meeting")
        ).all()
        assert entry.details["attendance"][str(members["Андрій Мельник"])] is False
        assert entry.details["votes"] == {"conflicts": [2, 0, 0], "ranking": [2, 0, 0]}
        assert "Гребенюк" not in str(entry.details)  # names stay out of the log

    document = read(client.get(f"/manage/contests/{slug}/protocol.pdf"))
    assert words(app, "MINUTES No. %(number)s", number="3") in document
    # The day of the meeting, not the day of printing (20 September).
    assert "14 вересня 2026 р." in document
    assert "20 вересня 2026 р." not in document.flat.split("Сформовано")[0]
    assert "Присутні члени комісії:" in document and "Відсутні члени комісії:" in document
    present = document.flat.split("Присутні члени комісії:")[1].split("Відсутні")[0]
    assert "Олена Коваленко (голова комісії)" in present and "Ірина Бондар" in present
    assert "Андрій Мельник" not in present
    assert "експерт з децентралізації" in document
    assert "Світлана Гребенюк, менеджерка програм Хабу участі" in document
    assert "Присутні 2 з 3 членів комісії, засідання правомочне." in document
    assert document.flat.count("Голосували: «за» — 2, «проти» — 0, «утрималися» — 0.") == 2
    assert document.flat.count("Голосували:") == 2  # the other questions: no vote held

    english = read(client.get(f"/manage/contests/{slug}/protocol.pdf?lang=en"))
    assert "2 of 3 members of the commission are present; the meeting is quorate." in english
    assert "September 14, 2026" in english


def test_without_a_record_the_protocol_leaves_lines_to_fill_in(app, client, meeting):
    slug, _members = meeting
    document = read(client.get(f"/manage/contests/{slug}/protocol.pdf"))
    assert words(app, "MINUTES No. %(number)s", number="____") in document
    assert "Присутні ____ з 3 членів комісії" in document
    assert "20 вересня 2026 р." not in document.flat.split("Сформовано")[0]  # never today
    assert document.flat.count("Голосували: «за» — ____, «проти» — ____, «утрималися» — ____.") == 4


def test_a_meeting_without_a_quorum_is_said_so(app, client, meeting):
    slug, members = meeting
    absent = {f"present_{uid}": "no" for uid in list(members.values())[1:]}
    form = _form(members, conflicts_for=None, ranking_for=None, **absent)
    form = {k: v for k, v in form.items() if not k.startswith(("conflicts_", "ranking_"))}
    assert _post(client, slug, form).status_code == 302
    document = read(client.get(f"/manage/contests/{slug}/protocol.pdf"))
    assert "Присутній 1 з 3 членів комісії, засідання неправомочне (кворум — 2)." in document


def test_equal_votes_decided_by_the_chair_are_recorded_as_such(app, client, meeting):
    """Two present (the chair and Ірина Бондар), one for and one against: the chair's
    vote decides, as most commissions' regulations provide."""
    slug, members = meeting
    form = _form(members, ranking_for="1", ranking_against="1", ranking_abstained="0")
    refused = _post(client, slug, form).get_data(as_text=True)
    assert "Голосів «за» і «проти» порівну" in _field_errors(refused, "ranking_for")
    response = _post(client, slug, {**form, "ranking_chair_decided": "y"})
    assert response.status_code == 302
    assert _stored(app, slug)[-1] == [("conflicts", 2, 0, 0), ("ranking", 1, 1, 0)]
    page = client.get(f"/manage/contests/{slug}/meeting").get_data(as_text=True)
    (box,) = re.findall(r'<input[^>]*id="ranking_chair_decided"[^>]*>', page)
    assert "checked" in box
    (other,) = re.findall(r'<input[^>]*id="conflicts_chair_decided"[^>]*>', page)
    assert "checked" not in other
    with app.app_context():
        decided = dict(
            db.session.execute(select(ProtocolVote.item, ProtocolVote.chair_decided)).all()
        )
        assert decided == {AgendaItem.CONFLICTS: False, AgendaItem.RANKING: True}
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "protocol.meeting")
        ).all()[-1]
        assert entry.details["votes"] == {"conflicts": [2, 0, 0], "ranking": [1, 1, 0, "chair"]}
    document = read(client.get(f"/manage/contests/{slug}/protocol.pdf"))
    assert (
        "Голосували: «за» — 1, «проти» — 1, «утрималися» — 0. За рівного розподілу голосів "
        "вирішальним був голос голови комісії." in document
    )
    assert document.flat.count("вирішальним був голос голови") == 1  # the ranking only


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"protocol_date": "21.09.2026"}, "protocol_date", "не може бути в майбутньому"),
        ({"protocol_date": "01.01.2020"}, "protocol_date", "раніше, ніж відкрився конкурс"),
        ({"protocol_date": "31.02.2026"}, "protocol_date", "Введіть дату засідання"),
        ({"protocol_place": "м" * 201}, "protocol_place", "Не більше ніж 200 символів"),
        ({"present_{Ірина Бондар}": ""}, "present_{Ірина Бондар}", "Позначте присутність"),
        ({"present_{Ірина Бондар}": "maybe"}, "present_{Ірина Бондар}", "Оберіть"),
        ({"ranking_for": "3"}, "ranking_for", "разом — 3, а присутніх членів комісії лише 2"),
        (
            {"ranking_for": "1", "ranking_against": "1"},
            "ranking_for",
            "голосів «за» має бути щонайменше 2",
        ),
        (
            {"ranking_chair_decided": "y", "ranking_for": "2"},
            "ranking_chair_decided",
            "лише за рівного розподілу голосів «за» і «проти» (тут — 2 і 0)",
        ),
        (
            {
                "ranking_chair_decided": "y",
                "ranking_for": "1",
                "ranking_against": "1",
                "present_{Олена Коваленко}": "no",
                "present_{Андрій Мельник}": "yes",
            },
            "ranking_chair_decided",
            "Голову комісії не позначено присутнім",
        ),
        ({"conflicts_against": "-1"}, "conflicts_against", "від 0 до 1000"),
        ({"conflicts_for": "два"}, "conflicts_for", "цілим числом"),
        (
            {
                "present_{Олена Коваленко}": "no",
                "present_{Ірина Бондар}": "no",
                "present_{Андрій Мельник}": "yes",
            },
            "conflicts_for",
            "Засідання неправомочне",
        ),
        (
            {
                f"present_{{{name}}}": ""
                for name in ("Олена Коваленко", "Андрій Мельник", "Ірина Бондар")
            },
            "conflicts_for",
            "Спершу позначте, хто був присутній",
        ),
    ],
)
def test_what_the_protocol_could_not_say_is_refused_beside_its_field(
    app, client, meeting, changes, field, message
):
    slug, members = meeting

    def by_id(text: str) -> str:
        for name, uid in members.items():
            text = text.replace(f"{{{name}}}", str(uid))
        return text

    before = _stored(app, slug)
    response = _post(client, slug, _form(members, **{by_id(k): v for k, v in changes.items()}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in _field_errors(page, by_id(field))
    assert 'id="error-summary"' in page
    assert _stored(app, slug) == before  # nothing saved


def test_after_publication_the_record_is_read_only(app, client, meeting):
    slug, members = meeting
    assert _post(client, slug, _form(members)).status_code == 302
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
        contest.stage, contest.published_at = Stage.PUBLISHED, NOW
        db.session.commit()
    before = _stored(app, slug)
    page = client.get(f"/manage/contests/{slug}/meeting").get_data(as_text=True)
    assert "Результати оприлюднено: відомості про засідання більше не змінюються." in page
    assert "<fieldset disabled>" in page
    response = _post(client, slug, _form(members, protocol_number="4"))
    assert response.status_code == 200
    assert _stored(app, slug) == before


def test_only_the_contests_organisers_reach_the_page(app, client, build, meeting):
    slug, _members = meeting
    url = f"/manage/contests/{slug}/meeting"
    client.submit("/logout")
    assert client.get(url).status_code == 302  # to the login page
    client.login("olena.kovalenko@demo.example", demo.PASSWORD)
    assert client.get(url).status_code == 403
    client.submit("/logout")
    build.user(Role.ORGANISER, email="stranger@example.org")
    client.login("stranger@example.org")
    assert client.get(url).status_code == 404
    client.submit("/logout")
    client.login(ORGANISER, demo.PASSWORD)
    with app.app_context():
        other = db.session.scalar(select(Contest.slug).where(Contest.stage == Stage.OPEN))
    assert client.get(f"/manage/contests/{other}/meeting").status_code == 404  # not judged yet


def test_every_member_signs_only_when_present(app, client, meeting):
    slug, members = meeting
    assert _post(client, slug, _form(members)).status_code == 302
    document = read(client.get(f"/manage/contests/{slug}/protocol.pdf?members=1"))
    signatures = document.flat.rsplit(words(app, "Chair of the commission"), 1)[-1]
    assert "Олена Коваленко" in signatures and "Ірина Бондар" in signatures
    assert "Андрій Мельник" not in signatures  # absent: nothing to sign
    assert signatures.count(words(app, "Member of the commission")) == 1


def test_a_members_name_with_markup_is_shown_as_text(app, client, meeting):
    """A juror's name is what they typed: on the meeting page it is text, never markup."""
    slug, members = meeting
    with app.app_context():
        db.session.get(User, members["Ірина Бондар"]).name = "<img src=x onerror=alert(1)>"
        db.session.commit()
    page = client.get(f"/manage/contests/{slug}/meeting").get_data(as_text=True)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;: " in page  # the labels of its fields
