"""``make bench``: the performance goals of SPEC §10, measured in one run on this machine.

1. Seeds a contest of 1,000 and one of 10,000 applications, each × 7 jurors × 6
   criteria (420,000 scores in the large one), through the command line as an organiser
   would: ``import-contest``, ``import-applications`` and ``import-scores`` (each timed,
   start-up included). The contests are moved to judging, and one sheet of the first
   juror is reopened so that the measured scoresheet is a draft the juror can change.
2. Inside the process: the SQL queries of the main pages at both sizes (they must be
   equal), whether a write in one contest leaves the other's cached pages valid, and
   the ranking engine's time.
3. Serves the app with gunicorn (2 workers) and, in the same run, a bare Flask app with
   the reference pages (``scripts/bench_reference.py``): a cached template of the
   scoresheet page's size, and a 1,000-row table read from the same database. Measures
   what a browser gets on a first visit (each page with its CSS and JavaScript,
   compressed as the browser accepts; the lists shown a page at a time, their first page
   at every size) and whether a repeat visit asks for any static file
   again; the requests per second of the juror's scoresheet and of the organiser's
   (cached) ranking page against the reference pages; the ranking page's first render
   right after a juror's autosave (which leaves the ranking as it was) and right after
   a submission and a reopening (which change it); and the download of the jury's
   protocol PDF.
4. The ``rank`` command, start-up included (and, for reference, ``pdf … protocol``).

Prints every figure beside its goal (with the spread of the repeated measurements: the
machine is shared, so the best of several is taken) and exits with 1 when a goal is
missed; ``BENCH_MARKDOWN=FILE`` also writes the results as the README's table. Run from
the repository's root: ``make bench``. ``BENCH_DATABASE_URL`` (a PostgreSQL database
that the bench empties first) runs it on PostgreSQL; ``BENCH_SIZES`` (default
``1000,10000``), ``BENCH_SECONDS``, ``BENCH_ROUNDS`` and ``BENCH_CLIENTS`` change the
defaults.
"""

from __future__ import annotations

import csv
import gzip
import http.client
import io
import json
import multiprocessing
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from scoring import clock, edrpou, hromadas  # noqa: E402

PASSWORD = "bench-password-2026"
ORGANISER = "secretary@bench.example"
JURORS = [f"juror{i}@bench.example" for i in range(1, 8)]
CRITERIA = 6
OBLASTS = ["UA-12", "UA-14", "UA-23", "UA-35", "UA-48", "UA-51", "UA-63"]
PREFIXES = {1000: "BLG", 10000: "BXL", 100: "BSM"}
SIZES = {
    f"bench-{size}": (PREFIXES.get(size, f"B{size}"), size)
    for size in map(int, os.environ.get("BENCH_SIZES", "1000,10000").split(","))
}
LARGE = "bench-1000"  # the contest of SPEC §10's ratios
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
# What a browser sends (Chromium): pages and files come compressed when the app can.
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}
KB = 1000

# The goals that depend on the size: {size: goal}; a size not named has no goal.
RENDER_AFTER_WRITE = {10000: 1.5}  # seconds; at 1,000 the goal is a ratio (below)
RANK_SECONDS = {1000: 1.5, 10000: 3.0}
PROTOCOL_SECONDS = {1000: 3.0, 10000: 20.0}
# The spreadsheets: as the protocol, within gunicorn's default timeout of 30 s.
EXPORT_SECONDS = {1000: 3.0, 10000: 20.0}
EXPORTS = {
    "ranking, XLSX": "/manage/contests/{}/ranking.xlsx",
    "all scores, XLSX": "/manage/contests/{}/scores.xlsx",
    "applications, XLSX": "/manage/contests/{}/applications.xlsx",
}
IMPORT_SECONDS = 60.0


# Time on a shared machine ------------------------------------------------------------
#
# Other engineers' test suites keep this machine's two cores busy (a load of 8 to 13),
# so a process waits for a CPU most of the time and its wall time says more about them
# than about the app. Linux counts, for each process, the time it ran and the time it
# was ready to run but waited for a CPU (/proc/PID/schedstat). Wall time minus that wait
# is what the same work takes on an idle machine: the CPU it used, plus the time it
# waited for the disk or for the database's answer. The goals of seconds are judged on
# it, and the wall time and the wait are printed beside it. (On PostgreSQL the database
# server's own wait for a CPU stays in: the figure can only come out too high.)


def schedstat(pid: int) -> tuple[float, float]:
    """Seconds the process (all its threads) has run and has waited for a CPU."""
    ran = waited = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            run, wait, _slices = (task / "schedstat").read_text().split()
        except (OSError, ValueError):
            continue  # a thread that has just ended
        ran, waited = ran + int(run), waited + int(wait)
    return ran / 1e9, waited / 1e9


class Timed:
    """Wall time, and the part of it spent waiting for a CPU that others held."""

    def __init__(self, wall: float, ran: float, waited: float):
        self.wall, self.ran, self.waited = wall, ran, waited

    @property
    def idle(self) -> float:
        """The time on an idle machine: wall time less the wait for a CPU."""
        return max(self.wall - self.waited, self.ran)

    def text(self, unit: str = "s") -> str:
        scale, digits = (1000, 0) if unit == "ms" else (1, 2)
        return (f"{self.idle * scale:.{digits}f} {unit} (wall {self.wall * scale:.{digits}f}, "
                f"{self.waited * scale:.{digits}f} waiting)")  # fmt: skip


def best(times: list[Timed]) -> Timed:
    return min(times, key=lambda t: t.idle)


def timed_here(work) -> Timed:
    """How long ``work()`` takes in this process."""
    ran, waited = schedstat(os.getpid())
    started = time.perf_counter()
    work()
    wall = time.perf_counter() - started
    ran_after, waited_after = schedstat(os.getpid())
    return Timed(wall, ran_after - ran, waited_after - waited)


# Seeding through the command line -------------------------------------------------


def flask(env: dict, *args: str, stdin: str | None = None) -> str:
    """Run ``flask --app scoring ARGS`` and return its output; stop the bench on failure."""
    return timed_flask(env, *args, stdin=stdin)[0]


def timed_flask(env: dict, *args: str, stdin: str | None = None) -> tuple[str, Timed]:
    """``flask`` and how long it took (``Timed``): the process is read before it is reaped."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(BIN / "flask"), "--app", "scoring", *args],
            env=env,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            cwd=ROOT,
        )
        process.stdin.write((stdin or "").encode())
        process.stdin.close()
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # ended, not yet reaped
        wall = time.perf_counter() - started
        ran, waited = schedstat(process.pid)
        process.wait()
        out.seek(0)
        err.seek(0)
        output = out.read().decode()
        if process.returncode:
            sys.exit(f"flask {' '.join(args)} failed:\n{output}{err.read().decode()}")
    return output, Timed(wall, ran, waited)


def contest_document(slug: str, prefix: str) -> dict:
    now = clock.now()
    return {
        "format": "scoring.contest/1",
        "slug": slug,
        "title": {"uk": f"Успішна участь громади ({slug})", "en": f"Bench contest {slug}"},
        "description": {"uk": "Навантажувальна перевірка.", "en": "Load test."},
        "applicant_kinds": ["community", "ngo"],
        "oblasts": OBLASTS,
        "opens_at": (now - timedelta(days=30)).isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(),
        "winners": 5,
        "number_prefix": prefix,
        "categories": [],
        "scoring": {
            "aggregation": "mean",
            "normalise": "none",
            "jurors_per_application": 0,
            "quorum": 2,
            "divergence_threshold": 0.3,
            "min_total": 0,
            "max_winners_per_oblast": None,
            "blind": False,
        },
        "criteria": [
            {
                "code": f"C{i}",
                "title": {"uk": f"Критерій оцінювання номер {i}", "en": f"Criterion {i}"},
                "guidance": {"uk": "Що саме оцінює журі за цим критерієм.", "en": ""},
                "max_points": 10,
                "weight": 1.5 if i == 2 else 1,
                "step": 0.5 if i == CRITERIA else 1,
                "min_points": None,
            }
            for i in range(1, CRITERIA + 1)
        ],
        "questions": [
            {
                "key": "summary",
                "kind": "textarea",
                "label": {"uk": "Короткий опис практики", "en": "Summary of the practice"},
                "help": {"uk": "", "en": ""},
                "required": True,
                "max_length": 3000,
            }
        ],
    }


def csv_text(header: str, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue()


def applications_csv(slug: str, prefix: str, size: int, rng: random.Random) -> str:
    first_code = 3_000_000 + 10_000 * list(SIZES).index(slug)
    places = [  # (oblast, community): a community of the official list of its oblast
        (oblast, community["name"])
        for oblast in OBLASTS
        for community in hromadas.communities(oblast)
    ]
    return csv_text(
        "number,organisation,kind,edrpou,oblast,community,email,title",
        (
            (
                "",  # allocated on import: PREFIX-YEAR-001 and on
                f"ГО «Ініціатива громади {slug} № {i}»",
                "ngo",
                edrpou.complete(f"{first_code + i:07d}"),
                *rng.choice(places),
                f"applicant{i}@{slug}.bench.example",
                f"Практика участі мешканців № {i}: бюджет, форуми та молодіжна рада",
            )
            for i in range(1, size + 1)
        ),
    )


def scores_csv(prefix: str, size: int, rng: random.Random) -> str:
    year, rows = clock.now().year, []
    for i in range(1, size + 1):
        quality = rng.uniform(3, 9)
        for juror in JURORS:
            for c in range(1, CRITERIA + 1):
                points = min(10, max(0, round(quality + rng.uniform(-2, 2))))
                comment = "Добре обґрунтовано, але бракує цифр." if c == 1 else ""
                rows.append((f"{prefix}-{year}-{i:03d}", juror, f"C{c}", points, comment))
    return csv_text("application,juror,criterion,score,comment", rows)


def seed(env: dict, work: Path, report: Report) -> None:
    rng = random.Random(2026)
    flask(env, "init-db")
    flask(env, "create-user", ORGANISER, "--role", "organiser", "--name", "Секретар Комісії",
          "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    for n, email in enumerate(JURORS, 1):
        flask(env, "create-user", email, "--role", "juror", "--name", f"Член журі {n}",
              "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    for slug, (prefix, size) in SIZES.items():
        files = {
            "contest.json": json.dumps(contest_document(slug, prefix), ensure_ascii=False),
            "applications.csv": applications_csv(slug, prefix, size, rng),
            "scores.csv": scores_csv(prefix, size, rng),
        }
        for name, text in files.items():
            (work / f"{slug}-{name}").write_text(text, encoding="utf-8")
        flask(env, "import-contest", str(work / f"{slug}-contest.json"), "--organiser", ORGANISER)
        for command, what in (
            ("import-applications", f"{size:,} applications"),
            ("import-scores", f"{size * len(JURORS) * CRITERIA:,} scores"),
        ):
            file = work / f"{slug}-{command.removeprefix('import-')}.csv"
            _output, took = timed_flask(env, command, slug, str(file))
            report.line(f"`{command}` of {what}", took.text(), f"≤ {IMPORT_SECONDS:.0f} s",
                        took.idle <= IMPORT_SECONDS)  # fmt: skip
    to_judging(env)


def to_judging(env: dict) -> None:
    """Open, close and move the contests to judging; reopen one sheet of the first juror."""
    from sqlalchemy import select

    from scoring import create_app, lifecycle
    from scoring.extensions import db
    from scoring.judging import assignments, operations
    from scoring.models import Application, Contest, Scoresheet, Stage, User

    os.environ.update(env)
    app = create_app()
    with app.app_context():
        organiser = db.session.scalar(select(User).where(User.email == ORGANISER))
        juror = db.session.scalar(select(User).where(User.email == JURORS[0]))
        for slug in SIZES:
            contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
            chair = next(m for m in contest.jury if m.user_id == juror.id)
            chair.is_chair = True  # judging needs a chair (the protocol names them)
            for stage in (Stage.OPEN, Stage.SCREENING, Stage.JUDGING):
                # Closing before the announced deadline is confirmed, with its reason.
                lifecycle.change_stage(
                    contest,
                    stage,
                    actor=organiser,
                    reason="Вимір швидкодії.",
                    confirmed=lifecycle.preview(contest, stage).fingerprint,
                )
            sheet = db.session.scalar(
                select(Scoresheet)
                .join(Application)
                .where(Application.contest_id == contest.id, Scoresheet.juror_id == juror.id)
                .order_by(Application.serial)
                .limit(1)
            )
            assignments.reopen(contest, sheet, "Перевірка навантаження: чернетка для виміру.",
                               actor=organiser)  # fmt: skip
            # Entered from a file, the sheet asks the juror's declaration once reopened
            # (issue 13): the juror makes it, so that the page measured is the scoresheet.
            operations.declare_no_conflict(
                sheet,
                contest=contest,
                actor=juror,
                proposed=operations.proposed_conflicts(contest, sheet.application, juror),
            )
        db.session.commit()


def first_number(slug: str) -> str:
    prefix, _size = SIZES[slug]
    return f"{prefix}-{clock.now().year}-001"


def pages(slug: str) -> dict[str, tuple[str, str]]:
    """The pages whose query counts must not grow with the contest: name → (user, path)."""
    number = first_number(slug)
    return {
        "juror's scoresheet": (JURORS[0], f"/judging/{slug}/{number}"),
        "juror's assignments (first page)": (JURORS[0], f"/judging/{slug}"),
        "organiser's ranking": (ORGANISER, f"/manage/contests/{slug}/ranking"),
        "ranking, CSV": (ORGANISER, f"/manage/contests/{slug}/ranking.csv"),
        "organiser's dashboard": (ORGANISER, f"/manage/contests/{slug}"),
        "applications list": (ORGANISER, f"/manage/contests/{slug}/applications"),
        "assignment matrix": (ORGANISER, f"/manage/contests/{slug}/assignments"),
        "application page": (ORGANISER, f"/applications/{number}"),
        "contest's people (first page)": (ORGANISER, f"/manage/contests/{slug}/people"),
    }


def size_of(slug: str) -> int:
    return SIZES[slug][1]


# Inside the process -------------------------------------------------------------------


@contextmanager
def app_in_process(env: dict, **settings):
    """The app on the bench's database, with a statement counter: (app, statements)."""
    from sqlalchemy import event

    from scoring import create_app
    from scoring.extensions import db

    os.environ.update(env)
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, **settings})
    app.logger.setLevel("WARNING")
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(*_args):
        statements.append("")

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield app, statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def logged_in(app, email: str):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    form = {"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
    response = client.post("/login", data=form)
    assert response.status_code == 302, f"cannot log in as {email}"
    return client


def query_counts(env: dict) -> dict[str, dict[str, int]]:
    """The SQL statements each page issues, per contest: {page: {slug: count}}."""
    counts: dict[str, dict[str, int]] = {}
    # The work of rendering each page: the page cache would answer the repeats.
    with app_in_process(env, PAGE_CACHE_BYTES=0) as (app, statements):
        clients = {email: logged_in(app, email) for email in (ORGANISER, JURORS[0])}
        for slug in SIZES:
            for name, (email, path) in pages(slug).items():
                clients[email].get(path)  # warm the caches a first request fills
                statements.clear()
                response = clients[email].get(path)
                if response.status_code != 200:
                    sys.exit(f"{path} answered {response.status_code}")
                counts.setdefault(name, {})[slug] = len(statements)
    return counts


def csrf_token(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def criteria_ids(html: str) -> list[str]:
    return re.findall(r'id="points_(\d+)"', html)


def autosave_body(html: str, turn: int) -> dict:
    """A juror's autosave that changes a score (one more point than the turn before)."""
    return {"points": {scoresheet_fields(html)[0]: str(turn % 10)}}


def scoresheet_fields(html: str) -> list[str]:
    """The ids of the criteria of a juror's scoresheet page; the run stops when the page
    is another (the conflict step, say): its figures would not be the scoresheet's."""
    ids = criteria_ids(html)
    if not ids:
        shown = re.search(r"<title>(.*?)</title>", html, re.S)
        sys.exit(f"not the scoresheet: {shown.group(1) if shown else html[:300]}")
    return ids


def cross_contest_validity(env: dict) -> tuple[int, int]:
    """Queries of the cached ranking of one contest after a write in another contest, and
    after a write in the same one (which must render anew)."""
    slugs = list(SIZES)
    if len(slugs) < 2:
        return -1, -1
    here, there = slugs[0], slugs[1]
    ranking = f"/manage/contests/{here}/ranking"
    # As served: the page cache keys on the session's CSRF secret.
    with app_in_process(env, WTF_CSRF_ENABLED=True) as (app, statements):
        organiser, juror = logged_in(app, ORGANISER), logged_in(app, JURORS[0])
        organiser.get(ranking)
        counts = []
        for turn, slug in enumerate((there, here), 1):
            sheet = f"/judging/{slug}/{first_number(slug)}"
            html = juror.get(sheet).get_data(as_text=True)
            response = juror.post(sheet + "/autosave", json=autosave_body(html, turn),
                                  headers={"X-CSRFToken": csrf_token(html)})  # fmt: skip
            assert response.status_code == 200, response.get_data(as_text=True)
            statements.clear()
            assert organiser.get(ranking).status_code == 200
            counts.append(len(statements))
    return counts[0], counts[1]


# Each extension's part of a request: its before/after-request functions, by module.
EXTENSIONS = {
    "request guard": "scoring.requestguard",
    "Flask-Limiter": "flask_limiter",
    "Flask-Talisman": "flask_talisman",
    "Flask-WTF (CSRF)": "flask_wtf",
    "request log": "scoring.requestlog",
    "Flask-Compress": "flask_compress",
}


def _module_of(function) -> str:
    function = getattr(function, "func", function)  # functools.partial
    return getattr(function, "__module__", "") or ""


def extension_costs(env: dict) -> dict[str, float]:
    """CPU microseconds of one cached scoresheet request served inside the process (WSGI,
    no network), with every extension, and with each one's request hooks left out in
    turn (best of 30 rounds, taken in turn)."""
    from werkzeug.test import EnvironBuilder

    from scoring import create_app, requestlog

    os.environ.update(env)
    path = f"/judging/{LARGE}/{first_number(LARGE)}"

    def prepared(without: str | None):
        app = create_app()
        client = app.test_client()
        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        client.post("/login", data={"csrf_token": token, "email": JURORS[0],
                                    "password": PASSWORD})  # fmt: skip
        scoresheet_fields(client.get(path).get_data(as_text=True))
        cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
        environ = EnvironBuilder(path=path, headers={**BROWSER, "Cookie": cookie}).get_environ()
        if without:
            for hooks in (app.before_request_funcs, app.after_request_funcs):
                for scope, functions in hooks.items():
                    hooks[scope] = [f for f in functions if not _module_of(f).startswith(without)]
        return app, environ

    def one(app, environ):
        body = app(dict(environ), lambda status, headers, exc_info=None: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    requestlog._handler.setStream(open(os.devnull, "w"))  # noqa: SIM115  as gunicorn's log file
    variants = {"every extension": None, **EXTENSIONS}
    apps = {name: prepared(module) for name, module in variants.items()}
    best = dict.fromkeys(variants, float("inf"))
    for _round in range(30):
        for name, (app, environ) in apps.items():
            one(app, environ)
            started = time.process_time()  # this process's CPU: others' load weighs less
            for _ in range(40):
                one(app, environ)
            best[name] = min(best[name], (time.process_time() - started) / 40 * 1e6)
    best["server-side session"] = _session_check(*apps["every extension"])
    return best


def _session_check(app, environ) -> float:
    """CPU microseconds of the server-side session's check on a kept page: the page
    cache's one query, which reads the contest's state with it (best of 30 × 40)."""
    from flask import session

    from scoring import pagecache, sessions

    with app.request_context(dict(environ)):
        person = session["_user_id"]

        def check():
            assert sessions.alive_state(person, LARGE, pagecache.SHARED_ACTION) is not None

        check()
        best = float("inf")
        for _round in range(30):
            started = time.process_time()
            for _ in range(40):
                check()
            best = min(best, (time.process_time() - started) / 40 * 1e6)
    return best


def engine_time(env: dict, slug: str) -> tuple[Timed, int]:
    """The ranking engine on a contest (best of 5), and its scores. The cycle collector is
    paused, as ``results.loading`` pauses it around every ranking of the app."""
    import gc

    from sqlalchemy import select

    from scoring import ranking
    from scoring.extensions import db
    from scoring.models import Contest
    from scoring.results.loading import load

    with app_in_process(env) as (app, _statements), app.app_context():
        contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
        inputs = load(contest).inputs
        scores = sum(len(sheet.scores) for sheet in inputs.sheets)
        gc.disable()
        try:
            times = [timed_here(lambda: ranking.rank_fitting(inputs)) for _ in range(5)]
        finally:
            gc.enable()
    return best(times), scores


# Serving and load -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict, target: str, *extra: str):
    """Serve ``target`` with gunicorn (2 workers) on a free port while the block runs."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "900",  # the first protocol of 10,000 applications on a machine under load
            *extra,
            target,
        ],  # fmt: skip
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(400):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield Served(f"http://127.0.0.1:{port}", process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a worker still busy with a long request
            process.kill()
            process.wait()


class Served:
    """An app served by gunicorn: its address and its worker processes."""

    def __init__(self, url: str, master: int):
        self.url, self.master = url, master

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.master}/task/{self.master}/children").read_text()
        return [int(pid) for pid in children.split()]

    def schedstat(self) -> dict[int, tuple[float, float]]:
        return {pid: schedstat(pid) for pid in self.workers()}

    def timed(self, request) -> Timed:
        """How long ``request()`` takes, less the serving worker's wait for a CPU."""
        before = self.schedstat()
        started = time.perf_counter()
        request()
        wall = time.perf_counter() - started
        after = self.schedstat()
        ran = {pid: after[pid][0] - before[pid][0] for pid in after if pid in before}
        worker = max(ran, key=ran.get)  # the one that did the work
        return Timed(wall, ran[worker], after[worker][1] - before[worker][1])


class Session:
    """A signed-in browser: its cookie, and the CSRF token of the pages it was shown."""

    def __init__(self, base: str, email: str):
        self.base = base
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        html = opener.open(base + "/login").read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
        opener.open(base + "/login", data=form.encode())
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in jar)

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        return fetch(self.base, path, {"Cookie": self.cookie, **(headers or {})})

    def post_json(self, path: str, body: dict, token: str) -> int:
        data = json.dumps(body).encode()
        headers = {"Cookie": self.cookie, "Content-Type": "application/json",
                   "X-CSRFToken": token}  # fmt: skip
        return fetch(self.base, path, headers, data)[0]

    def post_form(self, path: str, form: dict, token: str) -> int:
        data = urllib.parse.urlencode({"csrf_token": token, **form}).encode()
        headers = {"Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded",
                   "X-CSRFToken": token}  # fmt: skip
        return fetch(self.base, path, headers, data)[0]


def fetch(base: str, path: str, headers: dict, data: bytes | None = None):
    """(status, headers, body as sent) of one request on a new connection."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=900)  # as gunicorn's
    connection.request("POST" if data is not None else "GET", path, body=data, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def _hammer(args) -> tuple[int, int, float]:
    """One client: GET the page over and over until the deadline; (requests, failures, the
    client's own CPU seconds)."""
    base, path, headers, deadline = args
    done = failed = 0
    started = time.process_time()
    while time.monotonic() < deadline:
        status, _headers, _body = fetch(base, path, headers)
        done += 1
        failed += status != 200
    return done, failed, time.process_time() - started


def requests_per_second(served: Served, path: str, headers: dict) -> tuple[float, float]:
    """Requests per second of CLIENTS clients in parallel, after a short warm-up; and the
    CPU seconds a request cost meanwhile: the server's workers and the clients."""
    with multiprocessing.Pool(CLIENTS) as pool:
        pool.map(_hammer, [(served.url, path, headers, time.monotonic() + 1)] * CLIENTS)
        before = served.schedstat()
        started = time.monotonic()
        results = pool.map(_hammer, [(served.url, path, headers, started + SECONDS)] * CLIENTS)
        elapsed = time.monotonic() - started
        after = served.schedstat()
    done = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    if failed:
        sys.exit(f"{failed} of {done} requests to {path} did not answer 200")
    ran = sum(after[pid][0] - before[pid][0] for pid in after if pid in before)
    clients = sum(r[2] for r in results)
    return done / elapsed, (ran + clients) / done


def rates(targets: dict[str, tuple[Served, str, dict]]) -> dict[str, list[tuple[float, float]]]:
    """ROUNDS measurements of each target, taken in turn: whatever else the machine does
    at a moment weighs on the app and on the reference alike."""
    measured: dict[str, list[tuple[float, float]]] = {name: [] for name in targets}
    for _round in range(ROUNDS):
        for name, (served, path, headers) in targets.items():
            measured[name].append(requests_per_second(served, path, headers))
    return measured


def spread(values: list[float], unit: str = "", digits: int = 0) -> str:
    """«best (worst…best)» of repeated measurements."""
    low, high = min(values), max(values)
    return f"{low:.{digits}f}–{high:.{digits}f}{unit}"


# What a browser downloads ------------------------------------------------------------------

LINKED = re.compile(rb'<(?:link[^>]+href|script[^>]+src)="(/[^"]+)"')
YEAR = 365 * 24 * 3600


def first_visit(session: Session, path: str) -> tuple[int, list[tuple[str, dict]]]:
    """Bytes on the wire of a page with every file it links, on an empty browser cache;
    and the files with their headers."""
    status, headers, body = session.get(path, BROWSER)
    if status != 200:
        sys.exit(f"{path} answered {status}")
    html = decode(headers, body)
    total, files = len(body), []
    for link in dict.fromkeys(LINKED.findall(html)):
        url = link.decode()
        status, file_headers, file_body = session.get(url, BROWSER)
        if status != 200:
            sys.exit(f"{url} (linked from {path}) answered {status}")
        total += len(file_body)
        files.append((url, file_headers))
    return total, files


def decode(headers: dict, body: bytes) -> bytes:
    encoding = headers.get("content-encoding", "")
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    return gzip.decompress(body) if encoding == "gzip" else body


def kept_by_browser(headers: dict) -> bool:
    """A file a browser takes from its cache without asking (fresh for a year at least)."""
    control = headers.get("cache-control", "")
    age = re.search(r"max-age=(\d+)", control)
    return "no-cache" not in control and bool(age) and int(age.group(1)) >= YEAR


# The report ------------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.missed = []
        self.rows = []

    def line(self, what: str, value: str, goal: str, ok: bool) -> None:
        mark = "ok " if ok else "MISSED"
        print(f"  {mark:6} {what:58} {value:>22}   goal {goal}", flush=True)
        self.rows.append((what, value, goal, "yes" if ok else "**no**"))
        if not ok:
            self.missed.append(what)

    def note(self, what: str, value: str) -> None:
        print(f"  {'':6} {what:58} {value:>22}   (no goal: for reference)", flush=True)
        self.rows.append((what, value, "—", "—"))

    def markdown(self, heading: str) -> str:
        lines = [heading, "", "| SPEC §10 goal | measured | goal | met |", "|---|---|---|---|"]
        lines += [f"| {' | '.join(row)} |" for row in self.rows]
        return "\n".join(lines) + "\n"


def check_in_process(env: dict, report: Report) -> None:
    sizes = " and ".join(f"{size_of(slug):,}" for slug in SIZES)
    print(f"== SQL queries per page at {sizes} applications", flush=True)
    for name, by_slug in query_counts(env).items():
        values = [by_slug[slug] for slug in SIZES]
        if len(values) < 2:  # nothing to compare: not a goal met
            report.note(f"SQL queries: {name}", f"{values[0]} (one size: not compared)")
            continue
        report.line(f"SQL queries: {name}", " and ".join(map(str, values)), "equal",
                    len(set(values)) == 1)  # fmt: skip
    other, same = cross_contest_validity(env)
    if other < 0:
        report.note("cached ranking after a write in another contest", "one size: not measured")
    else:
        report.line("cached ranking after a write in another contest", f"{other} queries",
                    "≤ 3 (served as kept)", other <= 3)  # fmt: skip
        report.line("cached ranking after a write in its own contest", f"{same} queries",
                    "> 3 (rendered anew)", same > 3)  # fmt: skip
    if LARGE in SIZES:
        print("== a cached scoresheet request inside the process, and each extension's part",
              flush=True)  # fmt: skip
        costs = extension_costs(env)
        whole = costs.pop("every extension")
        check = costs.pop("server-side session")
        report.note("cached scoresheet, every extension", f"{whole:.0f} µs")
        for name, without in costs.items():
            report.note(f"  of which {name}", f"{whole - without:.0f} µs")
        report.note("  of which the session's check with the page's state (one query)",
                    f"{check:.0f} µs")  # fmt: skip
    print("== the ranking engine inside the process", flush=True)
    for slug in SIZES:
        took, scores = engine_time(env, slug)
        if size_of(slug) == 1000:
            report.line(f"ranking {scores:,} scores in the process", took.text("ms"),
                        "< 100 ms", took.idle < 0.1)  # fmt: skip
        else:
            report.note(f"ranking {scores:,} scores in the process", took.text("ms"))


def check_served(env: dict, report: Report) -> None:
    print(f"== served by gunicorn, 2 workers ({CLIENTS} clients, best of {ROUNDS} × "
          f"{SECONDS:g} s for the rates)", flush=True)  # fmt: skip
    with gunicorn(env, "wsgi:app") as served:
        juror, organiser = Session(served.url, JURORS[0]), Session(served.url, ORGANISER)
        if LARGE in SIZES:
            check_wire(served.url, juror, organiser, report)
            check_rates(env, served, juror, organiser, report)
        for slug in SIZES:
            check_after_write(env, served, slug, juror, organiser, report)
        for slug in SIZES:
            path = f"/manage/contests/{slug}/protocol.pdf"
            organiser.get(path)  # the first one loads ReportLab and checks the audit chain
            took = best([served.timed(lambda path=path: organiser.get(path)) for _ in range(2)])
            goal = PROTOCOL_SECONDS[size_of(slug)]
            report.line(f"protocol PDF of {size_of(slug):,} applications, downloaded",
                        took.text(), f"≤ {goal:g} s", took.idle <= goal)  # fmt: skip
        for slug in SIZES:  # the spreadsheets a secretary downloads (one request each)
            for name, path in EXPORTS.items():
                url, answers = path.format(slug), []
                took = served.timed(lambda u=url, a=answers: a.append(organiser.get(u)))
                (status, _headers, body), goal = answers[0], EXPORT_SECONDS[size_of(slug)]
                whole = status == 200 and body.startswith(b"PK")  # a workbook, not an error
                report.line(f"{name} of {size_of(slug):,} applications, downloaded",
                            took.text() + ("" if whole else f" (answer {status})"),
                            f"≤ {goal:g} s", whole and took.idle <= goal)  # fmt: skip


def check_wire(app_url: str, juror: Session, organiser: Session, report: Report) -> None:
    anonymous = Session.__new__(Session)
    anonymous.base, anonymous.cookie = app_url, ""

    def visits_of(slug: str, wanted) -> list[tuple[Session, str, str, int]]:
        return [
            (juror if email == JURORS[0] else organiser, name, path, size_of(slug))
            for name, (email, path) in pages(slug).items()
            if wanted(name, path)
        ]

    size = size_of(LARGE)
    visits = [(anonymous, "home page", "/", size), (anonymous, "login page", "/login", size)]
    visits += visits_of(LARGE, lambda _name, path: not path.endswith(".csv"))
    # The lists shown a page at a time: their first page at every size, not only 1,000.
    for slug in SIZES:
        if slug != LARGE:
            visits += visits_of(slug, lambda name, _path: name.endswith("(first page)"))
    files: dict[str, dict] = {}
    for session, name, path, applications in visits:
        size, linked = first_visit(session, path)
        files.update(linked)
        limit = 300 if name == "organiser's ranking" else 150
        report.line(f"first visit on the wire: {name} ({applications:,})",
                    f"{size / KB:.0f} KB", f"≤ {limit} KB", size <= limit * KB)  # fmt: skip
    asked_again = [url for url, headers in files.items() if not kept_by_browser(headers)]
    report.line("static files asked for again on a repeat visit",
                f"{len(asked_again)} of {len(files)}", "0", not asked_again)  # fmt: skip
    for url in asked_again:
        print(f"         not kept: {url}")


def check_rates(env: dict, served: Served, juror: Session, organiser: Session, report) -> None:
    """The cached scoresheet and ranking against the bare pages, judged on the CPU time a
    request costs (the server's workers and the clients, all on this machine): on an
    idle machine the two cores serve two CPU-seconds of requests a second, so the rates'
    ratio there is the inverse ratio of these costs. The rates measured meanwhile are
    printed beside it (with their spread): the other engineers' load weighs on them."""
    sheet = f"/judging/{LARGE}/{first_number(LARGE)}"
    ranking = f"/manage/contests/{LARGE}/ranking"
    page = juror.get(sheet)[2]
    scoresheet_fields(page.decode())
    size = {"sheet": len(page), "ranking": len(organiser.get(ranking)[2])}
    env = {**env, "BENCH_PAGE_SIZE": str(size["sheet"])}
    with gunicorn(env, "bench_reference:app", "--chdir", str(ROOT / "scripts")) as reference:
        bare = {"Accept-Encoding": BROWSER["Accept-Encoding"]}
        rate = rates(
            {
                "bare": (reference, "/page", bare),
                "sheet": (served, sheet, {"Cookie": juror.cookie, **BROWSER}),
                "table": (reference, "/table", bare),
                "ranking": (served, ranking, {"Cookie": organiser.cookie, **BROWSER}),
            }
        )
        table = [reference.timed(lambda: fetch(reference.url, "/table", bare)) for _ in range(10)]
    per_second = {name: [r for r, _cpu in values] for name, values in rate.items()}
    cpu = {name: min(c for _r, c in values) for name, values in rate.items()}
    print(f"  bare page {size['sheet']:,} bytes: {spread(per_second['bare'], '/s')}; bare "
          f"1,000-row table: {spread(per_second['table'], '/s')}")  # fmt: skip
    print(f"  scoresheet: {spread(per_second['sheet'], '/s')}; ranking {size['ranking']:,} "
          f"bytes: {spread(per_second['ranking'], '/s')}")  # fmt: skip
    for name, reference_name, goal, what in (
        ("sheet", "bare", 0.40, "juror's scoresheet vs a bare page of its size"),
        ("ranking", "table", 0.50, "organiser's ranking (1,000) vs a bare 1,000-row table"),
    ):
        ratio = cpu[reference_name] / cpu[name]
        rps = max(per_second[name]) / max(per_second[reference_name])
        report.line(what, f"{cpu[name] * 1e6:.0f} vs {cpu[reference_name] * 1e6:.0f} µs: "
                    f"{ratio:.0%} (rates {rps:.0%})", f"≥ {goal:.0%}", ratio >= goal)  # fmt: skip
    report.bare_table = best(table)


def draft_sheet(env: dict, slug: str) -> int:
    """The id of the first juror's draft in the contest (``to_judging`` reopened it)."""
    from sqlalchemy import select

    from scoring.extensions import db
    from scoring.models import Application, Contest, Scoresheet, SheetState, User

    with app_in_process(env) as (app, _statements), app.app_context():
        return db.session.scalar(
            select(Scoresheet.id)
            .join(Application)
            .join(Contest)
            .join(User, Scoresheet.juror_id == User.id)
            .where(
                Contest.slug == slug, User.email == JURORS[0], Scoresheet.state == SheetState.DRAFT
            )
        )


def check_after_write(env: dict, served: Served, slug: str, juror: Session, organiser: Session,
                      report):  # fmt: skip
    """The ranking page's first render right after a write (best of 3 each): after a
    juror's autosave, which leaves the ranking as it was (a draft counts in none), and
    after the writes that change it: the juror submits the draft, the organiser reopens
    it (the sheet is a draft again at the end)."""
    sheet = f"/judging/{slug}/{first_number(slug)}"
    ranking = f"/manage/contests/{slug}/ranking"
    html = decode(*juror.get(sheet, BROWSER)[1:]).decode()
    token = csrf_token(html)
    autosaved = []
    for turn in range(3):
        status = juror.post_json(sheet + "/autosave", autosave_body(html, turn + 1), token)
        assert status == 200, status
        autosaved.append(served.timed(lambda: organiser.get(ranking, BROWSER)))
    reopen = f"/manage/contests/{slug}/scoresheets/{draft_sheet(env, slug)}/reopen"
    organiser_token = csrf_token(decode(*organiser.get(ranking, BROWSER)[1:]).decode())
    ranked_anew: dict[str, list[Timed]] = {"a submission": [], "a reopening": []}
    for _turn in range(3):
        for who, path, form, key, write in (
            (juror, sheet + "/submit", {}, token, "a submission"),
            (organiser, reopen, {"reason": "Перевірка навантаження."}, organiser_token,
             "a reopening"),
        ):  # fmt: skip
            status = who.post_form(path, form, key)
            assert status == 302, (path, status)
            ranked_anew[write].append(served.timed(lambda: organiser.get(ranking, BROWSER)))
    judge_render(report, slug, "an autosave (the ranking kept)", best(autosaved))
    for write, times in ranked_anew.items():
        judge_render(report, slug, f"{write} (ranked anew)", best(times))


def judge_render(report: Report, slug: str, write: str, took: Timed) -> None:
    """A first render of the ranking page after ``write``, against its size's goal: a
    time at 10,000, a ratio to a bare 1,000-row table request at 1,000."""
    size = size_of(slug)
    what = f"ranking page ({size:,}): first render after {write}"
    if size in RENDER_AFTER_WRITE:
        goal = RENDER_AFTER_WRITE[size]
        report.line(what, took.text(), f"≤ {goal:g} s", took.idle <= goal)
    elif size == 1000 and hasattr(report, "bare_table"):
        ratio = took.idle / report.bare_table.idle
        report.line(what, f"{took.text('ms')} = {ratio:.0f}× a bare table request "
                    f"({report.bare_table.text('ms')})", "≤ 25×", ratio <= 25)  # fmt: skip
    else:
        report.note(what, took.text())


def check_commands(env: dict, report: Report, work: Path) -> None:
    print("== the command line, start-up included (best of 3)", flush=True)
    for slug in SIZES:
        size = size_of(slug)
        took = best([timed_flask(env, "rank", slug, "--format", "json")[1] for _ in range(3)])
        goal = RANK_SECONDS.get(size)
        if goal:
            report.line(f"`rank` of {size:,} applications", took.text(), f"≤ {goal:g} s",
                        took.idle <= goal)  # fmt: skip
        else:
            report.note(f"`rank` of {size:,} applications", took.text())
        _output, took = timed_flask(env, "pdf", slug, "protocol", "-o", str(work / "p.pdf"))
        report.note(f"`pdf … protocol` of {size:,} applications", took.text())


def environment(work: Path) -> dict:
    env = {
        **os.environ,
        "SECRET_KEY": "bench-secret-key",
        "SCORING_INSTANCE_PATH": str(work / "instance"),  # its own anchor, its own key
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL")
        or f"sqlite:///{work / 'bench.sqlite'}",
        "BENCH_SLUG": LARGE,
        "FLASK_DEBUG": "0",
    }
    env.pop("SCORING_ENV", None)
    return env


def empty_postgresql(url: str) -> None:
    from sqlalchemy import create_engine, text

    from scoring.config import database_url

    engine = create_engine(database_url(url, None))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def main() -> int:
    # BENCH_WORK=FOLDER keeps the seeded database there and reuses it on the next run
    # (the import figures are then not measured): for working on the figures after them.
    kept = os.environ.get("BENCH_WORK")
    work = Path(kept) if kept else Path(tempfile.mkdtemp(prefix="scoring-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = environment(work)
    report = Report()
    kind = env["DATABASE_URL"].split(":")[0]
    seeded = work / "seeded"
    signature = f"{env['DATABASE_URL']} {sorted(SIZES)}"
    started = time.perf_counter()
    try:
        if kept and seeded.exists() and seeded.read_text() == signature:
            print(f"== reusing the database seeded in {work} ({kind})", flush=True)
        else:
            if kind.startswith("postgres"):
                empty_postgresql(env["DATABASE_URL"])
            for name in ("bench.sqlite", "bench.sqlite-wal", "bench.sqlite-shm"):
                (work / name).unlink(missing_ok=True)
            print(f"== seeding through the import commands ({kind}), start-up included",
                  flush=True)  # fmt: skip
            seed(env, work, report)
            seeded.write_text(signature)
        check_in_process(env, report)
        check_served(env, report)
        check_commands(env, report, work)
    finally:
        if not kept:
            shutil.rmtree(work, ignore_errors=True)
    minutes = (time.perf_counter() - started) / 60
    if os.environ.get("BENCH_MARKDOWN"):
        heading = (f"{time.strftime('%Y-%m-%d')}, {kind}, {os.cpu_count()} cores, "
                   f"{minutes:.0f} minutes:")  # fmt: skip
        Path(os.environ["BENCH_MARKDOWN"]).write_text(report.markdown(heading))
    if report.missed:
        print(f"== missed: {', '.join(report.missed)}")
        return 1
    print(f"== every goal of SPEC §10 is met ({minutes:.0f} minutes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
