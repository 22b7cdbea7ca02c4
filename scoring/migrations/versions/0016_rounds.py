"""Rounds (SPEC §13): a later round is a contest that names the round before it.

- ``contests.previous_round_id`` (one next round at most), ``round_title_uk``,
  ``round_title_en`` and ``round_weight`` (the round's share of the final score, percent);
- ``applications.previous_id``: the same applicant's application in the round before.

Columns are added with ALTER TABLE ... ADD COLUMN, on SQLite too (see 0015); existing
contests are one-round contests and keep working as they did.

Revision ID: 0016
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0008"
branch_labels = None
depends_on = None


def _add_constrained(table: str, column: sa.Column, sqlite_ddl: str, check: str = "") -> None:
    """A column with a CHECK or REFERENCES constraint: SQLite takes it within ADD COLUMN,
    where Alembic would add the constraint separately (which SQLite cannot)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {sqlite_ddl}")
        return
    op.add_column(table, column)
    if check:
        op.create_check_constraint(f"ck_{table}_{column.name}", table, check)


def _link(table: str, column: str) -> None:
    """A nullable reference to a row of the same table, one row at most referring."""
    _add_constrained(
        table,
        sa.Column(
            column,
            sa.Integer(),
            sa.ForeignKey(f"{table}.id", name=f"fk_{table}_{column}_{table}"),
            nullable=True,
        ),
        f"{column} INTEGER CONSTRAINT fk_{table}_{column}_{table} REFERENCES {table} (id)",
    )
    op.create_index(f"ix_{table}_{column}", table, [column], unique=True)


def upgrade():
    _link("contests", "previous_round_id")
    op.add_column(
        "contests", sa.Column("round_title_uk", sa.String(300), nullable=False, server_default="")
    )
    op.add_column(
        "contests", sa.Column("round_title_en", sa.String(300), nullable=False, server_default="")
    )
    check = "round_weight IS NULL OR (round_weight > 0 AND round_weight <= 100)"
    _add_constrained(
        "contests",
        sa.Column("round_weight", sa.Numeric(5, 2), nullable=True),
        f"round_weight NUMERIC(5, 2) CONSTRAINT ck_contests_round_weight CHECK ({check})",
        check,
    )
    _link("applications", "previous_id")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in (("applications", "previous_id"), ("contests", "previous_round_id")):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
    if not sqlite:
        op.drop_constraint("ck_contests_round_weight", "contests", type_="check")
    # SQLite drops a column with its own constraints (not by recreating the table, which
    # would run the ON DELETE CASCADE of the tables referring to it).
    for table, column in (
        ("applications", "previous_id"),
        ("contests", "round_weight"),
        ("contests", "round_title_en"),
        ("contests", "round_title_uk"),
        ("contests", "previous_round_id"),
    ):
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
