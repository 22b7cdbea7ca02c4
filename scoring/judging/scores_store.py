"""Writing the sheets of a scores file in bulk (issue 17): what the database holds already
(``existing_sheets``: rows, no models) and the new and changed sheets, their scores and
their audit entries (``store``), for ``scores_file.import_scores`` once every line is
checked.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert, select, update

from .. import audit, clock
from ..extensions import db
from ..models import (
    Application,
    Conflict,
    Contest,
    JuryMember,
    Role,
    Score,
    Scoresheet,
    SheetState,
    User,
)
from .operations import ScoreValue, Submission, mark_recused, mark_submitted, store_points

VIA = "import-scores"  # in the audit entries of what the import stores
PROGRESS_STEP = 10_000  # lines (or scores) between two calls of the progress callback


@dataclass(frozen=True)
class ImportSummary:
    sheets: int
    jurors_created: list[str]
    jurors_added: list[str]
    scores_changed: int
    recusals: int = 0


@dataclass
class Stored:
    """A sheet the database holds already, with its scores: {criterion id: (points, comment)}."""

    id: int
    conflict: Conflict
    state: SheetState
    overall_comment: str
    declared_at: datetime | None
    submitted_at: datetime | None
    scores: dict[int, tuple[Decimal | None, str]] = field(default_factory=dict)


def existing_sheets(contest: Contest, sheets: dict) -> dict[tuple[str, str], Stored]:
    """The sheets of the file's jurors in the contest, locked, and their scores: read as
    rows (an import of 70,000 sheets and 420,000 scores builds no model of each)."""
    if not sheets:
        return {}
    jurors = select(User.id).where(User.email.in_(sorted({email for _n, email in sheets})))
    found = {
        row[0]: (row[1:3], Stored(row[0], *row[3:]))
        for row in db.session.execute(
            select(
                Scoresheet.id,
                Application.number,
                User.email,
                Scoresheet.conflict,
                Scoresheet.state,
                Scoresheet.overall_comment,
                Scoresheet.declared_at,
                Scoresheet.submitted_at,
            )
            .join(Application, Scoresheet.application_id == Application.id)
            .join(User, Scoresheet.juror_id == User.id)
            .where(Application.contest_id == contest.id, Scoresheet.juror_id.in_(jurors))
            .with_for_update(of=Scoresheet)
        )
    }
    for sheet_id, criterion_id, points, comment in db.session.execute(
        select(Score.scoresheet_id, Score.criterion_id, Score.points, Score.comment)
        .join(Scoresheet, Score.scoresheet_id == Scoresheet.id)
        .join(Application, Scoresheet.application_id == Application.id)
        .where(Application.contest_id == contest.id, Scoresheet.juror_id.in_(jurors))
    ):
        found[sheet_id][1].scores[criterion_id] = (points, comment)
    return dict(found.values())


def _jurors(contest, users, names, sheets, actor, via) -> tuple[list[str], list[str]]:
    """Create the jurors the file names and the system does not know; add them to the jury."""
    created, added = [], []
    members = set(
        db.session.scalars(select(JuryMember.user_id).where(JuryMember.contest_id == contest.id))
    )
    for email in sorted({email for _number, email in sheets}):
        user = users.get(email)
        name = names.get(email)
        if user is None:
            user = User(email=email, name=name or email, role=Role.JUROR, password_hash=None)
            db.session.add(user)
            db.session.flush()
            users[email] = user
            created.append(email)
            audit.record("user.created", actor=actor, obj=user, role="juror", via=VIA)
        elif name and user.name in ("", user.email):
            # A juror known only by the address (an earlier import): the file names them.
            user.name = name
            audit.record("user.renamed", actor=actor, obj=user, via=VIA)
        if user.id not in members:
            db.session.add(JuryMember(contest_id=contest.id, user_id=user.id))
            members.add(user.id)
            added.append(email)
    db.session.flush()
    return created, added


def _entered(sheet: Scoresheet, actor: User | None, now) -> None:
    """Entered from paper, by whom and when (no declaration is claimed for the juror)."""
    sheet.entered_by_id, sheet.entered_at, sheet.updated_at = getattr(actor, "id", None), now, now


def store(
    contest, criteria, applications, users, names, existing, sheets, actor, via, progress
) -> ImportSummary:
    """Write the sheets and their scores in bulk: the new sheets in one INSERT, the held
    ones in one UPDATE, the scores and their audit entries through ``store_points`` and
    ``mark_submitted`` (one INSERT, one UPDATE, one ``audit.record_many`` each) — the
    same rows and entries as one sheet at a time would give, 420,000 scores in seconds.
    Recusals, which are few, go one by one (``mark_recused``)."""
    now = clock.now()
    actor_id = getattr(actor, "id", None)
    created, added = _jurors(contest, users, names, sheets, actor, via)
    recusals = 0
    for key in sorted(k for k, data in sheets.items() if data.recused):
        data, stored = sheets[key], existing.get(key)
        if stored is not None and stored.conflict == Conflict.RECUSED:
            continue
        if stored is None:
            sheet = Scoresheet(
                application_id=applications[data.number].id, juror_id=users[data.email].id
            )
            db.session.add(sheet)
            db.session.flush()
        else:
            sheet = db.session.get(Scoresheet, stored.id)
        # Declared on paper: no declaration time in the system, who entered it.
        mark_recused(sheet, data.declaration, None, contest=contest, actor=actor, via=VIA)
        _entered(sheet, actor, now)
        recusals += 1
    db.session.flush()

    scored = {key: data for key, data in sheets.items() if not data.recused}
    new = [key for key in scored if key not in existing]
    if new:  # entered from paper: they count, with no declaration time (see the module)
        db.session.execute(
            insert(Scoresheet),
            [
                {
                    "application_id": applications[number].id,
                    "juror_id": users[email].id,
                    "conflict": Conflict.NONE,
                    "overall_comment": scored[number, email].overall_comment or "",
                    "assigned_at": now,
                    "updated_at": now,
                    "entered_by_id": actor_id,
                    "entered_at": now,
                }
                for number, email in new
            ],
        )
    held = []  # sheets held before: the file's overall comment, counted, entered if touched
    for key, data in scored.items():
        sheet = existing.get(key)
        if sheet is None:
            continue
        row = {"id": sheet.id}
        if data.overall_comment is not None and data.overall_comment != sheet.overall_comment:
            row["overall_comment"] = data.overall_comment
        if sheet.conflict == Conflict.UNDECLARED:
            row["conflict"] = Conflict.NONE  # it counts; declared_at stays empty
        touched = len(row) > 1 or any(
            sheet.scores.get(c.id) != (data.points[c.id], data.comments[c.id]) for c in criteria
        )
        if touched or sheet.state != SheetState.SUBMITTED:
            row.update(entered_by_id=actor_id, entered_at=now, updated_at=now)
        if len(row) > 1:
            held.append(row)
    if held:
        for columns in {tuple(sorted(row)) for row in held}:  # one UPDATE per set of columns
            db.session.execute(
                update(Scoresheet), [row for row in held if tuple(sorted(row)) == columns]
            )
    if new:
        existing = {**existing, **existing_sheets(contest, dict.fromkeys(new))}

    def scores():  # every score of the file, the progress told as they go
        for done, key in enumerate(sorted(scored)):
            if done % (PROGRESS_STEP // max(len(criteria), 1)) == 0:
                progress(done, len(scored))
            data, sheet = scored[key], existing[key]
            for c in criteria:
                held = sheet.scores.get(c.id)
                yield ScoreValue(sheet.id, c.id, data.points[c.id], data.comments[c.id], held)

    changed = store_points(scores(), contest=contest, actor=actor, via=VIA)
    mark_submitted(
        [
            Submission(sheet.id, applications[number].id, {"via": VIA})
            for (number, email), sheet in sorted(existing.items())
            if (number, email) in scored and sheet.state != SheetState.SUBMITTED
        ],
        now,
        contest=contest,
        actor=actor,
    )
    audit.record(
        "scores.imported",
        actor=actor,
        contest=contest,
        obj=contest,
        sheets=len(sheets),
        recusals=recusals,
        jurors_created=len(created),
        jurors_added=len(added),
        scores_changed=changed,
        via=via,
    )
    return ImportSummary(len(sheets), created, added, changed, recusals)
