"""The public results page of a long ranking (issue 17): a page at a time with the winners
on the first, a search that finds an applicant's own row, made once for every visitor
and asked again with its ETag, never one person's page given to another, nothing of a
contest that is not (or no longer) published.

Told on the demo contest published (12 ranked applications, 5 winning places), shown
5 rows a page here (100 on the site).
"""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select
from werkzeug.datastructures import MultiDict

from scoring import clock
from scoring.csrftokens import unmask
from scoring.extensions import db
from scoring.models import Contest, Decision, Stage, User
from scoring.results import disclosure, public_views

from ._meeting import record_meeting
from .test_results import (
    ORGANISER,
    _bulk_contest,
    _decide_tie,
    _english,
    _move,
    _publish,
    _set,
    _text,
)

ROW = re.compile(r'<td class="text-nowrap" data-label="Номер">([A-Z]+\d*-\d{4}-\d{3,4})</td>')


@pytest.fixture
def judged(app, demo_loaded):
    """The demo's judged contest, its jury's meeting entered; its slug."""
    with app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.stage == Stage.JUDGING))
        record_meeting(contest, attendance=False)
        db.session.commit()
        return contest.slug


@pytest.fixture
def published(client, app, judged, monkeypatch):
    """The demo contest published by its organiser (``client``, signed in, in English);
    its slug, with the ranking shown 5 rows a page."""
    monkeypatch.setattr(public_views, "PER_PAGE", 5)
    _english(client)
    _publish(client, app, judged)
    return judged


def _ranking(html: str, prefix: str = "") -> list[str]:
    """The numbers in the full ranking's table(s) of a page, in order."""
    start = html.find('id="ranking"')
    found = ROW.findall(html[start:]) if start >= 0 else []
    return [number for number in found if number.startswith(prefix)]


def _winners(html: str) -> list[str]:
    start = html.find('id="ranking"')
    return ROW.findall(html[: start if start >= 0 else len(html)])


def _token(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def _session_of(html: str) -> str:
    """The session a page's form token belongs to (Flask-WTF's token, before its time)."""
    return unmask(_token(html)).split(".")[0]


def _get(visitor, url: str):
    response = visitor.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def test_the_ranking_is_shown_a_page_at_a_time_with_the_winners_on_the_first(app, published):
    slug, visitor = published, app.test_client()
    url = f"/contests/{slug}/results"
    api = visitor.get(f"/api/contests/{slug}/results").get_json()
    ranked = [row["number"] for row in api["ranking"]]
    winners = [row["number"] for row in api["ranking"] if row["winner"]]
    assert len(ranked) == 12 and len(winners) == 5

    pages = [_get(visitor, f"{url}?page={n}" if n > 1 else url).text for n in (1, 2, 3)]
    shown = [_ranking(page) for page in pages]
    assert [len(rows) for rows in shown] == [5, 5, 2]
    assert not set(shown[1]) & set(shown[0])  # page 2 has rows page 1 has not
    assert sum(shown, []) == ranked  # every ranked application once, in ranking order
    # The winners, the rules and the decisions on the first page only.
    assert sorted(_winners(pages[0])) == sorted(winners)
    assert "Переможці" in _text(pages[0]) and "Рішення комісії" in _text(pages[0])
    assert _winners(pages[1]) == [] and "Рішення комісії" not in _text(pages[1])
    assert f'href="/contests/{slug}/results">Переможці, правила та рішення комісії' in pages[1]
    # The pager: where it is, and the way to the next and previous pages.
    assert "Заявки 6–10 з 12" in _text(pages[1]) and "Сторінка 2 з 3" in _text(pages[1])
    assert f'href="{url}?page=3" rel="next"' in pages[1]
    assert f'href="{url}" rel="prev"' in pages[1]
    assert 'rel="prev"' not in pages[0] and 'rel="next"' not in pages[2]


def test_a_search_finds_an_applicants_own_row(app, published):
    slug, visitor = published, app.test_client()
    url = f"/contests/{slug}/results"
    api = visitor.get(f"/api/contests/{slug}/results").get_json()
    last = api["ranking"][-1]  # on the last page, not the first

    page = _get(visitor, f"{url}?q={last['number'][-8:]}").text  # by a part of the number
    assert _ranking(page) == [last["number"]]
    assert f"За запитом «{last['number'][-8:]}» знайдено 1 заявку." in _text(page)
    assert f'value="{last["number"][-8:]}"' in page  # the search stays in its field
    assert _winners(page) == []  # the found row, not the winners above it
    assert "Знайдені заявки" in page and "Усі заявки в рейтингу" not in page

    # By the applicant's name, whatever the case and the kind of apostrophe or quotes.
    name = last["organisation"]
    typed = name.upper().replace("’", "'").replace("«", '"').replace("»", '"')
    page = _get(visitor, f"{url}?q={typed}").text
    assert last["number"] in _ranking(page)
    assert all(
        name.casefold() in row["organisation"].casefold()
        for row in api["ranking"]
        if row["number"] in _ranking(page)
    )

    page = _get(visitor, f"{url}?q=Такої заявки немає").text
    assert _ranking(page) == []
    assert "За запитом «Такої заявки немає» знайдено 0 заявок." in _text(page)
    assert f'href="{url}#ranking">Увесь рейтинг' in page

    # A search with more rows than a page: its pages keep the search.
    page = _get(visitor, f"{url}?q=UUG").text
    assert len(_ranking(page)) == 5 and "знайдено 12 заявок" in _text(page)
    assert f'href="{url}?page=2&amp;q=UUG" rel="next"' in page
    assert len(_ranking(_get(visitor, f"{url}?page=3&q=UUG").text)) == 2


@pytest.mark.parametrize(
    ("asked", "shown", "rows"),
    [
        ("0", 1, 5),
        ("-1", 1, 5),
        ("x", 1, 5),
        ("2.5", 1, 5),
        ("１", 1, 5),  # a full-width digit: not a page number either
        ("4", 3, 2),  # past the end: the last page
        ("9" * 40, 3, 2),
    ],
)
def test_a_page_that_does_not_exist_is_said_so_on_a_page_that_does(
    app, published, asked, shown, rows
):
    response = app.test_client().get(f"/contests/{published}/results?page={asked}")
    assert response.status_code == 200
    page = response.text
    assert len(_ranking(page)) == rows
    said = re.search(r'id="missing-page">([^<]*)<', page).group(1)
    assert said.startswith(f"Сторінки «{asked[:17]}")  # a long one cut with «…»
    assert said.endswith(f"у результатах немає: ось сторінка {shown} з 3.")
    assert len(said) < 120


def test_an_unchanged_page_is_a_304_and_a_changed_one_comes_back_whole(app, published):
    slug, visitor = published, app.test_client()
    url = f"/contests/{slug}/results"
    for encoding in ("identity", "br, gzip"):  # as compressed for a browser too
        first = visitor.get(url, headers={"Accept-Encoding": encoding})
        assert first.status_code == 200
        assert first.headers["Cache-Control"] == "private, no-cache"
        assert "Cookie" in first.headers["Vary"]
        etag = first.headers["ETag"]
        again = visitor.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b""
    etag = visitor.get(url).headers["ETag"]
    # The page number, the search and the language are in the ETag.
    for other in (f"{url}?page=2", f"{url}?q=UUG"):
        assert visitor.get(other, headers={"If-None-Match": etag}).status_code == 200
    english = app.test_client()
    english.submit("/language", {"language": "en", "next": "/"})
    assert english.get(url, headers={"If-None-Match": etag}).status_code == 200

    # The full ranking withdrawn: the whole page again, without the ranking.
    assert "Маріупольська міська рада" in visitor.get(url).text
    _set(app, slug, results_full_ranking=False)
    changed = visitor.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "Маріупольська міська рада" not in changed.text and _ranking(changed.text) == []
    assert len(_winners(changed.text)) == 5


def test_a_reopened_contest_shows_nothing_then_its_new_results_at_once(client, app, published):
    """A reopening (the stage an upheld appeal returns to): every validator gets a 404
    with nothing kept; the commission decides the tie again and publishes, and the
    page kept before is not served again."""
    slug, visitor = published, app.test_client()
    url = f"/contests/{slug}/results"
    before = visitor.get(url)
    etag = before.headers["ETag"]
    assert "Голосування комісії: 4 проти 3." in before.text

    _set(app, slug, stage=Stage.DELIBERATION)
    for validator in (etag, "*"):
        gone = visitor.get(url, headers={"If-None-Match": validator})
        assert gone.status_code == 404 and "ETag" not in gone.headers
        assert gone.headers["Cache-Control"] == "private, no-store"
        assert "Маріупольська міська рада" not in gone.text
    assert visitor.get(f"{url}?page=2").status_code == 404

    with app.app_context():
        decision_id = db.session.scalar(select(Decision.id))
    revoke = f"/manage/contests/{slug}/decisions/{decision_id}/revoke"
    assert client.submit(revoke, {"reason": "Апеляцію задоволено."}).status_code == 302
    assert _decide_tie(client, app, slug, "004", "Повторне голосування: за 004.").status_code == 302
    _move(client, slug, "published")

    after = visitor.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert "Повторне голосування: за 004." in after.text
    assert "Голосування комісії: 4 проти 3." not in after.text


def test_a_signed_in_persons_page_is_never_anothers_and_everyone_shares_the_results(
    client, app, published, monkeypatch
):
    """The organiser's page carries their name and their session's form token; a
    visitor after them gets their own page (no name, their own token, another ETag),
    while the results in it are made once for both."""
    slug = published
    url = f"/contests/{slug}/results"
    made = []
    real = disclosure.public_results
    monkeypatch.setattr(
        disclosure, "public_results", lambda *a, **k: made.append(1) or real(*a, **k)
    )
    with app.app_context():
        name = db.session.scalar(select(User.name).where(User.email == ORGANISER))
    mine = client.get(url)
    assert mine.status_code == 200 and name in mine.text and "Log out" in mine.text
    visitor = app.test_client()
    theirs = visitor.get(url)
    assert theirs.status_code == 200
    assert name not in theirs.text and "Вийти" not in theirs.text
    assert _session_of(theirs.text) != _session_of(mine.text)  # their own form token
    assert theirs.headers["ETag"] != mine.headers["ETag"]
    # Another session's ETag is not this one's page: the whole page, with its own token.
    other = app.test_client().get(url, headers={"If-None-Match": theirs.headers["ETag"]})
    assert other.status_code == 200
    # The organiser's language (English) and the visitor's (Ukrainian): made once each,
    # then kept for everyone; a visitor's token on a page told unchanged still works.
    assert len(made) == 2
    assert app.test_client().get(url).status_code == 200 and len(made) == 2
    assert visitor.get(url, headers={"If-None-Match": theirs.headers["ETag"]}).status_code == 304
    switched = visitor.post(
        "/language", data={"csrf_token": _token(theirs.text), "language": "en", "next": url}
    )
    assert switched.status_code == 302
    assert "Full ranking" in visitor.get(url).text


def test_nothing_of_a_contest_not_published_is_kept_or_told(app, judged):
    """Before publication the page and the API are a 404 to every validator, kept by no
    cache, and say nothing."""
    visitor = app.test_client()
    url = f"/contests/{judged}/results"
    for headers in ({}, {"If-None-Match": "*"}, {"If-None-Match": '"x"'}):
        for asked in (url, url + "?page=2&q=UUG", f"/api/contests/{judged}/results"):
            response = visitor.get(asked, headers=headers)
            assert response.status_code == 404 and "ETag" not in response.headers
            # Kept by no cache: once published, the results show at once.
            assert response.headers["Cache-Control"] == "private, no-store"
            assert "UUG-" not in response.text


def _queries(app, visitor, url: str) -> tuple[int, str]:
    """The statements one visit sends to the database, and the page."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = visitor.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements), response.text


def test_the_page_queries_and_weighs_the_same_for_20_and_200_applications(app, build, monkeypatch):
    monkeypatch.setattr(public_views, "PER_PAGE", 8)
    made, kept, sizes = {}, {}, {}
    for size in (20, 200):
        slug = _bulk_contest(app, build, size)
        _set(app, slug, stage=Stage.PUBLISHED, published_at=clock.now())
        url = f"/contests/{slug}/results?page=2"
        made[size], page = _queries(app, app.test_client(), url)
        assert len(_ranking(page, "B")) == 8
        sizes[size] = len(page.encode())
        kept[size], again = _queries(app, app.test_client(), url)  # another visitor
        assert _ranking(again, "B") == _ranking(page, "B")
    assert made[20] == made[200] and kept[20] == kept[200]
    # The page does not grow with the ranking: longer numbers and a few more page links,
    # never the 180 rows more (some 300 bytes each).
    assert sizes[200] - sizes[20] < 2_000, sizes
    assert kept[200] < made[200] and kept[200] <= 4, kept


def test_any_page_and_search_give_a_page_never_an_error(app, published):
    """Whatever the page number and the search (any Unicode, control characters, huge
    numbers, doubled parameters): a page of the results, or the request refused (400)."""
    visitor = app.test_client()
    url = f"/contests/{published}/results"
    values = st.text(max_size=30) | st.integers(-(10**30), 10**30).map(str)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(st.sampled_from(["page", "q"]), values), max_size=3))
    def run(query):
        response = visitor.get(url, query_string=MultiDict(query))
        assert response.status_code in (200, 400), (query, response.status_code)
        if response.status_code == 200:
            assert "Повний рейтинг" in response.text and "Результати" in response.text

    run()
