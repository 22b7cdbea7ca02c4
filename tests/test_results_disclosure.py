"""Nothing about the results before publication, then exactly what the public page shows
(SPEC §8, issue 12), told on the demo contest: 12 applications, 5 winning places, a tie
at the 5th between UUG-…-004 and UUG-…-005 that the commission decides for 005.

The authorisation matrix (``test_authorisation_matrix.py``) checks every route at every
stage; these are the stories behind it, as the people in them meet them.
"""

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from scoring.extensions import db
from scoring.i18n import points
from scoring.models import Application, Contest, Organisation, Stage

from ._shown import results_tables, squeeze, visible_text

ORGANISER = "organiser@demo.example"
DEMO_PASSWORD = "demo-pass-2026"
TIE_REASON = "Голосування комісії: 4 проти 3, за заявку 005."
DIVERGENCE_REASON = "Експерти обговорили розбіжність; оцінки залишено."


@pytest.fixture
def demo(runner, app):
    """The demo loaded; its judged contest's slug and {number suffix: (number, name)}."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        slug = db.session.scalar(select(Contest.slug).where(Contest.stage == Stage.JUDGING))
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
    response = organiser.submit(f"/manage/contests/{slug}/stage?to={stage}", {"reason": ""})
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
    assert len(rows) == (12 if full_ranking else 5)
    assert (applications["004"][1] in rows) is full_ranking
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
