"""A contest's organisers: add a colleague who has an account, remove one (SPEC §1, §8).

A person without an account is invited instead (``scoring.auth.operations.invite``): the
invitation makes them an organiser of the contest when they accept it. A contest always
keeps at least one organiser, so the last one cannot leave.

Functions change models and write the audit entry; the view commits. A refusal raises
``ContestError`` naming the form field to blame, before anything has changed.
"""

from flask_babel import lazy_gettext as _l

from .. import audit
from ..auth import operations as accounts
from ..extensions import db
from ..models import Contest, Invitation, Role, User
from .operations import ContestError


def add_organiser(contest: Contest, user: User, *, actor: User) -> None:
    """Make ``user``, who has the organiser role, an organiser of ``contest``."""
    if user.role != Role.ORGANISER:
        raise ContestError(
            {
                "email": _l(
                    "This address belongs to an account with another role (a juror or an "
                    "applicant); only organisers can organise a contest."
                )
            }
        )
    if user in contest.organisers:
        raise ContestError({"email": _l("This person already organises the contest.")})
    contest.organisers.append(user)
    db.session.flush()
    audit.record("contest.organiser_added", actor=actor, contest=contest, obj=user)


def removal_problem(contest: Contest, user: User):
    """Why ``user`` cannot be removed from the contest's organisers now, or None."""
    if len(contest.organisers) <= 1:
        return _l(
            "A contest needs at least one organiser. Add another organiser first; then "
            "this one can be removed."
        )
    return None


def remove_organiser(contest: Contest, user: User, *, actor: User) -> None:
    problem = removal_problem(contest, user)
    if problem:
        raise ContestError({"organiser": problem})
    contest.organisers.remove(user)
    db.session.flush()
    audit.record("contest.organiser_removed", actor=actor, contest=contest, obj=user)


def pending_invitations(contest: Contest) -> list[Invitation]:
    """Invitations to organise the contest neither accepted nor withdrawn."""
    return accounts.pending_invitations(contest, Role.ORGANISER)
