"""The personal-data export of an organisation and the anonymisation of people."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload, selectinload

from .. import audit, clock, paging, sessions
from ..applications.operations import question_label
from ..extensions import db
from ..models import (
    Answer,
    Application,
    Contest,
    Decision,
    DecisionKind,
    Invitation,
    JuryMember,
    Organisation,
    RecoveryCode,
    Role,
    Scoresheet,
    Stage,
    User,
)
from ..ranking import optional_amount
from ..results.disclosure import disclosed_decisions

FORMAT = "scoring.personal-data/1"
# Stored in place of a name or contact person: data, in the site's default language.
ANONYMISED_NAME = "Особу знеособлено"
APPLICANT, JUROR = "applicant", "juror"
PER_PAGE = 50  # applicants on a page of the contest's people


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# The export --------------------------------------------------------------------------


def organisation_data(organisation: Organisation, language: str) -> dict:
    """Everything held about ``organisation``, as a JSON-ready document."""
    applications = db.session.scalars(
        select(Application)
        .where(Application.organisation_id == organisation.id)
        .options(
            joinedload(Application.contest),
            joinedload(Application.category),
            selectinload(Application.answers).joinedload(Answer.question),
            selectinload(Application.attachments),
        )
        .order_by(Application.created_at, Application.id)
    ).all()
    recorded = db.session.scalars(
        select(Decision)
        .where(Decision.contest_id.in_({a.contest_id for a in applications}))
        .order_by(Decision.decided_at, Decision.id)
    ).all()
    # What the applicant may read of the commission's decisions: as the public may.
    contests = {a.contest_id: a.contest for a in applications}
    decisions = [
        d
        for contest in contests.values()
        for d in disclosed_decisions(contest, [d for d in recorded if d.contest_id == contest.id])
    ]
    members = db.session.scalars(
        select(User).where(User.organisation_id == organisation.id).order_by(User.id)
    ).all()
    return {
        "format": FORMAT,
        "exported_at": _moment(clock.now()),
        "organisation": {
            "kind": organisation.kind.value,
            "name": organisation.name,
            "edrpou": organisation.edrpou,
            "oblast": organisation.oblast,
            "community": organisation.community,
            "community_code": organisation.community_code,
            "status": organisation.status.value,
            "contact_person": organisation.contact_person,
            "email": organisation.email,
            "phone": organisation.phone,
            "created_at": _moment(organisation.created_at),
            "anonymised_at": _moment(organisation.anonymised_at),
        },
        "users": [
            {
                "name": user.name,
                "email": user.email,
                "role": user.role.value,
                "language": user.language,
                "oblast": user.oblast,
                "community": user.community,
                "created_at": _moment(user.created_at),
                "last_login_at": _moment(user.last_login_at),
                "anonymised_at": _moment(user.anonymised_at),
            }
            for user in members
        ],
        "applications": [
            _application(a, [d for d in decisions if _concerns(d, a)], language)
            for a in applications
        ],
    }


def _concerns(decision: Decision, application: Application) -> bool:
    return decision.contest_id == application.contest_id and (
        decision.application_id == application.id
        or (decision.application_id is None and application.id in (decision.winner_ids or []))
    )


def _application(application: Application, decisions: list[Decision], language: str) -> dict:
    answers = sorted(application.answers, key=lambda a: (a.question.position, a.question.id))
    return {
        "contest": {
            "slug": application.contest.slug,
            "title": application.contest.title(language),
        },
        "number": application.number,
        "state": application.state.value,
        "title": application.title,
        "category": application.category.code if application.category else None,
        "requested": optional_amount(application.requested),
        "created_at": _moment(application.created_at),
        "updated_at": _moment(application.updated_at),
        "submitted_at": _moment(application.submitted_at),
        "decided_at": _moment(application.decided_at),
        "decision_reason": application.decision_reason,
        "answers": [
            {
                "question": answer.question.key,
                "label": question_label(answer.question, language),
                "value": answer.value,
                "updated_at": _moment(answer.updated_at),
            }
            for answer in answers
        ],
        "attachments": [
            {
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "sha256": attachment.sha256,
                "uploaded_at": _moment(attachment.uploaded_at),
            }
            for attachment in application.attachments
        ],
        "decisions": [
            {
                "kind": decision.kind.value,
                "reason": decision.reason,
                "decided_at": _moment(decision.decided_at),
                # A partial award funds its application: a winner, as the results say.
                "winner": application.id in (decision.winner_ids or [])
                or decision.kind == DecisionKind.PARTIAL,
                "amount": optional_amount(decision.amount),
            }
            for decision in decisions
        ],
    }


# The people of a contest ---------------------------------------------------------------


@dataclass
class Person:
    """Someone an organiser may anonymise: an applicant organisation or a juror."""

    kind: str  # APPLICANT or JUROR
    id: int  # the organisation's id for an applicant, the user's for a juror
    name: str  # the contact person, or the juror's name
    email: str
    phone: str
    organisation: str  # the applicant organisation's name
    accounts: list[User]
    anonymised_at: datetime | None
    subject: Organisation | User


def _applicant(organisation: Organisation) -> Person:
    return Person(
        kind=APPLICANT,
        id=organisation.id,
        name=organisation.contact_person,
        email=organisation.email,
        phone=organisation.phone,
        organisation=organisation.name,
        accounts=[u for u in organisation.members if u.role == Role.APPLICANT],
        anonymised_at=organisation.anonymised_at,
        subject=organisation,
    )


def _juror(user: User) -> Person:
    return Person(
        kind=JUROR,
        id=user.id,
        name=user.name,
        email=user.email,
        phone="",
        organisation="",
        accounts=[user],
        anonymised_at=user.anonymised_at,
        subject=user,
    )


def _juror_ids(contest_ids):
    """Ids of the users on the juries of, or assigned in, the given contests."""
    return (
        select(JuryMember.user_id)
        .where(JuryMember.contest_id.in_(contest_ids))
        .union(
            select(Scoresheet.juror_id)
            .join(Application, Application.id == Scoresheet.application_id)
            .where(Application.contest_id.in_(contest_ids))
        )
    )


def _organisations(contest: Contest):
    """The contest's applicant organisations with their accounts, sorted by name."""
    return (
        select(Organisation)
        .where(
            Organisation.id.in_(
                select(Application.organisation_id).where(Application.contest_id == contest.id)
            )
        )
        .options(selectinload(Organisation.members))
        .order_by(Organisation.name, Organisation.id)
    )


def applicants_page(contest: Contest, page: int, per_page: int = PER_PAGE) -> Pagination:
    """One page of the contest's applicant organisations, sorted by name, as ``Person``s:
    three queries (the page, the count, the page's accounts) whatever their number."""
    pagination = paging.paginate(_organisations(contest), page, per_page)
    pagination.items = [_applicant(o) for o in pagination.items]
    return pagination


def contest_jurors(contest: Contest) -> list[Person]:
    """The contest's jurors (a few dozen at most), sorted by name."""
    jurors = db.session.scalars(
        select(User).where(User.id.in_(_juror_ids([contest.id]))).order_by(User.name, User.id)
    )
    return [_juror(u) for u in jurors]


def find_person(contest: Contest, kind: str, person_id: int) -> Person | None:
    """The applicant organisation or juror ``person_id`` of ``contest``, else ``None``."""
    if kind == APPLICANT:
        organisation = db.session.scalar(
            _organisations(contest).where(Organisation.id == person_id)
        )
        return _applicant(organisation) if organisation is not None else None
    if kind == JUROR:
        user = db.session.scalar(
            select(User).where(User.id == person_id, User.id.in_(_juror_ids([contest.id])))
        )
        return _juror(user) if user is not None else None
    return None


def _open_contests(person: Person) -> list[Contest]:
    """Contests not archived yet in which the person takes part."""
    if person.kind == APPLICANT:
        involved = select(Application.contest_id).where(Application.organisation_id == person.id)
    else:
        involved = (
            select(JuryMember.contest_id)
            .where(JuryMember.user_id == person.id)
            .union(
                select(Application.contest_id)
                .join(Scoresheet, Scoresheet.application_id == Application.id)
                .where(Scoresheet.juror_id == person.id)
            )
        )
    return db.session.scalars(
        select(Contest)
        .where(Contest.id.in_(involved), Contest.stage != Stage.ARCHIVED)
        .order_by(Contest.slug)
    ).all()


def anonymisation_problem(contest: Contest, person: Person | None = None) -> str | None:
    """Why the people of ``contest`` (or this ``person``) cannot be anonymised now."""
    if contest.stage != Stage.ARCHIVED:
        return _(
            "People can be anonymised only after the contest is archived: until then the "
            "organisers, the jury and the applicants may still need their contacts, and the "
            "results may still be checked."
        )
    if person is None:
        return None
    if person.anonymised_at is not None:
        return _("This person’s data are already anonymised.")
    others = _open_contests(person)
    if others:
        return _(
            "This person also takes part in contests that are not archived yet: %(contests)s. "
            "Anonymise them once those contests are archived.",
            contests=", ".join(f"«{c.title_uk}»" for c in others),
        )
    return None


def anonymise(person: Person, *, actor: User, contest: Contest) -> None:
    """Replace the person's name, contacts and accounts by placeholders (see the package)."""
    now = clock.now()
    users = person.accounts
    if person.kind == APPLICANT:
        organisation = person.subject
        organisation.contact_person = ANONYMISED_NAME
        organisation.email = f"anonymised-organisation-{organisation.id}@invalid"
        organisation.phone = ""
        organisation.anonymised_at = now
    for user in users:
        _anonymise_user(user, now)
    db.session.flush()
    audit.record(
        "person.anonymised",
        actor=actor,
        contest=contest,
        obj=person.subject,
        users=[u.id for u in users],
    )


def _anonymise_user(user: User, now: datetime) -> None:
    # Invitations sent to the person name them too.
    db.session.execute(
        update(Invitation)
        .where(Invitation.email == user.email)
        .values(email=f"anonymised-{user.id}@invalid", name=ANONYMISED_NAME)
    )
    # A position on a jury («директорка ГО …») tells who the member was as well as a name.
    db.session.execute(update(JuryMember).where(JuryMember.user_id == user.id).values(position=""))
    user.name = ANONYMISED_NAME
    user.email = f"anonymised-{user.id}@invalid"
    user.password_hash = None  # no login, and every session of the account ends
    sessions.end_all(user)  # with the browsers it was used from
    user.totp_secret = user.two_factor_since = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.anonymised_at = now
