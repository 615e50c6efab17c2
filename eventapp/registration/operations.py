"""Signing up, changing and cancelling: the domain actions behind the public pages."""
import enum
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from eventapp import signals
from eventapp.contacts import operations as contacts
from eventapp.contacts.models import ConsentPurpose, ConsentRecord
from eventapp.contacts.normalisation import Email
from eventapp.core.i18n import normalise_language
from eventapp.core.persistence import insert_row
from eventapp.core.time import utcnow
from eventapp.core.tokens import ticket_secret, unsign, url_token
from eventapp.events.models import Event, EventStatus
from eventapp.extensions import db
from eventapp.registration.links import CONSENT_LINK_PURPOSE
from eventapp.registration.models import ATTRIBUTION, SEAT_HOLDING, Registration, RegistrationStatus

# Bump when the consent sentence changes; every ConsentRecord keeps the version it was given under.
MARKETING_CONSENT_VERSION = "marketing-email-2026-11"


def marketing_consent_text(organisation_name: str) -> str:
    return _("Yes, %(organisation)s may email me about future events and related offers. "
             "I can unsubscribe at any time.", organisation=organisation_name)


class RegistrationClosed(Exception):
    """The event does not take sign-ups now; str() is the sentence to show."""


class EventFull(RegistrationClosed):
    pass


class RegistrationChanged(RegistrationClosed):
    """Another request changed this registration since it was read (two tabs, an organiser and the attendee)."""


class Outcome(enum.StrEnum):
    CREATED = "created"
    ALREADY_REGISTERED = "already_registered"
    RESUBMITTED = "resubmitted"  # the same form sent twice (double click, back + resend)


@dataclass
class Signup:
    email: Email
    details: dict  # first_name, last_name, company, job_title, phone
    answers: dict = field(default_factory=dict)
    marketing_consent: bool = False
    sms_opt_in: bool = False  # also tell them by SMS (the event offers it and they gave a phone)
    consent_text: str = ""
    language: str = "en"
    channel: str = "web"
    # Registration.ATTRIBUTION columns: the invitation, partner, forwarding invitee and utm_* it came through.
    attribution: dict = field(default_factory=dict)
    # Through an invitation (its token proved it): the way into an invitation-only event.
    invited: bool = False
    form_nonce: str | None = None
    viewed_at: datetime | None = None
    ip_address: str = ""
    user_agent: str = ""


@dataclass
class SignupResult:
    registration: Registration
    outcome: Outcome


def closed_reason(event: Event, now: datetime | None = None) -> str | None:
    """Why this event takes no sign-ups now, or None when it does (fullness aside)."""
    now = now or utcnow()
    if event.status == EventStatus.CANCELLED:
        return _("This event has been cancelled.")
    if event.status != EventStatus.PUBLISHED:
        return _("This event is not open for sign-up.")
    if event.ends_at <= now:
        return _("This event has already taken place.")
    if event.registration_opens_at and now < event.registration_opens_at:
        return _("Sign-up has not opened yet.")
    if event.registration_closes_at and now >= event.registration_closes_at:
        return _("Sign-up for this event has closed.")
    if event.starts_at <= now:
        return _("This event has already started; sign-up is closed.")
    return None


INVITATION_ONLY = _l("This event is by invitation only. If you were invited, please use the link or the form in "
                     "your invitation email.")


def full_message(event: Event) -> str:
    if event.waitlist_enabled:
        return _("This event is full. You can still sign up to join the waiting list; "
                 "we will tell you if a seat frees up.")
    return _("This event is full, and it has no waiting list.")


def register(event: Event, signup: Signup) -> SignupResult:
    """Sign a person up. Raises RegistrationClosed / EventFull; never creates a duplicate."""
    try:
        return _register(event, signup)
    except (IntegrityError, RegistrationChanged):
        # A concurrent sign-up of the same address (or the same form) won the race; redo against its rows.
        db.session.rollback()
        return _register(event, signup)


def _register(event: Event, signup: Signup) -> SignupResult:
    reason = closed_reason(event)
    if reason:
        raise RegistrationClosed(reason)
    if event.invitation_only and not signup.invited:
        raise RegistrationClosed(str(INVITATION_ONLY))
    contact = contacts.find_contact(event.organisation_id, signup.email)
    existing = registration_of(event, contact)
    if existing is not None and existing.is_active:
        if signup.form_nonce and existing.form_nonce == signup.form_nonce:
            return SignupResult(existing, Outcome.RESUBMITTED)
        signals.registration_repeated.send(registration_change(existing, event))
        return SignupResult(existing, Outcome.ALREADY_REGISTERED)

    contact = contacts.contact_for(event.organisation_id, signup.email, signup.details, contact)
    # The language of the page they signed up on is the one their later mails and texts are in: the latest
    # sign-up's wins (someone who signs up in Chinese after an English sign-up reads Chinese from then on).
    contact.language = normalise_language(signup.language) or contact.language
    status = _claim_place(event)
    given = dict(person_details(signup.email, signup.details), answers=signup.answers, sms_opt_in=signup.sms_opt_in,
                 channel=signup.channel, form_nonce=signup.form_nonce,
                 **{name: value for name, value in signup.attribution.items() if name in ATTRIBUTION})
    if existing is None:
        registration = new_registration(event, contact, status, **given)
    else:  # signing up again after cancelling (once: a second submit at the same moment finds it active)
        # A new sign-up, with new links: the old ticket and manage link stay dead.
        registration = existing
        _change_status(registration, status, cancelled_at=None, manage_token=url_token(),
                       ticket_secret=ticket_secret(), **given)
    db.session.flush()

    if signup.viewed_at is not None:
        signals.landing_page_viewed.send(signals.PageView(event.id, event.campaign_id, event.organisation_id,
                                                          contact.id, signup.viewed_at))
    if signup.marketing_consent and not contact.marketing_consent:
        # Recorded, and confirmed only by the address's owner through the mail this queues (double opt-in).
        record = contacts.record_consent(
            contact, purpose=ConsentPurpose.MARKETING_EMAIL, text_version=MARKETING_CONSENT_VERSION,
            text=signup.consent_text,
            source=f"signup:{event.slug}", language=signup.language, ip_address=signup.ip_address,
            user_agent=signup.user_agent, registration_id=registration.id)
        signals.consent_requested.send(signals.ConsentChange(
            record.id, contact.id, contact.organisation_id, record.purpose, record.text_version, utcnow(),
            registration_id=registration.id, event_id=event.id, campaign_id=event.campaign_id))
    signals.registration_created.send(registration_change(registration, event))
    return SignupResult(registration, Outcome.CREATED)


PERSON_DETAILS = ("first_name", "last_name", "company", "job_title", "phone")


def person_details(email: Email, details: dict) -> dict:
    """What a registration keeps of the person as given for it: the address and the details typed with it."""
    return {"email": email.address, **{name: details.get(name) or "" for name in PERSON_DETAILS}}


def registration_of(event: Event, contact) -> Registration | None:
    """This person's registration for this event (one per person and event), or None."""
    if contact is None or contact.id is None:
        return None
    return db.session.execute(_REGISTRATION_OF, {"event_id": event.id, "contact_id": contact.id}
                              ).scalar_one_or_none()


_REGISTRATION_OF = sa.select(Registration).where(Registration.event_id == sa.bindparam("event_id"),
                                                 Registration.contact_id == sa.bindparam("contact_id"))


def new_registration(event: Event, contact, status: RegistrationStatus, channel: str = "web",
                     **values) -> Registration:
    """A registration with its own unguessable manage token and ticket secret, written at once."""
    if contact.id is None:
        db.session.flush()  # a contact created in this request needs its id first
    return insert_row(Registration, {
        "event_id": event.id, "contact_id": contact.id, "manage_token": url_token(), "ticket_secret": ticket_secret(),
        "status": status, "channel": channel, "answers": {}, **values})


def _claim_place(event: Event) -> RegistrationStatus:
    """Take a seat with one conditional UPDATE (atomic on SQLite and PostgreSQL), or fall back to the waitlist."""
    if _take_seat(event):
        return RegistrationStatus.PENDING if event.approval_required else RegistrationStatus.CONFIRMED
    if event.waitlist_enabled:
        return RegistrationStatus.WAITLISTED
    raise EventFull(full_message(event))


def _take_seat(event: Event, even_when_full: bool = False) -> bool:
    """An event without a limit has no seat counter to fight over (its count is taken when a limit is set).
    even_when_full: a person standing at the door takes a seat anyway."""
    if event.capacity is None:
        return True
    query = sa.update(Event).where(Event.id == event.id)
    if not even_when_full:
        query = query.where(Event.seats_taken < Event.capacity)
    result = db.session.execute(
        query.values(seats_taken=Event.seats_taken + 1, updated_at=Event.updated_at)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(event, ["seats_taken"])
    return result.rowcount == 1


def _free_seat(event: Event) -> None:
    if event.capacity is None:
        return
    db.session.execute(
        sa.update(Event).where(Event.id == event.id, Event.seats_taken > 0)
        .values(seats_taken=Event.seats_taken - 1, updated_at=Event.updated_at)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(event, ["seats_taken"])


def recount_seats(event: Event) -> None:
    """Seats held now, counted from the registrations (when a limit is set or changed)."""
    event.seats_taken = db.session.execute(
        sa.select(sa.func.count()).select_from(Registration)
        .where(Registration.event_id == event.id, Registration.status.in_(SEAT_HOLDING))).scalar()


def can_change(registration: Registration) -> str | None:
    """Why this registration can no longer be changed or cancelled, or None."""
    event = registration.event
    if not registration.is_active:
        return _("This registration has been cancelled.")
    if event.status == EventStatus.CANCELLED:
        return _("This event has been cancelled.")
    if event.ends_at <= utcnow():
        return _("This event has already taken place.")
    return None


def update_registration(registration: Registration, details: dict, answers: dict,
                        sms_opt_in: bool | None = None, address_proven: bool = False) -> list[str]:
    """Change the person's details, answers and (when the event sends SMS) their choice of text messages on this
    registration; returns the names of what changed. `address_proven`: the page was opened from a link mailed to
    the registration's address, so the details also bring the person's contact profile up to date."""
    reason = can_change(registration)
    if reason:
        raise RegistrationClosed(reason)
    changed = [name for name in PERSON_DETAILS if (details.get(name) or "") != getattr(registration, name)]
    for name in changed:
        setattr(registration, name, details.get(name) or "")
    if address_proven:
        contacts.update_contact(registration.contact, details)
    changed += [f"answer:{key}" for key in sorted(set(answers) | set(registration.answers or {}))
                if answers.get(key) != (registration.answers or {}).get(key)]
    if sms_opt_in is not None and registration.event.sms_enabled and sms_opt_in != registration.sms_opt_in:
        changed.append("sms_opt_in")
        registration.sms_opt_in = sms_opt_in
    if not changed:
        return []
    registration.answers = answers
    signals.registration_updated.send(registration_change(registration, changed=tuple(changed)))
    return changed


def cancel(registration: Registration, by: str = "web") -> None:
    reason = can_change(registration)
    if reason:
        raise RegistrationClosed(reason)
    held_seat = registration.status in SEAT_HOLDING
    _change_status(registration, RegistrationStatus.CANCELLED, cancelled_at=utcnow())
    signals.registration_cancelled.send(registration_change(registration, channel=by))
    if held_seat:
        _free_seat(registration.event)
        promote_from_waitlist(registration.event)


def approve(registration: Registration) -> None:
    """A pending sign-up (which already holds its seat) becomes confirmed."""
    if registration.status != RegistrationStatus.PENDING:
        raise RegistrationClosed(_("Only sign-ups waiting for approval can be approved."))
    _change_status(registration, RegistrationStatus.CONFIRMED)
    signals.registration_approved.send(registration_change(registration))


def decline(registration: Registration) -> None:
    """A pending sign-up is turned down; its seat goes to the waiting list."""
    if registration.status != RegistrationStatus.PENDING:
        raise RegistrationClosed(_("Only sign-ups waiting for approval can be declined."))
    _change_status(registration, RegistrationStatus.DECLINED)
    signals.registration_declined.send(registration_change(registration))
    _free_seat(registration.event)
    promote_from_waitlist(registration.event)


def confirm_walk_in(event: Event, contact, registration: Registration | None,
                    person: dict) -> tuple[Registration, bool]:
    """Someone at the door is confirmed on the spot, taking a seat even when full. `person`: the details staff
    took down (see person_details), kept on a new registration or one that had been cancelled or declined. Returns
    their registration and whether it changed (False when they were confirmed already)."""
    if registration is None:
        _take_seat(event, even_when_full=True)
        return new_registration(event, contact, RegistrationStatus.CONFIRMED, channel="staff", walk_in=True,
                                **person), True
    if registration.status == RegistrationStatus.CONFIRMED:
        return registration, False
    holds_seat = registration.status in SEAT_HOLDING  # a pending sign-up holds its seat already
    # A registration that had ended starts again with the details given now and new links (its old ticket stays
    # dead); one still waiting keeps what its holder gave.
    again = {} if registration.is_active else dict(person, manage_token=url_token(), ticket_secret=ticket_secret())
    _change_status(registration, RegistrationStatus.CONFIRMED, walk_in=True, cancelled_at=None, **again)
    if not holds_seat:
        _take_seat(event, even_when_full=True)
    return registration, True


def promote_from_waitlist(event: Event) -> Registration | None:
    """A freed seat goes to the first person on the waiting list, who is told (messaging subscribes)."""
    if not event.waitlist_enabled:
        return None
    waiting = db.session.execute(
        sa.select(Registration).where(Registration.event_id == event.id,
                                      Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.created_at, Registration.id).limit(1).with_for_update(skip_locked=True)
    ).scalar_one_or_none()
    if waiting is None or not _take_seat(event):
        return None
    try:
        _change_status(waiting, RegistrationStatus.PENDING if event.approval_required else RegistrationStatus.CONFIRMED)
    except RegistrationChanged:  # they cancelled, or another cancellation promoted them, at this moment
        _free_seat(event)
        return None
    signals.registration_promoted.send(registration_change(waiting, event))
    return waiting


def _change_status(registration: Registration, status: RegistrationStatus, **values) -> None:
    """Move the registration from the status it was read with to `status` (and set `values`) by one conditional
    UPDATE. Of two requests changing one registration at once (two tabs cancelling, an approval racing a
    cancellation) the second finds it changed and raises RegistrationChanged: no seat is freed twice, and nobody
    gets two contradictory mails."""
    changed = db.session.execute(
        sa.update(Registration).where(Registration.id == registration.id, Registration.status == registration.status)
        .values(status=status, **values).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise RegistrationChanged(_("This registration was changed a moment ago. Reload the page to see it as it "
                                    "is now."))
    for name, value in {"status": status, **values}.items():
        set_committed_value(registration, name, value)


CONSENT_LINK_MAX_AGE = 30 * 24 * 3600  # a month to confirm; after that, tick the box again at a next sign-up


class ConsentLinkInvalid(Exception):
    """The confirmation link is forged, broken or too old; str() is the sentence to show."""


def consent_record_for_link(token: str):
    """The consent record a confirmation link names; ConsentLinkInvalid when there is none to confirm."""
    record_id = unsign(CONSENT_LINK_PURPOSE, token or "", max_age=CONSENT_LINK_MAX_AGE)
    record = db.session.get(ConsentRecord, record_id) if isinstance(record_id, int) and 0 < record_id < 2**31 \
        else None
    if record is None:
        raise ConsentLinkInvalid(_("This confirmation link is not valid or has expired. Links work for 30 days; "
                                   "tick the box again the next time you sign up to get a new one."))
    return record


def confirm_marketing_consent(record) -> bool:
    """The address's owner confirmed; False when it was confirmed already."""
    if not contacts.confirm_consent(record):
        return False
    signals.consent_confirmed.send(signals.ConsentChange(record.id, record.contact_id, record.contact.organisation_id,
                                                         record.purpose, record.text_version, record.confirmed_at,
                                                         registration_id=record.registration_id))
    return True


def calendar_downloaded(registration: Registration) -> None:
    signals.calendar_downloaded.send(registration_change(registration))


def registration_change(registration: Registration, event: Event | None = None, **values) -> signals.RegistrationChange:
    """What the registration signals send: the registration's ids and state as plain values (subscribers load what
    they need by id). `values` sets the rest (channel: who cancelled; changed: what changed)."""
    event = event or registration.event
    values.setdefault("channel", registration.channel)
    return signals.RegistrationChange(
        registration_id=registration.id, event_id=event.id, campaign_id=event.campaign_id,
        organisation_id=event.organisation_id, contact_id=registration.contact_id, status=registration.status,
        occurred_at=utcnow(), invitation_id=registration.invitation_id, partner_id=registration.partner_id,
        referred_by_id=registration.referred_by_id, **values)


def find_by_manage_token(token: str) -> Registration | None:
    if not token or len(token) > 64:
        return None
    return db.session.execute(sa.select(Registration).where(Registration.manage_token == token)).scalar_one_or_none()
