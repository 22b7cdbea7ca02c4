"""Sign-in security pages: the second step of logging in, two-factor set-up, sessions.

- ``/login/code``: after the right password of an account with two-factor sign-in, the
  code from the app or a recovery code (rate-limited per client and per account).
- ``/account/two-factor``: set it up (QR code, then a code from the app), see the
  recovery codes once, turn it off or make new recovery codes (with the password).
  Organisers and jurors have it; organisers must when ``REQUIRE_ORGANISER_2FA`` is set,
  and the jurors of a contest that asks for it before they open its scoresheets.
- ``/account/sessions/...``: end one of one's other sessions, or all of them.
"""

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
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import audit, clock, sessions
from ..extensions import db, limiter
from ..models import Role, User, UserSession
from . import role_required, two_factor
from .forms import ConfirmPasswordForm, SignInCodeForm, TwoFactorSetupForm
from .views import PENDING, PENDING_MINUTES, login_limit, safe_next, start_session

bp = Blueprint("security", __name__)

SETUP_KEY = "two_factor_setup"  # the nonce of the secret being set up (two_factor.setup_secret)
# Pages an organiser who must set up two-factor sign-in can still open.
OPEN_WITHOUT_TWO_FACTOR = frozenset(
    {
        "security.two_factor",
        "security.login_code",
        "auth.logout",
        "auth.set_language",
        "static",
        "bootstrap.static",
        "health.healthz",
    }
)


# The second step of logging in ----------------------------------------------------------


def _pending_user() -> User | None:
    """The account whose password was given in the last ``PENDING_MINUTES`` minutes."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    person, at = str(pending.get("user", "")), pending.get("at")
    if not isinstance(at, int) or clock.now().timestamp() - at > PENDING_MINUTES * 60:
        return None
    user_id = person.partition(":")[0]
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    # The password changed meanwhile (get_id carries its mark): start again.
    if user is None or user.get_id() != person or not user.has_two_factor:
        return None
    return user


def _pending_account() -> str:
    """The rate limit's key for codes: the account, however many machines try."""
    pending = session.get(PENDING)
    person = str(pending.get("user", "")) if isinstance(pending, dict) else ""
    return "code:" + (person.partition(":")[0] or request.remote_addr or "")


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(login_limit, key_func=_pending_account, methods=["POST"])
def login_code():
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Log in again: enter your e-mail and password first."), "info")
        return redirect(url_for("auth.login"))
    form = SignInCodeForm()
    if form.validate_on_submit():
        used = two_factor.check_code(user, form.code.data)
        if used is not None:
            next_url = safe_next(session.pop(PENDING, {}).get("next"), url_for("auth.account"))
            start_session(user, two_factor=True)
            left = two_factor.recovery_codes_left(user) if used == "recovery" else None
            db.session.commit()
            if left is not None:
                flash(
                    ngettext(
                        "You signed in with a recovery code; %(num)d is left. Make new ones "
                        "on the two-factor page if you no longer have the app.",
                        "You signed in with a recovery code; %(num)d are left. Make new ones "
                        "on the two-factor page if you no longer have the app.",
                        left,
                    ),
                    "warning" if left < 3 else "info",
                )
            return redirect(next_url)
        db.session.commit()  # nothing to keep, but end the transaction as every view does
        form.code.errors.append(_("The code is wrong or has already been used."))
        form.code.data = ""  # a spent or wrong code is of no use in the field
    return render_template("auth/login_code.html", form=form)


# Setting it up, turning it off, recovery codes -----------------------------------------


@bp.before_app_request
def organisers_set_up_two_factor_first():
    """With ``REQUIRE_ORGANISER_2FA``, an organiser without it sets it up before anything."""
    if not current_app.config.get("REQUIRE_ORGANISER_2FA"):
        return None
    if request.endpoint in OPEN_WITHOUT_TWO_FACTOR or not current_user.is_authenticated:
        return None
    if current_user.role == Role.ORGANISER and sessions.two_factor_missing(current_user):
        return sessions.lead_to_set_up(request.full_path if request.method == "GET" else None)
    return None


def _required_because(user) -> str | None:
    """Why this person must have two-factor sign-in, if they must."""
    if user.role == Role.ORGANISER and current_app.config.get("REQUIRE_ORGANISER_2FA"):
        return _("Organisers of this site sign in with two factors.")
    return None


def _setup_secret(new: bool = False) -> str | None:
    """The secret being set up in this session (a new one on the page's first showing)."""
    nonce = session.get(SETUP_KEY)
    if not isinstance(nonce, str) or len(nonce) != 22:
        if not new:
            return None
        nonce = session[SETUP_KEY] = two_factor.setup_nonce()
    login = sessions.current().token_hash  # the page is for the signed-in alone
    return two_factor.setup_secret(nonce, current_user, login, current_app.secret_key)


def _setup_page(form, status=200):
    secret = _setup_secret(new=True)
    uri = two_factor.provisioning_uri(secret, current_user, current_app.config["PUBLIC_URL"])
    return render_template(
        "auth/two_factor.html",
        form=form,
        qr=two_factor.qr_svg(uri),
        secret=two_factor.secret_groups(secret),
        required=_required_because(current_user),
        next_url=_next_url(),
    ), status


def _next_url() -> str | None:
    target = request.args.get("next")
    return safe_next(target, "") or None


def _codes_page(codes: list[str], next_url: str | None):
    response = current_app.make_response(
        render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)
    )
    response.headers["Cache-Control"] = "no-store"  # shown once, kept by no cache
    return response


@bp.route("/account/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@role_required(Role.ORGANISER, Role.JUROR)
@limiter.limit(login_limit, methods=["POST"])  # it asks for the password
def two_factor_page():
    user = current_user._get_current_object()
    if user.has_two_factor:
        if request.method == "POST":  # the set-up's form, confirmed meanwhile in another tab
            flash(_("Two-factor sign-in is already on."), "info")
            return redirect(url_for("security.two_factor", next=_next_url()))
        return render_template(
            "auth/two_factor_on.html",
            left=two_factor.recovery_codes_left(user),
            off_form=ConfirmPasswordForm(prefix="off"),
            codes_form=ConfirmPasswordForm(prefix="codes"),
            required=_required_because(user),
            confirmed=sessions.two_factor_used(),
            next_url=_next_url(),
        )
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        # The password too: a copied cookie alone must not tie the account to a stranger's
        # phone (and end its owner's sessions).
        if not user.check_password(form.password.data):
            form.password.errors.append(_("The password is wrong."))
            return _setup_page(form, 400)
        secret = _setup_secret()
        try:
            if secret is None:
                raise two_factor.TwoFactorError
            codes = two_factor.turn_on(user, secret, form.code.data)
        except two_factor.TwoFactorError:
            db.session.rollback()
            form.code.errors.append(
                _(
                    "The code does not match. Check that the app shows the account just "
                    "added, that the phone's clock is right, and type the newest code."
                )
            )
            return _setup_page(form, 400)
        session.pop(SETUP_KEY, None)
        sessions.current().two_factor = True  # the code was just typed in this session
        ended = sessions.end_others(user)  # they were signed in with the password alone
        if ended:
            audit.record("user.sessions_ended", actor=user, obj=user, count=ended)
        db.session.commit()
        flash(_("Two-factor sign-in is on."), "success")
        return _codes_page(codes, _next_url())
    return _setup_page(form, 400 if form.errors else 200)


def _password_confirmed(form) -> bool:
    if not form.validate_on_submit():
        return False
    if current_user.check_password(form.password.data):
        return True
    form.password.errors.append(_("The password is wrong."))
    return False


@bp.route("/account/two-factor/off", methods=["POST"])
@role_required(Role.ORGANISER, Role.JUROR)
@limiter.limit(login_limit)
def two_factor_off():
    user = current_user._get_current_object()
    if not user.has_two_factor:
        return redirect(url_for("security.two_factor"))
    form = ConfirmPasswordForm(prefix="off")
    required = _required_because(user)
    if required:
        flash(required + " " + _("Two-factor sign-in cannot be turned off."), "warning")
        return redirect(url_for("security.two_factor"))
    if not _password_confirmed(form):
        return _on_page_again(user, off_form=form)
    two_factor.turn_off(user, actor=user)
    db.session.commit()
    flash(_("Two-factor sign-in is off. You sign in with the password alone."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@role_required(Role.ORGANISER, Role.JUROR)
@limiter.limit(login_limit)
def recovery_codes():
    user = current_user._get_current_object()
    if not user.has_two_factor:
        return redirect(url_for("security.two_factor"))
    form = ConfirmPasswordForm(prefix="codes")
    if not _password_confirmed(form):
        return _on_page_again(user, codes_form=form)
    codes = two_factor.renew_recovery_codes(user)
    db.session.commit()
    flash(_("New recovery codes are made; the old ones no longer work."), "success")
    return _codes_page(codes, None)


def _on_page_again(user, **forms):
    forms.setdefault("off_form", ConfirmPasswordForm(prefix="off", formdata=None))
    forms.setdefault("codes_form", ConfirmPasswordForm(prefix="codes", formdata=None))
    return render_template(
        "auth/two_factor_on.html",
        left=two_factor.recovery_codes_left(user),
        required=_required_because(user),
        confirmed=sessions.two_factor_used(),
        next_url=None,
        **forms,
    ), 400


# Sessions --------------------------------------------------------------------------------


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    """End one of one's own other sessions (another person's, or none, is not found)."""
    record = db.session.get(UserSession, session_id)
    if record is None or record.user_id != current_user.id:
        abort(404)
    if record is sessions.current():
        return redirect(url_for("auth.logout"))
    sessions.end(record)
    audit.record("user.sessions_ended", actor=current_user, obj=current_user, count=1)
    db.session.commit()
    flash(_("The session is ended: that browser is signed out."), "success")
    return redirect(url_for("auth.account") + "#sessions-heading")


@bp.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    ended = sessions.end_others(current_user)
    audit.record("user.sessions_ended", actor=current_user, obj=current_user, count=ended)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d other session is ended.", "%(num)d other sessions are ended.", ended
        )
        if ended
        else _("There were no other sessions."),
        "success",
    )
    return redirect(url_for("auth.account") + "#sessions-heading")


@bp.app_template_global()
def session_device(record: UserSession) -> str:
    """The browser and system a session was started from, as the sessions list names it."""
    return str(sessions.describe(record))
