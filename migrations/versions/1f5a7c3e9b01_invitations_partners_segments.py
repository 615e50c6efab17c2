"""invitations, partners, tracked links, segments; contact profile fields and tags; registration attribution

Revision ID: 1f5a7c3e9b01
Revises: b7e4c2a9d150
Create Date: 2026-12-07 04:40:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '1f5a7c3e9b01'
down_revision = 'b7e4c2a9d150'
branch_labels = None
depends_on = None


# Text columns added to tables with rows: '' fills those rows, then the default goes (a new row always says it).
FILLED_TEXT = {'contacts': {'company_size': 40, 'industry': 100, 'city': 100, 'origin': 200, 'referred_channel': 40},
               'suppressions': {'source': 200}, 'events': {'image_url': 500},
               'registrations': {'utm_source': 100, 'utm_medium': 100, 'utm_campaign': 100}}


def _drop_fill_defaults():
    for table, columns in FILLED_TEXT.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, length in columns.items():
                batch_op.alter_column(name, existing_type=sa.String(length=length), server_default=None)


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        for name, length in (('company_size', 40), ('industry', 100), ('city', 100), ('origin', 200),
                             ('referred_channel', 40)):
            batch_op.add_column(sa.Column(name, sa.String(length=length), server_default='', nullable=False))
        batch_op.add_column(sa.Column('referred_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_contacts_referred_by_id_contacts'), 'contacts',
                                    ['referred_by_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'contact_tags',
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_tags_contact_id_contacts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('contact_id', 'tag', name=op.f('pk_contact_tags')))
    op.create_index('ix_contact_tags_tag', 'contact_tags', ['tag'])
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=200), server_default='', nullable=False))
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invitation_only', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('forwarding_allowed', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('image_url', sa.String(length=500), server_default='', nullable=False))

    op.create_table(
        'partners',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('shares_personal_data', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_partners_organisation_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
        sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_partners_organisation_id_name')))
    op.create_table(
        'partner_members',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_partner_members_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_members_partner_id_partners'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_partner_members')))
    op.create_index(op.f('ix_partner_members_partner_id'), 'partner_members', ['partner_id'])
    op.create_table(
        'partner_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_partner_links_organisation_id_organisations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_links_partner_id_partners'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_partner_links_event_id_events'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_partner_links_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_links')),
        sa.UniqueConstraint('code', name=op.f('uq_partner_links_code')))
    for column in ('organisation_id', 'partner_id', 'event_id', 'campaign_id'):
        op.create_index(op.f(f'ix_partner_links_{column}'), 'partner_links', [column])
    op.create_table(
        'link_clicks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('clicked_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['link_id'], ['partner_links.id'], name=op.f('fk_link_clicks_link_id_partner_links'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_link_clicks_event_id_events'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_clicks')))
    op.create_index(op.f('ix_link_clicks_link_id'), 'link_clicks', ['link_id'])
    op.create_table(
        'segments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('filters', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_segments_organisation_id_organisations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_segments')),
        sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_segments_organisation_id_name')))
    op.create_table(
        'invitation_sends',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=True),
        sa.Column('pasted_addresses', sa.Text(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=True),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('preheader', sa.String(length=300), nullable=False),
        sa.Column('body_md', sa.Text(), nullable=False),
        sa.Column('sender_name', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('rate_per_minute', sa.Integer(), nullable=False),
        sa.Column('left_out', sa.JSON(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_invitation_sends_organisation_id_organisations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_invitation_sends_event_id_events'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_invitation_sends_segment_id_segments'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_invitation_sends_partner_id_partners'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_invitation_sends_created_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_sends')))
    for column in ('organisation_id', 'event_id', 'partner_id'):
        op.create_index(op.f(f'ix_invitation_sends_{column}'), 'invitation_sends', [column])
    op.create_table(
        'invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('send_id', sa.Integer(), nullable=True),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=True),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        *[sa.Column(name, sa.DateTime(timezone=True), nullable=True)
          for name in ('sent_at', 'opened_at', 'clicked_at', 'registered_at', 'declined_at')],
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_invitations_organisation_id_organisations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['send_id'], ['invitation_sends.id'],
                                name=op.f('fk_invitations_send_id_invitation_sends'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_invitations_event_id_events'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_invitations_contact_id_contacts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_invitations_partner_id_partners'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
        sa.UniqueConstraint('send_id', 'contact_id', name=op.f('uq_invitations_send_id_contact_id')),
        sa.UniqueConstraint('token', name=op.f('uq_invitations_token')))
    for column in ('organisation_id', 'event_id', 'contact_id'):
        op.create_index(op.f(f'ix_invitations_{column}'), 'invitations', [column])

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invitation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('partner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('referred_by_id', sa.Integer(), nullable=True))
        for name in ('utm_source', 'utm_medium', 'utm_campaign'):
            batch_op.add_column(sa.Column(name, sa.String(length=100), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_registrations_invitation_id_invitations'), 'invitations',
                                    ['invitation_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_registrations_partner_id_partners'), 'partners',
                                    ['partner_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_registrations_referred_by_id_contacts'), 'contacts',
                                    ['referred_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_registrations_invitation_id'), ['invitation_id'])
        batch_op.create_index(batch_op.f('ix_registrations_partner_id'), ['partner_id'])
    _drop_fill_defaults()


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_partner_id'))
        batch_op.drop_index(batch_op.f('ix_registrations_invitation_id'))
        batch_op.drop_constraint(batch_op.f('fk_registrations_referred_by_id_contacts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_registrations_partner_id_partners'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_registrations_invitation_id_invitations'), type_='foreignkey')
        for name in ('utm_campaign', 'utm_medium', 'utm_source', 'referred_by_id', 'partner_id', 'invitation_id'):
            batch_op.drop_column(name)
    for table in ('invitations', 'invitation_sends', 'segments', 'link_clicks', 'partner_links', 'partner_members',
                  'partners', 'contact_tags'):
        op.drop_table(table)
    with op.batch_alter_table('events', schema=None) as batch_op:
        for name in ('image_url', 'forwarding_allowed', 'invitation_only'):
            batch_op.drop_column(name)
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.drop_column('source')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contacts_referred_by_id_contacts'), type_='foreignkey')
        for name in ('referred_by_id', 'referred_channel', 'origin', 'city', 'industry', 'company_size'):
            batch_op.drop_column(name)
