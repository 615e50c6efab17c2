"""What each registration mail and SMS says, and when it goes: every registration state change queues the message
that tells the person (in the same transaction, through messaging.queue), and the content registered here writes
it when it is delivered (messaging knows no registration)."""
import functools
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from eventapp import signals
from eventapp.contacts.names import name_placeholders
from eventapp.events.models import Event, EventStatus
from eventapp.events.operations import reader_language
from eventapp.extensions import db
from eventapp.messaging.content import Mail, MessageContent, Wording, register_content
from eventapp.messaging.models import MessageKind
from eventapp.messaging.operations import Recipient, queue
from eventapp.registration.links import consent_url, manage_url
from eventapp.registration.models import Registration, RegistrationStatus
from eventapp.registration.tickets import calendar_for, ticket_code, ticket_png

ACTIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED)

KIND_FOR_NEW_STATUS = {RegistrationStatus.CONFIRMED: MessageKind.CONFIRMATION,
                       RegistrationStatus.PENDING: MessageKind.PENDING,
                       RegistrationStatus.WAITLISTED: MessageKind.WAITLISTED}

# Kinds whose mail carries the QR ticket and a calendar entry the calendar should add or move.
WITH_TICKET = {MessageKind.CONFIRMATION, MessageKind.APPROVED, MessageKind.PROMOTED, MessageKind.REMINDER,
               MessageKind.EVENT_UPDATED}
# Kinds whose calendar entry tells calendars to remove the event.
WITH_CANCEL = {MessageKind.CANCELLED, MessageKind.EVENT_CANCELLED}
QR_CID = "ticket-qr@eventapp"


def N_(text: str) -> str:
    """Marks a text for the catalogue (N_ is one of Babel's default keywords) without translating it here: it is
    translated when a message is composed, in the reader's language."""
    return text


SUBJECTS = {
    MessageKind.CONFIRMATION: N_("You're registered: %(title)s"),
    MessageKind.PENDING: N_("We received your sign-up: %(title)s"),
    MessageKind.WAITLISTED: N_("You're on the waiting list: %(title)s"),
    MessageKind.APPROVED: N_("Your place is confirmed: %(title)s"),
    MessageKind.DECLINED: N_("About your sign-up: %(title)s"),
    MessageKind.PROMOTED: N_("A seat opened up, you're in: %(title)s"),
    MessageKind.CANCELLED: N_("Your registration is cancelled: %(title)s"),
    MessageKind.ALREADY_REGISTERED: N_("Your registration: %(title)s"),
    MessageKind.REMINDER: N_("Reminder: %(title)s"),
    MessageKind.EVENT_UPDATED: N_("Updated: %(title)s"),
    MessageKind.EVENT_CANCELLED: N_("Cancelled: %(title)s"),
    MessageKind.TEST: N_("Test message: %(title)s"),
    MessageKind.CONSENT_CONFIRMATION: N_("Please confirm: news of future events like %(title)s"),
}

INTROS = {
    MessageKind.CONFIRMATION: N_("You're registered. Show the QR code below at the entrance."),
    MessageKind.PENDING: N_("Thank you for signing up. The organisers review each sign-up and will let you know."),
    MessageKind.WAITLISTED: N_("The event is full, so you are on the waiting list. If a seat frees up, it goes to the "
                               "next person on the list and we will tell you at once."),
    MessageKind.APPROVED: N_("Good news: the organisers approved your sign-up. Show the QR code below at the "
                             "entrance."),
    MessageKind.DECLINED: N_("Thank you for your interest. Unfortunately the organisers could not offer you a place "
                             "at this event."),
    MessageKind.PROMOTED: N_("A seat opened up and it is yours. Show the QR code below at the entrance."),
    MessageKind.CANCELLED: N_("Your registration is cancelled, as you asked. We hope to see you another time."),
    MessageKind.ALREADY_REGISTERED: N_("Someone (probably you) tried to sign up again with this address. You are "
                                       "already registered; here is the link to your registration."),
    MessageKind.REMINDER: N_("This is a reminder that the event is coming up. Your ticket is below."),
    MessageKind.EVENT_UPDATED: N_("The organisers changed the time or place of this event. The details below are "
                                  "the new ones; the attached calendar entry updates your calendar."),
    MessageKind.EVENT_CANCELLED: N_("We are sorry: this event has been cancelled. The attached calendar entry "
                                    "removes it from your calendar."),
    MessageKind.TEST: N_("This is a test of how this message looks."),
    MessageKind.CONSENT_CONFIRMATION: N_("When you signed up for the event below, you asked to hear about future "
                                         "events by email. Please confirm with the button below: until you do, we "
                                         "send you no such mail. If it was not you, ignore this message and nothing "
                                         "more will come."),
}

SMS_TEXTS = {
    MessageKind.CONFIRMATION: N_("You're registered for %(title)s. Ticket: %(url)s"),
    MessageKind.PENDING: N_("We received your sign-up for %(title)s: %(url)s"),
    MessageKind.WAITLISTED: N_("You're on the waiting list for %(title)s: %(url)s"),
    MessageKind.APPROVED: N_("Your place at %(title)s is confirmed. Ticket: %(url)s"),
    MessageKind.DECLINED: N_("Sorry, no place at %(title)s this time."),
    MessageKind.PROMOTED: N_("A seat opened up at %(title)s, you're in. Ticket: %(url)s"),
    MessageKind.CANCELLED: N_("Your registration for %(title)s is cancelled."),
    MessageKind.ALREADY_REGISTERED: N_("You're already registered for %(title)s: %(url)s"),
    MessageKind.REMINDER: N_("Reminder: %(title)s is coming up. Ticket: %(url)s"),
    MessageKind.EVENT_UPDATED: N_("%(title)s has changed time or place: %(url)s"),
    MessageKind.EVENT_CANCELLED: N_("%(title)s has been cancelled."),
    MessageKind.TEST: N_("Test message for %(title)s"),
}

PLACEHOLDERS = {
    "full_name": N_("The attendee's full name, as their language writes it: 王芳, Fang Wang"),
    "family_name": N_("The attendee's family name (王): 尊敬的{family_name}女士"),
    "given_name": N_("The attendee's given name (芳)"),
    "first_name": N_("The attendee's first name"),
    "last_name": N_("The attendee's last name"),
    "company": N_("The attendee's company"),
    "event_title": N_("The event's title"),
    "event_date": N_("The day of the event, in its time zone"),
    "event_time": N_("The start time, in the event's time zone"),
    "venue": N_("The venue's name and address"),
    "manage_url": N_("The link to see, change or cancel the registration"),
    "ticket_code": N_("The ticket's code (what the QR code holds)"),
}

def placeholder_values(registration, mailed: bool = False) -> dict:
    from eventapp.core.templating import local_date, local_time

    event = registration.event
    return {**name_placeholders(registration.first_name, registration.last_name),
            "company": registration.company,
            "event_title": event.title, "event_date": local_date(event.starts_at, event.timezone),
            "event_time": local_time(event.starts_at, event.timezone),
            "venue": ", ".join(part for part in (event.venue_name, event.venue_address) if part),
            "manage_url": manage_url(registration, mailed), "ticket_code": ticket_code(registration.ticket_secret)}


@functools.lru_cache(maxsize=256)
def _schedule(starts_at, ends_at, zone: str, locale: str) -> tuple[str, str]:
    """("Wednesday, 23 December 2026, 13:00 – 17:00", "Europe/Berlin, UTC+01:00") in the reader's language.
    Formatted once per event time and language: Babel's date formatting was a visible share of every mail."""
    from eventapp.core.templating import local_when, zone_label

    return local_when(starts_at, ends_at, zone), zone_label(zone, starts_at)


def _test_prefix(message, text: str, translations) -> str:
    return f"[{translations.gettext('Test')}] {text}" if message.kind == MessageKind.TEST else text


class RegistrationMessages(MessageContent):
    """The mails and SMS about one registration (`message.about`), or about the sample attendee for previews and
    test sends (see registration/samples.py)."""

    placeholders = PLACEHOLDERS

    def load(self, messages: list) -> None:
        ids = {message.registration_id for message in messages if message.registration_id is not None}
        registrations = {}
        if ids:
            registrations = {registration.id: registration for registration in db.session.execute(
                sa.select(Registration).where(Registration.id.in_(ids))
                .options(joinedload(Registration.event))).scalars()}
        for message in messages:
            if message.registration_id is not None:
                message.about = registrations[message.registration_id]
            elif message.kind == MessageKind.TEST:  # a test send: about the sample attendee
                from eventapp.registration.samples import sample_registration

                message.about = sample_registration(db.session.get(Event, message.event_id), message.recipient)

    def withdrawn(self, message) -> bool:
        # A reminder for someone who cancelled (or an event that did) since it was queued.
        registration = message.about
        return message.kind == MessageKind.REMINDER and (
            registration.status != RegistrationStatus.CONFIRMED or registration.event.status != EventStatus.PUBLISHED)

    def placeholder_values(self, message, mailed: bool) -> dict:
        return placeholder_values(message.about, mailed)

    def mail(self, message, translations, locale: str, wording: Wording | None) -> Mail:
        registration = message.about
        event = registration.event
        kind = MessageKind(message.meta.get("as_kind", message.kind))
        subject = wording.fill(wording.subject) if wording and wording.subject else \
            translations.gettext(SUBJECTS[kind]) % {"title": event.title}
        intro = wording.fill(wording.body) if wording and wording.body else translations.gettext(INTROS[kind])
        when, zone = _schedule(event.starts_at, event.ends_at, event.timezone, locale)
        with_ticket = kind in WITH_TICKET and registration.status == RegistrationStatus.CONFIRMED
        context = {"message": message, "registration": registration, "event": event, "locale": locale,
                   "intro": intro, "manage_url": manage_url(registration, mailed=True), "when": when, "zone": zone,
                   "where": ", ".join(part for part in (event.venue_name, event.venue_address) if part),
                   "with_ticket": with_ticket, "qr_cid": QR_CID if with_ticket else None}
        if kind == MessageKind.CONSENT_CONFIRMATION:  # the mail's one button confirms, instead of the manage link
            context["action_url"] = consent_url(message.meta["consent_record_id"])
            context["action_label"] = translations.gettext("Yes, email me about future events")
        calendar = None
        if kind in WITH_CANCEL or with_ticket:
            method = "CANCEL" if kind in WITH_CANCEL else "REQUEST"
            calendar = (calendar_for(registration, context["manage_url"], sequence=message.meta.get("sequence", 0),
                                     method=method), method)
        return Mail(subject=_test_prefix(message, subject, translations), template="emails/registration",
                    context=context, calendar=calendar,
                    inline_image=(ticket_png(registration.ticket_secret), QR_CID) if with_ticket else None)

    def sms(self, message, translations, wording: Wording | None) -> str:
        registration = message.about
        kind = MessageKind(message.meta.get("as_kind", message.kind))
        text = wording.fill(wording.sms_text) if wording and wording.sms_text else \
            translations.gettext(SMS_TEXTS[kind]) % {"title": registration.event.title,
                                                      "url": manage_url(registration)}
        return _test_prefix(message, text, translations)


register_content(SUBJECTS, RegistrationMessages())


# ---- when they are queued -------------------------------------------------------------------------------------

def channels_for(registration) -> list[str]:
    """Email always; SMS too when the event offers it and the person asked for it with a phone number."""
    wants_sms = registration.sms_opt_in and registration.event.sms_enabled and registration.phone
    return ["email", "sms"] if wants_sms else ["email"]


def recipient_of(registration) -> Recipient:
    """The address and phone given for the registration (not whatever the contact's profile holds now)."""
    return Recipient(email=registration.email, phone=registration.phone, name=registration.name,
                     contact_id=registration.contact_id)


def queue_for(registration, kind: MessageKind, *, channel: str, key: str, context: dict | None = None,
              due_at=None):
    """Queue one message of `kind` about `registration` to the person who signed up; None when already queued."""
    if registration.id is None or registration.contact_id is None:
        db.session.flush()  # the registration and contact need their ids
    return queue(kind, recipient_of(registration), organisation_id=registration.event.organisation_id, key=key,
                 channel=channel, context=context, due_at=due_at, event_id=registration.event_id,
                 registration_id=registration.id, language=language_of(registration))


def language_of(registration) -> str:
    """The person's language (their latest sign-up's) where the event offers it, else the event's first."""
    contact = registration.contact
    return reader_language(registration.event, contact.language if contact is not None else "")


def _tell(registration, kind: MessageKind, key: str | None = None, context: dict | None = None,
          channels: list[str] | None = None):
    if registration.id is None:
        db.session.flush()
    # Each state change is its own intent; the random part keeps a re-registration from reusing an old key.
    intent = key or f"reg:{registration.id}:{kind}:{secrets.token_hex(6)}"
    for channel in channels or channels_for(registration):
        queue_for(registration, kind, channel=channel, key=f"{intent}:{channel}", context=context)


def _registration(change) -> Registration:
    """The registration a signal names, from the session of the action (it is there already)."""
    return db.session.get(Registration, change.registration_id)


def _on_created(change: signals.RegistrationChange, **_):
    registration = _registration(change)
    _tell(registration, KIND_FOR_NEW_STATUS[change.status], context={"sequence": registration.event.calendar_sequence})


def _on_repeated(change: signals.RegistrationChange, **_):
    # The manage link goes again to the address's owner, by email only and at most once a day, whoever typed it:
    # never to a phone number, which whoever typed the address may have typed too.
    day = change.occurred_at.strftime("%Y-%m-%d")
    _tell(_registration(change), MessageKind.ALREADY_REGISTERED, key=f"reg:{change.registration_id}:already:{day}",
          channels=["email"])


def _on_cancelled(change: signals.RegistrationChange, **_):
    registration = _registration(change)
    _tell(registration, MessageKind.CANCELLED, context={"sequence": registration.event.calendar_sequence + 1})


def _on_promoted(change: signals.RegistrationChange, **_):
    registration = _registration(change)
    _tell(registration, MessageKind.PROMOTED, context={"sequence": registration.event.calendar_sequence})


def _on_approved(change: signals.RegistrationChange, **_):
    registration = _registration(change)
    _tell(registration, MessageKind.APPROVED, context={"sequence": registration.event.calendar_sequence})


def _on_declined(change: signals.RegistrationChange, **_):
    _tell(_registration(change), MessageKind.DECLINED)


def _tell_everyone(event, kind: MessageKind):
    """One message per active registration; the key names the calendar version, so a second save of the
    same change, or a retry, queues nothing new."""
    registrations = db.session.execute(
        sa.select(Registration).where(Registration.event_id == event.id,
                                      Registration.status.in_(ACTIVE_STATUSES))).scalars()
    for registration in registrations:
        _tell(registration, kind, key=f"event:{event.id}:seq:{event.calendar_sequence}:{kind}:reg:{registration.id}",
              context={"sequence": event.calendar_sequence})


def _on_rescheduled(change: signals.EventChange, **_):
    _tell_everyone(db.session.get(Event, change.event_id), MessageKind.EVENT_UPDATED)


def _on_event_cancelled(change: signals.EventChange, **_):
    # Also when it was unpublished first: whoever still holds a registration is told (a draft never published
    # has nobody to tell).
    _tell_everyone(db.session.get(Event, change.event_id), MessageKind.EVENT_CANCELLED)


def _on_consent_requested(change: signals.ConsentChange, **_):
    # Double opt-in: the address's owner is asked, by email only, once per ticked box.
    _tell(_registration(change), MessageKind.CONSENT_CONFIRMATION, key=f"consent:{change.record_id}",
          channels=["email"], context={"consent_record_id": change.record_id})


def connect() -> None:
    """Connect the subscribers that queue the mails (connecting again changes nothing). Blinker calls one signal's
    receivers in no fixed order (a set of ids), so whether leads writes the action or the message about it first is
    not defined: nothing may rely on it."""
    for signal, receiver in (
        (signals.registration_created, _on_created),
        (signals.registration_repeated, _on_repeated),
        (signals.registration_cancelled, _on_cancelled),
        (signals.registration_promoted, _on_promoted),
        (signals.registration_approved, _on_approved),
        (signals.registration_declined, _on_declined),
        (signals.event_rescheduled, _on_rescheduled),
        (signals.event_cancelled, _on_event_cancelled),
        (signals.consent_requested, _on_consent_requested),
    ):
        signal.connect(receiver)
