"""Configuration: defaults, overridden from the environment and then by ``test_config``.

Everything an administrator sets lives in environment variables (see README,
"Production"); nothing secret is a constant in the code.
"""

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path, given: str | None) -> str:
    """``SECRET_KEY`` as given, from the environment, or generated once into ``instance/``."""
    from_env = given or os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def database_url(url: str | None, instance_path: Path) -> str:
    """The SQLAlchemy URL: SQLite in ``instance/`` unless ``url`` names another database."""
    if not url:
        return f"sqlite:///{instance_path / 'scoring.sqlite'}"
    # Hosting providers still hand out postgres:// URLs; psycopg 3 is the driver we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load(instance_path: Path, overrides: dict | None = None) -> dict:
    """The settings of an installation: defaults, then the environment, then ``overrides``."""
    overrides = overrides or {}
    env = os.environ.get
    settings = {
        "SCORING_ENV": env("SCORING_ENV", "development"),
        "SECRET_KEY": _secret_key(instance_path, overrides.get("SECRET_KEY")),
        "SQLALCHEMY_DATABASE_URI": database_url(env("DATABASE_URL"), instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Sessions: signed cookies; Secure is added per request when served over HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
        "WTF_CSRF_TIME_LIMIT": None,  # a juror's page stays open for hours
        # Rate limiting (Flask-Limiter); memory:// is per process, use redis:// or
        # memcached:// when several app servers run.
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # E-mail: without MAIL_SERVER, messages are written into instance/outbox/.
        "MAIL_SERVER": env("MAIL_SERVER"),
        "MAIL_PORT": int(env("MAIL_PORT", "587")),
        "MAIL_USE_TLS": env("MAIL_USE_TLS", "1") == "1",
        "MAIL_USE_SSL": env("MAIL_USE_SSL", "0") == "1",
        "MAIL_USERNAME": env("MAIL_USERNAME"),
        "MAIL_PASSWORD": env("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": env("MAIL_DEFAULT_SENDER", "scoring@localhost"),
        "MAIL_OUTBOX": str(instance_path / "outbox"),
        # Public address used in e-mails and documents when there is no request.
        "PUBLIC_URL": env("PUBLIC_URL", "http://127.0.0.1:5000"),
        "PROXY_FIX": env("PROXY_FIX", "0") == "1",
        "ORGANISING_BODY": env("ORGANISING_BODY", "Хаб участі"),
        "BABEL_DEFAULT_LOCALE": "uk",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Kyiv",
        "LANGUAGES": ("uk", "en"),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        "PASSWORD_RESET_HOURS": 2,
        "INVITATION_DAYS": 14,
    }
    settings.update(overrides)
    return settings
