"""contact pages and privacy: when a contact's personal data was erased on request, and by whom

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
        batch_op.add_column(sa.Column('erased_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_contacts_erased_by_id_users'), 'users', ['erased_by_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contacts_erased_by_id_users'), type_='foreignkey')
        batch_op.drop_column('erased_by_id')
        batch_op.drop_column('erased_at')
