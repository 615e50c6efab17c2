"""At the door: redeem a ticket (scan, tap or walk-in), undo, counts, the offline list, no-shows."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.exc import IntegrityError

from eventapp import signals
from eventapp.accounts.models import BACK_OFFICE_ROLES, Membership, Organisation, Role, User
from eventapp.checkin.models import CheckIn, EventStaff, ScanResult
from eventapp.checkin.staffing import organises
from eventapp.contacts.models import Contact
from eventapp.contacts.names import person_name
from eventapp.contacts.search import matches as search_matches, roster_key
from eventapp.core.time import utcnow
from eventapp.events.models import Event, EventKind, EventStatus
from eventapp.extensions import db
from eventapp.messaging.operations import every_sweep
from eventapp.registration.models import Registration, RegistrationStatus

MAX_SECRET = 200

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
    clock_wrong: bool = False  # the phone's time was not believed: scanned_at is when the scan reached us


class DoorRefused(Exception):
    """A scan or walk-in the door must not act on: `code` tells the phone why, the message tells the person.
    `status` is the HTTP status: 409 for the state of things, 403 for who is asking."""

    def __init__(self, code: str, message: str, status: int = 409):
        super().__init__(message)
        self.code, self.status = code, status


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
_CHECK_OUT = (sa.update(_registrations).where(_registrations.c.id == sa.bindparam("registration_id"))
              .values(checked_out_at=sa.bindparam("scanned_at")))
_LOG_SCAN = sa.insert(_checkins)
_STATS = sa.select(sa.func.count().filter(_registrations.c.checked_in_at.is_not(None)),
                   sa.func.count(),
                   sa.func.count().filter(_registrations.c.walk_in.is_(True))).where(
    _registrations.c.event_id == sa.bindparam("event_id"),
    _registrations.c.status == RegistrationStatus.CONFIRMED.value)


class Holder(NamedTuple):
    """The ticket's holder, as the answer shows them and their lead activity needs them."""
    id: int
    organisation_id: int
    first_name: str
    last_name: str
    company: str
    job_title: str

    @property
    def name(self) -> str:
        return person_name(self.first_name, self.last_name)


class EventRef(NamedTuple):
    """The ticket's event: what a check-in's answer and lead activity need of it."""
    id: int
    title: str
    timezone: str
    campaign_id: int | None


@dataclass(slots=True)
class Ticket:
    """A registration as the door sees it: read by one Core query with its holder, its event and who checked it
    in, as plain values (the ORM's loading and bookkeeping were a third of a scan's cost). The check-in signals
    send a DoorChange made from its ids."""
    id: int
    event: EventRef
    contact: Holder
    status: str
    walk_in: bool
    checked_in_at: datetime | None
    checked_in_device: str | None
    checked_in_by: str  # the staff member's name (or email); "" when nobody checked it in or it was no account

    @property
    def event_id(self) -> int:
        return self.event.id


_contacts, _events, _users = Contact.__table__, Event.__table__, User.__table__
_checker = _users.alias("checker")
_TICKET = (
    sa.select(_registrations.c.id, _registrations.c.status, _registrations.c.walk_in,
              _registrations.c.checked_in_at, _registrations.c.checked_in_device,
              sa.func.coalesce(sa.func.nullif(_checker.c.name, ""), _checker.c.email, "").label("checked_in_by"),
              _events.c.id.label("event_id"), _events.c.title, _events.c.timezone, _events.c.campaign_id,
              _contacts.c.id.label("contact_id"), _contacts.c.organisation_id, _registrations.c.first_name,
              _registrations.c.last_name, _registrations.c.company, _registrations.c.job_title)
    .join(_contacts, _contacts.c.id == _registrations.c.contact_id)
    .join(_events, _events.c.id == _registrations.c.event_id)
    .outerjoin(_checker, _checker.c.id == _registrations.c.checked_in_by_id))
# This organisation's tickets only: another organisation's ticket is an unknown code here.
_TICKET_BY_SECRET = _TICKET.where(_registrations.c.ticket_secret == sa.bindparam("secret"),
                                  _events.c.organisation_id == sa.bindparam("organisation_id"))
_TICKET_BY_ID = _TICKET.where(_registrations.c.id == sa.bindparam("registration_id"))


def _ticket(statement, values: dict) -> Ticket | None:
    row = _execute(statement, values).first()
    if row is None:
        return None
    return Ticket(id=row.id, status=row.status, walk_in=row.walk_in, checked_in_at=row.checked_in_at,
                  checked_in_device=row.checked_in_device, checked_in_by=row.checked_in_by,
                  event=EventRef(row.event_id, row.title, row.timezone, row.campaign_id),
                  contact=Holder(row.contact_id, row.organisation_id, row.first_name, row.last_name,
                                 row.company, row.job_title))


def find_by_secret(secret: str, organisation_id: int) -> Ticket | None:
    if not secret or len(secret) > MAX_SECRET:
        return None
    return _ticket(_TICKET_BY_SECRET, {"secret": secret, "organisation_id": organisation_id})


def ticket_of(registration_id: int) -> Ticket | None:
    return _ticket(_TICKET_BY_ID, {"registration_id": registration_id})


class DoorEvent(NamedTuple):
    """The event as the door's requests need it, read with the staff member's access to it (plain values: the
    ORM's loading of a whole Event was a tenth of a scan's cost). Walk-ins, which register, load the Event."""
    id: int
    organisation_id: int
    title: str
    kind: str
    timezone: str
    exit_scans_enabled: bool
    status: str
    starts_at: datetime

    @property
    def kind_label(self):
        return EventKind(self.kind).label

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED


@dataclass(frozen=True, slots=True)
class DoorStaff(UserMixin):
    """The signed-in user of the door's requests (the scanner and its API): who scans, as plain values read with
    their access to the event. Those requests need no more of the account; the rest of the app gets a User."""
    id: int
    email: str
    name: str
    active: bool
    session_token: str  # compared with the session's by the user loader (accounts.views), as for a User
    language: str  # what they read: their own choice, else their organisation's (accounts' language_of)

    @property
    def is_active(self) -> bool:
        return self.active


def staff_with_event(user_id: int, event_id: int) -> tuple[DoorStaff | None, DoorEvent | None]:
    """The user, and the event when they may scan its tickets (else None), in one query: every scan starts here.
    Owners and organisers of the organisation scan any of its events, staff only the events they are given."""
    row = _execute(_STAFF_WITH_EVENT, {"event_id": event_id, "user_id": user_id}).first()
    if row is None:
        return None, None
    staff_end = len(DoorStaff.__dataclass_fields__)
    event_end = staff_end + len(DoorEvent._fields)
    staff, event = DoorStaff(*row[:staff_end]), DoorEvent(*row[staff_end:event_end])
    role, assignment = row[event_end:]
    if event.id is not None and (role in BACK_OFFICE_ROLES or (role == Role.STAFF and assignment is not None)):
        return staff, event
    return staff, None


def event_for_scanning(user, event_id: int) -> DoorEvent | None:
    """The event, when this user may scan its tickets; else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return staff_with_event(user.id, event_id)[1]


_memberships, _event_staff, _organisations = Membership.__table__, EventStaff.__table__, Organisation.__table__
# The language a staff member reads their answers in (the door's JSON messages): as accounts' language_of.
_STAFF_LANGUAGE = sa.func.coalesce(sa.func.nullif(_users.c.language, ""), _organisations.c.language, "")
# The user, the event, the user's role in the event's organisation and their assignment to the event.
_STAFF_WITH_EVENT = (
    sa.select(*(_users.c[name] for name in DoorStaff.__dataclass_fields__ if name != "language"), _STAFF_LANGUAGE,
              *(_events.c[name] for name in DoorEvent._fields), _memberships.c.role, _event_staff.c.id)
    .select_from(_users)
    .outerjoin(_events, _events.c.id == sa.bindparam("event_id"))
    .outerjoin(_memberships, sa.and_(_memberships.c.organisation_id == _events.c.organisation_id,
                                     _memberships.c.user_id == _users.c.id))
    .outerjoin(_organisations, _organisations.c.id == _memberships.c.organisation_id)
    .outerjoin(_event_staff, sa.and_(_event_staff.c.event_id == _events.c.id, _event_staff.c.user_id == _users.c.id))
    .where(_users.c.id == sa.bindparam("user_id")))


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


def stats(event: DoorEvent) -> dict:
    """The door's counts. They cost a count over the event's registrations, so scans do not carry them: the
    scanner page asks for them every few seconds (and after walk-ins, undos and uploads)."""
    checked_in, expected, walk_ins = db.session.execute(_STATS, {"event_id": event.id}).one()
    return {"checked_in": checked_in, "expected": expected, "walk_ins": walk_ins}


def _answer(checkin, ticket: Ticket | None, event: DoorEvent) -> dict:
    attendee = None
    if ticket is not None and checkin.result != ScanResult.WRONG_EVENT:
        holder = ticket.contact
        attendee = {"name": holder.name, "company": holder.company, "job_title": holder.job_title,
                    "ticket_type": _("Walk-in") if ticket.walk_in else str(event.kind_label)}
    checked_in = ticket is not None and ticket.checked_in_at is not None
    return {"status": checkin.result, "message": message_for(checkin, ticket),
            "attendee": attendee, "nonce": checkin.nonce,
            "checked_in_at": ticket.checked_in_at.isoformat() if checked_in else None,
            "checked_in_by": {"device_id": ticket.checked_in_device or "", "staff": ticket.checked_in_by}
            if checked_in else None}


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


def ticket_answer(status: str) -> ScanResult:
    """What the door answers for a ticket of a registration in this status, before it looks at check-ins: OK, or
    why not. The online redeem asks it, and the offline list (ticket_list) carries its answer for each ticket, so
    a phone without a connection answers by the same rule (checkin.js keeps no copy)."""
    return REFUSALS.get(status, ScanResult.OK)


def message_for(checkin, ticket: Ticket | None) -> str:
    result = ScanResult(checkin.result)
    if result == ScanResult.ALREADY_CHECKED_IN:
        from eventapp.core.templating import local_time

        when = local_time(ticket.checked_in_at, ticket.event.timezone) \
            if ticket is not None and ticket.checked_in_at else ""  # the door's wall clock
        return _("Already checked in at %(when)s", when=when)
    if result == ScanResult.WRONG_EVENT:
        return _("This ticket is for another event: %(title)s", title=ticket.event.title if ticket else "")
    return str(MESSAGES[result])


def check_door_open(event, walk_in: bool = False) -> None:
    """Refuse scans at a cancelled event, and walk-ins (which register people) at one not published. A draft's
    tickets still scan: an event unpublished for an edit keeps the tickets it gave out."""
    if event.status == EventStatus.CANCELLED:
        raise DoorRefused("event_cancelled", _("This event was cancelled: nobody checks in and there are no "
                                               "walk-ins."))
    if walk_in and event.status != EventStatus.PUBLISHED:
        raise DoorRefused("event_not_published", _("This event is not published: publish it before taking "
                                                   "walk-ins."))


def redeem(event: DoorEvent, scan: Scan, staff, registration_id: int | None = None) -> dict:
    """One scan (or a tap on the registration with this id). The nonce makes a retried upload return its first
    answer; one conditional UPDATE makes concurrent scans of one ticket give exactly one "ok"."""
    check_door_open(event)
    try:
        checkin, ticket = _redeem(event, scan, staff, registration_id)
        answer = _answer(checkin, ticket, event)  # before the commit expires the event
        db.session.commit()
    except IntegrityError:
        # The nonce was seen before (a retried upload, or the same scan uploaded twice at once): the rollback
        # takes back this attempt whole, and the first answer stands.
        db.session.rollback()
        existing = _by_nonce(scan.nonce)
        if existing is None:
            raise
        if existing.event_id != event.id:  # nonces are unique across events: say nothing of the other one
            raise DoorRefused("nonce_reused", _("This scan's nonce was already used at another event; send the "
                                                "scan again with a new one.")) from None
        answer = _answer(existing, ticket_of(existing.registration_id) if existing.registration_id else None, event)
    if scan.clock_wrong:
        answer["clock_warning"] = _("This phone's clock looks wrong: the scan was recorded at the time it reached "
                                    "the server. Check the phone's date and time.")
    return answer


def _by_nonce(nonce: str) -> CheckIn | None:
    return db.session.execute(sa.select(CheckIn).where(CheckIn.nonce == nonce)).scalar_one_or_none()


def _redeem(event: DoorEvent, scan: Scan, staff, registration_id: int | None) -> tuple[SimpleNamespace, Ticket | None]:
    ticket = find_by_secret(scan.secret, event.organisation_id) if registration_id is None \
        else ticket_of(registration_id)
    scanned_at = scan.scanned_at  # the caller judged the phone's clock (checkin.views._scan_from)
    signal = None
    if ticket is None:
        result = ScanResult.INVALID
    elif ticket.event_id != event.id:
        result = ScanResult.WRONG_EVENT
    elif (refusal := ticket_answer(ticket.status)) != ScanResult.OK:
        result = refusal
    elif scan.direction == "out":
        if ticket.checked_in_at is None:
            result = ScanResult.NOT_CHECKED_IN
        else:
            result, signal = ScanResult.CHECKED_OUT, signals.checked_out
            _execute(_CHECK_OUT, {"registration_id": ticket.id, "scanned_at": scanned_at})
    elif _claim_check_in(ticket, scanned_at, scan.device_id, staff):
        result, signal = ScanResult.OK, signals.checked_in
    else:
        result = ScanResult.ALREADY_CHECKED_IN
        ticket = _keep_earliest(ticket, scanned_at, scan.device_id, staff)
    checkin = _log_scan(event, scan, ticket, scanned_at, getattr(staff, "id", None), result)
    if signal is not None:
        signal.send(signals.DoorChange(ticket.id, ticket.event.id, ticket.event.campaign_id,
                                       ticket.contact.organisation_id, ticket.contact.id, scanned_at,
                                       device_id=scan.device_id, method=scan.method))
    return checkin, ticket


def _execute(statement, values: dict):
    """Core statements of a scan go straight to the session's connection (in its transaction)."""
    return db.session.connection().execute(statement, values)


def _log_scan(event: DoorEvent, scan: Scan, ticket: Ticket | None, scanned_at, staff_id,
              result: ScanResult) -> SimpleNamespace:
    """Append the scan to the log by a Core INSERT; a nonce seen before fails here. Returns the row's values
    with CheckIn's attribute names, for the answer and the signal's subscribers (a plain namespace: a CheckIn
    object nobody saves would cost the ORM's bookkeeping on every scan)."""
    values = {"event_id": event.id, "registration_id": ticket.id if ticket is not None else None,
              "secret_hash": "" if ticket is not None else secret_hash(scan.secret), "result": result.value,
              "direction": scan.direction, "method": scan.method, "device_id": scan.device_id,
              "staff_user_id": staff_id, "nonce": scan.nonce, "scanned_at": scanned_at, "received_at": utcnow(),
              "reason": scan.reason}
    _execute(_LOG_SCAN, values)
    return SimpleNamespace(**values)


def _claim_check_in(ticket: Ticket, scanned_at, device_id: str, staff) -> bool:
    claimed = _execute(_CLAIM_CHECK_IN, {"registration_id": ticket.id, "scanned_at": scanned_at,
                                         "device_id": device_id, "staff_id": getattr(staff, "id", None)}
                       ).rowcount == 1
    if claimed:  # we know what we wrote: no need to read it back
        ticket.checked_in_at, ticket.checked_in_device = scanned_at, device_id
        ticket.checked_in_by = (staff.name or staff.email) if staff is not None else ""
    return claimed


def _keep_earliest(ticket: Ticket, scanned_at, device_id: str, staff) -> Ticket:
    """Two phones offline scanned one ticket: the attendance is the earliest scan, whichever uploaded first.
    Returns the ticket as it now stands (another phone may have written it since it was read)."""
    _execute(_KEEP_EARLIEST, {"registration_id": ticket.id, "scanned_at": scanned_at, "device_id": device_id,
                              "staff_id": getattr(staff, "id", None)})
    return ticket_of(ticket.id)


def undo_last(event: DoorEvent, device_id: str, reason: str, staff, registration_id: int | None = None
              ) -> dict | None:
    """Take back this device's most recent check-in that still stands, or the check-in of the registration with
    this id; None when there is none. Only the phone and the staff member who checked the person in, or an owner
    or organiser, may (DoorRefused otherwise, and nothing changes)."""
    if registration_id is None:
        last = db.session.execute(
            sa.select(CheckIn).join(Registration, CheckIn.registration_id == Registration.id)
            .where(CheckIn.event_id == event.id, CheckIn.device_id == device_id, CheckIn.result == ScanResult.OK,
                   Registration.checked_in_at.is_not(None))
            .order_by(CheckIn.received_at.desc(), CheckIn.id.desc()).limit(1)).scalar_one_or_none()
        registration = last.registration if last is not None else None
    else:
        registration = db.session.execute(
            sa.select(Registration).where(Registration.id == registration_id, Registration.event_id == event.id,
                                          Registration.checked_in_at.is_not(None))).scalar_one_or_none()
    if registration is None:
        return None
    check_may_undo(registration, device_id, staff, event.organisation_id)
    registration.checked_in_at = None
    registration.checked_in_device = None
    registration.checked_in_by_id = None
    undo = CheckIn(event_id=event.id, registration=registration, nonce=secrets.token_hex(16), device_id=device_id,
                   staff_user_id=getattr(staff, "id", None), scanned_at=utcnow(), method="undo",
                   result=ScanResult.UNDONE, reason=reason[:300])
    db.session.add(undo)
    db.session.flush()
    signals.check_in_undone.send(_door_change(registration, undo.scanned_at, device_id=device_id, method="undo",
                                              reason=undo.reason))
    answer = _answer(undo, ticket_of(registration.id), event)
    db.session.commit()
    return answer


def _door_change(registration: Registration, occurred_at: datetime, **values) -> signals.DoorChange:
    """What the door's signals send for a registration loaded as an ORM object (scans send their Ticket's values)."""
    event = registration.event
    return signals.DoorChange(registration.id, event.id, event.campaign_id, event.organisation_id,
                              registration.contact_id, occurred_at, **values)


def check_may_undo(registration: Registration, device_id: str, staff, organisation_id: int) -> None:
    """A check-in is taken back from the phone it was made on, by the staff member who made it (a device id alone
    is only a name the phone gives itself), or by an owner or organiser."""
    staff_id = getattr(staff, "id", None)
    mine = registration.checked_in_device == device_id and staff_id is not None \
        and registration.checked_in_by_id == staff_id
    if not mine and (staff_id is None or not organises(staff_id, organisation_id)):
        raise DoorRefused("undo_not_yours", _("This check-in was made on another phone or by another staff member: "
                                              "only they, or an organiser, can take it back. Nothing was changed."),
                          status=403)


def walk_in(event: Event, email, details: dict, scan: Scan, staff) -> dict:
    """Someone at the door without a registration: contact, confirmed registration and check-in in one go."""
    from eventapp.contacts import operations as contacts
    from eventapp.registration import operations as registrations

    check_door_open(event, walk_in=True)
    contact = contacts.find_contact(event.organisation_id, email)
    registration = registrations.registration_of(event, contact)
    contact = contacts.contact_for(event.organisation_id, email, details, contact)
    try:
        registration, changed = registrations.confirm_walk_in(event, contact, registration,
                                                              registrations.person_details(email, details))
    except registrations.RegistrationChanged as changed_meanwhile:
        raise DoorRefused("changed", str(changed_meanwhile)) from None
    if changed:
        db.session.flush()
        signals.walked_in.send(_door_change(registration, utcnow(), device_id=scan.device_id, method="walk_in"))
    scan.method = "walk_in"
    return redeem(event, scan, staff, registration_id=registration.id)


def search(event: DoorEvent, text: str, limit: int = 20) -> list[dict]:
    """Registrations of this event by the name given for them (either order, one character of it, its pinyin),
    company, email or phone however spaced (contacts.search)."""
    rows = db.session.execute(
        sa.select(Registration)
        .where(Registration.event_id == event.id, search_matches(Registration.search_text, text))
        .order_by(Registration.last_name, Registration.first_name).limit(limit)).scalars().all()
    return [{"registration_id": r.id, "name": r.name, "company": r.company, "email": r.email, "phone": r.phone,
             "status": r.status, "checked_in": r.checked_in_at is not None} for r in rows]


def ticket_list(event: DoorEvent) -> list[dict]:
    """What a phone keeps to validate offline: hashed secrets, names, statuses, and the answer a scan of each
    ticket gets (ticket_answer: its status code and sentence), and what an offline search looks in (k: names,
    company and their pinyin); no emails, phones or raw secrets. The phone adds only what
    it saw itself: a ticket already scanned on it, an exit scan."""
    rows = db.session.execute(
        sa.select(Registration.ticket_secret, Registration.status, Registration.checked_in_at,
                  Registration.first_name, Registration.last_name, Registration.company, Registration.job_title,
                  Registration.search_text)
        .where(Registration.event_id == event.id)).all()
    answers = {status: {"status": ticket_answer(status).value, "message": str(MESSAGES[ticket_answer(status)])}
               for status in RegistrationStatus}
    return [{"h": secret_hash(row.ticket_secret), "name": person_name(row.first_name, row.last_name),
             "company": row.company, "job_title": row.job_title, "status": row.status,
             "answer": answers[row.status], "checked_in": row.checked_in_at is not None,
             "k": roster_key(row.search_text)} for row in rows]  # k: what an offline search looks in


@every_sweep  # the outbox's minute sweep runs it
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
        signals.no_show.send(_door_change(registration, registration.event.ends_at))
    db.session.commit()
    return len(rows)
