"""A juror's daily work (issue 16): e-mails when assigned and when judging opens (one per
juror per event), the next application to score, the status filter, quick buttons that
work without JavaScript, the criteria named for screen readers, and a draft left behind
when scoring closed explained instead of a 404."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from scoring import audit, clock
from scoring.extensions import db
from scoring.judging.operations import fair_order_key
from scoring.models import (
    Application,
    Conflict,
    Contest,
    JuryMember,
    Role,
    Scoresheet,
    SheetState,
    Stage,
)

from ._judging import judged_contest, organised_by, page_csrf, set_sheet, stored_scores
from ._stages import move_stage

ORGANISER = "org@example.org"
JUROR = "juror@example.org"


# E-mails -----------------------------------------------------------------------------


def test_assigning_during_judging_sends_each_juror_one_email_with_all_their_applications(
    app, build, client, signed_in, outbox
):
    organiser = signed_in(Role.ORGANISER, ORGANISER)
    english = build.user(Role.JUROR, email="en@example.org", name="Emma Expert", language="en")
    ukrainian = build.user(Role.JUROR, email="uk@example.org", name="Ірина Бондар")
    judged = judged_contest(
        app, build, [english, ukrainian], count=3, assigned=[], jurors_per_application=0
    )
    organised_by(app, judged.contest_id, organiser)

    response = client.submit(
        f"/manage/contests/{judged.slug}/assignments/auto", follow_redirects=True
    )
    assert "2 jurors are informed by e-mail." in response.get_data(as_text=True)
    messages = {m["To"]: m for m in outbox()}
    assert set(messages) == {"en@example.org", "uk@example.org"}  # one each, not six
    english_body = messages["en@example.org"].get_content()
    assert "Hello, Emma Expert!" in english_body
    assert "3 new applications are assigned to you" in english_body
    assert all(f"- {number}" in english_body for number in judged.numbers)
    assert f"http://127.0.0.1:5000/judging/{judged.slug}" in english_body
    assert messages["en@example.org"]["Subject"] == "New applications to score"
    ukrainian_body = messages["uk@example.org"].get_content()
    assert "призначено 3 нові заявки" in ukrainian_body
    assert all(f"- {number}" in ukrainian_body for number in judged.numbers)

    # One juror added by hand to one application: one e-mail naming that application.
    third = build.user(Role.JUROR, email="third@example.org", name="Третій Член")
    with app.app_context():
        db.session.add(JuryMember(contest_id=judged.contest_id, user_id=third))
        db.session.commit()
    number = judged.numbers[1]
    client.submit(f"/manage/contests/{judged.slug}/assignments/{number}/jurors/{third}")
    latest = outbox()[-1]
    assert latest["To"] == "third@example.org" and len(outbox()) == 3
    body = latest.get_content()
    assert f"- {number}" in body and judged.numbers[0] not in body


def test_before_judging_assignments_wait_for_one_email_when_judging_opens(
    app, build, client, signed_in, outbox
):
    organiser = signed_in(Role.ORGANISER, ORGANISER)
    busy = build.user(Role.JUROR, email="busy@example.org", name="Зайнятий Член")
    recused = build.user(Role.JUROR, email="recused@example.org", name="Відведений Член")
    judged = judged_contest(app, build, [busy, recused], count=2, stage=Stage.SCREENING)
    organised_by(app, judged.contest_id, organiser)
    with app.app_context():  # judging opens only with a chair of the jury (issue 13)
        contest = db.session.get(Contest, judged.contest_id)
        next(m for m in contest.jury if m.user_id == busy).is_chair = True
        db.session.commit()
    for number in judged.numbers:
        set_sheet(app, recused, number, conflict=Conflict.RECUSED, declaration="Родич")
    client.submit(f"/manage/contests/{judged.slug}/assignments/auto")
    assert outbox() == []  # screening: nothing yet

    response = move_stage(client, judged.slug, "judging", "Журі готове")
    page = response.get_data(as_text=True)
    assert "1 juror is informed by e-mail." in page
    (message,) = outbox()  # the recused member has nothing to score: no e-mail
    assert message["To"] == "busy@example.org"
    assert message["Subject"] == "Відкрито оцінювання: «Конкурс 2»"
    body = message.get_content()
    assert "2 заявки чекають на ваші оцінки" in body
    assert f"http://127.0.0.1:5000/judging/{judged.slug}" in body


def test_adding_a_juror_on_a_divergence_during_deliberation_sends_nothing(
    app, build, client, signed_in, outbox
):
    organiser = signed_in(Role.ORGANISER, ORGANISER)
    first = build.user(Role.JUROR, email="first@example.org")
    spare = build.user(Role.JUROR, email="spare@example.org")
    judged = judged_contest(
        app, build, [first, spare], count=1, assigned=[first], stage=Stage.DELIBERATION
    )
    organised_by(app, judged.contest_id, organiser)
    url = f"/manage/contests/{judged.slug}/divergences/{judged.numbers[0]}/add-juror"
    client.submit(url, {"juror": str(spare)})
    with app.app_context():
        added = db.session.scalar(select(Scoresheet.id).where(Scoresheet.juror_id == spare))
    assert added is not None
    assert outbox() == []  # scoring is closed: the move back to judging will tell them


# The list and the next application ------------------------------------------------------


@pytest.fixture
def juror(signed_in):
    return signed_in(Role.JUROR, JUROR, name="Олена Суддя")


def _fair(judged, juror_id, app) -> list[str]:
    with app.app_context():
        ids = dict(db.session.execute(select(Application.number, Application.id)).all())
    return sorted(judged.numbers, key=lambda n: fair_order_key(judged.contest_id, juror_id, ids[n]))


def _next(page: str) -> str | None:
    box = page.partition('id="next-unscored"')[2]
    found = re.search(r'href="/judging/[^/]+/([A-Z0-9-]+)"', box)
    return found.group(1) if found else None


def test_after_submitting_the_list_proposes_the_next_application_to_score(
    app, build, client, juror
):
    judged = judged_contest(app, build, [juror], count=4)
    order = _fair(judged, juror, app)
    c = judged.criteria
    full = {c["C1"]: "5", c["C2"]: "5", c["C3"]: "2.5"}
    set_sheet(app, juror, order[1], conflict=Conflict.RECUSED, declaration="Сусід")
    set_sheet(app, juror, order[2], state=SheetState.SUBMITTED, points=full)
    set_sheet(app, juror, order[0], points=full)  # complete, ready to submit

    response = client.submit(judged.url(order[0], "/submit"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"The scoresheet for {order[0]} is submitted." in page
    # After the first: the second is recused, the third submitted, so the fourth.
    assert _next(page) == order[3]
    assert client.get(judged.url(order[0])).status_code == 200
    assert _next(client.get(judged.url(order[0])).get_data(as_text=True)) == order[3]

    set_sheet(app, juror, order[3], state=SheetState.SUBMITTED, points=full)
    page = client.get(judged.url() + f"?after={order[3]}").get_data(as_text=True)
    assert 'id="next-unscored"' not in page  # nothing is left to score


def test_the_list_filters_by_status_and_counts_each(app, build, client, juror):
    judged = judged_contest(app, build, [juror], count=4)
    a, b, c_, d = judged.numbers
    set_sheet(app, juror, a, conflict=Conflict.RECUSED, declaration="Сусід")
    set_sheet(app, juror, b, state=SheetState.SUBMITTED)
    set_sheet(app, juror, c_)  # declared: a draft

    def listed(query: str) -> list[str]:
        page = client.get(judged.url() + query).get_data(as_text=True)
        items = page.partition('<ol class="list-group assignments">')[2].partition("</ol>")[0]
        return sorted(
            re.findall(
                r'data-status="[a-z_]+">\s*<div class="text-break">\s*'
                r"(?:<a[^>]*>|<span[^>]*>)([A-Z0-9-]+)<",
                items,
            )
        )

    assert listed("") == sorted(judged.numbers)
    assert listed("?status=draft") == [c_]
    assert listed("?status=submitted") == [b]
    assert listed("?status=recused") == [a]
    assert listed("?status=not_started") == [d]
    assert listed("?status=bogus") == sorted(judged.numbers)  # unknown: everything
    page = client.get(judged.url() + "?status=draft").get_data(as_text=True)
    nav = page.partition('id="status-filter"')[2].partition("</nav>")[0]
    assert "All (4)" in nav and "Draft (1)" in nav and "Submitted (1)" in nav
    assert re.search(r'status=draft"\s+aria-current="page"', nav)


# The scoresheet ---------------------------------------------------------------------------


def test_quick_buttons_save_whole_points_without_javascript(app, build, client, juror):
    judged = judged_contest(app, build, [juror], count=1)
    number = judged.numbers[0]
    c = judged.criteria
    set_sheet(app, juror, number)
    page = client.get(judged.url(number)).get_data(as_text=True)
    # C1 and C2 go to 10: eleven buttons each; C3 (0..5) six.
    for code, top in (("C1", 10), ("C2", 10), ("C3", 5)):
        values = re.findall(rf'name="quick" value="{c[code]}:(\d+)"', page)
        assert values == [str(n) for n in range(top + 1)]
    form = {f"points_{c['C1']}": "", f"comment_{c['C1']}": "Добре"}
    response = client.submit(judged.url(number), {**form, "quick": f"{c['C1']}:7"})
    assert response.status_code == 302
    assert response.headers["Location"] == judged.url(number) + f"#criterion-{c['C1']}"
    assert stored_scores(app, juror, number)[c["C1"]] == (Decimal(7), "Добре")
    page = client.get(judged.url(number)).get_data(as_text=True)
    assert re.search(rf'value="{c["C1"]}:7"[^>]*aria-pressed="true"', page)

    # A criterion that is not this sheet's, or no number at all: the button is ignored.
    for forged in ("²:3", "999999:3", ":", "C1:7"):
        kept = {**form, f"points_{c['C1']}": "7"}
        response = client.submit(judged.url(number), {**kept, "quick": forged})
        assert response.status_code == 302, forged
    assert stored_scores(app, juror, number)[c["C1"]] == (Decimal(7), "Добре")
    # A forged value is refused beside its field, like a typed one.
    response = client.submit(judged.url(number), {**form, "quick": f"{c['C3']}:9"})
    assert response.status_code == 200
    errors = response.get_data(as_text=True).partition(f'id="points_{c["C3"]}-errors"')[2]
    assert "C3 «Soundness of the budget»: enter a number of points from 0 to 5." in errors[:300]
    assert c["C3"] not in stored_scores(app, juror, number)


def test_each_criterion_is_a_group_named_by_its_legend(app, build, client, juror):
    judged = judged_contest(app, build, [juror], count=1)
    number = judged.numbers[0]
    set_sheet(app, juror, number)
    page = client.get(judged.url(number)).get_data(as_text=True)
    groups = re.findall(r'<fieldset class="[^"]*criterion[^"]*"[^>]*>\s*(<[a-z]+)', page)
    assert groups == ["<legend"] * 3


# Scoring closed ---------------------------------------------------------------------------


def test_a_draft_left_when_the_results_were_published_says_what_happened(app, build, client, juror):
    judged = judged_contest(app, build, [juror], count=2)
    c = judged.criteria
    done, draft = judged.numbers
    set_sheet(app, juror, done, state=SheetState.SUBMITTED, points={c["C1"]: 6})
    set_sheet(app, juror, draft, points={c["C1"]: 2})
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        contest.stage, contest.published_at = Stage.PUBLISHED, clock.now()
        db.session.commit()
    response = client.get(judged.url(draft))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "was not submitted before scoring closed, so it does not count" in page
    assert "The results were published on" in page
    assert f'href="/contests/{judged.slug}/results"' in page
    assert "Прихована" not in page and 'name="points_' not in page
    token = page_csrf(client, judged.url())
    posted = client.post(judged.url(draft), data={"csrf_token": token, f"points_{c['C1']}": "9"})
    assert posted.status_code == 200
    assert stored_scores(app, juror, draft)[c["C1"]][0] == Decimal(2)  # nothing changed


def test_a_sheet_never_started_when_scoring_closed_does_not_speak_of_what_was_entered(
    app, build, client, juror
):
    judged = judged_contest(app, build, [juror], count=2, stage=Stage.DELIBERATION)
    started, untouched = judged.numbers
    set_sheet(app, juror, started, points={judged.criteria["C1"]: 2})
    page = client.get(judged.url(started)).get_data(as_text=True)
    assert "What you entered is kept: if the organisers reopen scoring" in page
    page = client.get(judged.url(untouched)).get_data(as_text=True)
    assert "was not submitted before scoring closed, so it does not count" in page
    assert "you can still score this application" in page
    assert "What you entered" not in page
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        contest.stage, contest.published_at = Stage.PUBLISHED, clock.now()
        audit.record("contest.stage", contest=contest, to="published")  # as publishing does
        db.session.commit()
    page = client.get(judged.url(untouched)).get_data(as_text=True)
    assert "they were decided without this scoresheet." in page
    assert "What you entered" not in page
