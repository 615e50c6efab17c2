"""messages go to a contact, a user or a bare address, with a name

The outbox is for any feature's mail now (messaging.queue), not only a registration's: a message may go to a user
of the app (an organiser's test send, a salesperson's handoff), and it keeps the recipient's display name for the
mail's To: line. Rows from before have no name (an empty string) and no user.

Revision ID: b7e4c2a9d150
Revises: a4d8e2c61f07
Create Date: 2026-12-07 03:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4c2a9d150'
down_revision = 'a4d8e2c61f07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recipient_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_messages_user_id_users'), 'users', ['user_id'], ['id'],
                                    ondelete='SET NULL')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        # The default only filled the rows there were; a new message always says its recipient's name.
        batch_op.alter_column('recipient_name', existing_type=sa.String(length=200), server_default=None)


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_messages_user_id_users'), type_='foreignkey')
        batch_op.drop_column('recipient_name')
        batch_op.drop_column('user_id')
