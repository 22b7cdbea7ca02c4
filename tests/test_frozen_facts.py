"""Facts frozen at submission (SPEC §8): the name, kind, oblast, community (with its
KATOTTG code) and status an application was submitted with are the ones the ranking,
the oblast cap, ties, pages and documents use; a later edit of the profile changes
nothing in a contest already applied to.

The example of issue 13: during judging an applicant moves its organisation to an oblast
the contest does not even admit, which took it out of the oblast cap and made a tie at
the last winning place.
"""

import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import (
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Criterion,
    JuryMember,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Role,
    Score,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from ._applications import KRAMATORSK, fill_in, questions, start, submit

OPENS = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
CLOSES = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
KHARKIV = "UA63120270000028556"  # Харківська міська територіальна громада, UA-63
IZIUM = "UA63040090000021240"  # Ізюмська міська територіальна громада, UA-63
LVIV = "UA46060250000025047"  # Львівська міська територіальна громада, UA-46
ORGANISER = "organiser@example.org"


def profile(name, edrpou, oblast, community, email, status="active", kind="ngo"):
    return {
        "kind": kind,
        "organisation_name": name,
        "edrpou": edrpou,
        "oblast": oblast,
        "community": community,
        "status": status,
        "contact_person": "Контактна особа",
        "phone": "+380 67 123 45 67",
        "email": email,
    }


APPLICANTS = {
    "a": profile("ГО «Харківська ініціатива»", "14360570", "UA-63", KHARKIV, "a@example.org"),
    "b": profile("ГО «Краматорська платформа»", "00032129", "UA-14", KRAMATORSK, "b@example.org"),
    "c": profile("ГО «Ізюмський голос»", "21560766", "UA-63", IZIUM, "c@example.org"),
}


@pytest.fixture
def contest(build, clock_at):
    clock_at(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    return build.contest(
        organisers=[organiser],
        slug="uchast-2026",
        number_prefix="UUG",
        oblasts=["UA-14", "UA-63"],
        opens_at=OPENS,
        closes_at=CLOSES,
        questions=questions(),
        winners=2,
        max_winners_per_oblast=1,
    )


def _register(app, build, key):
    """An applicant account that fills in its organisation through the profile form."""
    data = APPLICANTS[key]
    build.user(Role.APPLICANT, email=f"{key}-person@example.org")
    client = app.test_client()
    client.login(f"{key}-person@example.org")
    response = client.submit("/organisation", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _applied(app, build, contest):
    """Three organisations submit through the browser; their clients by key."""
    clients = {}
    for key in APPLICANTS:
        client = _register(app, build, key)
        application_id = start(client)
        fill_in(client, app, contest, application_id)
        assert submit(client, application_id).status_code == 302
        clients[key] = client
    return clients


def _judged(app, contest, points):
    """Admitted, scored by a jury of two (the same points from both), in deliberation."""
    with app.app_context():
        contest_row = db.session.get(Contest, contest)
        jurors = [
            User(email=f"j{i}@example.org", name=f"Член журі {i}", role=Role.JUROR)
            for i in range(2)
        ]
        contest_row.jury = [JuryMember(user=j, is_chair=(i == 0)) for i, j in enumerate(jurors)]
        criteria = db.session.scalars(
            select(Criterion).where(Criterion.contest_id == contest)
        ).all()
        for application in db.session.scalars(
            select(Application).where(Application.contest_id == contest)
        ):
            application.state = ApplicationState.ADMITTED
            key = {v["email"]: k for k, v in APPLICANTS.items()}[application.organisation.email]
            for juror in jurors:
                application.scoresheets.append(
                    Scoresheet(
                        juror=juror,
                        conflict=Conflict.NONE,
                        declared_at=contest_row.opens_at,
                        state=SheetState.SUBMITTED,
                        submitted_at=contest_row.closes_at,
                        scores=[Score(criterion=c, points=points[key]) for c in criteria],
                    )
                )
        contest_row.stage = Stage.DELIBERATION
        db.session.commit()


def _ranking(runner):
    result = runner.invoke(args=["rank", "uchast-2026", "--format", "json"])
    assert result.exit_code == 0, result.output
    return {row["organisation"]: row for row in json.loads(result.output)["ranking"]}


def test_moving_the_organisation_during_judging_changes_no_result(app, build, contest, runner):
    clients = _applied(app, build, contest)
    # B and C tie for the last place; C is from Kharkiv oblast like A, which already has
    # the one winner the cap allows there, so B wins without a tie.
    _judged(app, contest, {"a": Decimal(9), "b": Decimal(8), "c": Decimal(8)})
    before = _ranking(runner)
    c_name = APPLICANTS["c"]["organisation_name"]
    assert before[c_name]["oblast"] == "UA-63" and before[c_name]["winner"] is False
    assert "Харківська область" in before[c_name]["note"]
    assert [n for n, row in before.items() if row["winner"]] == [
        APPLICANTS["a"]["organisation_name"],
        APPLICANTS["b"]["organisation_name"],
    ]

    # C moves to Lviv oblast, which the contest does not even admit, and renames itself.
    moved = {**APPLICANTS["c"], "oblast": "UA-46", "community": LVIV, "status": "relocated"}
    moved["organisation_name"] = "ГО «Львівський голос»"
    response = clients["c"].submit("/organisation", moved)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        organisation = db.session.scalar(
            select(Organisation).where(Organisation.edrpou == APPLICANTS["c"]["edrpou"])
        )
        assert organisation.oblast == "UA-46"  # the profile did change

    assert _ranking(runner) == before  # the cap still applies: no tie, the same winners

    with app.app_context():
        organiser_client = app.test_client()
    organiser_client.login(ORGANISER)
    page = organiser_client.get("/manage/contests/uchast-2026/ranking").get_data(as_text=True)
    assert c_name in page and "ГО «Львівський голос»" not in page
    assert "Львівська область" not in page and "очікує рішення комісії" not in page
    protocol = organiser_client.get("/manage/contests/uchast-2026/protocol.pdf")
    assert protocol.status_code == 200
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(protocol.get_data())).pages
    )
    assert "Ізюмський голос" in text and "Львівський голос" not in text

    # The applicant's own page shows what was submitted, not the new profile.
    with app.app_context():
        number = db.session.scalar(
            select(Application.number)
            .join(Organisation)
            .where(Organisation.edrpou == APPLICANTS["c"]["edrpou"])
        )
    own = clients["c"].get(f"/applications/{number}").get_data(as_text=True)
    assert c_name in own and "Ізюмська міська територіальна громада" in own
    assert "Львівська міська" not in own


def test_a_draft_follows_the_profile_and_a_resubmission_takes_it_again(
    app, build, contest, clock_at
):
    client = _register(app, build, "a")
    application_id = start(client)
    fill_in(client, app, contest, application_id)
    assert submit(client, application_id).status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert (application.applicant_name, application.applicant_oblast) == (
            "ГО «Харківська ініціатива»",
            "UA-63",
        )
        number = application.number
    client.submit(f"/applications/{number}/withdraw")
    renamed = {**APPLICANTS["a"], "organisation_name": "ГО «Нова назва»", "status": "occupied"}
    assert client.submit("/organisation", renamed).status_code == 302
    with app.app_context():
        draft = db.session.get(Application, application_id)
        assert draft.state == ApplicationState.DRAFT and draft.applicant_name is None
        assert draft.facts.name == "ГО «Нова назва»"  # a draft shows the profile as it is
    assert submit(client, application_id).status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.facts == (
            "ГО «Нова назва»",
            OrganisationKind.NGO,
            "UA-63",
            "Харківська міська територіальна громада",
            KHARKIV,
            OrganisationStatus.OCCUPIED,
        )
