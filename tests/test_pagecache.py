"""Heavy pages served again from the cache (scoring/pagecache.py) — and never stale."""

import gzip
import io
import logging
import re

import brotli
import pytest
from openpyxl import load_workbook
from sqlalchemy import event, insert, select
from sqlalchemy.exc import IntegrityError

from scoring import audit, ranking
from scoring.extensions import db
from scoring.models import Application, Contest, Role, Scoresheet, SheetState, User
from scoring.pagecache import PageCache
from scoring.results import deliberation, loading
from tests._databases import counted
from tests._judging import autosave, judged_contest, page_csrf, set_sheet
from tests.test_documents import Document

JUROR = "cached.juror@example.org"
ORGANISER = "cached.organiser@example.org"


def _sheet(app, build):
    juror = build.user(Role.JUROR, email=JUROR, name="Оксана Кешована")
    judged = judged_contest(app, build, [juror], count=2)
    set_sheet(app, juror, judged.numbers[0])  # no conflict declared, a draft
    return juror, judged


def test_a_scoresheet_is_served_again_until_the_juror_saves(app, build, client):
    _juror, judged = _sheet(app, build)
    url = judged.url(judged.numbers[0])
    client.login(JUROR)
    first = client.get(url).get_data(as_text=True)
    with counted(app) as again:
        second = client.get(url).get_data(as_text=True)
    assert second == first
    assert again[0] <= 3, again  # the person, the state of the database; no page queries

    token = page_csrf(client, url)
    c1 = judged.criteria["C1"]
    saved = autosave(client, judged, judged.numbers[0], {"points": {str(c1): "7"}}, token)
    assert saved.status_code == 200
    page = client.get(url).get_data(as_text=True)
    assert f'id="points_{c1}"' in page and 'value="7"' in page
    assert 'value="7"' not in first


def test_a_kept_page_gives_the_pool_back_connections_that_open_transactions(
    app, build, client
):
    """The page cache's query runs on PostgreSQL without a transaction (no BEGIN, no
    ROLLBACK); the connection goes back to the pool as the pool gave it out, so the next
    request's writes are again one transaction that a failure rolls back whole."""
    _juror, judged = _sheet(app, build)
    url = judged.url(judged.numbers[0])
    client.login(JUROR)
    assert client.get(url).status_code == 200
    with app.app_context():
        engine = db.engine
    returned = []

    def checkin(dbapi_connection, _record):
        returned.append(getattr(dbapi_connection, "autocommit", False))

    event.listen(engine, "checkin", checkin)
    try:
        with counted(app) as again:
            assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "checkin", checkin)
    assert again[0] == 0  # served from the cache: only the driver-level query ran
    assert returned and not any(returned), returned
    # Writes after it are still all or nothing: a failed statement undoes the one before.
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == JUROR))
        user.name = "Змінене ім’я"
        db.session.flush()
        with pytest.raises(IntegrityError):
            db.session.execute(insert(User).values(id=user.id))
        db.session.rollback()
        assert db.session.scalar(select(User.name).where(User.email == JUROR)) != "Змінене ім’я"


def test_a_juror_taken_off_the_application_is_refused_at_once(app, build, client):
    juror, judged = _sheet(app, build)
    url = judged.url(judged.numbers[0])
    client.login(JUROR)
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # now from the cache
    token = page_csrf(client, url)
    recused = client.post(
        judged.url(judged.numbers[0], "/recuse"),
        data={"csrf_token": token, "declaration": "Я член правління цієї організації."},
    )
    assert recused.status_code == 302
    assert client.get(url).status_code in (302, 404)


def test_another_person_never_gets_someone_elses_cached_page(app, build, client):
    juror, judged = _sheet(app, build)
    other = build.user(Role.JUROR, email="other.juror@example.org")
    url = judged.url(judged.numbers[0])
    client.login(JUROR)
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    client.login("other.juror@example.org")
    assert other and client.get(url).status_code == 404


def test_a_message_shown_once_is_not_served_again(app, build, client):
    _juror, judged = _sheet(app, build)
    number = judged.numbers[0]
    url = judged.url(number)
    client.login(JUROR)
    c1 = judged.criteria["C1"]
    saved = client.submit(url, {f"points_{c1}": "4", "save": "1"}, follow_redirects=True)
    assert saved.status_code == 200
    shown = saved.get_data(as_text=True)
    assert "alert-success" in shown
    again = client.get(url).get_data(as_text=True)
    assert "alert-success" not in again and 'value="4"' in again


def _ranked(app, build):
    """``_sheet``'s contest, its other sheets submitted, with an organiser: the juror,
    the contest and the points of a full sheet (21,50 in all)."""
    juror, judged = _sheet(app, build)
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    with app.app_context():
        contest = db.session.get(Contest, judged.contest_id)
        contest.organisers.append(db.session.get(User, organiser))
        db.session.commit()
    c = judged.criteria
    full = {c["C1"]: "8", c["C2"]: "6", c["C3"]: "4.5"}
    for number in judged.numbers[1:]:
        set_sheet(app, juror, number, points=full, state=SheetState.SUBMITTED)
    return juror, judged, full


def test_the_ranking_changes_as_soon_as_a_score_does(app, build, client):
    _juror, judged, full = _ranked(app, build)
    client.login(ORGANISER)
    ranking = f"/manage/contests/{judged.slug}/ranking"
    before = client.get(ranking).get_data(as_text=True)
    with counted(app) as again:
        assert client.get(ranking).get_data(as_text=True) == before
    assert again[0] <= 3, again
    client.post("/logout", data={"csrf_token": client.csrf_token()})

    client.login(JUROR)
    url = judged.url(judged.numbers[0])
    token = page_csrf(client, url)
    points = {str(k): v for k, v in full.items()}
    assert autosave(client, judged, judged.numbers[0], {"points": points}, token).status_code == 200
    assert client.submit(judged.url(judged.numbers[0], "/submit")).status_code == 302
    client.post("/logout", data={"csrf_token": client.csrf_token()})

    client.login(ORGANISER)
    after = client.get(ranking).get_data(as_text=True)
    ranked = re.compile(rf'{judged.numbers[0]}</th>((?!</tr>).)*fw-semibold">21,50</td>', re.S)
    assert ranked.search(after) and not ranked.search(before)


def test_a_draft_saved_leaves_the_ranking_as_read_and_a_submission_ranks_anew(
    app, build, client, monkeypatch
):
    """Jurors' drafts count in no ranking: after a draft is saved the ranking page is
    rendered anew, from the sheets read and the ranking computed before. A submission or
    a reopening ranks again, with that sheet read again alone; any other write of the
    contest (a change of its settings) reads the whole contest and ranks again."""
    _juror, judged, full = _ranked(app, build)
    with app.app_context():  # the contest's history (its creation, in the app)
        audit.record("contest.created", contest=db.session.get(Contest, judged.contest_id))
        db.session.commit()
    done = {"read": 0, "ranked": 0}

    def counting(name, real):
        def call(*args):
            done[name] += 1
            return real(*args)

        return call

    monkeypatch.setattr(loading, "_read", counting("read", loading._read))
    monkeypatch.setattr(ranking, "rank_fitting", counting("ranked", ranking.rank_fitting))
    monkeypatch.setattr(deliberation, "STABILITY_BUDGET", 0)  # its rankings of changed inputs aside
    ranking_url = f"/manage/contests/{judged.slug}/ranking"
    ranked = re.compile(rf'{judged.numbers[0]}</th>((?!</tr>).)*fw-semibold">21,50</td>', re.S)

    def organiser_sees() -> str:
        """The ranking's table as the organiser sees it (the page's tokens aside)."""
        client.login(ORGANISER)
        page = client.get(ranking_url).get_data(as_text=True)
        client.post("/logout", data={"csrf_token": client.csrf_token()})
        return re.search(r"<tbody>.*</tbody>", page, re.S).group(0)

    before = organiser_sees()
    assert done == {"read": 1, "ranked": 1} and not ranked.search(before)

    client.login(JUROR)
    sheet = judged.url(judged.numbers[0])
    token = page_csrf(client, sheet)
    points = {str(k): v for k, v in full.items()}
    body = {"points": points, "comments": {str(judged.criteria["C1"]): "Добре"}}
    assert autosave(client, judged, judged.numbers[0], body, token).status_code == 200
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    with counted(app) as rendered:
        assert organiser_sees() == before
    assert rendered[0] > 6, rendered  # not the kept page: rendered anew after the write
    assert done == {"read": 1, "ranked": 1}  # but from the sheets and ranking kept

    client.login(JUROR)
    assert client.submit(judged.url(judged.numbers[0], "/submit")).status_code == 302
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    after = organiser_sees()
    # Ranked anew, from the kept reading with the submitted sheet read again alone.
    assert done == {"read": 1, "ranked": 2} and ranked.search(after)

    with app.app_context():  # any other write of the contest: read and ranked again
        audit.record("contest.updated", contest=db.session.get(Contest, judged.contest_id))
        db.session.commit()
    assert organiser_sees() == after and done == {"read": 2, "ranked": 3}

    # Reopened, the sheet is a draft again: it leaves the ranking at once.
    with app.app_context():
        sheet_id = db.session.scalar(
            select(Scoresheet.id).join(Application).where(Application.number == judged.numbers[0])
        )
    client.login(ORGANISER)
    reopen = f"/manage/contests/{judged.slug}/scoresheets/{sheet_id}/reopen"
    assert client.submit(reopen, {"reason": "Оцінку за C2 треба переглянути."}).status_code == 302
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    assert organiser_sees() == before and done == {"read": 2, "ranked": 4}


def _ranking_everywhere(client, slug: str) -> dict:
    """The ranking as the organiser gets it: the page (below its messages, its tokens
    aside: the table, the jurors' leniency, the charts), the CSV, the workbook's ranking
    sheet and the protocol's section on the ranking."""
    base = f"/manage/contests/{slug}"
    page = client.get(base + "/ranking").get_data(as_text=True)
    page = re.sub(r'name="csrf_token" value="[^"]+"', "", page.split("<h1", 1)[1])
    book = load_workbook(io.BytesIO(client.get(base + "/ranking.xlsx").data), read_only=True)
    protocol = Document(client.get(base + "/protocol.pdf").get_data()).flat
    return {
        "page": page.split("</main>")[0],
        "csv": client.get(base + "/ranking.csv").get_data(as_text=True),
        "xlsx": list(book.worksheets[0].iter_rows(values_only=True)),
        "protocol": re.search(r"про рейтинг заявок.*Рівність балів і рішення", protocol).group(0),
    }


def test_a_submission_and_a_reopening_rank_anew_on_the_page_the_exports_and_the_protocol(
    app, build, client, monkeypatch
):
    """A juror's submission and an organiser's reopening change the ranking at once
    wherever it shows — the page, the CSV and XLSX exports, the protocol — although only
    the sheet written is read again (not the contest's every score): each shows what a
    reading of the whole contest shows."""
    _juror, judged, _full = _ranked(app, build)
    first, second = judged.numbers
    with app.app_context():  # the contest's history (its creation, in the app)
        audit.record("contest.created", contest=db.session.get(Contest, judged.contest_id))
        db.session.commit()
    real_read, reads = loading._read, []

    def read(*args):
        reads.append(args)
        return real_read(*args)

    monkeypatch.setattr(loading, "_read", read)
    organiser = app.test_client()
    organiser.login(ORGANISER)
    before = _ranking_everywhere(organiser, judged.slug)
    assert len(reads) == 1
    assert "Поза рейтингом" in before["protocol"] and f"1,{second}," in before["csv"]

    client.login(JUROR)
    url = judged.url(first)
    token = page_csrf(client, url)
    c = judged.criteria
    points = {str(c["C1"]): "10", str(c["C2"]): "10", str(c["C3"]): "5"}  # 30 of 30
    assert autosave(client, judged, first, {"points": points}, token).status_code == 200
    assert client.submit(judged.url(first, "/submit")).status_code == 302

    after = _ranking_everywhere(organiser, judged.slug)
    assert len(reads) == 1  # brought up to date: the submitted sheet read alone
    assert f"1,{first},ГО «Таємниця uchast-2026 1»,Донецька область,30.00,1,30.00" in after["csv"]
    assert f"2,{second}," in after["csv"]
    assert after["xlsx"][1][:6] == (1, first, "ГО «Таємниця uchast-2026 1»",
                                    "Донецька область", 30, 1)  # fmt: skip
    assert f"1 {first} ГО «Таємниця uchast-2026 1» Донецька область 30,00 1" in after["protocol"]
    assert "Поза рейтингом" not in after["protocol"]
    assert re.search(rf'{first}</th>((?!</tr>).)*fw-semibold">30,00</td>', after["page"], re.S)
    # What a reading of the whole contest gives, rendered anew.
    app.extensions["kept_rankings"].items.clear()
    app.extensions["page_cache"] = PageCache(app.extensions["page_cache"].limit)
    assert _ranking_everywhere(organiser, judged.slug) == after and len(reads) == 2

    with app.app_context():
        sheet_id = db.session.scalar(
            select(Scoresheet.id).join(Application).where(Application.number == first)
        )
    reopen = f"/manage/contests/{judged.slug}/scoresheets/{sheet_id}/reopen"
    reason = {"reason": "Оцінку за C2 треба переглянути."}
    assert organiser.submit(reopen, reason).status_code == 302
    assert _ranking_everywhere(organiser, judged.slug) == before and len(reads) == 2


def test_with_the_cache_turned_off_every_request_renders_the_page(app, build, make_app):
    _juror, judged = _sheet(app, build)
    uncached = make_app(PAGE_CACHE_BYTES=0)
    client = uncached.test_client()
    client.login(JUROR)
    url = judged.url(judged.numbers[0])
    with counted(uncached) as first:
        client.get(url)
    with counted(uncached) as second:
        assert client.get(url).status_code == 200
    assert second[0] == first[0] > 3


def test_the_cache_keeps_the_most_recent_pages_within_its_size():
    cache = PageCache(limit=400)
    for name in "abcde":
        cache.put((name,), name.encode() * 100, "text/html")
    assert cache.get(("a",)) is None  # the oldest went out
    kept = cache.get(("b",))
    assert (kept.body, kept.mimetype) == (b"b" * 100, "text/html")
    cache.put(("f",), b"f" * 100, "text/html")  # "b" was just used: "c" goes out
    assert cache.get(("c",)) is None and cache.get(("b",)) is not None
    assert cache.size <= 400
    cache.put(("huge",), b"x" * 101, "text/html")  # over a quarter of the limit: not kept
    assert cache.get(("huge",)) is None


def test_a_request_that_writes_without_an_audit_entry_fails_every_test(app, build):
    """The guard of tests/_audit_guard.py is on: such a write cannot go unnoticed."""
    user_id = build.user(Role.JUROR, email="renamed@example.org")

    @app.get("/rename-quietly")  # GET: no CSRF token to fetch first
    def rename_quietly():
        db.session.get(User, user_id).name = "Інше ім’я"
        db.session.commit()
        return "renamed"

    with pytest.raises(AssertionError, match=r"changes to \['users'\] without an audit entry"):
        app.test_client().get("/rename-quietly")


def test_the_request_log_names_the_person_of_a_cached_page(app, build, client, caplog):
    juror, judged = _sheet(app, build)
    url = judged.url(judged.numbers[0])
    client.login(JUROR)
    client.get(url)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="scoring"), counted(app) as queries:
        assert client.get(url).status_code == 200
    (line,) = [r for r in caplog.records if r.name == "scoring" and hasattr(r, "status")]
    assert queries[0] <= 1  # from the cache: the person was never loaded
    assert (line.path, line.status, line.user_id) == (url, 200, juror)


def _two_contests(app, build):
    """A juror and an organiser on two contests in judging, each with a draft sheet."""
    juror = build.user(Role.JUROR, email=JUROR, name="Оксана Кешована")
    first = judged_contest(app, build, [juror], count=2, slug="pershyi")
    second = judged_contest(app, build, [juror], count=2, slug="druhyi")
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    with app.app_context():
        for judged in (first, second):
            contest = db.session.get(Contest, judged.contest_id)
            contest.organisers.append(db.session.get(User, organiser))
        db.session.commit()
    for judged in (first, second):
        set_sheet(app, juror, judged.numbers[0])
    return first, second


def test_a_write_in_one_contest_leaves_the_other_contests_pages_cached(app, build, client):
    first, second = _two_contests(app, build)
    client.login(JUROR)
    sheet = first.url(first.numbers[0])
    page = client.get(sheet).get_data(as_text=True)

    # The juror saves in the other contest: this contest's page is served again as it was.
    token = page_csrf(client, second.url(second.numbers[0]))
    c1 = second.criteria["C1"]
    saved = autosave(client, second, second.numbers[0], {"points": {str(c1): "9"}}, token)
    assert saved.status_code == 200
    with counted(app) as again:
        assert client.get(sheet).get_data(as_text=True) == page
    assert again[0] <= 3, again

    # A save in this contest renders it anew.
    c1 = first.criteria["C1"]
    saved = autosave(client, first, first.numbers[0], {"points": {str(c1): "6"}}, token)
    assert saved.status_code == 200
    with counted(app) as after:
        assert 'value="6"' in client.get(sheet).get_data(as_text=True)
    assert after[0] > 3, after


def test_a_change_of_no_contest_or_of_a_person_everywhere_renders_every_contest_anew(
    app, build, client
):
    first, second = _two_contests(app, build)
    c = first.criteria
    full = {c["C1"]: "8", c["C2"]: "6", c["C3"]: "4.5"}
    set_sheet(app, first.jurors[0], first.numbers[1], points=full, state=SheetState.SUBMITTED)
    client.login(ORGANISER)
    ranking = f"/manage/contests/{first.slug}/ranking"
    assert "Оксана Кешована" in client.get(ranking).get_data(as_text=True)
    assert client.get(ranking).status_code == 200
    with counted(app) as cached:
        client.get(ranking)
    assert cached[0] <= 3

    with app.app_context():  # a renamed account: an entry of no contest
        db.session.get(User, first.jurors[0]).name = "Оксана Перейменована"
        audit.record("user.updated", obj=db.session.get(User, first.jurors[0]), fields=["name"])
        db.session.commit()
    assert "Оксана Перейменована" in client.get(ranking).get_data(as_text=True)

    with counted(app) as cached:
        client.get(ranking)
    assert cached[0] <= 3
    with app.app_context():  # anonymised through the other contest: shown everywhere
        user = db.session.get(User, first.jurors[0])
        user.name = "Анонімізовано"
        contest = db.session.get(Contest, second.contest_id)
        audit.record("person.anonymised", contest=contest, obj=user, users=[user.id])
        db.session.commit()
    page = client.get(ranking).get_data(as_text=True)
    assert "Анонімізовано" in page and "Оксана Перейменована" not in page


def test_a_cached_page_is_sent_compressed_as_the_browser_accepts(app, build, client):
    _juror, judged = _sheet(app, build)
    url = judged.url(judged.numbers[0])
    client.login(JUROR)
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    html = plain.get_data()
    for accept, encoding, decode in (
        ("gzip, deflate, br, zstd", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
    ):
        for _time in range(2):  # compressed once, then served as it was kept
            with counted(app) as queries:
                response = client.get(url, headers={"Accept-Encoding": accept})
            assert queries[0] <= 3, queries
            assert response.headers["Content-Encoding"] == encoding
            assert "Accept-Encoding" in response.headers["Vary"]
            assert len(response.get_data()) < len(html) / 3
            assert decode(response.get_data()) == html
