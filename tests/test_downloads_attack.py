"""An outside tester's attack on the organisers' workbooks (XlsxWriter) and the
workbooks made in the background (``documents.jobs``): who may start and follow a job,
bad requests, and what a cell holds once Excel reads the file.

Each finding is a test that failed on the code the tester was given; the one marked
``xfail(strict=True)`` is XlsxWriter's own (it says when an upgrade fixes it)."""

import io
import random
import threading
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from scoring import background
from scoring.documents import jobs
from scoring.extensions import db
from scoring.models import (
    Application,
    Contest,
    Role,
    Stage,
    User,
)

from ._shown import excel_text
from .test_downloads import comment_scores

ORGANISER = "organiser@demo.example"
JUROR = "olena.kovalenko@demo.example"
APPLICANT = "applicant01@demo.example"
DEMO_PASSWORD = "demo-pass-2026"
STRANGER = "stranger-organiser@example.org"
KINDS = ("ranking", "scores")


@pytest.fixture
def app(make_app):
    return make_app(BABEL_DEFAULT_LOCALE="en")


@pytest.fixture
def demo(app, demo_loaded):
    """The judged contest's slug; an organiser of no contest exists too."""
    with app.app_context():
        stranger = User(email=STRANGER, name="Чужий Організатор", role=Role.ORGANISER)
        stranger.set_password(DEMO_PASSWORD)
        db.session.add(stranger)
        db.session.commit()
        return db.session.scalar(select(Contest.slug).where(Contest.stage == Stage.JUDGING))


def _sign_in(client, email):
    client.login(email, DEMO_PASSWORD)
    client.submit("/language", {"language": "en", "next": "/"})


def _start(client, demo, kind="ranking", query=""):
    token = client.csrf_token(f"/manage/contests/{demo}/ranking")
    started = client.post(
        f"/manage/contests/{demo}/{kind}.xlsx{query}", headers={"X-CSRFToken": token}
    )
    assert started.status_code == 202, started.status_code
    return started.get_json()["progress"]


def _scores_comments(client, demo):
    response = client.get(f"/manage/contests/{demo}/scores.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [excel_text(row[4].value) for row in sheet.iter_rows(min_row=2)]


# Who may start, follow and take a job --------------------------------------------------


@pytest.mark.parametrize("who", [None, APPLICANT, JUROR, STRANGER])
def test_nobody_but_the_contests_organiser_gets_or_starts_a_workbook(client, demo, who):
    if who:
        _sign_in(client, who)
    for kind in KINDS:
        url = f"/manage/contests/{demo}/{kind}.xlsx"
        got = client.get(url)
        token = client.csrf_token("/")
        posted = client.post(url, headers={"X-CSRFToken": token})
        for response in (got, posted):
            assert response.status_code in (302, 403, 404), (who, kind, response.status_code)
            assert b"PK" not in response.data[:2]
    jobs.join()


@pytest.mark.parametrize("who", [None, APPLICANT, JUROR, STRANGER])
def test_a_job_answers_only_the_one_who_started_it(app, demo, who):
    owner = app.test_client()
    _sign_in(owner, ORGANISER)
    progress = _start(owner, demo)
    jobs.join()
    other = app.test_client()
    if who:
        _sign_in(other, who)
    for url in (progress, progress + "/file"):
        assert other.get(url).status_code in (302, 404), (who, url)
    state = owner.get(progress).get_json()
    assert state["state"] == "ready"
    assert owner.get(state["file"]).data[:2] == b"PK"


def test_the_post_wants_its_csrf_token(client, demo):
    _sign_in(client, ORGANISER)
    for kind in KINDS:
        url = f"/manage/contests/{demo}/{kind}.xlsx"
        assert client.post(url).status_code == 400
        assert client.post(url, headers={"X-CSRFToken": "forged"}).status_code == 400
        assert client.post(url, data={"csrf_token": "x" * 5000}).status_code == 400
    assert not list(background._threads)  # no document was started


def test_odd_bodies_queries_and_headers_never_500(client, demo):
    _sign_in(client, ORGANISER)
    token = client.csrf_token(f"/manage/contests/{demo}/ranking")
    url = f"/manage/contests/{demo}/ranking.xlsx"
    bodies = [
        {"data": b'{"a": [1, 2', "content_type": "application/json"},
        {"data": b"\x00\xff" * 50000, "content_type": "application/octet-stream"},
        {
            "data": {"file": (io.BytesIO(b"PK\x03\x04" * 100), "x.xlsx")},
            "content_type": "multipart/form-data",
        },  # fmt: skip
        {"data": b"--x\r\nbroken", "content_type": "multipart/form-data; boundary=x"},
    ]
    for body in bodies:
        response = client.post(url, headers={"X-CSRFToken": token}, **body)
        assert response.status_code in (202, 400, 413), (body["content_type"], response.status_code)
    huge = client.post(url, headers={"X-CSRFToken": token}, data=b"a" * (33 * 1024 * 1024),
                       content_type="application/octet-stream")  # fmt: skip
    assert huge.status_code in (400, 413)
    for query in ("?lang=en", "?%00=%ff", "?a=" + "x" * 4000, "?excel=1&excel=0"):
        assert client.get(url + query).status_code in (200, 400), query
    spoofed = client.post(
        url + "?x=1",
        headers={
            "X-CSRFToken": token,
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "gopher",
            "X-Forwarded-Prefix": "/evil",
        },  # fmt: skip
    )
    assert spoofed.status_code in (202, 400)
    if spoofed.status_code == 202:
        assert spoofed.get_json()["progress"].startswith("/documents/jobs/")
    jobs.join()
    for job in ("..", "%2e%2e", "a" * 3000, "ЖЖЖ", "abc.json", ".x.json.partial", "-_-"):
        for suffix in ("", "/file"):
            assert client.get(f"/documents/jobs/{job}{suffix}").status_code == 404, job


def test_the_file_of_a_job_is_whole_to_requests_at_once_and_then_gone(app, demo, monkeypatch):
    """The organiser signed in four times asks for the same file at once (four tabs, a
    download manager): each gets the whole workbook; ``GRACE`` seconds after the first
    download it is gone, its files deleted."""
    letters = random.Random(1)
    comment_scores(app, demo, ["".join(letters.choices("абвгґдеєжзиіїйклмн0123456789", k=5000))
                          for _ in range(180)])  # fmt: skip
    clients = [app.test_client() for _ in range(4)]
    for client in clients:
        _sign_in(client, ORGANISER)
    progress = _start(clients[0], demo, "scores")
    jobs.join()
    file = clients[0].get(progress).get_json()["file"]
    barrier, got = threading.Barrier(len(clients)), []

    def take(client):
        barrier.wait()
        response = client.get(file)
        got.append((response.status_code, load_workbook(io.BytesIO(response.data)).sheetnames))

    threads = [threading.Thread(target=take, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == [(200, ["Scores"])] * 4
    later = jobs._now() + jobs.GRACE + 1
    monkeypatch.setattr(jobs, "_now", lambda: later)
    assert clients[1].get(file).status_code == 404
    assert clients[1].get(progress).status_code == 404
    with app.app_context():
        assert not list((Path(app.instance_path) / "documents").glob("*.file"))


def test_an_organiser_taken_off_the_contest_no_longer_gets_its_scores(app, demo):
    """A second organiser asks for every score; the first takes them off the contest
    (the organisers' page) while the workbook waits; they still download every score of
    a contest they no longer see (the job checks only who started it, for an hour)."""
    first, second = app.test_client(), app.test_client()
    _sign_in(first, ORGANISER)
    page = f"/manage/contests/{demo}/organisers"
    assert first.submit(page, {"email": STRANGER}).status_code == 302
    _sign_in(second, STRANGER)
    progress = _start(second, demo, "scores")
    jobs.join()
    with app.app_context():
        stranger = db.session.scalar(select(User.id).where(User.email == STRANGER))
    removed = first.submit(f"{page}/{stranger}/remove")
    assert removed.status_code == 302
    assert second.get(f"/manage/contests/{demo}/scores.xlsx").status_code in (403, 404)
    assert second.get(progress).status_code == 404
    assert second.get(f"{progress}/file").status_code == 404
    first.submit(page, {"email": STRANGER})  # an organiser again: the job is theirs again
    assert second.get(f"{progress}/file").status_code == 200


def test_two_posts_at_once_and_then_the_direct_workbook_agree(app, client, demo):
    _sign_in(client, ORGANISER)
    first, second = _start(client, demo), _start(client, demo, query="?again=1")
    jobs.join()
    direct = load_workbook(io.BytesIO(client.get(f"/manage/contests/{demo}/ranking.xlsx").data))
    for progress in (first, second):
        state = client.get(progress).get_json()
        made = load_workbook(io.BytesIO(client.get(state["file"]).data))
        for a, b in zip(made.worksheets, direct.worksheets, strict=True):
            assert list(a.values) == list(b.values)


# What the cells hold, as Excel reads them ----------------------------------------------

TYPED = [
    '=HYPERLINK("http://evil.example","x")',
    "+380501234567",
    "-1+2",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    " \n =1",
    "\uff1d1+1",
    "\uff0b1",
    "_x000D_ і _x0041_ і _X0041_ і _x005F_",
    "RTL \u202e мітка \u200f",
    "SOH\x01 BEL\x07 ESC\x1b FFFE\ufffe",
    "емодзі 😀👩‍👩‍👧 𝕏",
    "Рядок 1\r\nРядок 2\rРядок 3",
]


def test_typed_text_comes_back_as_typed_and_never_as_a_formula(app, client, demo):
    comment_scores(app, demo, TYPED)
    _sign_in(client, ORGANISER)
    response = client.get(f"/manage/contests/{demo}/scores.xlsx")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    comments = _scores_comments(client, demo)
    for text in TYPED:
        shown = [c for c in comments if c and c.lstrip("'").startswith(text[:3].lstrip("'"))]
        assert shown, text
    expected = {
        TYPED[9]: TYPED[9],  # the workbook's own escape, typed, stays typed
        TYPED[10]: TYPED[10],
        TYPED[12]: TYPED[12],
        TYPED[13]: TYPED[13],
        TYPED[1]: TYPED[1],
    }
    for text, want in expected.items():
        assert want in comments, text
    for formula in (TYPED[0], TYPED[2], TYPED[3], TYPED[4], TYPED[5], TYPED[7], TYPED[8]):
        assert "'" + formula in comments, formula
    assert "SOH\ufffd BEL\ufffd ESC\ufffd FFFE\ufffd" in comments


def test_a_text_of_emoji_over_a_cells_utf16_limit_is_not_cut_without_a_word(app, client, demo):
    """Excel counts a cell's 32,767 characters in UTF-16 units: an emoji is two. Before
    718de16 (on main) a comment of 20,000 emoji (20,000 code points, 40,000 units) passed
    ``_whole``'s check and XlsxWriter cut it to 16,383 emoji without the note; a
    40,000-emoji text got the note and then lost it to the same cut."""
    short, long = "😀" * 20000, "😀" * 40000
    comment_scores(app, demo, [short, long])
    _sign_in(client, ORGANISER)
    comments = [c for c in _scores_comments(client, demo) if c and c.startswith("😀")]
    assert len(comments) == 2
    for text in comments:
        assert len(text.encode("utf-16-le")) // 2 <= 32767
        assert text in (short,) or "[cut: the text has" in text, (len(text), text[-40:])


@pytest.mark.xfail(strict=True, reason="finding: XlsxWriter's escape of _xHHHH_ overlaps")
def test_escape_like_texts_that_share_an_underscore_come_back_as_typed(app, client, demo):
    """A typed ``_xHHHH_`` is written ``_x005F_xHHHH_`` so that Excel shows it as typed;
    but XlsxWriter escapes non-overlapping matches only, so in ``_x0041_x0042_`` the
    second sequence (whose underscore closed the first) stays bare and Excel decodes it:
    the cell shows ``_x0041B``."""
    typed = ["_x0041_x0042_", "_x005F_x0041_"]
    comment_scores(app, demo, typed)
    _sign_in(client, ORGANISER)
    comments = _scores_comments(client, demo)
    assert [text for text in typed if text not in comments] == []


def test_moments_at_kyivs_clock_changes_are_kyivs_wall_clock(app, client, demo):
    moments = {
        datetime(2026, 3, 29, 0, 59, tzinfo=UTC): datetime(2026, 3, 29, 2, 59),
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC): datetime(2026, 3, 29, 4, 0),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC): datetime(2026, 10, 25, 3, 30),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC): datetime(2026, 10, 25, 3, 30),
    }
    with app.app_context():
        applications = db.session.scalars(
            select(Application).join(Contest).where(Contest.slug == demo)
            .where(Application.submitted_at.is_not(None)).order_by(Application.id).limit(4)
        ).all()  # fmt: skip
        numbers = {}
        for application, moment in zip(applications, moments, strict=True):
            application.submitted_at = moment
            numbers[application.number] = moments[moment]
        db.session.commit()
    _sign_in(client, ORGANISER)
    response = client.get(f"/manage/contests/{demo}/applications.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    column = header.index("Submitted")
    seen = {}
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in numbers:
            assert row[column].data_type == "d"
            assert row[column].number_format == "DD.MM.YYYY HH:MM"
            seen[row[0].value] = row[column].value
    assert seen == numbers


def test_a_head_request_does_not_take_the_file_away(client, demo):
    """Download managers and link checkers ask HEAD before GET: the HEAD runs the view,
    which deletes the job's file, and the GET that follows gets 404."""
    _sign_in(client, ORGANISER)
    progress = _start(client, demo, "scores")
    jobs.join()
    file = client.get(progress).get_json()["file"]
    assert client.head(file).status_code == 200
    assert client.get(file).status_code == 200


def test_a_person_has_at_most_three_workbooks_at_work(client, demo, monkeypatch):
    """The same workbook asked with twenty query strings would be twenty jobs: the
    fourth at work is refused (429), and the page's script downloads it directly."""
    hold = threading.Event()
    monkeypatch.setattr(jobs, "start", _held(jobs.start, hold))
    _sign_in(client, ORGANISER)
    token = client.csrf_token(f"/manage/contests/{demo}/ranking")
    answers = [
        client.post(f"/manage/contests/{demo}/scores.xlsx?n={n}", headers={"X-CSRFToken": token})
        for n in range(5)
    ]
    hold.set()
    jobs.join()
    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
    assert answers[3].get_json() == {"busy": True}
    assert _start(client, demo, "scores", "?n=9").startswith("/documents/jobs/")


def _held(start, hold: threading.Event):
    """``jobs.start`` whose jobs wait for ``hold`` (so that they are still at work)."""

    def held(owner, key, make, contest=None):
        def waiting(progress):
            hold.wait(timeout=60)
            return make(progress)

        return start(owner, key, waiting, contest)

    return held


def test_formula_names_in_the_header_and_every_xml_part_is_well_formed(app, client, demo):
    from xml.etree import ElementTree

    with app.app_context():
        juror = db.session.scalar(select(User).where(User.email == JUROR))
        juror.name = '=HYPERLINK("http://evil.example")\x07_x0041_'
        db.session.commit()
    comment_scores(app, demo, TYPED)
    _sign_in(client, ORGANISER)
    response = client.get(f"/manage/contests/{demo}/ranking.xlsx")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    for name in archive.namelist():
        if name.endswith((".xml", ".rels")):
            ElementTree.fromstring(archive.read(name))  # noqa: S314 (our own file)
    workbook = load_workbook(io.BytesIO(response.data))
    header = [excel_text(cell.value) for cell in workbook["Ranking"][1]]
    assert '\'=HYPERLINK("http://evil.example")\ufffd_x0041_' in header
    assert all(cell.data_type == "s" for cell in workbook["Ranking"][1])


def test_two_tabs_asking_for_the_same_workbook_both_get_it(app, demo):
    """The organiser asks for every score in two tabs (or two windows) while it is being
    made: the second is given the first's job, both scripts go to its file, and the
    slower tab lands on a 404 page instead of the workbook."""
    letters = random.Random(2)
    comment_scores(app, demo, ["".join(letters.choices("абвгґдеєжзиіїйклмн0123456789", k=5000))
                          for _ in range(180)])  # fmt: skip
    tabs = [app.test_client() for _ in range(2)]
    for tab in tabs:
        _sign_in(tab, ORGANISER)
    tokens = [tab.csrf_token(f"/manage/contests/{demo}/ranking") for tab in tabs]
    url = f"/manage/contests/{demo}/scores.xlsx"
    started = [
        tab.post(url, headers={"X-CSRFToken": t}) for tab, t in zip(tabs, tokens, strict=True)
    ]
    progress = [response.get_json()["progress"] for response in started]
    assert progress[0] == progress[1]  # the same job, given to both tabs
    jobs.join()
    states = [tab.get(p).get_json() for tab, p in zip(tabs, progress, strict=True)]
    assert [state["state"] for state in states] == ["ready", "ready"]  # both scripts go on
    files = [tab.get(state["file"]) for tab, state in zip(tabs, states, strict=True)]
    assert [response.status_code for response in files] == [200, 200]


def test_the_other_workbooks_with_odd_query_strings_never_500(client, demo):
    _sign_in(client, ORGANISER)
    queries = ("?state=zzz&category=%ff&page=-1", "?search=" + "=" * 2000, "?excel=1&lang=xx",
               "?sort=__class__&format=csv", "?page=99999999999999999999")  # fmt: skip
    for name in ("applications.xlsx", "jury.xlsx", "ranking.csv", "scores.csv"):
        for query in queries:
            response = client.get(f"/manage/contests/{demo}/{name}{query}")
            assert response.status_code in (200, 400), (name, query, response.status_code)
