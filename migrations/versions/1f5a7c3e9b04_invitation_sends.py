"""invitation sends (a slot for issue 15's work; nothing to change yet)

Revision ID: 1f5a7c3e9b04
Revises: 1f5a7c3e9b03
Create Date: 2026-12-07 04:45:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '1f5a7c3e9b04'
down_revision = '1f5a7c3e9b03'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
