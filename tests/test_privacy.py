"""Personal data: applicants take away what is held about their organisation, organisers
anonymise people once the contest is archived, and scores, results and the audit chain stay."""

import hashlib
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import (
    Application,
    Attachment,
    AuditEntry,
    Contest,
    Decision,
    DecisionKind,
    Invitation,
    JuryMember,
    Organisation,
    RecoveryCode,
    Role,
    Score,
    Scoresheet,
    Stage,
    User,
    UserSession,
)

from ._databases import dump

DEMO_PASSWORD = "demo-pass-2026"
ORGANISER = "organiser@demo.example"
APPLICANT = "applicant01@demo.example"
JUROR = "olena.kovalenko@demo.example"
PLACEHOLDER = "Особу знеособлено"
FILE = b"%PDF-1.4 the content of a statute, never in the export"


@pytest.fixture
def demo(app, demo_loaded):
    """The demo loaded: «Успішна участь громади» in judging, three jurors, twelve applicants."""
    with app.app_context():
        judged = db.session.scalar(select(Contest).where(Contest.stage == Stage.JUDGING))
        other = db.session.scalar(select(Contest).where(Contest.stage == Stage.OPEN))
        applicant = db.session.scalar(select(User).where(User.email == APPLICANT))
        juror = db.session.scalar(select(User).where(User.email == JUROR))
        application = db.session.scalar(
            select(Application).where(Application.organisation_id == applicant.organisation_id)
        )
        return SimpleNamespace(
            slug=judged.slug,
            contest_id=judged.id,
            other_id=other.id,
            other_title=other.title_uk,
            user_id=applicant.id,
            organisation_id=applicant.organisation_id,
            application_id=application.id,
            number=application.number,
            juror_id=juror.id,
            juror_name=juror.name,
        )


def _in_english(client):
    client.submit("/language", {"language": "en", "next": "/"})


def _archive(app, contest_id: int) -> None:
    with app.app_context():
        db.session.get(Contest, contest_id).stage = Stage.ARCHIVED
        db.session.commit()


def _people_url(demo, tail: str = "") -> str:
    return f"/manage/contests/{demo.slug}/people{tail}"


def _cells(app) -> list[str]:
    """Every value stored in any table, as text."""
    return [str(value) for rows in dump(app).values() for row in rows for value in row]


def _rank(runner, slug: str) -> str:
    result = runner.invoke(args=["rank", slug, "--format", "json"])
    assert result.exit_code == 0, result.output
    return result.output


# The export ---------------------------------------------------------------------------


def test_an_applicant_downloads_everything_held_about_their_organisation(app, client, demo):
    with app.app_context():
        organisation = db.session.get(Organisation, demo.organisation_id)
        application = db.session.get(Application, demo.application_id)
        application.attachments.append(
            Attachment(
                filename="Статут.pdf",
                content_type="application/pdf",
                size=len(FILE),
                sha256=hashlib.sha256(FILE).hexdigest(),
                content=FILE,
            )
        )
        db.session.add(
            Decision(
                contest_id=demo.contest_id,
                kind=DecisionKind.DIVERGENCE,
                application_id=demo.application_id,
                reason="Комісія обговорила розбіжність оцінок.",
            )
        )
        db.session.commit()
        expected_answers = {a.question.key: a.value for a in application.answers}
        organisation_fields = (organisation.name, organisation.contact_person, organisation.phone)
        edrpou = organisation.edrpou
    client.login(APPLICANT, DEMO_PASSWORD)
    assert 'href="/organisation/data.json"' in client.get("/organisation").get_data(as_text=True)

    response = client.get("/organisation/data.json")

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="organisation-{edrpou}.json"'
    )
    data = response.get_json()
    assert data["format"] == "scoring.personal-data/1"
    held = data["organisation"]
    assert (held["name"], held["contact_person"], held["phone"]) == organisation_fields
    assert held["edrpou"] == edrpou
    assert [(u["email"], u["role"]) for u in data["users"]] == [(APPLICANT, "applicant")]
    (application,) = data["applications"]
    assert application["number"] == demo.number and application["state"] == "admitted"
    assert application["contest"]["slug"] == demo.slug
    assert {a["question"]: a["value"] for a in application["answers"]} == expected_answers
    assert application["attachments"] == [
        {
            "filename": "Статут.pdf",
            "content_type": "application/pdf",
            "size": len(FILE),
            "sha256": hashlib.sha256(FILE).hexdigest(),
            "uploaded_at": application["attachments"][0]["uploaded_at"],
        }
    ]
    # The commission's resolution of a divergence is not the applicant's to read: it
    # speaks of the jurors' scores (SPEC §8; results/disclosure.py).
    assert application["decisions"] == []
    assert "Комісія обговорила" not in response.get_data(as_text=True)
    # Never the jurors' scores or who they are, never a password hash or a file's content.
    text = response.get_data(as_text=True)
    for secret in ("password", "points", "juror", JUROR, demo.juror_name, "never in the export"):
        assert secret not in text


def test_each_applicant_gets_only_their_own_organisation(app, client, build, demo):
    client.login("applicant02@demo.example", DEMO_PASSWORD)
    data = client.get("/organisation/data.json").get_json()
    assert [u["email"] for u in data["users"]] == ["applicant02@demo.example"]
    assert demo.number not in str(data) and data["applications"][0]["number"] != demo.number
    client.post("/logout", data={"csrf_token": client.csrf_token()})

    build.user(Role.APPLICANT, email="no-organisation@example.org")
    client.login("no-organisation@example.org")
    assert client.get("/organisation/data.json").status_code == 404
    client.post("/logout", data={"csrf_token": client.csrf_token()})

    client.login(JUROR, DEMO_PASSWORD)
    assert client.get("/organisation/data.json").status_code == 403
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    anonymous = client.get("/organisation/data.json")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")


# Anonymisation ------------------------------------------------------------------------


def test_nobody_is_anonymised_before_the_contest_is_archived(app, client, demo):
    client.login(ORGANISER, DEMO_PASSWORD)
    _in_english(client)
    dashboard = client.get(f"/manage/contests/{demo.slug}").get_data(as_text=True)
    assert f'href="{_people_url(demo)}"' in dashboard
    page = client.get(_people_url(demo)).get_data(as_text=True)
    assert "only after the contest is archived" in page
    assert demo.juror_name in page and APPLICANT in page
    assert "/anonymise" not in page
    before = dump(app)
    url = _people_url(demo, f"/applicant/{demo.organisation_id}/anonymise")

    assert "only after the contest is archived" in client.get(url).get_data(as_text=True)
    refused = client.submit(url)

    assert refused.status_code == 409
    assert "only after the contest is archived" in refused.get_data(as_text=True)
    assert dump(app) == before


def test_an_applicant_is_anonymised_everywhere_and_the_results_stay(app, client, runner, demo):
    with app.app_context():
        organisation = db.session.get(Organisation, demo.organisation_id)
        user = db.session.get(User, demo.user_id)
        old = [organisation.contact_person, organisation.email, organisation.phone, user.email]
        old.append(user.name)
    _archive(app, demo.contest_id)
    ranking = _rank(runner, demo.slug)
    client.login(ORGANISER, DEMO_PASSWORD)
    _in_english(client)
    url = _people_url(demo, f"/applicant/{demo.organisation_id}/anonymise")
    assert f'href="{url}"' in client.get(_people_url(demo)).get_data(as_text=True)
    confirmation = client.get(url).get_data(as_text=True)
    assert "Anonymise this person?" in confirmation and organisation.email in confirmation

    response = client.submit(url)

    assert response.status_code == 302 and response.headers["Location"] == _people_url(demo)
    page = client.get(_people_url(demo)).get_data(as_text=True)
    assert "The person’s data are anonymised." in page and "anonymised" in page
    with app.app_context():
        organisation = db.session.get(Organisation, demo.organisation_id)
        user = db.session.get(User, demo.user_id)
        assert organisation.contact_person == PLACEHOLDER and organisation.phone == ""
        assert organisation.email == f"anonymised-organisation-{organisation.id}@invalid"
        assert (user.name, user.email) == (PLACEHOLDER, f"anonymised-{user.id}@invalid")
        assert user.password_hash is None
        assert organisation.anonymised_at is not None and user.anonymised_at is not None
        assert db.session.get(Application, demo.application_id).number == demo.number
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.object_type, entry.object_id) == (
            "person.anonymised",
            "Organisation",
            str(demo.organisation_id),
        )
        assert entry.details == {"users": [demo.user_id]}
    cells = _cells(app)
    for value in old:
        assert not any(value in cell for cell in cells), value
    assert runner.invoke(args=["audit-verify"]).exit_code == 0
    assert _rank(runner, demo.slug) == ranking
    # The account is closed, and a second anonymisation is refused.
    other = app.test_client()
    assert other.submit("/login", {"email": old[3], "password": DEMO_PASSWORD}).status_code == 200
    assert client.submit(url).status_code == 409


def test_a_juror_is_anonymised_and_their_scores_stay(app, client, runner, demo):
    with app.app_context():
        db.session.add(
            Invitation(
                token_hash="a" * 64,
                email=JUROR,
                name=demo.juror_name,
                role=Role.JUROR,
                contest_id=demo.contest_id,
                expires_at=db.session.get(Contest, demo.contest_id).closes_at,
            )
        )
        # The protocol named the member with their position.
        db.session.get(JuryMember, (demo.contest_id, demo.juror_id)).position = "директорка ГО"
        db.session.commit()
        scores = sorted(
            (s.scoresheet_id, s.criterion_id, s.points)
            for s in db.session.scalars(
                select(Score).join(Scoresheet).where(Scoresheet.juror_id == demo.juror_id)
            )
        )
    assert scores
    _archive(app, demo.contest_id)
    ranking = _rank(runner, demo.slug)
    client.login(ORGANISER, DEMO_PASSWORD)

    response = client.submit(_people_url(demo, f"/juror/{demo.juror_id}/anonymise"))

    assert response.status_code == 302
    with app.app_context():
        juror = db.session.get(User, demo.juror_id)
        assert (juror.name, juror.email) == (PLACEHOLDER, f"anonymised-{juror.id}@invalid")
        assert juror.password_hash is None and juror.anonymised_at is not None
        invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == "a" * 64))
        assert (invitation.email, invitation.name) == (juror.email, PLACEHOLDER)
        assert db.session.get(JuryMember, (demo.contest_id, demo.juror_id)).position == ""
        assert scores == sorted(
            (s.scoresheet_id, s.criterion_id, s.points)
            for s in db.session.scalars(
                select(Score).join(Scoresheet).where(Scoresheet.juror_id == demo.juror_id)
            )
        )
    cells = _cells(app)
    assert not any(JUROR in cell or demo.juror_name in cell for cell in cells)
    assert runner.invoke(args=["audit-verify"]).exit_code == 0
    assert _rank(runner, demo.slug) == ranking


def test_a_person_still_in_a_contest_not_archived_is_kept(app, client, demo):
    with app.app_context():
        db.session.add(JuryMember(contest_id=demo.other_id, user_id=demo.juror_id))
        db.session.commit()
    _archive(app, demo.contest_id)
    client.login(ORGANISER, DEMO_PASSWORD)
    _in_english(client)
    before = dump(app)

    refused = client.submit(_people_url(demo, f"/juror/{demo.juror_id}/anonymise"))

    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "contests that are not archived yet" in page and demo.other_title in page
    assert dump(app) == before


def test_only_the_contest_s_organisers_see_its_people(app, client, build, demo):
    _archive(app, demo.contest_id)
    build.user(Role.ORGANISER, email="other.organiser@example.org")
    with app.app_context():
        outsider = db.session.scalar(
            select(Organisation.id).where(
                Organisation.id.not_in(
                    select(Application.organisation_id).where(
                        Application.contest_id == demo.contest_id
                    )
                )
            )
        )
    client.login("other.organiser@example.org")
    assert client.get(_people_url(demo)).status_code == 404
    url = _people_url(demo, f"/applicant/{demo.organisation_id}/anonymise")
    assert client.get(url).status_code == 404 and client.submit(url).status_code == 404
    client.post("/logout", data={"csrf_token": client.csrf_token()})

    client.login(JUROR, DEMO_PASSWORD)
    assert client.get(_people_url(demo)).status_code == 403
    client.post("/logout", data={"csrf_token": client.csrf_token()})

    client.login(ORGANISER, DEMO_PASSWORD)
    assert client.get(_people_url(demo)).status_code == 200
    for tail in (
        f"/organiser/{demo.user_id}/anonymise",
        f"/juror/{demo.user_id}/anonymise",  # an applicant, not a juror
        "/applicant/999999/anonymise",
        *([f"/applicant/{outsider}/anonymise"] if outsider else []),
    ):
        assert client.get(_people_url(demo, tail)).status_code == 404, tail


def test_an_anonymised_juror_is_signed_out_everywhere(app, client, demo):
    """The sessions (with the browsers they were used from) and the sign-in secrets go too."""
    juror = app.test_client()
    juror.login(JUROR, DEMO_PASSWORD)
    with app.app_context():
        user = db.session.get(User, demo.juror_id)
        user.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # as if two-factor were on
        db.session.add(RecoveryCode(user_id=user.id, code_hash="b" * 64))
        db.session.commit()
    _archive(app, demo.contest_id)
    client.login(ORGANISER, DEMO_PASSWORD)
    client.submit(_people_url(demo, f"/juror/{demo.juror_id}/anonymise"))
    assert juror.get("/account").status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(UserSession.id).where(UserSession.user_id == demo.juror_id))
            is None
        )
        assert db.session.scalar(select(RecoveryCode.id)) is None
        assert db.session.get(User, demo.juror_id).totp_secret is None
