"""The made-up attendee that previews and test sends are filled in with: an organiser sees how a message reads,
ticket and calendar entry included, without anyone's registration being read, mailed or put on a timeline."""
from eventapp.contacts.models import Contact
from eventapp.events.operations import reader_language
from eventapp.messaging.compose import compose, compose_sms
from eventapp.messaging.models import Message
from eventapp.messaging.sms import sms_segments
from eventapp.registration.models import Registration, RegistrationStatus
from eventapp.registration.notifications import WITH_TICKET
from eventapp.registration.tickets import ticket_svg

SAMPLE_PERSON = {"first_name": "Alex", "last_name": "Example", "company": "Example Ltd",
                 "job_title": "Head of Marketing", "phone": "+447700900123"}  # Ofcom's range for drama: no one's
# Real manage tokens are 32 URL-safe characters and real ticket codes 32 lower-case letters and digits, so these
# two can never be anyone's: the sample's manage link is a 404 and its QR code is refused at the door.
SAMPLE_MANAGE_TOKEN = "sample-preview"
SAMPLE_TICKET_CODE = "SAMPLE-TICKET-CODE"


def sample_registration(event, email: str) -> Registration:
    """A confirmed registration of the sample person at `event`, with `email` as their address (the organiser's
    own for a test send). Transient: never added to the session, so never saved."""
    contact = Contact(organisation_id=event.organisation_id, email=email, email_key=email.lower(), **SAMPLE_PERSON)
    return Registration(event=event, event_id=event.id, contact=contact, status=RegistrationStatus.CONFIRMED,
                        manage_token=SAMPLE_MANAGE_TOKEN, ticket_secret=SAMPLE_TICKET_CODE, answers={},
                        channel="web", sms_opt_in=False, email=email, **SAMPLE_PERSON)


def preview(event, kind: str, email: str) -> dict:
    """How a message of `kind` at `event` reads, by email and by SMS, filled in for the sample attendee."""
    message = _sample_message(event, kind, email)
    mail = compose(message)
    return {"subject": mail.subject, "text": mail.text, **_sms_of(message),
            "qr_svg": ticket_svg(SAMPLE_TICKET_CODE) if kind in WITH_TICKET else None}


def sms_preview(event, kind: str, email: str) -> dict:
    """The SMS alone (text, encoding, segments, length), for pages that show its size before it is sent."""
    return _sms_of(_sample_message(event, kind, email))


def _sample_message(event, kind: str, email: str) -> Message:
    registration = sample_registration(event, email)
    message = Message(kind=kind, channel="email", event_id=event.id, recipient=email, recipient_name=registration.name,
                      idempotency_key="preview", meta={},  # transient, like the registration: never saved
                      language=reader_language(event, ""))  # as most attendees read it: the event's first language
    message.about = registration
    return message


def _sms_of(message) -> dict:
    sms = compose_sms(message)
    encoding, parts = sms_segments(sms)
    return {"sms": sms, "sms_encoding": encoding, "sms_segments": parts, "sms_length": len(sms)}
