"""Account pages: /register, /login, /logout, password reset, invitations, /account."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from .. import clock, mail, sessions
from ..extensions import db, limiter
from ..links import external_url
from ..models import Contest, JuryMember, Role, contest_organisers
from ..organisations import community_choices
from . import operations, role_required
from .forms import (
    AcceptInvitationForm,
    AccountForm,
    InvitationForm,
    JurorAccountForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    RegistrationForm,
    ResetPasswordForm,
    ResetRequestForm,
    choices,
)

bp = Blueprint("auth", __name__)
RESET_EMAILS_PER_ADDRESS = "5 per hour"


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
    ):
        return default
    return target


def start_session(user, *, two_factor: bool = False) -> None:
    """Sign ``user`` in on this browser with a new server-side session (sessions.py)."""
    login_user(user)
    sessions.start(user, two_factor=two_factor)
    user.last_login_at = clock.now()


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


PENDING = "second_step"  # in the signed cookie: who gave the right password, and when
PENDING_MINUTES = 10


def ask_for_code(user, next_url: str):
    """After the right password of an account with two-factor sign-in: ask for a code."""
    session[PENDING] = {
        "user": user.get_id(),
        "at": int(clock.now().timestamp()),
        "next": next_url,
    }
    return redirect(url_for("security.login_code"))


@bp.app_template_global()
def invitation_text(invitation) -> str:
    """The sentence that tells who invites whom to what (page and e-mail)."""
    inviter = invitation.invited_by.name if invitation.invited_by else _("The organisers")
    contest = invitation.contest.title_uk if invitation.contest else None
    if invitation.role == Role.ORGANISER:
        if contest:
            return _(
                "%(inviter)s invites you to the organisers of the contest «%(contest)s».",
                inviter=inviter,
                contest=contest,
            )
        return _("%(inviter)s invites you to join as an organiser.", inviter=inviter)
    if contest:
        return _(
            "%(inviter)s invites you to the jury of the contest «%(contest)s».",
            inviter=inviter,
            contest=contest,
        )
    return _("%(inviter)s invites you to join as a juror.", inviter=inviter)


def _login_account() -> str:
    """The rate limit's key for passwords: the account, however many machines guess."""
    return "login:" + str(request.form.get("email", "")).strip().lower()


def _refused(response) -> bool:
    return response.status_code != 302  # a sign-in that worked is not a guess


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
# Wrong passwords for one account from many machines (a botnet) are limited too; a
# person who signs in is not counted.
@limiter.limit(login_limit, key_func=_login_account, methods=["POST"], deduct_when=_refused)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = LoginForm()
    if form.validate_on_submit():
        user = operations.find_user(form.email.data)
        if user is not None and user.check_password(form.password.data):
            next_url = safe_next(request.args.get("next"), url_for("auth.account"))
            if user.has_two_factor:
                return ask_for_code(user, next_url)
            start_session(user)
            db.session.commit()
            return redirect(next_url)
        form.password.errors.append(_("The e-mail or the password is wrong."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "POST":
        sessions.end()  # the cookie, wherever it was copied, stops working
        db.session.commit()
        logout_user()
        session.pop("language", None)
        flash(_("You have logged out."), "success")
        return redirect(url_for("pages.home"))
    return render_template("auth/logout.html")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = operations.register_applicant(
                email=form.email.data,
                password=form.password.data,
                details=form.values(),
                language=str(session.get("language", "uk")),
            )
        except operations.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            start_session(user)
            db.session.commit()
            flash(
                _(
                    "The organisation is registered. Choose a contest open for applications "
                    "below; your details are on the account page."
                ),
                "success",
            )
            return redirect(url_for("pages.home", _anchor="open-heading"))
    return render_template("auth/register.html", form=form)


def _reset_email() -> str:
    return "reset:" + str(request.form.get("email", "")).strip().lower()


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
# A few e-mails an hour to one address, however many machines ask: no mailbox flooding.
@limiter.limit(RESET_EMAILS_PER_ADDRESS, key_func=_reset_email, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = operations.find_user(form.email.data)
        if user is not None:
            token = operations.reset_token(user)
            mail.send(
                user.email,
                _l("Restoring your password"),
                "password_reset",
                language=user.language,
                user=user,
                link=external_url("auth.reset_password", token=token),
                hours=current_app.config["PASSWORD_RESET_HOURS"],
            )
        # The same answer whether or not the address is known: nothing leaks.
        flash(
            _(
                "If this address is registered, a link to set a new password is on its way. "
                "Check the inbox and the spam folder."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = operations.user_for_reset(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 410
    form = ResetPasswordForm()
    form.known_inputs = [user.email, user.name]
    if form.validate_on_submit():
        operations.set_password(user, form.password.data, action="user.password_reset")
        sessions.end_all(user)  # whoever knew the old password is signed out everywhere
        if user.has_two_factor:  # the mailbox alone does not replace the second factor
            db.session.commit()
            flash(_("The new password is set."), "success")
            return ask_for_code(user, url_for("auth.account"))
        start_session(user)
        db.session.commit()
        flash(_("The new password is set."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/invitations/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def invite():
    form = InvitationForm()
    contests = db.session.scalars(
        select(Contest)
        .join(contest_organisers)
        .where(contest_organisers.c.user_id == current_user.id)
        .order_by(Contest.title_uk)
    ).all()
    form.contest.choices = choices(
        [("", _("— not tied to a contest —")), *((c.id, c.title_uk) for c in contests)]
    )
    if form.validate_on_submit():
        contest = next((c for c in contests if str(c.id) == form.contest.data), None)
        role = Role(form.role.data)
        existing = operations.find_user(form.email.data)
        if existing is not None and existing.role != role:
            form.email.errors.append(
                _("This address belongs to an account with another role; invite another address.")
            )
        else:
            invitation, token = operations.invite(
                inviter=current_user,
                email=form.email.data,
                name=form.name.data,
                role=role,
                contest=contest,
            )
            operations.send_invitation(invitation, token)
            db.session.commit()
            flash(_("The invitation is sent to %(email)s.", email=form.email.data), "success")
            return redirect(url_for("auth.invite"))
    return render_template("auth/invite.html", form=form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = operations.open_invitation(token, lock=request.method == "POST")
    if invitation is None:
        found = operations.find_invitation(token)
        state = operations.invitation_state(found) if found is not None else "unknown"
        return render_template("auth/invitation_invalid.html", state=state), 410
    existing = operations.find_user(invitation.email)
    if existing is not None:
        # The account exists: its owner accepts while signed in as that account.
        if not current_user.is_authenticated:
            flash(
                _("Log in as %(email)s to accept the invitation.", email=invitation.email), "info"
            )
            return redirect(url_for("auth.login", next=request.path))
        if current_user.id != existing.id or existing.role != invitation.role:
            abort(403)
        if request.method == "POST":  # CSRFProtect has checked the token
            operations.accept_invitation(invitation, existing)
            db.session.commit()
            flash(_("The invitation is accepted."), "success")
            return redirect(url_for("auth.account"))
        return render_template("auth/accept_existing.html", invitation=invitation)
    form = AcceptInvitationForm(name=invitation.name)
    form.known_inputs = [invitation.email]
    if form.validate_on_submit():
        user = operations.accept_invitation(
            invitation, name=form.name.data, password=form.password.data
        )
        start_session(user)
        db.session.commit()
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    juror = current_user.role == Role.JUROR
    if juror:
        form = JurorAccountForm(obj=current_user)
        if not form.is_submitted():
            form.community.data = current_user.community_code or ""
            form.community.choices = community_choices(current_user.oblast)
    else:
        form = AccountForm(obj=current_user)
    if form.validate_on_submit():
        operations.update_account(
            current_user,
            name=form.name.data,
            language=form.language.data,
            place=form.place() if juror else None,
        )
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template(
        "auth/account.html",
        form=form,
        password_form=PasswordChangeForm(),
        **_account_overview(current_user),
    )


def _account_overview(user) -> dict:
    """What the account page shows besides the forms: by role, then the sessions."""
    return {**_by_role(user), **_security_overview(user)}


def _security_overview(user) -> dict:
    current = sessions.current()
    return {
        "open_sessions": sessions.open_sessions(user),
        "current_session_id": current.id if current is not None else None,
        "two_factor_offered": user.role in (Role.ORGANISER, Role.JUROR),
    }


def _by_role(user) -> dict:
    if user.role == Role.ORGANISER:
        contests = db.session.scalars(
            select(Contest)
            .join(contest_organisers)
            .where(contest_organisers.c.user_id == user.id)
            .order_by(Contest.opens_at.desc())
        ).all()
        return {"contests": contests}
    if user.role == Role.JUROR:
        contests = db.session.scalars(
            select(Contest)
            .join(JuryMember)
            .where(JuryMember.user_id == user.id)
            .order_by(Contest.opens_at.desc())
        ).all()
        return {"contests": contests}
    return {"organisation": user.organisation}


@bp.route("/account/password", methods=["POST"])
@login_required
@limiter.limit(login_limit)  # it checks the current password: a copied cookie guesses none
def change_password():
    form = PasswordChangeForm()
    form.known_inputs = [current_user.email, current_user.name]
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if user.check_password(form.current_password.data):
            operations.set_password(user, form.password.data)
            ended = sessions.end_others(user)
            login_user(user)  # the cookie names the person with the new password's mark
            db.session.commit()
            flash(_("The new password is set."), "success")
            if ended:
                flash(
                    ngettext(
                        "%(num)d other session is ended: sign in there with the new password.",
                        "%(num)d other sessions are ended: sign in there with the new password.",
                        ended,
                    ),
                    "info",
                )
            return redirect(url_for("auth.account"))
        form.current_password.errors.append(_("The current password is wrong."))
    return render_template(
        "auth/account.html",
        form=AccountForm(obj=current_user),
        password_form=form,
        **_account_overview(current_user),
    ), 400


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.language.data in current_app.config["LANGUAGES"]:
        session["language"] = form.language.data
        if current_user.is_authenticated:
            user = current_user._get_current_object()
            operations.update_account(user, name=user.name, language=form.language.data)
            db.session.commit()
    return redirect(safe_next(form.next.data, url_for("pages.home")))
