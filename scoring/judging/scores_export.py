"""The scores of a contest as a file (SPEC §9, §15): what ``export-scores`` prints and
the organisers download, in the columns ``scores_file`` reads back.

Every submitted sheet and every recusal, in a stable order (application number, juror
e-mail, criterion order), so that an export imported into a copy of the contest exports
the same again: ``export_scores`` as the plain CSV of the command line, ``scores_table``
as a ``tables.Table`` (the points as numbers) for XLSX and CSV for Excel.
"""

import csv
import io
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from .. import spreadsheets
from ..extensions import db
from ..models import Application, Conflict, Contest, Criterion, Score, Scoresheet, SheetState, User
from ..tables import Table
from .operations import points_text
from .scores_file import COLUMNS, OPTIONAL, RECUSED


def _score_rows(contest: Contest) -> list[list]:
    """The rows of ``export_scores``: number, e-mail, criterion, points (a number; None on
    the line of an overall comment; ``recused`` for a recusal), comment, juror's name."""
    codes = db.session.execute(
        select(Criterion.id, Criterion.code)
        .where(Criterion.contest_id == contest.id)
        .order_by(Criterion.position)
    ).all()
    sheets = db.session.execute(
        select(
            Scoresheet.id,
            Application.number,
            User.email,
            User.name,
            Scoresheet.conflict,
            Scoresheet.declaration,
            Scoresheet.overall_comment,
        )
        .join(Application, Scoresheet.application_id == Application.id)
        .join(User, Scoresheet.juror_id == User.id)
        .where(
            Application.contest_id == contest.id,
            (Scoresheet.state == SheetState.SUBMITTED) | (Scoresheet.conflict == Conflict.RECUSED),
        )
        .order_by(Application.serial, Application.number, User.email)
    ).all()
    # Plain columns, not objects: a contest of 10,000 applications has 420,000 scores.
    scores = {
        (sheet_id, criterion_id): (points, comment)
        for sheet_id, criterion_id, points, comment in db.session.execute(
            select(Score.scoresheet_id, Score.criterion_id, Score.points, Score.comment)
            .join(Scoresheet, Score.scoresheet_id == Scoresheet.id)
            .join(Application, Scoresheet.application_id == Application.id)
            .where(Application.contest_id == contest.id, Scoresheet.state == SheetState.SUBMITTED)
        )
    }
    rows = []
    for sheet_id, number, email, name, conflict, declaration, overall in sheets:
        juror_name = "" if name == email else name
        if conflict == Conflict.RECUSED:
            rows.append([number, email, "", RECUSED, declaration, juror_name])
            continue
        for criterion_id, code in codes:
            points, comment = scores.get((sheet_id, criterion_id), (None, None))
            if points is None:
                continue
            points = Decimal(points_text(points))  # 7.5, 9: as the sheet shows them
            rows.append([number, email, code, points, comment, juror_name])
        if overall:
            rows.append([number, email, "", None, overall, juror_name])
    return rows


def export_scores(contest: Contest) -> str:
    """The CSV of every submitted sheet and every recusal of the contest (SPEC §9, §15),
    every cell through ``spreadsheets.row`` (no formula runs; ``import-scores`` reads it
    back)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=spreadsheets.LINE_END)
    writer.writerow(spreadsheets.row([*COLUMNS, *OPTIONAL]))
    for number, email, code, points, comment, name in _score_rows(contest):
        score = points if points == RECUSED else points_text(points)
        writer.writerow(spreadsheets.row([number, email, code, score, comment, name]))
    return out.getvalue()


def scores_table(contest: Contest) -> Table:
    """The rows of ``export_scores`` as a table to download, the points as numbers."""
    return Table([*COLUMNS, *OPTIONAL], _score_rows(contest), _("Scores"))
