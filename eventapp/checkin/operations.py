"""At the door: redeem a ticket (scan, tap or walk-in), undo, counts, the offline list, no-shows."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from eventapp import signals
from eventapp.accounts.models import BACK_OFFICE_ROLES, Role, User
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


def can_scan(user, event: Event) -> bool:
    """Owners and organisers of the organisation scan any of its events; staff only the events they are given."""
    if not getattr(user, "is_authenticated", False):
        return False
    membership = next((m for m in user.memberships if m.organisation_id == event.organisation_id), None)
    if membership is None:
        return False
    if membership.role in BACK_OFFICE_ROLES:
        return True
    if membership.role != Role.STAFF:
        return False
    return db.session.execute(sa.select(EventStaff.id).where(EventStaff.event_id == event.id,
                                                             EventStaff.user_id == user.id)).first() is not None


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
    row = db.session.execute(
        sa.select(sa.func.count().filter(Registration.checked_in_at.is_not(None)),
                  sa.func.count(),
                  sa.func.count().filter(Registration.walk_in.is_(True)))
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)).one()
    return {"checked_in": row[0], "expected": row[1], "walk_ins": row[2]}


def _answer(checkin: CheckIn, event: Event) -> dict:
    registration = checkin.registration
    attendee = None
    if registration is not None and checkin.result != ScanResult.WRONG_EVENT:
        contact = registration.contact
        attendee = {"name": contact.name, "company": contact.company, "job_title": contact.job_title,
                    "ticket_type": _("Walk-in") if registration.walk_in else str(registration.event.kind_label)}
    by = None
    if registration is not None and registration.checked_in_at is not None:
        staff = db.session.get(User, registration.checked_in_by_id) if registration.checked_in_by_id else None
        by = {"device_id": registration.checked_in_device or "",
              "staff": (staff.name or staff.email) if staff is not None else ""}
    return {"status": checkin.result, "message": message_for(checkin, registration),
            "attendee": attendee, "nonce": checkin.nonce,
            "checked_in_at": registration.checked_in_at.isoformat()
            if registration is not None and registration.checked_in_at else None,
            "checked_in_by": by, "stats": stats(event)}


def message_for(checkin: CheckIn, registration) -> str:
    when = ""
    if registration is not None and registration.checked_in_at:
        from eventapp.core.templating import local_time

        when = local_time(registration.checked_in_at, registration.event.timezone)  # the door's wall clock
    return {
        ScanResult.OK: _("Checked in"),
        ScanResult.ALREADY_CHECKED_IN: _("Already checked in at %(when)s", when=when),
        ScanResult.INVALID: _("Unknown code: this is not a ticket of ours"),
        ScanResult.CANCELLED: _("This registration was cancelled"),
        ScanResult.NOT_APPROVED: _("Not approved yet: this sign-up waits for the organisers"),
        ScanResult.WAITLISTED: _("On the waiting list, no seat confirmed"),
        ScanResult.WRONG_EVENT: _("This ticket is for another event: %(title)s",
                                  title=registration.event.title if registration is not None else ""),
        ScanResult.CHECKED_OUT: _("Checked out"),
        ScanResult.NOT_CHECKED_IN: _("Never checked in, so there is nothing to check out"),
        ScanResult.UNDONE: _("Check-in taken back"),
    }[ScanResult(checkin.result)]


def find_by_secret(secret: str, organisation_id: int) -> Registration | None:
    """Only this organisation's tickets: another organisation's ticket is an unknown code here, and its holder
    and event stay theirs."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    return db.session.execute(
        sa.select(Registration).join(Event, Registration.event_id == Event.id)
        .where(Registration.ticket_secret == secret, Event.organisation_id == organisation_id)).scalar_one_or_none()


def _believable(scanned_at: datetime) -> datetime:
    now = utcnow()
    return now if scanned_at > now + CLOCK_SKEW else scanned_at


def redeem(event: Event, scan: Scan, staff, registration: Registration | None = None) -> dict:
    """One scan (or tap). The nonce makes a retried upload return its first answer; one conditional UPDATE
    makes concurrent scans of one ticket give exactly one "ok"."""
    existing = _by_nonce(scan.nonce)
    if existing is not None:
        return _answer(existing, event)
    try:
        checkin = _redeem(event, scan, staff, registration)
        answer = _answer(checkin, event)  # before the commit: everything is loaded, and the counts see this scan
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same scan, uploaded twice at once: the other upload's answer stands
        existing = _by_nonce(scan.nonce)
        if existing is None:
            raise
        return _answer(existing, event)
    return answer


def _by_nonce(nonce: str) -> CheckIn | None:
    return db.session.execute(sa.select(CheckIn).where(CheckIn.nonce == nonce)).scalar_one_or_none()


def _redeem(event: Event, scan: Scan, staff, registration: Registration | None) -> CheckIn:
    if registration is None:
        registration = find_by_secret(scan.secret, event.organisation_id)
    scanned_at = _believable(scan.scanned_at)
    checkin = CheckIn(event_id=event.id, registration=registration, nonce=scan.nonce, device_id=scan.device_id,
                      staff_user_id=getattr(staff, "id", None), scanned_at=scanned_at, method=scan.method,
                      direction=scan.direction, result=ScanResult.INVALID,
                      secret_hash="" if registration is not None else secret_hash(scan.secret))
    db.session.add(checkin)
    db.session.flush()  # a duplicate nonce fails here, before anything else changes
    if registration is None:
        return checkin
    if registration.event_id != event.id:
        checkin.result = ScanResult.WRONG_EVENT
    elif registration.status in REFUSALS:
        checkin.result = REFUSALS[registration.status]
    elif scan.direction == "out":
        if registration.checked_in_at is None:
            checkin.result = ScanResult.NOT_CHECKED_IN
        else:
            checkin.result = ScanResult.CHECKED_OUT
            registration.checked_out_at = scanned_at
            signals.checked_out.send(registration, checkin=checkin)
    elif _claim_check_in(registration, scanned_at, scan.device_id, staff):
        checkin.result = ScanResult.OK
        signals.checked_in.send(registration, checkin=checkin)
    else:
        checkin.result = ScanResult.ALREADY_CHECKED_IN
        _keep_earliest(registration, scanned_at, scan.device_id, staff)
    return checkin


def _claim_check_in(registration: Registration, scanned_at, device_id: str, staff) -> bool:
    result = db.session.execute(
        sa.update(Registration).where(Registration.id == registration.id, Registration.checked_in_at.is_(None))
        .values(checked_in_at=scanned_at, checked_in_device=device_id, checked_in_by_id=getattr(staff, "id", None))
        .execution_options(synchronize_session=False))
    db.session.expire(registration, ["checked_in_at", "checked_in_device", "checked_in_by_id"])
    return result.rowcount == 1


def _keep_earliest(registration: Registration, scanned_at, device_id: str, staff) -> None:
    """Two phones offline scanned one ticket: the attendance is the earliest scan, whichever uploaded first."""
    db.session.execute(
        sa.update(Registration).where(Registration.id == registration.id, Registration.checked_in_at > scanned_at)
        .values(checked_in_at=scanned_at, checked_in_device=device_id, checked_in_by_id=getattr(staff, "id", None))
        .execution_options(synchronize_session=False))
    db.session.expire(registration, ["checked_in_at", "checked_in_device", "checked_in_by_id"])


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
    return _answer(undo, event)


def walk_in(event: Event, email, details: dict, scan: Scan, staff) -> dict:
    """Someone at the door without a registration: contact, confirmed registration and check-in in one go."""
    from eventapp.leads import operations as leads
    from eventapp.registration import operations as registrations

    contact = leads.find_contact(event.organisation_id, email)
    registration = registrations.registration_of(event, contact)
    contact = leads.save_contact(event.organisation_id, email, details, contact)
    if registration is None:
        registration = registrations.new_registration(event, contact, channel="staff")
    if registrations.confirm_walk_in(registration):
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
