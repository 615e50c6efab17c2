"""Who works an event's door: organisers give a staff account an event, and take it off again. Staff see and scan
only the events they are given; the door's requests check the assignment on every request, so taking someone off
works at once, on every phone they use."""
import sqlalchemy as sa
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from eventapp.accounts.models import BACK_OFFICE_ROLES, Membership, Role, User
from eventapp.checkin.models import EventStaff
from eventapp.events.models import Event
from eventapp.extensions import db


class StaffingRefused(ValueError):
    """An assignment that cannot be made; `message` says why, to the organiser (Markup: it may show a command as
    code)."""

    def __init__(self, message: Markup):
        super().__init__(str(message))
        self.message = message


def door_staff(event: Event) -> list[User]:
    """The staff accounts on this event's door, by email."""
    return list(db.session.execute(
        sa.select(User).join(EventStaff, EventStaff.user_id == User.id)
        .where(EventStaff.event_id == event.id).order_by(User.email)).scalars())


def assign_staff(event: Event, email: str) -> User:
    """Give the staff account with this email the event's door (again is fine); commits."""
    from eventapp.accounts.operations import find_user

    user = find_user(email) if email else None
    if user is None or role_in(user.id, event.organisation_id) != Role.STAFF:
        raise StaffingRefused(Markup(_("No staff account with that email in your organisation. Create it with "
                                       "<code>eventapp user create --role staff</code>.")))
    if not _assigned(event.id, user.id):
        db.session.add(EventStaff(event_id=event.id, user_id=user.id))
        try:
            db.session.commit()
        except IntegrityError:  # assigned by a double click's other request a moment ago: that is the wish
            db.session.rollback()
    return user


def remove_staff(event: Event, user_id: int) -> User | None:
    """Take this staff account off the event's door; the user, or None when they were not on it. Commits.
    Their next scan, search, undo or upload for this event is refused; their other events are untouched."""
    removed = db.session.execute(sa.delete(EventStaff).where(EventStaff.event_id == event.id,
                                                             EventStaff.user_id == user_id)).rowcount
    user = db.session.get(User, user_id) if removed else None
    db.session.commit()
    return user


def _assigned(event_id: int, user_id: int) -> bool:
    return db.session.execute(sa.select(EventStaff.id).where(EventStaff.event_id == event_id,
                                                             EventStaff.user_id == user_id)).first() is not None


def role_in(user_id: int, organisation_id: int) -> str | None:
    return db.session.execute(sa.select(Membership.role).where(Membership.user_id == user_id,
                                                               Membership.organisation_id == organisation_id)
                              ).scalar_one_or_none()


def organises(user_id: int, organisation_id: int) -> bool:
    """An owner or organiser of the organisation: they may act at any of its doors."""
    return role_in(user_id, organisation_id) in BACK_OFFICE_ROLES


def off_the_door(user_id: int, event_id: int) -> bool:
    """A staff member of the event's organisation who is not (or no longer) on its door: told so, where anyone
    else gets a 404 (event ids are not a lookup service)."""
    organisation_id = db.session.execute(sa.select(Event.organisation_id).where(Event.id == event_id)
                                         ).scalar_one_or_none()
    return organisation_id is not None and role_in(user_id, organisation_id) == Role.STAFF \
        and not _assigned(event_id, user_id)
