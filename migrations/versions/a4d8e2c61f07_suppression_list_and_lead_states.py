"""one suppression list for email and SMS; lead states kept by leads

SMS opt-outs become rows of the suppression list (channel sms, reason stop, the keyword they sent); numbers that
opted back in (START) are on no list, so they are not carried over. sms_opt_outs is dropped. Going down keeps the
SMS rows (email rows have no place there).

Lead states: one row per contact with score, stage and owner, leads' own table (not columns on contacts).

Revision ID: a4d8e2c61f07
Revises: 9c3f2e7a4d35
Create Date: 2026-12-10 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4d8e2c61f07'
down_revision = '9c3f2e7a4d35'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('suppressions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('keyword', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppressions')),
    sa.UniqueConstraint('channel', 'address', name=op.f('uq_suppressions_channel_address'))
    )
    op.execute("INSERT INTO suppressions (channel, address, reason, keyword, created_at) "
               "SELECT 'sms', phone, 'stop', keyword, updated_at FROM sms_opt_outs WHERE opted_out")
    op.drop_table('sms_opt_outs')

    op.create_table('lead_states',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_lead_states_contact_id_contacts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_lead_states_owner_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_lead_states'))
    )
    with op.batch_alter_table('lead_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_states_owner_user_id'), ['owner_user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lead_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_states_owner_user_id'))
    op.drop_table('lead_states')

    op.create_table('sms_opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('keyword', sa.String(length=40), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_opt_outs')),
    sa.UniqueConstraint('phone', name=op.f('uq_sms_opt_outs_phone'))
    )
    op.execute("INSERT INTO sms_opt_outs (phone, opted_out, keyword, updated_at) "
               "SELECT address, TRUE, keyword, created_at FROM suppressions WHERE channel = 'sms'")
    op.drop_table('suppressions')
