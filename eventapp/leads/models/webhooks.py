"""Outgoing webhooks (Standard Webhooks): an organisation's endpoints and every delivery, written in the transaction
of what it tells (an outbox of its own) and sent by the minute sweep with retries."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.core.enums import LabelledEnum
from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    # "whsec_" + base64 of 32 random bytes (Standard Webhooks).
    secret: Mapped[str] = mapped_column(sa.String(100))
    # The event types it receives (see webhooks.py), e.g. ["lead.handed_off", "lead.feedback"].
    event_types: Mapped[list] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # Why it was switched off by itself (the receiver answered 410 Gone), shown to the organiser.
    disabled_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class DeliveryStatus(LabelledEnum):
    PENDING = "pending", _l("Waiting to be sent")
    DELIVERED = "delivered", _l("Delivered")
    RETRYING = "retrying", _l("Failed, will retry")
    FAILED = "failed", _l("Failed for good")


class WebhookDelivery(db.Model):
    """One message to one endpoint. `webhook_id` is the same on every retry (the receiver's idempotency key); a
    *Resend* is a new delivery row (its own attempts in the log) pointing at the one it resends, with the same
    `webhook_id`: it is the same message, so a receiver that already has it drops the copy (Standard Webhooks)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    webhook_id: Mapped[str] = mapped_column(sa.String(60), index=True)
    event_type: Mapped[str] = mapped_column(sa.String(60))
    # The exact JSON body sent (signed as it is).
    payload: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    locked_until = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")
    resend_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("webhook_deliveries.id", ondelete="SET NULL"))
    # Whom the payload is about, so an erasure finds it (None: a test event, or the person was erased).
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    delivered_at = mapped_column(UTCDateTime)

    endpoint = relationship(WebhookEndpoint)
