"""PostgreSQL refuses TRUNCATE on the audit log as it refuses UPDATE and DELETE.

TRUNCATE fires no row triggers, so the append-only guard of 0001 let it empty the
table. SQLite has no TRUNCATE: its ``DELETE FROM audit_log`` meets the row triggers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
