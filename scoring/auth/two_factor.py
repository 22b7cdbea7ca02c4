"""Two-factor sign-in (SPEC §8): a code from a TOTP app, or a single-use recovery code.

Setting it up: the account page shows a new secret as a QR code (an SVG made here,
nothing loaded from elsewhere) and as text; the person scans it with an authenticator
app and types the code it shows. Only then is the secret stored, ten recovery codes
made and shown once (the database keeps their SHA-256), the person's other sessions
ended and this one marked as signed in with two factors.

Signing in: after the password, a code. A TOTP code is accepted for the current
30-second step and one step either side (clocks drift), and each step only once: the
last step used is stored and a code of that step or an earlier one is refused, so a
code seen over someone's shoulder or replayed from a log does not work. A recovery
code works once. Turning it on or off, new recovery codes and every use of a recovery
code go to the audit log; wrong codes are rate-limited by the view.
"""

import base64
import hashlib
import hmac
import secrets
import unicodedata
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit, clock
from ..extensions import db
from ..links import public_host
from ..models import RecoveryCode, User

STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# Recovery codes: 12 characters from 31 that cannot be mistaken for one another (~59 bits).
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_GROUPS = 3


class TwoFactorError(Exception):
    """A code that does not fit; the view shows the message beside the field."""


def setup_nonce() -> str:
    """What the session keeps while a secret is being set up: not the secret itself."""
    return secrets.token_urlsafe(16)


def setup_secret(nonce: str, user: User, login: str, key: str | bytes) -> str:
    """The secret being set up, made from the session's nonce with the site's key.

    The session cookie is signed, not encrypted: whoever reads it (a shared computer, a
    log) would otherwise learn the secret that becomes the account's second factor.
    ``login`` names the sign-in session it is shown in (its token's hash): a secret read
    with a copied cookie is not the one shown after its owner logged out, nor after a new
    password (``get_id`` carries the password's mark), though the nonce stays in the cookie.
    """
    key = key.encode() if isinstance(key, str) else key
    message = f"totp-setup:{user.get_id()}:{login}:{nonce}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()  # 160 bits, 32 characters, as pyotp's


def provisioning_uri(secret: str, user: User, public_url: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code.

    The app lists the account as the site's host and the person's e-mail; plain ASCII
    keeps the QR code small enough to scan easily.
    """
    issuer = public_host(public_url) or "scoring"
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as a ``data:`` URI of an SVG image (CSP allows img data:)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def secret_groups(secret: str) -> str:
    """The secret as people type it into an app: groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _step(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def _digits(code: str) -> str:
    """The code without spaces and dashes, digits of any script as 0-9 (a full-width «７»
    is a 7)."""
    code = "".join(code.split()).replace("-", "")
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in code)


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step (now ± drift, later than ``after``) whose TOTP code is ``code``."""
    code = _digits(code)
    if len(code) != 6 or not (code.isascii() and code.isdigit()):  # compare_digest: ASCII
        return None
    totp = pyotp.TOTP(secret)
    now = _step(clock.now())
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _code_hash(code: str) -> str:
    return hashlib.sha256(_digits(code).lower().encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(4 * CODE_GROUPS))
        codes.append("-".join(raw[i : i + 4] for i in range(0, len(raw), 4)))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(c)) for c in codes)
    return codes


def turn_on(user: User, secret: str, code: str) -> list[str]:
    """Store ``secret`` once ``code`` proves the app has it; the new recovery codes.

    Raises ``TwoFactorError`` when the code does not match.
    """
    step = _matching_step(secret, code, None)
    if step is None:
        raise TwoFactorError
    user.totp_secret = secret
    user.two_factor_since = clock.now()
    user.totp_last_step = step  # the code just typed does not sign in again
    codes = _new_recovery_codes(user)
    db.session.flush()
    audit.record("user.two_factor_on", actor=user, obj=user)
    return codes


def turn_off(user: User, *, actor: User | None, via: str = "account") -> None:
    """Back to the password alone; ``actor`` is the person, or None on the command line."""
    user.totp_secret = None
    user.two_factor_since = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
    audit.record("user.two_factor_off", actor=actor, obj=user, via=via)


def renew_recovery_codes(user: User) -> list[str]:
    codes = _new_recovery_codes(user)
    db.session.flush()
    audit.record("user.recovery_codes_renewed", actor=user, obj=user)
    return codes


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def check_code(user: User, code: str) -> str | None:
    """Sign-in's second step: "app" or "recovery" when ``code`` is good (and now spent).

    Both are spent with one conditional UPDATE, so two requests racing with the same
    code cannot both pass.
    """
    if not user.has_two_factor or not isinstance(code, str):
        return None
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        spent = db.session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        if spent.rowcount == 1:
            set_committed_value(user, "totp_last_step", step)
            return "app"
        return None
    if len(_digits(code)) != 4 * CODE_GROUPS:
        return None
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=clock.now())
    )
    if spent.rowcount != 1:
        return None
    audit.record(
        "user.recovery_code_used", actor=user, obj=user, left=recovery_codes_left(user)
    )
    return "recovery"
