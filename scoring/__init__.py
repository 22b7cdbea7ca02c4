"""`scoring`: contests for territorial communities and NGOs, scored by a jury.

``create_app`` builds the Flask application: configuration, extensions, blueprints,
error pages and the command line.
"""

import os
from pathlib import Path

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import (
    assets,
    cli,
    config,
    database,
    errors,
    i18n,
    links,
    pagecache,
    requestguard,
    requestlog,
    rounds,
    schema,
    sessions,
)
from .applications import clarification_views  # noqa: F401 — its routes join applications_bp
from .applications.views import bp as applications_bp
from .auth.security_views import bp as security_bp
from .auth.views import bp as auth_bp
from .contests.views import bp as contests_bp
from .documents.views import bp as documents_bp
from .extensions import (
    babel,
    bootstrap,
    compress,
    csrf,
    db,
    limiter,
    login_manager,
    mailer,
    talisman,
)
from .health import bp as health_bp
from .imports.views import bp as imports_bp
from .judging import assignments_views  # noqa: F401 — its routes join jury_bp
from .judging.jury_views import bp as jury_bp
from .judging.views import bp as judging_bp
from .pages import bp as pages_bp
from .privacy.views import bp as privacy_bp
from .results import (  # noqa: F401 — their routes join results_bp
    appeal_views,
    deliberation_views,
    meeting_views,
    public_views,
)
from .results.blueprint import bp as results_bp

ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": ["'self'", "data:"],
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


class IdConverter(IntegerConverter):
    """``<int:...>`` in the app's URLs: an id of a row, so at most the largest INTEGER.

    A larger number in an address is no row at all: a 404, not an "integer out of
    range" from PostgreSQL.
    """

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class App(Flask):
    """Flask, asking once per function whether it is a coroutine: Flask asks ``inspect``
    for each of the dozen hooks of every request (about a tenth of the CPU of a page
    served from the page cache, ``make bench``); every function here is synchronous."""

    def ensure_sync(self, func):
        synced = self.__dict__.setdefault("_synced", {})
        found = synced.get(func)
        if found is None:
            found = synced[func] = super().ensure_sync(func)
        return found


class SessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is ``Secure`` whenever the request is HTTPS."""

    def get_cookie_secure(self, app):
        return super().get_cookie_secure(app) or request.is_secure


def create_app(test_config: dict | None = None) -> Flask:
    """The application factory (``flask --app scoring``, ``wsgi.py``, tests)."""
    test_config = test_config or {}
    app = App(
        __name__,
        instance_path=test_config.get("INSTANCE_PATH") or os.environ.get("SCORING_INSTANCE_PATH"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.load(Path(app.instance_path), test_config))
    config.check_production(app)
    app.session_interface = SessionInterface()
    app.url_map.converters["int"] = IdConverter  # before the blueprints add their rules
    if app.config.get("PROXY_FIX"):
        # The client's address and scheme from the proxy; never X-Forwarded-Host: the
        # proxy passes the real host in Host, and a client could send anything there.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=0)
    app.add_template_global(links.external_url)
    app.add_template_global(rounds.earlier, "earlier_round")  # SPEC §13, the applicants' pages
    app.add_template_global(rounds.next_application, "next_round_application")

    register_extensions(app)
    requestguard.register(app)  # before every hook but the log's
    requestlog.register(app)
    app.register_blueprint(pages_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(security_bp)
    app.register_blueprint(contests_bp)
    app.register_blueprint(applications_bp)
    app.register_blueprint(judging_bp)
    app.register_blueprint(jury_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(imports_bp)
    errors.register(app)
    i18n.register(app)
    cli.register(app)
    assets.register(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    database.register(app)
    schema.register(app)  # Flask-Migrate, set up on first use
    csrf.init_app(app)
    mailer.init_app(app)
    bootstrap.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"],
    )
    talisman.init_app(
        app,
        force_https=False,  # the reverse proxy redirects; see README, "Production"
        session_cookie_secure=False,  # SessionInterface decides per request
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )
    # Talisman's two hooks before each request do nothing here (no redirect to HTTPS: the
    # proxy in front does it; no CSP nonce), yet cost every request: they are left out.
    if not talisman.force_https and not talisman.content_security_policy_nonce_in:
        idle = (talisman._force_https, talisman._make_nonce)
        app.before_request_funcs[None] = [
            f for f in app.before_request_funcs.get(None, []) if f not in idle
        ]
    pagecache.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "warning"

    login_manager.user_loader(sessions.load_user)  # signed in while the session lives
