"""Fresh databases of either kind for one test, and apps on them (not a test module).

SQLite databases are files in the test's folder. PostgreSQL databases are created on
the server of ``TEST_DATABASE_URL`` next to the suite's own database and dropped at the
end; without ``TEST_DATABASE_URL`` a test that asks for one is skipped.
"""

import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, select, text

from scoring import config, create_app
from scoring.extensions import db

from .conftest import TEST_DATABASE_URL, Client, _settings

SUITE_KIND = "postgresql" if TEST_DATABASE_URL else "sqlite"


class Databases:
    """``new(kind)`` makes an empty database, ``app(url)`` an app on it (English CLI)."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.count = 0
        self.postgresql: list[str] = []  # databases to drop at the end
        self.apps = []
        self.server = None

    def new(self, kind: str = SUITE_KIND) -> str:
        self.count += 1
        if kind == "sqlite":
            return f"sqlite:///{self.tmp_path / f'db{self.count}.sqlite'}"
        if not TEST_DATABASE_URL:
            pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")
        if self.server is None:
            url = config.database_url(TEST_DATABASE_URL, self.tmp_path)
            self.server = create_engine(url, isolation_level="AUTOCOMMIT")
        name = f"{self.server.url.database}_{uuid.uuid4().hex[:8]}"[:63]
        with self.server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.postgresql.append(name)
        return self.server.url.set(database=name).render_as_string(hide_password=False)

    def app(self, url: str, **settings):
        folder = self.tmp_path / f"app{len(self.apps) + 1}"
        app = create_app({**_settings(folder, url), "BABEL_DEFAULT_LOCALE": "en", **settings})
        app.test_client_class = Client
        self.apps.append(app)
        return app

    def close(self) -> None:
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.server is not None:
            with self.server.connect() as connection:
                for name in self.postgresql:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.server.dispose()


def dump(app) -> dict[str, list[tuple]]:
    """Every table of the models as Python values, rows sorted by primary key."""
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in db.metadata.sorted_tables
        }


@contextmanager
def counted(app):
    """Count the SQL statements run inside the block: ``with counted(app) as n: ...; n[0]``."""
    with app.app_context():
        engine = db.engine
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    total = [0]
    try:
        yield total
    finally:
        event.remove(engine, "before_cursor_execute", count)
        total[0] = len(statements)
