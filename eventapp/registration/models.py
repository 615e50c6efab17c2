import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.contacts.names import greeting_name, person_name
from eventapp.contacts.search import keep_search_key, key_on_insert
from eventapp.core.enums import LabelledEnum
from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class RegistrationStatus(LabelledEnum):
    PENDING = "pending", _l("Waiting for approval")
    CONFIRMED = "confirmed", _l("Confirmed")
    WAITLISTED = "waitlisted", _l("On the waiting list")
    CANCELLED = "cancelled", _l("Cancelled")
    DECLINED = "declined", _l("Declined")


# The attribution columns a sign-up may set (Signup.attribution).
ATTRIBUTION = ("invitation_id", "partner_id", "referred_by_id", "utm_source", "utm_medium", "utm_campaign")

# Statuses that hold one of the event's seats.
SEAT_HOLDING = frozenset({RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING})


class Registration(db.Model):
    __tablename__ = "registrations"
    # The unique (event, contact) index also serves lookups by event: no index of its own (each sign-up paid for it).
    __table_args__ = (sa.UniqueConstraint("event_id", "contact_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    manage_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    ticket_secret: Mapped[str] = mapped_column(sa.String(64), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(40), default="web")
    # Attribution (see ATTRIBUTION): the invitation it came through, the partner whose link, QR code or forwarded
    # invitation brought it, the invitee who forwarded it, and utm_* parameters of the landing page's URL.
    invitation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invitations.id", ondelete="SET NULL"),
                                                      index=True)
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id", ondelete="SET NULL"), index=True)
    referred_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"))
    utm_source: Mapped[str] = mapped_column(sa.String(100), default="")
    utm_medium: Mapped[str] = mapped_column(sa.String(100), default="")
    utm_campaign: Mapped[str] = mapped_column(sa.String(100), default="")
    # The person as given for this registration (a public form proves nothing about who typed it, so a sign-up
    # never writes over the organisation's contact): its mails, SMS, ticket, door and export use these.
    email: Mapped[str] = mapped_column(sa.String(320), default="")
    first_name: Mapped[str] = mapped_column(sa.String(100), default="")
    last_name: Mapped[str] = mapped_column(sa.String(100), default="")
    company: Mapped[str] = mapped_column(sa.String(200), default="")
    job_title: Mapped[str] = mapped_column(sa.String(200), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")  # E.164
    # The attendee asked for SMS messages as well as email (only offered when the event has SMS on).
    sms_opt_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Check-in state, derived from the check-in log: the earliest accepted scan wins.
    checked_in_at = mapped_column(UTCDateTime)
    checked_in_device: Mapped[str | None] = mapped_column(sa.String(64))
    checked_in_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    checked_out_at = mapped_column(UTCDateTime)
    walk_in: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    no_show_recorded: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The sign-up form this came from: a second submit of the same form finds this registration.
    # Not unique: one page at a kiosk may sign up several people.
    form_nonce: Mapped[str | None] = mapped_column(sa.String(64))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    cancelled_at = mapped_column(UTCDateTime)
    # What the door's and the event page's searches look in (contacts.search), from the details given here.
    search_text: Mapped[str] = mapped_column(sa.Text, default=key_on_insert, server_default=sa.text("''"))

    event = relationship("Event")
    contact = relationship("Contact", foreign_keys=[contact_id])

    @property
    def name(self) -> str:
        return person_name(self.first_name, self.last_name)

    @property
    def greeting_name(self) -> str:
        return greeting_name(self.first_name, self.last_name)

    @property
    def status_label(self):
        return RegistrationStatus(self.status).label

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_HOLDING

    @property
    def is_confirmed(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED

    @property
    def is_pending(self) -> bool:
        return self.status == RegistrationStatus.PENDING

    @property
    def is_waitlisted(self) -> bool:
        return self.status == RegistrationStatus.WAITLISTED

    @property
    def is_active(self) -> bool:
        return self.status not in (RegistrationStatus.CANCELLED, RegistrationStatus.DECLINED)


keep_search_key(Registration)
