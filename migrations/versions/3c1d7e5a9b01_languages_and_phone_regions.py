"""Chinese as well as English: the language of an organisation, a user, an event (one or two) and a message; the
region local phone numbers are read in, per organisation and per event

Revision ID: 3c1d7e5a9b01
Revises: 2a6b8d4f1c07
Create Date: 2026-12-07 14:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1d7e5a9b01'
down_revision = '2a6b8d4f1c07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=False, server_default='en'))
        batch_op.add_column(sa.Column('phone_region', sa.String(length=2), nullable=False, server_default=''))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=False, server_default=''))
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('languages', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('phone_region', sa.String(length=2), nullable=False, server_default=''))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('phone_region')
        batch_op.drop_column('languages')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('phone_region')
        batch_op.drop_column('language')
