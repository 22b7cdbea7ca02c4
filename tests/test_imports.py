"""Imports in the browser (SPEC §15, issue 15): upload, preview, columns, check, import.

An organiser uploads the files offices make — a Google Forms export with its own
headings, Windows-1251 with semicolons from Excel, paper scores with decimal commas, a
contest document — sees how each reads and its first lines, maps the file's columns
onto ours (proposed, and remembered for the contest), gets every problem by line and
column from a check that stores nothing, then imports, audited like the command line.
The file waits on the server for its uploader alone and is removed once imported.
"""

import io
import json
import re
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scoring import clock, hromadas
from scoring.extensions import db
from scoring.models import (
    Application,
    AuditEntry,
    Conflict,
    Contest,
    ImportMapping,
    Organisation,
    OrganisationStatus,
    Role,
    Score,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from ._bad_input import form_for, read_page
from ._databases import dump
from ._judging import judged_contest
from ._office_files import (
    APPLICANTS,
    FORM_HEADER,
    applications_rows,
    excel_1251,
    excel_utf8,
    google_forms,
    paper_scores,
)

ORGANISER = "secretary@hub.example"
PAYLOAD = "=cmd|' /C calc'!A0"


@pytest.fixture
def organiser(signed_in):
    return signed_in(Role.ORGANISER, ORGANISER, name="Секретарка Комісії")


@pytest.fixture
def contest(build, organiser):
    build.contest(
        organisers=[organiser], stage=Stage.SCREENING, slug="uchast-2026", number_prefix="UCH"
    )
    return "uchast-2026"


def _upload(client, url: str, data: bytes, name: str = "file.csv"):
    return client.submit(
        url, {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def _token(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    path = response.location.rsplit("/manage/imports/", 1)[1]
    return path.split("/")[0]


def _mapping_form(client, token: str):
    page = f"/manage/imports/{token}"
    html = client.get(page).get_data(as_text=True)
    return html, form_for(html, page, page)


def _check(client, token: str, changes: dict | None = None):
    """Send the mapping form as proposed (with ``changes``) and follow to the job page."""
    _html, form = _mapping_form(client, token)
    values = {name: value[0] for name, value in form.valid().items() if value}
    response = client.submit(f"/manage/imports/{token}", {**values, **(changes or {})})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert response.location.endswith(f"/manage/imports/{token}/job")
    return client.get(f"/manage/imports/{token}/job").get_data(as_text=True)


def _import(client, token: str) -> str:
    response = client.submit(f"/manage/imports/{token}/run")
    assert response.status_code == 302
    return client.get(f"/manage/imports/{token}/job").get_data(as_text=True)


def _stored(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(
                Application.number,
                Organisation.name,
                Organisation.kind,
                Organisation.edrpou,
                Organisation.oblast,
                Organisation.email,
                Application.title,
            )
            .join(Organisation, Application.organisation_id == Organisation.id)
            .order_by(Application.serial)
        ).all()


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def _upload_folder(app) -> Path:
    return Path(app.config["IMPORT_FOLDER"])


def test_a_google_forms_export_is_mapped_checked_and_imported(app, client, contest, organiser):
    response = _upload(
        client, f"/manage/contests/{contest}/import/applications", google_forms(), "Відповіді.csv"
    )
    token = _token(response)
    html, form = _mapping_form(client, token)
    assert "Read as UTF-8; the columns are separated by: comma." in html
    assert "Відповіді.csv" in html
    assert "ГО «Світанок; Харків»" in html  # the first lines, as read
    proposed = [form.shown(f"column_{i}") for i in range(len(FORM_HEADER))]
    assert proposed == [
        "",  # «Позначка часу»: never imported
        "organisation",
        "kind",
        "edrpou",
        "oblast",
        "community",
        "email",
        "title",
        "",  # a question of the form we do not read
    ]
    assert "For example: «Громадська організація»" in html

    job = _check(client, token)
    assert "The check found no problems: the file can be imported." in job
    assert "3 applications will be imported, submitted and admitted to evaluation." in job
    assert "Numbers: UCH-" in job
    assert _stored(app) == []  # a check stores nothing

    done = _import(client, token)
    assert "The file is imported." in done
    assert "3 applications are imported" in done
    assert f'href="/manage/contests/{contest}/applications"' in done
    stored = _stored(app)
    assert [row[1:] for row in stored] == [
        (a.organisation, a.kind, a.edrpou, a.oblast, a.email.lower(), a.title) for a in APPLICANTS
    ]
    (entry,) = _audit(app, "applications.imported")
    assert entry.actor_id == organiser and entry.details["via"] == "browser"
    assert entry.details["numbers"] == [row[0] for row in stored]
    assert not (_upload_folder(app) / token / "data").exists()  # removed after use
    # The columns chosen are remembered for the contest, and audited as data.
    assert _audit(app, "import.columns_chosen")


def test_a_second_import_of_the_same_file_stores_nothing_twice(app, client, contest):
    token = _token(
        _upload(client, f"/manage/contests/{contest}/import/applications", google_forms())
    )
    _check(client, token)
    _import(client, token)
    before = dump(app)
    again = client.submit(f"/manage/imports/{token}/run")
    assert again.status_code == 302
    assert "This file is already imported." in client.get(again.location).get_data(as_text=True)
    assert dump(app) == before
    # The same file uploaded anew: the check names each organisation already in.
    second = _token(
        _upload(client, f"/manage/contests/{contest}/import/applications", google_forms())
    )
    job = _check(client, second)
    assert "The file cannot be imported as it is:" in job
    assert "already has an application in this contest" in job
    assert 'action="/manage/imports/' + second + '/run"' not in job
    refused = client.submit(f"/manage/imports/{second}/run")
    assert refused.location.endswith(f"/manage/imports/{second}")  # check first
    assert dump(app) == before


def test_windows_1251_with_semicolons_reads_and_imports(app, client, contest):
    token = _token(
        _upload(
            client,
            f"/manage/contests/{contest}/import/applications",
            excel_1251(applications_rows()),
        )
    )
    html, form = _mapping_form(client, token)
    assert "Read as Windows-1251; the columns are separated by: semicolon." in html
    assert (
        "Об’єднані &#34;сусідським&#34; центром" in html
        or "Об’єднані &quot;сусідським&quot;" in html
    )
    assert [form.shown(f"column_{i}") for i in range(8)] == [
        "number",
        "organisation",
        "kind",
        "edrpou",
        "oblast",
        "community",
        "email",
        "title",
    ]
    assert "3 applications will be imported" in _check(client, token)
    _import(client, token)
    assert [row[3] for row in _stored(app)] == [a.edrpou for a in APPLICANTS]  # zeros back


@pytest.fixture
def judged(app, build, organiser):
    juror = build.user(Role.JUROR, email="olena@jury.example")
    judged = judged_contest(app, build, [juror], count=3, slug="paper-2026")
    with app.app_context():
        row = db.session.get(Contest, judged.contest_id)
        row.organisers.append(db.session.get(User, organiser))
        db.session.commit()
    return judged


def test_paper_scores_with_decimal_commas_are_imported_as_numbers(app, client, judged, organiser):
    rows = paper_scores(judged.numbers, "olena@jury.example")
    rows[0] = ["Заявка", "Експерт", "Критерій", "Бал", "Коментар"]  # headings in Ukrainian
    token = _token(
        _upload(client, f"/manage/contests/{judged.slug}/import/scores", excel_utf8(rows))
    )
    html, form = _mapping_form(client, token)
    assert "Read as UTF-8 with a BOM; the columns are separated by: semicolon." in html
    assert [form.shown(f"column_{i}") for i in range(5)] == [
        "application",
        "juror",
        "criterion",
        "score",
        "comment",
    ]
    assert "3 scoresheets will be imported and submitted." in _check(client, token)
    done = _import(client, token)
    assert "3 scoresheets are imported and submitted (scores changed: 9)." in done
    with app.app_context():
        points = db.session.scalars(
            select(Score.points).join(Scoresheet).order_by(Scoresheet.id, Score.criterion_id)
        ).all()
    assert points[:3] == [Decimal(7), Decimal(8), Decimal("4.5")]
    (entry,) = _audit(app, "scores.imported")
    assert entry.actor_id == organiser and entry.details["via"] == "browser"
    assert len(_audit(app, "score.changed")) == 9  # each score audited, as on the command line


def test_the_check_lists_every_problem_by_line_and_column_and_stores_nothing(app, client, contest):
    good = APPLICANTS[1].edrpou
    bad = good[:7] + str((int(good[7]) + 1) % 10)  # the check digit is wrong
    rows = [FORM_HEADER] + [
        ["", "ГО «Перша»", "Громадська організація", bad, "Слобожанська", "Громада"]
        + ["Not-An-Address", "Назва", ""],
        ["", "", "Клуб", APPLICANTS[0].edrpou, "Харківська", "Громада", "b@example.org", "Т", ""],
    ]
    data = excel_utf8(rows, delimiter=",")
    token = _token(_upload(client, f"/manage/contests/{contest}/import/applications", data))
    before = dump(app)
    job = _check(client, token)
    page = read_page(job)
    assert "The file cannot be imported as it is:" in job
    problems = [
        f"line 2, column D «Код ЄДРПОУ»: EDRPOU code {bad} is not valid",
        "line 2, column E «Область»: unknown oblast “Слобожанська”: give its code (UA-63) or name",
        "line 2, column G «Електронна адреса»: “Not-An-Address” is not an e-mail address",
        "line 3, column B «Назва організації»: the column “organisation” is empty",
        "line 3, column C «Тип заявника»: unknown kind “Клуб”; the kinds are: community, ngo",
    ]
    assert [li for li in job.split("<li>")[1:] if "line " in li][0].startswith(problems[0])
    for problem in problems:
        assert f"<li>{problem}</li>" in job, problem
    assert page.forms and not any(f.action.endswith("/run") for f in page.forms)
    remembered = {"audit_log", "import_mappings"}  # the columns chosen, and its audit entry
    after = dump(app)
    assert {k: v for k, v in after.items() if k not in remembered} == {
        k: v for k, v in before.items() if k not in remembered
    }
    assert _stored(app) == []


def test_the_mapping_is_remembered_for_the_contest_only(app, client, build, contest, organiser):
    rows = [["Повне найменування юридичної особи", *FORM_HEADER[2:8]]]
    rows += [
        [a.organisation, a.kind, a.edrpou, a.oblast, a.community, a.email, a.title]
        for a in APPLICANTS
    ]
    data = excel_utf8(rows, delimiter=",")
    token = _token(_upload(client, f"/manage/contests/{contest}/import/applications", data))
    _html, form = _mapping_form(client, token)
    assert form.shown("column_0") == ""  # a heading nobody taught us
    _check(client, token, {"column_0": "organisation"})
    with app.app_context():
        (mapping,) = db.session.scalars(select(ImportMapping)).all()
        assert mapping.columns["повне найменування юридичної особи"] == "organisation"
    again = _token(_upload(client, f"/manage/contests/{contest}/import/applications", data))
    assert _mapping_form(client, again)[1].shown("column_0") == "organisation"
    build.contest(organisers=[organiser], slug="insha", number_prefix="INS")
    other = _token(_upload(client, "/manage/contests/insha/import/applications", data))
    assert _mapping_form(client, other)[1].shown("column_0") == ""


def test_a_column_chosen_twice_is_refused_beside_its_select(app, client, contest):
    token = _token(
        _upload(client, f"/manage/contests/{contest}/import/applications", google_forms())
    )
    _html, form = _mapping_form(client, token)
    values = {name: value[0] for name, value in form.valid().items() if value}
    response = client.submit(f"/manage/imports/{token}", {**values, "column_8": "title"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="column_8-errors"' in html
    assert "This column of ours is already chosen for the file’s column H «Назва проєкту»." in html
    assert not (_upload_folder(app) / token / "job.json").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is an Excel workbook (XLSX)"),
        (bytes(range(256)) * 8, "not a CSV text file: it contains NUL characters"),
        ("a,b\nЄ,1\n".encode() + "Є,2\n".encode("cp1251"), "in different encodings"),
        ((",".join(f"c{i}" for i in range(10_000)) + "\n1\n").encode(), "10000 columns"),
        (b"number,organisation\n", "The file has headings but no lines below them."),
        ("Назва;Код\nГО;1\n".encode()[:-3] + b"\xd0", "it seems cut short"),
    ],
    ids=["empty", "xlsx", "binary", "mixed", "10000-columns", "headings-only", "cut-short"],
)
def test_an_unreadable_file_is_refused_beside_the_field_and_not_kept(
    app, client, contest, data, message
):
    response = _upload(client, f"/manage/contests/{contest}/import/applications", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="file-errors"' in html and 'aria-invalid="true"' in html
    folder = _upload_folder(app)
    assert not folder.exists() or not any(folder.iterdir())


def test_a_file_above_the_limit_is_refused(make_app, build, database_uri):
    app = make_app(IMPORT_MAX_BYTES=1000)
    client = app.test_client()
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    build.contest(organisers=[organiser], slug="uchast-2026", number_prefix="UCH")
    client.login(ORGANISER)
    client.submit("/language", {"language": "en", "next": "/"})
    big = google_forms() + b"x" * 1000
    response = _upload(client, "/manage/contests/uchast-2026/import/applications", big)
    assert response.status_code == 200
    assert "The file is larger than 1000 B." in response.get_data(as_text=True)


def test_uploads_are_their_uploaders_alone(app, client, build, contest, organiser):
    token = _token(
        _upload(client, f"/manage/contests/{contest}/import/applications", google_forms())
    )
    other = app.test_client()
    build.user(Role.ORGANISER, email="other@hub.example")
    other.login("other@hub.example")
    for url in (
        f"/manage/imports/{token}",
        f"/manage/imports/{token}/job",
        f"/manage/imports/{token}/progress.json",
        f"/manage/contests/{contest}/import/applications",
    ):
        assert other.get(url).status_code == 404, url
    for url in (f"/manage/imports/{token}/run", f"/manage/imports/{token}/discard"):
        assert other.submit(url).status_code == 404, url
    assert other.get("/manage/imports/../../etc/passwd").status_code == 404
    assert other.get("/manage/imports/" + "A" * 24).status_code == 404
    # A co-organiser of the contest does not see the file either; its uploader, once no
    # longer an organiser of the contest, loses it too.
    with app.app_context():
        contest_row = db.session.scalar(select(Contest).where(Contest.slug == contest))
        contest_row.organisers.append(
            db.session.scalar(select(User).where(User.email == "other@hub.example"))
        )
        db.session.commit()
    assert other.get(f"/manage/imports/{token}").status_code == 404
    with app.app_context():
        contest_row = db.session.scalar(select(Contest).where(Contest.slug == contest))
        contest_row.organisers = [u for u in contest_row.organisers if u.id != organiser]
        db.session.commit()
    assert client.get(f"/manage/imports/{token}").status_code == 404
    assert (_upload_folder(app) / token / "data").exists()


def test_every_write_needs_the_csrf_token(app, client, contest):
    token = _token(
        _upload(client, f"/manage/contests/{contest}/import/applications", google_forms())
    )
    before = dump(app)
    for url, data in (
        (
            f"/manage/contests/{contest}/import/applications",
            {"file": (io.BytesIO(b"a,b\n1,2\n"), "f.csv")},
        ),
        (f"/manage/imports/{token}", {"column_1": "organisation"}),
        (f"/manage/imports/{token}/run", {}),
        (f"/manage/imports/{token}/discard", {}),
    ):
        response = client.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 400, url
    assert dump(app) == before
    assert (_upload_folder(app) / token / "data").exists()
    assert len(list(_upload_folder(app).iterdir())) == 1


def test_a_file_can_be_removed_instead_of_imported(app, client, contest):
    token = _token(
        _upload(client, f"/manage/contests/{contest}/import/applications", google_forms())
    )
    response = client.submit(f"/manage/imports/{token}/discard")
    assert response.location.endswith(f"/manage/contests/{contest}")
    assert not (_upload_folder(app) / token).exists()
    assert client.get(f"/manage/imports/{token}").status_code == 404


def test_a_formula_or_markup_in_a_cell_is_shown_and_stored_as_text(app, client, contest):
    rows = applications_rows()
    rows[0][7] = "<b>title</b>"  # the heading of a column, shown in the preview and its label
    rows[1][1] = PAYLOAD
    rows[2][7] = "<img src=x onerror=alert(1)>"
    token = _token(
        _upload(client, f"/manage/contests/{contest}/import/applications", excel_1251(rows))
    )
    html, form = _mapping_form(client, token)
    assert "=cmd|&#39; /C calc&#39;!A0" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert "&lt;b&gt;title&lt;/b&gt;" in html and "<b>title" not in html
    assert form.shown("column_7") == ""  # «<b>title</b>» is no heading we know
    _check(client, token, {"column_7": "title"})
    _import(client, token)
    assert _stored(app)[0][1] == PAYLOAD
    assert _stored(app)[1][6] == "<img src=x onerror=alert(1)>"  # kept as typed, shown escaped


def test_a_contest_document_through_the_browser(app, client, runner, build, organiser, tmp_path):
    build.contest(organisers=[organiser], slug="minulyi-rik", number_prefix="MR")
    exported = runner.invoke(args=["export-contest", "minulyi-rik"]).output
    document = json.loads(exported)
    document["slug"], document["number_prefix"] = "novyi-rik", "NR"
    document["title"]["uk"] = "Конкурс нового року"
    response = _upload(
        client,
        "/manage/imports/contest",
        json.dumps(document, ensure_ascii=False).encode(),
        "c.json",
    )
    token = _token(response)
    page = client.get(f"/manage/imports/{token}").get_data(as_text=True)
    assert "Конкурс нового року" in page and "novyi-rik" in page
    check = client.submit(f"/manage/imports/{token}")
    assert check.status_code == 302
    job = client.get(check.location).get_data(as_text=True)
    assert "will be created as a draft that you organise" in job
    with app.app_context():
        assert db.session.scalar(select(Contest).where(Contest.slug == "novyi-rik")) is None
    done = _import(client, token)
    assert "is created as a draft" in done and 'href="/manage/contests/novyi-rik"' in done
    with app.app_context():
        created = db.session.scalar(select(Contest).where(Contest.slug == "novyi-rik"))
        assert created.stage == Stage.DRAFT and [u.id for u in created.organisers] == [organiser]
        assert len(created.criteria) == 2
    (entry,) = _audit(app, "contest.imported")
    assert entry.details["via"] == "browser" and entry.actor_id == organiser
    assert client.get("/manage/contests/novyi-rik").status_code == 200


def test_a_wrong_contest_document_lists_its_problems_by_path(app, client, organiser):
    bad = b'{"format": "scoring.contest/1", "slug": "x", "criteria": [{"code": "C1", "step": 3}]}'
    token = _token(_upload(client, "/manage/imports/contest", bad, "c.json"))
    job = client.get(client.submit(f"/manage/imports/{token}").location).get_data(as_text=True)
    assert "The file cannot be imported as it is:" in job
    assert "criteria[0].step" in job
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contest)) == 0
    broken = _upload(client, "/manage/imports/contest", b'{"slug": ', "c.json")
    assert broken.status_code == 200 and "The file is not valid JSON" in broken.get_data(
        as_text=True
    )


def test_the_progress_shows_while_the_work_runs_and_a_stopped_job_is_told(
    app, client, contest, clock_at
):
    token = _token(
        _upload(client, f"/manage/contests/{contest}/import/applications", google_forms())
    )
    job = {
        "action": "import",
        "state": "running",
        "done": 1200,
        "total": 4000,
        "reported_at": clock.now().isoformat(),
    }
    (_upload_folder(app) / token / "job.json").write_text(json.dumps(job), encoding="utf-8")
    assert client.get(f"/manage/imports/{token}/progress.json").get_json() == {
        "state": "running",
        "action": "import",
        "done": 1200,
        "total": 4000,
        "percent": 30,
    }
    page = client.get(f"/manage/imports/{token}/job").get_data(as_text=True)
    assert '<progress id="import-bar"' in page and 'value="30"' in page
    assert "Done: 30 %" in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert re.search(r'<script src="/static/js/import_progress\.[0-9a-f]{12}\.js"></script>', page)
    # Nothing else may start meanwhile.
    (_upload_folder(app) / token / "running").touch()
    assert client.submit(f"/manage/imports/{token}/discard").location.endswith("/job")
    # Its process gone, the job stops reporting: after ten minutes it is told as stopped.
    clock_at(clock.now() + timedelta(minutes=11))
    stopped = client.get(f"/manage/imports/{token}/job").get_data(as_text=True)
    assert (
        "The work stopped before its end" in stopped
        and "Nothing of this file is stored." in stopped
    )
    assert "Check the file" in client.get(f"/manage/imports/{token}").get_data(as_text=True)
    assert "3 applications will be imported" in _check(client, token)  # it starts afresh


def test_the_check_and_the_import_run_in_a_thread_when_configured(make_app, build, database_uri):
    app = make_app(IMPORT_IN_BACKGROUND=True)
    client = app.test_client()
    organiser = build.user(Role.ORGANISER, email=ORGANISER)
    build.contest(organisers=[organiser], slug="uchast-2026", number_prefix="UCH")
    client.login(ORGANISER)
    client.submit("/language", {"language": "en", "next": "/"})
    token = _token(
        _upload(client, "/manage/contests/uchast-2026/import/applications", google_forms())
    )

    def finish():
        for thread in threading.enumerate():
            if thread.name == f"import-{token}":
                thread.join(timeout=60)
        return client.get(f"/manage/imports/{token}/progress.json").get_json()

    _html, form = _mapping_form(client, token)
    values = {name: value[0] for name, value in form.valid().items() if value}
    assert client.submit(f"/manage/imports/{token}", values).status_code == 302
    assert finish()["state"] == "passed"
    client.submit(f"/manage/imports/{token}/run")
    done = finish()
    assert (done["state"], done["action"], done["percent"]) == ("imported", "import", 100)
    assert len(_stored(app)) == 3


def test_the_dashboard_and_the_lists_lead_to_the_imports(client, contest, judged):
    dashboard = client.get(f"/manage/contests/{contest}").get_data(as_text=True)
    assert f"/manage/contests/{contest}/import/applications" in dashboard
    assert f"/manage/contests/{contest}/import/scores" in dashboard
    applications = client.get(f"/manage/contests/{contest}/applications").get_data(as_text=True)
    assert f"/manage/contests/{contest}/import/applications" in applications
    jury = client.get(f"/manage/contests/{judged.slug}/jury").get_data(as_text=True)
    assert f"/manage/contests/{judged.slug}/import/scores" in jury
    assert "/manage/imports/contest" in client.get("/manage/contests").get_data(as_text=True)


def test_a_check_and_an_import_report_their_progress_as_they_go(app, client, contest, monkeypatch):
    """The page's bar follows ``progress(done, total)`` of the very import functions: the
    lines checked, then the applications stored (twice the lines in all)."""
    from scoring.imports import jobs

    reports: list[tuple[str, str, int, int]] = []
    write = jobs._write

    def recorded(upload, job):
        reports.append((job.action, job.state, job.done, job.total))
        write(upload, job)

    monkeypatch.setattr(jobs, "REPORT_EVERY", 0)
    monkeypatch.setattr(jobs, "_write", recorded)
    token = _token(
        _upload(client, f"/manage/contests/{contest}/import/applications", google_forms())
    )
    _check(client, token)
    checking = [(done, total) for action, state, done, total in reports if state == "running"]
    assert checking[1:] == [(1, 3), (2, 3), (3, 3)]  # after the job's first, empty report
    reports.clear()
    _import(client, token)
    importing = [(done, total) for action, state, done, total in reports if state == "running"]
    assert importing[1:] == [(n, 6) for n in range(1, 7)]
    assert reports[-1][:2] == ("import", "imported")


KATOTTG_HEADINGS = ["Код КАТОТТГ громади", "Статус організації"]


def test_a_google_forms_export_with_katottg_codes_and_statuses(app, client, contest):
    """The optional columns of issue 13 through the browser: the hromada by its KATOTTG
    code (its official name stored beside it), and where the organisation works, written
    as the form's answers («релокована», «Територія тимчасово окупована», left empty)."""
    codes = [hromadas.find_by_name(a.oblast, a.community)[0]["code"] for a in APPLICANTS]
    rows = [FORM_HEADER[:8] + KATOTTG_HEADINGS]
    answers = ["релокована", "Територія тимчасово окупована", ""]
    for n, (a, code, status) in enumerate(zip(APPLICANTS, codes, answers, strict=True)):
        # The first row names its hromada only by the code: the official name is stored.
        community = "" if n == 0 else a.community
        rows.append(
            [f"0{n + 1}.03.2026 10:15:00", a.organisation, a.kind_label, a.edrpou]
            + [a.oblast_label, community, a.email, a.title, code, status]
        )
    token = _token(
        _upload(client, f"/manage/contests/{contest}/import/applications", excel_utf8(rows, ","))
    )
    html, form = _mapping_form(client, token)
    assert [form.shown(f"column_{i}") for i in (8, 9)] == ["community_code", "status"]
    assert "KATOTTG code of the community" in html  # the label of our column
    assert "3 applications will be imported" in _check(client, token)
    _import(client, token)
    with app.app_context():
        facts = [
            a.facts for a in db.session.scalars(select(Application).order_by(Application.serial))
        ]
    assert [(f.community, f.community_code, f.status) for f in facts] == [
        (APPLICANTS[0].community, codes[0], OrganisationStatus.RELOCATED),
        (APPLICANTS[1].community, codes[1], OrganisationStatus.OCCUPIED),
        (APPLICANTS[2].community, codes[2], OrganisationStatus.ACTIVE),  # empty: the default
    ]


def test_a_katottg_code_or_a_status_that_does_not_fit_is_named_by_its_column(app, client, contest):
    a = APPLICANTS[0]
    lviv = hromadas.find_by_name("UA-46", APPLICANTS[2].community)[0]["code"]
    rows = [FORM_HEADER[:8] + KATOTTG_HEADINGS]
    rows.append(["", a.organisation, a.kind_label, a.edrpou, a.oblast_label, "", a.email, "Т"])
    rows[-1] += [lviv, "переїхала"]  # a hromada of Lviv Oblast; a status we do not know
    token = _token(
        _upload(client, f"/manage/contests/{contest}/import/applications", excel_utf8(rows))
    )
    job = _check(client, token)
    assert "The file cannot be imported as it is:" in job
    assert (
        f"<li>line 2, column E «Область»: the hromada {lviv} («{APPLICANTS[2].community}») is "
        "in Lviv Oblast, not in Kharkiv Oblast: correct the oblast or the code</li>" in job
    )
    assert (
        "<li>line 2, column J «Статус організації»: unknown status “переїхала”; the statuses "
        "are: active, relocated, occupied</li>" in job
    )
    assert _stored(app) == []


def test_paper_scores_with_the_jurors_names_and_a_recusal(app, client, judged, organiser):
    """A secretary types in the paper sheets: headings in Ukrainian, the juror's full name
    in a column of its own, and «самовідвід» where a juror declared a conflict."""
    first, second, third = judged.numbers
    rows = [["Номер заявки", "Електронна адреса експерта", "Критерій", "Бал", "Коментар"]]
    rows[0].append("ПІБ експерта")
    for number in (first, second):  # a juror the system does not know yet
        rows += [
            [number, "petro@jury.example", "C1", "7", "", "Петро Паперовий"],
            [number, "petro@jury.example", "C2", "8", "", "Петро Паперовий"],
            [number, "petro@jury.example", "C3", "4,5", "", "Петро Паперовий"],
        ]
    rows.append([third, "olena@jury.example", "", "Самовідвід", "Мій брат очолює цю ГО", ""])
    token = _token(
        _upload(client, f"/manage/contests/{judged.slug}/import/scores", excel_1251(rows))
    )
    html, form = _mapping_form(client, token)
    assert "Read as Windows-1251; the columns are separated by: semicolon." in html
    assert [form.shown(f"column_{i}") for i in range(6)] == [
        "application",
        "juror",
        "criterion",
        "score",
        "comment",
        "juror_name",
    ]
    job = _check(client, token)
    assert "3 scoresheets will be imported and submitted." in job
    assert "Recusals to record: 1" in job
    done = _import(client, token)
    assert "Recusals recorded: 1" in done
    assert "Added to the jury: petro@jury.example" in done
    with app.app_context():
        petro = db.session.scalar(select(User).where(User.email == "petro@jury.example"))
        assert petro.name == "Петро Паперовий"  # documents name him, not his address
        sheets = {
            (number, email): sheet
            for number, email, sheet in db.session.execute(
                select(Application.number, User.email, Scoresheet)
                .select_from(Scoresheet)
                .join(Application, Scoresheet.application_id == Application.id)
                .join(User, Scoresheet.juror_id == User.id)
            )
        }
        recused = sheets[(third, "olena@jury.example")]
        assert recused.conflict == Conflict.RECUSED
        assert recused.declaration == "Мій брат очолює цю ГО"
        assert recused.declared_at is None  # declared on paper, not in the system
        assert recused.entered_by_id == organiser
        for number in (first, second):
            sheet = sheets[(number, "petro@jury.example")]
            assert sheet.state == SheetState.SUBMITTED and sheet.declared_at is None
            assert sheet.entered_by_id == organiser


def test_markup_in_the_files_cells_and_headings_is_shown_as_text(client, contest):
    """A Google Form's answers are typed by anyone: a cell or a heading with markup is
    shown on the columns page as text, in its example and in the error naming it."""
    header = ["organisation", "<b>Назва</b>", "email"]
    data = (",".join(header) + "\n" + "<img src=x onerror=alert(1)>,x,a@b.example\n").encode()
    token = _token(_upload(client, f"/manage/contests/{contest}/import/applications", data))
    html, form = _mapping_form(client, token)
    assert "<img src=x" not in html
    assert "For example: «&lt;img src=x onerror=alert(1)&gt;»" in html
    # The same column of ours chosen twice: the error names the heading, escaped.
    values = {name: value[0] for name, value in form.valid().items() if value}
    response = client.submit(
        f"/manage/imports/{token}",
        {**values, "column_0": "organisation", "column_1": "organisation"},
    )
    page = response.get_data(as_text=True)
    assert "already chosen for the file’s column" in page
    assert "<b>Назва</b>" not in page
    assert "&lt;b&gt;Назва&lt;/b&gt;" in page


@pytest.mark.parametrize(
    "document, message",
    [
        (b'{"slug": ', "Файл не є коректним JSON: очікується значення (рядок 1, позиція 10)."),
        (b'{"slug",', "Файл не є коректним JSON: очікується двокрапка «:» (рядок 1, позиція 8)."),
        (
            b'{"winners": ' + b"9" * 5000 + b"}",
            "Файл не є коректним JSON: у ньому є число з понад 4300 цифр.",
        ),
    ],
)
def test_a_broken_contest_document_is_told_in_ukrainian(client, organiser, document, message):
    """The json module's own words are English (and one names a Python function): the
    organiser reads what is wrong, and where, in Ukrainian."""
    client.submit("/language", {"language": "uk", "next": "/"})
    page = _upload(client, "/manage/imports/contest", document, "c.json").get_data(as_text=True)
    assert message in page
    assert "Expecting" not in page and "sys.set_int_max_str_digits" not in page


def test_a_quote_never_closed_is_told_by_its_line_in_ukrainian(client, contest):
    """A quote opened in a cell and never closed swallows the rest of the file into one
    cell: the organiser is told, in Ukrainian, on which line it starts and why."""
    client.submit("/language", {"language": "uk", "next": "/"})
    data = b'organisation,email\nA,a@b.example\n"B,b@c.example\n' + b"C,c@d.example\n" * 20_000
    page = _upload(client, f"/manage/contests/{contest}/import/applications", data)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Рядок 3 не вдалося прочитати" in text
    assert "лапки «&#34;»" in text and "field limit" not in text
