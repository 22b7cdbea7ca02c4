"""From the database to the records the documents are built from (``records.py``).

Each function reads what its document needs in a fixed number of queries, whatever
the number of applications (the ranking comes from ``scoring.results.loading``, worded
by ``scoring.results.presentation``), and words everything in the document's language.
Nothing here checks access: the views and the command line decide who gets which
document.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit, clock, lifecycle, ranking
from ..applications.content import answer_rows
from ..extensions import db
from ..i18n import AGGREGATION_LABELS, NORMALISE_LABELS
from ..judging import scores_file
from ..models import (
    Application,
    ApplicationState,
    Category,
    Conflict,
    Contest,
    DecisionKind,
    JuryMember,
    Normalise,
    Organisation,
    Scoresheet,
    SheetState,
    User,
)
from ..results.loading import contest_ranking, load
from ..results.presentation import describe, display_score, notes_text, tie_groups, title
from .pdf import fonts, records


class NotAWinner(Exception):
    """A certificate was asked for an application that does not win."""


def is_published(contest: Contest) -> bool:
    return lifecycle.results_frozen(contest)


def letterhead(contest: Contest, language: str) -> records.Letterhead:
    return records.Letterhead(
        contest_title=contest.title(language),
        organising_body=contest.organising_body or current_app.config["ORGANISING_BODY"],
        language=language,
        draft=not is_published(contest),
        generated_at=clock.now(),
    )


def font_folder() -> Path:
    """The folder of the documents' fonts: ``PDF_FONT_DIR`` (the setting, then the
    environment variable), else the first of the usual places that holds them."""
    configured = current_app.config.get("PDF_FONT_DIR")
    given = [d for d in (configured, os.environ.get("PDF_FONT_DIR")) if d]
    return fonts.find_folder([*given, *fonts.FONT_DIRS])


def file_name(*parts: str, language: str = "uk") -> str:
    """``protocol-uspishna-uchast-2026.pdf``: ASCII letters, digits, dots and dashes only."""
    stem = "-".join(p for p in parts if p) + ("-en" if language == "en" else "")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") + ".pdf"


def results_url(contest: Contest) -> str:
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/contests/{contest.slug}/results"


def _scoring(contest: Contest, language: str) -> records.Scoring:
    return records.Scoring(
        criteria=tuple(
            records.CriterionLine(
                code=c.code,
                title=title(c, language),
                max_points=c.max_points,
                weight=c.weight,
                step=c.step,
                min_points=c.min_points,
            )
            for c in contest.criteria
        ),
        aggregation=str(AGGREGATION_LABELS[contest.aggregation]),
        normalised=""
        if contest.normalise == Normalise.NONE
        else str(NORMALISE_LABELS[contest.normalise]),
        quorum=contest.quorum,
        min_total=contest.min_total,
        max_winners_per_oblast=contest.max_winners_per_oblast,
        divergence_threshold=contest.divergence_threshold,
        max_total=contest.max_total,
    )


class _Results:
    """The ranking with what the documents print beside it, loaded once (``load``)."""

    def __init__(self, contest: Contest, language: str):
        self.contest = contest
        self.language = language
        self.loaded = load(contest)
        self.ranking = self.loaded.rank()[0]
        self.category_titles = {c.code: title(c, language) for c in self.loaded.categories}
        self.applications = {
            app.id: (app.organisation, self.loaded.applicants[app.id].community)
            for app in self.loaded.inputs.applications
        }
        self.decisions = self.loaded.decisions

    def placings(self) -> tuple[records.Placing, ...]:
        return tuple(
            records.Placing(
                rank=row.rank,
                number=row.number,
                organisation=row.organisation,
                community=self.applications.get(row.application_id, ("", ""))[1],
                oblast=row.oblast,
                category=self.category_titles.get(row.category, ""),
                score=display_score(row.score),
                jurors=row.jurors,
                tie=row.tie,
                divergent=row.divergent,
                winner=row.winner,
                note=notes_text(row.notes),
            )
            for row in self.ranking.rows
        )

    def not_ranked(self) -> tuple[records.Unranked, ...]:
        return tuple(
            records.Unranked(
                number=item.number,
                organisation=self.applications.get(item.application_id, ("", ""))[0],
                reason=describe(item.as_note),
            )
            for item in self.ranking.not_ranked
        )

    def ties(self) -> tuple[records.TieRecord, ...]:
        """The tie groups at the last winning places, with the decision that settled each."""
        tie_decisions = [d for d in self.decisions if d.kind == DecisionKind.TIE]
        found = []
        for group in tie_groups(self.ranking):
            ids = {row.application_id for row in group.rows}
            decision = next(
                (d for d in tie_decisions if group.decided and ids & set(d.winner_ids)), None
            )
            found.append(
                records.TieRecord(
                    rank=group.rank,
                    category=self.category_titles.get(group.category, ""),
                    applications=tuple(f"{r.number} {r.organisation}" for r in group.rows),
                    winners=tuple(f"{r.number} {r.organisation}" for r in group.rows if r.winner)
                    if decision
                    else (),
                    reason=decision.reason if decision else "",
                    decided_at=decision.decided_at if decision else None,
                )
            )
        return tuple(found)


def announcement(contest: Contest, language: str) -> records.Announcement:
    with force_locale(language):
        results = _Results(contest, language)
        return records.Announcement(
            letterhead=letterhead(contest, language),
            published_at=contest.published_at if is_published(contest) else None,
            placings=results.placings(),
            not_ranked=results.not_ranked(),
            full_ranking=contest.results_full_ranking,
            scoring=_scoring(contest, language),
            ties=results.ties(),
            results_url=results_url(contest),
        )


def _jury(contest: Contest) -> list[tuple[int, records.Member]]:
    """(user id, member) of the jury, the chair first, then by name."""
    members = db.session.execute(
        select(JuryMember.user_id, JuryMember.is_chair, User.name)
        .join(User, JuryMember.user_id == User.id)
        .where(JuryMember.contest_id == contest.id)
    ).all()
    members.sort(key=lambda m: (not m.is_chair, m.name.casefold(), m.user_id))
    return [(m.user_id, records.Member(m.name, m.is_chair)) for m in members]


def _sheet_states(contest: Contest) -> dict[tuple[int, int], tuple[Conflict, SheetState]]:
    return {
        (app_id, juror_id): (conflict, state)
        for app_id, juror_id, conflict, state in db.session.execute(
            select(
                Scoresheet.application_id,
                Scoresheet.juror_id,
                Scoresheet.conflict,
                Scoresheet.state,
            )
            .join(Application, Scoresheet.application_id == Application.id)
            .where(
                Application.contest_id == contest.id,
                Application.state == ApplicationState.ADMITTED,
            )
        )
    }


def _unranked_totals(loaded, application_ids: list[int]) -> dict[tuple, Decimal]:
    """Jurors' totals on the submitted sheets of applications below the quorum (the
    sheets ``load`` read: submitted, without a conflict, of admitted applications)."""
    wanted = set(application_ids)
    criteria = loaded.inputs.criteria
    return {
        (sheet.application_id, sheet.juror_id): ranking.juror_total(
            (c.weight for c in criteria if sheet.scores.get(c.id) is not None),
            (sheet.scores[c.id] for c in criteria if sheet.scores.get(c.id) is not None),
        )
        for sheet in loaded.inputs.sheets
        if sheet.application_id in wanted
    }


def _recusals(contest: Contest) -> tuple[records.Recusal, ...]:
    rows = db.session.execute(
        select(
            Application.serial,
            User.name,
            Application.number,
            Organisation.name,
            Scoresheet.declaration,
            Scoresheet.declared_at,
        )
        .select_from(Scoresheet)
        .join(Application, Scoresheet.application_id == Application.id)
        .join(Organisation, Application.organisation_id == Organisation.id)
        .join(User, Scoresheet.juror_id == User.id)
        .where(Application.contest_id == contest.id, Scoresheet.conflict == Conflict.RECUSED)
    ).all()
    rows.sort(key=lambda row: (row[0] or 0, row[1].casefold()))
    return tuple(records.Recusal(*row[1:]) for row in rows)


def protocol(
    contest: Contest, language: str, *, secretary: str, every_member_signs: bool = False
) -> records.Protocol:
    """The jury's protocol; ``secretary`` is the organiser who keeps it (a name)."""
    with force_locale(language):
        results = _Results(contest, language)
        jury = _jury(contest)
        states = _sheet_states(contest)
        known = {user_id for user_id, _member in jury}
        others = sorted({juror for _app, juror in states} - known)
        if others:  # sheets of people no longer on the jury still count
            names = dict(
                db.session.execute(select(User.id, User.name).where(User.id.in_(others))).all()
            )
            jury += [(user_id, records.Member(names.get(user_id, "?"))) for user_id in others]
        juror_ids = [user_id for user_id, _member in jury]
        unranked_ids = [item.application_id for item in results.ranking.not_ranked]
        unranked_totals = _unranked_totals(results.loaded, unranked_ids)

        def cells(app_id: int, totals) -> tuple:
            row = []
            for juror in juror_ids:
                conflict, state = states.get((app_id, juror), (None, None))
                if conflict is None:
                    row.append(records.NOT_ASSIGNED)
                elif conflict == Conflict.RECUSED:
                    row.append(records.RECUSED)
                elif juror in totals:
                    row.append(display_score(totals[juror]))
                else:
                    row.append(records.NOT_SUBMITTED)
            return tuple(row)

        matrix = [
            records.MatrixRow(
                number=row.number,
                organisation=row.organisation,
                totals=cells(row.application_id, row.juror_totals),
                score=display_score(row.score),
                divergent=row.divergent,
            )
            for row in results.ranking.rows
        ]
        for item in results.ranking.not_ranked:
            totals = {
                juror: total
                for (app_id, juror), total in unranked_totals.items()
                if app_id == item.application_id
            }
            matrix.append(
                records.MatrixRow(
                    number=item.number,
                    organisation=results.applications.get(item.application_id, ("", ""))[0],
                    totals=cells(item.application_id, totals),
                    score=None,
                    divergent=False,
                )
            )
        resolutions = defaultdict(list)
        for decision in results.decisions:
            if decision.kind == DecisionKind.DIVERGENCE and decision.application_id:
                resolutions[decision.application_id].append((decision.decided_at, decision.reason))
        divergences = tuple(
            records.Divergence(
                number=row.number,
                organisation=row.organisation,
                spread=display_score(
                    max(row.juror_totals.values()) - min(row.juror_totals.values())
                ),
                resolutions=tuple(reason for _at, reason in resolutions[row.application_id]),
            )
            for row in results.ranking.rows
            if row.divergent
        )
        chain = audit.verify()
        published = contest.published_at if is_published(contest) else None
        return records.Protocol(
            letterhead=letterhead(contest, language),
            number=contest.protocol_number,
            place=contest.protocol_place,
            date=published or clock.now(),
            jurors=tuple(member for _id, member in jury),
            secretary=secretary,
            scoring=_scoring(contest, language),
            recusals=_recusals(contest),
            matrix=tuple(matrix),
            placings=results.placings(),
            not_ranked=results.not_ranked(),
            divergences=divergences,
            ties=results.ties(),
            audit_entries=chain.entries,
            audit_hash=chain.last_hash,
            audit_broken_at=chain.broken_at,
            every_member_signs=every_member_signs,
        )


def secretary_of(contest: Contest) -> str:
    """The organiser who keeps the protocol when nobody in particular asks for it."""
    organisers = sorted(contest.organisers, key=lambda user: user.id)
    return organisers[0].name if organisers else ""


def _sheet(
    contest: Contest,
    criteria: tuple[records.CriterionLine, ...],
    sheet: Scoresheet | None,
    application: Application,
    juror: User | None,
    *,
    hide_organisation: bool = False,
) -> records.Sheet:
    scores = {s.criterion_id: s for s in sheet.scores} if sheet and sheet.scores else {}
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
        organisation="" if hide_organisation else application.organisation.name,
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
        criteria = _scoring(contest, language).criteria
        sheets = []
        for application in applications:
            found = sorted(
                by_application[application.id], key=lambda s: (s.juror.name.casefold(), s.id)
            )
            if blank:
                jurors = [s.juror for s in found] or [None]
                sheets += [_sheet(contest, criteria, None, application, j) for j in jurors]
            else:
                sheets += [_sheet(contest, criteria, s, application, s.juror) for s in found]
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
                    _scoring(contest, language).criteria,
                    sheet,
                    application,
                    sheet.juror,
                    hide_organisation=contest.blind,
                ),
            ),
            blank=False,
            max_total=contest.max_total,
            columns=scores_file.COLUMNS,
        )


def receipt(application: Application, language: str) -> records.Receipt:
    """The applicant's proof of submission; the application must not be a draft."""
    with force_locale(language):
        organisation = application.organisation
        answers = []
        for row in answer_rows(application, language):
            if row["kind"] == "file":
                value = row["file"].filename if row["file"] else _("no file")
            else:
                value = row["value"] or _("no answer")
            answers.append(records.AnswerLine(row["label"], value))
        contest = application.contest
        return records.Receipt(
            # A receipt proves a submission whatever the stage: never a draft.
            letterhead=dataclasses.replace(letterhead(contest, language), draft=False),
            number=application.number,
            title=application.title,
            submitted_at=application.submitted_at,
            organisation=organisation.name,
            kind=organisation.kind.value,
            edrpou=organisation.edrpou,
            oblast=organisation.oblast,
            community=organisation.community,
            status=organisation.status.value,
            contact=", ".join(
                part
                for part in (organisation.contact_person, organisation.email, organisation.phone)
                if part
            ),
            answers=tuple(answers),
            files=tuple(
                records.FileLine(a.filename, a.size, a.sha256) for a in application.attachments
            ),
        )


def certificate(contest: Contest, application: Application, language: str) -> records.Certificate:
    """The winner's certificate; ``NotAWinner`` unless the ranking makes it a winner."""
    with force_locale(language):
        results = contest_ranking(contest)
        row = next((r for r in results.rows if r.application_id == application.id), None)
        if row is None or row.winner is not True:
            raise NotAWinner(application.number)
        category = None
        if row.category:
            category = db.session.scalar(
                select(Category).where(
                    Category.contest_id == contest.id, Category.code == row.category
                )
            )
        chair = next((m for _id, m in _jury(contest) if m.chair), None)
        published = contest.published_at if is_published(contest) else None
        return records.Certificate(
            letterhead=letterhead(contest, language),
            organisation=application.organisation.name,
            community=application.organisation.community,
            oblast=application.organisation.oblast,
            place=row.rank,
            category=title(category, language) if category else "",
            date=published or clock.now(),
            chair=chair.name if chair else "",
        )
