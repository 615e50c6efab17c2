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


# Text columns added to tables with rows: '' fills those rows (the organisation's, the app's default), then the
# default goes, as elsewhere: a new row always says it.
FILLED_TEXT = {'organisations': {'phone_region': 2}, 'users': {'language': 10},
               'events': {'languages': 40, 'phone_region': 2}, 'messages': {'language': 10}}


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=False, server_default='en'))
    for table, columns in FILLED_TEXT.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, length in columns.items():
                batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=''))
    for table, columns in FILLED_TEXT.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, length in columns.items():
                batch_op.alter_column(name, existing_type=sa.String(length=length), server_default=None)


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
