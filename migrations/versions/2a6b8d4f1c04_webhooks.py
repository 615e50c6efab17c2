"""webhooks: whom a delivery is about (erasure finds it), and a Resend keeps its message's webhook-id

Revision ID: 2a6b8d4f1c04
Revises: 2a6b8d4f1c03
Create Date: 2026-12-07 11:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2a6b8d4f1c04'
down_revision = '2a6b8d4f1c03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_contact_id'), ['contact_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_webhook_deliveries_contact_id_contacts'), 'contacts',
                                    ['contact_id'], ['id'], ondelete='SET NULL')
        # A Resend is a new row with the same webhook-id (the receiver's idempotency key): no longer unique.
        batch_op.drop_constraint(batch_op.f('uq_webhook_deliveries_webhook_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_webhook_id'), ['webhook_id'], unique=False)


def downgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_webhook_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_webhook_deliveries_webhook_id'), ['webhook_id'])
        batch_op.drop_constraint(batch_op.f('fk_webhook_deliveries_contact_id_contacts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_contact_id'))
        batch_op.drop_column('contact_id')
