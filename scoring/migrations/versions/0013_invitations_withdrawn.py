"""Invitations can be withdrawn and resent.

- ``invitations.withdrawn_at``: when an organiser withdrew the invitation (its link then
  answers with a page that says so) or replaced it by sending it again;
- ``invitations.replaced_by_id``: the invitation sent again in its place, whose link is
  the one that works (the old link says that a newer e-mail was sent).

Every column is added with ALTER TABLE ... ADD COLUMN, on SQLite too: recreating a table
there would run its ON DELETE CASCADE on the rows that refer to it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_invitations_replaced_by_id_invitations"


def upgrade():
    op.add_column(
        "invitations", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True)
    )
    if op.get_bind().dialect.name == "sqlite":  # REFERENCES within ADD COLUMN
        op.execute(
            "ALTER TABLE invitations ADD COLUMN replaced_by_id INTEGER "
            f"CONSTRAINT {FOREIGN_KEY} REFERENCES invitations (id)"
        )
    else:
        op.add_column(
            "invitations",
            sa.Column(
                "replaced_by_id",
                sa.Integer(),
                sa.ForeignKey("invitations.id", name=FOREIGN_KEY),
                nullable=True,
            ),
        )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE invitations DROP COLUMN replaced_by_id")
        op.execute("ALTER TABLE invitations DROP COLUMN withdrawn_at")
        return
    op.drop_constraint(FOREIGN_KEY, "invitations", type_="foreignkey")
    op.drop_column("invitations", "replaced_by_id")
    op.drop_column("invitations", "withdrawn_at")
