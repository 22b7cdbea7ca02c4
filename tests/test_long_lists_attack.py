"""Outside attack on the paged lists (scoring/paging.py) and the ranking page's ``?page=``."""

import re

import pytest
from sqlalchemy import delete, select, update

from scoring.extensions import db
from scoring.models import Application, Conflict, Role, Scoresheet, SheetState
from tests._databases import counted
from tests._judging import judged_contest, organised_by
from tests.test_pagecache import ORGANISER, _ranked

# Shapes of ``?page=`` a link, a bot or a hand may send: none may give a 500.
PAGES = [
    "abc",
    "-3",
    "0",
    "99999999999999999999",
    "1e3",
    " 2",
    "２",
    "٣",
    "²",
    "³",
    "⑦",
    "١٢",
    "2.5",
]


@pytest.mark.parametrize("page", PAGES)
def test_the_ranking_page_answers_any_page_number(app, build, client, page):
    """The organiser's ranking page reads ``?page=`` by ``str.isdigit``: '²' and '⑦'
    are digits to it but not to ``int`` — a ValueError, a 500."""
    _juror, judged, _full = _ranked(app, build)
    client.login(ORGANISER)
    response = client.get(f"/manage/contests/{judged.slug}/ranking", query_string={"page": page})
    assert response.status_code == 200, page


@pytest.mark.parametrize("page", PAGES)
def test_the_paged_lists_answer_any_page_number(app, build, client, page):
    juror = build.user(Role.JUROR, email="pj@example.org")
    organiser = build.user(Role.ORGANISER, email="po@example.org")
    judged = judged_contest(app, build, [juror], count=3)
    organised_by(app, judged.contest_id, organiser)
    client.login("pj@example.org")
    assert client.get(judged.url(), query_string={"page": page}).status_code == 200
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    client.login("po@example.org")
    for url in (
        f"/manage/contests/{judged.slug}/people",
        f"/manage/contests/{judged.slug}/applications",
    ):
        assert client.get(url, query_string={"page": page}).status_code in (200,), (url, page)


def _numbers(page: str) -> list[str]:
    items = page.partition('<ol class="list-group assignments">')[2].partition("</ol>")[0]
    return re.findall(r'data-status="([a-z_]+)">\s*<div class="text-break">\s*'
                      r"(?:<a[^>]*>|<span[^>]*>)([A-Z0-9-]+)<", items)  # fmt: skip


def test_the_jurors_filtered_pages_hold_the_whole_filtered_list_and_nobody_elses(
    app, build, client
):
    j1 = build.user(Role.JUROR, email="pj1@example.org")
    j2 = build.user(Role.JUROR, email="pj2@example.org")
    judged = judged_contest(app, build, [j1, j2], count=120)
    other = judged_contest(app, build, [j1, j2], count=3, slug="inshyi-2026")
    mine = judged.numbers[:]
    with app.app_context():  # j1: 65 submitted, the rest untouched; j2 has none of the last 20
        db.session.execute(
            update(Scoresheet)
            .where(Scoresheet.juror_id == j1, Scoresheet.application_id.in_(
                select(Application.id).where(Application.number.in_(mine[:65]))))
            .values(conflict=Conflict.NONE, state=SheetState.SUBMITTED)
        )  # fmt: skip
        db.session.execute(
            delete(Scoresheet).where(Scoresheet.juror_id == j1, Scoresheet.application_id.in_(
                select(Application.id).where(Application.number.in_(mine[100:]))))
        )  # fmt: skip
        db.session.commit()
    client.login("pj1@example.org")
    seen, links = [], set()
    for page in (1, 2, 3):
        html = client.get(judged.url(), query_string={"status": "submitted", "page": page})
        html = html.get_data(as_text=True)
        seen += _numbers(html)
        links |= set(re.findall(r'href="([^"]*page=\d[^"]*)"', html))
    assert {s for s, _n in seen} == {"submitted"}
    assert sorted(n for _s, n in seen[:65]) == sorted(mine[:65]) and len(seen) == 65 + 15
    assert links and all("status=submitted" in link for link in links), links
    everything = []
    for page in (1, 2):
        html = client.get(judged.url(), query_string={"page": page}).get_data(as_text=True)
        everything += _numbers(html)
    assert [s for s, _n in everything[:35]] == ["not_started"] * 35  # to score first
    assert sorted(n for _s, n in everything) == sorted(mine[:100])
    assert not set(other.numbers) & {n for _s, n in everything}
    assert "(100)" in html and "(65)" in html  # the counts are of the whole list


def _applications_queries(app, build, client, count: int, slug: str, email: str) -> int:
    organiser = build.user(Role.ORGANISER, email=email)
    judged = judged_contest(app, build, [], count=count, slug=slug)
    organised_by(app, judged.contest_id, organiser)
    client.login(email)
    url = f"/manage/contests/{slug}/applications"
    assert client.get(url).status_code == 200
    with counted(app) as statements:
        html = client.get(url).get_data(as_text=True)
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    assert html.count("UCH-2026-") >= min(count, 50)
    return statements[0]


def test_the_applications_list_issues_as_many_queries_for_5_as_for_120(app, build, client):
    few = _applications_queries(app, build, client, 5, "malyi-2026", "few@example.org")
    many = _applications_queries(app, build, client, 120, "velykyi-2026", "many@example.org")
    assert many <= few + 2, (few, many)  # +2: the count and a past-the-end check at most


def test_a_blind_contests_juror_pages_never_name_the_applicant(app, build, client):
    juror = build.user(Role.JUROR, email="blind.j@example.org")
    judged = judged_contest(app, build, [juror], count=60, blind=True)
    with app.app_context():
        names = db.session.execute(
            select(Application.applicant_name, Application.applicant_community).where(
                Application.contest_id == judged.contest_id
            )
        ).all()
    hidden = {v for row in names for v in row if v} | {"Таємниця", "Прихована"}
    client.login("blind.j@example.org")
    for query in (
        {},
        {"page": 2},
        {"status": "not_started", "page": 2},
        {"after": judged.numbers[3]},
    ):
        html = client.get(judged.url(), query_string=query).get_data(as_text=True)
        assert _numbers(html)
        assert not [v for v in hidden if v in html], query


def test_the_applications_filters_survive_the_page_links(app, build, client):
    organiser = build.user(Role.ORGANISER, email="filters@example.org")
    judged = judged_contest(app, build, [], count=130)
    organised_by(app, judged.contest_id, organiser)
    client.login("filters@example.org")
    url = f"/manage/contests/{judged.slug}/applications"
    query = {"q": "таємниця", "state": "admitted", "oblast": "UA-14"}
    seen, links = [], set()
    for page in (1, 2, 3, 4):
        html = client.get(url, query_string={**query, "page": page}).get_data(as_text=True)
        seen += re.findall(r"UCH-2026-\d+", html.partition("<table")[2].partition("</table>")[0])
        links |= {
            link.replace("&amp;", "&")
            for link in re.findall(r'href="([^"]*[?&]page=\d[^"]*)"', html)
        }
    assert len(set(seen)) == 130 and set(seen) == set(judged.numbers)
    assert links and all(
        "state=admitted" in link and "oblast=UA-14" in link and "q=" in link for link in links
    ), links


@pytest.mark.parametrize(
    "query",
    [
        {"show": "zzz", "oblast": "UA-99", "category": "nope", "q": "x" * 5000},
        {"q": "\x00", "page": "2"},
        {"show": ["winners", "all"], "page": ["2", "x"]},
        {"page": "1" * 6},
        {"page": "٠٠٠٠٠٢"},
        {"stability": "1", "page": "-1"},
    ],
)
def test_the_ranking_page_answers_any_filter_and_page(app, build, client, query):
    _juror, judged, _full = _ranked(app, build)
    client.login(ORGANISER)
    response = client.get(f"/manage/contests/{judged.slug}/ranking", query_string=query)
    assert response.status_code in (200, 400), query  # 400: a NUL refused as bad input
    csv = client.get(f"/manage/contests/{judged.slug}/ranking.csv", query_string=query)
    assert csv.status_code in (200, 400), query
