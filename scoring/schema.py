"""Revisions of the database schema: the newest one this code knows, and the database's own.

The migrations in ``scoring/migrations`` are the only source: ``head()`` is their
newest revision, ``current(connection)`` what ``alembic_version`` of a database says.
Backups record the revision they were taken at, restores refuse revisions they do not
know, and ``/healthz`` reports a database whose schema is behind the code.
"""

from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).parent / "migrations"


@cache
def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head() -> str:
    """The newest revision of the migrations shipped with this code."""
    return _scripts().get_current_head()


def known() -> list[str]:
    """Every revision this code knows, oldest first."""
    return [script.revision for script in reversed(list(_scripts().walk_revisions()))]


def current(connection: Connection) -> str | None:
    """The database's revision (``None`` when it has no ``alembic_version``)."""
    return MigrationContext.configure(connection).get_current_revision()
