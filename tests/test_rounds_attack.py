"""Rounds (SPEC §13) attacked from outside: what nobody may do with a two-round contest."""

import re

from sqlalchemy import select

from scoring.extensions import db
from scoring.models import Application

from ._rounds import second_round_applications, signed_in, two_rounds


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _second_round(app, rounds) -> list[Application]:
    with app.app_context():
        found = db.session.scalars(
            select(Application).where(Application.contest_id == rounds.second_id)
        ).all()
        db.session.expunge_all()
    return found


REFUSED = (
    "Only the applications that advance from the round before take part in this round: "
    "they are created when that round's results are published."
)


def test_nobody_starts_an_application_in_a_later_round_without_advancing(app, build):
    """The second round is open (its own deadline), yet only those who advance from the
    first round take part: neither the page nor a forged POST starts a draft there. Before
    the fix any applicant could, and a winner who had done so was then not advanced (the
    organisation had an application already), its first-round score lost."""
    rounds = two_rounds(app, build, form=True)
    build.applicant(email="outsider@rounds.example", name="ГО «Стороння»")
    for email in (rounds.applicants["a"], rounds.applicants["d"], "outsider@rounds.example"):
        applicant = signed_in(app, email)
        page = _text(applicant.get(f"/contests/{rounds.second}").text)
        assert REFUSED in page
        assert f'action="/contests/{rounds.second}/apply"' not in applicant.get(
            f"/contests/{rounds.second}"
        ).text
        response = applicant.submit(f"/contests/{rounds.second}/apply", follow_redirects=True)
        assert REFUSED in _text(response.text)
    assert _second_round(app, rounds) == []

    # Round 1 published: A and the commission's choice advance, each linked to its
    # first-round application; D still cannot join.
    organiser = signed_in(app, rounds.organiser)
    response = organiser.submit(
        f"/manage/contests/{rounds.first}/ties/2",
        {"winners": [str(rounds.ids["c"])], "reason": "Голосування комісії."},
    )
    assert response.status_code == 302
    assert organiser.change_stage(rounds.first, "published").status_code == 302
    advanced = second_round_applications(app, rounds)
    assert sorted(advanced) == ["a", "c"]
    assert advanced["a"].previous_id == rounds.ids["a"]
    loser = signed_in(app, rounds.applicants["d"])
    loser.submit(f"/contests/{rounds.second}/apply")
    assert len(_second_round(app, rounds)) == 2
