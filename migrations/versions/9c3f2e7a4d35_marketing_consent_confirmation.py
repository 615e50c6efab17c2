"""marketing consent confirmed by the address's owner (double opt-in)

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
    pass


def downgrade():
    pass
