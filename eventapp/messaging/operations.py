"""The outbox: queue in the action's transaction, deliver after commit, exactly once per idempotency key."""
import random
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from eventapp import signals
from eventapp.core.time import utcnow
from eventapp.extensions import db
from eventapp.messaging.email import PermanentError, TransientError
from eventapp.messaging.models import Message, MessageKind, MessageStatus

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=2)


def queue_message(kind: MessageKind, registration, *, channel: str = "email", key: str | None = None,
                  due_at=None, meta: dict | None = None, recipient: str | None = None) -> Message | None:
    """Add an outbox row unless one with the same idempotency key exists; returns the new row or None."""
    contact = registration.contact
    recipient = recipient or (contact.email if channel == "email" else contact.phone)
    if not recipient:
        return None
    if registration.id is None or contact.id is None:
        db.session.flush()  # the registration and contact need their ids
    key = key or f"reg:{registration.id}:{kind}:{channel}"
    new_id = db.session.execute(_insert_unless_queued(db.session.get_bind().dialect.name), {
        "organisation_id": contact.organisation_id, "contact_id": contact.id, "registration_id": registration.id,
        "event_id": registration.event_id, "channel": channel, "kind": kind, "recipient": recipient,
        "idempotency_key": key, "status": MessageStatus.QUEUED, "due_at": due_at or utcnow(), "attempts": 0,
        "last_error": "", "provider_id": "", "subject": "", "body_text": "", "meta": meta or {},
        "created_at": utcnow()}).scalar_one_or_none()
    if new_id is None:
        return None
    db.session.info.setdefault("outbox", []).append(new_id)  # handed to the queue after commit
    # What subscribers need, without reading back the row just written (it is not added to the session).
    message = Message(id=new_id, organisation_id=contact.organisation_id, contact=contact, event=registration.event,
                      registration=registration, channel=channel, kind=kind, recipient=recipient,
                      idempotency_key=key, meta=meta or {})
    signals.message_queued.send(message)
    return message


_INSERTS: dict = {}


def _insert_unless_queued(dialect: str):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: two requests queueing the same intent at once get one row and
    no error. Built once per dialect, so each call only binds values (building it per call was measurable)."""
    if dialect not in _INSERTS:
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        _INSERTS[dialect] = (insert(Message.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"])
                             .returning(Message.__table__.c.id))
    return _INSERTS[dialect]


def backoff(attempts: int) -> timedelta:
    """Exponential with ±25 % jitter, so a recovering server is not hit by every retry at once."""
    delay = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    return delay * random.uniform(0.75, 1.25)


def lease() -> timedelta:
    """How long a claim holds: a worker that died mid-send gives its message back after this."""
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def claim(message_id: int) -> bool:
    """Take the row for this worker with one conditional UPDATE; False when another worker has it or it is done."""
    now = utcnow()
    result = db.session.execute(
        sa.update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.QUEUED, Message.due_at <= now)
        .values(status=MessageStatus.SENDING, locked_until=now + lease(), attempts=Message.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def deliver(message_id: int) -> str | None:
    """Send one due message if this worker can claim it; returns its final status, or None when not claimed."""
    if not claim(message_id):
        return None
    message = db.session.get(Message, message_id)  # claim() committed, so this is read fresh
    if message.kind == MessageKind.REMINDER and message.registration.status != "confirmed":
        message.status = MessageStatus.CANCELLED  # cancelled (or moved off the list) since it was queued
        message.locked_until = None
        db.session.commit()
        return message.status
    backend = current_app.extensions["message_backends"][message.channel]
    reason = backend.refusal(message)
    if reason:
        message.status = MessageStatus.SUPPRESSED
        message.last_error = reason
        signals.message_failed.send(message, permanent=True)
        db.session.commit()
        return message.status
    try:
        message.provider_id = backend.send(message) or ""
    except PermanentError as error:
        message.status = MessageStatus.FAILED
        message.last_error = str(error)[:2000]
        signals.message_failed.send(message, permanent=True)
    except TransientError as error:
        message.last_error = str(error)[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = MessageStatus.FAILED
            signals.message_failed.send(message, permanent=False)
        else:
            message.status = MessageStatus.QUEUED
            message.due_at = utcnow() + backoff(message.attempts)
    else:
        message.status = MessageStatus.SENT
        message.sent_at = utcnow()
        message.last_error = ""
        signals.message_sent.send(message)
    message.locked_until = None
    db.session.commit()
    return message.status


def release_stale_claims() -> int:
    """Rows whose worker died mid-send go back to the queue. They keep their Message-ID, so a resend is the
    same message to every system that deduplicates on it."""
    result = db.session.execute(
        sa.update(Message).where(Message.status == MessageStatus.SENDING, Message.locked_until < utcnow())
        .values(status=MessageStatus.QUEUED, locked_until=None).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount


def due_message_ids(limit: int = 500) -> list[int]:
    return list(db.session.execute(
        sa.select(Message.id).where(Message.status == MessageStatus.QUEUED, Message.due_at <= utcnow())
        .order_by(Message.due_at, Message.id).limit(limit)).scalars())


def deliver_due(limit: int = 500) -> int:
    """Deliver everything due now in this process (the sweep, tests and the CLI use it)."""
    release_stale_claims()
    delivered = 0
    for message_id in due_message_ids(limit):
        if deliver(message_id) is not None:
            delivered += 1
    return delivered


def sweep() -> int:
    """Every minute: queue due reminders, take back dead workers' claims, deliver what is due."""
    from eventapp.checkin.operations import record_no_shows
    from eventapp.messaging.reminders import queue_due_reminders

    queue_due_reminders()
    db.session.commit()
    record_no_shows()
    return deliver_due()


def retry(message: Message) -> None:
    """An organiser asks to try a failed message again."""
    if message.status != MessageStatus.FAILED:
        raise ValueError("only failed messages can be retried")
    message.status = MessageStatus.QUEUED
    message.due_at = utcnow()
    message.attempts = 0
    signals.message_queued.send(message)
