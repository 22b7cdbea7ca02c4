"""Outside attack on the ranking kept and brought up to date after sheet writes
(scoring/results/loading.py): after each write the organiser's ranking (page with its
jurors' leniency, CSV) must be what a fresh app, which keeps nothing, shows."""

import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from scoring.extensions import db
from scoring.models import (
    Aggregation,
    Application,
    Conflict,
    JuryMember,
    Normalise,
    Role,
    Scoresheet,
    SheetState,
    Stage,
    User,
)
from tests._judging import autosave, judged_contest, organised_by, page_csrf, set_sheet
from tests.test_pagecache import _ranking_everywhere

ORG = "atk.org@example.org"
JURORS = ["atk.j1@example.org", "atk.j2@example.org", "atk.j3@example.org"]


def _seen(client, slug: str) -> dict:
    base = f"/manage/contests/{slug}"
    response = client.get(base + "/ranking")
    assert response.status_code == 200
    page = re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
    page = re.sub(r'<meta name="csrf-token" content="[^"]+"', "", page)
    return {
        "page": page.split("<h1", 1)[1].split("</main>")[0],
        "csv": client.get(base + "/ranking.csv").get_data(as_text=True),
    }


def _fresh(make_app, slug: str) -> dict:
    fresh = make_app()
    client = fresh.test_client()
    client.login(ORG)
    return _seen(client, slug)


def _sheet_id(app, juror: int, number: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Scoresheet.id)
            .join(Application)
            .where(Application.number == number, Scoresheet.juror_id == juror)
        )


def _arrange(app, build, **fields):
    jurors = [build.user(Role.JUROR, email=e, name=f"Суддя {i}") for i, e in enumerate(JURORS, 1)]
    organiser = build.user(Role.ORGANISER, email=ORG)
    judged = judged_contest(app, build, jurors, count=4, **fields)
    organised_by(app, judged.contest_id, organiser)
    c = judged.criteria
    for j, juror in enumerate(jurors[:2]):
        for i, number in enumerate(judged.numbers):
            points = {c["C1"]: str((3 * i + 2 * j) % 11), c["C2"]: str((5 + i + j) % 11),
                      c["C3"]: str((i + j) % 6)}  # fmt: skip
            set_sheet(app, juror, number, state=SheetState.SUBMITTED, points=points)
    j3 = jurors[2]
    set_sheet(app, j3, judged.numbers[0])  # declared, empty draft
    set_sheet(app, j3, judged.numbers[1], conflict=Conflict.UNDECLARED)
    set_sheet(app, j3, judged.numbers[2], conflict=Conflict.UNDECLARED)
    set_sheet(app, j3, judged.numbers[3], points={c["C1"]: "1", c["C2"]: "1", c["C3"]: "1"})
    return jurors, judged


def _as(app, email):
    client = app.test_client()
    client.login(email)
    return client


def _score_and_submit(client, judged, number, values):
    c = judged.criteria
    url = judged.url(number)
    token = page_csrf(client, url)
    body = {"points": {str(c[k]): v for k, v in values.items()}}
    assert autosave(client, judged, number, body, token).status_code == 200
    response = client.submit(judged.url(number, "/submit"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"aggregation": Aggregation.MEDIAN, "normalise": Normalise.ZSCORE},
        {"aggregation": Aggregation.TRIMMED_MEAN, "normalise": Normalise.ZSCORE, "quorum": 3},
        {"aggregation": Aggregation.SUM, "winners": 2, "min_total": Decimal("8")},
    ],
)
def test_every_sheet_write_leaves_the_ranking_as_a_fresh_read_shows_it(
    app, build, make_app, fields
):
    jurors, judged = _arrange(app, build, **fields)
    n = judged.numbers
    organiser = _as(app, ORG)
    steps = []

    def check(step):
        kept, fresh = _seen(organiser, judged.slug), _fresh(make_app, judged.slug)
        steps.append(step)
        assert kept == fresh, steps

    check("first view")
    j1, j2, j3 = (_as(app, e) for e in JURORS)
    _score_and_submit(j3, judged, n[0], {"C1": "10", "C2": "9", "C3": "4.5"})
    check("j3 submits n0")
    reopen = f"/manage/contests/{judged.slug}/scoresheets/{{}}/reopen"
    reason = {"reason": "Перевірити оцінку."}
    assert (
        organiser.submit(reopen.format(_sheet_id(app, jurors[0], n[1])), reason).status_code == 302
    )
    check("j1 n1 reopened")
    token = page_csrf(j3, judged.url(n[1]))
    recused = j3.post(judged.url(n[1], "/recuse"),
                      data={"csrf_token": token, "declaration": "Я в правлінні."})  # fmt: skip
    assert recused.status_code == 302
    check("j3 recused n1")
    token = page_csrf(j3, judged.url(n[2]))
    assert j3.post(judged.url(n[2], "/no-conflict"), data={"csrf_token": token}).status_code == 302
    check("j3 declared none n2")
    _score_and_submit(j3, judged, n[2], {"C1": "0", "C2": "0", "C3": "0"})
    check("j3 submits n2")
    _score_and_submit(j1, judged, n[1], {"C1": "7", "C2": "7", "C3": "3.5"})
    check("j1 resubmits n1")
    _score_and_submit(j3, judged, n[3], {"C1": "5", "C2": "5", "C3": "2.5"})
    check("j3 submits n3")
    for number in (n[0], n[2], n[3]):  # j3 left with no counted sheet
        sheet = _sheet_id(app, jurors[2], number)
        assert organiser.submit(reopen.format(sheet), reason).status_code == 302
        check(f"j3 {number} reopened")
    _score_and_submit(j3, judged, n[0], {"C1": "10", "C2": "9", "C3": "4.5"})
    check("j3 resubmits n0 as before")
    everything = _ranking_everywhere(organiser, judged.slug)
    fresh = make_app().test_client()
    fresh.login(ORG)
    assert everything == _ranking_everywhere(fresh, judged.slug)


def test_two_jurors_submitting_at_once_leave_the_ranking_as_a_fresh_read(app, build, make_app):
    jurors, judged = _arrange(app, build)
    n = judged.numbers
    organiser = _as(app, ORG)
    assert _seen(organiser, judged.slug) == _fresh(make_app, judged.slug)
    j3 = _as(app, JURORS[2])
    token = page_csrf(j3, judged.url(n[2]))
    assert j3.post(judged.url(n[2], "/no-conflict"), data={"csrf_token": token}).status_code == 302
    reopen = f"/manage/contests/{judged.slug}/scoresheets/{{}}/reopen"
    reason = {"reason": "Перевірити оцінку."}
    assert (
        organiser.submit(reopen.format(_sheet_id(app, jurors[1], n[3])), reason).status_code == 302
    )
    assert _seen(organiser, judged.slug) == _fresh(make_app, judged.slug)
    j2 = _as(app, JURORS[1])
    c = judged.criteria
    for client, number in ((j3, n[0]), (j3, n[2]), (j2, n[3])):
        body = {"points": {str(c["C1"]): "6", str(c["C2"]): "4", str(c["C3"]): "2"}}
        assert (
            autosave(
                client, judged, number, body, page_csrf(client, judged.url(number))
            ).status_code
            == 200
        )
    forms = [(client, number, client.csrf_token()) for client, number in ((j3, n[0]), (j2, n[3]))]
    barrier, results = threading.Barrier(3), []

    def submit(client, number, token):
        barrier.wait()
        results.append(
            client.post(judged.url(number, "/submit"), data={"csrf_token": token}).status_code
        )

    def view():
        barrier.wait()
        results.append(organiser.get(f"/manage/contests/{judged.slug}/ranking").status_code)

    threads = [threading.Thread(target=submit, args=f) for f in forms] + [
        threading.Thread(target=view)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 302, 302], results
    assert _seen(organiser, judged.slug) == _fresh(make_app, judged.slug)


def test_a_tie_decided_then_undone_by_a_reopening_shows_as_a_fresh_read(app, build, make_app):
    jurors = [build.user(Role.JUROR, email=e, name=f"Суддя {i}") for i, e in enumerate(JURORS, 1)]
    organiser = build.user(Role.ORGANISER, email=ORG)
    judged = judged_contest(
        app, build, jurors, count=4, winners=1, quorum=2, stage=Stage.DELIBERATION
    )
    organised_by(app, judged.contest_id, organiser)
    c = judged.criteria
    n = judged.numbers
    for j, juror in enumerate(jurors):
        for i, number in enumerate(n):
            top = i < 2  # the first two tie at the top, by the same points
            points = {c["C1"]: "9" if top else str(i + j), c["C2"]: "8" if top else "3",
                      c["C3"]: "4" if top else "1"}  # fmt: skip
            set_sheet(app, juror, number, state=SheetState.SUBMITTED, points=points)
    client = _as(app, ORG)
    steps = []

    def check(step):
        steps.append(step)
        assert _seen(client, judged.slug) == _fresh(make_app, judged.slug), steps

    check("first view")
    with app.app_context():
        first = db.session.scalar(select(Application.id).where(Application.number == n[0]))
    tie = f"/manage/contests/{judged.slug}/ties/1"
    assert client.get(tie).status_code == 200
    decided = client.submit(tie, {"winners": str(first), "reason": "Голосування 3:2."})
    assert decided.status_code == 302, decided.get_data(as_text=True)[:3000]
    check("tie decided")
    reopen = f"/manage/contests/{judged.slug}/scoresheets/{{}}/reopen"
    reason = {"reason": "Перевірити оцінку."}
    for juror in jurors:  # n1 loses its sheets one by one: the tie, then the quorum
        sheet = _sheet_id(app, juror, n[1])
        assert client.submit(reopen.format(sheet), reason).status_code == 302
        check(f"n1 sheet of {juror} reopened")
    sheet = _sheet_id(app, jurors[0], n[0])
    assert client.submit(reopen.format(sheet), reason).status_code == 302
    check("n0 sheet reopened")
    everything = _ranking_everywhere(client, judged.slug)
    fresh = make_app().test_client()
    fresh.login(ORG)
    assert everything == _ranking_everywhere(fresh, judged.slug)


def test_scores_imported_between_views_and_sheet_writes_after_rank_as_a_fresh_read(
    app, build, make_app, runner, tmp_path
):
    jurors, judged = _arrange(app, build)
    n = judged.numbers
    organiser = _as(app, ORG)
    j3 = _as(app, JURORS[2])
    steps = []

    def check(step):
        steps.append(step)
        assert _seen(organiser, judged.slug) == _fresh(make_app, judged.slug), steps

    check("first view")
    lines = ["application,juror,criterion,score,comment"]
    for number, email, points in (
        (n[1], JURORS[0], ("10", "10", "5")),  # a held submitted sheet changed
        (n[2], "paper.juror@jury.example", ("0", "0", "0")),  # a new juror, a new sheet
        (n[3], JURORS[2], ("2", "3", "1.5")),  # j3's draft, submitted from paper
    ):
        lines += [f"{number},{email},C{i},{p}," for i, p in enumerate(points, 1)]
    path = tmp_path / "scores.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["import-scores", judged.slug, str(path)])
    assert result.exit_code == 0, result.output
    check("imported")
    _score_and_submit(j3, judged, n[0], {"C1": "4", "C2": "4", "C3": "4"})
    check("j3 submits n0 after the import")
    reopen = f"/manage/contests/{judged.slug}/scoresheets/{{}}/reopen"
    reason = {"reason": "Перевірити оцінку з паперу."}
    with app.app_context():
        paper = db.session.scalar(select(User.id).where(User.email == "paper.juror@jury.example"))
    for juror, number in ((paper, n[2]), (jurors[2], n[3])):
        assert (
            organiser.submit(reopen.format(_sheet_id(app, juror, number)), reason).status_code
            == 302
        )
        check(f"imported sheet {number} reopened")
    result = runner.invoke(args=["import-scores", judged.slug, str(path)])
    assert result.exit_code == 0, result.output
    check("imported again")


def test_the_jury_shrinking_and_growing_around_sheet_writes_ranks_as_a_fresh_read(
    app, build, make_app
):
    """The quorum is capped by the jury's size: removing an idle member ranks more
    applications, adding one back ranks fewer; sheet writes in between are brought up to
    date from readings made after each change."""
    jurors, judged = _arrange(app, build, quorum=4)
    idle = build.user(Role.JUROR, email="idle.juror@example.org", name="Бездіяльна")
    with app.app_context():
        db.session.add(JuryMember(contest_id=judged.contest_id, user_id=idle))
        db.session.commit()
    n = judged.numbers
    organiser = _as(app, ORG)
    j3 = _as(app, JURORS[2])
    steps = []

    def check(step):
        steps.append(step)
        assert _seen(organiser, judged.slug) == _fresh(make_app, judged.slug), steps

    check("first view")
    _score_and_submit(j3, judged, n[0], {"C1": "4", "C2": "4", "C3": "4"})
    check("j3 submits n0")
    remove = f"/manage/contests/{judged.slug}/jury/{idle}/remove"
    assert organiser.submit(remove).status_code == 302
    check("idle juror removed")
    _score_and_submit(j3, judged, n[3], {"C1": "9", "C2": "9", "C3": "4"})
    check("j3 submits n3")
    added = organiser.submit(
        f"/manage/contests/{judged.slug}/jury", {"email": "idle.juror@example.org"}
    )
    assert added.status_code == 302, added.get_data(as_text=True)[:2000]
    check("idle juror added back")
    reopen = f"/manage/contests/{judged.slug}/scoresheets/{{}}/reopen"
    sheet = _sheet_id(app, jurors[2], n[0])
    assert organiser.submit(reopen.format(sheet), {"reason": "Ще раз."}).status_code == 302
    check("j3 n0 reopened")


def test_many_submissions_and_reopenings_racing_the_organisers_views(app, build, make_app):
    jurors = [build.user(Role.JUROR, email=e, name=f"Суддя {i}") for i, e in enumerate(JURORS, 1)]
    organiser = build.user(Role.ORGANISER, email=ORG)
    judged = judged_contest(app, build, jurors, count=8)
    organised_by(app, judged.contest_id, organiser)
    c = judged.criteria
    for j, juror in enumerate(jurors):
        for i, number in enumerate(judged.numbers):
            points = {c["C1"]: str((i * 7 + j * 3) % 11), c["C2"]: str((i + 2 * j) % 11),
                      c["C3"]: str(((i + j) % 11) / 2)}  # fmt: skip
            done = j == 0 or (j == 1 and i < 4)
            set_sheet(app, juror, number, points=points,
                      state=SheetState.SUBMITTED if done else SheetState.DRAFT)  # fmt: skip
    viewer = _as(app, ORG)
    writers = [_as(app, e) for e in JURORS[1:]]
    reopener = _as(app, ORG)
    assert _seen(viewer, judged.slug) == _fresh(make_app, judged.slug)
    tokens = [w.csrf_token() for w in writers]
    reopen_token = reopener.csrf_token()
    sheets = [_sheet_id(app, jurors[0], number) for number in judged.numbers]
    barrier, codes = threading.Barrier(4), []

    def submit(client, token, numbers):
        barrier.wait()
        for number in numbers:
            url = judged.url(number, "/submit")
            codes.append(client.post(url, data={"csrf_token": token}).status_code)

    def reopen():
        barrier.wait()
        for sheet in sheets[::2]:
            url = f"/manage/contests/{judged.slug}/scoresheets/{sheet}/reopen"
            data = {"csrf_token": reopen_token, "reason": "Гонка."}
            codes.append(reopener.post(url, data=data).status_code)

    def view():
        barrier.wait()
        for _ in range(12):
            codes.append(viewer.get(f"/manage/contests/{judged.slug}/ranking").status_code)

    threads = [
        threading.Thread(target=submit, args=(writers[0], tokens[0], judged.numbers[4:])),
        threading.Thread(target=submit, args=(writers[1], tokens[1], judged.numbers)),
        threading.Thread(target=reopen),
        threading.Thread(target=view),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(codes)) == [200, 302], codes
    assert _seen(viewer, judged.slug) == _fresh(make_app, judged.slug)
