"""Guardrails before every stage change (issue 13): the stage page says what the move
will do, refuses with the reason or warns and asks for a confirmation, before anything
changes. Each refusal and each warning is tested through the stage page.

The interface is switched to English for most assertions (they hold while the Ukrainian
wording is polished); one test reads the Ukrainian page.
"""

import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from scoring import clock
from scoring.extensions import db
from scoring.models import (
    Aggregation,
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Role,
    SheetState,
    Stage,
)

from ._applications import questions
from ._judging import audit_entries, judged_contest, set_sheet

ORGANISER = "organiser@example.org"
FINGERPRINT = re.compile(r'name="warnings" type="hidden" value="([0-9a-f]*)"')


@pytest.fixture
def organiser(build):
    return build.user(Role.ORGANISER, email=ORGANISER, name="Ірина Секретар")


@pytest.fixture
def signed_in(client, organiser):
    client.login(ORGANISER)
    client.submit("/language", {"language": "en", "next": "/"})
    return client


def _judged(app, build, organiser, stage, *, chair=True, count=3, **fields):
    """judged_contest with the organiser of the tests and, unless told, a chair."""
    jurors = [build.user(Role.JUROR, name=f"Член журі {i}") for i in range(1, 4)]
    judged = judged_contest(app, build, jurors, stage=stage, count=count, **fields)
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        from scoring.models import User

        contest.organisers.append(db.session.get(User, organiser))
        if chair:
            member = next(m for m in contest.jury if m.user_id == jurors[0])
            member.is_chair = True
        db.session.commit()
    return judged


def _page(client, slug, to):
    response = client.get(f"/manage/contests/{slug}/stage?to={to}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _move(client, slug, to, *, confirm=None, reason="", page=None):
    """POST the stage form as the page would send it (its fingerprint when confirming)."""
    page = page or _page(client, slug, to)
    data = {"to": to, "reason": reason}
    match = FINGERPRINT.search(page)
    data["warnings"] = match.group(1) if match else ""
    if confirm:
        data["confirm"] = "y"
    return client.submit(f"/manage/contests/{slug}/stage", data)


def _stage(app, contest_id) -> Stage:
    with app.app_context():
        return db.session.get(Contest, contest_id).stage


def _submit_all(app, judged, jurors=None):
    c = judged.criteria
    with app.app_context():
        jury = jurors or [m.user_id for m in db.session.get(Contest, judged.contest_id).jury]
    for i, number in enumerate(judged.numbers):
        for juror in jury:
            set_sheet(
                app,
                juror,
                number,
                state=SheetState.SUBMITTED,
                points={c["C1"]: str(9 - i), c["C2"]: "5", c["C3"]: "2.5"},
            )


# Open → screening: closing before the announced deadline ----------------------------


@pytest.fixture
def open_contest(app, build, organiser, clock_at):
    clock_at(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    return build.contest(
        organisers=[organiser],
        slug="uchast",
        opens_at=datetime(2026, 3, 1, 7, 0, tzinfo=UTC),
        closes_at=datetime(2026, 3, 31, 15, 0, tzinfo=UTC),
        questions=questions(),
    )


def test_closing_before_the_deadline_warns_needs_a_reason_and_says_so_publicly(
    app, build, signed_in, open_contest, clock_at
):
    client = signed_in
    with app.app_context():
        draft = Application(
            contest_id=open_contest, organisation_id=build.organisation(), title="Чернетка"
        )
        db.session.add(draft)
        db.session.commit()
    page = _page(client, "uchast", "screening")
    text = _text(page)
    assert "Applications were announced to close at March 31, 2026, 18:00 (Kyiv time)" in text
    assert "1 application is still a draft: it can no longer be submitted." in text
    assert "shown on the contest’s public page" in text

    # Not confirmed, no reason: refused, with the reason why, and nothing changes.
    refused = _text(_move(client, "uchast", "screening", page=page).get_data(as_text=True))
    assert "Confirm that you have read the warnings above." in refused
    assert "Give the reason for closing the applications before the announced deadline" in (refused)
    assert _stage(app, open_contest) == Stage.OPEN
    refused = _move(client, "uchast", "screening", confirm=True, page=page)
    assert "Give the reason for closing" in _text(refused.get_data(as_text=True))
    assert _stage(app, open_contest) == Stage.OPEN

    reason = "Фонд конкурсу скорочено рішенням донора; нових заявок не приймаємо."
    moved = _move(client, "uchast", "screening", confirm=True, reason=reason, page=page)
    assert moved.status_code == 302
    with app.app_context():
        contest = db.session.get(Contest, open_contest)
        assert contest.stage == Stage.SCREENING
        assert contest.closed_early_at == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
        assert contest.closed_early_reason == reason
    (entry,) = [
        e for e in audit_entries(app, "contest.stage") if e.details["to_stage"] == "screening"
    ]
    assert entry.reason == reason and entry.details["confirmed"][0]["warning"] == "closing_early"

    public = _text(client.get("/contests/uchast").get_data(as_text=True))
    assert "Applications were closed early, on March 10, 2026, 11:00 (Kyiv time)." in public
    assert f"Reason: {reason}" in public

    # Opened again (a move back, with its reason): the early closing no longer stands.
    _move(client, "uchast", "open", reason="Донор передумав.")
    with app.app_context():
        contest = db.session.get(Contest, open_contest)
        assert contest.stage == Stage.OPEN and contest.closed_early_at is None
    assert "closed early" not in client.get("/contests/uchast").get_data(as_text=True)


def test_closing_after_the_deadline_asks_for_nothing(app, signed_in, open_contest, clock_at):
    clock_at(datetime(2026, 3, 31, 15, 0, tzinfo=UTC))
    page = _page(signed_in, "uchast", "screening")
    assert 'id="stage-warnings"' not in page
    assert _move(signed_in, "uchast", "screening", page=page).status_code == 302
    with app.app_context():
        assert db.session.get(Contest, open_contest).closed_early_at is None


def test_an_applicant_is_told_that_applications_closed_early(
    app, build, client, open_contest, organiser, clock_at
):
    with app.app_context():
        contest = db.session.get(Contest, open_contest)
        contest.stage = Stage.SCREENING
        contest.closed_early_at = clock.now()
        contest.closed_early_reason = "Фонд вичерпано."
        db.session.commit()
    organisation = build.organisation()
    build.user(Role.APPLICANT, email="a@example.org", organisation_id=organisation)
    with app.app_context():
        draft = Application(contest_id=open_contest, organisation_id=organisation, title="Т")
        db.session.add(draft)
        db.session.commit()
        draft_id = draft.id
    client.login("a@example.org")
    page = client.submit(
        f"/applications/draft/{draft_id}", {"action": "submit"}, follow_redirects=True
    )
    text = _text(page.get_data(as_text=True))
    # Not «closed at 31 March», the announced deadline: when and why it really closed.
    assert "Подання заявок закрито достроково" in text and "Фонд вичерпано." in text
    with app.app_context():
        assert db.session.get(Application, draft_id).state == ApplicationState.DRAFT


# Screening → judging: jurors and a chair ----------------------------------------------


def test_judging_is_refused_without_a_juror_for_every_admitted_application(
    app, build, signed_in, organiser
):
    judged = _judged(app, build, organiser, Stage.SCREENING, count=3)
    first, second, third = judged.numbers
    with app.app_context():
        from scoring.models import Scoresheet

        # The second has no sheet at all, the third only a recusal.
        for sheet in db.session.scalars(
            select(Scoresheet).join(Application).where(Application.number == second)
        ):
            db.session.delete(sheet)
        db.session.commit()
    with app.app_context():
        jury = [m.user_id for m in db.session.get(Contest, judged.contest_id).jury]
    for juror in jury[1:]:
        with app.app_context():
            from scoring.models import Scoresheet

            sheet = db.session.scalars(
                select(Scoresheet)
                .join(Application)
                .where(Application.number == third, Scoresheet.juror_id == juror)
            ).one()
            db.session.delete(sheet)
            db.session.commit()
    set_sheet(app, jury[0], third, conflict=Conflict.RECUSED, declaration="Родич")
    text = _text(_page(signed_in, judged.slug, "judging"))
    assert f"2 admitted applications have no juror ({second}, {third})" in text
    assert _move(signed_in, judged.slug, "judging").status_code == 200
    assert _stage(app, judged.contest_id) == Stage.SCREENING


def test_judging_is_refused_without_a_chair_or_anything_admitted(app, build, signed_in, organiser):
    judged = _judged(app, build, organiser, Stage.SCREENING, chair=False)
    text = _text(_page(signed_in, judged.slug, "judging"))
    assert "No member of the jury is its chair: mark the chair on the jury page" in text
    assert _move(signed_in, judged.slug, "judging").status_code == 200
    assert _stage(app, judged.contest_id) == Stage.SCREENING

    empty = build.contest(organisers=[organiser], slug="empty", stage=Stage.SCREENING)
    text = _text(_page(signed_in, "empty", "judging"))
    assert "No application is admitted: admit applications before the jury starts scoring." in (
        text
    )
    assert _stage(app, empty) == Stage.SCREENING


def test_judging_warns_of_applications_not_yet_screened(app, build, signed_in, organiser):
    judged = _judged(app, build, organiser, Stage.SCREENING)
    with app.app_context():
        waiting = db.session.scalar(
            select(Application).where(Application.number == judged.numbers[2])
        )
        waiting.state = ApplicationState.SUBMITTED
        db.session.commit()
    page = _page(signed_in, judged.slug, "judging")
    text = _text(page)
    assert "1 submitted application is neither admitted nor rejected" in text
    assert judged.numbers[2] in text.split("neither admitted nor rejected", 1)[1]
    assert _move(signed_in, judged.slug, "judging", page=page).status_code == 200
    assert _stage(app, judged.contest_id) == Stage.SCREENING
    assert _move(signed_in, judged.slug, "judging", confirm=True, page=page).status_code == 302
    assert _stage(app, judged.contest_id) == Stage.JUDGING


def test_judging_starts_when_every_admitted_application_has_a_juror_and_a_chair(
    app, build, signed_in, organiser
):
    judged = _judged(app, build, organiser, Stage.SCREENING)
    page = _page(signed_in, judged.slug, "judging")
    assert 'id="stage-problems"' not in page and 'id="stage-warnings"' not in page
    assert _move(signed_in, judged.slug, "judging", page=page).status_code == 302
    assert _stage(app, judged.contest_id) == Stage.JUDGING


# Judging → deliberation: sheets not submitted -----------------------------------------


def test_closing_scoring_lists_the_sheets_not_submitted_and_shows_them_as_such(
    app, build, signed_in, organiser, runner, tmp_path
):
    judged = _judged(app, build, organiser, Stage.JUDGING)
    first, second, third = judged.numbers
    with app.app_context():
        jury = sorted(m.user_id for m in db.session.get(Contest, judged.contest_id).jury)
    _submit_all(app, judged, jury[:2])
    c = judged.criteria
    set_sheet(app, jury[2], first, points={c["C1"]: "5"})  # a draft, partly scored
    set_sheet(app, jury[2], second, conflict=Conflict.RECUSED, declaration="Родич")
    # the third juror never opened the third application

    page = _page(signed_in, judged.slug, "deliberation")
    text = _text(page)
    assert "2 scoresheets are not submitted. Scoring closes: they will not count" in text
    assert f"Член журі 3: {first}, {third}" in text
    assert second not in text.split("not submitted", 1)[1].split("I have read")[0]

    refused = _move(signed_in, judged.slug, "deliberation", page=page)
    assert "Confirm that you have read the warnings above." in _text(refused.get_data(as_text=True))
    assert _stage(app, judged.contest_id) == Stage.JUDGING
    moved = _move(signed_in, judged.slug, "deliberation", confirm=True, page=page)
    assert moved.status_code == 302 and _stage(app, judged.contest_id) == Stage.DELIBERATION
    (entry,) = [
        e for e in audit_entries(app, "contest.stage") if e.details["to_stage"] == "deliberation"
    ]
    assert entry.details["confirmed"] == [
        {"warning": "unsubmitted", "lines": [f"Член журі 3: {first}, {third}"]}
    ]

    # The ranking page: a draft is «not submitted», a recusal «recused», never both «–».
    ranking = signed_in.get(f"/manage/contests/{judged.slug}/ranking").get_data(as_text=True)
    rows = {n: ranking.split(f">{n}</th>", 1)[1].split("</tr>", 1)[0] for n in judged.numbers}
    assert "not submitted" in rows[first] and "recused" not in rows[first]
    assert "recused" in rows[second] and "not submitted" not in rows[second]
    assert "not submitted" in rows[third]
    # The jury's matrix and the juror's own list say the same.
    matrix = signed_in.get(f"/manage/contests/{judged.slug}/assignments").get_data(as_text=True)
    assert matrix.count(">not submitted</span>") == 2 and ">recused</span>" in matrix
    # The protocol prints it.
    target = tmp_path / "protocol.pdf"
    result = runner.invoke(args=["pdf", judged.slug, "protocol", "--lang", "en", "-o", str(target)])
    assert result.exit_code == 0, result.output
    protocol = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(target).pages)
    # «—» with its legend for a sheet not submitted, «recused» for the recusal.
    assert re.search(rf"{first} .*? — ", protocol) and "«—»: the scoresheet is not submitted" in (
        protocol
    )
    assert re.search(rf"{second} .*? recused ", protocol)


def test_a_juror_sees_their_unsubmitted_sheets_as_not_submitted_once_scoring_closed(
    app, build, client, organiser
):
    judged = _judged(app, build, organiser, Stage.DELIBERATION, count=2)
    with app.app_context():
        from scoring.models import User

        juror = sorted(m.user_id for m in db.session.get(Contest, judged.contest_id).jury)[0]
        email = db.session.get(User, juror).email
    set_sheet(app, juror, judged.numbers[0], conflict=Conflict.RECUSED, declaration="Родич")
    client.login(email)
    page = client.get(judged.url()).get_data(as_text=True)
    assert page.count('data-status="not_submitted"') == 1
    assert page.count('data-status="recused"') == 1


# Deliberation → published --------------------------------------------------------------


def _ready_to_publish(app, build, organiser, **fields):
    judged = _judged(app, build, organiser, Stage.DELIBERATION, winners=1, **fields)
    _submit_all(app, judged)
    build.meeting(judged.contest_id)
    return judged


def test_publishing_is_refused_without_a_chair_or_the_meetings_details(
    app, build, signed_in, organiser
):
    judged = _ready_to_publish(app, build, organiser, chair=False)
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        contest.protocol_number, contest.protocol_date = "", None
        for member in contest.jury:
            member.present = None
        db.session.commit()
    page = _page(signed_in, judged.slug, "published")
    text = _text(page)
    assert "No member of the jury is its chair" in text
    assert "The protocol of the jury’s meeting lacks its number, its date" in text
    assert "its place" not in text
    assert "does not say who was present at the jury’s meeting" in text
    assert _move(signed_in, judged.slug, "published").status_code == 200
    assert _stage(app, judged.contest_id) == Stage.DELIBERATION

    # Both refusals about the meeting link to its page, the one place where its details
    # are entered (the contest's settings no longer ask for them); the chair is marked
    # on the jury page.
    meeting = f"/manage/contests/{judged.slug}/meeting"
    problems = page.split('id="stage-problems"', 1)[1].split("</div>", 1)[0]
    assert problems.count(f'href="{meeting}"') == 2
    edit = signed_in.get(f"/manage/contests/{judged.slug}/edit").get_data(as_text=True)
    assert 'name="protocol_date"' not in edit and 'name="protocol_number"' not in edit
    form = signed_in.get(meeting).get_data(as_text=True)
    assert 'name="protocol_date"' in form and 'name="protocol_number"' in form
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        members = [member.user_id for member in contest.jury]
        contest.jury[0].is_chair = True
        db.session.commit()
        day = clock.now().astimezone(clock.KYIV).date()
    response = signed_in.submit(
        meeting,
        {
            "protocol_number": "3",
            "protocol_date": day.strftime("%d.%m.%Y"),
            "protocol_place": "м. Харків, зала засідань",
            **{f"present_{uid}": "yes" for uid in members},
        },
    )
    assert response.status_code == 302, _text(response.get_data(as_text=True))
    page = _page(signed_in, judged.slug, "published")
    assert 'id="stage-problems"' not in page
    assert _move(signed_in, judged.slug, "published", page=page).status_code == 302
    assert _stage(app, judged.contest_id) == Stage.PUBLISHED


def test_publishing_is_refused_while_a_tie_awaits_the_commission(app, build, signed_in, organiser):
    judged = _ready_to_publish(app, build, organiser)
    c = judged.criteria
    with app.app_context():
        jury = [m.user_id for m in db.session.get(Contest, judged.contest_id).jury]
        from scoring.models import Score, Scoresheet

        for score in db.session.scalars(
            select(Score)
            .join(Scoresheet)
            .join(Application)
            .where(Application.number.in_(judged.numbers[:2]))
        ):
            score.points = {c["C1"]: 9, c["C2"]: 5, c["C3"]: 2.5}[score.criterion_id]
        db.session.commit()
    assert jury
    text = _text(_page(signed_in, judged.slug, "published"))
    assert f"The applications {judged.numbers[0]}, {judged.numbers[1]} are tied at place 1" in (
        text
    )
    assert _stage(app, judged.contest_id) == Stage.DELIBERATION


def test_the_publish_page_says_how_many_emails_go_out(app, build, signed_in, organiser):
    judged = _ready_to_publish(app, build, organiser)
    with app.app_context():
        organisations = db.session.scalars(
            select(Application.organisation_id)
            .where(Application.contest_id == judged.contest_id)
            .order_by(Application.serial)
        ).all()
    for i, organisation_id in enumerate(organisations[:2]):  # two of three have accounts
        build.user(
            Role.APPLICANT, email=f"applicant{i}@example.org", organisation_id=organisation_id
        )
    text = _text(_page(signed_in, judged.slug, "published"))
    assert "2 e-mails go out: to the applicants of every submitted application." in text


def test_sums_of_unequal_juror_counts_are_confirmed_and_printed(
    app, build, signed_in, organiser, runner, tmp_path
):
    judged = _ready_to_publish(app, build, organiser, aggregation=Aggregation.SUM)
    with app.app_context():
        jury = sorted(m.user_id for m in db.session.get(Contest, judged.contest_id).jury)
        from scoring.models import Scoresheet

        sheet = db.session.scalars(
            select(Scoresheet)
            .join(Application)
            .where(Application.number == judged.numbers[0], Scoresheet.juror_id == jury[2])
        ).one()
        sheet.state, sheet.submitted_at = SheetState.DRAFT, None  # two jurors' sum, not three
        db.session.commit()
    page = _page(signed_in, judged.slug, "published")
    text = _text(page)
    assert "scored by different numbers of jurors (from 2 to 3)" in text
    assert _move(signed_in, judged.slug, "published", page=page).status_code == 200
    assert _stage(app, judged.contest_id) == Stage.DELIBERATION

    for kind in ("protocol", "announcement"):
        target = tmp_path / f"{kind}.pdf"
        result = runner.invoke(args=["pdf", judged.slug, kind, "--lang", "en", "-o", str(target)])
        assert result.exit_code == 0, result.output
        printed = " ".join(
            " ".join((p.extract_text() or "").split()) for p in PdfReader(target).pages
        )
        assert "scored by different numbers of jurors (from 2 to 3)" in printed, kind

    assert _move(signed_in, judged.slug, "published", confirm=True, page=page).status_code == 302
    assert _stage(app, judged.contest_id) == Stage.PUBLISHED
    (entry,) = [
        e for e in audit_entries(app, "contest.stage") if e.details["to_stage"] == "published"
    ]
    assert [w["warning"] for w in entry.details["confirmed"]] == ["unequal_sums"]
    # The public page, the announcement on the web, says it as the PDF does.
    public = _text(signed_in.get(f"/contests/{judged.slug}/results").get_data(as_text=True))
    assert "scored by different numbers of jurors (from 2 to 3)" in public
    # And so does the API, for whoever republishes the results.
    document = signed_in.get(f"/api/contests/{judged.slug}/results?lang=en").get_json()
    assert document["unequal_sums"]["fewest"] == 2 and document["unequal_sums"]["most"] == 3
    assert "scored by different numbers of jurors (from 2 to 3)" in document["unequal_sums"]["note"]


def test_applications_left_unranked_are_confirmed_before_publication(
    app, build, signed_in, organiser
):
    judged = _ready_to_publish(app, build, organiser, quorum=3)
    with app.app_context():
        jury = sorted(m.user_id for m in db.session.get(Contest, judged.contest_id).jury)
        from scoring.models import Scoresheet

        sheet = db.session.scalars(
            select(Scoresheet)
            .join(Application)
            .where(Application.number == judged.numbers[2], Scoresheet.juror_id == jury[2])
        ).one()
        sheet.state, sheet.submitted_at = SheetState.DRAFT, None
        db.session.commit()
    page = _page(signed_in, judged.slug, "published")
    text = _text(page)
    assert "1 admitted application has too few submitted scoresheets" in text
    assert judged.numbers[2] in text.split("too few submitted scoresheets", 1)[1]
    assert _move(signed_in, judged.slug, "published", page=page).status_code == 200
    assert _move(signed_in, judged.slug, "published", confirm=True, page=page).status_code == 302


def test_a_warning_that_appears_after_the_page_was_opened_is_shown_again(
    app, build, signed_in, organiser
):
    judged = _judged(app, build, organiser, Stage.JUDGING, count=2)
    with app.app_context():
        jury = sorted(m.user_id for m in db.session.get(Contest, judged.contest_id).jury)
    _submit_all(app, judged, jury[:2])
    c = judged.criteria
    set_sheet(app, jury[2], judged.numbers[0], points={c["C1"]: "5"})
    page = _page(signed_in, judged.slug, "deliberation")
    # Meanwhile another sheet is reopened: the warning the organiser read is out of date.
    with app.app_context():
        from scoring.models import Scoresheet

        sheet = db.session.scalars(
            select(Scoresheet)
            .join(Application)
            .where(Application.number == judged.numbers[1], Scoresheet.juror_id == jury[0])
        ).one()
        sheet.state, sheet.submitted_at = SheetState.DRAFT, None
        db.session.commit()
    response = _move(signed_in, judged.slug, "deliberation", confirm=True, page=page)
    text = _text(response.get_data(as_text=True))
    assert response.status_code == 200 and "The situation changed while the page was open" in text
    assert f"Член журі 1: {judged.numbers[1]}" in text
    assert _stage(app, judged.contest_id) == Stage.JUDGING
    again = response.get_data(as_text=True)
    assert (
        _move(signed_in, judged.slug, "deliberation", confirm=True, page=again).status_code == 302
    )


def test_the_stage_page_speaks_ukrainian(app, build, client, organiser):
    judged = _judged(app, build, organiser, Stage.SCREENING, chair=False)
    client.login(ORGANISER)
    text = _text(_page(client, judged.slug, "judging"))
    assert "Жоден член журі не є головою" in text
    assert "Що зробить зміна" in text


def test_two_organisers_publishing_at_once_publish_once(app, build, signed_in, organiser, outbox):
    """The second of two moves at the same moment waits for the first and is refused by
    it (PostgreSQL: the contest's row; SQLite: the write lock): one move in the audit log,
    one batch of e-mails, the first publication's date kept."""
    import threading

    judged = _ready_to_publish(app, build, organiser)
    with app.app_context():
        organisation_id = db.session.scalar(
            select(Application.organisation_id).where(Application.number == judged.numbers[0])
        )
    build.user(Role.APPLICANT, email="applicant@example.org", organisation_id=organisation_id)
    page = _page(signed_in, judged.slug, "published")
    first = datetime(2026, 9, 15, 10, 0, tzinfo=UTC)
    responses = []
    with app.app_context():
        with db.engine.begin() as other:  # the other organiser's move, not yet committed
            other.execute(
                Contest.__table__.update()
                .where(Contest.id == judged.contest_id)
                .values(stage=Stage.PUBLISHED, published_at=first)
            )
            thread = threading.Thread(
                target=lambda: responses.append(
                    _move(signed_in, judged.slug, "published", confirm=True, page=page)
                )
            )
            thread.start()
            thread.join(timeout=1)
            assert thread.is_alive() and responses == []  # waiting for the other move
        thread.join(timeout=30)
    # Refused on the stage page, or sent back to the dashboard with the reason.
    refusal = responses[0]
    if refusal.status_code == 302:
        refusal = signed_in.get(refusal.location)
    assert "cannot move to this stage" in _text(refusal.get_data(as_text=True))
    assert audit_entries(app, "contest.stage") == []
    assert outbox() == []
    with app.app_context():
        assert db.session.get(Contest, judged.contest_id).published_at == first
