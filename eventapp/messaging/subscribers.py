"""Every registration state change queues the message that tells the person (in the same transaction)."""
import secrets

from eventapp import signals
from eventapp.core.time import utcnow
from eventapp.messaging.models import MessageKind
from eventapp.messaging.operations import queue_message

KIND_FOR_NEW_STATUS = {"confirmed": MessageKind.CONFIRMATION, "pending": MessageKind.PENDING,
                       "waitlisted": MessageKind.WAITLISTED}


def channels_for(registration) -> list[str]:
    """Email always; SMS too when the event offers it and the person asked for it with a phone number."""
    wants_sms = registration.sms_opt_in and registration.event.sms_enabled and registration.contact.phone
    return ["email", "sms"] if wants_sms else ["email"]


def _tell(registration, kind: MessageKind, key: str | None = None, meta: dict | None = None):
    # Each state change is its own intent; the random part keeps a re-registration from reusing an old key.
    intent = key or f"reg:{registration.id}:{kind}:{secrets.token_hex(6)}"
    for channel in channels_for(registration):
        queue_message(kind, registration, channel=channel, key=f"{intent}:{channel}", meta=meta)


@signals.registration_created.connect
def _on_created(registration, **_):
    _tell(registration, KIND_FOR_NEW_STATUS[registration.status],
          meta={"sequence": registration.event.calendar_sequence})


@signals.registration_repeated.connect
def _on_repeated(registration, **_):
    # The manage link goes again to the address's owner, at most once a day, whoever typed it.
    day = utcnow().strftime("%Y-%m-%d")
    _tell(registration, MessageKind.ALREADY_REGISTERED, key=f"reg:{registration.id}:already:{day}")


@signals.registration_cancelled.connect
def _on_cancelled(registration, **_):
    _tell(registration, MessageKind.CANCELLED, meta={"sequence": registration.event.calendar_sequence + 1})


@signals.registration_promoted.connect
def _on_promoted(registration, **_):
    _tell(registration, MessageKind.PROMOTED, meta={"sequence": registration.event.calendar_sequence})
