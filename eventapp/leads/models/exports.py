"""The log of lead exports: who exported what, when (each exported contact also gets an EXPORTED activity)."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class LeadExport(db.Model):
    __tablename__ = "lead_exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    # None: the command line (`eventapp leads export`).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    format: Mapped[str] = mapped_column(sa.String(10))
    # The filters as chosen (event, campaign, stage, score range, partner, channel, dates).
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    row_count: Mapped[int] = mapped_column(default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user = relationship("User")
