"""Facts frozen at submission, sheets entered from paper, juror's hromada, early closing,
the date of the jury's meeting.

- ``applications.applicant_*``: the organisation's name, kind, oblast, community (with
  its KATOTTG code) and status as the application was submitted (SPEC §8). Applications
  already submitted get the organisation's current facts.
- ``scoresheets.entered_by_id`` and ``entered_at``: who entered a sheet from paper, when.
  Sheets imported before this revision cannot say who entered them; their declaration
  time, which the import set to the moment of the import, is kept as ``entered_at`` and
  removed as a declaration (the juror never declared it in the system).
- ``users.community_code``: the KATOTTG code of a juror's hromada, for conflicts.
- ``contests.closed_early_at`` and ``closed_early_reason``: applications closed before
  the announced deadline, when and why; ``contests.protocol_date``: the date of the
  jury's meeting, which the protocol prints (SPEC §16).

Every column is added with ALTER TABLE ... ADD COLUMN, on SQLite too: recreating a table
there would run its ON DELETE CASCADE on the rows that refer to it.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

FACTS = (
    ("applicant_name", "name"),
    ("applicant_kind", "kind"),
    ("applicant_oblast", "oblast"),
    ("applicant_community", "community"),
    ("applicant_community_code", "community_code"),
    ("applicant_status", "status"),
)


def _add_checked(table: str, column: sa.Column, sqlite_ddl: str) -> None:
    """A column with a CHECK or REFERENCES constraint: SQLite takes it within ADD COLUMN,
    where Alembic would add the constraint separately (which SQLite cannot)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {sqlite_ddl}")
    else:
        op.add_column(table, column)


def upgrade():
    op.add_column("applications", sa.Column("applicant_name", sa.String(300), nullable=True))
    _add_checked(
        "applications",
        sa.Column(
            "applicant_kind",
            sa.Enum(
                "community",
                "ngo",
                name="applicant_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        "applicant_kind VARCHAR(9) CONSTRAINT ck_applications_applicant_kind "
        "CHECK (applicant_kind IN ('community', 'ngo'))",
    )
    op.add_column("applications", sa.Column("applicant_oblast", sa.String(5), nullable=True))
    op.add_column("applications", sa.Column("applicant_community", sa.String(200), nullable=True))
    op.add_column(
        "applications", sa.Column("applicant_community_code", sa.String(19), nullable=True)
    )
    _add_checked(
        "applications",
        sa.Column(
            "applicant_status",
            sa.Enum(
                "active",
                "relocated",
                "occupied",
                name="applicant_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        "applicant_status VARCHAR(9) CONSTRAINT ck_applications_applicant_status "
        "CHECK (applicant_status IN ('active', 'relocated', 'occupied'))",
    )
    copies = ", ".join(
        f"{column} = (SELECT organisations.{source} FROM organisations "
        "WHERE organisations.id = applications.organisation_id)"
        for column, source in FACTS
    )
    op.execute(f"UPDATE applications SET {copies} WHERE state <> 'draft'")

    op.add_column("contests", sa.Column("protocol_date", sa.Date(), nullable=True))
    op.add_column(
        "contests", sa.Column("closed_early_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "contests",
        sa.Column("closed_early_reason", sa.Text(), nullable=False, server_default=""),
    )

    _add_checked(
        "scoresheets",
        sa.Column(
            "entered_by_id",
            sa.Integer(),
            sa.ForeignKey("users.id", name="fk_scoresheets_entered_by_id_users"),
            nullable=True,
        ),
        "entered_by_id INTEGER CONSTRAINT fk_scoresheets_entered_by_id_users REFERENCES users (id)",
    )
    op.add_column("scoresheets", sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True))
    # Sheets that import-scores submitted before: the juror never declared anything in
    # the system (no "conflict.declared_none" entry), the import did it for them.
    op.execute(
        "UPDATE scoresheets SET entered_at = submitted_at, declared_at = NULL "
        "WHERE state = 'submitted' AND EXISTS (SELECT 1 FROM audit_log a "
        "WHERE a.action = 'scoresheet.submitted' AND a.object_type = 'Scoresheet' "
        "AND a.object_id = CAST(scoresheets.id AS VARCHAR(60)) "
        "AND CAST(a.details AS TEXT) LIKE '%import-scores%') "
        "AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'conflict.declared_none' "
        "AND a.object_type = 'Scoresheet' AND a.object_id = CAST(scoresheets.id AS VARCHAR(60)))"
    )

    op.add_column("users", sa.Column("community_code", sa.String(19), nullable=True))


def _drop(table: str, *columns: str) -> None:
    """SQLite drops a column in place (3.35+); a batch copy would cascade deletes."""
    if op.get_bind().dialect.name == "sqlite":
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        return
    with op.batch_alter_table(table) as batch_op:
        for column in columns:
            batch_op.drop_column(column)


def downgrade():
    _drop("users", "community_code")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_scoresheets_entered_by_id_users", "scoresheets", type_="foreignkey")
    _drop("scoresheets", "entered_at", "entered_by_id")
    _drop("contests", "closed_early_reason", "closed_early_at", "protocol_date")
    _drop("applications", *(column for column, _source in reversed(FACTS)))
