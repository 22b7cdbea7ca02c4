"""Configuration: defaults, overridden from the environment and then by ``test_config``.

Everything an administrator sets lives in environment variables (see README,
"Production"); nothing secret is a constant in the code.
"""

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from .links import public_host

DEVELOPMENT_URL = "http://127.0.0.1:5000"


def _secret_key(instance_path: Path, given: str | None, production: bool = False) -> str | None:
    """``SECRET_KEY`` as given, from the environment, or generated once into ``instance/``.

    In production only a key that is given counts (``check_production`` refuses none).
    """
    from_env = given or os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    if production:
        return None
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
    production = overrides.get("SCORING_ENV", env("SCORING_ENV")) == "production"
    settings = {
        "SCORING_ENV": env("SCORING_ENV", "development"),
        "SECRET_KEY": _secret_key(instance_path, overrides.get("SECRET_KEY"), production),
        "SQLALCHEMY_DATABASE_URI": database_url(env("DATABASE_URL"), instance_path),
        # Sessions: signed cookies; Secure is added per request when served over HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A session lasts 14 days from the login, however busy: the cookie is not signed
        # anew on every request (it changes only when the session does).
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,  # a juror's page stays open for hours
        # Rate limiting (Flask-Limiter); memory:// is per process, use redis:// or
        # memcached:// when several app servers run.
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Rendered heavy pages kept per process (scoring/pagecache.py); 0 turns it off.
        "PAGE_CACHE_BYTES": int(env("PAGE_CACHE_BYTES", str(64 << 20))),
        # Static files under content-named copies, compressed (assets.py); instance/ by default.
        "STATIC_BUILD_DIR": env("STATIC_BUILD_DIR"),
        # Pages compressed as the browser accepts (Flask-Compress): Brotli, else gzip.
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIMETYPES": ["text/html", "text/csv", "application/json", "text/plain"],
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
        # The site's address: every link in e-mails, documents and QR codes is built from
        # it (links.py), never from the request. Production requires it to be given.
        "PUBLIC_URL": env("PUBLIC_URL") or (None if production else DEVELOPMENT_URL),
        # Organisers sign in with a second factor (a TOTP app) before anything else.
        "REQUIRE_ORGANISER_2FA": env("REQUIRE_ORGANISER_2FA", "0") == "1",
        "PROXY_FIX": env("PROXY_FIX", "0") == "1",
        # The app's log: one JSON line per request and per message (requestlog.py).
        "LOG_LEVEL": env("LOG_LEVEL", "INFO"),
        "ORGANISING_BODY": env("ORGANISING_BODY", "Хаб участі"),
        # Signs backup archives (backup/archive.py); kept by the administrator, off the
        # database server. Without it, backups are unsigned and restore refuses them
        # unless told --skip-signature-check.
        "BACKUP_SIGNING_KEY": env("BACKUP_SIGNING_KEY"),
        # A folder with DejaVuSans.ttf and DejaVuSans-Bold.ttf for the PDF documents,
        # when they are not in the usual places (fonts-dejavu-core).
        "PDF_FONT_DIR": env("PDF_FONT_DIR"),
        "BABEL_DEFAULT_LOCALE": "uk",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Kyiv",
        "LANGUAGES": ("uk", "en"),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        # Imports in the browser (scoring/imports): the files kept between the preview
        # and the import, how large one may be, how long one is kept at most, and
        # whether checks and imports run in a thread while the page shows the progress.
        "IMPORT_FOLDER": str(instance_path / "imports"),
        "IMPORT_MAX_BYTES": 30 * 1024 * 1024,
        "IMPORT_KEEP_HOURS": 24,
        "IMPORT_IN_BACKGROUND": True,
        "PASSWORD_RESET_HOURS": 2,
        "INVITATION_DAYS": 14,
    }
    settings.update(overrides)
    # Requests for any other host are refused (400): in production the host of
    # PUBLIC_URL and those listed in TRUSTED_HOSTS; elsewhere only when it is listed.
    extra = overrides.get("TRUSTED_HOSTS", env("TRUSTED_HOSTS"))
    if isinstance(extra, str):
        extra = [host.strip().lower() for host in re.split(r"[\s,]+", extra) if host.strip()]
    if (production or extra) and settings["PUBLIC_URL"]:
        extra = [public_host(settings["PUBLIC_URL"]), *(extra or [])]
    settings["TRUSTED_HOSTS"] = list(dict.fromkeys(extra)) if extra else None
    # A server may drop connections (restart, failover): test each one on checkout. An
    # SQLite file cannot, and the test would cost a query on every request.
    sqlite = settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    settings.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": not sqlite})
    return settings


# Production start-up checks -------------------------------------------------------------

MIN_SECRET_KEY = 32
# Keys copied from examples and tutorials; any of them is as good as none.
KNOWN_KEYS = frozenset(
    {"changeme", "change-me", "change-this", "secret", "secret-key", "dev", "development"}
)
# Filesystems where SQLite's WAL (shared memory between processes) cannot be trusted.
NETWORK_FILESYSTEMS = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre"}
)


def check_production(app) -> None:
    """Refuse to start with ``SCORING_ENV=production`` and an unsafe configuration.

    A ``RuntimeError`` lists every problem with what to set; see ``production_problems``.
    """
    if app.config.get("SCORING_ENV") != "production":
        return
    problems = production_problems(app.config, os.environ, debug=app.debug)
    if problems:
        raise RuntimeError(
            "scoring does not start with SCORING_ENV=production:\n"
            + "\n".join(f"- {problem}" for problem in problems)
        )


def production_problems(settings, environ, *, debug: bool) -> list[str]:
    """What is unsafe for production in ``settings`` (and the process ``environ``).

    - ``SECRET_KEY`` must be given (a key generated into ``instance/`` is not used: it
      would differ between servers and vanish with the folder) and be strong: at least
      32 characters, not a known example, not one character repeated.
    - Debug mode must be off: the debugger runs code sent from the browser.
    - ``PUBLIC_URL`` must name the site (``https://host``): links are built from it and
      requests for other hosts are refused (``TRUSTED_HOSTS``).
    - SQLite: never in memory (each process would have its own empty database, lost at
      every restart). Several processes on one machine share a SQLite file safely in
      WAL mode, which ``database.py`` sets on every connection, but WAL needs memory
      shared through the file system: when the app is told it runs several processes
      (``WEB_CONCURRENCY`` > 1, or ``--workers``/``-w`` > 1 in ``GUNICORN_CMD_ARGS``),
      a database on a network file system (NFS, SMB, ...) is refused.
    """
    problems = []
    key = settings.get("SECRET_KEY") or ""
    if not key:
        problems.append(
            "SECRET_KEY is not set. Set the environment variable SECRET_KEY to a random "
            "string of at least 32 characters, the same on every app server, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'. A key generated "
            "into the instance folder is not used in production."
        )
    elif len(key) < MIN_SECRET_KEY or key.lower() in KNOWN_KEYS or len(set(key)) == 1:
        problems.append(
            "SECRET_KEY is too weak (shorter than 32 characters or a known example). Set "
            "SECRET_KEY to a random string of at least 32 characters, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
    if debug:
        problems.append(
            "Debug mode is on. Unset FLASK_DEBUG (and do not pass --debug): the debugger "
            "lets anyone who sees an error page run code on the server."
        )
    public = urlsplit(settings.get("PUBLIC_URL") or "")
    if public.scheme not in ("http", "https") or not public.hostname:
        problems.append(
            "PUBLIC_URL is not set to the site's address. Set PUBLIC_URL to the address people "
            "open, e.g. https://contests.example.org: links in e-mails and documents are built "
            "from it, and requests for other hosts are refused."
        )
    problems.extend(_sqlite_problems(settings.get("SQLALCHEMY_DATABASE_URI", ""), environ))
    return problems


def _sqlite_problems(url: str, environ) -> list[str]:
    if not url.startswith("sqlite"):
        return []
    parsed = make_url(url)
    path = parsed.database or ""
    if path in ("", ":memory:") or parsed.query.get("mode") == "memory":
        return [
            "DATABASE_URL names an in-memory SQLite database: every process would have its "
            "own, emptied at each restart. Set DATABASE_URL to a SQLite file on a local disk "
            "or, better, to PostgreSQL (postgresql://...)."
        ]
    if _processes(environ) > 1:
        kind = _filesystem(Path(path).resolve().parent)
        if kind in NETWORK_FILESYSTEMS:
            return [
                f"The SQLite database {path} is on a network file system ({kind}) and several "
                "processes would use it: SQLite's WAL mode does not work there and data can "
                "be corrupted. Put the database on a local disk, run one process "
                "(WEB_CONCURRENCY=1), or set DATABASE_URL to PostgreSQL."
            ]
    return []


def _processes(environ) -> int:
    """How many app processes the server says it runs (gunicorn reads the same variables)."""
    counts = [1]
    if environ.get("WEB_CONCURRENCY", "").strip().isdigit():
        counts.append(int(environ["WEB_CONCURRENCY"]))
    flag = re.search(
        r"(?:^|\s)(?:-w|--workers)(?:=|\s*)(\d+)", environ.get("GUNICORN_CMD_ARGS", "")
    )
    if flag:
        counts.append(int(flag.group(1)))
    return max(counts)


def _filesystem(folder: Path) -> str:
    """The type of the file system ``folder`` is on (Linux), or "" when unknown."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return ""
    best, kind = "", ""
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = str(folder) == point or str(folder).startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind
