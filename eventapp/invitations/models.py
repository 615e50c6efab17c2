"""Invitation sends and their invitations, saved segments, partners and their tracked links."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.core.enums import LabelledEnum
from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class PartnerKind(LabelledEnum):
    ASSOCIATION = "association", _l("Association")
    UNIVERSITY = "university", _l("University")
    RESELLER = "reseller", _l("Reseller")
    MEDIA = "media", _l("Media")


class Partner(db.Model):
    """An organisation that forwards invitations to its members or shares its own tracked links."""

    __tablename__ = "partners"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20), default=PartnerKind.ASSOCIATION)
    # Off by default: the partner's portal shows counts only, never who signed up.
    shares_personal_data: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    links = relationship("PartnerLink", back_populates="partner", order_by="PartnerLink.id")


class PartnerMember(db.Model):
    """A user with the partner role, and the partner whose portal they see."""

    __tablename__ = "partner_members"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id", ondelete="CASCADE"), index=True)


class PartnerLink(db.Model):
    """A tracked link, /p/<code>: a partner's (or, without a partner, an organisation's own channel such as a
    newsletter or a poster) to one event or to a campaign."""

    __tablename__ = "partner_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    label: Mapped[str] = mapped_column(sa.String(200), default="")  # the channel's name when there is no partner
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    partner = relationship("Partner", back_populates="links")
    event = relationship("Event")

    @property
    def channel(self) -> str:
        """What a registration through this link records as its channel."""
        return f"partner:{self.code}"


class LinkClick(db.Model):
    """One visit of a tracked link (counted for the partner's figures; no personal data)."""

    __tablename__ = "link_clicks"
    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("partner_links.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    clicked_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Segment(db.Model):
    """A saved filter over an organisation's contacts (see segments.py for what `filters` holds)."""

    __tablename__ = "segments"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class SendStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SCHEDULED = "scheduled", _l("Scheduled")
    SENDING = "sending", _l("Sending")
    SENT = "sent", _l("Sent")
    CANCELLED = "cancelled", _l("Cancelled")


class InvitationSend(db.Model):
    """One invitation mailing: an event, who to (a segment or pasted addresses), the wording, and when."""

    __tablename__ = "invitation_sends"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("segments.id", ondelete="SET NULL"))
    pasted_addresses: Mapped[str] = mapped_column(sa.Text, default="")
    # A partner's own invitation, which it forwards to its members (sign-ups through it count for the partner).
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    preheader: Mapped[str] = mapped_column(sa.String(300), default="")
    body_md: Mapped[str] = mapped_column(sa.Text, default="")
    sender_name: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=SendStatus.DRAFT)
    scheduled_at = mapped_column(UTCDateTime)  # None: send when the organiser says so
    rate_per_minute: Mapped[int] = mapped_column(default=600)
    # Who was left out and why, as counted when the send started: {"suppressed": 3, "no_consent": 1, ...}
    left_out: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started_at = mapped_column(UTCDateTime)
    finished_at = mapped_column(UTCDateTime)

    event = relationship("Event")
    segment = relationship("Segment")
    partner = relationship("Partner")


class InvitationStatus(LabelledEnum):
    QUEUED = "queued", _l("Waiting to be sent")
    SENT = "sent", _l("Sent")
    BOUNCED = "bounced", _l("Bounced")
    REGISTERED = "registered", _l("Registered")
    DECLINED = "declined", _l("Can't come")
    # sending.py: not put in the outbox (unsubscribed or bounced since the send started, or the send was cancelled)
    WITHDRAWN = "withdrawn", _l("Not sent")


class Invitation(db.Model):
    """One person's invitation: its token authenticates the sign-up form inside the mail (/i/<token>)."""

    __tablename__ = "invitations"
    # One invitation per person and send: a resumed send finds it and never mails twice.
    __table_args__ = (sa.UniqueConstraint("send_id", "contact_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    send_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitation_sends.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id", ondelete="SET NULL"))
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=InvitationStatus.QUEUED)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime)
    opened_at = mapped_column(UTCDateTime)
    clicked_at = mapped_column(UTCDateTime)
    registered_at = mapped_column(UTCDateTime)
    declined_at = mapped_column(UTCDateTime)
    # sending.py: when its mail is due in the outbox (spread at the send's rate); None until it is queued. A
    # resumed send queues the ones still without it.
    due_at = mapped_column(UTCDateTime)
    # The outbox row that carries it. No foreign key: messages → registrations → invitations already point the
    # other way, and a cycle leaves the tables without an order to create or empty them in.
    message_id: Mapped[int | None] = mapped_column(index=True)

    send = relationship("InvitationSend")
    event = relationship("Event")
    contact = relationship("Contact")
