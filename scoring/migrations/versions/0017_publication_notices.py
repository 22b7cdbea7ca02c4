"""The e-mails of a publication, one row per applicant and application, sent in the
background and marked as they go (issue 17: publishing answers at once; a restart
resumes where the sending stopped, and nobody is told twice).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "publication_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contests.id"],
            name=op.f("fk_publication_notices_contest_id_contests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_publication_notices_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_publication_notices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_notices")),
        sa.UniqueConstraint(
            "contest_id",
            "published_at",
            "application_id",
            "user_id",
            name="uq_publication_notices_once",
        ),
    )
    with op.batch_alter_table("publication_notices") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_publication_notices_application_id"), ["application_id"]
        )
        batch_op.create_index(batch_op.f("ix_publication_notices_user_id"), ["user_id"])
        batch_op.create_index(
            "ix_publication_notices_waiting", ["contest_id", "published_at", "state", "id"]
        )


def downgrade():
    op.drop_table("publication_notices")
