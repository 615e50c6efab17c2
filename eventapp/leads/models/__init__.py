import sqlalchemy as sa
from flask_babel import lazy_gettext as _l, lazy_pgettext as _lp
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.contacts.models import Contact
from eventapp.core.enums import LabelledEnum
from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class ActivityKind(LabelledEnum):
    PAGE_VIEWED = "page_viewed", _l("Viewed the landing page")
    REGISTERED = "registered", _l("Registered")
    WAITLISTED = "waitlisted", _l("Joined the waiting list")
    PENDING_APPROVAL = "pending_approval", _l("Signed up, waiting for approval")
    SIGNED_UP_AGAIN = "signed_up_again", _l("Tried to sign up again")
    ANSWERS_CHANGED = "answers_changed", _l("Changed their answers")
    CANCELLED = "cancelled", _l("Cancelled")
    CALENDAR_DOWNLOADED = "calendar_downloaded", _l("Downloaded the calendar entry")
    CONSENT_REQUESTED = "consent_requested", _l("Ticked the box for marketing email (asked to confirm by email)")
    CONSENT_GIVEN = "consent_given", _l("Confirmed marketing email (followed the link mailed to them)")
    PROMOTED = "promoted", _l("Got a seat from the waiting list")
    APPROVED = "approved", _l("Sign-up approved by the organisers")
    DECLINED = "declined", _l("Sign-up declined by the organisers")
    MESSAGE_QUEUED = "message_queued", _l("Message queued")
    MESSAGE_SENT = "message_sent", _l("Message sent")
    MESSAGE_DELIVERED = "message_delivered", _l("Message delivered")
    MESSAGE_FAILED = "message_failed", _l("Message failed")
    CHECKED_IN = "checked_in", _l("Attended (checked in)")
    CHECKED_OUT = "checked_out", _l("Left (checked out)")
    CHECK_IN_UNDONE = "check_in_undone", _l("Check-in taken back")
    WALK_IN = "walk_in", _l("Walked in without registering")
    NO_SHOW = "no_show", _l("Did not come (no-show)")
    SMS_OPTED_OUT = "sms_opted_out", _l("Opted out of text messages (STOP)")
    SMS_OPTED_IN = "sms_opted_in", _l("Opted back in to text messages (START)")
    IMPORTED = "imported", _l("Imported from a contact list")
    INVITED = "invited", _l("Invited")
    EMAIL_OPENED = "email_opened", _l("Opened an email (weak signal: mail apps may load images by themselves)")
    LINK_CLICKED = "link_clicked", _l("Clicked a link in an email")
    INVITATION_DECLINED = "invitation_declined", _l("Said they can't come")
    FORWARDED = "forwarded", _l("Forwarded an invitation, and someone signed up through it")
    REFERRED = "referred", _l("Signed up through an invitation someone forwarded")
    UNSUBSCRIBED = "unsubscribed", _l("Unsubscribed from marketing email")
    BOUNCED = "bounced", _l("Email bounced (address suppressed)")
    # issue 16: the lead's way to sales and back
    STAGE_CHANGED = "stage_changed", _l("Lead stage changed")
    OWNER_CHANGED = "owner_changed", _l("Sales owner changed")
    HANDED_OFF = "handed_off", _l("Handed to sales")
    HANDOFF_REMINDED = "handoff_reminded", _l("Sales owner reminded to answer")
    SALES_FEEDBACK = "sales_feedback", _l("Sales feedback")
    EXPORTED = "exported", _l("Included in a lead export")
    DATA_EXPORTED = "data_exported", _l("Their personal data was exported on request")


class Channel(LabelledEnum):
    EMAIL = "email", _lp("channel", "Email")
    SMS = "sms", _l("SMS")
    WEB = "web", _lp("channel", "Web")
    STAFF = "staff", _lp("channel", "Staff")
    # the invitee, through their invitation's form or link
    INVITATION = "invitation", _lp("channel", "Invitation")
    # someone else, through an invitation forwarded to them
    FORWARDED = "forwarded", _lp("channel", "Forwarded invitation")
    IMPORT = "import", _lp("channel", "Import")
    # a sales owner, through their feedback link or their own pages
    SALES = "sales", _lp("channel", "Sales")
    # eventapp itself: a score threshold, an assignment rule, a reminder
    SYSTEM = "system", _lp("channel", "System")


class LeadStage(LabelledEnum):
    """new → engaged → MQL → handed to sales → accepted / rejected → won / lost → back to nurture (stages.py
    says which moves are allowed)."""
    NEW = "new", _l("New")
    ENGAGED = "engaged", _l("Engaged")
    MQL = "mql", _l("Marketing qualified (MQL)")
    HANDED_OFF = "handed_off", _l("Handed to sales")
    ACCEPTED = "accepted", _l("Accepted by sales")
    REJECTED = "rejected", _l("Rejected by sales")
    WON = "won", _l("Won")
    LOST = "lost", _l("Lost")
    NURTURE = "nurture", _l("Back to nurture")


class LeadState(db.Model):
    """Where a contact stands as a lead: one row per contact, leads' own (not columns on Contact), made with the
    defaults the first time it is asked for (see operations.lead_state)."""

    __tablename__ = "lead_states"
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    # Scores live in models/scoring.py (LeadScore: one per score model, they decay with time).
    stage: Mapped[str] = mapped_column(sa.String(20), default=LeadStage.NEW, index=True)
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    stage_changed_at = mapped_column(UTCDateTime)
    # Why it is where it is: the organiser's or sales' reason (a rejection's reason stays when it goes to nurture).
    stage_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    contact: Mapped[Contact] = relationship()
    owner = relationship("User")

    @property
    def stage_label(self):
        return LeadStage(self.stage).label


class LeadActivity(db.Model):
    """Append-only: one row for everything a contact did or was done to them."""

    __tablename__ = "lead_activities"
    __table_args__ = (sa.Index("ix_lead_activities_contact_time", "contact_id", "occurred_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    occurred_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(sa.String(40), default=Channel.WEB)
    meta: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The back-office user who caused it (an organiser's override, staff at the door, an export); None: the person
    # themselves or the system, which `channel` tells apart.
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    contact: Mapped[Contact] = relationship()
    event = relationship("Event")
    actor = relationship("User")

    @property
    def kind_label(self):
        return ActivityKind.label_of(self.kind)  # a kind from a later version shows as it is

    @property
    def channel_label(self):
        return Channel.label_of(self.channel)  # partner:<code> shows as it is


@sa.event.listens_for(LeadActivity, "before_update")
def _refuse_update(mapper, connection, target):
    raise RuntimeError("lead activities are append-only")


@sa.event.listens_for(LeadActivity, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise RuntimeError("lead activities are append-only (erasure goes through the privacy operation)")


# The tables of each part of leads, one module each (imported here so the metadata, and Alembic, sees them).
from eventapp.leads.models import analytics, exports, handoff, scoring, webhooks  # noqa: E402,F401
