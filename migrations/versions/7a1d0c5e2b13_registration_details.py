"""registration details: what was typed at sign-up is kept on the registration

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


def upgrade():
    pass


def downgrade():
    pass
