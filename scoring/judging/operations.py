"""State changes of scoresheets: conflict declarations, scores, submission (SPEC §6, §8).

Functions take models and plain values, check the rules, change the models and write
the audit entry; the view (or the command) commits. A refusal raises ``JudgingError``
before anything has changed.

Saving and submitting first lock the scoresheet row (``lock_scoresheet``), so two
saves of one sheet never interleave: on PostgreSQL ``SELECT … FOR UPDATE`` makes the
second wait for the first to commit, on SQLite a write transaction already holds the
database's write lock (``BEGIN IMMEDIATE``, see ``scoring/database.py``). A save then
upserts only the scores it was given, so two devices saving different criteria of one
sheet at the same moment both keep what they saved.
"""

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from .. import audit, clock, hromadas, lifecycle, ranking
from ..applications.operations import clean_text
from ..extensions import db
from ..i18n import current_language, number
from ..models import (
    Application,
    ApplicationState,
    Conflict,
    Contest,
    Criterion,
    Score,
    Scoresheet,
    SheetState,
    User,
)
from .assignment import Party, conflicts

MAX_COMMENT = 5000
MAX_OVERALL_COMMENT = 10000
MAX_DECLARATION = 2000
POINTS_TEXT = re.compile(r"\d{1,5}(?:[.,]\d{1,4})?")


class JudgingError(Exception):
    """A request that cannot be carried out, explained in the interface language."""


class PointsError(ValueError):
    """A score that is not a valid value for its criterion; the message names the criterion."""


def fair_order_key(contest_id: int, juror_id: int, application_id: int) -> str:
    """The sort key of one assignment in a juror's list (SPEC §11, fair order).

    Sorting by the number would let the first applications always be read by fresh
    jurors and the last by tired ones. A hash of (contest, juror, application) gives
    each juror their own order that looks random, differs between jurors, and stays
    the same on every visit and every database, so a juror's list never reshuffles.
    """
    return hashlib.sha256(f"{contest_id}:{juror_id}:{application_id}".encode()).hexdigest()


def sheet_status(conflict: Conflict, state: SheetState, scored: int = 0) -> str:
    """``recused``, ``submitted``, ``draft`` (declared or partly scored) or ``not_started``."""
    if conflict == Conflict.RECUSED:
        return "recused"
    if state == SheetState.SUBMITTED:
        return "submitted"
    if conflict == Conflict.NONE or scored:
        return "draft"
    return "not_started"


@dataclass(frozen=True)
class Assignment:
    """One line of a juror's assignments list."""

    sheet_id: int
    application_id: int
    number: str
    title: str
    organisation: str
    community: str
    oblast: str
    conflict: Conflict
    state: SheetState
    scored: int  # criteria with points

    @property
    def status(self) -> str:
        """``recused``, ``submitted``, ``draft`` or ``not_started``."""
        return sheet_status(self.conflict, self.state, self.scored)


@dataclass(frozen=True)
class Progress:
    submitted: int = 0
    draft: int = 0
    not_started: int = 0
    recused: int = 0

    @property
    def total(self) -> int:
        return self.submitted + self.draft + self.not_started + self.recused

    @property
    def to_score(self) -> int:
        """Assignments the juror is expected to score: all but the recusals."""
        return self.total - self.recused


def assignments(contest: Contest, juror: User) -> list[Assignment]:
    """The juror's assignments in the contest in their fair order, in one query."""
    scored = (
        select(Score.scoresheet_id, func.count(Score.points).label("scored"))
        .group_by(Score.scoresheet_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Scoresheet.id,
            Application.id,
            Application.number,
            Application.title,
            Application.applicant_name,
            Application.applicant_community,
            Application.applicant_oblast,
            Scoresheet.conflict,
            Scoresheet.state,
            func.coalesce(scored.c.scored, 0),
        )
        .join(Application, Scoresheet.application_id == Application.id)
        .outerjoin(scored, scored.c.scoresheet_id == Scoresheet.id)
        .where(
            Application.contest_id == contest.id,
            Application.state == ApplicationState.ADMITTED,
            Scoresheet.juror_id == juror.id,
        )
    ).all()
    items = [Assignment(*row) for row in rows]
    items.sort(key=lambda a: fair_order_key(contest.id, juror.id, a.application_id))
    return items


STATUSES = ("not_started", "draft", "submitted", "recused")  # the filters of the list
UNSCORED = ("not_started", "draft")
QUICK_POINTS_MAX = 10  # criteria up to this maximum get a button for each whole point


def next_unscored(items: list[Assignment], after: str | None = None) -> Assignment | None:
    """The next assignment still to score in the juror's fair order: the first one after
    the application numbered ``after`` (wrapping round), or the first of all."""
    start = next((i + 1 for i, item in enumerate(items) if item.number == after), 0)
    for item in items[start:] + items[:start]:
        if item.status in UNSCORED and item.number != after:
            return item
    return None


def progress(items: list[Assignment]) -> Progress:
    counts = dict.fromkeys(("submitted", "draft", "not_started", "recused"), 0)
    for item in items:
        counts[item.status] += 1
    return Progress(**counts)


def progress_by_contest(juror: User, contest_ids: list[int]) -> dict[int, Progress]:
    """Progress of the juror in several contests, in one grouped query."""
    rows = db.session.execute(
        select(Application.contest_id, Scoresheet.conflict, Scoresheet.state, func.count())
        .join(Application, Scoresheet.application_id == Application.id)
        .where(
            Application.contest_id.in_(contest_ids),
            Application.state == ApplicationState.ADMITTED,
            Scoresheet.juror_id == juror.id,
        )
        .group_by(Application.contest_id, Scoresheet.conflict, Scoresheet.state)
    ).all()
    counts: dict[int, dict[str, int]] = {
        cid: dict.fromkeys(("submitted", "draft", "not_started", "recused"), 0)
        for cid in contest_ids
    }
    for contest_id, conflict, state, count in rows:
        counts[contest_id][sheet_status(conflict, state)] += count
    return {cid: Progress(**c) for cid, c in counts.items()}


def criterion_name(criterion: Criterion) -> str:
    """«C1 «Актуальність»» in the interface language, for messages."""
    title = (criterion.title_en if current_language() == "en" else "") or criterion.title_uk
    return f"{criterion.code} «{title}»"


def points_text(value: Decimal | None) -> str:
    """Points as plain text without trailing zeros: «7.5», «10», «» for none."""
    return "" if value is None else format(Decimal(value).normalize(), "f")


def parse_points(raw, criterion: Criterion) -> Decimal | None:
    """The points typed for ``criterion`` (``7``, ``7.5``, ``7,5``; empty clears them).

    A score is in ``0..max_points`` and a multiple of the criterion's step; anything
    else raises ``PointsError`` with a message that names the criterion.
    """
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raw = "?"
    text = str(raw).strip()
    if not text:
        return None
    value = None
    if POINTS_TEXT.fullmatch(text):
        try:
            value = Decimal(text.replace(",", "."))
        except InvalidOperation:
            value = None
    if value is None or value > criterion.max_points:
        raise PointsError(
            _(
                "%(criterion)s: enter a number of points from 0 to %(max)s.",
                criterion=criterion_name(criterion),
                max=number(criterion.max_points),
            )
        )
    if value % criterion.step:
        if criterion.step == 1:
            message = _(
                "%(criterion)s: enter a whole number of points (halves are not allowed).",
                criterion=criterion_name(criterion),
            )
        else:
            message = _(
                "%(criterion)s: points go in steps of %(step)s, for example 7 or 7.5.",
                criterion=criterion_name(criterion),
                step=number(criterion.step),
            )
        raise PointsError(message)
    return value


def party(organisation_id, oblast, community_code) -> Party:
    """Someone as conflicts see them; without an oblast, the one their hromada is in."""
    return Party(
        organisation_id, oblast or hromadas.oblast_of(community_code), community_code or None
    )


def applicant_party(application: Application) -> Party:
    """The applicant as conflicts see it: its organisation, and oblast and hromada as
    submitted (SPEC §8)."""
    facts = application.facts
    return party(application.organisation_id, facts.oblast, facts.community_code)


def juror_party(juror: User) -> Party:
    """The juror as conflicts see them: their organisation, oblast and hromada's code."""
    return party(juror.organisation_id, juror.oblast, juror.community_code)


def proposed_conflicts(contest: Contest, application: Application, juror: User) -> list[str]:
    """Conflicts the system sees from what it knows (SPEC §11; rules in ``assignment``).

    ``organisation``: the juror belongs to the applicant; ``oblast`` and ``community``:
    the juror is from the same oblast or community (by KATOTTG code), when the contest
    asks about it.
    """
    return conflicts(
        juror_party(juror),
        applicant_party(application),
        same_oblast=contest.conflict_same_oblast,
        same_community=contest.conflict_same_community,
    )


def lock_scoresheet(sheet_id: int) -> Scoresheet:
    """The scoresheet re-read with its row locked until the transaction ends."""
    return db.session.scalars(
        select(Scoresheet)
        .where(Scoresheet.id == sheet_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def sheet_scores(sheet: Scoresheet) -> dict[int, Score]:
    """The sheet's scores by criterion id, fresh from the database."""
    return {
        s.criterion_id: s
        for s in db.session.scalars(
            select(Score)
            .where(Score.scoresheet_id == sheet.id)
            .execution_options(populate_existing=True)
        )
    }


def total(criteria: list[Criterion], scores: dict[int, Score]) -> Decimal:
    """The juror's total so far: Σ weight × points over the scored criteria (SPEC §6.2)."""
    scored = [c for c in criteria if c.id in scores and scores[c.id].points is not None]
    return ranking.juror_total(
        (c.weight for c in scored), (scores[c.id].points for c in scored), Decimal(0)
    )


def missing_criteria(criteria: list[Criterion], scores: dict[int, Score]) -> list[Criterion]:
    return [c for c in criteria if c.id not in scores or scores[c.id].points is None]


def _check_open(contest: Contest, sheet: Scoresheet) -> None:
    lifecycle.hold_stage(contest)  # a move out of judging waits for this write, or it for it
    if not lifecycle.scoring_open(contest):
        raise JudgingError(_("Scoring in this contest is closed; nothing can change."))
    if sheet.conflict == Conflict.RECUSED:
        raise JudgingError(_("You have recused yourself from this application."))
    if sheet.state == SheetState.SUBMITTED:
        raise JudgingError(_("The scoresheet is submitted and can no longer change."))


def declare_no_conflict(
    sheet: Scoresheet, *, contest: Contest, actor: User, proposed: list[str]
) -> None:
    """The juror confirms having no conflict of interest with the applicant."""
    sheet = lock_scoresheet(sheet.id)
    _check_open(contest, sheet)
    if sheet.conflict != Conflict.UNDECLARED:
        return  # a second click of the same button changes nothing
    sheet.conflict = Conflict.NONE
    sheet.declared_at = clock.now()
    sheet.updated_at = clock.now()
    audit.record(
        "conflict.declared_none",
        actor=actor,
        contest=contest,
        obj=sheet,
        application=sheet.application_id,
        proposed=proposed,
    )


def recuse(sheet: Scoresheet, declaration: str, *, contest: Contest, actor: User) -> None:
    """The juror recuses themself with a declaration; they never see the content again."""
    declaration = (declaration or "").replace("\x00", "").strip()
    if not declaration:
        raise JudgingError(_("Describe the conflict of interest in a few words."))
    if len(declaration) > MAX_DECLARATION:
        raise JudgingError(
            _("The declaration is too long (at most %(max)d characters).", max=MAX_DECLARATION)
        )
    sheet = lock_scoresheet(sheet.id)
    _check_open(contest, sheet)
    mark_recused(sheet, declaration, clock.now(), contest=contest, actor=actor)


def mark_recused(
    sheet: Scoresheet, declaration: str, declared_at, *, contest: Contest, actor, **details
) -> None:
    """Record a recusal with its declaration and audit it; ``declared_at`` is None when
    the declaration was made on paper (``import-scores``). The checks are the caller's."""
    sheet.conflict = Conflict.RECUSED
    sheet.declaration = declaration
    sheet.declared_at = declared_at
    sheet.updated_at = clock.now()
    db.session.flush()
    audit.record(
        "conflict.recused",
        actor=actor,
        contest=contest,
        obj=sheet,
        reason=declaration,
        application=sheet.application_id,
        **details,
    )


@dataclass(frozen=True)
class ScoreValue:
    """A score as its sheet is to hold it: ``points`` (already checked) and ``comment``.
    ``held`` is what the database holds now, ``(points, comment)``, or None when the
    sheet has no row for the criterion yet."""

    sheet_id: int
    criterion_id: int
    points: Decimal | None
    comment: str
    held: tuple[Decimal | None, str] | None


def store_points(
    values: Iterable[ScoreValue], *, contest: Contest, actor: User | None, **via
) -> int:
    """Store scores on sheets the caller has locked, and audit every change of points
    («score.changed», the old and the new points); the number of points changed.

    The scoresheet form, the background saves and ``import-scores``
    (``via="import-scores"``) all store points here, a sheet's six scores and a file's
    420,000 alike: the new rows in one INSERT, the changed ones in one UPDATE, the entries
    in one ``audit.record_many``. Rows that already hold what they are given are left.
    """
    now = clock.now()
    actor_id = getattr(actor, "id", None)
    new, changed, entries = [], [], []
    for value in values:
        row = {"scoresheet_id": value.sheet_id, "criterion_id": value.criterion_id,
               "points": value.points, "comment": value.comment, "updated_at": now}  # fmt: skip
        if value.held is None:
            new.append(row)
        elif value.held != (value.points, value.comment):
            changed.append(row)
        old = value.held[0] if value.held else None
        if old != value.points:
            details = {"criterion": value.criterion_id, "old": points_text(old),
                       "new": points_text(value.points), **via}  # fmt: skip
            entries.append(_entry("score.changed", actor_id, contest, value.sheet_id, details))
    if new:  # the table's own INSERT: the session holds no copy of a new row to keep true
        db.session.execute(insert(Score.__table__), new)
    if changed:  # by primary key through the ORM: the session's copies of them stay true
        db.session.execute(update(Score), changed)
    audit.record_many(entries)
    return len(entries)


@dataclass(frozen=True)
class Submission:
    """A sheet to submit: its id, its application's, and what its audit entry adds (the
    total, or how it came)."""

    sheet_id: int
    application_id: int
    details: dict


def mark_submitted(
    submissions: Iterable[Submission], moment, *, contest: Contest, actor: User | None
) -> None:
    """Make sheets submitted at ``moment`` and audit each («scoresheet.submitted»); the
    checks are the caller's (``submit``, ``import-scores``). One UPDATE and one
    ``audit.record_many``, for the form's one sheet and an import's 70,000 alike."""
    actor_id = getattr(actor, "id", None)
    rows, entries = [], []
    for item in submissions:
        rows.append({"id": item.sheet_id, "state": SheetState.SUBMITTED,
                     "submitted_at": moment, "updated_at": moment})  # fmt: skip
        details = {"application": item.application_id, **item.details}
        entries.append(_entry("scoresheet.submitted", actor_id, contest, item.sheet_id, details))
    if rows:
        db.session.execute(update(Scoresheet), rows)
    audit.record_many(entries)


def _entry(action: str, actor_id, contest: Contest, sheet_id: int, details) -> audit.Entry:
    """The audit entry of an action on a scoresheet, for ``audit.record_many``."""
    return audit.Entry(action, actor_id, contest.id, "Scoresheet", str(sheet_id), details)


@dataclass
class SaveResult:
    saved: list[str] = field(default_factory=list)  # field names now stored
    errors: dict[str, str] = field(default_factory=dict)  # field name → message
    scores: dict[int, Score] = field(default_factory=dict)
    sheet: Scoresheet | None = None


def save_scores(
    sheet: Scoresheet,
    criteria: list[Criterion],
    *,
    contest: Contest,
    actor: User | None,
    points: dict[int, object] | None = None,
    comments: dict[int, str] | None = None,
    overall_comment: str | None = None,
) -> SaveResult:
    """Store the given points and comments of a draft sheet; what was not given stays.

    Field names are ``points_<criterion id>``, ``comment_<criterion id>`` and
    ``overall_comment``. Valid values are stored and invalid ones are refused with a
    message each, so one mistyped score never costs the others.
    """
    points, comments = points or {}, comments or {}
    by_id = {c.id: c for c in criteria}
    sheet = lock_scoresheet(sheet.id)
    _check_open(contest, sheet)
    if sheet.conflict != Conflict.NONE:
        raise JudgingError(_("Declare first whether you have a conflict of interest."))
    result = SaveResult(sheet=sheet)
    new_points: dict[int, Decimal | None] = {}
    for criterion_id, raw in points.items():
        criterion = by_id.get(criterion_id)
        if criterion is None:
            continue  # a criterion of another contest: nothing to store
        try:
            new_points[criterion_id] = parse_points(raw, criterion)
        except PointsError as error:
            result.errors[f"points_{criterion_id}"] = str(error)
    new_comments: dict[int, str] = {}
    for criterion_id, text in comments.items():
        criterion = by_id.get(criterion_id)
        if criterion is None:
            continue
        text = clean_text(str(text or "")).strip()
        if len(text) > MAX_COMMENT:
            result.errors[f"comment_{criterion_id}"] = _(
                "%(criterion)s: the comment is too long (at most %(max)s characters).",
                criterion=criterion_name(criterion),
                max=MAX_COMMENT,
            )
        else:
            new_comments[criterion_id] = text
    if overall_comment is not None:
        overall_comment = clean_text(str(overall_comment)).strip()
        if len(overall_comment) > MAX_OVERALL_COMMENT:
            result.errors["overall_comment"] = _(
                "The overall comment is too long (at most %(max)s characters).",
                max=MAX_OVERALL_COMMENT,
            )
            overall_comment = None

    scores = sheet_scores(sheet)
    values: list[ScoreValue] = []
    commented: list[int] = []  # criteria whose comment changed
    for criterion_id in sorted(new_points.keys() | new_comments.keys()):
        result.saved += [
            f"{kind}_{criterion_id}"
            for kind, given in (("points", new_points), ("comment", new_comments))
            if criterion_id in given
        ]
        score = scores.get(criterion_id)
        held = (score.points, score.comment) if score else None
        points = new_points.get(criterion_id, held[0] if held else None)
        comment = new_comments.get(criterion_id, held[1] if held else "")
        if held is None and points is None and not comment:
            continue  # nothing to store: no empty rows for criteria left blank
        if comment != (held[1] if held else ""):
            commented.append(criterion_id)
        values.append(ScoreValue(sheet.id, criterion_id, points, comment, held))
    changed = store_points(values, contest=contest, actor=actor) > 0 or bool(commented)
    overall_changed = overall_comment is not None and sheet.overall_comment != overall_comment
    if overall_comment is not None:
        if overall_changed:
            sheet.overall_comment = overall_comment
            changed = True
        result.saved.append("overall_comment")
    if commented or overall_changed:
        # Recorded like every write (the text stays out of the log): the pages kept by
        # ``pagecache`` are keyed on the newest entry, so an unrecorded comment would
        # leave the juror reading the sheet as it was before.
        audit.record(
            "comment.changed",
            actor=actor,
            contest=contest,
            obj=sheet,
            criteria=commented,
            overall=overall_changed,
        )
    if changed:
        sheet.updated_at = clock.now()
    db.session.flush()
    result.scores = sheet_scores(sheet) if values else scores
    return result


def submit(sheet: Scoresheet, criteria: list[Criterion], *, contest: Contest, actor: User) -> None:
    """Submit a complete draft sheet; it is read-only from now on."""
    sheet = lock_scoresheet(sheet.id)
    _check_open(contest, sheet)
    if sheet.conflict != Conflict.NONE:
        raise JudgingError(_("Declare first whether you have a conflict of interest."))
    scores = sheet_scores(sheet)
    missing = missing_criteria(criteria, scores)
    if missing:
        raise JudgingError(
            _(
                "Score every criterion before submitting. Not scored yet: %(criteria)s.",
                criteria=", ".join(c.code for c in missing),
            )
        )
    details = {"total": points_text(total(criteria, scores))}
    mark_submitted(
        [Submission(sheet.id, sheet.application_id, details)],
        clock.now(),
        contest=contest,
        actor=actor,
    )
