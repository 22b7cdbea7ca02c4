"""The domain schema of SPEC §2–§6, with the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title_uk', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('description_uk', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('rules_uk', sa.Text(), nullable=False),
    sa.Column('rules_en', sa.Text(), nullable=False),
    sa.Column('organising_body', sa.String(length=300), nullable=False),
    sa.Column('applicant_kinds', sa.JSON(), nullable=False),
    sa.Column('oblasts', sa.JSON(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('winners', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Enum('draft', 'open', 'screening', 'judging', 'deliberation', 'published', 'archived', name='stage', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('number_prefix', sa.String(length=12), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.Column('aggregation', sa.Enum('mean', 'median', 'trimmed_mean', 'sum', name='aggregation', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('normalise', sa.Enum('none', 'zscore', name='normalise', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('jurors_per_application', sa.Integer(), nullable=False),
    sa.Column('quorum', sa.Integer(), nullable=False),
    sa.Column('divergence_threshold', sa.Numeric(precision=4, scale=3), nullable=False),
    sa.Column('min_total', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('max_winners_per_oblast', sa.Integer(), nullable=True),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('conflict_same_oblast', sa.Boolean(), nullable=False),
    sa.Column('conflict_same_community', sa.Boolean(), nullable=False),
    sa.Column('results_full_ranking', sa.Boolean(), nullable=False),
    sa.Column('attachment_types', sa.JSON(), nullable=False),
    sa.Column('max_file_size', sa.Integer(), nullable=False),
    sa.Column('max_total_size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_contests_window')),
    sa.CheckConstraint('divergence_threshold > 0 AND divergence_threshold <= 1', name=op.f('ck_contests_divergence_threshold')),
    sa.CheckConstraint('jurors_per_application >= 0', name=op.f('ck_contests_jurors_per_application')),
    sa.CheckConstraint('last_number >= 0', name=op.f('ck_contests_last_number')),
    sa.CheckConstraint('max_winners_per_oblast IS NULL OR max_winners_per_oblast >= 1', name=op.f('ck_contests_oblast_cap')),
    sa.CheckConstraint('min_total >= 0', name=op.f('ck_contests_min_total')),
    sa.CheckConstraint('quorum >= 1', name=op.f('ck_contests_quorum_positive')),
    sa.CheckConstraint('winners >= 1', name=op.f('ck_contests_winners_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contests')),
    sa.UniqueConstraint('slug', name=op.f('uq_contests_slug'))
    )
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contests_stage'), ['stage'], unique=False)

    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('community', 'ngo', name='organisation_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('edrpou', sa.String(length=8), nullable=False),
    sa.Column('oblast', sa.String(length=5), nullable=False),
    sa.Column('community', sa.String(length=200), nullable=False),
    sa.Column('community_code', sa.String(length=19), nullable=True),
    sa.Column('status', sa.Enum('active', 'relocated', 'occupied', name='organisation_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('contact_person', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(edrpou) = 8', name=op.f('ck_organisations_edrpou_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('edrpou', name=op.f('uq_organisations_edrpou'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_oblast'), ['oblast'], unique=False)

    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('title_uk', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('winners', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint('winners >= 1', name=op.f('ck_categories_winners_positive')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_categories_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('contest_id', 'code', name=op.f('uq_categories_contest_id_code'))
    )
    op.create_table('criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('title_uk', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('guidance_uk', sa.Text(), nullable=False),
    sa.Column('guidance_en', sa.Text(), nullable=False),
    sa.Column('max_points', sa.Numeric(precision=6, scale=1), nullable=False),
    sa.Column('weight', sa.Numeric(precision=8, scale=4), nullable=False),
    sa.Column('step', sa.Numeric(precision=2, scale=1), nullable=False),
    sa.Column('min_points', sa.Numeric(precision=6, scale=1), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint('max_points > 0', name=op.f('ck_criteria_max_points_positive')),
    sa.CheckConstraint('min_points IS NULL OR (min_points >= 0 AND min_points <= max_points)', name=op.f('ck_criteria_min_points')),
    sa.CheckConstraint('step IN (0.5, 1)', name=op.f('ck_criteria_step')),
    sa.CheckConstraint('weight > 0', name=op.f('ck_criteria_weight_positive')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_criteria_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria')),
    sa.UniqueConstraint('contest_id', 'code', name=op.f('uq_criteria_contest_id_code'))
    )
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.create_index('ix_criteria_contest_position', ['contest_id', 'position'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('label_uk', sa.String(length=300), nullable=False),
    sa.Column('label_en', sa.String(length=300), nullable=False),
    sa.Column('help_uk', sa.Text(), nullable=False),
    sa.Column('help_en', sa.Text(), nullable=False),
    sa.Column('kind', sa.Enum('text', 'textarea', 'number', 'choice', 'url', 'file', name='question_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('max_length', sa.Integer(), nullable=True),
    sa.Column('min_value', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('max_value', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('choices', sa.JSON(), nullable=True),
    sa.Column('file_types', sa.JSON(), nullable=True),
    sa.CheckConstraint('max_length IS NULL OR max_length > 0', name=op.f('ck_questions_max_length')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_questions_contest_id_contests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    sa.UniqueConstraint('contest_id', 'key', name=op.f('uq_questions_contest_id_key'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index('ix_questions_contest_position', ['contest_id', 'position'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.Enum('organiser', 'juror', 'applicant', name='role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('oblast', sa.String(length=5), nullable=True),
    sa.Column('community', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('draft', 'submitted', 'admitted', 'rejected', name='application_state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=40), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(state = 'draft' AND submitted_at IS NULL) OR (state <> 'draft' AND number IS NOT NULL AND submitted_at IS NOT NULL)", name=op.f('ck_applications_submitted_has_number')),
    sa.CheckConstraint('serial IS NULL OR serial >= 1', name=op.f('ck_applications_serial_positive')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_applications_category_id_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_applications_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_applications_decided_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_applications_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('contest_id', 'organisation_id', name=op.f('uq_applications_contest_id_organisation_id')),
    sa.UniqueConstraint('contest_id', 'serial', name=op.f('uq_applications_contest_id_serial')),
    sa.UniqueConstraint('number', name=op.f('uq_applications_number'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_applications_contest_state', ['contest_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('contest_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=60), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_audit_log_contest_id_contests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_log_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_log_prev_hash'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_contest_id'), ['contest_id'], unique=False)

    op.create_table('contest_organisers',
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_contest_organisers_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contest_organisers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contest_id', 'user_id', name=op.f('pk_contest_organisers'))
    )
    with op.batch_alter_table('contest_organisers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contest_organisers_user_id'), ['user_id'], unique=False)

    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('organiser', 'juror', 'applicant', name='invitation_role', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=True),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_invitations_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_invitations_invited_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_contest_id'), ['contest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_email'), ['email'], unique=False)

    op.create_table('jury_members',
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('is_chair', sa.Boolean(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_jury_members_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_jury_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contest_id', 'user_id', name=op.f('pk_jury_members'))
    )
    with op.batch_alter_table('jury_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jury_members_user_id'), ['user_id'], unique=False)

    op.create_table('answers',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_answers_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_answers_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('application_id', 'question_id', name=op.f('pk_answers'))
    )
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_attachments_sha256_length')),
    sa.CheckConstraint('size >= 0', name=op.f('ck_attachments_size')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_attachments_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_attachments_question_id_questions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_application_id'), ['application_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('tie', 'divergence', name='decision_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('winner_ids', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_decisions_application_id_applications')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_decisions_category_id_categories')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_decisions_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_decisions_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_contest_id'), ['contest_id'], unique=False)

    op.create_table('scoresheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('juror_id', sa.Integer(), nullable=False),
    sa.Column('conflict', sa.Enum('undeclared', 'none', 'recused', name='conflict', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('declaration', sa.Text(), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.Enum('draft', 'submitted', name='sheet_state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('overall_comment', sa.Text(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state = 'draft' OR conflict = 'none'", name=op.f('ck_scoresheets_submitted_without_conflict')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_scoresheets_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['juror_id'], ['users.id'], name=op.f('fk_scoresheets_juror_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoresheets')),
    sa.UniqueConstraint('application_id', 'juror_id', name=op.f('uq_scoresheets_application_id_juror_id'))
    )
    with op.batch_alter_table('scoresheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scoresheets_juror_id'), ['juror_id'], unique=False)

    op.create_table('scores',
    sa.Column('scoresheet_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Numeric(precision=6, scale=1), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('points IS NULL OR points >= 0', name=op.f('ck_scores_points')),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_scores_criterion_id_criteria'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['scoresheet_id'], ['scoresheets.id'], name=op.f('fk_scores_scoresheet_id_scoresheets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('scoresheet_id', 'criterion_id', name=op.f('pk_scores'))
    )
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scores_criterion_id'), ['criterion_id'], unique=False)



    _protect_audit_log()


AUDIT_GUARD_SQLITE = """
CREATE TRIGGER audit_log_no_{op} BEFORE {OP} ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""

AUDIT_GUARD_POSTGRESQL = [
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
]


def _protect_audit_log():
    """The database itself refuses to change or delete an audit entry (SPEC §8)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("update", "delete"):
            op.execute(AUDIT_GUARD_SQLITE.format(op=name, OP=name.upper()))
    elif dialect == "postgresql":
        for statement in AUDIT_GUARD_POSTGRESQL:
            op.execute(statement)

def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table('scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scores_criterion_id'))

    op.drop_table('scores')
    with op.batch_alter_table('scoresheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scoresheets_juror_id'))

    op.drop_table('scoresheets')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_contest_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_application_id'))

    op.drop_table('attachments')
    op.drop_table('answers')
    with op.batch_alter_table('jury_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jury_members_user_id'))

    op.drop_table('jury_members')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_email'))
        batch_op.drop_index(batch_op.f('ix_invitations_contest_id'))

    op.drop_table('invitations')
    with op.batch_alter_table('contest_organisers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contest_organisers_user_id'))

    op.drop_table('contest_organisers')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_contest_id'))

    op.drop_table('audit_log')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_organisation_id'))
        batch_op.drop_index('ix_applications_contest_state')
        batch_op.drop_index(batch_op.f('ix_applications_category_id'))

    op.drop_table('applications')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))

    op.drop_table('users')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_contest_position')

    op.drop_table('questions')
    with op.batch_alter_table('criteria', schema=None) as batch_op:
        batch_op.drop_index('ix_criteria_contest_position')

    op.drop_table('criteria')
    op.drop_table('categories')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_oblast'))

    op.drop_table('organisations')
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contests_stage'))

    op.drop_table('contests')
