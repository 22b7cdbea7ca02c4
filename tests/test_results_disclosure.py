"""Nothing about the results before publication, then exactly what the public page shows
(SPEC §8, issue 12), told on the demo contest: 12 applications, 5 winning places, a tie
at the 5th between UUG-…-004 and UUG-…-005 that the commission decides for 005.

The authorisation matrix (``test_authorisation_matrix.py``) checks every route at every
stage; these are the stories behind it, as the people in them meet them.
"""

from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from scoring import clock
from scoring.extensions import db
from scoring.i18n import points
from scoring.models import (
    Application,
    ApplicationState,
    Category,
    Conflict,
    Contest,
    Organisation,
    Role,
    Score,
    Scoresheet,
    SheetState,
    Stage,
)

from ._meeting import record_meeting
from ._shown import results_tables, squeeze, visible_text

ORGANISER = "organiser@demo.example"
DEMO_PASSWORD = "demo-pass-2026"
TIE_REASON = "Голосування комісії: 4 проти 3, за заявку 005."
DIVERGENCE_REASON = "Експерти обговорили розбіжність; оцінки залишено."


@pytest.fixture
def demo(runner, app):
    """The demo loaded; its judged contest's slug and {number suffix: (number, name)},
    with the jury's meeting entered for the protocol (publication needs its number, date
    and place)."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.stage == Stage.JUDGING))
        record_meeting(contest)  # the jury's meeting, which publication needs
        db.session.commit()
        slug = contest.slug
        applications = db.session.execute(
            select(Application.id, Application.number, Organisation.name)
            .join(Organisation, Application.organisation_id == Organisation.id)
            .join(Contest, Application.contest_id == Contest.id)
            .where(Contest.slug == slug)
        ).all()
    return slug, {number[-3:]: (app_id, number, name) for app_id, number, name in applications}


def _signed_in(app, email: str):
    client = app.test_client()
    client.login(email, DEMO_PASSWORD)
    return client


def _move(organiser, slug: str, stage: str) -> None:
    response = organiser.change_stage(slug, stage)  # its warnings confirmed
    assert response.status_code == 302, response.get_data(as_text=True)


def _publish(app, slug: str, applications: dict):
    """The organiser decides the tie for 005 in deliberation and publishes."""
    organiser = _signed_in(app, ORGANISER)
    _move(organiser, slug, "deliberation")
    response = organiser.submit(
        f"/manage/contests/{slug}/ties/5",
        {"winners": [str(applications["005"][0])], "reason": TIE_REASON},
    )
    assert response.status_code == 302
    _move(organiser, slug, "published")
    return organiser


def _winners_only(app, slug: str) -> None:
    with app.app_context():
        db.session.scalar(select(Contest).where(Contest.slug == slug)).results_full_ranking = False
        db.session.commit()


def test_an_applicant_reads_the_commissions_decisions_only_once_they_are_public(app, demo):
    slug, applications = demo
    applicant = _signed_in(app, "applicant05@demo.example")
    organiser = _signed_in(app, ORGANISER)

    def held() -> str:
        response = applicant.get("/organisation/data.json")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    # Judging: the commission resolves a divergence on the applicant's application.
    number = applications["005"][1]
    response = organiser.submit(
        f"/manage/contests/{slug}/divergences/{number}", {"reason": DIVERGENCE_REASON}
    )
    assert response.status_code == 302
    assert DIVERGENCE_REASON in organiser.get(f"/manage/contests/{slug}/ranking").text
    assert DIVERGENCE_REASON not in held()

    # Deliberation: the commission decides the tie for the applicant.
    _move(organiser, slug, "deliberation")
    response = organiser.submit(
        f"/manage/contests/{slug}/ties/5",
        {"winners": [str(applications["005"][0])], "reason": TIE_REASON},
    )
    assert response.status_code == 302
    data = applicant.get("/organisation/data.json").get_json()
    (application,) = data["applications"]
    assert application["number"] == number and application["decisions"] == []
    assert TIE_REASON not in held() and DIVERGENCE_REASON not in held()

    # Published: the decision on the tie is public, on the page and in the file alike.
    _move(organiser, slug, "published")
    assert TIE_REASON in app.test_client().get(f"/contests/{slug}/results").text
    (application,) = applicant.get("/organisation/data.json").get_json()["applications"]
    assert [(d["kind"], d["reason"], d["winner"]) for d in application["decisions"]] == [
        ("tie", TIE_REASON, True)
    ]
    # How the jurors' totals diverged stays with the commission, even now.
    assert DIVERGENCE_REASON not in held()
    assert DIVERGENCE_REASON not in app.test_client().get(f"/contests/{slug}/results").text


def _page_rows(app, html: str) -> dict[str, dict]:
    """{number: {column: cell}} of every table of the public results page (Ukrainian)."""
    with app.test_request_context(), force_locale("uk"):
        number = gettext("Number")
        rows = {}
        for _caption, table in results_tables(html, number):
            for row in table:
                row.pop("badges")
                rows.setdefault(row[number], row)
    return rows


@pytest.mark.parametrize("full_ranking", [True, False])
def test_the_api_and_the_announcement_show_what_the_public_page_shows(app, demo, full_ranking):
    slug, applications = demo
    _publish(app, slug, applications)
    if not full_ranking:
        _winners_only(app, slug)
    visitor = app.test_client()

    rows = _page_rows(app, visitor.get(f"/contests/{slug}/results").text)
    api = visitor.get(f"/api/contests/{slug}/results").get_json()
    announcement = squeeze(visible_text(visitor.get(f"/contests/{slug}/results.pdf")))

    # Only the five winners when the contest publishes only them; 004 lost the tie.
    published = [r["number"] for r in api["ranking"]]
    assert len(published) == (12 if full_ranking else 5)
    assert (applications["004"][1] in published) is full_ranking
    assert set(rows) == set(published)
    with app.test_request_context(), force_locale("uk"):
        assert {
            r["number"]: (str(r["rank"]), r["organisation"], points(r["score"]), r["note"])
            for r in api["ranking"]
        } == {
            number: (
                row[gettext("Place")],
                row[gettext("Applicant")],
                row[gettext("Score")],
                row[gettext("Note")],
            )
            for number, row in rows.items()
        }
    assert [d["reason"] for d in api["decisions"]] == [TIE_REASON]
    assert api["decisions"][0]["winners"] == [applications["005"][1]]
    # What the page does not show, the API does not either.
    assert set(api["ranking"][0]) == {
        "rank",
        "number",
        "organisation",
        "community",
        "oblast",
        "score",
        "tie",
        "winner",
        "note",
    }
    for _id, number, name in applications.values():
        assert (squeeze(number) in announcement) == (number in rows), number
        assert (squeeze(name) in announcement) == (number in rows), name


def test_the_email_of_publication_says_what_is_published(app, demo, outbox):
    slug, applications = demo
    _winners_only(app, slug)
    _publish(app, slug, applications)
    mails = outbox()
    assert mails
    with app.test_request_context(), force_locale("uk"):
        full = gettext("The winners, the full ranking and the decisions of the commission:")
        winners = gettext("The winners and the decisions of the commission:")
    for mail in mails:
        body = mail.get_content()
        assert winners in body and full not in body
        assert f"/contests/{slug}/results" in body


@pytest.fixture
def categorised(app, build):
    """A published contest ranked in two categories of one winning place each; the
    slug and {number: organisation}."""
    jurors = [build.user(Role.JUROR, name=f"Експерт {i}") for i in (1, 2)]
    contest_id = build.contest(
        organisers=[build.user(Role.ORGANISER)],
        jurors=jurors,
        stage=Stage.PUBLISHED,
        slug="katehorii",
        number_prefix="KAT",
        results_full_ranking=False,
    )
    scores = [(0, "9"), (0, "6"), (1, "8"), (1, "4")]  # (category, points on each criterion)
    names = {f"KAT-2026-{n:03d}": f"Заявниця категорії {n}" for n in range(1, len(scores) + 1)}
    organisations = [build.organisation(name=name) for name in names.values()]
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        contest.published_at = clock.now()
        contest.categories = [
            Category(code="ngo", title_uk="Громадські організації", winners=1, position=0),
            Category(code="community", title_uk="Громади", winners=1, position=1),
        ]
        db.session.flush()
        for serial, ((category, value), organisation_id, number) in enumerate(
            zip(scores, organisations, names, strict=True), start=1
        ):
            application = Application(
                contest=contest,
                organisation_id=organisation_id,
                category=contest.categories[category],
                state=ApplicationState.ADMITTED,
                serial=serial,
                number=number,
                submitted_at=clock.now(),
            )
            application.scoresheets = [
                Scoresheet(
                    juror_id=juror,
                    conflict=Conflict.NONE,
                    state=SheetState.SUBMITTED,
                    submitted_at=clock.now(),
                    scores=[Score(criterion=c, points=Decimal(value)) for c in contest.criteria],
                )
                for juror in jurors
            ]
            db.session.add(application)
        db.session.commit()
    return "katehorii", names


def test_with_categories_each_ones_winner_is_published_and_no_one_else(app, categorised):
    slug, names = categorised
    visitor = app.test_client()
    page = visitor.get(f"/contests/{slug}/results").text
    rows = _page_rows(app, page)
    api = visitor.get(f"/api/contests/{slug}/results").get_json()
    announcement = squeeze(visible_text(visitor.get(f"/contests/{slug}/results.pdf")))

    # The best of each category, and no one else.
    assert api["winners"] == 2
    assert {(r["number"], r["category"], r["winner"]) for r in api["ranking"]} == {
        ("KAT-2026-001", "ngo", True),
        ("KAT-2026-003", "community", True),
    }
    assert set(rows) == {"KAT-2026-001", "KAT-2026-003"}
    assert api["not_ranked"] == [] and api["decisions"] == []
    assert "Громадські організації" in page and "Громади" in page
    for number, name in names.items():
        assert (squeeze(name) in announcement) == (number in rows), name
        assert (name in page) == (number in rows), name
