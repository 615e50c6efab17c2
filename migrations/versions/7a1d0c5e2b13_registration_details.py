"""registration details: what was typed at sign-up is kept on the registration

A public form proves nothing about who typed it, so a sign-up no longer writes over the organisation's contact:
the name, company, title, email and phone given for a registration live on the registration (its mails, SMS,
ticket, door and export use them). Existing registrations take their contact's current values.

Revision ID: 7a1d0c5e2b13
Revises: 4f0c3e9a7b21
Create Date: 2026-12-07 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a1d0c5e2b13'
down_revision = '4f0c3e9a7b21'
branch_labels = None
depends_on = None


DETAILS = (('email', 320), ('first_name', 100), ('last_name', 100), ('company', 200), ('job_title', 200),
           ('phone', 20))


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        for name, length in DETAILS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=''))
    registrations = sa.table('registrations', sa.column('contact_id'), *(sa.column(name) for name, _ in DETAILS))
    contacts = sa.table('contacts', sa.column('id'), *(sa.column(name) for name, _ in DETAILS))
    op.execute(registrations.update().values({
        name: sa.select(sa.func.coalesce(getattr(contacts.c, name), ''))
        .where(contacts.c.id == registrations.c.contact_id).scalar_subquery()
        for name, _ in DETAILS}))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        for name, length in DETAILS:  # the default only filled the rows there were; new ones always say
            batch_op.alter_column(name, existing_type=sa.String(length=length), server_default=None)


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        for name, _ in reversed(DETAILS):
            batch_op.drop_column(name)
