"""tracking and unsubscribe: message_events, each open (pixel) and tracked click of a mail

Revision ID: 1f5a7c3e9b06
Revises: 1f5a7c3e9b05
Create Date: 2026-12-07 04:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1f5a7c3e9b06'
down_revision = '1f5a7c3e9b05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'message_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('likely_automated', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_events_message_id_messages'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_events')))
    op.create_index(op.f('ix_message_events_message_id'), 'message_events', ['message_id'])


def downgrade():
    op.drop_index(op.f('ix_message_events_message_id'), table_name='message_events')
    op.drop_table('message_events')
