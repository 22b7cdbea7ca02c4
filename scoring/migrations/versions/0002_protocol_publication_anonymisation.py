"""Protocol number and place, time of publication, anonymisation of people.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contests") as batch_op:
        batch_op.add_column(
            sa.Column("protocol_number", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("protocol_place", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    for table in ("organisations", "users"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True)
            )


def downgrade():
    for table in ("users", "organisations"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("anonymised_at")
    with op.batch_alter_table("contests") as batch_op:
        batch_op.drop_column("published_at")
        batch_op.drop_column("protocol_place")
        batch_op.drop_column("protocol_number")
