"""After the decision (SPEC §14): feedback, appeals and clarification requests.

- ``contests.feedback`` (``none``, ``scores``, ``comments``), ``appeal_days`` (0: no
  appeals) and ``appeal_answer_days`` (working days the commission takes to answer);
- ``clarification_requests`` and ``clarification_files``: what the organisers ask an
  applicant to fix during screening, by when, and the applicant's answer (kept apart
  until it is sent);
- ``appeals``: one per application, with the commission's answer.

The contests' columns are added with ALTER TABLE ... ADD COLUMN, on SQLite too: recreating
the table there would run the ON DELETE CASCADE of the tables that refer to it.

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0010"
branch_labels = None
depends_on = None


def _add_checked(table: str, column: sa.Column, check: str, sqlite_ddl: str) -> None:
    """A column with a CHECK constraint: SQLite takes it within ADD COLUMN, where Alembic
    would add the constraint separately (which SQLite cannot)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {sqlite_ddl}")
    else:
        op.add_column(table, column)
        op.create_check_constraint(f"ck_{table}_{column.name}", table, check)


def upgrade():
    _add_checked(
        "contests",
        sa.Column("feedback", sa.String(8), nullable=False, server_default="none"),
        "feedback IN ('none', 'scores', 'comments')",
        "feedback VARCHAR(8) DEFAULT 'none' NOT NULL CONSTRAINT ck_contests_feedback "
        "CHECK (feedback IN ('none', 'scores', 'comments'))",
    )
    _add_checked(
        "contests",
        sa.Column("appeal_days", sa.Integer(), nullable=False, server_default="0"),
        "appeal_days >= 0",
        "appeal_days INTEGER DEFAULT 0 NOT NULL CONSTRAINT ck_contests_appeal_days "
        "CHECK (appeal_days >= 0)",
    )
    _add_checked(
        "contests",
        sa.Column("appeal_answer_days", sa.Integer(), nullable=False, server_default="5"),
        "appeal_answer_days >= 1",
        "appeal_answer_days INTEGER DEFAULT 5 NOT NULL CONSTRAINT ck_contests_appeal_answer_days "
        "CHECK (appeal_answer_days >= 1)",
    )

    op.create_table(
        "clarification_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("draft_saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "deadline > asked_at", name=op.f("ck_clarification_requests_deadline_after_asking")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_clarification_requests_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["asked_by_id"], ["users.id"], name=op.f("fk_clarification_requests_asked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_clarification_requests_answered_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clarification_requests")),
    )
    with op.batch_alter_table("clarification_requests") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clarification_requests_application_id"), ["application_id"]
        )
    op.create_table(
        "clarification_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_clarification_files_size")),
        sa.CheckConstraint(
            "length(sha256) = 64", name=op.f("ck_clarification_files_sha256_length")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["clarification_requests.id"],
            name=op.f("fk_clarification_files_request_id_clarification_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_clarification_files_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clarification_files")),
        sa.UniqueConstraint(
            "request_id", "question_id", name=op.f("uq_clarification_files_request_id_question_id")
        ),
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("answer_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "upheld",
                "rejected",
                name="appeal_decision",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["contests.id"],
            name=op.f("fk_appeals_contest_id_contests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_appeals_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["users.id"], name=op.f("fk_appeals_filed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_appeals_answered_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("application_id", name=op.f("uq_appeals_application_id")),
    )
    with op.batch_alter_table("appeals") as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_contest_id"), ["contest_id"])


def downgrade():
    with op.batch_alter_table("appeals") as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeals_contest_id"))
    op.drop_table("appeals")
    op.drop_table("clarification_files")
    with op.batch_alter_table("clarification_requests") as batch_op:
        batch_op.drop_index(batch_op.f("ix_clarification_requests_application_id"))
    op.drop_table("clarification_requests")
    bind = op.get_bind()
    for column in ("appeal_answer_days", "appeal_days", "feedback"):
        if bind.dialect.name == "sqlite":
            op.execute(f"ALTER TABLE contests DROP COLUMN {column}")
        else:
            op.drop_constraint(f"ck_contests_{column}", "contests", type_="check")
            op.drop_column("contests", column)
