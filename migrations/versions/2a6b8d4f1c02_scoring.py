"""scoring (a slot for issue 16's work; nothing to change yet)

Revision ID: 2a6b8d4f1c02
Revises: 2a6b8d4f1c01
Create Date: 2026-12-07 11:30:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '2a6b8d4f1c02'
down_revision = '2a6b8d4f1c01'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
