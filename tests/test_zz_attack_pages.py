"""Outside attack on the paged lists (scoring/paging.py) and the ranking page's ``?page=``."""

import pytest

from scoring.models import Role
from tests._judging import judged_contest, organised_by
from tests.test_pagecache import ORGANISER, _ranked

# Shapes of ``?page=`` a link, a bot or a hand may send: none may give a 500.
PAGES = ["abc", "-3", "0", "99999999999999999999", "1e3", " 2", "２", "٣", "²", "³", "⑦", "١٢", "2.5"]


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
    for url in (f"/manage/contests/{judged.slug}/people", f"/manage/contests/{judged.slug}/applications"):
        assert client.get(url, query_string={"page": page}).status_code in (200,), (url, page)
