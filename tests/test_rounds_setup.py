"""Rounds declared in advance (SPEC §13, issue 20): the organiser's page «Rounds», a later
round on the public pages, the opening checks, and `rank`/`export-scores`/`import-scores`
with `--round N`.

The app runs in English here (``BABEL_DEFAULT_LOCALE``), as the signed-in organiser's
pages do, so the assertions hold before and after the Ukrainian catalogue has the new
messages.
"""

import csv
import io
import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

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
    SheetState,
    Stage,
    User,
)

from ._bad_input import form_as_shown
from ._judging import judged_contest, set_sheet

ORGANISER = "rounds@organiser.example"
NOW = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
ROUND_TWO = {
    "round_title_uk": "Повна заявка",
    "round_title_en": "Full application",
    "opens_at": "2026-04-10T09:00",
    "closes_at": "2026-04-30T18:00",
}


@pytest.fixture
def app(make_app):
    return make_app(BABEL_DEFAULT_LOCALE="en")


@pytest.fixture
def organiser(signed_in, clock_at):
    clock_at(NOW)
    return signed_in(Role.ORGANISER, ORGANISER)


@pytest.fixture
def first(app, build, organiser) -> str:
    """A draft first round «Бюджет участі» (closing 31 March) with a category and a
    question, a juror on its jury; its slug."""
    juror = build.user(Role.JUROR)
    contest_id = build.contest(
        organisers=[organiser],
        jurors=[juror],
        stage=Stage.DRAFT,
        slug="biudzhet-uchasti",
        title_uk="Бюджет участі",
        number_prefix="BU",
        opens_at=datetime(2026, 3, 1, 7, 0, tzinfo=UTC),
        closes_at=datetime(2026, 3, 31, 15, 0, tzinfo=UTC),
        winners=3,
    )
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        contest.categories = [Category(code="ngo", title_uk="ГО", winners=4, position=0)]
        contest.questions = [
            Question(key="idea", label_uk="Ідея", kind=QuestionKind.TEXTAREA, position=0)
        ]
        db.session.commit()
    return "biudzhet-uchasti"


def _contest(app, slug: str) -> Contest:
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
        db.session.expunge(contest)
        return contest


def _set(app, slug: str, **fields) -> None:
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
        for name, value in fields.items():
            setattr(contest, name, value)
        db.session.commit()


def _actions(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def _later_rounds(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(
            select(Contest.slug).where(Contest.previous_round_id.is_not(None))
        ).all()


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _add_round(client, slug: str, **values):
    return client.submit(f"/manage/contests/{slug}/rounds/new", {**ROUND_TWO, **values})


# The page «Rounds» ---------------------------------------------------------------------


def test_the_dashboard_links_the_rounds_page_which_lists_the_one_round(client, first):
    dashboard = client.get(f"/manage/contests/{first}").get_data(as_text=True)
    assert f'href="/manage/contests/{first}/rounds"' in dashboard
    page = _text(client.get(f"/manage/contests/{first}/rounds"))
    assert "Round 1" in page and "Round 2" not in page
    assert "Draft" in page and "Winners 4" in page  # the category's winners
    assert "Add round 2" in page and "Remove round" not in page


def test_a_later_round_takes_no_imported_applications(client, app, runner, first, tmp_path):
    _add_round(client, first)
    index = _text(client.get("/manage/contests"))
    assert "A later round: «Full application»" in index
    dashboard = client.get("/manage/contests/biudzhet-uchasti-tur-2").get_data(as_text=True)
    assert "/import/applications" not in dashboard
    path = tmp_path / "applications.csv"
    path.write_text(
        "number,organisation,kind,edrpou,oblast,community,email,title\n"
        ",ГО Світло,ngo,00032129,UA-63,Харківська міська громада,a@b.example,Проєкт\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-applications", "biudzhet-uchasti-tur-2", str(path)])
    assert result.exit_code == 1
    assert "This is a later round of the contest: its applications are those that" in (
        result.output
    )
    with app.app_context():
        assert db.session.scalar(select(Application.id)) is None


def test_adding_a_round_copies_the_last_rounds_set_up_but_not_its_jury(client, app, first):
    response = _add_round(client, first)
    assert response.status_code == 302
    added = _contest(app, "biudzhet-uchasti-tur-2")
    assert response.location == "/manage/contests/biudzhet-uchasti-tur-2"
    with app.app_context():
        added = db.session.scalar(select(Contest).where(Contest.slug == "biudzhet-uchasti-tur-2"))
        before = db.session.scalar(select(Contest).where(Contest.slug == first))
        assert added.previous_round_id == before.id and added.stage == Stage.DRAFT
        assert (added.round_title_uk, added.round_title_en) == ("Повна заявка", "Full application")
        assert added.title_uk == "Бюджет участі" and added.number_prefix == "BU2"
        assert [c.code for c in added.criteria] == ["C1", "C2"]
        assert [(c.code, c.winners) for c in added.categories] == [("ngo", 4)]
        assert [q.key for q in added.questions] == ["idea"]
        assert [u.email for u in added.organisers] == [ORGANISER]
        assert db.session.scalar(select(JuryMember).where(JuryMember.contest == added)) is None
        assert added.opens_at == datetime(2026, 4, 10, 6, 0, tzinfo=UTC)
    [entry] = _actions(app, "contest.round_added")
    assert entry.details == {"previous": before.id, "number": 2}
    dashboard = _text(client.get(response.location))
    assert "Round 2 is created as a draft" in dashboard
    assert "Round 2 of 2: «Full application»" in dashboard
    page = _text(client.get(f"/manage/contests/{first}/rounds"))
    assert "Round 2 · Full application" in page and "Advance to the next round 4" in page
    assert 'href="/manage/contests/biudzhet-uchasti-tur-2"' in client.get(
        f"/manage/contests/{first}/rounds"
    ).get_data(as_text=True)
    # From the second round's page, a third round follows the second.
    assert _add_round(client, "biudzhet-uchasti-tur-2", opens_at="2026-05-02T09:00",
                      closes_at="2026-05-20T18:00").status_code == 302  # fmt: skip
    third = _contest(app, "biudzhet-uchasti-tur-3")
    assert third.previous_round_id == added.id and third.number_prefix == "BU3"


def _edit_form(client, slug: str, **changes) -> tuple[str, MultiDict]:
    """The round's settings form as its page shows it, with ``changes`` typed in."""
    url = f"/manage/contests/{slug}/edit"
    return url, form_as_shown(client, url, **changes)


def _edit(client, slug: str, **changes):
    """Send the round's settings form as its page shows it, with ``changes`` typed in."""
    url, data = _edit_form(client, slug, **changes)
    return client.post(url, data=data)


def test_the_contests_title_and_who_may_apply_change_in_every_round(client, app, first):
    assert _add_round(client, first).status_code == 302
    second = "biudzhet-uchasti-tur-2"
    response = _edit(client, first, title_uk="Бюджет участі громади", organising_body="ГО «Хаб»")
    assert response.status_code == 302, _text(response)
    assert _contest(app, second).title_uk == "Бюджет участі громади"
    assert "Бюджет участі громади" in _text(client.get(f"/manage/contests/{second}"))
    # From the second round's settings as well, back to the first.
    response = _edit(client, second, organising_body="ГО «Хаб участі»", applicant_kinds="ngo")
    assert response.status_code == 302, _text(response)
    assert _contest(app, first).organising_body == "ГО «Хаб участі»"
    assert _contest(app, first).applicant_kinds == ["ngo"]
    updated = [
        (e.contest_id, sorted(e.details["fields"])) for e in _actions(app, "contest.updated")
    ]
    first_id, second_id = _contest(app, first).id, _contest(app, second).id
    assert sorted(updated) == [
        (first_id, ["applicant_kinds", "organising_body"]),
        (first_id, ["organising_body", "title_uk"]),
        (second_id, ["applicant_kinds", "organising_body"]),
        (second_id, ["organising_body", "title_uk"]),
    ]
    # The first round is open: who may apply is frozen there, so in the draft round too.
    _set(app, first, stage=Stage.OPEN)
    response = _edit(client, second, applicant_kinds="community")
    assert response.status_code == 200
    assert "Round 1: The contest is no longer a draft: this cannot change" in _text(response)
    assert _contest(app, second).applicant_kinds == ["ngo"]
    assert _edit(client, second, title_uk="Бюджет участі 2026").status_code == 302
    assert _contest(app, first).title_uk == "Бюджет участі 2026"


def test_an_organiser_of_one_round_changes_no_round_they_do_not_organise(
    client, app, build, first
):
    """Found (outside attack): an organiser removed from the second round's organisers
    (who no longer sees its pages) changed its title and who may apply through the first
    round's settings, audited in the second round under their name. A setting of the
    whole contest changes in every round, so it is refused, naming the round."""
    second = "biudzhet-uchasti-tur-2"
    assert _add_round(client, first).status_code == 302
    for slug in (first, second):
        _set(app, slug, organising_body="ГО «Хаб»")
    build.user(Role.ORGANISER, email="colleague@organiser.example")
    client.submit(f"/manage/contests/{second}/organisers", {"email": "colleague@organiser.example"})
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.email == ORGANISER))
    assert client.submit(f"/manage/contests/{second}/organisers/{me}/remove").status_code == 302
    assert client.get(f"/manage/contests/{second}/edit").status_code == 404
    before = len(_actions(app, "contest.updated"))
    response = _edit(client, first, title_uk="Чужий конкурс")
    assert response.status_code == 200
    assert "Round 2: You do not organise this round" in _text(response)
    assert _contest(app, second).title_uk == "Бюджет участі"
    assert _contest(app, first).title_uk == "Бюджет участі"
    assert len(_actions(app, "contest.updated")) == before
    # A setting of the round alone still changes.
    assert _edit(client, first, winners="5").status_code == 302
    assert _contest(app, first).winners == 5


def test_a_shared_setting_changed_while_another_round_opens_waits_and_is_refused(
    client, app, first
):
    """Found (outside attack, PostgreSQL): the edit held the stage of its own round only,
    so the first round could open between the check of its stage and the write, and who
    may apply changed in a round already open. The edit now waits for the move of every
    round it changes (SQLite: the write lock) and is then refused."""
    import threading

    second = "biudzhet-uchasti-tur-2"
    assert _add_round(client, first).status_code == 302
    url, data = _edit_form(client, second, applicant_kinds="ngo", organising_body="ГО «Хаб»")
    one = _contest(app, first)
    responses = []
    with app.app_context():
        with db.engine.begin() as other:  # the first round's opening, not yet committed
            other.execute(
                Contest.__table__.update().where(Contest.id == one.id).values(stage=Stage.OPEN)
            )
            thread = threading.Thread(target=lambda: responses.append(client.post(url, data=data)))
            thread.start()
            thread.join(timeout=1)
            assert thread.is_alive() and responses == []  # waiting for the move
        thread.join(timeout=30)
    assert responses[0].status_code == 200
    assert "Round 1: The contest is no longer a draft" in _text(responses[0])
    assert _contest(app, first).applicant_kinds == one.applicant_kinds
    assert _contest(app, second).applicant_kinds == one.applicant_kinds


def test_a_rounds_form_loaded_before_a_change_from_another_round_does_not_undo_it(
    client, app, first
):
    second = "biudzhet-uchasti-tur-2"
    assert _add_round(client, first).status_code == 302
    url, stale = _edit_form(client, second, organising_body="ГО «Хаб»")  # one organiser's tab
    changed = _edit(client, first, title_uk="Бюджет участі 2027", organising_body="ГО «Хаб»")
    assert changed.status_code == 302  # another's change from the first round
    response = client.post(url, data=stale)  # the tab sent, changing nothing of the title
    assert response.status_code in (200, 302)
    assert _contest(app, first).title_uk == "Бюджет участі 2027"
    assert _contest(app, second).title_uk == "Бюджет участі 2027"


def test_a_round_opening_before_the_round_before_closes_is_refused_beside_the_field(
    client, app, first
):
    response = _add_round(client, first, opens_at="2026-03-20T09:00", round_title_uk="")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="round_title_uk-errors"' in html  # required
    response = _add_round(client, first, opens_at="2026-03-20T09:00")
    html = response.get_data(as_text=True)
    assert 'id="opens_at-errors"' in html
    assert "The round opens once the applications of the round before have closed" in _text(
        response
    )
    assert _later_rounds(app) == []


def test_the_shares_must_add_up_to_100_and_are_saved_together(client, app, first):
    _add_round(client, first)
    one, two = _contest(app, first), _contest(app, "biudzhet-uchasti-tur-2")
    url = f"/manage/contests/{first}/rounds"
    values = {
        f"round_title_uk_{one.id}": "Концепція",
        f"round_title_en_{one.id}": "",
        f"round_title_uk_{two.id}": "Повна заявка",
        f"round_title_en_{two.id}": "Full application",
    }
    response = client.submit(url, {**values, f"round_weight_{one.id}": "40",
                                   f"round_weight_{two.id}": "50"})  # fmt: skip
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="round_weight_{two.id}-errors"' in html
    assert "must add up to 100 percent" in _text(response)
    response = client.submit(url, {**values, f"round_weight_{one.id}": "40",
                                   f"round_weight_{two.id}": ""})  # fmt: skip
    assert f'id="round_weight_{two.id}-errors"' in response.get_data(as_text=True)
    assert "Give every round its share" in _text(response)
    assert _contest(app, first).round_weight is None  # nothing saved
    response = client.submit(url, {**values, f"round_weight_{one.id}": "40",
                                   f"round_weight_{two.id}": "60"})  # fmt: skip
    assert response.status_code == 302
    assert _contest(app, first).round_weight == Decimal(40)
    assert _contest(app, first).round_title_uk == "Концепція"
    assert _contest(app, "biudzhet-uchasti-tur-2").round_weight == Decimal(60)
    fields = sorted(
        e.details["fields"] for e in _actions(app, "contest.updated") if "fields" in e.details
    )
    assert fields == [["round_title_uk", "round_weight"], ["round_weight"]]
    page = _text(client.get(url))
    assert "Share of the final score 40%" in page and "Share of the final score 60%" in page


def test_once_the_first_round_is_open_the_rounds_are_declared(client, app, first):
    _add_round(client, first)
    two = _contest(app, "biudzhet-uchasti-tur-2")
    _set(app, first, stage=Stage.OPEN)
    page = client.get(f"/manage/contests/{first}/rounds").get_data(as_text=True)
    assert "only while the first round is a draft" in page
    assert "Add round 3" not in page and "Remove round 2" not in page
    assert f'name="round_weight_{two.id}"' not in page  # the shares no longer change
    assert f'name="round_title_uk_{two.id}"' in page  # the titles do
    response = _add_round(client, first, opens_at="2026-05-02T09:00")
    assert response.status_code == 409 and "only while the first round is a draft" in _text(
        response
    )
    response = client.submit(f"/manage/contests/{first}/rounds/last/remove")
    assert response.status_code == 409
    assert _contest(app, "biudzhet-uchasti-tur-2").previous_round_id is not None
    # A crafted share is refused all the same.
    response = client.submit(f"/manage/contests/{first}/rounds",
                             {f"round_weight_{two.id}": "60"})  # fmt: skip
    assert _contest(app, "biudzhet-uchasti-tur-2").round_weight is None


def test_removing_the_last_round_asks_first_and_takes_it_out_of_the_chain(client, app, first):
    _add_round(client, first)
    confirm = client.get(f"/manage/contests/{first}/rounds/last/remove")
    assert confirm.status_code == 200
    assert "Remove round 2?" in _text(confirm) and "Full application" in _text(confirm)
    response = client.submit(f"/manage/contests/{first}/rounds/last/remove")
    assert response.status_code == 302
    detached = _contest(app, "biudzhet-uchasti-tur-2")
    assert detached.previous_round_id is None and detached.round_title_uk == ""
    assert len(_actions(app, "contest.round_removed")) == 1
    page = _text(client.get(response.location))
    assert "Round 2 is removed from the contest" in page and "Round 2 ·" not in page
    refused = client.submit(f"/manage/contests/{first}/rounds/last/remove")
    assert refused.status_code == 409 and "Only a later round" in _text(refused)


def test_a_share_left_on_a_round_alone_can_be_cleared(client, app, first):
    _add_round(client, first)
    _set(app, first, round_weight=Decimal(40))
    client.submit(f"/manage/contests/{first}/rounds/last/remove")
    one = _contest(app, first)
    page = client.get(f"/manage/contests/{first}/rounds")
    assert "A contest with one round has no weights" in _text(page)
    assert f'name="round_weight_{one.id}"' in page.get_data(as_text=True)
    response = client.submit(
        f"/manage/contests/{first}/rounds",
        {f"round_title_uk_{one.id}": "", f"round_title_en_{one.id}": "",
         f"round_weight_{one.id}": ""},
    )  # fmt: skip
    assert response.status_code == 302 and _contest(app, first).round_weight is None
    page = client.get(f"/manage/contests/{first}/rounds").get_data(as_text=True)
    assert f'name="round_weight_{one.id}"' not in page


def test_a_round_with_applications_is_not_removed(client, app, build, first):
    _add_round(client, first)
    two = _contest(app, "biudzhet-uchasti-tur-2")
    organisation = build.organisation()
    with app.app_context():
        db.session.add(Application(contest_id=two.id, organisation_id=organisation))
        db.session.commit()
    page = client.get(f"/manage/contests/{first}/rounds").get_data(as_text=True)
    assert "Remove round 2" not in page
    response = client.submit(f"/manage/contests/{first}/rounds/last/remove")
    assert response.status_code == 409 and "without applications" in _text(response)
    assert _contest(app, "biudzhet-uchasti-tur-2").previous_round_id is not None


def test_another_organiser_sees_nothing_of_the_rounds(client, app, build, first):
    build.user(Role.ORGANISER, email="stranger@organiser.example")
    client.get("/logout")
    client.submit("/logout")
    client.login("stranger@organiser.example")
    for url in ("/rounds", "/rounds/new", "/rounds/last/remove"):
        assert client.get(f"/manage/contests/{first}{url}").status_code == 404
    assert client.submit(f"/manage/contests/{first}/rounds/new", ROUND_TWO).status_code == 404
    assert _later_rounds(app) == []


# Opening, the public pages, applying --------------------------------------------------


def test_the_rounds_guard_the_opening_of_each_round(client, app, first):
    _add_round(client, first)
    one = _contest(app, first)
    _set(app, first, round_weight=Decimal(40))
    dashboard = _text(client.get(f"/manage/contests/{first}"))
    assert "Shares of the final score" in dashboard and "Give every round its share" in dashboard
    assert "The round before" not in dashboard  # the first round has none
    later = _text(client.get("/manage/contests/biudzhet-uchasti-tur-2"))
    assert "The round before" in later and "opens once the results of the round before" in later
    response = client.change_stage(first, "open")
    assert "Give every round its share" in _text(response)
    assert _contest(app, first).stage == Stage.DRAFT
    _set(app, "biudzhet-uchasti-tur-2", round_weight=Decimal(60))
    assert client.change_stage(first, "open").status_code == 302
    assert _contest(app, first).stage == Stage.OPEN
    # The second round waits for the results of the first.
    response = client.change_stage("biudzhet-uchasti-tur-2", "open")
    assert "opens once the results of the round before are published" in _text(response)
    assert _contest(app, "biudzhet-uchasti-tur-2").stage == Stage.DRAFT
    _set(app, first, stage=Stage.PUBLISHED)
    assert client.change_stage("biudzhet-uchasti-tur-2", "open").status_code == 302
    assert one.id != _contest(app, "biudzhet-uchasti-tur-2").id


def test_a_later_round_is_public_only_as_a_round_of_its_contest(client, app, build, first):
    _add_round(client, first)
    _set(app, first, stage=Stage.PUBLISHED)
    _set(app, "biudzhet-uchasti-tur-2", stage=Stage.OPEN,
         opens_at=datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip
    client.submit("/logout")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/contests/biudzhet-uchasti"' in home
    assert "/contests/biudzhet-uchasti-tur-2" not in home
    page = _text(client.get("/contests/biudzhet-uchasti-tur-2"))
    assert "Round 2: «Full application»" in page
    assert "A round of the contest «Бюджет участі»" in page
    assert "only the applicants who advanced from the round before take part" in page
    assert 'href="/login?next=/contests/biudzhet-uchasti-tur-2"' in client.get(
        "/contests/biudzhet-uchasti-tur-2"
    ).get_data(as_text=True)
    assert "register your organisation" not in page
    # An applicant cannot start an application there: the round before decides.
    applicant = build.applicant(email="newcomer@applicant.example")
    assert applicant
    client.login("newcomer@applicant.example")
    client.submit("/language", {"language": "en", "next": "/"})
    page = _text(client.get("/contests/biudzhet-uchasti-tur-2"))
    assert "only the applicants who advanced from the round before take part" in page
    response = client.submit("/contests/biudzhet-uchasti-tur-2/apply", follow_redirects=True)
    assert "only the applicants who advanced from the round before take part" in _text(response)
    with app.app_context():
        assert db.session.scalar(select(Application.id)) is None


# The command line ------------------------------------------------------------------------


@pytest.fixture
def combined(app, build, runner, clock_at):
    """Two rounds 40 % + 60 %: round 1 judged (two applications), round 2 judged (the
    same two, advanced); every sheet submitted. Maximum total 30 in each round."""
    clock_at(NOW)
    jurors = [build.user(Role.JUROR), build.user(Role.JUROR)]
    one = judged_contest(app, build, jurors, count=2, slug="kombinovanyi", round_weight=40)
    two = judged_contest(app, build, jurors, count=2, slug="kombinovanyi-tur-2", round_weight=60)
    scores = {  # number → (C1, C2, C3) of each juror: totals C1 + 1.5 × C2 + C3
        one.numbers[0]: ("6", "6", "3"),  # 18 → 40 × 18 / 30 = 24
        one.numbers[1]: ("10", "10", "5"),  # 30 → 40
        two.numbers[0]: ("10", "10", "5"),  # 30 → 60, with 24: 84
        two.numbers[1]: ("0", "0", "0"),  # 0, with 40: 40
    }
    for judged in (one, two):
        for number in judged.numbers:
            for juror in jurors:
                points = dict(zip(judged.criteria.values(), scores[number], strict=True))
                set_sheet(app, juror, number, state=SheetState.SUBMITTED, points=points)
    with app.app_context():
        later = db.session.get(Contest, two.contest_id)
        later.previous_round_id = one.contest_id
        for before, after in zip(one.numbers, two.numbers, strict=True):
            application = db.session.scalar(select(Application).where(Application.number == after))
            application.previous_id = db.session.scalar(
                select(Application.id).where(Application.number == before)
            )
        db.session.commit()
    return one, two


def test_rank_round_n_ranks_that_round_with_its_own_score_beside(runner, combined):
    one, two = combined
    result = runner.invoke(args=["rank", "kombinovanyi", "--round", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["contest"] == "kombinovanyi-tur-2"
    rows = [(r["number"], r["score"], r["round_score"]) for r in document["ranking"]]
    assert rows == [(two.numbers[0], "84.00", "30.00"), (two.numbers[1], "40.00", "0.00")]
    # The same from the second round's own slug, and round 1 from either.
    same = runner.invoke(args=["rank", "kombinovanyi-tur-2", "--round", "2", "--format", "json"])
    assert json.loads(same.output) == document
    first = json.loads(
        runner.invoke(
            args=["rank", "kombinovanyi-tur-2", "--round", "1", "--format", "json"]
        ).output
    )
    # The first round ranks on its own scores (its shares, 40 and 24, are carried).
    assert [(r["number"], r["score"]) for r in first["ranking"]] == [
        (one.numbers[1], "30.00"),
        (one.numbers[0], "18.00"),
    ]
    assert not any("round_score" in r for r in first["ranking"])
    table = runner.invoke(args=["rank", "kombinovanyi", "--round", "2"]).output
    heading = table.splitlines()[0]
    assert re.search(r"Score\s+Round score\s+Jurors", heading), heading
    assert re.search(rf"{two.numbers[0]}.*84\.00\s+30\.00", table), table
    rows = list(csv.DictReader(io.StringIO(
        runner.invoke(args=["rank", "kombinovanyi", "--round", "2", "--format", "csv"]).output
    )))  # fmt: skip
    assert (rows[0]["score"], rows[0]["round_score"]) == ("84.00", "30.00")


def test_an_unknown_round_is_a_clear_error(runner, combined):
    for args in (["rank"], ["export-scores"]):
        result = runner.invoke(args=[*args, "kombinovanyi", "--round", "3"])
        assert result.exit_code != 0
        assert "has no round 3: give --round from 1 to 2" in result.output
    result = runner.invoke(args=["rank", "kombinovanyi", "--round", "0"])
    assert result.exit_code != 0 and "--round" in result.output


def test_the_score_files_of_a_round(runner, app, combined, tmp_path):
    one, two = combined
    whole = runner.invoke(args=["export-scores", "kombinovanyi-tur-2"]).output
    exported = runner.invoke(args=["export-scores", "kombinovanyi", "--round", "2"]).output
    assert exported == whole and two.numbers[0] in exported and one.numbers[0] not in exported
    # A round's file imported with --round goes into that round (scores changed: none).
    path = tmp_path / "round2.csv"
    path.write_text(exported, encoding="utf-8")
    with app.app_context():
        db.session.get(Contest, two.contest_id).stage = Stage.JUDGING
        db.session.commit()
    result = runner.invoke(args=["import-scores", "kombinovanyi", str(path), "--round", "2"])
    assert result.exit_code == 0, result.output
    assert "kombinovanyi-tur-2" in result.output and "scores changed: 0" in result.output
    # Into the first round, the second round's numbers are unknown.
    result = runner.invoke(args=["import-scores", "kombinovanyi", str(path), "--round", "1"])
    assert result.exit_code != 0 and two.numbers[0] in result.output


# The contest document ---------------------------------------------------------------------


def _weighted_chain(client, app, first: str) -> None:
    """``first`` with a second round, 40 % + 60 %, titled."""
    _add_round(client, first)
    one, two = _contest(app, first), _contest(app, "biudzhet-uchasti-tur-2")
    client.submit(
        f"/manage/contests/{first}/rounds",
        {
            f"round_title_uk_{one.id}": "Концепція",
            f"round_title_en_{one.id}": "Concept note",
            f"round_weight_{one.id}": "40",
            f"round_title_uk_{two.id}": "Повна заявка",
            f"round_title_en_{two.id}": "Full application",
            f"round_weight_{two.id}": "60",
        },
    )
    with app.app_context():  # the second round its own criterion, to tell them apart
        second = db.session.get(Contest, two.id)
        second.criteria[0].title_uk = "Якість повної заявки"
        second.winners = 2
        db.session.commit()


def test_any_round_exports_the_whole_chain_and_the_import_recreates_it(
    client, app, runner, first, tmp_path
):
    _weighted_chain(client, app, first)
    exported = runner.invoke(args=["export-contest", "biudzhet-uchasti-tur-2"])
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.output)
    assert document["slug"] == first
    assert document["round"] == {"title": {"uk": "Концепція", "en": "Concept note"}, "weight": 40}
    [later] = document["rounds"]
    assert later["title"] == {"uk": "Повна заявка", "en": "Full application"}
    assert later["weight"] == 60 and later["winners"] == 2
    assert later["criteria"][0]["title"]["uk"] == "Якість повної заявки"
    assert later["opens_at"] == "2026-04-10T09:00:00+03:00"
    assert "slug" not in later and "number_prefix" not in later
    assert json.loads(runner.invoke(args=["export-contest", first]).output) == document

    path = tmp_path / "rounds.json"
    path.write_text(json.dumps({**document, "slug": "biudzhet-uchasti-2027"}), encoding="utf-8")
    result = runner.invoke(args=["import-contest", str(path), "--organiser", ORGANISER])
    assert result.exit_code == 0, result.output
    assert "Rounds: 2" in result.output
    again = json.loads(runner.invoke(args=["export-contest", "biudzhet-uchasti-2027"]).output)
    assert again == {**document, "slug": "biudzhet-uchasti-2027"}
    imported = _contest(app, "biudzhet-uchasti-2027-tur-2")
    assert imported.previous_round_id == _contest(app, "biudzhet-uchasti-2027").id
    assert imported.number_prefix == "BU2A"  # BU2 numbers the first chain's round 2
    assert imported.stage == Stage.DRAFT and imported.title_uk == "Бюджет участі"


def test_a_malformed_rounds_part_is_refused_naming_the_round_and_the_field(
    app, runner, build, tmp_path
):
    build.user(Role.ORGANISER, email=ORGANISER)
    document = {
        "format": "scoring.contest/1",
        "slug": "z-turamy",
        "title": {"uk": "З турами", "en": ""},
        "opens_at": "2026-03-01T09:00:00+02:00",
        "closes_at": "2026-03-31T18:00:00+03:00",
        "round": {"title": {"uk": "Перший"}, "weight": 40},
        "rounds": [
            {
                "title": {"uk": 5},
                "weight": 120,
                "wieght": 60,
                "closes_at": "2026-03-20T18:00:00+02:00",
                "criteria": [{"code": "c1", "title": {"uk": "Якість"}, "max_points": 10}],
            },
            {
                "opens_at": "2026-03-15T09:00:00+02:00",
                "closes_at": "2026-05-01T18:00:00+03:00",
                "slug": "svii",
            },
            "третій",
        ],
    }
    path = tmp_path / "rounds.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import-contest", str(path), "--organiser", ORGANISER])
    assert result.exit_code != 0
    for line in (
        "rounds[0].wieght: unknown field",
        "rounds[0].title.uk: must be text",
        "rounds[0].weight: must be greater than 0 and at most 100",
        "rounds[0].opens_at: is required",
        "rounds[0].criteria[0].code: use up to 20 latin capital letters",
        "rounds[1].slug: unknown field",
        "rounds[1].opens_at: must not be earlier than closes_at of the round before",
        "rounds[2]: must be an object",
    ):
        assert line in result.output, result.output
    assert "Give every round its share" not in result.output  # a wrong share is told once
    assert _later_rounds(app) == []
    with app.app_context():
        assert db.session.scalar(select(Contest.id)) is None
    document["rounds"] = [{"opens_at": "2026-04-01T09:00:00+03:00",
                           "closes_at": "2026-04-20T18:00:00+03:00"}]  # fmt: skip
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import-contest", str(path), "--organiser", ORGANISER])
    assert "rounds[0].weight: Give every round its share of the final score" in result.output
    # The shares must add up to 100; one round has none to give.
    document["rounds"] = [{"weight": 50, "opens_at": "2026-04-01T09:00:00+03:00",
                           "closes_at": "2026-04-20T18:00:00+03:00"}]  # fmt: skip
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import-contest", str(path), "--organiser", ORGANISER])
    assert "rounds: The rounds' shares of the final score must add up to 100" in result.output
    del document["rounds"]
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import-contest", str(path), "--organiser", ORGANISER])
    assert "round.weight: A contest with one round has no weights" in result.output


@pytest.mark.parametrize(
    ("part", "message"),
    [
        ({"round": [1]}, "round: must be an object"),
        ({"round": "перший"}, "round: must be an object"),
        ({"round": {"weight": "40"}}, "round.weight: must be a number"),
        ({"rounds": {}}, "rounds: must be a list"),
        ({"rounds": [None]}, "rounds[0]: must be an object"),
        ({"rounds": [{"title": "Другий"}]}, "rounds[0].title: must be an object"),
        ({"rounds": [{"weight": True}]}, "rounds[0].weight: must be a number"),
        ({"rounds": [{"categories": "ngo"}]}, "rounds[0].categories: must be a list"),
        ({"rounds": [{"scoring": []}]}, "rounds[0].scoring: must be an object"),
        ({"rounds": [{"opens_at": "завтра"}]}, "rounds[0].opens_at: must be a date and time"),
    ],
)
def test_every_shape_of_a_wrong_rounds_part_is_told(app, runner, build, tmp_path, part, message):
    build.user(Role.ORGANISER, email=ORGANISER)
    document = {
        "format": "scoring.contest/1",
        "slug": "z-turamy",
        "title": {"uk": "З турами", "en": ""},
        "opens_at": "2026-03-01T09:00:00+02:00",
        "closes_at": "2026-03-31T18:00:00+03:00",
        **part,
    }
    path = tmp_path / "rounds.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["import-contest", str(path), "--organiser", ORGANISER])
    assert result.exit_code == 1 and message in result.output, result.output
    with app.app_context():
        assert db.session.scalar(select(Contest.id)) is None


def test_the_browser_import_of_a_document_with_rounds_creates_the_chain(client, app, runner, first):
    _weighted_chain(client, app, first)
    document = json.loads(runner.invoke(args=["export-contest", first]).output)
    document["slug"] = "novyi-rik"
    upload = client.submit(
        "/manage/imports/contest",
        {"file": (io.BytesIO(json.dumps(document).encode()), "rounds.json")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302, upload.get_data(as_text=True)[:2000]
    token = upload.location.rsplit("/manage/imports/", 1)[1].split("/")[0]
    check = client.submit(f"/manage/imports/{token}")
    job = _text(client.get(check.location))
    assert "Rounds: 2; each later round a draft of its own." in job
    assert _contest_or_none(app, "novyi-rik") is None
    done = client.submit(f"/manage/imports/{token}/run", follow_redirects=True)
    assert "Rounds: 2; each later round is a draft of its own: novyi-rik-tur-2." in _text(done)
    later = _contest(app, "novyi-rik-tur-2")
    assert later.previous_round_id == _contest(app, "novyi-rik").id
    assert later.round_weight == Decimal(60) and later.winners == 2
    page = _text(client.get("/manage/contests/novyi-rik/rounds"))
    assert "Round 2 · Full application" in page


def _contest_or_none(app, slug: str):
    with app.app_context():
        return db.session.scalar(select(Contest.id).where(Contest.slug == slug))


def test_a_published_rounds_title_stays_and_a_round_of_others_is_only_shown(
    client, app, build, first
):
    _add_round(client, first)
    one, two = _contest(app, first), _contest(app, "biudzhet-uchasti-tur-2")
    _set(app, first, stage=Stage.PUBLISHED)
    page = client.get(f"/manage/contests/{first}/rounds").get_data(as_text=True)
    assert f'name="round_title_uk_{one.id}"' not in page  # its results are published
    assert f'name="round_title_uk_{two.id}"' in page
    # A colleague who organises only the second round sees the first without changing it.
    colleague = build.user(Role.ORGANISER, email="colleague@organiser.example")
    with app.app_context():
        second = db.session.get(Contest, two.id)
        second.organisers.append(db.session.get(User, colleague))
        db.session.commit()
    client.submit("/logout")
    client.login("colleague@organiser.example")
    client.submit("/language", {"language": "en", "next": "/"})
    assert client.get(f"/manage/contests/{first}/rounds").status_code == 404
    page = client.get("/manage/contests/biudzhet-uchasti-tur-2/rounds")
    assert "You do not organise this round" in _text(page)
    html = page.get_data(as_text=True)
    assert f'href="/manage/contests/{first}"' not in html
    assert f'name="round_title_uk_{one.id}"' not in html
    response = client.submit(
        "/manage/contests/biudzhet-uchasti-tur-2/rounds",
        {f"round_title_uk_{one.id}": "Чужа назва", f"round_title_uk_{two.id}": "Презентація"},
    )
    assert response.status_code == 302
    assert _contest(app, first).round_title_uk == ""
    assert _contest(app, "biudzhet-uchasti-tur-2").round_title_uk == "Презентація"


def test_a_contest_has_at_most_ten_rounds(client, app, runner, first, tmp_path):
    for number in range(2, 11):
        day = 2 * number
        response = _add_round(
            client,
            first,
            opens_at=f"2026-05-{day:02d}T09:00",
            closes_at=f"2026-05-{day + 1:02d}T09:00",
        )
        assert response.status_code == 302, number
    page = _text(client.get(f"/manage/contests/{first}/rounds"))
    assert "Round 10" in page and "Add round 11" not in page
    response = _add_round(client, first, opens_at="2026-06-01T09:00", closes_at="2026-06-02T09:00")
    assert response.status_code == 409 and "A contest has at most 10 rounds." in _text(response)
    assert len(_later_rounds(app)) == 9
    document = json.loads(runner.invoke(args=["export-contest", first]).output)
    document["slug"] = "odynadtsiat-turiv"
    document["rounds"].append(document["rounds"][-1])
    path = tmp_path / "eleven.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["import-contest", str(path), "--organiser", ORGANISER])
    assert result.exit_code == 1 and "rounds: give at most 9 later rounds" in result.output
