"""The scoresheets' records (SPEC §7, §11): the submitted ones to print and sign, blank
forms to fill in on paper, and a juror's own sheet (without the applicant's name in a
blind contest). The other documents' records are in ``data``. Like ``data``, a fixed
number of queries whatever the number of applications; nothing here checks access."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import ranking
from ..extensions import db
from ..hromadas import collation_key
from ..judging import scores_file
from ..models import Application, ApplicationState, Conflict, Contest, Scoresheet, SheetState, User
from .data import letterhead, scoring_rules, user_names
from .pdf import records


def _sheet(
    contest: Contest,
    criteria: tuple[records.CriterionLine, ...],
    sheet: Scoresheet | None,
    application: Application,
    juror: User | None,
    *,
    hide_organisation: bool = False,
    entered_by: dict[int, str] | None = None,
) -> records.Sheet:
    scores = {s.criterion_id: s for s in sheet.scores} if sheet and sheet.scores else {}
    entered_by = entered_by or {}
    lines = tuple(
        records.SheetLine(
            criterion=line,
            points=scores[c.id].points if c.id in scores else None,
            comment=scores[c.id].comment if c.id in scores else "",
        )
        for c, line in zip(contest.criteria, criteria, strict=True)
    )
    scored = [line for line in lines if line.points is not None]
    return records.Sheet(
        number=application.number,
        organisation="" if hide_organisation else application.facts.name,
        title=application.title,
        juror=juror.name if juror else "",
        juror_email=juror.email if juror else "",
        lines=lines,
        total=ranking.juror_total(
            (line.criterion.weight for line in scored), (line.points for line in scored)
        ),
        overall_comment=sheet.overall_comment if sheet else "",
        submitted_at=sheet.submitted_at if sheet else None,
        declared_at=sheet.declared_at if sheet and sheet.conflict == Conflict.NONE else None,
        entered_at=sheet.entered_at if sheet else None,
        entered_by=entered_by.get(sheet.entered_by_id, "") if sheet else "",
    )


def scoresheets(
    contest: Contest, language: str, *, number: str | None = None, blank: bool = False
) -> records.Scoresheets:
    """Every submitted scoresheet (or one application's); ``blank``: forms to fill by hand.

    Blank forms go to every juror assigned to the application who has not recused;
    an application without assignments gets one form with the juror left to fill in.
    """
    with force_locale(language):
        query = (
            select(Application)
            .where(
                Application.contest_id == contest.id,
                Application.state == ApplicationState.ADMITTED,
            )
            .options(joinedload(Application.organisation))
        )
        if number is not None:
            query = query.where(Application.number == number)
        applications = db.session.scalars(query.order_by(Application.serial)).all()
        sheet_query = (
            select(Scoresheet)
            .where(Scoresheet.application_id.in_([a.id for a in applications]))
            .options(joinedload(Scoresheet.juror), selectinload(Scoresheet.scores))
        )
        if blank:
            sheet_query = sheet_query.where(Scoresheet.conflict != Conflict.RECUSED)
        else:
            sheet_query = sheet_query.where(Scoresheet.state == SheetState.SUBMITTED)
        by_application = defaultdict(list)
        for sheet in db.session.scalars(sheet_query):
            by_application[sheet.application_id].append(sheet)
        entered_by = user_names(s.entered_by_id for found in by_application.values() for s in found)
        criteria = scoring_rules(contest, language).criteria
        sheets = []
        for application in applications:
            found = sorted(
                by_application[application.id], key=lambda s: (collation_key(s.juror.name), s.id)
            )
            if blank:
                jurors = [s.juror for s in found] or [None]
                sheets += [_sheet(contest, criteria, None, application, j) for j in jurors]
            else:
                sheets += [
                    _sheet(contest, criteria, s, application, s.juror, entered_by=entered_by)
                    for s in found
                ]
        head = letterhead(contest, language)
        if blank:  # forms to fill in by hand: nothing on them to call a draft
            head = dataclasses.replace(head, draft=False)
        return records.Scoresheets(
            letterhead=head,
            sheets=tuple(sheets),
            blank=blank,
            max_total=contest.max_total,
            columns=scores_file.COLUMNS,
        )


def juror_scoresheet(
    contest: Contest, application: Application, sheet: Scoresheet, language: str
) -> records.Scoresheets:
    """The juror's own sheet; in a blind contest without the applicant's name."""
    with force_locale(language):
        return records.Scoresheets(
            letterhead=letterhead(contest, language),
            sheets=(
                _sheet(
                    contest,
                    scoring_rules(contest, language).criteria,
                    sheet,
                    application,
                    sheet.juror,
                    hide_organisation=contest.blind,
                    entered_by=user_names([sheet.entered_by_id]),
                ),
            ),
            blank=False,
            max_total=contest.max_total,
            columns=scores_file.COLUMNS,
        )
