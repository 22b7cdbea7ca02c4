"""CSRF tokens masked anew in every page, against BREACH (as Django does).

Pages go out compressed (Flask-Compress, and the page cache keeps them so). A secret
that appears unchanged in every compressed response beside text an attacker can put
there (a search term, a name) leaks through the size of the response: BREACH. Flask-WTF's
token begins with the same string for a whole session (only its timestamp and signature
change, with the second), so every page would carry it.

Each token written into a page is therefore Flask-WTF's token XOR a fresh random mask,
with the mask in front, in URL-safe Base64 (``mask``): no two responses carry the same
bytes. Within one response the forms share one masked token (``_masked``): BREACH
needs a secret that stays the same from one response to the next, and each mask is
some 180 bytes that no compression shortens. A token that comes back (the form field,
the ``X-CSRFToken`` header) is unmasked before Flask-WTF checks it (``CSRFProtect``,
``MaskedFormCSRF``); a plain token (it holds dots, which URL-safe Base64 never does) is
checked as it is.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets

from flask import g
from flask_wtf import CSRFProtect as _CSRFProtect
from flask_wtf.csrf import _FlaskFormCSRF, generate_csrf

_MASKED = re.compile(r"[A-Za-z0-9_-]+")  # URL-safe Base64, unpadded: never a dot


def mask(token: str) -> str:
    """``token`` under a fresh random mask: the mask, then the token XOR the mask."""
    plain = token.encode()
    key = secrets.token_bytes(len(plain))
    hidden = bytes(a ^ b for a, b in zip(plain, key, strict=True))
    return base64.urlsafe_b64encode(key + hidden).decode().rstrip("=")


def unmask(token: str | None) -> str | None:
    """The token ``mask`` hid; a plain token, or one that is no masked token at all, as
    it came (Flask-WTF then says what is wrong with it)."""
    if not token or not _MASKED.fullmatch(token):
        return token
    try:
        both = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return token
    half = len(both) // 2
    if len(both) % 2:
        return token
    try:
        return bytes(a ^ b for a, b in zip(both[:half], both[half:], strict=True)).decode()
    except UnicodeDecodeError:
        return token


def _masked(token: str) -> str:
    """``token`` masked once for this response (every form of the page shares it)."""
    kept = g.get("masked_csrf_token")
    if kept is None or kept[0] != token:
        kept = g.masked_csrf_token = (token, mask(token))
    return kept[1]


def masked_token() -> str:
    """The session's CSRF token, masked for this response (``{{ csrf_token() }}``)."""
    return _masked(generate_csrf())


def written_token() -> str | None:
    """The masked token this response's page carries, if it carries one."""
    kept = g.get("masked_csrf_token")
    return kept[1] if kept else None


class MaskedFormCSRF(_FlaskFormCSRF):
    """The CSRF field of the app's forms (``scoring.forms.Form``): written masked, read
    unmasked."""

    def generate_csrf_token(self, csrf_token_field):
        return _masked(super().generate_csrf_token(csrf_token_field))

    def validate_csrf_token(self, form, field):
        field.data = unmask(field.data)
        super().validate_csrf_token(form, field)


class CSRFProtect(_CSRFProtect):
    """Flask-WTF's CSRF check of every POST, on the unmasked token; templates get the
    masked one as ``csrf_token()``."""

    def init_app(self, app):
        super().init_app(app)
        app.jinja_env.globals["csrf_token"] = masked_token
        # After Flask-WTF's own: a later context processor's names win.
        app.context_processor(lambda: {"csrf_token": masked_token})

    def _get_csrf_token(self):
        return unmask(super()._get_csrf_token())
