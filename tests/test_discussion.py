"""The divergence page (issue 16): each juror's points per criterion and comments side by
side, and the commission's discussion notes: kept before the decision, audited, read by
the contest's organisers alone, and never shown to anyone else, before or after
publication."""

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from scoring import clock
from scoring.extensions import db
from scoring.models import AuditEntry, Conflict, Contest, DiscussionNote, Role, SheetState, Stage

from ._judging import judged_contest, organised_by, set_sheet

ORGANISER = "org@example.org"
NOTE = "Олена пояснила низький бал за C2: бюджет без кошторису."


@pytest.fixture
def divergent(app, build, signed_in):
    """A contest in deliberation: two jurors far apart on one application, one recused."""
    organiser = signed_in(Role.ORGANISER, ORGANISER, name="Оксана Секретар")
    low = build.user(Role.JUROR, email="low@example.org", name="Олена Строга")
    high = build.user(Role.JUROR, email="high@example.org", name="Петро Щедрий")
    away = build.user(Role.JUROR, email="away@example.org", name="Ганна Відведена")
    judged = judged_contest(app, build, [low, high, away], count=1, stage=Stage.DELIBERATION)
    organised_by(app, judged.contest_id, organiser)
    c = judged.criteria
    number = judged.numbers[0]
    set_sheet(
        app,
        low,
        number,
        state=SheetState.SUBMITTED,
        points={c["C1"]: "2", c["C2"]: "1", c["C3"]: "0.5"},
        comments={c["C1"]: "Мета розмита", c["C2"]: "Кошторису немає"},
    )
    set_sheet(
        app,
        high,
        number,
        state=SheetState.SUBMITTED,
        points={c["C1"]: "9", c["C2"]: "10", c["C3"]: "5"},
        comments={c["C2"]: "Залучено всі старости"},
    )
    set_sheet(app, away, number, conflict=Conflict.RECUSED, declaration="Родичка голови ГО")
    return judged


def _url(judged, tail=""):
    return f"/manage/contests/{judged.slug}/divergences/{judged.numbers[0]}{tail}"


def _cells(page: str) -> list[list[str]]:
    """The side-by-side table as rows of cell texts (tags dropped)."""
    table = page.partition('id="side-by-side"')[2].partition("</table>")[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells])
    return rows


def test_the_jurors_points_and_comments_are_side_by_side(client, divergent):
    page = client.get(_url(divergent)).get_data(as_text=True)
    rows = _cells(page)
    assert rows[0] == ["Criterion", "Олена Строга", "Петро Щедрий", "Spread"]
    assert rows[1][0].startswith("C1. ") and rows[1][1:] == ["2 Мета розмита", "9", "7"]
    assert rows[2][1:] == ["1 Кошторису немає", "10 Залучено всі старости", "9"]
    assert rows[3][1:] == ["0.5", "5", "4.5"]
    assert rows[4] == ["Total (Σ weight × points)", "4.00", "29.00", ""]
    assert "Ганна Відведена" not in page and "Родичка" not in page  # a recusal is no sheet


def test_notes_are_kept_audited_and_refused_when_empty(app, client, divergent):
    page = client.get(_url(divergent)).get_data(as_text=True)
    assert "No notes yet." in page and f'action="{_url(divergent, "/notes")}"' in page

    empty = client.submit(_url(divergent, "/notes"), {"text": "   "})
    assert empty.status_code == 200
    assert re.search(r'id="text-errors"[^>]*>\s*<div>Write the note first', empty.text)
    too_long = client.submit(_url(divergent, "/notes"), {"text": "я" * 1001})
    assert "The note is too long (at most 1000 characters)." in too_long.text
    with app.app_context():
        assert db.session.scalars(select(DiscussionNote)).all() == []

    kept = client.submit(_url(divergent, "/notes"), {"text": NOTE})
    assert kept.status_code == 302 and kept.headers["Location"] == _url(divergent) + "#notes"
    page = client.get(_url(divergent)).get_data(as_text=True)
    notes = page.partition('id="notes"')[2].partition("</section>")[0]
    assert NOTE in notes and "Recorded by Оксана Секретар" in notes
    with app.app_context():
        (entry,) = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "discussion.note")
        ).all()
        assert entry.details["text"] == NOTE


def test_notes_never_reach_anyone_but_the_organisers_even_after_publication(
    app, build, client, divergent
):
    assert client.submit(_url(divergent, "/notes"), {"text": NOTE}).status_code == 302
    slug = divergent.slug
    with app.app_context():
        contest = db.session.get(Contest, divergent.contest_id)
        contest.stage, contest.published_at = Stage.PUBLISHED, clock.now()
        db.session.commit()

    # The organisers still read them; no more can be added.
    page = client.get(_url(divergent)).get_data(as_text=True)
    assert NOTE in page and f'action="{_url(divergent, "/notes")}"' not in page
    refused = client.submit(_url(divergent, "/notes"), {"text": "Запізніла нотатка"})
    assert refused.status_code == 409
    assert "Notes are kept while the jury scores or deliberates" in refused.text
    with app.app_context():
        assert len(db.session.scalars(select(DiscussionNote)).all()) == 1

    # The public: the results page, the API and the announcement PDF.
    public = app.test_client()
    assert public.get(f"/contests/{slug}/results").status_code == 200
    assert NOTE not in public.get(f"/contests/{slug}/results").text
    assert "Олена пояснила" not in public.get(f"/api/contests/{slug}/results").text
    pdf = PdfReader(io.BytesIO(public.get(f"/contests/{slug}/results.pdf").data))
    assert "пояснила" not in " ".join(p.extract_text() for p in pdf.pages)
    # A juror of the contest, and an organiser of another contest.
    juror = app.test_client()
    juror.login("low@example.org")
    assert NOTE not in juror.get(f"/judging/{slug}/{divergent.numbers[0]}").text
    assert juror.get(_url(divergent)).status_code == 403
    stranger = app.test_client()
    build.user(Role.ORGANISER, email="stranger@example.org")
    stranger.login("stranger@example.org")
    assert stranger.get(_url(divergent)).status_code == 404
    assert stranger.submit(_url(divergent, "/notes"), {"text": "x"}).status_code == 404
