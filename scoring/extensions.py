"""Extension singletons, created once here and bound to the app in ``create_app``."""

from flask import request
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .csrftokens import CSRFProtect

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()  # Flask-WTF's, with tokens masked in every page (BREACH)
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _reading() -> bool:
    """Reading a page is never rate limited: the limits guard the POSTs of logging in and
    of password resets, and checking none on a GET saves the busiest pages about 80 µs
    of 500 (the juror's scoresheet served from the page cache; ``make bench``)."""
    return request.method in ("GET", "HEAD", "OPTIONS")


talisman = Talisman()
mailer = Mail()  # not "mail": scoring.mail is the module that sends
bootstrap = Bootstrap5()
compress = Compress()  # pages (and CSV) as the browser accepts them: Brotli or gzip
