"""Organisers form the jury, assign the work, follow the progress, remind and reopen."""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from scoring import clock, edrpou
from scoring.extensions import db
from scoring.models import (
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Invitation,
    JuryMember,
    Organisation,
    OrganisationKind,
    Role,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from ._databases import counted
from ._judging import audit_entries, set_sheet

ORGANISER = "org@example.org"


@pytest.fixture
def organiser(signed_in):
    """The signed-in organiser's id; the interface is switched to English."""
    return signed_in(Role.ORGANISER, ORGANISER, name="Оксана Секретар")


@dataclass
class Arranged:
    contest_id: int
    slug: str
    numbers: list[str]
    organisations: list[int]  # of the applications, in the order of the numbers

    def url(self, tail: str = "") -> str:
        return f"/manage/contests/{self.slug}{tail}"


def arrange(
    app,
    build,
    organiser: int,
    *,
    count: int = 3,
    jurors=(),
    oblasts=None,
    slug: str = "jury-2026",
    stage: Stage = Stage.JUDGING,
    **fields,
) -> Arranged:
    """A contest with ``count`` admitted applications (oblasts as given, else UA-63)."""
    contest_id = build.contest(
        organisers=[organiser],
        jurors=list(jurors),
        stage=stage,
        slug=slug,
        title_uk=fields.pop("title_uk", "Конкурс журі"),
        title_en=fields.pop("title_en", "Jury contest"),
        **fields,
    )
    numbers, organisations = [], []
    with app.app_context():
        contest = db.session.get(Contest, contest_id)
        now = clock.now()
        for i in range(1, count + 1):
            organisation = Organisation(
                kind=OrganisationKind.NGO,
                name=f"ГО «Заявник {slug} {i}»",
                edrpou=edrpou.complete(f"{5500000 + contest_id * 1000 + i:07d}"),
                oblast=oblasts[i - 1] if oblasts else "UA-63",
                community=f"Громада {i}",
                contact_person="Контактна особа",
                email=f"applicant{contest_id}-{i}@example.org",
                phone="+380501234567",
            )
            number = f"J{contest_id}-2026-{i:03d}"
            db.session.add(
                Application(
                    contest=contest,
                    organisation=organisation,
                    state=ApplicationState.ADMITTED,
                    serial=i,
                    number=number,
                    title=f"Проєкт {i}",
                    submitted_at=now - timedelta(days=2),
                    decided_at=now - timedelta(days=1),
                )
            )
            db.session.flush()
            numbers.append(number)
            organisations.append(organisation.id)
        db.session.commit()
    return Arranged(contest_id, slug, numbers, organisations)


def assign(app, arranged: Arranged, pairs) -> None:
    """Create sheets directly: ``pairs`` of (number, juror id)."""
    with app.app_context():
        ids = dict(
            db.session.execute(
                select(Application.number, Application.id).where(
                    Application.contest_id == arranged.contest_id
                )
            ).all()
        )
        for number, juror in pairs:
            db.session.add(Scoresheet(application_id=ids[number], juror_id=juror))
        db.session.commit()


def sheets(app, arranged: Arranged) -> dict[tuple[str, int], Scoresheet]:
    with app.app_context():
        rows = db.session.execute(
            select(Application.number, Scoresheet)
            .join(Application, Scoresheet.application_id == Application.id)
            .where(Application.contest_id == arranged.contest_id)
        ).all()
        for _number, sheet in rows:
            db.session.expunge(sheet)
        return {(number, sheet.juror_id): sheet for number, sheet in rows}


def jury_ids(app, arranged: Arranged) -> set[int]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(JuryMember.user_id).where(JuryMember.contest_id == arranged.contest_id)
            )
        )


def flashes(page: str) -> str:
    return " ".join(re.findall(r'role="status">([^<]*)<', page))


def jurors(build, count: int, **fields) -> list[int]:
    return [
        build.user(Role.JUROR, email=f"juror{i}@example.org", name=f"Juror {i}", **fields)
        for i in range(1, count + 1)
    ]


# The jury page ----------------------------------------------------------------------


def test_the_jury_page_lists_members_with_their_progress(app, build, client, organiser):
    first = build.user(Role.JUROR, email="iryna@example.org", name="Ірина Бондар")
    second = build.user(Role.JUROR, email="petro@example.org", name="Петро Коваль")
    arranged = arrange(app, build, organiser, count=3, jurors=[first, second])
    assign(app, arranged, [(n, j) for n in arranged.numbers for j in (first, second)])
    set_sheet(app, first, arranged.numbers[0], state=SheetState.SUBMITTED)
    set_sheet(app, first, arranged.numbers[1], conflict=Conflict.RECUSED, declaration="Родич")
    set_sheet(app, second, arranged.numbers[0], state=SheetState.SUBMITTED)
    set_sheet(app, second, arranged.numbers[1], state=SheetState.SUBMITTED)

    page = client.get(arranged.url("/jury")).get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-juror="(\d+)">(.*?)</tr>', page, re.S))
    assert "Ірина Бондар" in rows[str(first)] and "iryna@example.org" in rows[str(first)]
    cells = re.findall(r'<td class="text-end[^"]*">([^<]*)</td>', rows[str(first)])
    assert cells == ["1 / 2", "1"]  # submitted / to score (recusals aside), recusals
    cells = re.findall(r'<td class="text-end[^"]*">([^<]*)</td>', rows[str(second)])
    assert cells == ["2 / 3", "0"]
    assert "No member chairs the jury yet" in page
    summary = page[page.index('id="applications-progress"') :]
    assert re.search(r"Admitted</th><td[^>]*>3<", summary)
    assert re.search(r"Every scoresheet submitted</th><td[^>]*>2<", summary)  # a recusal aside
    assert re.search(r"reached \(2\)</th><td[^>]*>1<", summary)


def test_an_existing_juror_is_added_at_once(app, build, client, organiser):
    juror = build.user(Role.JUROR, email="expert@example.org", name="Ірина Бондар")
    arranged = arrange(app, build, organiser)
    response = client.submit(arranged.url("/jury"), {"email": " Expert@Example.org "})
    assert response.status_code == 302
    page = client.get(arranged.url("/jury")).get_data(as_text=True)
    assert "Ірина Бондар is now on the jury." in flashes(page)
    assert jury_ids(app, arranged) == {juror}
    (entry,) = audit_entries(app, "jury.member_added")
    assert entry.object_id == str(juror) and entry.contest_id == arranged.contest_id

    again = client.submit(arranged.url("/jury"), {"email": "expert@example.org"})
    page = again.get_data(as_text=True)
    errors = page[page.index('id="email-errors"') :]
    assert "already on the jury" in errors[: errors.index("</div>\n")]


def test_an_unknown_address_gets_an_invitation_to_the_jury(app, build, client, organiser, outbox):
    arranged = arrange(app, build, organiser)
    response = client.submit(
        arranged.url("/jury"), {"email": "new.expert@example.org", "name": "Ганна Нова"}
    )
    assert response.status_code == 302
    (message,) = outbox()
    assert message["To"] == "new.expert@example.org"
    body = message.get_content()
    assert body.startswith("Шановна пані Ганно!") and "Конкурс журі" in body
    link = re.search(r"http://127.0.0.1:5000(/invitations/\S+)", body).group(1)
    page = client.get(arranged.url("/jury")).get_data(as_text=True)
    assert "an invitation is sent to new.expert@example.org" in flashes(page)
    assert "Invitations not yet accepted" in page and "new.expert@example.org" in page
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        assert invitation.role == Role.JUROR and invitation.contest_id == arranged.contest_id
    assert jury_ids(app, arranged) == set()

    newcomer = app.test_client()
    newcomer.post(
        link,
        data={
            "csrf_token": newcomer.csrf_token(link),
            "name": "Ганна Нова",
            "password": "correct horse battery",
            "password_confirm": "correct horse battery",
        },
    )
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.expert@example.org"))
    assert user.role == Role.JUROR and jury_ids(app, arranged) == {user.id}


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.ORGANISER])
def test_an_account_with_another_role_is_refused_beside_the_field(
    app, build, client, organiser, outbox, role
):
    build.user(role, email="someone@example.org")
    arranged = arrange(app, build, organiser)
    response = client.submit(arranged.url("/jury"), {"email": "someone@example.org"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    errors = page[page.index('id="email-errors"') :]
    assert "another role" in errors[: errors.index("</div>\n")]
    assert 'value="someone@example.org"' in page
    assert jury_ids(app, arranged) == set() and outbox() == []
    assert audit_entries(app, "invitation.created") == []


def test_a_bad_address_is_named_beside_the_field(app, build, client, organiser):
    arranged = arrange(app, build, organiser)
    page = client.submit(arranged.url("/jury"), {"email": "not an address"}).get_data(as_text=True)
    errors = page[page.index('id="email-errors"') :]
    assert "name@example.org" in errors[: errors.index("</div>\n")]


def test_one_member_chairs_the_jury(app, build, client, organiser):
    first, second = jurors(build, 2)
    arranged = arrange(app, build, organiser, jurors=[first, second])
    assert client.submit(arranged.url(f"/jury/{first}/chair")).status_code == 302
    assert client.submit(arranged.url(f"/jury/{second}/chair")).status_code == 302
    with app.app_context():
        chairs = {
            m.user_id: m.is_chair
            for m in db.session.scalars(
                select(JuryMember).where(JuryMember.contest_id == arranged.contest_id)
            )
        }
    assert chairs == {first: False, second: True}
    page = client.get(arranged.url("/jury")).get_data(as_text=True)
    row = re.search(rf'<tr data-juror="{second}">(.*?)</tr>', page, re.S).group(1)
    assert ">Chair<" in row and "Make chair" not in row
    assert "No member chairs the jury yet" not in page
    entries = audit_entries(app, "jury.chair_set")
    assert [e.object_id for e in entries] == [str(first), str(second)]
    assert entries[1].details == {"previous": [first]}
    outsider = build.user(Role.JUROR)
    assert client.submit(arranged.url(f"/jury/{outsider}/chair")).status_code == 404


def test_a_member_who_has_not_scored_is_removed_after_confirmation(app, build, client, organiser):
    idle, busy = jurors(build, 2)
    arranged = arrange(app, build, organiser, jurors=[idle, busy])
    assign(app, arranged, [(n, j) for n in arranged.numbers for j in (idle, busy)])
    set_sheet(app, idle, arranged.numbers[0])  # declared no conflict, nothing scored

    page = client.get(arranged.url(f"/jury/{idle}/remove")).get_data(as_text=True)
    assert "Remove Juror 1 from the jury?" in page and "juror1@example.org" in page
    assert jury_ids(app, arranged) == {idle, busy}  # a GET changes nothing
    response = client.submit(arranged.url(f"/jury/{idle}/remove"))
    assert response.status_code == 302
    assert jury_ids(app, arranged) == {busy}
    assert {juror for _number, juror in sheets(app, arranged)} == {busy}
    (entry,) = audit_entries(app, "jury.member_removed")
    assert entry.object_id == str(idle) and len(entry.details["applications"]) == 3


@pytest.mark.parametrize("work", ["submitted", "scored", "recused"])
def test_a_member_who_has_scored_stays_with_an_explanation(app, build, client, organiser, work):
    juror = build.user(Role.JUROR, email="juror@example.org")
    arranged = arrange(app, build, organiser, jurors=[juror])
    assign(app, arranged, [(arranged.numbers[0], juror)])
    with app.app_context():
        criterion = db.session.get(Contest, arranged.contest_id).criteria[0].id
    if work == "submitted":
        set_sheet(app, juror, arranged.numbers[0], state=SheetState.SUBMITTED)
    elif work == "scored":
        set_sheet(app, juror, arranged.numbers[0], points={criterion: "4"})
    else:
        set_sheet(app, juror, arranged.numbers[0], conflict=Conflict.RECUSED, declaration="Так")
    page = client.get(arranged.url(f"/jury/{juror}/remove")).get_data(as_text=True)
    assert "This cannot be done now:" in page
    assert {"submitted": "has submitted", "scored": "entered scores", "recused": "declared"}[
        work
    ] in page
    assert "Remove from the jury" not in page
    assert client.submit(arranged.url(f"/jury/{juror}/remove")).status_code == 409
    assert jury_ids(app, arranged) == {juror} and len(sheets(app, arranged)) == 1
    assert audit_entries(app, "jury.member_removed") == []


def test_the_jury_is_frozen_once_the_results_are_published(app, build, client, organiser):
    juror = build.user(Role.JUROR, email="juror@example.org")
    arranged = arrange(app, build, organiser, stage=Stage.PUBLISHED, jurors=[juror])
    page = client.get(arranged.url("/jury")).get_data(as_text=True)
    assert "can no longer change" in page and "Add or invite" not in page
    client.submit(arranged.url(f"/jury/{juror}/chair"))
    assert audit_entries(app, "jury.chair_set") == []
    assert client.submit(arranged.url(f"/jury/{juror}/remove")).status_code == 409


# Automatic assignment -------------------------------------------------------------


def test_with_zero_per_application_every_juror_gets_every_application(
    app, build, client, organiser
):
    people = jurors(build, 3)
    arranged = arrange(app, build, organiser, count=4, jurors=people, jurors_per_application=0)
    response = client.submit(arranged.url("/assignments/auto"), follow_redirects=True)
    assert "12 assignments are added." in flashes(response.get_data(as_text=True))
    assert set(sheets(app, arranged)) == {(n, j) for n in arranged.numbers for j in people}
    (entry,) = audit_entries(app, "assignment.automatic")
    assert entry.details["added"] == 12 and len(entry.details["pairs"]) == 12

    again = client.submit(arranged.url("/assignments/auto"), follow_redirects=True)
    assert "nothing is added" in flashes(again.get_data(as_text=True))
    assert len(sheets(app, arranged)) == 12


def test_two_per_application_is_balanced_and_never_assigns_the_applicants_own_people(
    app, build, client, organiser
):
    arranged = arrange(app, build, organiser, count=10, jurors_per_application=2)
    insider = build.user(
        Role.JUROR, email="insider@example.org", organisation_id=arranged.organisations[3]
    )
    people = [insider, *jurors(build, 4)]
    with app.app_context():
        db.session.add_all(JuryMember(contest_id=arranged.contest_id, user_id=j) for j in people)
        db.session.commit()
    response = client.submit(arranged.url("/assignments/auto"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "20 assignments are added." in flashes(page)
    assert "left out because of a conflict of interest" in flashes(page)
    made = sheets(app, arranged)
    assert Counter(number for number, _juror in made) == dict.fromkeys(arranged.numbers, 2)
    assert (arranged.numbers[3], insider) not in made
    loads = Counter(juror for _number, juror in made)
    assert set(loads) == set(people) and max(loads.values()) - min(loads.values()) <= 1


def test_with_the_oblast_rule_a_juror_never_scores_their_own_oblast(app, build, client, organiser):
    oblasts = ["UA-14", "UA-63"] * 5
    arranged = arrange(
        app,
        build,
        organiser,
        count=10,
        oblasts=oblasts,
        jurors_per_application=2,
        conflict_same_oblast=True,
    )
    local = build.user(Role.JUROR, email="local@example.org", oblast="UA-14")
    people = [local, *jurors(build, 4, oblast="UA-30")]
    with app.app_context():
        db.session.add_all(JuryMember(contest_id=arranged.contest_id, user_id=j) for j in people)
        db.session.commit()
    client.submit(arranged.url("/assignments/auto"))
    made = sheets(app, arranged)
    assert len(made) == 20
    assert all(
        oblasts[arranged.numbers.index(number)] != "UA-14"
        for number, juror in made
        if juror == local
    )
    assert any(juror == local for _number, juror in made)  # still used where it may


def test_existing_assignments_stay_and_only_missing_ones_are_added(app, build, client, organiser):
    people = jurors(build, 3)
    arranged = arrange(app, build, organiser, count=2, jurors=people, jurors_per_application=2)
    assign(app, arranged, [(arranged.numbers[0], people[0])])
    set_sheet(app, people[0], arranged.numbers[0], state=SheetState.SUBMITTED)
    client.submit(arranged.url("/assignments/auto"))
    made = sheets(app, arranged)
    assert len(made) == 4 and made[(arranged.numbers[0], people[0])].state == SheetState.SUBMITTED


def test_a_shortage_of_jurors_is_named(app, build, client, organiser):
    people = jurors(build, 2)
    arranged = arrange(app, build, organiser, count=2, jurors=people, jurors_per_application=3)
    page = client.submit(arranged.url("/assignments/auto"), follow_redirects=True).get_data(
        as_text=True
    )
    message = flashes(page)
    assert "4 assignments are added." in message
    assert f"Not enough jurors without a conflict of interest for: {arranged.numbers[0]} (1)" in (
        message
    )


def test_automatic_assignment_needs_jurors_and_admitted_applications(app, build, client, organiser):
    arranged = arrange(app, build, organiser, count=2)
    page = client.submit(arranged.url("/assignments/auto"), follow_redirects=True)
    assert "add the jurors first" in flashes(page.get_data(as_text=True))
    draft = arrange(app, build, organiser, count=0, slug="empty-2026", stage=Stage.OPEN)
    page = client.submit(draft.url("/assignments/auto"), follow_redirects=True)
    assert "from the screening stage" in flashes(page.get_data(as_text=True))
    assert sheets(app, arranged) == {} and audit_entries(app, "assignment.automatic") == []


# Manual assignment ----------------------------------------------------------------


def test_an_organiser_adds_and_removes_a_juror_of_one_application(app, build, client, organiser):
    first, second = jurors(build, 2)
    arranged = arrange(app, build, organiser, jurors=[first, second])
    number = arranged.numbers[0]
    page = client.get(arranged.url(f"/assignments/{number}")).get_data(as_text=True)
    assert "Jurors of " + number in page and 'data-status="none"' in page

    response = client.submit(arranged.url(f"/assignments/{number}/jurors/{first}"))
    assert response.status_code == 302
    assert set(sheets(app, arranged)) == {(number, first)}
    (added,) = audit_entries(app, "assignment.added")
    assert added.details["juror"] == first

    client.submit(arranged.url(f"/assignments/{number}/jurors/{first}"))  # twice: refused
    assert len(sheets(app, arranged)) == 1

    response = client.submit(
        arranged.url(f"/assignments/{number}/jurors/{first}/remove"), follow_redirects=True
    )
    assert "is no longer assigned" in flashes(response.get_data(as_text=True))
    assert sheets(app, arranged) == {}
    (removed,) = audit_entries(app, "assignment.removed")
    assert removed.details == {"application": added.details["application"], "juror": first}


def test_an_assignment_with_a_score_stays(app, build, client, organiser):
    juror = build.user(Role.JUROR, email="juror@example.org")
    arranged = arrange(app, build, organiser, jurors=[juror])
    number = arranged.numbers[0]
    assign(app, arranged, [(number, juror)])
    with app.app_context():
        criterion = db.session.get(Contest, arranged.contest_id).criteria[0].id
    set_sheet(app, juror, number, points={criterion: "7"})
    page = client.get(arranged.url(f"/assignments/{number}")).get_data(as_text=True)
    assert "Unassign" not in page
    response = client.submit(
        arranged.url(f"/assignments/{number}/jurors/{juror}/remove"), follow_redirects=True
    )
    assert "already entered scores" in flashes(response.get_data(as_text=True))
    assert len(sheets(app, arranged)) == 1 and audit_entries(app, "assignment.removed") == []


def test_a_conflicted_juror_cannot_be_added_by_hand(app, build, client, organiser):
    arranged = arrange(app, build, organiser)
    insider = build.user(
        Role.JUROR, email="insider@example.org", organisation_id=arranged.organisations[0]
    )
    with app.app_context():
        db.session.add(JuryMember(contest_id=arranged.contest_id, user_id=insider))
        db.session.commit()
    number = arranged.numbers[0]
    page = client.get(arranged.url(f"/assignments/{number}")).get_data(as_text=True)
    assert "Conflict of interest: works for the applicant" in page
    response = client.submit(
        arranged.url(f"/assignments/{number}/jurors/{insider}"), follow_redirects=True
    )
    assert "has a conflict of interest with this applicant" in flashes(
        response.get_data(as_text=True)
    )
    assert sheets(app, arranged) == {}


def test_the_least_loaded_juror_without_a_conflict_is_added(app, build, client, organiser):
    busy, light = jurors(build, 2)
    arranged = arrange(app, build, organiser, count=3, jurors=[busy, light])
    assign(app, arranged, [(arranged.numbers[1], busy), (arranged.numbers[2], busy)])
    number = arranged.numbers[0]
    client.submit(arranged.url(f"/assignments/{number}/least-loaded"))
    client.submit(arranged.url(f"/assignments/{number}/least-loaded"))
    assert {(number, light), (number, busy)} <= set(sheets(app, arranged))
    [first, second] = audit_entries(app, "assignment.added")
    assert (first.details["juror"], second.details["juror"]) == (light, busy)
    response = client.submit(
        arranged.url(f"/assignments/{number}/least-loaded"), follow_redirects=True
    )
    assert "already assigned" in flashes(response.get_data(as_text=True))


def test_an_application_that_is_not_admitted_or_unknown_answers_404(app, build, client, organiser):
    juror = build.user(Role.JUROR)
    arranged = arrange(app, build, organiser, jurors=[juror])
    with app.app_context():
        application = db.session.scalar(
            select(Application).where(Application.number == arranged.numbers[0])
        )
        application.state = ApplicationState.REJECTED
        db.session.commit()
    assert client.get(arranged.url(f"/assignments/{arranged.numbers[0]}")).status_code == 404
    assert client.get(arranged.url("/assignments/NOPE-1")).status_code == 404
    response = client.submit(arranged.url(f"/assignments/{arranged.numbers[0]}/jurors/{juror}"))
    assert response.status_code == 404


# The matrix -----------------------------------------------------------------------


def test_the_matrix_shows_the_state_of_every_sheet(app, build, client, organiser):
    people = jurors(build, 3)
    arranged = arrange(app, build, organiser, count=2, jurors=people, jurors_per_application=2)
    first, second = arranged.numbers
    assign(app, arranged, [(first, p) for p in people] + [(second, people[0])])
    set_sheet(app, people[0], first, state=SheetState.SUBMITTED)
    set_sheet(app, people[1], first)  # draft
    set_sheet(app, people[0], second, conflict=Conflict.RECUSED, declaration="Так")
    page = client.get(arranged.url("/assignments")).get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-application="([^"]+)"[^>]*>(.*?)</tr>', page, re.S))
    assert re.findall(r'data-status="(\w+)"', rows[first]) == ["submitted", "draft", "not_started"]
    assert re.findall(r'data-status="(\w+)"', rows[second]) == ["recused", "none", "none"]
    assert re.search(r">1 / 3<", rows[first]) and re.search(r">0 / 0<", rows[second])
    assert "table-warning" in page.split(f'data-application="{second}"')[1][:40]
    assert "Reopen" in rows[first] and "Reopen" not in rows[second]
    assert ">1 of 1<" in page  # Juror 1: 1 submitted of 1 to score (the recusal aside)
    assert 'class="table-responsive matrix' in page


def test_the_matrix_pages_through_the_applications(app, build, client, organiser):
    juror = build.user(Role.JUROR)
    arranged = arrange(app, build, organiser, count=55, jurors=[juror])

    def numbers(page: str) -> list[str]:
        return re.findall(r'<tr data-application="([^"]+)"', page)

    first = client.get(arranged.url("/assignments")).get_data(as_text=True)
    assert numbers(first) == arranged.numbers[:50]
    assert "55 admitted applications." in first and "?page=2" in first
    second = client.get(arranged.url("/assignments?page=2")).get_data(as_text=True)
    assert numbers(second) == arranged.numbers[50:]
    for wrong in ("abc", "-3", "0"):
        page = client.get(arranged.url(f"/assignments?page={wrong}"))
        assert (
            page.status_code == 200
            and numbers(page.get_data(as_text=True))[0] == (arranged.numbers[0])
        )
    last = client.get(arranged.url("/assignments?page=999")).get_data(as_text=True)
    assert numbers(last) == arranged.numbers[50:]


def test_the_matrix_and_the_jury_page_query_in_bulk(app, build, client, organiser):
    people = jurors(build, 4)
    counts: dict[str, dict[int, int]] = {}
    for count in (10, 40):
        arranged = arrange(app, build, organiser, count=count, jurors=people, slug=f"bulk-{count}")
        assign(app, arranged, [(n, p) for n in arranged.numbers for p in people])
        for i, number in enumerate(arranged.numbers):
            set_sheet(app, people[i % 4], number, state=SheetState.SUBMITTED)
            set_sheet(app, people[(i + 1) % 4], number)
        pages = {
            "matrix": "/assignments",
            "jury": "/jury",
            "application": f"/assignments/{arranged.numbers[0]}",
        }
        for name, tail in pages.items():
            client.get(arranged.url(tail))  # warm up the session
            with counted(app) as queries:
                assert client.get(arranged.url(tail)).status_code == 200
            counts.setdefault(name, {})[count] = queries[0]
    for name, by_size in counts.items():
        assert by_size[10] == by_size[40], name
    assert counts["matrix"][40] <= 10


# Reminders ------------------------------------------------------------------------


def test_reminders_go_to_jurors_with_unfinished_sheets_in_their_language(
    app, build, client, organiser, outbox
):
    english = build.user(Role.JUROR, email="en@example.org", name="Emma Expert", language="en")
    ukrainian = build.user(Role.JUROR, email="uk@example.org", name="Ірина Бондар")
    finished = build.user(Role.JUROR, email="done@example.org", name="Петро Готовий")
    people = [english, ukrainian, finished]
    arranged = arrange(app, build, organiser, count=3, jurors=people)
    assign(app, arranged, [(n, p) for n in arranged.numbers for p in people])
    for number in arranged.numbers:
        set_sheet(app, finished, number, state=SheetState.SUBMITTED)
    set_sheet(app, english, arranged.numbers[0], state=SheetState.SUBMITTED)
    set_sheet(app, english, arranged.numbers[1], conflict=Conflict.RECUSED, declaration="Так")
    set_sheet(app, ukrainian, arranged.numbers[0])

    page = client.get(arranged.url("/jury/remind")).get_data(as_text=True)
    listed = page[page.index('id="reminded"') :]
    assert "Emma Expert — 1 scoresheet left" in listed
    assert "Ірина Бондар — 3 scoresheets left" in listed and "Петро" not in listed
    assert outbox() == []  # nothing is sent before the confirmation

    response = client.submit(arranged.url("/jury/remind"), follow_redirects=True)
    assert "Reminders are sent to 2 jurors." in flashes(response.get_data(as_text=True))
    messages = {m["To"]: m for m in outbox()}
    assert set(messages) == {"en@example.org", "uk@example.org"}
    english_body = messages["en@example.org"].get_content()
    assert "Hello, Emma Expert!" in english_body
    assert "In the contest «Jury contest», 1 scoresheet is still waiting for you." in (english_body)
    assert f"http://127.0.0.1:5000/judging/{arranged.slug}" in english_body
    assert "Scoresheets are waiting for you" in messages["en@example.org"]["Subject"]
    ukrainian_body = messages["uk@example.org"].get_content()
    assert "«Конкурс журі»" in ukrainian_body and "Jury contest" not in ukrainian_body
    assert f"http://127.0.0.1:5000/judging/{arranged.slug}" in ukrainian_body
    entries = audit_entries(app, "jury.reminded")  # one per juror, by name
    assert [(e.object_id, e.details) for e in entries] == [
        (str(english), {"remaining": 1}),
        (str(ukrainian), {"remaining": 3}),
    ]


def test_reminders_are_sent_only_during_judging(app, build, client, organiser, outbox):
    juror = build.user(Role.JUROR)
    arranged = arrange(app, build, organiser, stage=Stage.DELIBERATION, jurors=[juror])
    assign(app, arranged, [(arranged.numbers[0], juror)])
    page = client.get(arranged.url("/jury/remind")).get_data(as_text=True)
    assert "This cannot be done now:" in page and "judging stage" in page
    assert client.submit(arranged.url("/jury/remind")).status_code == 409
    assert outbox() == [] and audit_entries(app, "jury.reminded") == []


# Reopening a submitted scoresheet -----------------------------------------------------


def _sheet_id(app, arranged, number, juror) -> int:
    return sheets(app, arranged)[(number, juror)].id


def test_a_submitted_sheet_is_reopened_with_a_reason_and_the_juror_edits_it_again(
    app, build, client, organiser
):
    juror = build.user(Role.JUROR, email="juror@example.org", name="Олена Суддя")
    arranged = arrange(app, build, organiser, jurors=[juror])
    number = arranged.numbers[0]
    assign(app, arranged, [(number, juror)])
    with app.app_context():
        criteria = [c.id for c in db.session.get(Contest, arranged.contest_id).criteria]
    set_sheet(app, juror, number, state=SheetState.SUBMITTED, points=dict.fromkeys(criteria, "5"))
    url = arranged.url(f"/scoresheets/{_sheet_id(app, arranged, number, juror)}/reopen")

    page = client.get(url).get_data(as_text=True)
    assert "Reopen the scoresheet" in page and "Олена Суддя" in page and number in page
    response = client.submit(url, {"reason": "   "})
    page = response.get_data(as_text=True)
    errors = page[page.index('id="reason-errors"') :]
    assert "Give the reason" in errors[: errors.index("</div>\n")]
    assert sheets(app, arranged)[(number, juror)].state == SheetState.SUBMITTED

    response = client.submit(url, {"reason": "Розбіжність понад поріг, рішення комісії"})
    assert response.headers["Location"] == arranged.url(f"/assignments/{number}")
    sheet = sheets(app, arranged)[(number, juror)]
    assert sheet.state == SheetState.DRAFT and sheet.submitted_at is None
    (entry,) = audit_entries(app, "scoresheet.reopened")
    assert entry.reason == "Розбіжність понад поріг, рішення комісії"
    assert entry.object_id == str(sheet.id) and entry.details["juror"] == juror

    jurors_client = app.test_client()
    jurors_client.login("juror@example.org")
    response = jurors_client.submit(
        f"/judging/{arranged.slug}/{number}",
        {f"points_{criteria[0]}": "9", f"points_{criteria[1]}": "5", "save": "Save"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert {s.points for s in db.session.get(Scoresheet, sheet.id).scores} == {9, 5}


def test_a_sheet_reopened_in_deliberation_waits_for_judging(app, build, client, organiser):
    juror = build.user(Role.JUROR)
    arranged = arrange(app, build, organiser, stage=Stage.DELIBERATION, jurors=[juror])
    number = arranged.numbers[0]
    assign(app, arranged, [(number, juror)])
    set_sheet(app, juror, number, state=SheetState.SUBMITTED)
    url = arranged.url(f"/scoresheets/{_sheet_id(app, arranged, number, juror)}/reopen")
    page = client.get(url).get_data(as_text=True)
    assert "once the contest moves back to judging" in page
    assert f"/manage/contests/{arranged.slug}/stage?to=judging" in page
    response = client.submit(url, {"reason": "Розбіжність"}, follow_redirects=True)
    assert "once the contest moves back to judging" in flashes(response.get_data(as_text=True))
    assert sheets(app, arranged)[(number, juror)].state == SheetState.DRAFT


def test_only_a_submitted_sheet_in_judging_or_deliberation_can_be_reopened(
    app, build, client, organiser
):
    juror = build.user(Role.JUROR)
    arranged = arrange(app, build, organiser, jurors=[juror])
    number = arranged.numbers[0]
    assign(app, arranged, [(number, juror)])
    url = arranged.url(f"/scoresheets/{_sheet_id(app, arranged, number, juror)}/reopen")
    assert "not submitted" in client.get(url).get_data(as_text=True)
    assert client.submit(url, {"reason": "Так"}).status_code == 409

    published = arrange(
        app, build, organiser, stage=Stage.PUBLISHED, jurors=[juror], slug="done-2026"
    )
    assign(app, published, [(published.numbers[0], juror)])
    set_sheet(app, juror, published.numbers[0], state=SheetState.SUBMITTED)
    sheet_id = _sheet_id(app, published, published.numbers[0], juror)
    assert (
        client.submit(
            published.url(f"/scoresheets/{sheet_id}/reopen"), {"reason": "Так"}
        ).status_code
        == 409
    )
    assert audit_entries(app, "scoresheet.reopened") == []
    # a sheet of another contest is unknown here
    assert client.get(arranged.url(f"/scoresheets/{sheet_id}/reopen")).status_code == 404


# Access --------------------------------------------------------------------------------


def _routes(arranged: Arranged, juror: int, sheet_id: int) -> tuple[list[str], list[str]]:
    number = arranged.numbers[0]
    pages = [
        "/jury",
        f"/jury/{juror}/remove",
        "/jury/remind",
        "/assignments",
        f"/assignments/{number}",
        f"/scoresheets/{sheet_id}/reopen",
    ]
    writes = [
        "/jury",
        f"/jury/{juror}/chair",
        f"/jury/{juror}/remove",
        "/jury/remind",
        "/assignments/auto",
        f"/assignments/{number}/jurors/{juror}",
        f"/assignments/{number}/least-loaded",
        f"/assignments/{number}/jurors/{juror}/remove",
        f"/scoresheets/{sheet_id}/reopen",
    ]
    return [arranged.url(p) for p in pages], [arranged.url(p) for p in writes]


@pytest.fixture
def guarded(app, build):
    """Someone else's contest with a juror, an assignment and a submitted sheet."""
    owner = build.user(Role.ORGANISER, email="owner@example.org")
    juror = build.user(Role.JUROR, email="juror@example.org")
    arranged = arrange(app, build, owner, jurors=[juror])
    assign(app, arranged, [(arranged.numbers[0], juror)])
    set_sheet(app, juror, arranged.numbers[0], state=SheetState.SUBMITTED)
    return arranged, juror, _sheet_id(app, arranged, arranged.numbers[0], juror)


def test_another_organiser_gets_404_everywhere(app, build, client, guarded, outbox):
    arranged, juror, sheet_id = guarded
    build.user(Role.ORGANISER, email="stranger@example.org")
    client.login("stranger@example.org")
    pages, writes = _routes(arranged, juror, sheet_id)
    for url in pages:
        assert client.get(url).status_code == 404, url
    for url in writes:
        assert client.submit(url, {"email": "x@example.org", "reason": "x"}).status_code == 404, url
    assert client.get("/manage/contests/no-such-contest/jury").status_code == 404
    assert len(sheets(app, arranged)) == 1 and outbox() == []


def test_jurors_get_403_and_anonymous_visitors_the_login_page(client, guarded):
    arranged, juror, sheet_id = guarded
    pages, writes = _routes(arranged, juror, sheet_id)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    client.login("juror@example.org")
    for url in pages:
        assert client.get(url).status_code == 403, url
    for url in writes:
        assert client.submit(url).status_code == 403, url


def test_a_write_without_the_csrf_token_is_refused(app, client, organiser, build):
    juror = build.user(Role.JUROR)
    arranged = arrange(app, build, organiser, jurors=[juror])
    assign(app, arranged, [(arranged.numbers[0], juror)])
    set_sheet(app, juror, arranged.numbers[0], state=SheetState.SUBMITTED)
    _pages, writes = _routes(arranged, juror, _sheet_id(app, arranged, arranged.numbers[0], juror))
    for url in writes:
        assert (
            client.post(url, data={"email": "x@example.org", "reason": "x"}).status_code == 400
        ), url
    assert jury_ids(app, arranged) == {juror}
    assert sheets(app, arranged)[(arranged.numbers[0], juror)].state == SheetState.SUBMITTED


def test_the_dashboard_leads_to_the_jury_and_the_assignments(app, build, client, organiser):
    arranged = arrange(app, build, organiser)
    page = client.get(arranged.url()).get_data(as_text=True)
    assert f'href="{arranged.url("/jury")}"' in page
    assert f'href="{arranged.url("/assignments")}"' in page


def test_a_sheet_reopened_while_the_results_are_published_stays_submitted(
    app, build, client, organiser
):
    """Reopening a sheet and publishing at the same moment: the reopening waits for the
    publication and is then refused; the published results never lose a sheet
    (PostgreSQL: the contest's row; SQLite: the write lock)."""
    import threading

    juror = build.user(Role.JUROR)
    arranged = arrange(app, build, organiser, stage=Stage.DELIBERATION, jurors=[juror])
    number = arranged.numbers[0]
    assign(app, arranged, [(number, juror)])
    set_sheet(app, juror, number, state=SheetState.SUBMITTED)
    url = arranged.url(f"/scoresheets/{_sheet_id(app, arranged, number, juror)}/reopen")
    token = client.csrf_token(url)
    responses = []
    with app.app_context():
        with db.engine.begin() as other:  # the publication, not yet committed
            other.execute(
                Contest.__table__.update()
                .where(Contest.id == arranged.contest_id)
                .values(stage=Stage.PUBLISHED)
            )
            thread = threading.Thread(
                target=lambda: responses.append(
                    client.post(url, data={"csrf_token": token, "reason": "Розбіжність"})
                )
            )
            thread.start()
            thread.join(timeout=1)
            assert thread.is_alive() and responses == []  # waiting for the publication
        thread.join(timeout=30)
    assert responses[0].status_code == 409
    assert sheets(app, arranged)[(number, juror)].state == SheetState.SUBMITTED
    assert audit_entries(app, "scoresheet.reopened") == []
