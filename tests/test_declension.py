"""Ukrainian grammar in generated sentences (SPEC §16): names declined correctly, or kept
in the nominative when that cannot be done for certain; letters that greet people in the
vocative; «переможцем» for one winner.

The names are real ones (the demo's jurors and communities) and names the dictionary
does not know, where a guess would be wrong.
"""

import pytest
from sqlalchemy import select

from scoring import declension, demo
from scoring.extensions import db
from scoring.models import (
    Application,
    Contest,
    Decision,
    DecisionKind,
    Organisation,
    Role,
    Stage,
    User,
)

from ._applications import submitted_application
from .test_documents import read, words
from .test_screening import _contest, _decide

# --- People ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "genitive"),
    [
        ("Олена Коваленко", "Олени Коваленко"),  # a woman's «-енко» never changes
        ("Андрій Мельник", "Андрія Мельника"),
        ("Ірина Бондар", "Ірини Бондар"),
        ("Святослав Загорулько", "Святослава Загорулька"),
        ("Коваленко Олена Петрівна", "Коваленко Олени Петрівни"),
        ("Олена Петрівна Коваленко", "Олени Петрівни Коваленко"),
        ("Ярослава Ковальська", "Ярослави Ковальської"),
        ("Андрій Ковальський", "Андрія Ковальського"),
        (  # both parts of each change, each by its own rule
            "Олександра-Вікторія Константинопольська-Загорулько",
            "Олександри-Вікторії Константинопольської-Загорулько",
        ),
        # Surnames the dictionary does not know: rules without exceptions, or nothing.
        ("Ірина Зюзькевич", "Ірини Зюзькевич"),
        ("Андрій Зюзькевич", None),  # Зюзькевича? a man's surname may not be guessed
        ("Марія Строга", None),
        # Whose gender the first name does not tell, or no first name at all.
        ("Саша Мельник", None),
        ("Вільний Експерт", None),
        ("Особу знеособлено", None),
        ("Emma Expert", None),
        ("Коваленко", None),
        ("Олена", "Олени"),  # a first name alone
    ],
)
def test_a_persons_name_in_the_genitive(name, genitive):
    assert declension.genitive(name) == genitive


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Апостолівська міська рада", "Апостолівської міської ради"),
        ("Балаклійська міська рада", "Балаклійської міської ради"),
        (
            "Балаклійська міська територіальна громада",
            "Балаклійської міської територіальної громади",
        ),
        ("Кам’янець-Подільська міська рада", "Кам’янець-Подільської міської ради"),
        (
            "Виконавчий комітет Балаклійської міської ради",
            "Виконавчого комітету Балаклійської міської ради",
        ),
        ("Громадська організація «Світанок»", "Громадської організації «Світанок»"),
        ("Благодійний фонд «Крила»", "Благодійного фонду «Крила»"),
        ("ГО «Світанок»", "ГО «Світанок»"),  # the abbreviation does not change
        (
            "ГО «Запорізький центр місцевої демократії»",
            "ГО «Запорізький центр місцевої демократії»",
        ),
        ("«Світанок»", "«Світанок»"),
        # Unknown or ambiguous heads: «центру» or «центра»? «об’єднання» one or many?
        ("Центр розвитку громад", None),
        ("Об’єднання співвласників багатоквартирного будинку «Зоря»", None),
        ("Моя громада", None),
        ("Sunrise NGO", None),
    ],
)
def test_an_organisations_name_in_the_genitive(name, expected):
    assert declension.organisation_genitive(name) == expected


@pytest.mark.parametrize(
    ("name", "gender", "vocative", "patronymic"),
    [
        ("Ольга Іваненко", "femn", "Ольго", False),
        ("Ольга Петрівна Іваненко", "femn", "Ольго Петрівно", True),
        ("Андрій Мельник", "masc", "Андрію", False),
        ("Мельник Андрій Петрович", "masc", "Андрію Петровичу", True),
        ("Ірина Бондар", "femn", "Ірино", False),
        ("Андрій Зюзькевич", "masc", "Андрію", False),  # the surname is not needed
        ("Олена", "femn", "Олено", False),
    ],
)
def test_how_a_letter_addresses_a_person(name, gender, vocative, patronymic):
    assert declension.address(name) == declension.Address(gender, vocative, patronymic)


@pytest.mark.parametrize("name", ["Саша Мельник", "Контактна особа", "info@org.example", ""])
def test_no_address_is_guessed(name):
    assert declension.address(name) is None


# --- Letters -----------------------------------------------------------------------------


@pytest.fixture
def screening(app, build, signed_in):
    """A contest in screening, an organiser signed in, and a Ukrainian-speaking applicant
    of «Апостолівська міська рада»; (contest id, organisation id)."""
    organiser = signed_in(Role.ORGANISER, "org@example.org", name="Олена Секретар")
    contest_id = _contest(build, organiser)
    organisation_id = build.organisation(name="Апостолівська міська рада")
    build.user(
        Role.APPLICANT,
        email="rada@example.org",
        organisation_id=organisation_id,
        language="uk",
    )
    return contest_id, organisation_id


def _set_contact(app, organisation_id: int, person: str, name: str | None = None) -> None:
    with app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        organisation.contact_person = person
        if name:
            organisation.name = name
        db.session.commit()


def test_the_decision_letter_declines_the_applicant_and_greets_by_name_and_patronymic(
    app, client, screening, outbox
):
    contest_id, organisation_id = screening
    _set_contact(app, organisation_id, "Ольга Петрівна Іваненко")
    number = submitted_application(app, contest_id, organisation_id)
    assert _decide(client, number, "admitted").status_code == 302
    (message,) = outbox()
    body = " ".join(message.get_content().split())
    assert body.startswith("Шановна Ольго Петрівно!")
    assert f"Заявку {number} Апостолівської міської ради на конкурс" in body
    assert "допущено до оцінювання" in body


def test_a_name_that_cannot_be_declined_stays_in_the_nominative(app, client, screening, outbox):
    contest_id, organisation_id = screening
    _set_contact(app, organisation_id, "Контактна особа", name="Центр розвитку громад")
    number = submitted_application(app, contest_id, organisation_id)
    assert _decide(client, number, "rejected", "Немає рішення сесії.").status_code == 302
    (message,) = outbox()
    body = " ".join(message.get_content().split())
    assert body.startswith("Добрий день!")  # no vocative guessed
    assert f"Заявку {number} на конкурс" in body and "відхилено" in body
    assert "Заявник: Центр розвитку громад." in body


def test_an_english_letter_keeps_the_names_as_written(app, client, screening, outbox):
    contest_id, organisation_id = screening
    _set_contact(app, organisation_id, "Ольга Петрівна Іваненко")
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "rada@example.org")).language = "en"
        db.session.commit()
    number = submitted_application(app, contest_id, organisation_id)
    assert _decide(client, number, "admitted").status_code == 302
    body = " ".join(outbox()[0].get_content().split())
    assert body.startswith("Hello, Ольга Петрівна Іваненко!")
    assert f"The application {number} of Апостолівська міська рада to the contest" in body


# --- Pages and documents --------------------------------------------------------------


@pytest.fixture
def demo_slug(app, demo_loaded) -> str:
    with app.app_context():
        return db.session.scalar(select(Contest.slug).where(Contest.stage == Stage.JUDGING))


def test_the_stability_check_says_without_whom_in_the_genitive(client, demo_slug):
    client.login("organiser@demo.example", demo.PASSWORD)
    page = client.get(f"/manage/contests/{demo_slug}/ranking").get_data(as_text=True)
    assert "без Олени Коваленко" in page and "без Ірини Бондар" in page
    assert "без Олена" not in page and "без Ірина" not in page


def test_one_winner_of_a_tie_is_declared_in_the_singular(app, client, demo_slug):
    """The demo's tie at the 5th place decided for one application: «переможцем визнано»."""
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == demo_slug))
        tied = db.session.scalar(
            select(Application)
            .join(Application.organisation)
            .where(
                Application.contest_id == contest.id,
                Organisation.name == "Маріупольська міська рада",
            )
        )
        db.session.add(
            Decision(
                contest_id=contest.id,
                kind=DecisionKind.TIE,
                winner_ids=[tied.id],
                reason="Голосування комісії.",
            )
        )
        contest.stage = Stage.DELIBERATION
        db.session.commit()
    client.login("organiser@demo.example", demo.PASSWORD)
    document = read(client.get(f"/contests/{demo_slug}/results.pdf"))
    assert "переможцем визнано" in document.flat
    assert "переможцями визнано" not in document.flat
    protocol = read(client.get(f"/manage/contests/{demo_slug}/protocol.pdf"))
    declared = words(app, "Declare the winners of the contest: %(winners)s", winners="")
    assert declared.strip() in protocol.flat  # five winners in all: the plural
