"""At the door: redeem a ticket (scan, tap or walk-in), undo, counts, the offline list, no-shows."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from eventapp import signals
from eventapp.accounts.models import BACK_OFFICE_ROLES, Membership, Role, User
from eventapp.checkin.models import CheckIn, EventStaff, ScanResult
from eventapp.core.time import utcnow
from eventapp.events.models import Event, EventStatus
from eventapp.extensions import db
from eventapp.leads.models import Contact
from eventapp.registration.models import Registration, RegistrationStatus

MAX_SECRET = 200
# A device clock this far in the future is not believed: the scan is taken as made when it arrived.
CLOCK_SKEW = timedelta(minutes=5)

REFUSALS = {
    RegistrationStatus.CANCELLED: ScanResult.CANCELLED,
    RegistrationStatus.DECLINED: ScanResult.CANCELLED,
    RegistrationStatus.PENDING: ScanResult.NOT_APPROVED,
    RegistrationStatus.WAITLISTED: ScanResult.WAITLISTED,
}


@dataclass
class Scan:
    nonce: str
    device_id: str
    scanned_at: datetime
    secret: str = ""
    direction: str = "in"
    method: str = "scan"
    reason: str = ""


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_registrations, _checkins = Registration.__table__, CheckIn.__table__
# Statements built once: each scan runs them with new values, and SQLAlchemy reuses their compiled form.
_CLAIM_CHECK_IN = (
    sa.update(_registrations)
    .where(_registrations.c.id == sa.bindparam("registration_id"), _registrations.c.checked_in_at.is_(None))
    .values(checked_in_at=sa.bindparam("scanned_at"), checked_in_device=sa.bindparam("device_id"),
            checked_in_by_id=sa.bindparam("staff_id")))
_KEEP_EARLIEST = (
    sa.update(_registrations)
    .where(_registrations.c.id == sa.bindparam("registration_id"),
           _registrations.c.checked_in_at > sa.bindparam("scanned_at"))
    .values(checked_in_at=sa.bindparam("scanned_at"), checked_in_device=sa.bindparam("device_id"),
            checked_in_by_id=sa.bindparam("staff_id")))
_CHECK_IN_STATE = ("checked_in_at", "checked_in_device", "checked_in_by_id")
_CHECK_IN_STATE_OF = sa.select(*(_registrations.c[name] for name in _CHECK_IN_STATE)).where(
    _registrations.c.id == sa.bindparam("registration_id"))
_LOG_SCAN = sa.insert(_checkins)
_STATS = sa.select(sa.func.count().filter(_registrations.c.checked_in_at.is_not(None)),
                   sa.func.count(),
                   sa.func.count().filter(_registrations.c.walk_in.is_(True))).where(
    _registrations.c.event_id == sa.bindparam("event_id"),
    _registrations.c.status == RegistrationStatus.CONFIRMED.value)


@cache
def _ticket_query():
    """This organisation's ticket with its holder, in one query (built on first use: the mappers must be
    configured, which needs every model imported)."""
    return (sa.select(Registration).join(Registration.contact).join(Event, Registration.event_id == Event.id)
            .where(Registration.ticket_secret == sa.bindparam("secret"),
                   Event.organisation_id == sa.bindparam("organisation_id"))
            .options(contains_eager(Registration.contact)))


def event_for_scanning(user, event_id: int) -> Event | None:
    """The event, when this user may scan its tickets; else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return staff_with_event(user.id, event_id)[1]


def staff_with_event(user_id: int, event_id: int) -> tuple[User | None, Event | None]:
    """The user, and the event when they may scan its tickets (else None), in one query: every scan starts here.
    Owners and organisers of the organisation scan any of its events, staff only the events they are given."""
    row = db.session.execute(_user_with_event_access(), {"event_id": event_id, "user_id": user_id}).first()
    if row is None:
        return None, None
    user, event, role, assignment = row
    if event is not None and (role in BACK_OFFICE_ROLES or (role == Role.STAFF and assignment is not None)):
        return user, event
    return user, None


@cache
def _user_with_event_access():
    """The user, the event, the user's role in the event's organisation and their assignment to the event (built
    on first use, when every mapper is configured)."""
    memberships, event_staff = Membership.__table__, EventStaff.__table__
    return (sa.select(User, Event, memberships.c.role, event_staff.c.id)
            .select_from(User)
            .outerjoin(Event, Event.id == sa.bindparam("event_id"))
            .outerjoin(memberships, sa.and_(memberships.c.organisation_id == Event.organisation_id,
                                            memberships.c.user_id == User.id))
            .outerjoin(event_staff, sa.and_(event_staff.c.event_id == Event.id, event_staff.c.user_id == User.id))
            .where(User.id == sa.bindparam("user_id")))


def scannable_events(user) -> list[Event]:
    membership = user.membership
    if membership is None:
        return []
    query = sa.select(Event).where(Event.organisation_id == membership.organisation_id,
                                   Event.status == EventStatus.PUBLISHED)
    if membership.role == Role.STAFF:
        query = query.join(EventStaff, EventStaff.event_id == Event.id).where(EventStaff.user_id == user.id)
    elif membership.role not in BACK_OFFICE_ROLES:
        return []
    return list(db.session.execute(query.order_by(Event.starts_at)).scalars())


def stats(event: Event) -> dict:
    """The door's counts. They cost a count over the event's registrations, so scans do not carry them: the
    scanner page asks for them every few seconds (and after walk-ins, undos and uploads)."""
    checked_in, expected, walk_ins = db.session.execute(_STATS, {"event_id": event.id}).one()
    return {"checked_in": checked_in, "expected": expected, "walk_ins": walk_ins}


def _answer(checkin: CheckIn, registration: Registration | None, event: Event) -> dict:
    attendee = None
    if registration is not None and checkin.result != ScanResult.WRONG_EVENT:
        contact = registration.contact
        attendee = {"name": contact.name, "company": contact.company, "job_title": contact.job_title,
                    "ticket_type": _("Walk-in") if registration.walk_in else str(event.kind_label)}
    by = None
    if registration is not None and registration.checked_in_at is not None:
        staff = db.session.get(User, registration.checked_in_by_id) if registration.checked_in_by_id else None
        by = {"device_id": registration.checked_in_device or "",
              "staff": (staff.name or staff.email) if staff is not None else ""}
    return {"status": checkin.result, "message": message_for(checkin, registration),
            "attendee": attendee, "nonce": checkin.nonce,
            "checked_in_at": registration.checked_in_at.isoformat()
            if registration is not None and registration.checked_in_at else None,
            "checked_in_by": by}


MESSAGES = {
    ScanResult.OK: _l("Checked in"),
    ScanResult.INVALID: _l("Unknown code: this is not a ticket of ours"),
    ScanResult.CANCELLED: _l("This registration was cancelled"),
    ScanResult.NOT_APPROVED: _l("Not approved yet: this sign-up waits for the organisers"),
    ScanResult.WAITLISTED: _l("On the waiting list, no seat confirmed"),
    ScanResult.CHECKED_OUT: _l("Checked out"),
    ScanResult.NOT_CHECKED_IN: _l("Never checked in, so there is nothing to check out"),
    ScanResult.UNDONE: _l("Check-in taken back"),
}


def message_for(checkin: CheckIn, registration) -> str:
    result = ScanResult(checkin.result)
    if result == ScanResult.ALREADY_CHECKED_IN:
        from eventapp.core.templating import local_time

        when = local_time(registration.checked_in_at, registration.event.timezone) \
            if registration is not None and registration.checked_in_at else ""  # the door's wall clock
        return _("Already checked in at %(when)s", when=when)
    if result == ScanResult.WRONG_EVENT:
        return _("This ticket is for another event: %(title)s",
                 title=registration.event.title if registration is not None else "")
    return str(MESSAGES[result])


def find_by_secret(secret: str, organisation_id: int) -> Registration | None:
    """Only this organisation's tickets: another organisation's ticket is an unknown code here, and its holder
    and event stay theirs. The holder (registration.contact) comes loaded."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    return db.session.execute(_ticket_query(), {"secret": secret, "organisation_id": organisation_id}
                              ).scalar_one_or_none()


def _believable(scanned_at: datetime) -> datetime:
    now = utcnow()
    return now if scanned_at > now + CLOCK_SKEW else scanned_at


def redeem(event: Event, scan: Scan, staff, registration: Registration | None = None) -> dict:
    """One scan (or tap). The nonce makes a retried upload return its first answer; one conditional UPDATE
    makes concurrent scans of one ticket give exactly one "ok"."""
    try:
        checkin, registration = _redeem(event, scan, staff, registration)
        answer = _answer(checkin, registration, event)  # before the commit, while everything is loaded
        db.session.commit()
    except IntegrityError:
        # The nonce was seen before (a retried upload, or the same scan uploaded twice at once): the rollback
        # takes back this attempt whole, and the first answer stands.
        db.session.rollback()
        existing = _by_nonce(scan.nonce)
        if existing is None:
            raise
        return _answer(existing, existing.registration, event)
    return answer


def _by_nonce(nonce: str) -> CheckIn | None:
    return db.session.execute(sa.select(CheckIn).where(CheckIn.nonce == nonce)).scalar_one_or_none()


def _redeem(event: Event, scan: Scan, staff, registration: Registration | None) -> tuple[CheckIn, Registration]:
    if registration is None:
        registration = find_by_secret(scan.secret, event.organisation_id)
    scanned_at = _believable(scan.scanned_at)
    staff_id = getattr(staff, "id", None)
    signal = None
    if registration is None:
        result = ScanResult.INVALID
    elif registration.event_id != event.id:
        result = ScanResult.WRONG_EVENT
    elif registration.status in REFUSALS:
        result = REFUSALS[registration.status]
    elif scan.direction == "out":
        if registration.checked_in_at is None:
            result = ScanResult.NOT_CHECKED_IN
        else:
            result, signal = ScanResult.CHECKED_OUT, signals.checked_out
            registration.checked_out_at = scanned_at
    elif _claim_check_in(registration, scanned_at, scan.device_id, staff_id):
        result, signal = ScanResult.OK, signals.checked_in
    else:
        result = ScanResult.ALREADY_CHECKED_IN
        _keep_earliest(registration, scanned_at, scan.device_id, staff_id)
    checkin = _log_scan(event, scan, registration, scanned_at, staff_id, result)
    if signal is not None:
        signal.send(registration, checkin=checkin)
    return checkin, registration


def _log_scan(event: Event, scan: Scan, registration, scanned_at, staff_id, result: ScanResult) -> SimpleNamespace:
    """Append the scan to the log by a Core INSERT; a nonce seen before fails here. Returns the row's values
    with CheckIn's attribute names, for the answer and the signal's subscribers (a plain namespace: a CheckIn
    object nobody saves would cost the ORM's bookkeeping on every scan)."""
    values = {"event_id": event.id, "registration_id": registration.id if registration is not None else None,
              "secret_hash": "" if registration is not None else secret_hash(scan.secret), "result": result.value,
              "direction": scan.direction, "method": scan.method, "device_id": scan.device_id,
              "staff_user_id": staff_id, "nonce": scan.nonce, "scanned_at": scanned_at, "received_at": utcnow(),
              "reason": scan.reason}
    db.session.execute(_LOG_SCAN, values)
    return SimpleNamespace(**values)


def _claim_check_in(registration: Registration, scanned_at, device_id: str, staff_id) -> bool:
    claimed = db.session.execute(_CLAIM_CHECK_IN, {"registration_id": registration.id, "scanned_at": scanned_at,
                                                   "device_id": device_id, "staff_id": staff_id}).rowcount == 1
    if claimed:  # we know what we wrote: no need to read it back
        for name, value in zip(_CHECK_IN_STATE, (scanned_at, device_id, staff_id)):
            set_committed_value(registration, name, value)
    return claimed


def _keep_earliest(registration: Registration, scanned_at, device_id: str, staff_id) -> None:
    """Two phones offline scanned one ticket: the attendance is the earliest scan, whichever uploaded first."""
    db.session.execute(_KEEP_EARLIEST, {"registration_id": registration.id, "scanned_at": scanned_at,
                                        "device_id": device_id, "staff_id": staff_id})
    state = db.session.execute(_CHECK_IN_STATE_OF, {"registration_id": registration.id}).one()
    for name, value in zip(_CHECK_IN_STATE, state):
        set_committed_value(registration, name, value)


def undo_last(event: Event, device_id: str, reason: str, staff) -> dict | None:
    """Take back this device's most recent check-in that still stands; None when there is none."""
    last = db.session.execute(
        sa.select(CheckIn).join(Registration, CheckIn.registration_id == Registration.id)
        .where(CheckIn.event_id == event.id, CheckIn.device_id == device_id, CheckIn.result == ScanResult.OK,
               Registration.checked_in_at.is_not(None))
        .order_by(CheckIn.received_at.desc(), CheckIn.id.desc()).limit(1)).scalar_one_or_none()
    if last is None:
        return None
    registration = last.registration
    registration.checked_in_at = None
    registration.checked_in_device = None
    registration.checked_in_by_id = None
    undo = CheckIn(event_id=event.id, registration=registration, nonce=secrets.token_hex(16), device_id=device_id,
                   staff_user_id=getattr(staff, "id", None), scanned_at=utcnow(), method="undo",
                   result=ScanResult.UNDONE, reason=reason[:300])
    db.session.add(undo)
    db.session.flush()
    signals.check_in_undone.send(registration, checkin=undo)
    db.session.commit()
    return _answer(undo, registration, event)


def walk_in(event: Event, email, details: dict, scan: Scan, staff) -> dict:
    """Someone at the door without a registration: contact, confirmed registration and check-in in one go."""
    from eventapp.leads import operations as leads
    from eventapp.registration import operations as registrations

    contact = leads.find_contact(event.organisation_id, email)
    registration = registrations.registration_of(event, contact)
    contact = leads.save_contact(event.organisation_id, email, details, contact)
    registration, changed = registrations.confirm_walk_in(event, contact, registration)
    if changed:
        db.session.flush()
        signals.walked_in.send(registration)
    scan.method = "walk_in"
    return redeem(event, scan, staff, registration=registration)


def search(event: Event, text: str, limit: int = 20) -> list[dict]:
    pattern = f"%{text.strip().lower()[:100]}%"
    rows = db.session.execute(
        sa.select(Registration, Contact).join(Contact, Registration.contact_id == Contact.id)
        .where(Registration.event_id == event.id,
               sa.or_(Contact.email_key.like(pattern), sa.func.lower(Contact.first_name).like(pattern),
                      sa.func.lower(Contact.last_name).like(pattern), sa.func.lower(Contact.company).like(pattern),
                      Contact.phone.like(pattern),
                      sa.func.lower(Contact.first_name + " " + Contact.last_name).like(pattern)))
        .order_by(Contact.last_name, Contact.first_name).limit(limit)).all()
    return [{"registration_id": r.id, "name": c.name, "company": c.company, "email": c.email, "phone": c.phone,
             "status": r.status, "checked_in": r.checked_in_at is not None} for r, c in rows]


def ticket_list(event: Event) -> list[dict]:
    """What a phone keeps to validate offline: hashed secrets, names, statuses; no emails, no raw secrets."""
    rows = db.session.execute(
        sa.select(Registration.ticket_secret, Registration.status, Registration.checked_in_at, Contact.first_name,
                  Contact.last_name, Contact.company, Contact.job_title)
        .join(Contact, Registration.contact_id == Contact.id).where(Registration.event_id == event.id)).all()
    return [{"h": secret_hash(row.ticket_secret), "name": f"{row.first_name} {row.last_name}".strip(),
             "company": row.company, "job_title": row.job_title, "status": row.status,
             "checked_in": row.checked_in_at is not None} for row in rows]


def record_no_shows(now: datetime | None = None) -> int:
    """After an event ends, each confirmed registration that never checked in gets one no_show activity."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(Registration).join(Event, Registration.event_id == Event.id)
        .where(Event.ends_at < now, Event.status == EventStatus.PUBLISHED,
               Registration.status == RegistrationStatus.CONFIRMED, Registration.checked_in_at.is_(None),
               Registration.no_show_recorded.is_(False)).limit(5000)).scalars().all()
    for registration in rows:
        registration.no_show_recorded = True
        signals.no_show.send(registration)
    db.session.commit()
    return len(rows)
