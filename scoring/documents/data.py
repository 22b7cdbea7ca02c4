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
from sqlalchemy.orm import aliased

from .. import audit, clock, ranking, rounds
from ..applications.content import answer_rows
from ..extensions import db
from ..hromadas import collation_key
from ..i18n import AGENDA_LABELS, AGGREGATION_LABELS, NORMALISE_LABELS
from ..lifecycle import meeting_quorum
from ..links import external_url
from ..models import (
    Application,
    ApplicationState,
    Category,
    Conflict,
    Contest,
    DecisionKind,
    Normalise,
    Scoresheet,
    SheetState,
    User,
)
from ..results import meeting
from ..results.disclosure import public_results, results_public
from ..results.loading import contest_ranking, load
from ..results.presentation import describe, display_score, notes_text, tie_groups, title
from .pdf import fonts, records


class NotAWinner(Exception):
    """A certificate was asked for an application that does not win."""


def letterhead(contest: Contest, language: str) -> records.Letterhead:
    return records.Letterhead(
        contest_title=contest.title(language),
        organising_body=contest.organising_body or current_app.config["ORGANISING_BODY"],
        language=language,
        draft=not results_public(contest),
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
    return external_url("results.public", slug=contest.slug)


def scoring_rules(contest: Contest, language: str) -> records.Scoring:
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

    def scoring(self) -> records.Scoring:
        """The rules as the ranking applied them: the quorum capped by the jury's size,
        and whether the scores are sums of unequal numbers of jurors' totals."""
        return dataclasses.replace(
            scoring_rules(self.contest, self.language),
            quorum=self.ranking.quorum,
            unequal_jurors=self.ranking.unequal_sums,
        )

    def placings(self) -> tuple[records.Placing, ...]:
        places = ranking.winner_places(self.ranking)
        return tuple(
            _placing(
                row,
                self.applications.get(row.application_id, ("", ""))[1],
                self.category_titles,
                jurors=row.jurors,
                winner_place=places.get(row.application_id),
                funded=row.category in self.ranking.funds,
            )
            for row in self.ranking.rows
        )

    def funds(self) -> tuple[records.FundLine, ...]:
        return _fund_lines(self.ranking.funds, self.category_titles)

    def awards(self) -> tuple[records.AwardRecord, ...]:
        """The partial awards the ranking applies (SPEC §12)."""
        rows = {row.application_id: row for row in self.ranking.rows}
        return tuple(
            _award(rows[d.application_id], d)
            for d in self.decisions
            if d.kind == DecisionKind.PARTIAL
            and d.application_id in rows
            and rows[d.application_id].awarded == d.amount
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
                    applications=tuple(tie_entry(r) for r in group.rows),
                    winners=tuple(tie_entry(r) for r in group.rows if r.winner)
                    if decision
                    else (),
                    reason=decision.reason if decision else "",
                    decided_at=decision.decided_at if decision else None,
                )
            )
        return tuple(found)


def tie_entry(row) -> str:
    """«UCH-2026-004 (Апостолівська міська рада)»: the name stays in the nominative in
    «переможцем визнано заявку …» (SPEC §16)."""
    return f"{row.number} ({row.organisation})"


def _award(row, decision) -> records.AwardRecord:
    """A partial award (the engine's or the public row, the model or the public decision)."""
    return records.AwardRecord(
        application=f"{row.number} {row.organisation}",
        requested=row.requested,
        amount=decision.amount,
        reason=decision.reason,
        decided_at=decision.decided_at,
    )


def _fund_lines(funds, titles: dict) -> tuple[records.FundLine, ...]:
    return tuple(
        records.FundLine(titles.get(code, ""), fund.fund, fund.awarded, fund.left)
        for code, fund in funds.items()
    )


def _placing(
    row,
    community: str,
    titles: dict,
    *,
    jurors: int | None,
    winner_place: int | None,
    funded: bool,
) -> records.Placing:
    """A ranked row (the engine's, or the public one) as the documents print it."""
    return records.Placing(
        rank=row.rank,
        number=row.number,
        organisation=row.organisation,
        community=community,
        oblast=row.oblast,
        category=titles.get(row.category, ""),
        score=display_score(row.score),
        jurors=jurors,
        winner=row.winner,
        note=notes_text(row.notes),
        winner_place=winner_place,
        requested=row.requested if funded else None,
        awarded=row.awarded,
        funded=funded,
        own_score=display_score(row.own_score) if row.own_score is not None else None,
    )


def announcement(contest: Contest, language: str) -> records.Announcement:
    """The public announcement: ``disclosure.public_results`` and nothing more."""
    with force_locale(language):
        results = public_results(contest)
        titles = {c.code: title(c, language) for c in results.categories}

        def named(rows) -> tuple[str, ...]:
            return tuple(tie_entry(r) for r in rows)

        rows = {r.number: r for r in results.rows}

        return records.Announcement(
            letterhead=letterhead(contest, language),
            published_at=contest.published_at if results_public(contest) else None,
            placings=tuple(
                _placing(
                    r,
                    r.community,
                    titles,
                    jurors=None,
                    winner_place=r.winner_place,
                    funded=r.category in results.funds,
                )
                for r in results.rows
            ),
            not_ranked=tuple(
                records.Unranked(item.number, item.organisation, describe(item.note))
                for item in results.not_ranked
            ),
            full_ranking=results.full_ranking,
            scoring=dataclasses.replace(
                scoring_rules(contest, language),
                quorum=results.quorum,
                unequal_jurors=results.unequal_sums,
            ),
            ties=tuple(
                records.TieRecord(
                    rank=tie.rank,
                    category=titles.get(tie.category, ""),
                    # Only the winners published: the others of a decided tie stay out.
                    applications=named(tie.rows) if tie.complete else (),
                    winners=named(r for r in tie.rows if r.winner) if tie.decision else (),
                    reason=tie.decision.reason if tie.decision else "",
                    decided_at=tie.decision.decided_at if tie.decision else None,
                )
                for tie in results.ties
            ),
            results_url=results_url(contest),
            rounds=rounds.words(contest),
            funds=_fund_lines(results.funds, titles),
            awards=tuple(
                _award(rows[d.numbers[0]], d)
                for d in results.decisions
                if d.amount is not None and d.numbers and d.numbers[0] in rows
            ),
        )


def _jury(contest: Contest) -> list[tuple[int, records.Member]]:
    """(user id, member) of the jury, the chair first, then by name; with the position
    and the attendance of the meeting (SPEC §16)."""
    return [
        (
            user.id,
            records.Member(
                user.name, member.is_chair, position=member.position, present=member.present
            ),
        )
        for member, user in meeting.jury(contest)
    ]


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
            Application.applicant_name,
            Scoresheet.declaration,
            Scoresheet.declared_at,
            Scoresheet.entered_at,
        )
        .select_from(Scoresheet)
        .join(Application, Scoresheet.application_id == Application.id)
        .join(User, Scoresheet.juror_id == User.id)
        .where(Application.contest_id == contest.id, Scoresheet.conflict == Conflict.RECUSED)
    ).all()
    rows.sort(key=lambda row: (row[0] or 0, collation_key(row[1])))
    return tuple(records.Recusal(*row[1:]) for row in rows)


def user_names(user_ids) -> dict[int, str]:
    """The names of these users (one query, none without ids)."""
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _entered(contest: Contest) -> tuple[records.Entered, ...]:
    """Sheets entered from paper without a declaration made in the system, grouped by
    member, by who entered them and by day."""
    enterer = aliased(User)
    rows = db.session.execute(
        select(User.name, enterer.name, Scoresheet.entered_at)
        .select_from(Scoresheet)
        .join(Application, Scoresheet.application_id == Application.id)
        .join(User, Scoresheet.juror_id == User.id)
        .outerjoin(enterer, Scoresheet.entered_by_id == enterer.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
            Scoresheet.entered_at.is_not(None),
            Scoresheet.declared_at.is_(None),
            Scoresheet.conflict == Conflict.NONE,
        )
    ).all()
    groups: dict[tuple, list] = defaultdict(list)
    for juror, by, at in rows:
        groups[juror, by or "", at.astimezone(clock.KYIV).date()].append(at)
    return tuple(
        records.Entered(juror, len(moments), by, min(moments))
        for (juror, by, _day), moments in sorted(
            groups.items(), key=lambda item: (item[0][0].casefold(), item[0][2], item[0][1])
        )
    )


def protocol(
    contest: Contest, language: str, *, secretary: str, every_member_signs: bool = False
) -> records.Protocol:
    """The jury's protocol with the record of the meeting (``results.meeting``);
    ``secretary`` names who keeps it when the record does not (the organiser)."""
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
            jury += [
                (user_id, records.Member(names.get(user_id, "?"), former=True))
                for user_id in others
            ]
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
                score=display_score(row.score if row.own_score is None else row.own_score),
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
        members = sum(1 for _id, member in jury if not member.former)
        return records.Protocol(
            letterhead=letterhead(contest, language),
            number=contest.protocol_number,
            place=contest.protocol_place,
            date=contest.protocol_date,  # of the meeting, never of the printing (SPEC §16)
            jurors=tuple(member for _id, member in jury),
            secretary=contest.protocol_secretary or secretary,
            secretary_position=contest.protocol_secretary_position,
            quorum_needed=meeting_quorum(members),
            agenda=tuple((item.value, str(AGENDA_LABELS[item.value])) for item in meeting.AGENDA),
            votes={
                item.value: records.Vote(
                    vote.votes_for, vote.votes_against, vote.abstained, vote.chair_decided
                )
                for item, vote in meeting.votes(contest).items()
            },
            scoring=results.scoring(),
            recusals=_recusals(contest),
            matrix=tuple(matrix),
            placings=results.placings(),
            not_ranked=results.not_ranked(),
            divergences=divergences,
            ties=results.ties(),
            audit_entries=chain.entries,
            audit_hash=chain.last_hash,
            audit_broken_at=chain.broken_at,
            audit_last_entry=chain.last_id,
            audit_anchor_problem=audit.anchor_problem_text(chain),
            every_member_signs=every_member_signs,
            entered=_entered(contest),
            funds=results.funds(),
            awards=results.awards(),
            rounds=rounds.words(contest),
        )


def secretary_of(contest: Contest) -> str:
    """The organiser who keeps the protocol when nobody in particular asks for it."""
    organisers = sorted(contest.organisers, key=lambda user: user.id)
    return organisers[0].name if organisers else ""


def receipt(application: Application, language: str) -> records.Receipt:
    """The applicant's proof of submission; the application must not be a draft."""
    with force_locale(language):
        organisation = application.organisation  # the contact person and the code
        facts = application.facts  # the applicant as submitted (SPEC §8)
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
            organisation=facts.name,
            kind=facts.kind.value,
            edrpou=organisation.edrpou,
            oblast=facts.oblast,
            community=facts.community,
            status=facts.status.value,
            contact=", ".join(
                part
                for part in (organisation.contact_person, organisation.email, organisation.phone)
                if part
            ),
            answers=tuple(answers),
            files=tuple(
                records.FileLine(a.filename, a.size, a.sha256) for a in application.attachments
            ),
            requested=application.requested,
        )


def certificate(contest: Contest, application: Application, language: str) -> records.Certificate:
    """The winner's certificate; ``NotAWinner`` unless the ranking makes it a winner (of
    the last round: the winners of a round that another follows advance, SPEC §13)."""
    with force_locale(language):
        results = contest_ranking(contest)
        row = next((r for r in results.rows if r.application_id == application.id), None)
        if row is None or row.winner is not True or rounds.advancing(contest):
            raise NotAWinner(application.number)
        category = None
        if row.category:
            category = db.session.scalar(
                select(Category).where(
                    Category.contest_id == contest.id, Category.code == row.category
                )
            )
        chair = next((m for _id, m in _jury(contest) if m.chair), None)
        published = contest.published_at if results_public(contest) else None
        return records.Certificate(
            letterhead=letterhead(contest, language),
            organisation=application.facts.name,
            community=application.facts.community,
            oblast=application.facts.oblast,
            place=ranking.winner_places(results)[application.id],
            category=title(category, language) if category else "",
            date=published or clock.now(),
            chair=chair.name if chair else "",
            awarded=row.awarded,
        )
