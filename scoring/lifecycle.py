"""The lifecycle of a contest (SPEC §3): its stages, what each allows, moving between them.

    draft → open → screening → judging → deliberation → published → archived

A contest moves forward one stage at a time (``STAGE_FORWARD``) and back only where
nothing is lost (``STAGE_BACK``), then with a reason. ``change_stage`` moves it once the
guardrails of the move (``stage_problems``) find nothing to put right, and writes the
move to the audit log; the view commits.

What each stage allows is answered here, each rule by one predicate that every feature
asks instead of naming stages itself:

- ``screening_open``: applications are admitted or rejected (screening);
- ``assignments_open``: jurors are assigned to admitted applications (screening to
  deliberation);
- ``scoring_open``: jurors score and change their drafts (judging);
- ``scoring_started``: the criteria's scoring rules are fixed, the jurors see the
  contest and the organisers its ranking (judging and later);
- ``scoring_closed``: jurors only read their submitted sheets (deliberation and later);
- ``revisions_open``: a sheet is reopened, a juror added, a divergence resolved (judging
  and deliberation);
- ``ties_open``: the commission decides ties (deliberation);
- ``results_frozen``: the results are public and the jury, its work and the settings
  that decide the ranking no longer change (published and archived);
- ``archived``: nothing in the contest changes any more.

The stage tuples beside them (``SCORING_STARTED``, ``RESULTS_FROZEN``, …) are for
queries. ``frozen_settings`` says which contest settings a stage freezes. The
guardrail of publication reads the ranking (``scoring.results.loading``), so nothing is
published while a tie at a winning place awaits the commission.

The ``Stage`` enumeration itself is a column of ``scoring.models``.
"""

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from . import audit, clock
from .extensions import db
from .i18n import long_date
from .models import Application, Contest, Stage, User
from .results.loading import load
from .results.presentation import undecided_ties

# SPEC §3: forward one step at a time; backwards only where nothing is lost,
# and then with a reason.
STAGE_FORWARD = {
    Stage.DRAFT: Stage.OPEN,
    Stage.OPEN: Stage.SCREENING,
    Stage.SCREENING: Stage.JUDGING,
    Stage.JUDGING: Stage.DELIBERATION,
    Stage.DELIBERATION: Stage.PUBLISHED,
    Stage.PUBLISHED: Stage.ARCHIVED,
}
STAGE_BACK = {
    Stage.OPEN: Stage.DRAFT,
    Stage.SCREENING: Stage.OPEN,
    Stage.JUDGING: Stage.SCREENING,
    Stage.DELIBERATION: Stage.JUDGING,
}

SCREENING = (Stage.SCREENING,)
ASSIGNMENTS_OPEN = (Stage.SCREENING, Stage.JUDGING, Stage.DELIBERATION)
SCORING_OPEN = (Stage.JUDGING,)
SCORING_STARTED = (Stage.JUDGING, Stage.DELIBERATION, Stage.PUBLISHED, Stage.ARCHIVED)
SCORING_CLOSED = (Stage.DELIBERATION, Stage.PUBLISHED, Stage.ARCHIVED)
REVISIONS_OPEN = (Stage.JUDGING, Stage.DELIBERATION)
TIES_OPEN = (Stage.DELIBERATION,)
RESULTS_FROZEN = (Stage.PUBLISHED, Stage.ARCHIVED)


def screening_open(contest: Contest) -> bool:
    return contest.stage in SCREENING


def assignments_open(contest: Contest) -> bool:
    return contest.stage in ASSIGNMENTS_OPEN


def scoring_open(contest: Contest) -> bool:
    return contest.stage in SCORING_OPEN


def scoring_started(contest: Contest) -> bool:
    return contest.stage in SCORING_STARTED


def scoring_closed(contest: Contest) -> bool:
    return contest.stage in SCORING_CLOSED


def revisions_open(contest: Contest) -> bool:
    return contest.stage in REVISIONS_OPEN


def ties_open(contest: Contest) -> bool:
    return contest.stage in TIES_OPEN


def results_frozen(contest: Contest) -> bool:
    return contest.stage in RESULTS_FROZEN


def archived(contest: Contest) -> bool:
    return contest.stage == Stage.ARCHIVED


# What each stage freezes ------------------------------------------------------------

# What submitted applications depend on: frozen once the contest has left the draft.
FROZEN_AFTER_DRAFT = ("slug", "applicant_kinds", "oblasts", "number_prefix")
# What decides the ranking: frozen once the results are published (SPEC §3).
FROZEN_AFTER_PUBLICATION = (
    "winners",
    "aggregation",
    "normalise",
    "quorum",
    "divergence_threshold",
    "min_total",
    "max_winners_per_oblast",
)


def frozen_settings(contest: Contest, changed: list[str], values: dict) -> dict:
    """Why each of the ``changed`` settings cannot change in the contest's current stage."""
    if contest.stage == Stage.DRAFT:
        return {}
    if archived(contest):
        return dict.fromkeys(changed, _l("The contest is archived: nothing in it can change."))
    errors = dict.fromkeys(
        [name for name in changed if name in FROZEN_AFTER_DRAFT],
        _l(
            "The contest is no longer a draft: this cannot change, "
            "because submitted applications depend on it."
        ),
    )
    if "opens_at" in changed and values["opens_at"] > contest.opens_at:
        errors["opens_at"] = _l(
            "The contest is no longer a draft: the opening can move earlier, not later."
        )
    if results_frozen(contest):  # published (archived returned above)
        errors |= dict.fromkeys(
            [name for name in changed if name in FROZEN_AFTER_PUBLICATION],
            _l("The results are published: the settings that decide the ranking cannot change."),
        )
    return errors


# Moving between stages --------------------------------------------------------------


class StageError(Exception):
    """A move that cannot be made; ``errors`` maps form fields to messages."""

    def __init__(self, errors: dict):
        super().__init__(", ".join(errors))
        self.errors = errors


def _years(opens_at, closes_at) -> range:
    """The years (in Kyiv) whose numbers a contest open in this window can give out."""
    return range(opens_at.astimezone(clock.KYIV).year, closes_at.astimezone(clock.KYIV).year + 1)


def contests_sharing_numbers(prefix: str, opens_at, closes_at, exclude_id=None) -> list[str]:
    """Slugs of other contests whose registration numbers could collide with these.

    Numbers read PREFIX-YEAR-NNN, so two contests may share a prefix only when their
    application windows fall in different years (a yearly contest keeps its prefix).
    """
    years = _years(opens_at, closes_at)
    others = db.session.execute(
        select(Contest.slug, Contest.opens_at, Contest.closes_at)
        .where(Contest.number_prefix == prefix, Contest.id != exclude_id)
        .order_by(Contest.slug)
    )
    return [slug for slug, start, end in others if set(years) & set(_years(start, end))]


def _has_applications(contest: Contest) -> bool:
    return db.session.scalar(
        select(Application.id).where(Application.contest_id == contest.id).limit(1)
    ) is not None


def publication_problems(contest: Contest) -> list:
    """What must be put right before the results can be published (SPEC §6.8)."""
    loaded = load(contest)
    try:
        result, stale = loaded.rank()
    except ValueError:
        return [_l("The ranking cannot be computed from the scores as they are; check them.")]
    problems = []
    if not result.rows:
        problems.append(_l("No application is ranked yet: there are no results to publish."))
    for group in undecided_ties(result):
        problems.append(
            ngettext(
                "The applications %(numbers)s are tied at place %(rank)s, and %(num)d place "
                "is left for them: record the commission’s decision on the ranking page.",
                "The applications %(numbers)s are tied at place %(rank)s, and %(num)d places "
                "are left for them: record the commission’s decision on the ranking page.",
                group.places,
                numbers=", ".join(row.number for row in group.rows),
                rank=group.rank,
            )
        )
    for decision in stale:
        problems.append(
            _l(
                "The commission’s decision of %(date)s no longer fits the ranking: the "
                "scores changed after it. Revoke it on the ranking page and decide again.",
                date=long_date(decision.decided_at),
            )
        )
    return problems


def stage_target(contest: Contest, value: str | None) -> Stage | None:
    """The stage named ``value`` if the contest may move there from where it is now."""
    moves = (STAGE_FORWARD.get(contest.stage), STAGE_BACK.get(contest.stage))
    return next((stage for stage in moves if stage is not None and stage.value == value), None)


def is_backward(contest: Contest, target: Stage) -> bool:
    return STAGE_BACK.get(contest.stage) == target


def stage_problems(contest: Contest, target: Stage) -> list:
    """What must be put right before the contest can move to ``target``."""
    problems = []
    if target == Stage.OPEN:
        if not contest.criteria:
            problems.append(_l("Add at least one criterion: a contest cannot open without them."))
        # The schema requires both dates; a deadline already past would open nothing.
        if contest.closes_at <= clock.now():
            problems.append(
                _l("Set the dates first: the closing time of applications has already passed.")
            )
        shared = contests_sharing_numbers(
            contest.number_prefix, contest.opens_at, contest.closes_at, exclude_id=contest.id
        )
        if shared:
            problems.append(
                _l(
                    "Another contest of the same year numbers its applications with the prefix "
                    "%(prefix)s (%(slugs)s): change the prefix in the settings.",
                    prefix=contest.number_prefix,
                    slugs=", ".join(shared),
                )
            )
    if target == Stage.DRAFT and _has_applications(contest):
        problems.append(
            _l(
                "Applicants have already started applications, so the contest cannot "
                "return to the draft."
            )
        )
    if target == Stage.PUBLISHED:
        problems.extend(publication_problems(contest))  # undecided ties (SPEC §6.8)
    return problems


def change_stage(contest: Contest, target: Stage, *, actor: User, reason: str = "") -> None:
    """Move the contest one step along its lifecycle and record who, when and why."""
    if stage_target(contest, target.value) is None:
        raise StageError(
            {"to": _l("The contest cannot move to this stage from its current one.")}
        )
    problems = stage_problems(contest, target)
    if problems:
        raise StageError({"to": problems[0]})
    reason = (reason or "").strip()
    if is_backward(contest, target) and not reason:
        raise StageError({"reason": _l("Give the reason for moving the contest back.")})
    previous = contest.stage
    contest.stage = target
    if target == Stage.PUBLISHED:
        contest.published_at = clock.now()
    db.session.flush()
    audit.record(
        "contest.stage",
        actor=actor,
        contest=contest,
        obj=contest,
        reason=reason,
        from_stage=previous.value,
        to_stage=target.value,
    )
