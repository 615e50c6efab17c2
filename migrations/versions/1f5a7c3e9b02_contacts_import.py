"""contact imports: the uploaded list with its mapping and progress, and the per-row report

Revision ID: 1f5a7c3e9b02
Revises: 1f5a7c3e9b01
Create Date: 2026-12-07 04:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1f5a7c3e9b02'
down_revision = '1f5a7c3e9b01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.Column('consent_text', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('error', sa.String(length=500), nullable=False),
        sa.Column('total_rows', sa.Integer(), nullable=False),
        sa.Column('processed_rows', sa.Integer(), nullable=False),
        sa.Column('last_row', sa.Integer(), nullable=False),
        sa.Column('imported', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('suppressed', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_import_jobs_organisation_id_organisations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_import_jobs_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs')))
    op.create_index(op.f('ix_import_jobs_organisation_id'), 'import_jobs', ['organisation_id'])
    op.create_table(
        'import_rows',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('row_number', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], name=op.f('fk_import_rows_job_id_import_jobs'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_import_rows_contact_id_contacts'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('job_id', 'row_number', name=op.f('pk_import_rows')))
    op.create_index('ix_import_rows_job_outcome', 'import_rows', ['job_id', 'outcome', 'row_number'])
    op.create_index(op.f('ix_import_rows_contact_id'), 'import_rows', ['contact_id'])
    # Deleting contacts looked up who each one referred (ON DELETE SET NULL) in the whole table without it.
    op.create_index(op.f('ix_contacts_referred_by_id'), 'contacts', ['referred_by_id'])


def downgrade():
    op.drop_index(op.f('ix_contacts_referred_by_id'), table_name='contacts')
    op.drop_index(op.f('ix_import_rows_contact_id'), table_name='import_rows')
    op.drop_index('ix_import_rows_job_outcome', table_name='import_rows')
    op.drop_table('import_rows')
    op.drop_index(op.f('ix_import_jobs_organisation_id'), table_name='import_jobs')
    op.drop_table('import_jobs')
