"""Revisions of the database schema: the newest one this code knows, and the database's own.

The migrations in ``scoring/migrations`` are the only source: ``head()`` is their
newest revision, ``current(connection)`` what ``alembic_version`` of a database says.
Backups record the revision they were taken at, restores refuse revisions they do not
know, and ``/healthz`` reports a database whose schema is behind the code.

Alembic and Flask-Migrate are imported when first needed, not with the app: they are
a noticeable part of the start-up of every command and server process.
"""

from functools import cache
from pathlib import Path

import click
from sqlalchemy import Connection

MIGRATIONS = Path(__file__).parent / "migrations"


class _Migrations:
    """Stands in ``app.extensions["migrate"]`` until Flask-Migrate is first used.

    Then it sets Flask-Migrate up for the app (which puts the real configuration in its
    place) and answers for it: ``flask db …``, ``upgrade()`` and ``env.py`` work as usual.
    """

    def __init__(self, app):
        self._app = app

    def __getattr__(self, name: str):
        if self._app.extensions.get("migrate") is self:
            from flask_migrate import Migrate

            from .extensions import db

            Migrate(self._app, db, directory=str(MIGRATIONS))  # replaces this stand-in
        return getattr(self._app.extensions["migrate"], name)


@click.command(
    "db",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def migrations_command(ctx):
    """Schema migrations: Flask-Migrate's commands (flask db --help)."""
    from flask_migrate.cli import db

    db.main(args=ctx.args, prog_name=ctx.command_path, obj=ctx.obj)


def register(app) -> None:
    app.extensions["migrate"] = _Migrations(app)
    app.cli.add_command(migrations_command)


@cache
def _scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

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
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
