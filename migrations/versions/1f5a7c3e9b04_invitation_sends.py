"""invitation sends: when each invitation is due in the outbox and which message carries it (throttled, resumable)

Revision ID: 1f5a7c3e9b04
Revises: 1f5a7c3e9b03
Create Date: 2026-12-07 04:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1f5a7c3e9b04'
down_revision = '1f5a7c3e9b03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('message_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_invitations_message_id'), ['message_id'])


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_message_id'))
        batch_op.drop_column('message_id')
        batch_op.drop_column('due_at')
