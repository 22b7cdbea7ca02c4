"""Organisers set up contests in the browser: the form, the dashboard, stage changes, access."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from scoring.extensions import db
from scoring.models import (
    Application,
    ApplicationState,
    AuditEntry,
    Contest,
    Criterion,
    Role,
    Stage,
    User,
)

from ._bad_input import form_as_shown, form_for

ORGANISER = "org@example.org"

FORM = {
    "slug": "uspishna-uchast-2026",
    "title_uk": "Успішна участь громади",
    "title_en": "Successful Community Participation",
    "organising_body": "Хаб участі",
    "description_uk": "Конкурс для громадських організацій.",
    "description_en": "",
    "rules_uk": "",
    "rules_en": "",
    "applicant_kinds": ["ngo"],
    "oblasts": ["UA-14", "UA-63"],
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
    "max_winners_per_oblast": "",
    "results_full_ranking": "y",
}


@pytest.fixture
def organiser(signed_in):
    """The signed-in organiser's id; the interface is switched to English."""
    return signed_in(Role.ORGANISER, ORGANISER)


def _contest(app, slug: str) -> Contest:
    return db.session.scalar(select(Contest).where(Contest.slug == slug))


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()


def _open_contest(build, organiser_id: int, stage=Stage.OPEN, **fields) -> int:
    """A contest past its draft whose settings match ``FORM``."""
    return build.contest(
        organisers=[organiser_id],
        stage=stage,
        slug=FORM["slug"],
        title_uk=FORM["title_uk"],
        title_en=FORM["title_en"],
        organising_body=FORM["organising_body"],
        description_uk=FORM["description_uk"],
        applicant_kinds=FORM["applicant_kinds"],
        oblasts=FORM["oblasts"],
        opens_at=datetime(2026, 3, 1, 7, 0, tzinfo=UTC),
        closes_at=datetime(2026, 3, 31, 15, 0, tzinfo=UTC),
        number_prefix=FORM["number_prefix"],
        **fields,
    )


def test_an_organiser_creates_a_contest_and_sees_it_on_the_dashboard(client, app, organiser):
    page = client.get("/manage/contests").get_data(as_text=True)
    assert "You do not organise any contest yet" in page
    assert 'href="/manage/contests/new"' in page
    form = client.get("/manage/contests/new").get_data(as_text=True)
    assert 'type="datetime-local"' in form and 'value="Хаб участі"' in form

    response = client.submit("/manage/contests/new", FORM)
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/contests/uspishna-uchast-2026"

    page = client.get("/manage/contests/uspishna-uchast-2026").get_data(as_text=True)
    assert "Successful Community Participation" in page
    assert "Draft" in page and "Donetsk Oblast, Kharkiv Oblast" in page
    assert "No criteria yet" in page
    assert "/manage/contests/uspishna-uchast-2026/stage?to=open" in page
    listing = client.get("/manage/contests").get_data(as_text=True)
    assert 'href="/manage/contests/uspishna-uchast-2026"' in listing
    with app.app_context():
        contest = _contest(app, "uspishna-uchast-2026")
        assert contest.stage == Stage.DRAFT
        assert [o.id for o in contest.organisers] == [organiser]
        assert contest.applicant_kinds == ["ngo"] and contest.number_prefix == "UUG"
        assert contest.max_winners_per_oblast is None and contest.results_full_ranking
        assert not contest.blind
    (created,) = _audit(app, "contest.created")
    assert created.actor_id == organiser and created.details == {"slug": "uspishna-uchast-2026"}


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("slug", {"slug": "Uspishna Uchast!"}, "lowercase latin letters"),
        ("slug", {"slug": "new"}, "reserved"),
        ("closes_at", {"closes_at": "2026-03-01T08:00"}, "close after they open"),
        ("applicant_kinds", {"applicant_kinds": []}, "Choose who can apply"),
        ("number_prefix", {"number_prefix": "UU-G"}, "from 2 to 12 latin letters"),
        ("number_prefix", {"number_prefix": "ЯК"}, "from 2 to 12 latin letters"),
        ("opens_at", {"opens_at": "tomorrow"}, "Enter the date and the time"),
        ("divergence_threshold", {"divergence_threshold": "0"}, "greater than 0"),
        ("divergence_threshold", {"divergence_threshold": "NaN"}, "greater than 0"),
        ("min_total", {"min_total": "sNaN"}, "number from 0 to 1000000"),
        ("min_total", {"min_total": "-Infinity"}, "number from 0 to 1000000"),
        ("winners", {"winners": "9" * 30}, "whole number from 1 to 1000"),
        ("quorum", {"quorum": "0"}, "whole number from 1 to 100"),
        ("oblasts", {"oblasts": ["UA-99"]}, "Choose from the options given"),
    ],
)
def test_a_wrong_value_is_named_beside_its_field_and_nothing_is_saved(
    client, app, organiser, field, changes, message
):
    response = client.submit("/manage/contests/new", {**FORM, **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    errors = page[page.index(f'id="{field}-errors"') :]
    assert message in errors[: errors.index("</div>\n")]
    assert f'href="#{field}"' in page  # in the summary at the top
    assert 'value="Успішна участь громади"' in page  # what was typed stays
    with app.app_context():
        assert db.session.scalar(select(Contest)) is None


def test_a_taken_slug_is_refused_with_a_clear_message(client, build, organiser):
    build.contest(slug="uspishna-uchast-2026")  # someone else's contest
    page = client.submit("/manage/contests/new", FORM).get_data(as_text=True)
    assert 'id="slug-errors"' in page
    assert "Another contest already has this address" in page


def test_times_are_entered_and_shown_in_kyiv_and_stored_in_utc(client, app, organiser):
    client.submit("/manage/contests/new", FORM)
    with app.app_context():
        contest = _contest(app, FORM["slug"])
        assert contest.opens_at == datetime(2026, 3, 1, 7, 0, tzinfo=UTC)  # winter, UTC+2
        assert contest.closes_at == datetime(2026, 3, 31, 15, 0, tzinfo=UTC)  # summer, UTC+3
    form = client.get(f"/manage/contests/{FORM['slug']}/edit").get_data(as_text=True)
    assert 'value="2026-03-01T09:00"' in form and 'value="2026-03-31T18:00"' in form
    assert 'value="0.3"' in form  # as typed, not 0.300
    typed = {**FORM, "closes_at": "31.03.2026 18:00"}  # where a browser has no date picker
    assert client.submit(f"/manage/contests/{FORM['slug']}/edit", typed).status_code == 302
    dashboard = client.get(f"/manage/contests/{FORM['slug']}").get_data(as_text=True)
    assert "March 31, 2026, 18:00" in dashboard
    assert _audit(app, "contest.updated") == []  # the same moment, typed differently


def test_editing_a_draft_changes_anything_and_records_the_changed_fields(client, app, organiser):
    client.submit("/manage/contests/new", FORM)
    changes = {"slug": "uchast-2026", "number_prefix": "uch", "oblasts": [], "blind": "y"}
    response = client.submit(f"/manage/contests/{FORM['slug']}/edit", {**FORM, **changes})
    assert response.headers["Location"] == "/manage/contests/uchast-2026"
    with app.app_context():
        contest = _contest(app, "uchast-2026")
        assert contest.number_prefix == "UCH" and contest.oblasts == [] and contest.blind
    (updated,) = _audit(app, "contest.updated")
    assert sorted(updated.details["fields"]) == ["blind", "number_prefix", "oblasts", "slug"]
    client.submit("/manage/contests/uchast-2026/edit", {**FORM, **changes})
    assert len(_audit(app, "contest.updated")) == 1  # saving without changes records nothing


def test_two_organisers_editing_at_once_keep_each_others_changes(client, app, build, organiser):
    """A form loaded before another organiser saved: what this one left as it was keeps
    the other's value; what both changed is shown again, theirs kept in the form."""
    client.submit("/manage/contests/new", FORM)
    url = f"/manage/contests/{FORM['slug']}/edit"
    build.user(Role.ORGANISER, email="second@example.org")
    with app.app_context():
        contest = _contest(app, FORM["slug"])
        second = db.session.scalar(select(User).filter_by(email="second@example.org"))
        contest.organisers.append(second)
        db.session.commit()
    other = app.test_client()
    other.login("second@example.org")
    mine = form_as_shown(client, url, title_en="Successful participation", quorum="3")
    theirs = form_as_shown(
        other, url, organising_body="ГО «Хаб»", quorum="4", divergence_threshold="0.25"
    )
    assert other.post(url, data=theirs).status_code == 302

    response = client.post(url, data=mine)  # the quorum: both changed it
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Someone else changed this after you opened the form" in page
    assert 'id="quorum-errors"' in page and 'id="organising_body-errors"' not in page
    again = form_for(page, url, url)
    assert again.valid()["quorum"] == ["3"]  # this organiser's value stays in the form
    assert again.valid()["organising_body"] == ["ГО «Хаб»"]  # the other's, shown
    assert again.valid()["divergence_threshold"] == ["0.25"]  # as typed, not «0.250»
    with app.app_context():
        contest = _contest(app, FORM["slug"])
        assert (contest.quorum, contest.title_en) == (4, FORM["title_en"])  # nothing saved
    pairs = [(name, value) for name, many in again.valid().items() for value in many]
    saved = client.post(url, data=MultiDict([("csrf_token", client.csrf_token(url)), *pairs]))
    assert saved.status_code == 302  # saved again, knowingly
    with app.app_context():
        contest = _contest(app, FORM["slug"])
        assert contest.quorum == 3 and contest.title_en == "Successful participation"
        assert contest.organising_body == "ГО «Хаб»"  # not undone by the first form
        assert str(contest.divergence_threshold.normalize()) == "0.25"


def test_an_open_contest_refuses_changes_that_submitted_applications_depend_on(
    client, app, build, organiser
):
    contest_id = _open_contest(build, organiser)
    url = f"/manage/contests/{FORM['slug']}/edit"
    assert "is no longer a draft" in client.get(url).get_data(as_text=True)
    refused = {
        "applicant_kinds": ["community", "ngo"],
        "number_prefix": "NEW",
        "opens_at": "2026-03-02T09:00",
        "title_uk": "Нова назва",
    }
    page = client.submit(url, {**FORM, **refused}).get_data(as_text=True)
    for field in ("applicant_kinds", "number_prefix", "opens_at"):
        assert f'id="{field}-errors"' in page
    assert "submitted applications depend on it" in page
    assert "the opening can move earlier, not later" in page
    assert 'id="title_uk-errors"' not in page
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        assert contest.number_prefix == "UUG" and contest.title_uk == FORM["title_uk"]

    allowed = {"title_uk": "Нова назва", "opens_at": "2026-02-28T09:00", "winners": "3"}
    assert client.submit(url, {**FORM, **allowed}).status_code == 302
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        assert contest.title_uk == "Нова назва" and contest.winners == 3
        assert contest.opens_at == datetime(2026, 2, 28, 7, 0, tzinfo=UTC)
    (updated,) = _audit(app, "contest.updated")
    assert sorted(updated.details["fields"]) == ["opens_at", "title_uk", "winners"]


def test_published_results_keep_their_ranking_settings_and_an_archive_is_read_only(
    client, app, build, organiser
):
    contest_id = _open_contest(build, organiser, stage=Stage.PUBLISHED)
    url = f"/manage/contests/{FORM['slug']}/edit"
    page = client.submit(url, {**FORM, "winners": "6", "min_total": "10"}).get_data(as_text=True)
    assert 'id="winners-errors"' in page and 'id="min_total-errors"' in page
    assert "settings that decide the ranking cannot change" in page
    assert client.submit(url, {**FORM, "rules_en": "Rules"}).status_code == 302
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        assert contest.winners == 5 and contest.rules_en == "Rules"
        contest.stage = Stage.ARCHIVED
        db.session.commit()
    page = client.submit(url, {**FORM, "title_en": "Renamed"}).get_data(as_text=True)
    assert 'id="title_en-errors"' in page and "archived" in page
    with app.app_context():
        assert db.session.get(Contest, contest_id).title_en == FORM["title_en"]


def test_the_stage_moves_forward_after_confirmation_and_is_audited(
    client, app, build, organiser, clock_at
):
    clock_at(datetime(2026, 2, 1, tzinfo=UTC))
    contest_id = build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="c")
    page = client.get("/manage/contests/c/stage?to=open").get_data(as_text=True)
    assert "Confirm the change" in page and 'name="reason"' in page
    assert "Applicants can submit applications" in page
    with app.app_context():
        assert db.session.get(Contest, contest_id).stage == Stage.DRAFT  # GET changes nothing

    response = client.submit("/manage/contests/c/stage", {"to": "open", "reason": ""})
    assert response.headers["Location"] == "/manage/contests/c"
    assert "Accepting applications" in client.get("/manage/contests/c").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Contest, contest_id).stage == Stage.OPEN
    (entry,) = _audit(app, "contest.stage")
    assert entry.actor_id == organiser and entry.contest_id == contest_id
    assert entry.details == {"from_stage": "draft", "to_stage": "open"}


def test_a_move_back_needs_a_reason(client, app, build, organiser):
    contest_id = build.contest(organisers=[organiser], stage=Stage.DELIBERATION, slug="c")
    page = client.submit("/manage/contests/c/stage", {"to": "judging", "reason": "  "})
    assert 'id="reason-errors"' in page.get_data(as_text=True)
    assert "Give the reason" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Contest, contest_id).stage == Stage.DELIBERATION
    assert _audit(app, "contest.stage") == []

    reason = "Reopen the scoresheet of C-007 after a complaint"
    client.submit("/manage/contests/c/stage", {"to": "judging", "reason": reason})
    with app.app_context():
        assert db.session.get(Contest, contest_id).stage == Stage.JUDGING
    (entry,) = _audit(app, "contest.stage")
    assert entry.reason == reason
    assert entry.details == {"from_stage": "deliberation", "to_stage": "judging"}


@pytest.mark.parametrize(
    ("stage", "to"),
    [
        (Stage.DRAFT, "judging"),  # skipping stages
        (Stage.OPEN, "open"),
        # Published results go back only on an upheld appeal: tests/test_appeals.py.
        (Stage.ARCHIVED, "published"),
        (Stage.DRAFT, "nonsense"),
    ],
)
def test_transitions_outside_the_lifecycle_are_refused(client, app, build, organiser, stage, to):
    contest_id = build.contest(organisers=[organiser], stage=stage, slug="c")
    assert client.get(f"/manage/contests/c/stage?to={to}").status_code == 302
    response = client.submit("/manage/contests/c/stage", {"to": to, "reason": "because"})
    assert response.headers["Location"] == "/manage/contests/c"
    assert "cannot move to this stage" in client.get("/manage/contests/c").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Contest, contest_id).stage == stage
    assert _audit(app, "contest.stage") == []


def test_a_contest_opens_only_with_criteria_and_a_future_deadline(
    client, app, build, organiser, clock_at
):
    clock_at(datetime(2026, 2, 1, tzinfo=UTC))
    client.submit("/manage/contests/new", FORM)
    url = f"/manage/contests/{FORM['slug']}/stage"
    page = client.get(f"{url}?to=open").get_data(as_text=True)
    assert "Add at least one criterion" in page and "Confirm the change" not in page
    client.submit(url, {"to": "open"})
    with app.app_context():
        contest = _contest(app, FORM["slug"])
        assert contest.stage == Stage.DRAFT
        contest.criteria = [Criterion(code="C1", title_uk="Актуальність", max_points=10)]
        db.session.commit()
    clock_at(datetime(2026, 4, 1, tzinfo=UTC))  # after the deadline
    assert "closing time of applications has already passed" in client.get(
        f"{url}?to=open"
    ).get_data(as_text=True)
    clock_at(datetime(2026, 2, 1, tzinfo=UTC))
    assert client.submit(url, {"to": "open"}).status_code == 302
    with app.app_context():
        assert _contest(app, FORM["slug"]).stage == Stage.OPEN


def test_the_dashboard_counts_applications_by_state(client, app, build, organiser):
    contest_id = _open_contest(build, organiser)
    states = [ApplicationState.SUBMITTED] * 3 + [ApplicationState.DRAFT, ApplicationState.REJECTED]
    organisations = [build.organisation() for _ in states]
    with app.app_context():
        for serial, (state, organisation_id) in enumerate(
            zip(states, organisations, strict=True), start=1
        ):
            submitted = state != ApplicationState.DRAFT
            db.session.add(
                Application(
                    contest_id=contest_id,
                    organisation_id=organisation_id,
                    state=state,
                    serial=serial if submitted else None,
                    number=f"UUG-2026-{serial:03d}" if submitted else None,
                    submitted_at=datetime(2026, 3, 10, tzinfo=UTC) if submitted else None,
                )
            )
        db.session.commit()
    page = client.get(f"/manage/contests/{FORM['slug']}").get_data(as_text=True)
    table = page[page.index("Applications by state") : page.index("</table>")]
    text = " ".join(re.sub(r"<[^>]+>", " ", table).split())
    assert "Started, not submitted 1 Submitted 3 Admitted 0 Rejected 1 Total 5" in text
    assert "2 criteria, maximum possible total 25 points" in page
    # Applicants have started: the contest can no longer return to the draft.
    back = client.get(f"/manage/contests/{FORM['slug']}/stage?to=draft").get_data(as_text=True)
    assert "cannot return to the draft" in back and "Confirm the change" not in back


def test_another_organiser_gets_404_on_every_contest_route(client, build, organiser):
    other = build.user(Role.ORGANISER, email="other@example.org")
    build.contest(organisers=[other], stage=Stage.DRAFT, slug="theirs")
    for url in (
        "/manage/contests/theirs",
        "/manage/contests/theirs/edit",
        "/manage/contests/theirs/stage?to=open",
        "/manage/contests/missing",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        ("/manage/contests/theirs/edit", FORM),
        ("/manage/contests/theirs/stage", {"to": "open"}),
    ):
        assert client.submit(url, data).status_code == 404, url
    assert "theirs" not in client.get("/manage/contests").get_data(as_text=True)


def test_jurors_get_403_and_anonymous_visitors_the_login_page(client, build):
    build.user(Role.JUROR, email="juror@example.org")
    build.contest(stage=Stage.DRAFT, slug="c")
    urls = [
        "/manage/contests",
        "/manage/contests/new",
        "/manage/contests/c",
        "/manage/contests/c/edit",
        "/manage/contests/c/stage?to=open",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    client.login("juror@example.org")
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.submit("/manage/contests/new", FORM).status_code == 403


def test_a_post_without_csrf_token_is_refused(client, app, build, organiser):
    build.contest(organisers=[organiser], stage=Stage.DRAFT, slug="c")
    assert client.post("/manage/contests/new", data=FORM).status_code == 400
    assert client.post("/manage/contests/c/stage", data={"to": "open"}).status_code == 400
    with app.app_context():
        assert _contest(app, "c").stage == Stage.DRAFT
        assert _contest(app, FORM["slug"]) is None


def test_organisers_find_their_contests_in_the_menu(client, organiser):
    page = client.get("/").get_data(as_text=True)
    assert '<a class="nav-link" href="/manage/contests">My contests</a>' in " ".join(page.split())


def test_a_prefix_is_shared_only_between_contests_of_different_years(client, organiser, build):
    """Numbers read PREFIX-YEAR-NNN: two contests of one year must not share a prefix."""
    build.contest(
        slug="last-year",
        number_prefix="UUG",
        opens_at=datetime(2025, 3, 1, 7, 0, tzinfo=UTC),
        closes_at=datetime(2025, 3, 31, 15, 0, tzinfo=UTC),
    )
    build.contest(
        slug="same-year",
        number_prefix="SAME",
        opens_at=datetime(2026, 5, 1, 7, 0, tzinfo=UTC),
        closes_at=datetime(2026, 5, 31, 15, 0, tzinfo=UTC),
    )
    response = client.submit("/manage/contests/new", {**FORM, "number_prefix": "SAME"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="number_prefix-errors"' in page and "same-year" in page
    response = client.submit("/manage/contests/new", {**FORM, "number_prefix": "UUG"})
    assert response.status_code == 302  # last year's prefix serves this year's contest


def test_a_draft_sharing_a_prefix_in_the_same_year_cannot_open(app, client, organiser, build):
    build.contest(slug="other", number_prefix="UUG")  # open now, as the draft would be
    draft = build.contest(
        organisers=[organiser], stage=Stage.DRAFT, slug="mine", number_prefix="UUG"
    )
    page = client.get("/manage/contests/mine/stage?to=open").get_data(as_text=True)
    assert "UUG" in page and "other" in page
    client.submit("/manage/contests/mine/stage", {"to": "open", "reason": ""})
    with app.app_context():
        assert db.session.get(Contest, draft).stage == Stage.DRAFT
