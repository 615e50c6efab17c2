"""leads: scores, stages, handoffs, webhooks, exports, costs

Revision ID: 2a6b8d4f1c01
Revises: 1f5a7c3e9b07
Create Date: 2026-12-07 07:17:14.140879

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2a6b8d4f1c01'
down_revision = '1f5a7c3e9b07'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assignment_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('pattern', sa.String(length=500), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_assignment_rules_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_assignment_rules_owner_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_rules'))
    )
    with op.batch_alter_table('assignment_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_rules_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('lead_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_lead_exports_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lead_exports_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_exports'))
    )
    with op.batch_alter_table('lead_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_exports_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('score_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('half_life_days', sa.Double(), nullable=False),
    sa.Column('mql_threshold', sa.Integer(), nullable=False),
    sa.Column('required_fields', sa.JSON(), nullable=False),
    sa.Column('epoch', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rules_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_score_models_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_models')),
    sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_score_models_organisation_id_name'))
    )
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_webhook_endpoints_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('handoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('assigned_by_user_id', sa.Integer(), nullable=True),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('score_model_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('feedback', sa.String(length=40), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('last_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_user_id'], ['users.id'], name=op.f('fk_handoffs_assigned_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_handoffs_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_handoffs_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_handoffs_owner_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rule_id'], ['assignment_rules.id'], name=op.f('fk_handoffs_rule_id_assignment_rules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['score_model_id'], ['score_models.id'], name=op.f('fk_handoffs_score_model_id_score_models'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoffs')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_handoffs_token_hash'))
    )
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoffs_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoffs_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoffs_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handoffs_owner_user_id'), ['owner_user_id'], unique=False)

    op.create_table('lead_scores',
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('fit', sa.Integer(), nullable=False),
    sa.Column('anchor', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_lead_scores_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['model_id'], ['score_models.id'], name=op.f('fk_lead_scores_model_id_score_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('model_id', 'contact_id', name=op.f('pk_lead_scores'))
    )
    with op.batch_alter_table('lead_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_scores_contact_id'), ['contact_id'], unique=False)

    op.create_table('rescore_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('last_contact_id', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=False),
    sa.Column('started_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['model_id'], ['score_models.id'], name=op.f('fk_rescore_jobs_model_id_score_models'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_user_id'], ['users.id'], name=op.f('fk_rescore_jobs_started_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rescore_jobs'))
    )
    with op.batch_alter_table('rescore_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rescore_jobs_model_id'), ['model_id'], unique=False)

    op.create_table('score_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('pattern', sa.String(length=500), nullable=False),
    sa.Column('activity_kind', sa.String(length=40), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['score_models.id'], name=op.f('fk_score_rules_model_id_score_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_rules'))
    )
    with op.batch_alter_table('score_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_rules_model_id'), ['model_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.String(length=60), nullable=False),
    sa.Column('event_type', sa.String(length=60), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('resend_of_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resend_of_id'], ['webhook_deliveries.id'], name=op.f('fk_webhook_deliveries_resend_of_id_webhook_deliveries'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('webhook_id', name=op.f('uq_webhook_deliveries_webhook_id'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_endpoint_id'), ['endpoint_id'], unique=False)

    op.create_table('event_costs',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_costs_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_event_costs_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_event_costs'))
    )
    with op.batch_alter_table('event_costs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_costs_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('score_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['lead_activities.id'], name=op.f('fk_score_entries_activity_id_lead_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_score_entries_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['model_id'], ['score_models.id'], name=op.f('fk_score_entries_model_id_score_models'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['score_rules.id'], name=op.f('fk_score_entries_rule_id_score_rules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_entries'))
    )
    with op.batch_alter_table('score_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_entries_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_entries_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_score_entries_model_contact', ['model_id', 'contact_id'], unique=False)

    with op.batch_alter_table('lead_activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_lead_activities_actor_user_id_users'), 'users', ['actor_user_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('lead_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('stage_reason', sa.String(length=300), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_lead_states_stage'), ['stage'], unique=False)
        batch_op.drop_column('score')
    with op.batch_alter_table('lead_states', schema=None) as batch_op:
        batch_op.alter_column('stage_reason', server_default=None)
    # The stages before issue 16 had other names: a qualified lead is an MQL, a disqualified one was rejected.
    op.execute("UPDATE lead_states SET stage = 'mql' WHERE stage = 'qualified'")
    op.execute("UPDATE lead_states SET stage = 'rejected' WHERE stage = 'disqualified'")



def downgrade():
    op.execute("UPDATE lead_states SET stage = 'qualified' WHERE stage = 'mql'")
    op.execute("UPDATE lead_states SET stage = 'disqualified' WHERE stage = 'rejected'")
    op.execute("UPDATE lead_states SET stage = 'handed_off' WHERE stage IN ('accepted', 'won')")
    op.execute("UPDATE lead_states SET stage = 'disqualified' WHERE stage = 'lost'")
    op.execute("UPDATE lead_states SET stage = 'engaged' WHERE stage = 'nurture'")
    with op.batch_alter_table('lead_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score', sa.INTEGER(), nullable=False, server_default='0'))
        batch_op.drop_index(batch_op.f('ix_lead_states_stage'))
        batch_op.drop_column('stage_reason')
        batch_op.drop_column('stage_changed_at')

    with op.batch_alter_table('lead_activities', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lead_activities_actor_user_id_users'), type_='foreignkey')
        batch_op.drop_column('actor_user_id')

    with op.batch_alter_table('score_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_score_entries_model_contact')
        batch_op.drop_index(batch_op.f('ix_score_entries_contact_id'))
        batch_op.drop_index(batch_op.f('ix_score_entries_activity_id'))

    op.drop_table('score_entries')
    with op.batch_alter_table('event_costs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_costs_organisation_id'))

    op.drop_table('event_costs')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_endpoint_id'))
        batch_op.drop_index('ix_webhook_deliveries_due')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('score_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_rules_model_id'))

    op.drop_table('score_rules')
    with op.batch_alter_table('rescore_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rescore_jobs_model_id'))

    op.drop_table('rescore_jobs')
    with op.batch_alter_table('lead_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_scores_contact_id'))

    op.drop_table('lead_scores')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoffs_owner_user_id'))
        batch_op.drop_index(batch_op.f('ix_handoffs_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_handoffs_due_at'))
        batch_op.drop_index(batch_op.f('ix_handoffs_contact_id'))

    op.drop_table('handoffs')
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoints_organisation_id'))

    op.drop_table('webhook_endpoints')
    op.drop_table('score_models')
    with op.batch_alter_table('lead_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_exports_organisation_id'))

    op.drop_table('lead_exports')
    with op.batch_alter_table('assignment_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_rules_organisation_id'))

    op.drop_table('assignment_rules')
