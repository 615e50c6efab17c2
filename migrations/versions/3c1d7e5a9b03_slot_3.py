"""issue 17, part 3: a slot for one part of the work (empty until that part needs a schema change)

Revision ID: 3c1d7e5a9b03
Revises: 3c1d7e5a9b02
Create Date: 2026-12-07 14:45:03

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '3c1d7e5a9b03'
down_revision = '3c1d7e5a9b02'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
