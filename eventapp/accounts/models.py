import enum
import functools
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from eventapp.core.time import UTCDateTime, utcnow
from eventapp.extensions import db


class Role(enum.StrEnum):
    OWNER = "owner"
    ORGANISER = "organiser"
    STAFF = "staff"
    PARTNER = "partner"
    SALES = "sales"


# Who may build campaigns and events, and see registrations and timelines.
BACK_OFFICE_ROLES = frozenset({Role.OWNER, Role.ORGANISER})


class Organisation(db.Model):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # The language of its back office and of its events unless they say otherwise (core.i18n.LANGUAGES).
    language: Mapped[str] = mapped_column(sa.String(10), default="en", server_default="en")
    # Where a phone number typed without its country code is read (ISO 3166 code; "": EVENTAPP_PHONE_REGION).
    phone_region: Mapped[str] = mapped_column(sa.String(2), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


def verify_password(password_hash: str, password: str) -> bool:
    """The one place a password is checked against a hash (tests count the calls)."""
    return check_password_hash(password_hash, password)


@functools.cache
def unmatchable_password_hash() -> str:
    """A hash made the way set_password makes them, of a password nobody knows: checking it when there is no such
    account (or it is inactive) costs what checking a real one does, so the time taken tells nothing."""
    return generate_password_hash(secrets.token_urlsafe(32))


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the id every session of this user carries (get_id): a new one ends all of them, on every device.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    # The back office's language for this person ("": their organisation's).
    language: Mapped[str] = mapped_column(sa.String(10), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the session token, checked on every request."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Every session of this user, here and on any other device, stops being valid."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        """A new password also ends every session: whoever knew the old one is out."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def membership(self) -> "Membership | None":
        """The organisation this user works in (one per user in the back office for now)."""
        return self.memberships[0] if self.memberships else None


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()

    @property
    def uses_back_office(self) -> bool:
        return self.role in BACK_OFFICE_ROLES

    @property
    def works_the_door(self) -> bool:
        """Owners, organisers and staff: the scanner's list of events (staff see the events they are on)."""
        return self.role in BACK_OFFICE_ROLES or self.role == Role.STAFF

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER


class LoginAttempt(db.Model):
    """A login being checked, or one that failed: counted per client address and per account (the email as typed,
    normalised, whether or not such an account exists) by every process, so a lock holds across workers.
    A successful login removes its row; rows older than the longest window are purged."""
    __tablename__ = "login_attempts"
    __table_args__ = (sa.Index("ix_login_attempts_address_occurred_at", "address", "occurred_at"),
                      sa.Index("ix_login_attempts_account_occurred_at", "account", "occurred_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64))
    account: Mapped[str] = mapped_column(sa.String(320))
    occurred_at = mapped_column(UTCDateTime, nullable=False, index=True)
