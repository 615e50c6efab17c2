"""issue 17, part 4: Chinese search — a search key on each contact and registration (names in both orders, pinyin,
company, email, phone digits), filled for the rows already there

Revision ID: 3c1d7e5a9b04
Revises: 3c1d7e5a9b03
Create Date: 2026-12-07 14:45:04

"""
from alembic import op
import sqlalchemy as sa

from eventapp.contacts.search import KEY_FIELDS, search_key


# revision identifiers, used by Alembic.
revision = '3c1d7e5a9b04'
down_revision = '3c1d7e5a9b03'
branch_labels = None
depends_on = None

TABLES = ('contacts', 'registrations')
CHUNK = 2000  # rows read and written at a time: a large table is filled without holding it in memory


def upgrade():
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
    for name in TABLES:
        _fill_search_keys(name)


def _fill_search_keys(name: str) -> None:
    """Each row's key by the application's own search_key, in chunks of CHUNK by id."""
    connection = op.get_bind()
    table = sa.table(name, sa.column('id', sa.Integer), sa.column('search_text', sa.Text),
                     *(sa.column(field, sa.String) for field in KEY_FIELDS))
    write = sa.update(table).where(table.c.id == sa.bindparam('row_id')).values(search_text=sa.bindparam('key'))
    last_id = 0
    while True:
        rows = connection.execute(sa.select(table.c.id, *(table.c[field] for field in KEY_FIELDS))
                                  .where(table.c.id > last_id).order_by(table.c.id).limit(CHUNK)).all()
        if not rows:
            return
        connection.execute(write, [{'row_id': row.id, 'key': search_key(*(row[1:]))} for row in rows])
        last_id = rows[-1].id


def downgrade():
    for name in reversed(TABLES):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column('search_text')
