"""The outbox: queue in the action's transaction, deliver after commit, exactly once per idempotency key."""
import functools
import logging
import random
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from eventapp import signals
from eventapp.accounts.models import Organisation, User
from eventapp.contacts.models import Contact
from eventapp.core.i18n import DEFAULT_LANGUAGE, normalise_language
from eventapp.core.time import utcnow
from eventapp.extensions import db
from eventapp.messaging.content import content_for, load_about, spoken_kind
from eventapp.messaging.email import PermanentError, TransientError
from eventapp.messaging.models import Message, MessageKind, MessageStatus, message_change
from eventapp.messaging.sms import apply_early_statuses, forget_early_statuses
from eventapp.messaging.unsubscribe import suppress_bounced

MAX_ATTEMPTS = 8
# Messages one worker claims at once: one UPDATE and one SELECT for all of them instead of one per message, and
# small enough that several workers share a backlog.
BATCH_SIZE = 20
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=2)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to: a contact, a user of the app, or a bare address (then neither id). `email` is for
    the email channel, `phone` (E.164) for SMS; `name` is shown in the mail's To: line."""
    email: str = ""
    phone: str = ""
    name: str = ""
    contact_id: int | None = None
    user_id: int | None = None

    def address(self, channel: str) -> str:
        return self.email if channel == "email" else self.phone


def queue(kind: str, recipient: Recipient, *, organisation_id: int, key: str, channel: str = "email",
          due_at=None, context: dict | None = None, event_id: int | None = None,
          registration_id: int | None = None, language: str = "") -> Message | None:
    """Add an outbox row unless one with the same idempotency key exists; returns the new row (not in the session)
    or None (already queued, or the recipient has no address on this channel). What the message says is written
    when it is delivered, by the content its feature registered for `kind` (see messaging.content), from
    `context` (small values kept on the row) and what the row refers to (`event_id`, `registration_id`), in
    `language`: the feature's choice for the reader (an attendee's: theirs where the event offers it), else the
    recipient's own (see reader_language)."""
    meta = context or {}
    content_for(meta.get("as_kind", kind))  # a kind no feature writes is a bug: refused now, not at delivery
    address = recipient.address(channel)
    if not address:
        return None
    language = normalise_language(language) or reader_language(recipient, organisation_id)
    new_id = _queue_row({
        "organisation_id": organisation_id, "contact_id": recipient.contact_id, "user_id": recipient.user_id,
        "registration_id": registration_id, "event_id": event_id, "channel": channel, "kind": kind,
        "recipient": address, "recipient_name": recipient.name[:200], "idempotency_key": key,
        "status": MessageStatus.QUEUED, "due_at": due_at or utcnow(), "attempts": 0, "last_error": "",
        "provider_id": "", "subject": "", "body_text": "", "meta": meta, "created_at": utcnow(),
        "language": language})
    if new_id is None:
        return None
    db.session.info.setdefault("outbox", []).append(new_id)  # handed to the queue after commit
    # What subscribers need, without reading back the row just written (it is not added to the session).
    message = Message(id=new_id, organisation_id=organisation_id, contact_id=recipient.contact_id,
                      user_id=recipient.user_id, registration_id=registration_id, event_id=event_id,
                      channel=channel, kind=kind, recipient=address, recipient_name=recipient.name,
                      idempotency_key=key, meta=meta, language=language)
    if recipient.contact_id is not None:  # a message to a contact is on their timeline
        signals.message_queued.send(message_change(message))
    return message


def reader_language(recipient: Recipient, organisation_id: int) -> str:
    """The language a message is in when its feature names none: a user's own (else their organisation's), a
    contact's known one, else the organisation's."""
    own = ""
    if recipient.user_id is not None:
        own = getattr(db.session.get(User, recipient.user_id), "language", "")
    elif recipient.contact_id is not None:
        own = getattr(db.session.get(Contact, recipient.contact_id), "language", "")
    return own or getattr(db.session.get(Organisation, organisation_id), "language", "") or DEFAULT_LANGUAGE


def queue_test(organisation_id: int, event_id: int | None, as_kind: str, recipient: Recipient,
               context: dict | None = None) -> Message | None:
    """A test of how `as_kind` reads, to `recipient` (an organiser): filled in with a made-up person when it is
    composed (its feature's content does that), tied to no contact, and so no one's activity."""
    return queue(MessageKind.TEST, Recipient(email=recipient.email, name=recipient.name, user_id=recipient.user_id),
                 organisation_id=organisation_id, event_id=event_id,
                 key=f"test:{event_id}:{as_kind}:{secrets.token_hex(8)}", context={**(context or {}), "as_kind": as_kind})


def _queue_row(values: dict) -> int | None:
    """The new outbox row's id, or None when a row with its idempotency key exists: two requests queueing the same
    intent at once get one row and no error."""
    statement = _insert_unless_queued(db.session.get_bind().dialect.name)
    return db.session.connection().execute(statement, values).scalar()


@functools.cache
def _insert_unless_queued(dialect: str):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, built once per dialect, so each call only binds values
    (building it per call was measurable)."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return (insert(Message.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(Message.__table__.c.id))


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


def claim_due(limit: int) -> list[int]:
    """Take up to `limit` due rows for this worker with one UPDATE … RETURNING; two workers never get the same
    row (SQLite runs the statement under its write lock; on PostgreSQL the rows another worker is claiming are
    skipped, not waited for)."""
    now = utcnow()
    claimed = sorted(db.session.execute(_CLAIM_DUE, {"now": now, "limit": limit, "locked_until": now + lease()})
                     .scalars())
    db.session.commit()
    return claimed


# Built once, so a claim only binds its values (building these statements cost as much as running them).
# A materialised CTE, not a subquery in the WHERE: PostgreSQL may run such a subquery again for each row it
# updates, and with LIMIT … SKIP LOCKED each run can pick other rows (a claim of 20 took 25 in a test).
_DUE = (sa.select(Message.id).where(Message.status == MessageStatus.QUEUED, Message.due_at <= sa.bindparam("now"))
        .order_by(Message.due_at, Message.id).limit(sa.bindparam("limit", type_=sa.Integer))
        .with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED"))
_CLAIM_DUE = (sa.update(Message)
              .where(Message.id.in_(sa.select(_DUE.c.id)), Message.status == MessageStatus.QUEUED)
              .values(status=MessageStatus.SENDING, locked_until=sa.bindparam("locked_until"),
                      attempts=Message.attempts + 1)
              .returning(Message.id).execution_options(synchronize_session=False))
_ANYTHING_DUE = (sa.select(Message.id).where(Message.status == MessageStatus.QUEUED,
                                             Message.due_at <= sa.bindparam("now")).limit(1))


def anything_due() -> bool:
    """A read, so an idle worker's check takes no write lock."""
    return db.session.execute(_ANYTHING_DUE, {"now": utcnow()}).first() is not None


def deliver(message_id: int) -> str | None:
    """Send one due message if this worker can claim it; returns its final status, or None when not claimed."""
    if not claim(message_id):
        return None
    [message] = _load_claimed([message_id])
    return _deliver_claimed(message)


def deliver_batch(limit: int = BATCH_SIZE, on_full_batch=None) -> int:
    """Claim up to `limit` due messages at once and send them one after the other; returns how many were
    claimed and settled. Each message's outcome is committed as soon as it is known, so a worker killed mid-batch
    resends at most the message that was on the wire; the rest of its claim comes back when the lease runs out.
    `on_full_batch` is called when the claim took all it asked for (more is probably due)."""
    message_ids = claim_due(limit)
    if not message_ids:
        return 0
    if on_full_batch is not None and len(message_ids) == limit:
        on_full_batch()
    messages = _load_claimed(message_ids)
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    # Stop well inside the lease: after it, another worker may take the rest of this claim back and send it.
    stop_at = time.monotonic() + lease().total_seconds() / 2
    known_templates = {}  # the organiser's wording per event and kind, looked up once per batch
    settled = 0
    try:
        for message in messages:
            if time.monotonic() > stop_at:
                _give_back([m.id for m in messages[settled:]])
                break
            _deliver_claimed(message, known_templates)
            settled += 1
    finally:
        session.expire_on_commit = expire_on_commit
    return settled


def _load_claimed(message_ids: list[int]) -> list[Message]:
    """The claimed rows in one SELECT, and what each is about loaded by its feature. They are detached from the
    session: a worker writes each outcome with one UPDATE of its own (see _write_outcome), and an attached object
    that had been changed would cost a unit-of-work flush at every commit even with nothing left to write."""
    messages = db.session.execute(
        sa.select(Message).where(Message.id.in_(message_ids)).order_by(Message.due_at, Message.id)
        .execution_options(populate_existing=True)).scalars().all()  # claim_due() changed them under the ORM
    load_about(messages)
    for message in messages:
        db.session.expunge(message)
    return messages


def _give_back(message_ids: list[int]) -> None:
    """Claimed but not tried: back to the queue as they were, unless the lease already ran out and someone else
    has them (then their status or lease differs)."""
    db.session.execute(
        sa.update(Message).where(Message.id.in_(message_ids), Message.status == MessageStatus.SENDING,
                                 Message.locked_until > utcnow())
        .values(status=MessageStatus.QUEUED, locked_until=None, attempts=Message.attempts - 1)
        .execution_options(synchronize_session=False))
    db.session.commit()


def _deliver_claimed(message: Message, known_templates: dict | None = None) -> str:
    """Send a message this worker holds the claim on, and record the outcome in one commit."""
    told = None  # the signal that tells the rest of the app what happened, with its arguments
    if content_for(spoken_kind(message)).withdrawn(message):
        message.status = MessageStatus.CANCELLED  # e.g. the person or the event cancelled since it was queued
    elif reason := (backend := current_app.extensions["message_backends"][message.channel]).refusal(message):
        message.status = MessageStatus.SUPPRESSED
        message.last_error = reason
        told = signals.message_failed, {"permanent": True}
    else:
        try:
            prepared = backend.prepare(message, known_templates)
        except Exception as error:  # noqa: BLE001  (a bug composing one message must not stall a whole batch)
            log.exception("message %s could not be composed", message.id)
            told = _retry_later(message, f"{type(error).__name__}: {error}")
        else:
            # From handing the message over to committing that it went, one message per process at a time: a
            # worker killed at any moment has sent at most one message it has not recorded (which goes again,
            # with the same Message-ID). Composing, the CPU work, stays outside, so threads still overlap.
            with _SENDING:
                status = _send_and_record(backend, message, prepared)
            if status == MessageStatus.SENT and message.channel == "sms" and message.provider_id:
                # Twilio may have called back before the SID was recorded; looked for after the send's turn
                apply_early_statuses(message.provider_id)
            return status
    return _record(message, told)


_SENDING = threading.Lock()


def _send_and_record(backend, message: Message, prepared) -> str:
    try:
        message.provider_id = backend.send(message, prepared=prepared) or ""
    except PermanentError as error:
        message.status = MessageStatus.FAILED
        message.last_error = str(error)[:2000]
        bounced = error.bounce_code is not None and message.channel == "email"
        if bounced:  # the address itself was refused: no more marketing mail goes to it
            suppress_bounced(message, error.bounce_code)
        told = signals.message_failed, {"permanent": True, "bounced": bounced}
    except TransientError as error:
        told = _retry_later(message, str(error))
    except Exception as error:  # noqa: BLE001  (one message's failure must not stall a whole batch)
        log.exception("message %s could not be sent", message.id)
        told = _retry_later(message, f"{type(error).__name__}: {error}")
    else:
        message.status = MessageStatus.SENT
        message.sent_at = utcnow()
        message.last_error = ""
        told = signals.message_sent, {}
    return _record(message, told)


def _record(message: Message, told) -> str:
    message.locked_until = None
    _write_outcome(message)
    if told is not None and message.contact_id is not None:  # a test send to an organiser is no one's activity
        signal, arguments = told
        signal.send(message_change(message, **arguments))
    db.session.commit()
    return message.status


def _retry_later(message: Message, error: str):
    message.last_error = error[:2000]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = MessageStatus.FAILED
        return signals.message_failed, {"permanent": False}
    message.status = MessageStatus.QUEUED
    message.due_at = utcnow() + backoff(message.attempts)
    return None


# What delivering a message may change on its row (the backends fill in the provider id, subject, text, raw mail).
_OUTCOME = ("status", "locked_until", "due_at", "sent_at", "last_error", "provider_id", "subject", "body_text", "raw")
_WRITE_OUTCOME = (sa.update(Message.__table__).where(Message.__table__.c.id == sa.bindparam("message_id"))
                  .values({name: sa.bindparam(name) for name in _OUTCOME}))


def _write_outcome(message: Message) -> None:
    """One prepared UPDATE of the (detached) row's outcome: the ORM's flush of this one row cost a third as much
    as composing the whole mail."""
    values = {name: getattr(message, name) for name in _OUTCOME}
    db.session.execute(_WRITE_OUTCOME, {"message_id": message.id, **values})


def release_stale_claims() -> int:
    """Rows whose worker died mid-send go back to the queue. They keep their Message-ID, so a resend is the
    same message to every system that deduplicates on it."""
    result = db.session.execute(
        sa.update(Message).where(Message.status == MessageStatus.SENDING, Message.locked_until < utcnow())
        .values(status=MessageStatus.QUEUED, locked_until=None).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount


def deliver_due(limit: int = 500) -> int:
    """Deliver everything due now in this process, a batch at a time (the sweep, tests and the CLI use it)."""
    release_stale_claims()
    return deliver_waiting(limit)


def deliver_waiting(limit: int, on_full_batch=None) -> int:
    """What a queue task does: batches until nothing is due or `limit` messages are settled, so one task does not
    hold its worker thread for ever while messages keep coming (the other tasks in the queue continue)."""
    delivered = 0
    while delivered < limit and anything_due():
        settled = deliver_batch(min(BATCH_SIZE, limit - delivered), on_full_batch)
        if not settled:
            break  # another worker took what was due
        delivered += settled
    return delivered


# What else runs every minute: the features register it at import (reminders, no-shows), so the sweep knows
# none of them.
_PERIODIC: list = []


def every_sweep(function):
    """Register `function()` to run at each sweep, before the outbox is delivered (a decorator)."""
    if function not in _PERIODIC:
        _PERIODIC.append(function)
    return function


def sweep() -> int:
    """Every minute: the features' periodic work (which may queue messages, e.g. due reminders), take back dead
    workers' claims, deliver what is due. One feature's failure does not stop the others or the delivery."""
    for function in _PERIODIC:
        try:
            function()
            db.session.commit()
        except Exception:  # noqa: BLE001  (a bug in one periodic job must not stop mail delivery)
            db.session.rollback()
            log.exception("periodic job %s failed", function.__qualname__)
    forget_early_statuses(older_than=utcnow() - timedelta(days=1))
    return deliver_due()


def retry(message: Message) -> None:
    """An organiser asks to try a failed message again."""
    if not message.can_retry:
        raise ValueError("only failed messages can be retried")
    message.status = MessageStatus.QUEUED
    message.due_at = utcnow()
    message.attempts = 0
    if message.contact_id is not None:
        signals.message_queued.send(message_change(message))
