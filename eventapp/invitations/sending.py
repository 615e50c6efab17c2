"""How invitations are sent: who a send goes to, one Invitation per person written when it starts, and their mails
put in the outbox at the send's rate by the minute sweep. A crash or a restart loses nothing and doubles nothing:
the invitations still without a due time are queued by the next sweep, and each mail's idempotency key
(invitation:<id>) keeps its outbox row unique. What an invitation says is content.py's (helper of the same package).
"""
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from eventapp import signals
from eventapp.contacts import operations as contacts
from eventapp.contacts.models import Contact, Suppression, SuppressionChannel
from eventapp.contacts.names import person_name
from eventapp.contacts.normalisation import Email, InvalidInput, normalise_email
from eventapp.core.time import utcnow
from eventapp.core.tokens import url_token
from eventapp.events.models import Event
from eventapp.events.operations import reader_language
from eventapp.extensions import db
from eventapp.invitations.models import Invitation, InvitationSend, InvitationStatus, SendStatus
from eventapp.messaging.content import written_language
from eventapp.messaging.models import Message, MessageKind, MessageStatus
from eventapp.messaging.operations import Recipient, every_sweep, queue, queue_test
from eventapp.registration.operations import closed_reason

log = logging.getLogger(__name__)

MAX_PASTED = 5000  # addresses in one paste; a larger list is an import (contacts), then a segment
MAX_PASTE_CHARACTERS = 400_000
# How far ahead of their due time mails are put in the outbox: more than the sweep's minute, so a late sweep leaves
# no gap in the send, and little enough that an unsubscribe or a cancel still finds most of them unqueued.
LOOKAHEAD = timedelta(minutes=2)
MAX_QUEUED_AT_ONCE = 5000  # per send and transaction
ORIGIN = "invitation"  # a contact first known from a pasted address of an invitation send

_SEPARATORS = re.compile(r"[\n,;]+")


class SendRefused(Exception):
    """The sentence that tells the organiser why the send cannot do that now."""


class AlreadyStarted(SendRefused):
    """Another request or sweep started the send first."""


# ---- who it goes to --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BadAddress:
    given: str
    reason: str


@dataclass
class Pasted:
    """Pasted addresses, read: the good ones once each (two spellings of one mailbox count once), the bad with why."""
    emails: list[Email] = field(default_factory=list)
    bad: list[BadAddress] = field(default_factory=list)
    repeated: int = 0


def read_pasted(text: str) -> Pasted:
    """One address a line, or separated by commas or semicolons; "Name <address>" takes the address."""
    pasted, seen = Pasted(), set()
    for given in (item.strip() for item in _SEPARATORS.split(text or "")):
        if not given:
            continue
        address = given[given.rfind("<") + 1:given.rfind(">")] if given.endswith(">") and "<" in given else given
        try:
            email = normalise_email(address)
        except InvalidInput as error:
            pasted.bad.append(BadAddress(given[:200], str(error)))
            continue
        if email.key in seen:
            pasted.repeated += 1
            continue
        seen.add(email.key)
        pasted.emails.append(email)
    return pasted


@dataclass
class Audience:
    """The contacts a send goes to, and how many were left out by reason (LEFT_OUT_REASONS names them)."""
    contact_ids: list[int]
    left_out: dict[str, int]


def audience_of(send: InvitationSend) -> Audience:
    """Who the send goes to, as of now: a segment's members who may get marketing mail, or the pasted addresses
    (each a contact of the organisation, made if new) that are not on the suppression list."""
    if send.segment_id is not None:
        from eventapp.invitations import segments  # helper 2's saved segments

        found = segments.audience(send.segment, marketing=True)
        return Audience(list(found.contact_ids), {reason: count for reason, count in found.left_out.items() if count})
    return _pasted_audience(send)


def _pasted_audience(send: InvitationSend) -> Audience:
    # The organiser typed these addresses in: the choice to invite them is theirs, so consent is not asked here as
    # it is of a segment; whoever unsubscribed, bounced or complained is still left out.
    pasted = read_pasted(send.pasted_addresses)
    left_out: dict[str, int] = {}
    if pasted.bad:
        left_out["invalid"] = len(pasted.bad)
    suppressed = suppression_reasons([email.key for email in pasted.emails])
    contact_ids = []
    for email in pasted.emails:
        if email.key in suppressed:
            left_out[suppressed[email.key]] = left_out.get(suppressed[email.key], 0) + 1
            continue
        contact_ids.append(_contact_of(send.organisation_id, email).id)
    return Audience(contact_ids, left_out)


def _contact_of(organisation_id: int, email: Email) -> Contact:
    existing = contacts.find_contact(organisation_id, email)
    if existing is not None:
        return existing
    contact = contacts.contact_for(organisation_id, email, {})
    contact.origin = ORIGIN
    return contact


def suppression_reasons(email_keys: list[str]) -> dict[str, str]:
    """Which of these addresses are on the email suppression list, with the reason each is."""
    found = {}
    for start in range(0, len(email_keys), 500):  # bound the IN list
        found.update(db.session.execute(sa.select(Suppression.address, Suppression.reason).where(
            Suppression.channel == SuppressionChannel.EMAIL,
            Suppression.address.in_(email_keys[start:start + 500]))).all())
    return found


# ---- composing, scheduling, cancelling ----------------------------------------------------------------------

WORDING = ("subject", "preheader", "body_md", "sender_name")


def save_send(send: InvitationSend | None, event: Event, values: dict, user_id: int | None) -> InvitationSend:
    """A new draft send for the event, or the draft's new wording and audience; only a draft can change."""
    if send is None:
        send = InvitationSend(organisation_id=event.organisation_id, event_id=event.id, created_by_id=user_id,
                              status=SendStatus.DRAFT, rate_per_minute=default_rate(), left_out={})
        db.session.add(send)
    elif send.status != SendStatus.DRAFT:
        raise SendRefused(_("This invitation has been scheduled or sent, so it can no longer be changed."))
    for name in (*WORDING, "segment_id", "pasted_addresses", "rate_per_minute"):
        if name in values:
            setattr(send, name, values[name])
    if send.segment_id is not None:
        send.pasted_addresses = ""
    db.session.flush()
    return send


def default_rate() -> int:
    return current_app.config["INVITATION_RATE"]


def refusal_to_send(send: InvitationSend, now: datetime, chosen_audience: bool = True) -> str | None:
    """Why the send cannot go now, or None (`chosen_audience`: the send's segment or pasted addresses must say
    who it goes to)."""
    if not send.subject.strip():
        return _("Write a subject first.")
    if chosen_audience and send.segment_id is None and not send.pasted_addresses.strip():
        return _("Choose a segment or paste addresses first.")
    return closed_reason(send.event, now)


def schedule_send(send: InvitationSend, when: datetime) -> None:
    """The sweep starts the send at `when` (UTC)."""
    now = utcnow()
    if send.status != SendStatus.DRAFT:
        raise SendRefused(_("Only a draft can be scheduled."))
    if reason := refusal_to_send(send, now):
        raise SendRefused(reason)
    if when <= now:
        raise SendRefused(_("Choose a time in the future, or send it now."))
    if when >= send.event.starts_at:
        raise SendRefused(_("Choose a time before the event starts."))
    send.status, send.scheduled_at = SendStatus.SCHEDULED, when


def cancel_send(send: InvitationSend, now: datetime | None = None) -> int:
    """Stop a scheduled or sending send: nothing more is queued, and its mails still waiting in the outbox are
    withdrawn (a mail a worker holds this moment still goes). Returns how many invitations did not go."""
    now = now or utcnow()
    if send.status not in (SendStatus.SCHEDULED, SendStatus.SENDING):
        raise SendRefused(_("Only a scheduled send or one that is under way can be cancelled."))
    send.status, send.finished_at = SendStatus.CANCELLED, now
    waiting = sa.select(Invitation.message_id).where(Invitation.send_id == send.id,
                                                     Invitation.message_id.is_not(None))
    db.session.execute(sa.update(Message).where(Message.id.in_(waiting), Message.status == MessageStatus.QUEUED)
                       .values(status=MessageStatus.CANCELLED).execution_options(synchronize_session=False))
    not_gone = sa.select(Message.id).where(Message.id == Invitation.message_id,
                                           Message.status == MessageStatus.CANCELLED).exists()
    return db.session.execute(
        sa.update(Invitation).where(Invitation.send_id == send.id, Invitation.status == InvitationStatus.QUEUED,
                                    sa.or_(Invitation.message_id.is_(None), not_gone))
        .values(status=InvitationStatus.WITHDRAWN).execution_options(synchronize_session=False)).rowcount


def queue_test_send(send: InvitationSend, email: str, user_id: int):
    """A test of the invitation to the organiser, filled in with a made-up person: no contact, no invitation, no
    activity. LookupError when no feature writes invitation mails yet."""
    return queue_test(send.organisation_id, send.event_id, MessageKind.INVITATION,
                      Recipient(email=email, user_id=user_id), context={"send_id": send.id, "sample": True})


# ---- sending ------------------------------------------------------------------------------------------------

def start_send(send: InvitationSend, now: datetime | None = None, audience: Audience | None = None) -> int:
    """Write one invitation per person the send goes to (its `audience`, found now when not given) and queue the
    first of their mails; returns how many people it goes to. SendRefused when it cannot go (or has started
    already: a double click starts it once)."""
    now = now or utcnow()
    if reason := refusal_to_send(send, now, chosen_audience=audience is None):
        raise SendRefused(reason)
    started = db.session.execute(
        sa.update(InvitationSend).where(InvitationSend.id == send.id,
                                        InvitationSend.status.in_((SendStatus.DRAFT, SendStatus.SCHEDULED)))
        .values(status=SendStatus.SENDING, started_at=now).execution_options(synchronize_session=False)).rowcount
    if not started:
        raise AlreadyStarted(_("This invitation is already on its way."))
    db.session.refresh(send)
    audience = audience or audience_of(send)
    send.left_out = audience.left_out
    _write_invitations(send, audience.contact_ids)
    queue_due(send, now)
    return len(audience.contact_ids)


def _write_invitations(send: InvitationSend, contact_ids: list[int]) -> None:
    if not contact_ids:
        return
    db.session.execute(sa.insert(Invitation), [
        {"organisation_id": send.organisation_id, "send_id": send.id, "event_id": send.event_id,
         "contact_id": contact_id, "partner_id": send.partner_id, "token": url_token(),
         "status": InvitationStatus.QUEUED} for contact_id in contact_ids])


def queue_due(send: InvitationSend, now: datetime | None = None) -> int:
    """Put the next invitations in the outbox, their due times spaced at the send's rate and reaching LOOKAHEAD
    ahead; when none is left, the send is sent. Returns how many were queued. Safe to run twice at once or after
    a crash: an invitation is queued once (its due time marks it) and its mail once (its key)."""
    now = now or utcnow()
    interval = timedelta(minutes=1) / max(send.rate_per_minute, 1)
    last = db.session.execute(sa.select(sa.func.max(Invitation.due_at)).where(Invitation.send_id == send.id)).scalar()
    slot = max(now, last + interval) if last is not None else now
    room = min(math.ceil((now + LOOKAHEAD - slot) / interval), MAX_QUEUED_AT_ONCE)
    if room <= 0:
        return 0
    batch = db.session.execute(
        sa.select(Invitation.id, Invitation.contact_id, Contact.email, Contact.email_key, Contact.first_name,
                  Contact.last_name, Contact.language)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.send_id == send.id, Invitation.due_at.is_(None),
               Invitation.status == InvitationStatus.QUEUED)
        .order_by(Invitation.id).limit(room)).all()
    suppressed = suppression_reasons([row.email_key for row in batch])
    updates, queued = [], 0
    for row in batch:
        if row.email_key in suppressed:  # unsubscribed or bounced since the send started
            updates.append({"id": row.id, "status": InvitationStatus.WITHDRAWN})
            continue
        updates.append({"id": row.id, "due_at": slot, "message_id": _queue_mail(send, row, slot)})
        slot += interval
        queued += 1
    if updates:
        db.session.execute(sa.update(Invitation), updates)
    if len(batch) < room:
        send.status, send.finished_at = SendStatus.SENT, now
    return queued


def invitation_language(send: InvitationSend, contact_language: str) -> str:
    """The language the organiser wrote the send's words in, when one (the mail's own texts then match them, and
    never wrap English around Chinese); else the contact's where the event offers it, else the event's first."""
    return written_language(send.subject, send.body_md) or reader_language(send.event, contact_language)


def _queue_mail(send: InvitationSend, row, due_at: datetime) -> int:
    name = person_name(row.first_name, row.last_name)
    key = f"invitation:{row.id}"
    message = queue(MessageKind.INVITATION, Recipient(email=row.email, name=name, contact_id=row.contact_id),
                    organisation_id=send.organisation_id, key=key, event_id=send.event_id,
                    context={"invitation_id": row.id}, due_at=due_at,
                    language=invitation_language(send, row.language))
    if message is None:  # queued already (a run that raced this one): the same row, no second mail
        return db.session.execute(sa.select(Message.id).where(Message.idempotency_key == key)).scalar_one()
    signals.invitation_queued.send(signals.InvitationChange(
        invitation_id=row.id, organisation_id=send.organisation_id, event_id=send.event_id,
        campaign_id=send.event.campaign_id, contact_id=row.contact_id, partner_id=send.partner_id,
        occurred_at=utcnow()))
    return message.id


@every_sweep
def advance_sends(now: datetime | None = None) -> None:
    """Every minute: start the scheduled sends that are due, and queue the next mails of those under way."""
    now = now or utcnow()
    due = db.session.execute(sa.select(InvitationSend).where(
        InvitationSend.status == SendStatus.SCHEDULED, InvitationSend.scheduled_at <= now)).scalars().all()
    for send in due:
        try:
            start_send(send, now)
        except AlreadyStarted:
            continue
        except SendRefused as refused:  # e.g. the event was cancelled meanwhile: the send cannot go
            log.warning("scheduled send %s did not start: %s", send.id, refused)
            send.status, send.finished_at = SendStatus.CANCELLED, now
    under_way = db.session.execute(sa.select(InvitationSend).where(
        InvitationSend.status == SendStatus.SENDING, InvitationSend.started_at < now)).scalars().all()
    for send in under_way:
        if closed_reason(send.event, now):  # cancelled, over or closed for sign-up since: the rest would mislead
            cancel_send(send, now)
        else:
            queue_due(send, now)
