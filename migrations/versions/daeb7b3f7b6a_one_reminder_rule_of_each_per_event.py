"""one reminder rule of each per event

The reminder's idempotency key holds the rule's id, so two identical rules sent the same reminder twice. Duplicates
already stored are deleted first (the lowest id of each stays), so the unique constraint can be created.

Revision ID: daeb7b3f7b6a
Revises: e3eafaba3eaf
Create Date: 2026-11-24 10:12:41.503117

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'daeb7b3f7b6a'
down_revision = 'e3eafaba3eaf'
branch_labels = None
depends_on = None


def upgrade():
    # The derived table lets PostgreSQL and SQLite (and MySQL) read the table they delete from.
    op.execute(sa.text(
        "DELETE FROM reminder_rules WHERE id NOT IN (SELECT keep_id FROM (SELECT MIN(id) AS keep_id "
        "FROM reminder_rules GROUP BY event_id, minutes_before, channel) AS kept)"))
    with op.batch_alter_table('reminder_rules', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_reminder_rules_event_id_minutes_before_channel'),
                                          ['event_id', 'minutes_before', 'channel'])


def downgrade():
    with op.batch_alter_table('reminder_rules', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_reminder_rules_event_id_minutes_before_channel'), type_='unique')
