import sqlalchemy as sa
from flask_babel import lazy_gettext as _l, lazy_pgettext as _lp
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.core.enums import LabelledEnum
from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class EventKind(LabelledEnum):
    SEMINAR = "seminar", _l("Seminar")
    ROUNDTABLE = "roundtable", _l("Executive roundtable")
    TRADE_SHOW = "trade_show", _l("Trade show")


class EventStatus(LabelledEnum):
    DRAFT = "draft", _lp("event status", "Draft")
    PUBLISHED = "published", _lp("event status", "Published")
    CANCELLED = "cancelled", _lp("event status", "Cancelled")


class QuestionKind(LabelledEnum):
    TEXT = "text", _l("Text")
    SINGLE_CHOICE = "single_choice", _l("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _l("Multiple choice")
    YES_NO = "yes_no", _l("Yes / no")


class Campaign(db.Model):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # The create form's one-off token: the same form posted twice (a double click, back and resend) makes one.
    form_nonce: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    events: Mapped[list["Event"]] = relationship(back_populates="campaign", order_by="Event.starts_at")


class Event(db.Model):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20), default=EventKind.SEMINAR)
    status: Mapped[str] = mapped_column(sa.String(20), default=EventStatus.DRAFT)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    agenda_md: Mapped[str] = mapped_column(sa.Text, default="")
    speakers_md: Mapped[str] = mapped_column(sa.Text, default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # The languages its landing page, form and mails are offered in, the first the default, comma-separated
    # ("en", "zh_Hans", "zh_Hans,en"); "": the organisation's language.
    languages: Mapped[str] = mapped_column(sa.String(40), default="")
    # Where a phone number typed without its country code is read ("": the organisation's region).
    phone_region: Mapped[str] = mapped_column(sa.String(2), default="")
    starts_at = mapped_column(UTCDateTime, nullable=False)
    ends_at = mapped_column(UTCDateTime, nullable=False)
    venue_name: Mapped[str] = mapped_column(sa.String(200), default="")
    venue_address: Mapped[str] = mapped_column(sa.String(500), default="")
    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    # Seats held by confirmed and pending registrations; changed only by one conditional UPDATE.
    seats_taken: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # Rises by one with every change of time, place or status sent to calendars (RFC 5545 SEQUENCE).
    calendar_sequence: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    approval_required: Mapped[bool] = mapped_column(default=False)
    phone_required: Mapped[bool] = mapped_column(default=False)
    # Attendees may choose to get their confirmation and reminders by SMS too.
    sms_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Trade shows: staff may also scan people out.
    exit_scans_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Executive roundtables: only invited people (and, when allowed, people they forward the invitation to) sign up.
    invitation_only: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    forwarding_allowed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The picture shared links show (Open Graph); an absolute https URL or empty.
    image_url: Mapped[str] = mapped_column(sa.String(500), default="")
    registration_opens_at = mapped_column(UTCDateTime)
    registration_closes_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    campaign: Mapped[Campaign | None] = relationship(back_populates="events")
    questions: Mapped[list["Question"]] = relationship(
        back_populates="event", order_by="Question.position, Question.id", cascade="all, delete-orphan"
    )

    @property
    def kind_label(self):
        return EventKind(self.kind).label

    @property
    def status_label(self):
        return EventStatus(self.status).label

    @property
    def is_draft(self) -> bool:
        return self.status == EventStatus.DRAFT

    @property
    def is_published(self) -> bool:
        return self.status == EventStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    @property
    def seats_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.seats_taken >= self.capacity


QUESTION_FIELD_PREFIX = "q_"  # a question's form field is named q_<id>


class Question(db.Model):
    __tablename__ = "questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(20), default=QuestionKind.TEXT)
    required: Mapped[bool] = mapped_column(default=False)
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    form_nonce: Mapped[str | None] = mapped_column(sa.String(64), unique=True)  # as Campaign.form_nonce
    event: Mapped[Event] = relationship(back_populates="questions")

    @property
    def kind_label(self):
        return QuestionKind(self.kind).label

    @property
    def field_name(self) -> str:
        return f"{QUESTION_FIELD_PREFIX}{self.id}"
