import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class ActivityKind(enum.StrEnum):
    PAGE_VIEWED = "page_viewed"
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    PENDING_APPROVAL = "pending_approval"
    SIGNED_UP_AGAIN = "signed_up_again"
    ANSWERS_CHANGED = "answers_changed"
    CANCELLED = "cancelled"
    CALENDAR_DOWNLOADED = "calendar_downloaded"
    CONSENT_REQUESTED = "consent_requested"
    CONSENT_GIVEN = "consent_given"
    PROMOTED = "promoted"
    APPROVED = "approved"
    DECLINED = "declined"
    MESSAGE_QUEUED = "message_queued"
    MESSAGE_SENT = "message_sent"
    MESSAGE_DELIVERED = "message_delivered"
    MESSAGE_FAILED = "message_failed"
    CHECKED_IN = "checked_in"
    CHECKED_OUT = "checked_out"
    CHECK_IN_UNDONE = "check_in_undone"
    WALK_IN = "walk_in"
    NO_SHOW = "no_show"
    SMS_OPTED_OUT = "sms_opted_out"
    SMS_OPTED_IN = "sms_opted_in"

    @property
    def label(self):
        return ACTIVITY_LABELS.get(self, self.value)


ACTIVITY_LABELS = {
    ActivityKind.PAGE_VIEWED: _l("Viewed the landing page"),
    ActivityKind.REGISTERED: _l("Registered"),
    ActivityKind.WAITLISTED: _l("Joined the waiting list"),
    ActivityKind.PENDING_APPROVAL: _l("Signed up, waiting for approval"),
    ActivityKind.SIGNED_UP_AGAIN: _l("Tried to sign up again"),
    ActivityKind.ANSWERS_CHANGED: _l("Changed their answers"),
    ActivityKind.CANCELLED: _l("Cancelled"),
    ActivityKind.CALENDAR_DOWNLOADED: _l("Downloaded the calendar entry"),
    ActivityKind.CONSENT_REQUESTED: _l("Ticked the box for marketing email (asked to confirm by email)"),
    ActivityKind.CONSENT_GIVEN: _l("Confirmed marketing email (followed the link mailed to them)"),
    ActivityKind.PROMOTED: _l("Got a seat from the waiting list"),
    ActivityKind.APPROVED: _l("Sign-up approved by the organisers"),
    ActivityKind.DECLINED: _l("Sign-up declined by the organisers"),
    ActivityKind.MESSAGE_QUEUED: _l("Message queued"),
    ActivityKind.MESSAGE_SENT: _l("Message sent"),
    ActivityKind.MESSAGE_DELIVERED: _l("Message delivered"),
    ActivityKind.MESSAGE_FAILED: _l("Message failed"),
    ActivityKind.CHECKED_IN: _l("Attended (checked in)"),
    ActivityKind.CHECKED_OUT: _l("Left (checked out)"),
    ActivityKind.CHECK_IN_UNDONE: _l("Check-in taken back"),
    ActivityKind.WALK_IN: _l("Walked in without registering"),
    ActivityKind.NO_SHOW: _l("Did not come (no-show)"),
    ActivityKind.SMS_OPTED_OUT: _l("Opted out of text messages (STOP)"),
    ActivityKind.SMS_OPTED_IN: _l("Opted back in to text messages (START)"),
}


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEB = "web"
    STAFF = "staff"


class Contact(db.Model):
    """The person, and the lead."""

    __tablename__ = "contacts"
    # The unique (organisation, email key) index also serves lookups by organisation: no index of its own, which
    # every new contact would pay for.
    __table_args__ = (sa.UniqueConstraint("organisation_id", "email_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    # email as the person typed it (normalised); email_key is what two spellings of one address share.
    email: Mapped[str] = mapped_column(sa.String(320))
    email_key: Mapped[str] = mapped_column(sa.String(320))
    first_name: Mapped[str] = mapped_column(sa.String(100), default="")
    last_name: Mapped[str] = mapped_column(sa.String(100), default="")
    company: Mapped[str] = mapped_column(sa.String(200), default="")
    job_title: Mapped[str] = mapped_column(sa.String(200), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")  # E.164
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ConsentRecord(db.Model):
    """Proof of consent (GDPR Art. 7(1)): what text, when, where from."""

    __tablename__ = "consent_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(40))
    granted: Mapped[bool] = mapped_column()
    text_version: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(200))
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    ip_address: Mapped[str] = mapped_column(sa.String(64), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    recorded_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Double opt-in: when the address's owner followed the link mailed to it (None: not yet, no marketing mail).
    confirmed_at = mapped_column(UTCDateTime)
    # The sign-up it was given with (its address is where the confirmation goes).
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id", ondelete="SET NULL"))
    contact: Mapped[Contact] = relationship()


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

    contact: Mapped[Contact] = relationship()
    event = relationship("Event")

    @property
    def kind_label(self):
        try:
            return ActivityKind(self.kind).label
        except ValueError:
            return self.kind


@sa.event.listens_for(LeadActivity, "before_update")
def _refuse_update(mapper, connection, target):
    raise RuntimeError("lead activities are append-only")


@sa.event.listens_for(LeadActivity, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise RuntimeError("lead activities are append-only (erasure goes through the privacy operation)")
