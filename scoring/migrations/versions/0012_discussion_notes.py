"""The commission's discussion notes on divergent applications (issue 16).

Revision ID: 0012
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "discussion_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_discussion_notes_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_discussion_notes_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contests.id"],
            name=op.f("fk_discussion_notes_contest_id_contests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discussion_notes")),
    )
    with op.batch_alter_table("discussion_notes") as batch_op:
        batch_op.create_index(batch_op.f("ix_discussion_notes_contest_id"), ["contest_id"])
        batch_op.create_index(
            batch_op.f("ix_discussion_notes_application_id"), ["application_id"]
        )


def downgrade():
    op.drop_table("discussion_notes")
