"""sessions and login attempts: a session token on users, and login attempts counted in the database

Every session carries the user's session token (Flask-Login's id is "<id>:<token>"); logging out, a password
change or deactivation gives the user a new one, which ends every session of theirs. Sessions from before this
migration carry no token and end with it: everyone logs in once more.

Failed logins are rows of login_attempts, counted per client address and per account by every process.

Revision ID: 8b2e1d6f3c24
Revises: 7a1d0c5e2b13
Create Date: 2026-12-07 02:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8b2e1d6f3c24'
down_revision = '7a1d0c5e2b13'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    connection = op.get_bind()
    # Each user their own random token (a shared default would let one user's rotation be guessed from another's).
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(session_token=secrets.token_urlsafe(24)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)

    op.create_table(
        'login_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('account', sa.String(length=320), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts')),
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_account_occurred_at', ['account', 'occurred_at'], unique=False)
        batch_op.create_index('ix_login_attempts_address_occurred_at', ['address', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_occurred_at'), ['occurred_at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_occurred_at'))
        batch_op.drop_index('ix_login_attempts_address_occurred_at')
        batch_op.drop_index('ix_login_attempts_account_occurred_at')
    op.drop_table('login_attempts')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_token')
