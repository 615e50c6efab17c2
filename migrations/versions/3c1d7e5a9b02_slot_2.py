"""issue 17, part 2: a contact's language (their latest sign-up's page, or an import's language column)

Revision ID: 3c1d7e5a9b02
Revises: 3c1d7e5a9b01
Create Date: 2026-12-07 14:45:02

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '3c1d7e5a9b02'
down_revision = '3c1d7e5a9b01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("language", sa.String(length=10), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("language")
