import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class ScanResult(enum.StrEnum):
    OK = "ok"
    ALREADY_CHECKED_IN = "already_checked_in"
    INVALID = "invalid"
    CANCELLED = "cancelled"
    NOT_APPROVED = "not_approved"
    WAITLISTED = "waitlisted"
    WRONG_EVENT = "wrong_event"
    CHECKED_OUT = "checked_out"  # an exit scan (trade shows)
    NOT_CHECKED_IN = "not_checked_in"  # an exit scan of someone who never came in
    UNDONE = "undone"  # a staff member took a check-in back


class CheckIn(db.Model):
    """Append-only log of every scan and tap at the door, including the failed ones."""

    __tablename__ = "checkins"
    __table_args__ = (sa.Index("ix_checkins_event_time", "event_id", "received_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id", ondelete="CASCADE"),
                                                        index=True)
    # For unknown codes: a hash of what was scanned (never the raw code of someone else's ticket).
    secret_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    result: Mapped[str] = mapped_column(sa.String(30))
    direction: Mapped[str] = mapped_column(sa.String(3), default="in")  # in | out
    method: Mapped[str] = mapped_column(sa.String(10), default="scan")  # scan | search | walk_in | undo | sync
    device_id: Mapped[str] = mapped_column(sa.String(64), default="")
    staff_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The client's id for this scan: a retried upload of the same scan finds its first answer.
    nonce: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scanned_at = mapped_column(UTCDateTime, nullable=False)  # the device's clock
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)  # ours
    reason: Mapped[str] = mapped_column(sa.String(300), default="")

    registration = relationship("Registration")
    staff = relationship("User")


class EventStaff(db.Model):
    """Staff limited to the events they are assigned to (staff with no assignment see no event)."""

    __tablename__ = "event_staff"
    __table_args__ = (sa.UniqueConstraint("event_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
