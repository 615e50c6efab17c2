"""Handing MQLs to sales: who gets which lead (assignment rules), the handoff with its deadline and personal
feedback link, and the answer."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.contacts.models import Contact
from eventapp.core.enums import LabelledEnum
from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class FeedbackTag(LabelledEnum):
    """What sales answers about a handed-off lead (Handoff.feedback); handoffs.answer says where each moves
    the lead."""
    ACCEPTED = "accepted", _l("Accepted: I am working on it")
    BUYING_3_MONTHS = "buying_3_months", _l("Buying within 3 months")
    BUYING_YEAR = "buying_year", _l("Buying within a year")
    NO_BUDGET = "no_budget", _l("No budget")
    LOST_TO_COMPETITOR = "lost_to_competitor", _l("Lost to a competitor")
    NOT_RIGHT_PERSON = "not_right_person", _l("Not the right person")
    BAD_DATA = "bad_data", _l("Bad data (wrong or fake details)")


# Fields an assignment rule may look at (Contact columns).
ASSIGNABLE_FIELDS = {
    "city": _l("City"),
    "industry": _l("Industry"),
    "company": _l("Company"),
    "company_size": _l("Company size"),
    "job_title": _l("Job title"),
}


class AssignmentRule(db.Model):
    """Leads whose `field` (city, industry, company, company_size…) contains one of the comma-separated words in
    `pattern` go to `owner_user_id`; rules are tried by `position`; `owner_user_id` None means round robin among
    the organisation's sales users."""

    __tablename__ = "assignment_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    field: Mapped[str] = mapped_column(sa.String(60), default="")
    pattern: Mapped[str] = mapped_column(sa.String(500), default="")
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    owner = relationship("User")


class Handoff(db.Model):
    """One lead handed to one sales owner, answered (or not) through a personal, expiring link. The link's token is
    random; only its SHA-256 is stored."""

    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # None: by an assignment rule (rule_id) or round robin.
    assigned_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignment_rules.id", ondelete="SET NULL"))
    score_model_id: Mapped[int | None] = mapped_column(sa.ForeignKey("score_models.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    due_at = mapped_column(UTCDateTime, nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    answered_at = mapped_column(UTCDateTime)
    feedback: Mapped[str] = mapped_column(sa.String(40), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_at = mapped_column(UTCDateTime)
    # Another handoff of the same lead replaced this one (reassigned by hand) before it was answered.
    withdrawn_at = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship()
    owner = relationship("User", foreign_keys=[owner_user_id])
