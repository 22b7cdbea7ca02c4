"""State changes of accounts: registration, password reset tokens, invitations.

Functions change models and write the audit entry; the view commits.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from .. import audit, clock, hromadas, mail
from ..extensions import db
from ..links import external_url
from ..models import (
    Contest,
    Invitation,
    JuryMember,
    Organisation,
    Role,
    User,
)
from ..organisations import OrganisationError, apply_organisation_values


class AccountError(Exception):
    """A request that cannot be carried out; ``field`` names the form field to blame."""

    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field = field
        self.message = message


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def register_applicant(*, email, password, details: dict, language="uk") -> User:
    """Create an organisation and its contact person's account.

    ``details`` are the organisation's, as ``OrganisationFields.values()`` gives them;
    they are checked as the profile page checks them.
    """
    if find_user(email):
        raise AccountError(
            "email",
            _l("An account with this e-mail already exists. Log in or restore the password."),
        )
    organisation = Organisation()
    try:
        apply_organisation_values(organisation, details)
    except OrganisationError as error:
        raise AccountError(error.field, error.message) from error
    user = User(
        email=email,
        name=organisation.contact_person,
        role=Role.APPLICANT,
        language=language,
        organisation=organisation,
    )
    user.set_password(password)
    db.session.add_all([organisation, user])
    db.session.flush()
    audit.record("user.registered", actor=user, obj=user, organisation=organisation.id)
    return user


# Password reset: a signed token carrying the user's id, an expiry and the tail of the
# current password hash, so a used token (or one older than a later reset) stops working.


def _reset_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def reset_token(user: User) -> str:
    expires = clock.now() + timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"])
    return _reset_serializer().dumps(
        {"u": user.id, "h": (user.password_hash or "")[-12:], "e": int(expires.timestamp())}
    )


def user_for_reset(token: str) -> User | None:
    """The user a reset token is for, or None when it is invalid, used or expired."""
    try:
        data = _reset_serializer().loads(token)
        user_id, tail, expires = int(data["u"]), str(data["h"]), int(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if clock.now().timestamp() > expires:
        return None
    user = db.session.get(User, user_id)
    if user is None or (user.password_hash or "")[-12:] != tail:
        return None
    return user


def update_account(
    user: User, *, name: str, language: str, place: tuple[str | None, str | None] | None = None
) -> None:
    """The person's own name (documents print it) and language, and for a juror where
    they live and work (``place``: oblast and KATOTTG code of the hromada, for conflicts
    of interest), audited when changed."""
    values = {"name": name, "language": language}
    if place is not None:
        oblast, code = place
        values |= {
            "oblast": oblast,
            "community_code": code,
            "community": hromadas.name_of(code),
        }
    changed = [field for field, value in values.items() if getattr(user, field) != value]
    for field in changed:
        setattr(user, field, values[field])
    if changed:
        audit.record("user.updated", actor=user, obj=user, fields=changed)


def set_password(user: User, password: str, *, action: str = "user.password_changed") -> None:
    user.set_password(password)
    audit.record(action, actor=user, obj=user)


# Invitations: the e-mailed link holds a random token; the database keeps its hash.


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_invitation(*, inviter, email, name, role, contest) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        token_hash=_token_hash(token),
        email=email.strip().lower(),
        name=name,
        role=role,
        contest=contest,
        invited_by=inviter,
        expires_at=clock.now() + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


def invite(
    *, inviter: User, email: str, name: str, role: Role, contest: Contest | None = None
) -> tuple[Invitation, str]:
    """Create an invitation and return it with the token for the link. The same person
    invited again to the same place gets the pending invitation sent again, so that only
    the newest link works (``resend_invitation``)."""
    same_place = (
        Invitation.contest_id.is_(None) if contest is None else Invitation.contest_id == contest.id
    )
    pending = db.session.scalar(
        select(Invitation).where(
            Invitation.email == email.strip().lower(),
            Invitation.role == role,
            same_place,
            Invitation.accepted_at.is_(None),
            Invitation.withdrawn_at.is_(None),
        )
    )
    if pending is not None:
        return resend_invitation(pending, actor=inviter, name=name)
    invitation, token = _new_invitation(
        inviter=inviter, email=email, name=name, role=role, contest=contest
    )
    audit.record(
        "invitation.created", actor=inviter, contest=contest, obj=invitation, role=role.value
    )
    return invitation, token


def find_invitation(token: str, *, lock: bool = False) -> Invitation | None:
    """The invitation of a link, whatever became of it (``lock``: read afresh under its
    row lock, so an acceptance waits for a withdrawal or a resending made meanwhile)."""
    matches = Invitation.token_hash == _token_hash(token)
    if lock:
        return lock_invitation(matches)
    return db.session.scalar(select(Invitation).where(matches))


def lock_invitation(*where) -> Invitation | None:
    """The invitation matching ``where``, read afresh under a row lock held until the
    commit: of two actions on it at once (withdraw, send again, accept) the second sees
    what the first did."""
    return db.session.scalar(
        select(Invitation).where(*where).with_for_update().execution_options(populate_existing=True)
    )


def invitation_state(invitation: Invitation) -> str:
    """``open``, ``accepted``, ``replaced`` (sent again), ``withdrawn`` or ``expired``."""
    if invitation.accepted_at:
        return "accepted"
    if invitation.withdrawn_at:
        return "replaced" if invitation.replaced_by_id else "withdrawn"
    return "expired" if invitation.expires_at < clock.now() else "open"


def open_invitation(token: str, *, lock: bool = False) -> Invitation | None:
    """The invitation of a link while it can still be accepted (``lock``: see
    ``find_invitation``)."""
    invitation = find_invitation(token, lock=lock)
    if invitation is None or invitation_state(invitation) != "open":
        return None
    return invitation


def pending_invitations(contest: Contest, role: Role) -> list[Invitation]:
    """The contest's invitations of ``role`` neither accepted nor withdrawn (expired ones
    too: they can be sent again), oldest first."""
    return db.session.scalars(
        select(Invitation)
        .where(
            Invitation.contest_id == contest.id,
            Invitation.role == role,
            Invitation.accepted_at.is_(None),
            Invitation.withdrawn_at.is_(None),
        )
        .order_by(Invitation.created_at, Invitation.id)
    ).all()


def invitation_problem(invitation: Invitation):
    """Why the invitation can no longer be sent again or withdrawn, or None."""
    state = invitation_state(invitation)
    if state == "accepted":
        return _l("The invitation is already accepted: the person has joined.")
    if state in ("withdrawn", "replaced"):
        return _l("The invitation is already withdrawn or replaced by a newer one.")
    return None


def resend_invitation(
    invitation: Invitation, *, actor: User, name: str = ""
) -> tuple[Invitation, str]:
    """A new invitation with a new link and a new term in place of ``invitation``, whose
    link stops working (addressed as ``name`` if given); (the new invitation, its token)
    for the e-mail."""
    problem = invitation_problem(invitation)
    if problem:
        raise AccountError("invitation", problem)
    new, token = _new_invitation(
        inviter=actor,
        email=invitation.email,
        name=name or invitation.name,
        role=invitation.role,
        contest=invitation.contest,
    )
    invitation.withdrawn_at = clock.now()
    invitation.replaced_by_id = new.id
    db.session.flush()
    audit.record(
        "invitation.resent",
        actor=actor,
        contest=invitation.contest,
        obj=new,
        replaces=invitation.id,
        role=invitation.role.value,
    )
    return new, token


def withdraw_invitation(invitation: Invitation, *, actor: User) -> None:
    """Take an invitation back: its link answers that it was withdrawn."""
    problem = invitation_problem(invitation)
    if problem:
        raise AccountError("invitation", problem)
    invitation.withdrawn_at = clock.now()
    db.session.flush()
    audit.record(
        "invitation.withdrawn",
        actor=actor,
        contest=invitation.contest,
        obj=invitation,
        role=invitation.role.value,
    )


def accept_invitation(
    invitation: Invitation, user: User | None = None, *, name: str = "", password: str = ""
) -> User:
    """Join with a new account (name and password) or with the signed-in ``user``."""
    if user is None:
        user = User(email=invitation.email, name=name, role=invitation.role)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
    contest = invitation.contest
    if contest is not None:
        if invitation.role == Role.ORGANISER:
            if user not in contest.organisers:
                contest.organisers.append(user)
        elif db.session.get(JuryMember, (contest.id, user.id)) is None:
            db.session.add(JuryMember(contest=contest, user=user))
    invitation.accepted_at = clock.now()
    db.session.flush()
    audit.record("invitation.accepted", actor=user, contest=contest, obj=invitation, user=user.id)
    return user


def send_invitation(invitation, token: str) -> None:
    """E-mail the invitation's link (``token`` as ``invite`` returned it)."""
    mail.send(
        invitation.email,
        _l("Invitation to join the jury or the organisers"),
        "invitation",
        invitation=invitation,
        name=invitation.name or invitation.email,
        days=current_app.config["INVITATION_DAYS"],
        link=external_url("auth.accept_invitation", token=token),
    )
