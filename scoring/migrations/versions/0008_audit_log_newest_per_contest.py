"""Indexes for the newest audit entry of a contest and of an action (the page cache).

The page cache (scoring/pagecache.py) keys a contest's pages on the newest audit entry
of that contest, of no contest, and of the actions whose effect reaches other contests.
With ``(contest_id, id)`` and ``(action, id)`` each is one step down an index on
SQLite and PostgreSQL alike, however long the log.

Revision ID: 0008
Revises: 0011
Create Date: 2026-12-05
"""

from alembic import op

revision = "0008"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_audit_log_contest_id", table_name="audit_log")
    op.create_index("ix_audit_log_contest_id_id", "audit_log", ["contest_id", "id"])
    op.create_index("ix_audit_log_action_id", "audit_log", ["action", "id"])


def downgrade():
    op.drop_index("ix_audit_log_action_id", table_name="audit_log")
    op.drop_index("ix_audit_log_contest_id_id", table_name="audit_log")
    op.create_index("ix_audit_log_contest_id", "audit_log", ["contest_id"])
