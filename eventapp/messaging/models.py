import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l, lazy_pgettext as _lp
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp import signals
from eventapp.core.enums import LabelledEnum
from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class MessageStatus(LabelledEnum):
    # waiting for its due time or a worker
    QUEUED = "queued", _lp("message status", "Queued")
    # claimed by a worker (a lease; a crashed worker's claim expires)
    SENDING = "sending", _lp("message status", "Sending")
    # handed to the SMTP server / Twilio
    SENT = "sent", _lp("message status", "Sent")
    # the provider confirmed delivery (SMS status callback)
    DELIVERED = "delivered", _lp("message status", "Delivered")
    # gave up: permanent error, or retries exhausted
    FAILED = "failed", _lp("message status", "Failed")
    # not sent: the person opted out of this channel
    SUPPRESSED = "suppressed", _lp("message status", "Suppressed")
    # no longer relevant (e.g. a reminder for a cancelled registration)
    CANCELLED = "cancelled", _lp("message status", "Cancelled")


class MessageChannel(LabelledEnum):
    EMAIL = "email", _lp("channel", "Email")
    SMS = "sms", _l("SMS")


class MessageKind(LabelledEnum):
    CONFIRMATION = "confirmation", _lp("message kind", "Confirmation")
    PENDING = "pending", _lp("message kind", "Sign-up received")
    WAITLISTED = "waitlisted", _lp("message kind", "On the waiting list")
    APPROVED = "approved", _lp("message kind", "Approved")
    DECLINED = "declined", _lp("message kind", "Declined")
    PROMOTED = "promoted", _lp("message kind", "Off the waiting list")
    CANCELLED = "cancelled", _lp("message kind", "Registration cancelled")
    ALREADY_REGISTERED = "already_registered", _lp("message kind", "Already registered")
    REMINDER = "reminder", _lp("message kind", "Reminder")
    EVENT_UPDATED = "event_updated", _lp("message kind", "Event updated")
    EVENT_CANCELLED = "event_cancelled", _lp("message kind", "Event cancelled")
    TEST = "test", _lp("message kind", "Test message")
    # double opt-in: "may we email you about future events?"
    CONSENT_CONFIRMATION = "consent_confirmation", _lp("message kind", "Consent confirmation")
    # marketing: carries List-Unsubscribe and the unsubscribe link
    INVITATION = "invitation", _lp("message kind", "Invitation")


# Marketing mail: goes only to people who may get it (not suppressed), with List-Unsubscribe (RFC 8058) and a
# visible unsubscribe link. Every other kind is transactional (about something the person did).
MARKETING_KINDS = frozenset({MessageKind.INVITATION})


def is_marketing(kind: str) -> bool:
    """Whether mail of this kind is marketing (read at each call, so a test may add a kind of its own)."""
    return kind in MARKETING_KINDS


class Message(db.Model):
    """One outbox row: written in the transaction of the action, delivered by the queue exactly once."""

    __tablename__ = "messages"
    __table_args__ = (sa.Index("ix_messages_status_due", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"),
                                                        index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # Who it goes to besides the address: a contact (contact_id above), a user of the app, or no one we know.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(sa.String(10))
    kind: Mapped[str] = mapped_column(sa.String(30))
    recipient: Mapped[str] = mapped_column(sa.String(320))  # the address or the E.164 number
    recipient_name: Mapped[str] = mapped_column(sa.String(200), default="")  # the mail's To: name
    # Unique per intent (e.g. "reg:7:confirmation:email"): a retry, a second worker or a second sweep finds it.
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=MessageStatus.QUEUED)
    due_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    locked_until = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    provider_id: Mapped[str] = mapped_column(sa.String(200), default="", index=True)  # Twilio SID / Message-ID
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    # The whole MIME message, kept only when no SMTP server is configured, for /dev/mailbox.
    raw: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    meta: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The language it is composed in (the reader's: a contact's, a user's); "": the app's default.
    language: Mapped[str] = mapped_column(sa.String(10), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime)
    delivered_at = mapped_column(UTCDateTime)

    contact = relationship("Contact")
    event = relationship("Event")  # for the pages that list messages; composing uses `about`

    # What the message is about (a registration, an invitation…), loaded by the feature that wrote it before it
    # is composed (see messaging.content); not a column.
    about = None

    @property
    def status_label(self):
        return MessageStatus.label_of(self.status)

    @property
    def kind_label(self):
        return MessageKind.label_of(self.kind)  # another feature's own kind shows as it is

    @property
    def channel_label(self):
        return MessageChannel.label_of(self.channel)

    @property
    def can_retry(self) -> bool:
        """Only a message that failed for good can be tried again (see operations.retry)."""
        return self.status == MessageStatus.FAILED


class ReminderRule(db.Model):
    """Remind confirmed attendees this long before the event starts."""

    __tablename__ = "reminder_rules"
    # One of each: the reminder's idempotency key holds the rule's id, so a duplicate rule would send it twice.
    __table_args__ = (sa.UniqueConstraint("event_id", "minutes_before", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    minutes_before: Mapped[int] = mapped_column()
    channel: Mapped[str] = mapped_column(sa.String(10), default="email")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    event = relationship("Event")

    @property
    def channel_label(self):
        return MessageChannel.label_of(self.channel)


DEFAULT_REMINDERS_MINUTES = (24 * 60, 120)  # one day and two hours before


class EarlySmsStatus(db.Model):
    """A Twilio status callback that came before the worker had recorded the message's SID (Twilio can answer a
    send and call back within milliseconds); it is applied as soon as the SID is recorded."""

    __tablename__ = "early_sms_statuses"
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    error_code: Mapped[str] = mapped_column(sa.String(20), default="")
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class MessageTemplate(db.Model):
    """An organiser's own wording of one message for one event; placeholders are documented on screen."""

    __tablename__ = "message_templates"
    __table_args__ = (sa.UniqueConstraint("event_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    sms_text: Mapped[str] = mapped_column(sa.String(1600), default="")
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class EngagementKind(enum.StrEnum):
    OPENED = "opened"  # the tracking pixel loaded: a weak signal (mail privacy features load every image)
    CLICKED = "clicked"  # a tracked link was followed


class MessageEvent(db.Model):
    """What a recipient did with a marketing mail: each load of its pixel and each tracked click, first and later
    (the invitations' report and the lead timeline count them; likely_automated ones are shown apart)."""

    __tablename__ = "message_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    url: Mapped[str] = mapped_column(sa.String(2000), default="")  # a click's target
    occurred_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Seconds after the send: a link scanner or a privacy proxy fetching everything, more likely than a person.
    likely_automated: Mapped[bool] = mapped_column(default=False)


def message_change(message: Message, permanent: bool = False, bounced: bool = False) -> signals.MessageChange:
    """What the message signals send: the row's ids and state as plain values (subscribers load by id)."""
    return signals.MessageChange(
        message_id=message.id, organisation_id=message.organisation_id, contact_id=message.contact_id,
        event_id=message.event_id, kind=message.kind, channel=message.channel, occurred_at=utcnow(),
        permanent=permanent, error=message.last_error or "", bounced=bounced)
