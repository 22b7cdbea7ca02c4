"""The jury's meeting as its protocol records it (SPEC §16).

- ``contests.protocol_secretary`` and ``protocol_secretary_position``: who keeps the
  protocol (the date of the meeting, ``contests.protocol_date``, came with 0006).
- ``jury_members.position``: the member's position, as the protocol names it;
  ``jury_members.present``: whether the member was at the meeting (NULL: not recorded).
- ``protocol_votes``: how the commission voted on each question of the agenda, and
  whether, the votes being equal, the chair's vote decided (``chair_decided``).

Every column is added with ALTER TABLE ... ADD COLUMN, on SQLite too: recreating a table
there would run the ON DELETE CASCADE of the rows that refer to it.

Revision ID: 0011
Revises: 0015
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "contests",
        sa.Column("protocol_secretary", sa.String(length=200), nullable=False, server_default=""),
    )
    op.add_column(
        "contests",
        sa.Column(
            "protocol_secretary_position",
            sa.String(length=300),
            nullable=False,
            server_default="",
        ),
    )
    op.add_column(
        "jury_members",
        sa.Column("position", sa.String(length=300), nullable=False, server_default=""),
    )
    op.add_column("jury_members", sa.Column("present", sa.Boolean(), nullable=True))
    op.create_table(
        "protocol_votes",
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column(
            "item",
            sa.Enum(
                "conflicts",
                "scoring",
                "divergences",
                "ranking",
                name="agenda_item",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("votes_for", sa.Integer(), nullable=False),
        sa.Column("votes_against", sa.Integer(), nullable=False),
        sa.Column("abstained", sa.Integer(), nullable=False),
        sa.Column("chair_decided", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "votes_for >= 0 AND votes_against >= 0 AND abstained >= 0",
            name=op.f("ck_protocol_votes_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contests.id"],
            name=op.f("fk_protocol_votes_contest_id_contests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contest_id", "item", name=op.f("pk_protocol_votes")),
    )


def _drop(table: str, *columns: str) -> None:
    """SQLite drops a column in place (3.35+); a batch copy would cascade deletes."""
    if op.get_bind().dialect.name == "sqlite":
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        return
    for column in columns:
        op.drop_column(table, column)


def downgrade():
    op.drop_table("protocol_votes")
    _drop("jury_members", "present", "position")
    _drop("contests", "protocol_secretary_position", "protocol_secretary")
