"""Accounts: registration, login, password reset, invitations, language.

An applicant registers with their organisation's details. Jurors and organisers
join only through an invitation link that an organiser sends by e-mail.
"""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from ..models import Role


def role_required(*roles: Role):
    """Views for some roles only: others signed in get 403, anonymous users the login page."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
