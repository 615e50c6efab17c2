"""contact pages and privacy: when a contact's personal data was erased on request

Revision ID: 2a6b8d4f1c07
Revises: 2a6b8d4f1c06
Create Date: 2026-12-07 11:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2a6b8d4f1c07'
down_revision = '2a6b8d4f1c06'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
