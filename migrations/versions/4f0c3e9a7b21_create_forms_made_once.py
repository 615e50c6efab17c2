"""create forms made once: a one-off nonce on campaigns and questions

A campaign or question form posted twice (a double click, back and resend) made two rows. The create form now
carries a one-off nonce, kept on the row it made and unique, so a second post finds it.

Revision ID: 4f0c3e9a7b21
Revises: daeb7b3f7b6a
Create Date: 2026-12-02 11:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4f0c3e9a7b21'
down_revision = 'daeb7b3f7b6a'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('campaigns', 'questions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('form_nonce', sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_form_nonce'), ['form_nonce'])


def downgrade():
    for table in ('questions', 'campaigns'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_form_nonce'), type_='unique')
            batch_op.drop_column('form_nonce')
