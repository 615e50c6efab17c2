"""marketing consent confirmed by the address's owner (double opt-in)

A ticked box on a public form proves nothing about who ticked it: the consent it records waits until the address's
owner follows the link mailed to it (confirmed_at), and remembers the registration it was given with. Records made
before are left unconfirmed, and the contacts' consent flags as they were (nothing has been sent as marketing yet).

Revision ID: 9c3f2e7a4d35
Revises: 8b2e1d6f3c24
Create Date: 2026-12-07 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c3f2e7a4d35'
down_revision = '8b2e1d6f3c24'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('registration_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_consent_records_registration_id_registrations'), 'registrations',
                                    ['registration_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consent_records_registration_id_registrations'), type_='foreignkey')
        batch_op.drop_column('registration_id')
        batch_op.drop_column('confirmed_at')
