"""Imports every feature's models, so the metadata (and Alembic) sees all tables."""
from eventapp.accounts.models import LoginAttempt, Membership, Organisation, User  # noqa: F401
from eventapp.checkin.models import CheckIn, EventStaff  # noqa: F401
from eventapp.contacts.models import ConsentRecord, Contact, ContactTag, Suppression  # noqa: F401
from eventapp.events.models import Campaign, Event, Question  # noqa: F401
from eventapp.invitations.models import (  # noqa: F401
    Invitation, InvitationSend, LinkClick, Partner, PartnerLink, PartnerMember, Segment)
from eventapp.leads.models import LeadActivity, LeadState  # noqa: F401
from eventapp.leads.models.analytics import EventCost  # noqa: F401
from eventapp.leads.models.exports import LeadExport  # noqa: F401
from eventapp.leads.models.handoff import AssignmentRule, Handoff  # noqa: F401
from eventapp.leads.models.scoring import LeadScore, RescoreJob, ScoreEntry, ScoreModel, ScoreRule  # noqa: F401
from eventapp.leads.models.webhooks import WebhookDelivery, WebhookEndpoint  # noqa: F401
from eventapp.messaging.models import Message, MessageTemplate, ReminderRule  # noqa: F401
from eventapp.registration.models import Registration  # noqa: F401
