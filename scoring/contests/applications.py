"""The organisers' list of a contest's applications, and screening (SPEC §3, §5).

The list holds what applicants have submitted: submitted, admitted and rejected
applications. Drafts are counted but not listed, because until it is submitted an
application is its applicant's own. Filters narrow the list by state, applicant kind,
oblast and category; the search matches the registration number or the organisation's
name regardless of case, in Cyrillic as in Latin (see ``fold``).

Screening happens in the stage of the same name (SPEC §3): an organiser admits each
submitted application to evaluation or rejects it. A rejection needs a reason; an
admission may carry a note; the applicant sees both. While screening lasts a decision
may be changed (admitted ↔ rejected), again with a reason, and the organisers may ask the
applicant for a clarification (``scoring.applications.clarifications``), which holds the
decision until it is answered or its deadline passes. ``decide`` changes the
application and writes ``application.admitted`` or ``application.rejected`` to the
audit log; the view commits and then e-mails the applicant.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from .. import audit, clock, lifecycle, money, paging
from ..applications.clarifications import open_request
from ..extensions import db
from ..i18n import kind_label, long_datetime, oblast_name, stage_label
from ..models import (
    Application,
    ApplicationState,
    AuditEntry,
    Category,
    Contest,
    Stage,
    User,
)
from ..tables import Table
from .applications_file import IMPORTED
from .operations import ContestError

PER_PAGE = 50
# What organisers see in the list; a draft belongs to its applicant until submitted.
LISTED = (ApplicationState.SUBMITTED, ApplicationState.ADMITTED, ApplicationState.REJECTED)
DECISIONS = {
    ApplicationState.ADMITTED: "application.admitted",
    ApplicationState.REJECTED: "application.rejected",
}
REASON_MAX = 5000

# Typed apostrophes and quotes vary; names are stored with ’ and «».
_APOSTROPHES = str.maketrans(dict.fromkeys("'`ʼ‘´", "’"))
_QUOTES = re.compile(r"[«»\"„“”]")


def fold(text: str) -> str:
    """Text as the search compares it: case-folded, one kind of apostrophe, no quotes.

    The comparison runs in Python because neither database folds Cyrillic case
    portably: SQLite's ``lower()`` knows ASCII only, and PostgreSQL's depends on the
    database's ``LC_CTYPE`` (ASCII only under "C").
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return " ".join(_QUOTES.sub(" ", text).split())


@dataclass(frozen=True)
class Filters:
    """The list's filters; an empty value means "any"."""

    state: str = ""
    kind: str = ""
    oblast: str = ""
    category: str = ""  # the category's code
    search: str = ""

    def args(self) -> dict[str, str]:
        """The filters set, as the query parameters of the list's URL."""
        names = {"search": "q"}
        return {names.get(k, k): v for k, v in self.__dict__.items() if v}


def _conditions(contest: Contest, filters: Filters) -> list:
    conditions = [Application.contest_id == contest.id, Application.state.in_(LISTED)]
    if filters.state:
        conditions.append(Application.state == ApplicationState(filters.state))
    if filters.kind:
        conditions.append(Application.applicant_kind == filters.kind)
    if filters.oblast:
        conditions.append(Application.applicant_oblast == filters.oblast)
    if filters.category:
        conditions.append(Category.code == filters.category)
    return conditions


def _matching_ids(contest: Contest, filters: Filters) -> list[int]:
    """The filtered applications whose number or organisation's name contains the search.

    One query of three short columns over the contest's listed applications (at most a
    few thousand rows); the page itself then loads only its own rows.
    """
    wanted = fold(filters.search)
    rows = db.session.execute(
        select(Application.id, Application.number, Application.applicant_name)
        .outerjoin(Application.category)
        .where(*_conditions(contest, filters))
    )
    return [id_ for id_, number, name in rows if wanted in fold(number) or wanted in fold(name)]


def _listed(contest: Contest, filters: Filters):
    """The filtered list, in registration order, with organisation and category."""
    statement = (
        select(Application)
        .join(Application.organisation)
        .outerjoin(Application.category)
        .options(contains_eager(Application.organisation), contains_eager(Application.category))
        .where(*_conditions(contest, filters))
        .order_by(Application.serial, Application.id)
    )
    if filters.search:
        statement = statement.where(Application.id.in_(_matching_ids(contest, filters)))
    return statement


def applications_page(contest: Contest, filters: Filters, page: int, per_page: int = PER_PAGE):
    """One page of the filtered list, in registration order, with organisation and category.

    A page past the end gives the last page. Queries: the search's (when searching),
    the count and the page's rows, whatever the number of applications.
    """
    return paging.paginate(_listed(contest, filters), page, per_page)


def applications_table(contest: Contest, filters: Filters, state_labels: dict) -> Table:
    """The filtered list as a table to download (every page): who applied, as submitted
    (SPEC §8), with what, the amount requested when the contest has a fund (SPEC §12),
    its state and when it was submitted (two queries)."""
    funded = money.has_fund(contest)
    header = [_("Number"), _("Applicant"), _("Kind"), _("EDRPOU code"), _("Oblast")]
    header += [_("Community"), _("E-mail"), _("Title")]
    if contest.categories:
        header.append(_("Category"))
    if funded:
        header.append(_("Requested"))
    header += [_("State"), _("Submitted")]
    rows = []
    for application in db.session.scalars(_listed(contest, filters)):
        organisation, facts = application.organisation, application.facts
        row = [application.number, facts.name, kind_label(facts.kind)]
        row += [organisation.edrpou, oblast_name(facts.oblast), facts.community]
        row += [organisation.email, application.title]
        if contest.categories:
            row.append(application.category.code if application.category else "")
        if funded:
            row.append(application.requested)  # a number cell; empty when none is stated
        row += [str(state_labels[application.state]), application.submitted_at]
        rows.append(row)
    return Table(header, rows, _("Applications"))


def find_application(contest: Contest, number: str) -> Application | None:
    """The contest's submitted (admitted, rejected) application with this number."""
    return db.session.scalar(
        select(Application)
        .where(
            Application.contest_id == contest.id,
            Application.number == number,
            Application.state.in_(LISTED),
        )
        .options(
            joinedload(Application.organisation),
            joinedload(Application.category),
        )
    )


def next_undecided(application: Application) -> Application | None:
    """The next application, in registration order after this one, that awaits a decision."""
    statement = select(Application).where(
        Application.contest_id == application.contest_id,
        Application.state == ApplicationState.SUBMITTED,
        Application.id != application.id,
    )
    after = db.session.scalar(
        statement.where(Application.serial > application.serial).order_by(Application.serial)
    )
    return after or db.session.scalar(statement.order_by(Application.serial))


def history(application: Application) -> list[AuditEntry]:
    """What happened to the application, oldest first, from the audit log."""
    return db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.contest_id == application.contest_id,
            AuditEntry.object_type == Application.__name__,
            AuditEntry.object_id == str(application.id),
        )
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.id)
    ).all()


def decision_note(application: Application) -> str:
    """The reason or note of the decision as the applicant should read it."""
    reason = application.decision_reason or ""
    # Applications imported from CSV carry a marker, not a sentence.
    return "" if reason == IMPORTED else reason


def screening_problem(contest: Contest):
    """Why applications of the contest cannot be admitted or rejected now, or None."""
    if lifecycle.screening_open(contest):
        return None
    screening = stage_label(Stage.SCREENING)
    if contest.stage in (Stage.DRAFT, Stage.OPEN):
        return _l(
            "Applications are admitted or rejected in the stage «%(stage)s», after applications "
            "close. Move the contest on to it from the dashboard.",
            stage=screening,
        )
    if lifecycle.scoring_open(contest):
        return _l(
            "Screening is over: the jury is scoring the admitted applications. To change a "
            "decision, move the contest back to the stage «%(stage)s» (with a reason) from the "
            "dashboard.",
            stage=screening,
        )
    return _l("Screening is over: the decisions can no longer be changed.")


def decision_problem(application: Application, decision: ApplicationState, reason: str):
    """Why ``decision`` with ``reason`` cannot be recorded on the application now, as
    ``{field: message}``, or None (the rules ``decide`` enforces, for a preview too)."""
    problem = screening_problem(application.contest)
    if problem:
        return {"decision": problem}
    if decision not in DECISIONS:
        return {"decision": _l("Choose one of the options.")}
    if application.state not in LISTED:
        return {"decision": _l("The application is not submitted, so there is nothing to decide.")}
    asked = open_request(application, clock.now())
    if asked is not None:
        return {
            "decision": _l(
                "The applicant has until %(moment)s (Kyiv time) to answer the request for "
                "a clarification: decide once it is answered or the deadline passes.",
                moment=long_datetime(asked.deadline),
            )
        }
    if len(reason) > REASON_MAX:
        return {"reason": _l("Use at most %(max)d characters.", max=REASON_MAX)}
    changing = application.state in DECISIONS and application.state != decision
    if decision == ApplicationState.REJECTED and not reason:
        return {"reason": _l("Give the reason for the rejection.")}
    if changing and not reason:
        return {"reason": _l("Give the reason for changing the decision.")}
    return None


def stands(application: Application, decision: ApplicationState, reason: str) -> bool:
    """The application already stands so: recording the decision would change nothing."""
    return application.state == decision and (application.decision_reason or "") == reason


def decide(
    application: Application, decision: ApplicationState, *, actor: User, reason: str = ""
) -> bool:
    """Admit or reject a submitted application; False when it already stands so.

    The caller holds the application's row lock, so two organisers deciding at once
    queue and the second sees the first's decision (changing it needs a reason).
    """
    lifecycle.hold_stage(application.contest)  # a start of judging at once waits, or this does
    reason = (reason or "").strip()
    problem = decision_problem(application, decision, reason)
    if problem:
        raise ContestError(problem)
    if stands(application, decision, reason):
        return False
    previous = application.state
    application.state = decision
    application.decided_at = clock.now()
    application.decided_by_id = actor.id
    application.decision_reason = reason or None
    db.session.flush()
    audit.record(
        DECISIONS[decision],
        actor=actor,
        contest=application.contest,
        obj=application,
        reason=reason,
        number=application.number,
        previous_state=previous.value,
    )
    return True


# Several applications at once ---------------------------------------------------------


def selected(contest: Contest, numbers: list[str]) -> tuple[list[Application], list[str]]:
    """The contest's submitted applications with these numbers, in registration order,
    and the numbers that are none of them (another contest's, a draft, a typo)."""
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    found = db.session.scalars(
        select(Application)
        .where(
            Application.contest_id == contest.id,
            Application.number.in_(wanted),
            Application.state.in_(LISTED),
        )
        .options(joinedload(Application.organisation))
        .order_by(Application.serial, Application.id)
    ).all()
    known = {a.number for a in found}
    return list(found), [n for n in wanted if n not in known]


@dataclass
class BulkPlan:
    """What a bulk decision does to each application selected, before or after it."""

    change: list[Application] = field(default_factory=list)
    unchanged: list[Application] = field(default_factory=list)  # already stand so
    refused: list[tuple[Application, str]] = field(default_factory=list)  # and why


def plan_decisions(applications, decision: ApplicationState, reason: str) -> BulkPlan:
    plan = BulkPlan()
    reason = (reason or "").strip()
    for application in applications:
        problem = decision_problem(application, decision, reason)
        if problem:
            plan.refused.append((application, str(next(iter(problem.values())))))
        elif stands(application, decision, reason):
            plan.unchanged.append(application)
        else:
            plan.change.append(application)
    return plan


def decide_many(
    applications, decision: ApplicationState, *, actor: User, reason: str, lock
) -> BulkPlan:
    """Record one decision with one reason on each application, each audited as a
    single decision is; what cannot be decided is left as it is and said with why.
    ``lock(id)`` reads an application afresh under its row lock."""
    done = BulkPlan()
    for application in applications:
        application = lock(application.id)
        try:
            changed = decide(application, decision, actor=actor, reason=reason)
        except ContestError as error:
            done.refused.append((application, str(next(iter(error.errors.values())))))
            continue
        (done.change if changed else done.unchanged).append(application)
    return done
