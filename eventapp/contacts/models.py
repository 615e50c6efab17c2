import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.core.enums import LabelledEnum
from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class Contact(db.Model):
    """The person an organisation knows (the lead's score, stage and owner are leads' own, see LeadState)."""

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
    company_size: Mapped[str] = mapped_column(sa.String(40), default="")
    industry: Mapped[str] = mapped_column(sa.String(100), default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="")
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    # How the organisation came to know the person: web (a sign-up), import:<file>, manual, forwarded, walk-in...
    origin: Mapped[str] = mapped_column(sa.String(200), default="")
    # Forwarding: the invitee whose forwarded invitation brought this person in (and the partner or channel of it).
    referred_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"))
    referred_channel: Mapped[str] = mapped_column(sa.String(40), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    tags = relationship("ContactTag", cascade="all, delete-orphan", order_by="ContactTag.tag")

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ContactTag(db.Model):
    """A label an organiser put on a contact (by hand, in bulk, or from an import's tags column)."""

    __tablename__ = "contact_tags"
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    __table_args__ = (sa.Index("ix_contact_tags_tag", "tag"),)


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


class SuppressionChannel(LabelledEnum):
    EMAIL = "email", _l("Email")
    SMS = "sms", _l("Text messages")


class SuppressionReason(LabelledEnum):
    UNSUBSCRIBED = "unsubscribed", _l("Unsubscribed")
    STOP = "stop", _l("Replied STOP")
    BOUNCED = "bounced", _l("Mail bounced")
    COMPLAINED = "complained", _l("Marked as spam")


class Suppression(db.Model):
    """An address or phone number that gets nothing more on its channel: an email unsubscribe, a bounce or a spam
    complaint; an SMS STOP (or 退订, or Twilio's 21610). A number leaves the list when it sends START."""

    __tablename__ = "suppressions"
    __table_args__ = (sa.UniqueConstraint("channel", "address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10))
    # The email key (see normalise_email) or the E.164 number.
    address: Mapped[str] = mapped_column(sa.String(320))
    reason: Mapped[str] = mapped_column(sa.String(20))
    # What the person sent (STOP, 退订, ...) or the provider's error code.
    keyword: Mapped[str] = mapped_column(sa.String(40), default="")
    # Where it came from: the mail unsubscribed from (message:<id>), the page or the one-click POST, an import...
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
