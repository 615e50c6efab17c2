"""sessions that end, and login attempts counted in the database

Revision ID: 8b2e1d6f3c24
Revises: 7a1d0c5e2b13
Create Date: 2026-12-07 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b2e1d6f3c24'
down_revision = '7a1d0c5e2b13'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
