"""Every registration state change queues the message that tells the person (in the same transaction)."""
import secrets

import sqlalchemy as sa

from eventapp import signals
from eventapp.core.time import utcnow
from eventapp.messaging.models import MessageKind
from eventapp.extensions import db
from eventapp.messaging.operations import queue_message
from eventapp.registration.models import Registration, RegistrationStatus

ACTIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED)

KIND_FOR_NEW_STATUS = {"confirmed": MessageKind.CONFIRMATION, "pending": MessageKind.PENDING,
                       "waitlisted": MessageKind.WAITLISTED}


def channels_for(registration) -> list[str]:
    """Email always; SMS too when the event offers it and the person asked for it with a phone number."""
    wants_sms = registration.sms_opt_in and registration.event.sms_enabled and registration.phone
    return ["email", "sms"] if wants_sms else ["email"]


def _tell(registration, kind: MessageKind, key: str | None = None, meta: dict | None = None,
          channels: list[str] | None = None):
    # Each state change is its own intent; the random part keeps a re-registration from reusing an old key.
    intent = key or f"reg:{registration.id}:{kind}:{secrets.token_hex(6)}"
    for channel in channels or channels_for(registration):
        queue_message(kind, registration, channel=channel, key=f"{intent}:{channel}", meta=meta)


@signals.registration_created.connect
def _on_created(registration, **_):
    _tell(registration, KIND_FOR_NEW_STATUS[registration.status],
          meta={"sequence": registration.event.calendar_sequence})


@signals.registration_repeated.connect
def _on_repeated(registration, **_):
    # The manage link goes again to the address's owner, by email only and at most once a day, whoever typed it:
    # never to a phone number, which whoever typed the address may have typed too.
    day = utcnow().strftime("%Y-%m-%d")
    _tell(registration, MessageKind.ALREADY_REGISTERED, key=f"reg:{registration.id}:already:{day}",
          channels=["email"])


@signals.registration_cancelled.connect
def _on_cancelled(registration, **_):
    _tell(registration, MessageKind.CANCELLED, meta={"sequence": registration.event.calendar_sequence + 1})


@signals.registration_promoted.connect
def _on_promoted(registration, **_):
    _tell(registration, MessageKind.PROMOTED, meta={"sequence": registration.event.calendar_sequence})


@signals.registration_approved.connect
def _on_approved(registration, **_):
    _tell(registration, MessageKind.APPROVED, meta={"sequence": registration.event.calendar_sequence})


@signals.registration_declined.connect
def _on_declined(registration, **_):
    _tell(registration, MessageKind.DECLINED)


def _tell_everyone(event, kind: MessageKind):
    """One message per active registration; the key names the calendar version, so a second save of the
    same change, or a retry, queues nothing new."""
    registrations = db.session.execute(
        sa.select(Registration).where(Registration.event_id == event.id,
                                      Registration.status.in_(ACTIVE_STATUSES))).scalars()
    for registration in registrations:
        _tell(registration, kind, key=f"event:{event.id}:seq:{event.calendar_sequence}:{kind}:reg:{registration.id}",
              meta={"sequence": event.calendar_sequence})


@signals.event_rescheduled.connect
def _on_rescheduled(event, **_):
    _tell_everyone(event, MessageKind.EVENT_UPDATED)


@signals.event_status_changed.connect
def _on_status_changed(event, old_status, **_):
    # Also when it was unpublished first: whoever still holds a registration is told (a draft never published
    # has nobody to tell).
    if event.status == "cancelled":
        _tell_everyone(event, MessageKind.EVENT_CANCELLED)


@signals.consent_requested.connect
def _on_consent_requested(contact, record, registration, **_):
    # Double opt-in: the address's owner is asked, by email only, once per ticked box.
    _tell(registration, MessageKind.CONSENT_CONFIRMATION, key=f"consent:{record.id}", channels=["email"],
          meta={"consent_record_id": record.id})
