"""Setting a contest up without friction (issue 16): the address and the question keys
come from the titles by the official transliteration (KMU 2010) unless typed; a contest
is copied from a previous one; a draft's dashboard lists what is done and what is
missing before opening, from the guardrail of opening itself."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scoring import clock
from scoring.contests.naming import key_from, slug_from
from scoring.extensions import db
from scoring.models import (
    Application,
    AuditEntry,
    Category,
    Contest,
    JuryMember,
    Question,
    QuestionKind,
    Role,
    Stage,
)

from ._applications import questions

NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
FORM = {
    "title_uk": "Успішна участь громади 2026",
    "applicant_kinds": ["ngo"],
    "opens_at": "2026-03-01T09:00",
    "closes_at": "2026-03-31T18:00",
    "winners": "5",
    "number_prefix": "UUG",
    "aggregation": "mean",
    "normalise": "none",
    "jurors_per_application": "0",
    "quorum": "2",
    "divergence_threshold": "0.3",
    "min_total": "0",
    "organising_body": "Хаб участі",
}


@pytest.fixture
def organiser(signed_in, clock_at):
    clock_at(NOW)
    return signed_in(Role.ORGANISER, "org@example.org", name="Оксана Секретар")


@pytest.mark.parametrize(
    ("text", "slug", "key"),
    [
        (
            "Успішна участь громади 2026",
            "uspishna-uchast-hromady-2026",
            "uspishna_uchast_hromady_2026",
        ),
        (
            "Згурівка: Юрій, Яготин, Їжакевич",
            "zghurivka-yurii-yahotyn-yizhakevych",
            "zghurivka_yurii_yahotyn_yizhakevych",
        ),
        ("Знам’янка і Короп'є", "znamianka-i-koropie", "znamianka_i_koropie"),
        ("2. Бюджет (грн)", "2-biudzhet-hrn", "q_2_biudzhet_hrn"),
        ("!!!", "konkurs", "pytannia"),
    ],
)
def test_titles_become_addresses_and_keys_by_the_official_rules(text, slug, key):
    assert slug_from(text, lambda s: False) == slug
    assert key_from(text, lambda k: False) == key


def test_a_long_title_is_cut_at_a_word_and_a_taken_one_is_numbered():
    long = slug_from("Конкурс " * 20, lambda s: False)
    assert len(long) <= 80 and long.endswith("konkurs") and "--" not in long
    taken = {"opys", "opys_2"}
    assert key_from("Опис", taken.__contains__) == "opys_3"


def test_a_contest_created_without_an_address_gets_one_from_its_title(
    client, app, organiser, build
):
    build.contest(slug="uspishna-uchast-hromady-2026", number_prefix="OLD")
    response = client.submit("/manage/contests/new", {**FORM, "slug": ""})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/manage/contests/uspishna-uchast-hromady-2026-2")
    typed = client.submit(
        "/manage/contests/new", {**FORM, "slug": "my-own", "number_prefix": "OWN"}
    )
    assert typed.headers["Location"].endswith("/manage/contests/my-own")
    # Left empty on the settings page, the address stays.
    page = client.get("/manage/contests/my-own/edit").get_data(as_text=True)
    assert 'value="my-own"' in page
    client.submit("/manage/contests/my-own/edit", {**FORM, "slug": "", "number_prefix": "OWN"})
    with app.app_context():
        assert (
            db.session.scalar(select(Contest.slug).where(Contest.number_prefix == "OWN"))
            == "my-own"
        )


def test_a_question_added_without_a_key_gets_one_from_its_wording(client, app, organiser, build):
    build.contest(organisers=[organiser], slug="forma", stage=Stage.DRAFT)
    url = "/manage/contests/forma/questions/new"
    for _ in range(2):
        response = client.submit(
            url, {"key": "", "label_uk": "Короткий опис проєкту", "kind": "textarea"}
        )
        assert response.status_code == 302
    client.submit(url, {"key": "budget", "label_uk": "Бюджет", "kind": "number"})
    with app.app_context():
        keys = db.session.scalars(select(Question.key).order_by(Question.position)).all()
    assert keys == ["korotkyi_opys_proiektu", "korotkyi_opys_proiektu_2", "budget"]
    page = client.get("/manage/contests/forma/questions").get_data(as_text=True)
    assert "korotkyi_opys_proiektu" in page


def test_the_forms_ask_for_the_titles_before_what_is_made_from_them(client, organiser, build):
    """The address and the key are filled in after the wording they are made from."""
    build.contest(organisers=[organiser], slug="forma", stage=Stage.DRAFT)
    pages = {
        "/manage/contests/new": ("title_uk", "slug"),
        "/manage/contests/forma/edit": ("title_uk", "slug"),
        "/manage/contests/forma/copy": ("title_uk", "slug"),
        "/manage/contests/forma/questions/new": ("label_uk", "key"),
    }
    for url, (wording, made) in pages.items():
        page = client.get(url).get_data(as_text=True)
        assert 0 < page.index(f'id="{wording}"') < page.index(f'id="{made}"'), url


@pytest.fixture
def source(app, build, organiser):
    """Last year's published contest with a form, categories, an application and a jury."""
    juror = build.user(Role.JUROR, email="juror@example.org")
    contest_id = build.contest(
        organisers=[organiser],
        jurors=[juror],
        slug="uchast-2025",
        title_uk="Участь громад 2025",
        number_prefix="UCH",
        stage=Stage.PUBLISHED,
        opens_at=NOW - timedelta(days=400),
        closes_at=NOW - timedelta(days=370),
        description_uk="Опис конкурсу.",
        rules_uk="Правила конкурсу.",
        quorum=3,
        blind=True,
        questions=questions(),
        categories=[Category(code="ngo", title_uk="ГО", winners=2, position=0)],
    )
    organisation = build.organisation()
    with app.app_context():
        db.session.add(Application(contest_id=contest_id, organisation_id=organisation))
        db.session.commit()
    return contest_id


def test_a_contest_is_copied_without_its_applications_jury_or_results(client, app, source):
    url = "/manage/contests/uchast-2025/copy"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Участь громад 2025"' in page and 'value="UCH"' in page
    assert "2 criteria" in page and "5 questions of the application form" in page
    response = client.submit(
        url,
        {
            "title_uk": "Участь громад 2026",
            "slug": "",
            "number_prefix": "UCH",
            "opens_at": "2026-03-01T09:00",
            "closes_at": "2026-03-31T18:00",
        },
    )
    errors = re.findall(
        r'invalid-feedback d-block">\s*<div>([^<]*)', response.get_data(as_text=True)
    )
    assert response.status_code == 302, errors
    assert response.headers["Location"].endswith("/manage/contests/uchast-hromad-2026")
    with app.app_context():
        old = db.session.scalar(select(Contest).where(Contest.slug == "uchast-2025"))
        new = db.session.scalar(select(Contest).where(Contest.slug == "uchast-hromad-2026"))
        assert new.stage == Stage.DRAFT and new.title_uk == "Участь громад 2026"
        assert new.opens_at == datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
        assert (new.quorum, new.blind, new.rules_uk) == (3, True, "Правила конкурсу.")
        assert [c.code for c in new.criteria] == [c.code for c in old.criteria]
        assert [q.key for q in new.questions] == [q.key for q in old.questions]
        assert [c.code for c in new.categories] == ["ngo"]
        assert [u.email for u in new.organisers] == ["org@example.org"]
        assert (
            db.session.scalar(select(Application.id).where(Application.contest_id == new.id))
            is None
        )
        assert (
            db.session.scalar(select(JuryMember.user_id).where(JuryMember.contest_id == new.id))
            is None
        )
        assert new.published_at is None and new.last_number == 0
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contest.imported"))
        assert entry.details["via"] == "copy" and entry.details["source"] == old.id
    dashboard = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The copy is created as a draft" in dashboard


def test_a_copy_needs_new_dates_and_a_free_prefix(client, app, source, build):
    build.contest(slug="uch-same-year", number_prefix="UCH2")
    url = "/manage/contests/uchast-2025/copy"
    page = client.submit(url, {"title_uk": "Нова", "number_prefix": "UCH"}).get_data(as_text=True)
    assert 'id="error-summary"' in page and "Enter the date and the time." in page
    taken = client.submit(
        url,
        {
            "title_uk": "Нова",
            "slug": "uchast-2025",
            "number_prefix": "UCH2",
            "opens_at": "2026-03-01T09:00",
            "closes_at": "2026-03-31T18:00",
        },
    ).get_data(as_text=True)
    assert "Another contest already has this address" in taken
    assert "already numbers its applications with this prefix" in taken
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Contest)) == 2


def test_a_copy_given_an_address_another_contest_takes_meanwhile_is_told_so(
    client, app, source, build
):
    """A double click, or two organisers: another contest takes the address after the
    form was checked but before the copy is stored. The copy is refused beside the
    address, not with a 500 (PostgreSQL: the unique index waits for the other
    transaction; SQLite's write lock makes the check see it)."""
    import threading

    other = build.contest(slug="insha-2025", number_prefix="INS")
    url = "/manage/contests/uchast-2025/copy"
    token = client.csrf_token(url)
    form = {
        "csrf_token": token,
        "title_uk": "Участь громад 2026",
        "slug": "uchast-2026",
        "number_prefix": "UCH",
        "opens_at": "2026-03-01T09:00",
        "closes_at": "2026-03-31T18:00",
    }
    responses = []
    with app.app_context():
        with db.engine.begin() as meanwhile:
            meanwhile.execute(
                Contest.__table__.update().where(Contest.id == other).values(slug="uchast-2026")
            )
            thread = threading.Thread(target=lambda: responses.append(client.post(url, data=form)))
            thread.start()
            thread.join(timeout=1)
        thread.join(timeout=30)
    assert responses[0].status_code == 200
    page = responses[0].get_data(as_text=True)
    assert 'id="error-summary"' in page and "Another contest already has this address" in page
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Contest)) == 2


def test_another_organisers_contest_cannot_be_copied(app, build, source):
    build.user(Role.ORGANISER, email="stranger@example.org")
    stranger = app.test_client()
    stranger.login("stranger@example.org")
    assert stranger.get("/manage/contests/uchast-2025/copy").status_code == 404


def test_a_drafts_dashboard_lists_what_is_done_and_missing_before_opening(
    client, app, build, organiser
):
    contest = build.contest(
        organisers=[organiser], slug="chernetka", stage=Stage.DRAFT, number_prefix="CH"
    )
    build.contest(slug="insha", number_prefix="CH")  # the same prefix, the same year
    page = client.get("/manage/contests/chernetka").get_data(as_text=True)
    section = page[
        page.index('id="setup-checklist"') : page.index(
            "</section>", page.index('id="setup-checklist"')
        )
    ]
    assert "1 thing is missing before the contest can open." in section
    assert section.count('data-done="yes"') == 2 and section.count('data-done="no"') == 3
    assert "2 criteria" in section
    assert "numbers its applications with the prefix CH (insha)" in section  # lifecycle's words
    assert "Applicants are asked only for a title" in section
    # The same guardrail refuses the move itself.
    stage = client.get("/manage/contests/chernetka/stage?to=open").get_data(as_text=True)
    assert "numbers its applications with the prefix CH (insha)" in stage
    with app.app_context():
        db.session.get(Contest, contest).number_prefix = "CHN"
        db.session.get(Contest, contest).questions = [
            Question(key="opys", label_uk="Опис", kind=QuestionKind.TEXT, position=0)
        ]
        db.session.commit()
    page = client.get("/manage/contests/chernetka").get_data(as_text=True)
    assert "Everything the contest needs to open is done." in page
    with app.app_context():  # dates left from last year: the deadline has passed
        db.session.get(Contest, contest).opens_at = clock.now() - timedelta(days=40)
        db.session.get(Contest, contest).closes_at = clock.now() - timedelta(days=10)
        db.session.commit()
    page = client.get("/manage/contests/chernetka").get_data(as_text=True)
    assert "the closing time of applications has already passed" in page
    with app.app_context():
        db.session.get(Contest, contest).stage = Stage.OPEN
        db.session.commit()
    assert 'id="setup-checklist"' not in client.get("/manage/contests/chernetka").get_data(
        as_text=True
    )
