"""The commission's discussion of one application before its decision (SPEC §6.6, issue 16).

- ``side_by_side``: each juror's points per criterion and their comments, the columns of
  one table, from the sheets the ranking counts (submitted, not recused); with the
  spread of each criterion, so the commission sees where the jurors disagree.
- ``add_note`` / ``notes``: short notes of the discussion, kept while the jury scores or
  deliberates and read-only afterwards; audited. The contest's organisers alone read
  them: no page, export, document or API for applicants, jurors or the public shows
  them, before or after publication.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, clock, lifecycle
from ..extensions import db
from ..models import (
    Application,
    Conflict,
    Contest,
    DiscussionNote,
    Score,
    Scoresheet,
    SheetState,
    User,
)
from .operations import ResultsError

MAX_NOTE = 1000


@dataclass(frozen=True)
class Cell:
    points: Decimal | None
    comment: str


@dataclass(frozen=True)
class Line:
    """One criterion: each juror's cell in the jurors' order, and the spread."""

    code: str
    title: str
    max_points: Decimal
    cells: list[Cell]
    spread: Decimal | None  # highest − lowest points, None with fewer than two


@dataclass(frozen=True)
class Sheets:
    jurors: list[tuple[int, str]]  # (user id, name), the columns
    lines: list[Line]
    overall: list[str]  # each juror's overall comment


def side_by_side(contest: Contest, application: Application, language: str) -> Sheets:
    """The counted sheets of ``application`` as one table, in three queries."""
    sheets = db.session.execute(
        select(Scoresheet.id, Scoresheet.juror_id, Scoresheet.overall_comment, User.name)
        .join(User, User.id == Scoresheet.juror_id)
        .where(
            Scoresheet.application_id == application.id,
            Scoresheet.state == SheetState.SUBMITTED,
            Scoresheet.conflict != Conflict.RECUSED,
        )
        .order_by(User.name, User.id)
    ).all()
    scores = {
        (sheet_id, criterion_id): (points, comment)
        for sheet_id, criterion_id, points, comment in db.session.execute(
            select(Score.scoresheet_id, Score.criterion_id, Score.points, Score.comment).where(
                Score.scoresheet_id.in_([s.id for s in sheets])
            )
        )
    }
    lines = []
    for criterion in contest.criteria:
        cells = [Cell(*scores.get((s.id, criterion.id), (None, ""))) for s in sheets]
        given = [c.points for c in cells if c.points is not None]
        lines.append(
            Line(
                code=criterion.code,
                title=(criterion.title_en if language == "en" else "") or criterion.title_uk,
                max_points=criterion.max_points,
                cells=cells,
                spread=max(given) - min(given) if len(given) > 1 else None,
            )
        )
    return Sheets(
        jurors=[(s.juror_id, s.name) for s in sheets],
        lines=lines,
        overall=[s.overall_comment for s in sheets],
    )


def notes(application: Application) -> list[tuple[DiscussionNote, str]]:
    """The application's notes, oldest first, with their authors' names."""
    return list(
        db.session.execute(
            select(DiscussionNote, User.name)
            .outerjoin(User, User.id == DiscussionNote.author_id)
            .where(DiscussionNote.application_id == application.id)
            .order_by(DiscussionNote.written_at, DiscussionNote.id)
        ).all()
    )


def add_note(
    contest: Contest, application: Application, text: str | None, *, actor: User
) -> DiscussionNote:
    """Keep a short note of the discussion, while the jury scores or deliberates."""
    if not lifecycle.revisions_open(contest):
        raise ResultsError(
            {"text": _l("Notes are kept while the jury scores or deliberates, before the results.")}
        )
    text = (text or "").strip()
    if not text:
        raise ResultsError({"text": _l("Write the note first.")})
    if len(text) > MAX_NOTE:
        raise ResultsError(
            {"text": _l("The note is too long (at most %(max)d characters).", max=MAX_NOTE)}
        )
    note = DiscussionNote(
        contest_id=contest.id,
        application_id=application.id,
        text=text,
        author_id=actor.id,
        written_at=clock.now(),
    )
    db.session.add(note)
    db.session.flush()
    audit.record(
        "discussion.note",
        actor=actor,
        contest=contest,
        obj=note,
        application=application.id,
        text=text,
    )
    return note
