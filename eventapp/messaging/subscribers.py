"""Every registration state change queues the message that tells the person (in the same transaction)."""
import secrets

from eventapp import signals
from eventapp.core.time import utcnow
from eventapp.messaging.models import MessageKind
from eventapp.messaging.operations import queue_message

KIND_FOR_NEW_STATUS = {"confirmed": MessageKind.CONFIRMATION, "pending": MessageKind.PENDING,
                       "waitlisted": MessageKind.WAITLISTED}


def _tell(registration, kind: MessageKind, key: str | None = None, meta: dict | None = None):
    # Each state change is its own intent; the random part keeps a re-registration from reusing an old key.
    key = key or f"reg:{registration.id}:{kind}:email:{secrets.token_hex(6)}"
    queue_message(kind, registration, channel="email", key=key, meta=meta)


@signals.registration_created.connect
def _on_created(registration, **_):
    _tell(registration, KIND_FOR_NEW_STATUS[registration.status],
          meta={"sequence": registration.event.calendar_sequence})


@signals.registration_repeated.connect
def _on_repeated(registration, **_):
    # The manage link goes again to the address's owner, at most once a day, whoever typed it.
    day = utcnow().strftime("%Y-%m-%d")
    _tell(registration, MessageKind.ALREADY_REGISTERED, key=f"reg:{registration.id}:already:email:{day}")


@signals.registration_cancelled.connect
def _on_cancelled(registration, **_):
    _tell(registration, MessageKind.CANCELLED, meta={"sequence": registration.event.calendar_sequence + 1})


@signals.registration_promoted.connect
def _on_promoted(registration, **_):
    _tell(registration, MessageKind.PROMOTED, meta={"sequence": registration.event.calendar_sequence})
