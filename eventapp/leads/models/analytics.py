"""What funnels need beyond the timeline: the cost an organiser enters for an event."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class EventCost(db.Model):
    __tablename__ = "event_costs"
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    amount = mapped_column(sa.Numeric(12, 2), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
