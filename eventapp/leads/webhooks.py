"""Outgoing webhooks (issue 16, helper "webhooks"): Standard Webhooks signatures, deliveries written in the action's
transaction, sent by the minute sweep with backoff, 410 disables, a delivery log and Resend.

What a receiver sees is described in docs/webhooks.md; keep the two in step."""
import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from eventapp import signals
from eventapp.accounts.models import User
from eventapp.contacts.models import Contact
from eventapp.core.enums import LabelledEnum
from eventapp.core.templating import local_datetime
from eventapp.core.i18n import DEFAULT_LANGUAGE
from eventapp.core.time import utcnow
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.leads.models.handoff import Handoff
from eventapp.leads.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from eventapp.leads.reasons import reason_text
from eventapp.leads.transaction_memo import remembered
from eventapp.messaging.operations import every_sweep
from eventapp.messaging.tasks import run_sweep_now

log = logging.getLogger(__name__)


class EventType(LabelledEnum):
    LEAD_HANDED_OFF = "lead.handed_off", _l("A lead was handed to a sales owner")
    LEAD_FEEDBACK = "lead.feedback", _l("Sales answered a handoff")
    LEAD_STAGE_CHANGED = "lead.stage_changed", _l("A lead's stage changed")
    REGISTRATION_CREATED = "registration.created", _l("Someone signed up for an event")
    ATTENDEE_CHECKED_IN = "attendee.checked_in", _l("An attendee was checked in at the door")


# "Send test event": goes to the endpoint whatever it subscribed to.
TEST_EVENT = "webhook.test"

# After the n-th failed attempt the next one waits RETRY_DELAYS[n-1] (± jitter); after the last, it has failed.
RETRY_DELAYS = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                timedelta(hours=5), timedelta(hours=10), timedelta(hours=14), timedelta(hours=20),
                timedelta(hours=24))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1  # ±10 %, so receivers coming back up are not hit by every retry at once
LONGEST_RETRY_AFTER = timedelta(hours=24)
DEFAULT_TIMEOUT_SECONDS = 15
# A worker holds a claimed delivery this long; one that died mid-send gives it back after it (the receiver may then
# see the message twice, with the same webhook-id, and drops the copy).
LEASE = timedelta(seconds=120)
# One sweep sends for this long at most, then asks for another sweep (the mail the sweep delivers waits no longer).
SECONDS_PER_SWEEP = 30
BATCH = 50
SECRET_PREFIX = "whsec_"
USER_AGENT = "eventapp-webhooks/1"
WAITING = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
ERASED_PAYLOAD = ""


class EndpointRefused(ValueError):
    """An endpoint's address we will not send to; the message says why and what to do."""


# ---- signing (Standard Webhooks) ---------------------------------------------------------------------------------

def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_webhook_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def signature(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header: v1, then base64 of HMAC-SHA256 over "{id}.{timestamp}.{body}" keyed with
    the secret's bytes (the base64 after "whsec_")."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# ---- where we may send: https, public addresses (SSRF) -----------------------------------------------------------

def check_url(url: str) -> str:
    """The address as we will use it, or EndpointRefused with the reason. Its host must resolve to public
    addresses only, unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is set (tests, a CRM on the same network)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise EndpointRefused(_("This is not a web address. Enter one like https://crm.example.com/hooks.")) \
            from None
    allowed = ("https", "http") if current_app.config.get("WEBHOOKS_ALLOW_HTTP") else ("https",)
    if parts.scheme not in allowed:
        raise EndpointRefused(_("Use an address starting with https:// (the payloads hold personal data)."))
    if not parts.hostname:
        raise EndpointRefused(_("This is not a web address. Enter one like https://crm.example.com/hooks."))
    if parts.username or parts.password:
        raise EndpointRefused(_("Leave the user name and password out of the address: the receiver checks "
                                "the signature of each message instead."))
    if any(ord(character) <= 32 or ord(character) == 127 for character in url):
        raise EndpointRefused(_("The address contains spaces or control characters."))
    allowed_addresses(parts.hostname, port or _default_port(parts.scheme))
    return url


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def allowed_addresses(host: str, port: int) -> list[str]:
    """The IP addresses of the host, all of them public (or private ones allowed by the settings)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise EndpointRefused(_("The host %(host)s cannot be found. Check the address.", host=host)) from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not current_app.config.get("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"):
        for address in addresses:
            if not _is_public(address):
                raise EndpointRefused(_(
                    "%(host)s is a private, loopback or link-local address (%(address)s); webhooks only go to "
                    "addresses on the public internet.", host=host, address=address))
    return addresses


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


# ---- endpoints -------------------------------------------------------------------------------------------------

def endpoints_of(organisation_id: int) -> list[WebhookEndpoint]:
    return list(db.session.execute(sa.select(WebhookEndpoint).where(
        WebhookEndpoint.organisation_id == organisation_id).order_by(WebhookEndpoint.id)).scalars())


def save_endpoint(organisation_id: int, values: dict, endpoint: WebhookEndpoint | None = None) -> WebhookEndpoint:
    """Create or change an endpoint (url, description, event_types, and active on a change). A new one gets its
    secret; switching one on again clears why it was off."""
    url = check_url(values["url"])
    if endpoint is None:
        endpoint = WebhookEndpoint(organisation_id=organisation_id, secret=new_secret(), active=True)
        db.session.add(endpoint)
    elif values.get("active") and not endpoint.active:
        endpoint.disabled_reason = ""
    endpoint.url = url
    endpoint.description = values.get("description") or ""
    endpoint.event_types = [str(EventType(kind)) for kind in values["event_types"]]
    if endpoint.id is not None and "active" in values:
        endpoint.active = bool(values["active"])
    db.session.flush()
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint) -> None:
    """A new secret at once: messages sent from now on are signed with it (retries included)."""
    endpoint.secret = new_secret()


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)


def deliveries_of(endpoint: WebhookEndpoint, limit: int = 100) -> list[WebhookDelivery]:
    """The delivery log, newest first."""
    return list(db.session.execute(sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                                   .order_by(WebhookDelivery.id.desc()).limit(limit)).scalars())


def delivery_counts(endpoint_ids: list[int]) -> dict:
    """{endpoint_id: {status: count}} for the list of endpoints."""
    counts: dict = {endpoint_id: {} for endpoint_id in endpoint_ids}
    rows = db.session.execute(sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.status, sa.func.count())
                              .where(WebhookDelivery.endpoint_id.in_(endpoint_ids))
                              .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status))
    for endpoint_id, status, count in rows:
        counts[endpoint_id][status] = count
    return counts


# ---- writing deliveries (in the action's transaction) ----------------------------------------------------------

def payload(event_type: str, occurred_at: datetime, data: dict) -> str:
    return json.dumps({"type": event_type, "timestamp": _iso(occurred_at), "data": data}, ensure_ascii=False,
                      separators=(",", ":"))


def queue_event(organisation_id: int, event_type: EventType, occurred_at: datetime, data, *,
                contact_id: int | None = None) -> list[WebhookDelivery]:
    """A delivery to each active endpoint of the organisation that chose this event type. `data` is a function
    that builds the payload's data, called only when someone listens."""
    listening = [endpoint_id for endpoint_id, event_types in _active_endpoints(organisation_id)
                 if event_type in event_types]
    if not listening:
        return []
    endpoints = db.session.scalars(sa.select(WebhookEndpoint).where(WebhookEndpoint.id.in_(listening))
                                   .order_by(WebhookEndpoint.id)).all()
    body = payload(event_type, occurred_at, data())
    return [_new_delivery(endpoint, event_type, body, contact_id) for endpoint in endpoints]


def _active_endpoints(organisation_id: int) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """(id, event types) of each active endpoint of the organisation, read once per transaction: a sign-up asks
    for two event types (transaction_memo)."""
    return remembered(("webhook endpoints", organisation_id), lambda: tuple(
        (endpoint_id, tuple(event_types or ())) for endpoint_id, event_types in db.session.connection().execute(
            _ACTIVE_ENDPOINTS, {"organisation_id": organisation_id})))


_ENDPOINTS = WebhookEndpoint.__table__
_ACTIVE_ENDPOINTS = sa.select(_ENDPOINTS.c.id, _ENDPOINTS.c.event_types).where(
    _ENDPOINTS.c.organisation_id == sa.bindparam("organisation_id"), _ENDPOINTS.c.active.is_(True))


def send_test(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A harmless message to this endpoint, so the organiser can see the receiver answer."""
    _refuse_when_off(endpoint)
    body = payload(TEST_EVENT, utcnow(), {
        "endpoint_id": endpoint.id,
        "message": "A test event from eventapp: if you can read this, the webhook works.",
    })
    return _new_delivery(endpoint, TEST_EVENT, body, None)


def resend(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's message again as a new delivery in the log. It keeps the webhook-id: it is the same
    message, so a receiver that already processed it drops the copy (a receiver that lost it takes it)."""
    if delivery.payload == ERASED_PAYLOAD:
        raise ValueError(_("This message held a person's data that was erased on request; it cannot be sent "
                           "again."))
    _refuse_when_off(delivery.endpoint)
    if _waiting_copy(delivery):
        raise ValueError(_("This message is already waiting to be sent again."))
    again = _new_delivery(delivery.endpoint, delivery.event_type, delivery.payload, delivery.contact_id,
                          webhook_id=delivery.webhook_id)
    again.resend_of_id = delivery.id
    return again


def _refuse_when_off(endpoint: WebhookEndpoint) -> None:
    if not endpoint.active:
        raise ValueError(_("The endpoint is switched off. Switch it on (Edit) first."))


def _waiting_copy(delivery: WebhookDelivery) -> bool:
    """A resend of this message to this endpoint that has not gone yet (a second click adds nothing)."""
    return db.session.execute(sa.select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == delivery.endpoint_id, WebhookDelivery.webhook_id == delivery.webhook_id,
        WebhookDelivery.resend_of_id.is_not(None), WebhookDelivery.status.in_(WAITING)).limit(1)).first() is not None


def _new_delivery(endpoint, event_type: str, body: str, contact_id, webhook_id: str | None = None):
    delivery = WebhookDelivery(endpoint_id=endpoint.id, endpoint=endpoint, webhook_id=webhook_id or new_webhook_id(),
                               event_type=str(event_type), payload=body, status=DeliveryStatus.PENDING, attempts=0,
                               next_attempt_at=utcnow(), contact_id=contact_id, last_error="")
    db.session.add(delivery)
    db.session.flush()
    db.session.info["webhooks_due"] = True  # a sweep is asked for after the commit
    return delivery


@sa.event.listens_for(Session, "after_commit")
def _sweep_after_commit(session):
    """New deliveries go out at once rather than at the next minute's sweep; a lost request costs only that."""
    if session.info.pop("webhooks_due", None):
        from flask import has_app_context

        if has_app_context() and "tasks" in current_app.extensions:
            run_sweep_now()


@sa.event.listens_for(Session, "after_rollback")
def _nothing_due_after_rollback(session):
    session.info.pop("webhooks_due", None)


# ---- what each event says --------------------------------------------------------------------------------------

def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def contact_data(contact_id: int) -> dict | None:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        return None
    return {"id": contact.id, "email": contact.email, "first_name": contact.first_name,
            "last_name": contact.last_name, "company": contact.company, "title": contact.job_title,
            "phone": contact.phone, "city": contact.city, "industry": contact.industry,
            "company_size": contact.company_size}


def event_data(event_id: int) -> dict | None:
    event = db.session.get(Event, event_id)
    if event is None:
        return None
    return {"id": event.id, "title": event.title, "starts_at": _iso(event.starts_at),
            "ends_at": _iso(event.ends_at), "timezone": event.timezone}


def _user_data(user_id: int | None) -> dict | None:
    user = db.session.get(User, user_id) if user_id else None
    return {"id": user.id, "email": user.email, "name": user.name} if user else None


def handoff_data(change: signals.HandoffChange) -> dict:
    handoff = db.session.get(Handoff, change.handoff_id)
    data = {"id": change.handoff_id, "owner": _user_data(change.owner_user_id), "feedback": change.feedback}
    if handoff is not None:
        data.update(due_at=_iso(handoff.due_at), feedback=handoff.feedback or change.feedback, note=handoff.note,
                    answered_at=_iso(handoff.answered_at))
    return data


@signals.registration_created.connect
def _registered(change: signals.RegistrationChange, **kwargs):
    queue_event(change.organisation_id, EventType.REGISTRATION_CREATED, change.occurred_at, lambda: {
        "registration": {"id": change.registration_id, "status": str(change.status), "channel": change.channel},
        "contact": contact_data(change.contact_id), "event": event_data(change.event_id),
    }, contact_id=change.contact_id)


@signals.checked_in.connect
def _checked_in(change: signals.DoorChange, **kwargs):
    queue_event(change.organisation_id, EventType.ATTENDEE_CHECKED_IN, change.occurred_at, lambda: {
        "registration": {"id": change.registration_id}, "checked_in_at": _iso(change.occurred_at),
        "method": change.method, "contact": contact_data(change.contact_id), "event": event_data(change.event_id),
    }, contact_id=change.contact_id)


@signals.lead_stage_changed.connect
def _stage_changed(change: signals.StageChange, **kwargs):
    queue_event(change.organisation_id, EventType.LEAD_STAGE_CHANGED, change.occurred_at, lambda: {
        # A system reason in English, the app's default (a receiver parses it no matter whom the lead is shown to).
        "stage": {"from": str(change.from_stage), "to": str(change.to_stage),
                  "reason": reason_text(change.reason, DEFAULT_LANGUAGE)},
        "changed_by": _user_data(change.by_user_id), "contact": contact_data(change.contact_id),
    }, contact_id=change.contact_id)


@signals.lead_handed_off.connect
def _handed_off(change: signals.HandoffChange, **kwargs):
    queue_event(change.organisation_id, EventType.LEAD_HANDED_OFF, change.occurred_at, lambda: {
        "handoff": handoff_data(change), "contact": contact_data(change.contact_id),
    }, contact_id=change.contact_id)


@signals.lead_feedback_given.connect
def _feedback_given(change: signals.HandoffChange, **kwargs):
    queue_event(change.organisation_id, EventType.LEAD_FEEDBACK, change.occurred_at, lambda: {
        "handoff": handoff_data(change), "contact": contact_data(change.contact_id),
    }, contact_id=change.contact_id)


# ---- privacy -----------------------------------------------------------------------------------------------------

@signals.contact_erasing.connect
def _erase(ref: signals.ContactRef, **kwargs):
    """The log keeps that a message went (counts stay), not what it said; one still waiting is not sent."""
    about = WebhookDelivery.contact_id == ref.contact_id
    db.session.execute(sa.update(WebhookDelivery).where(about, WebhookDelivery.status.in_(WAITING)).values(
        status=DeliveryStatus.FAILED, last_error="Not sent: the person's data was erased on request.",
        locked_until=None).execution_options(synchronize_session=False))
    db.session.execute(sa.update(WebhookDelivery).where(about).values(
        payload=ERASED_PAYLOAD, contact_id=None).execution_options(synchronize_session=False))


@signals.personal_data.connect
def _personal_data(ref: signals.ContactRef, **kwargs):
    rows = db.session.execute(sa.select(WebhookDelivery).where(WebhookDelivery.contact_id == ref.contact_id)
                              .order_by(WebhookDelivery.id)).scalars()
    found = [{"webhook_id": row.webhook_id, "type": row.event_type, "sent_to": row.endpoint.url,
              "status": row.status, "created_at": _iso(row.created_at), "payload": json.loads(row.payload)}
             for row in rows]
    return signals.PersonalData(_("Webhooks sent to the organisation's systems"), found) if found else None


# ---- sending (the sweep) ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None: no HTTP answer (refused, timed out, unreachable)
    error: str = ""
    retry_after: timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@every_sweep
def send_due_webhooks() -> int:
    """Each due delivery nobody holds, one claim at a time, within the sweep's time for webhooks."""
    stop_at, sent = time.monotonic() + SECONDS_PER_SWEEP, 0
    due = due_delivery_ids(BATCH)
    for delivery_id in due:
        if time.monotonic() > stop_at:
            break
        if claim(delivery_id):
            attempt(delivery_id)
            db.session.commit()
            sent += 1
    else:
        if len(due) < BATCH:
            return sent
    run_sweep_now()  # more is due: the rest at once, not in a minute
    return sent


def _claimable(now: datetime) -> tuple:
    """Due, still waiting, and held by no worker (or by one whose lease ran out)."""
    return (WebhookDelivery.status.in_(WAITING), WebhookDelivery.next_attempt_at <= now,
            sa.or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now))


def due_delivery_ids(limit: int) -> list[int]:
    return list(db.session.execute(sa.select(WebhookDelivery.id).where(*_claimable(utcnow()))
                                   .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
                .scalars())


def claim(delivery_id: int) -> bool:
    """Take the delivery for this worker with one conditional UPDATE; False when another worker has it."""
    now = utcnow()
    result = db.session.execute(sa.update(WebhookDelivery).where(WebhookDelivery.id == delivery_id, *_claimable(now))
                                .values(locked_until=now + LEASE).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def attempt(delivery_id: int) -> None:
    """One try of a claimed delivery, and what it leads to (done, a retry later, failed, endpoint off)."""
    delivery = _still_there(delivery_id)
    if delivery is None:
        return  # its endpoint was deleted meanwhile
    endpoint = delivery.endpoint
    if not endpoint.active:
        _finish(delivery, DeliveryStatus.FAILED, error="Not sent: the endpoint is switched off.")
        return
    url, secret, webhook_id, body = endpoint.url, endpoint.secret, delivery.webhook_id, delivery.payload
    db.session.commit()  # no transaction stays open while the receiver takes its time
    started = utcnow()
    outcome = post(url, secret, webhook_id, body, started)
    delivery = _still_there(delivery_id)
    if delivery is None:
        return  # deleted with its endpoint while we were sending
    delivery.attempts += 1
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error[:300]
    if outcome.ok:
        _finish(delivery, DeliveryStatus.DELIVERED)
        delivery.delivered_at = utcnow()
    elif outcome.status_code == 410:
        _finish(delivery, DeliveryStatus.FAILED)
        _switch_off(delivery.endpoint, started)
    elif delivery.attempts >= MAX_ATTEMPTS:
        _finish(delivery, DeliveryStatus.FAILED)
    else:
        _finish(delivery, DeliveryStatus.RETRYING)
        delivery.next_attempt_at = started + next_delay(delivery.attempts, outcome.retry_after)


def _still_there(delivery_id: int) -> WebhookDelivery | None:
    """The row as it is now (a query, not the session's copy: another request may have deleted it)."""
    return db.session.execute(sa.select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)).scalar_one_or_none()


def _finish(delivery: WebhookDelivery, status: DeliveryStatus, error: str | None = None) -> None:
    delivery.status = status
    delivery.locked_until = None
    if error is not None:
        delivery.last_error = error


def _switch_off(endpoint: WebhookEndpoint, when: datetime) -> None:
    endpoint.active = False
    # What happened, in no one's language: disabled_reason_text() says it in the reader's.
    endpoint.disabled_reason = json.dumps({"why": "gone", "status": 410, "at": when.isoformat()})


def disabled_reason_text(stored: str) -> str:
    """Why an endpoint is switched off, in the reader's language (a reason stored otherwise shows as it is)."""
    try:
        values = json.loads(stored) if stored.startswith('{"why": "gone"') else None
        when = datetime.fromisoformat(values["at"]) if values else None
    except (ValueError, KeyError, TypeError):
        when = None
    if when is None:
        return stored
    return _("The receiver answered 410 Gone on %(when)s UTC, so it was switched off. Switch it on again (Edit) "
             "once the receiver takes messages.", when=local_datetime(when, "UTC"))


def next_delay(failed_attempts: int, retry_after: timedelta | None = None) -> timedelta:
    """The schedule's wait after this many failed attempts, with jitter; longer when the receiver asked for it
    (Retry-After), up to a day."""
    delay = RETRY_DELAYS[failed_attempts - 1] * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, LONGEST_RETRY_AFTER))
    return delay


def post(url: str, secret: str, webhook_id: str, body: str, now: datetime) -> Outcome:
    """POST the signed body; the status code, or why there was none. Redirects are not followed."""
    timestamp = int(now.timestamp())
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "webhook-id": webhook_id,
               "webhook-timestamp": str(timestamp), "webhook-signature": signature(secret, webhook_id, timestamp, body)}
    parts = urlsplit(url)
    connection = watchdog = None
    expired = threading.Event()
    try:
        address = allowed_addresses(parts.hostname, parts.port or _default_port(parts.scheme))[0]
        connection = _connection(parts, address)
        # The timeout holds for each read; this holds for the whole exchange (a receiver dripping its answer).
        watchdog = threading.Timer(_timeout(), _cut, args=(connection, expired))
        watchdog.start()
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", target, body=body.encode(), headers=headers)
        response = connection.getresponse()
        return Outcome(response.status, _error_for(response), _retry_after(response.getheader("Retry-After"), now))
    except EndpointRefused as refused:
        return Outcome(None, str(refused))
    except ssl.SSLError as error:
        return Outcome(None, f"TLS failed: {error.reason or error}")
    except (OSError, http.client.HTTPException) as error:
        if isinstance(error, TimeoutError) or expired.is_set():
            return Outcome(None, f"No answer within {_timeout():g} seconds.")
        return Outcome(None, f"{type(error).__name__}: {error}")
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if connection is not None:
            connection.close()


def _cut(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    """Time is up: end the exchange (a read waiting in the sending thread returns at once)."""
    expired.set()
    if connection.sock is not None:
        try:
            connection.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _error_for(response) -> str:
    if 200 <= response.status < 300:
        return ""
    if 300 <= response.status < 400:
        return f"Redirected to {response.getheader('Location', '?')}: redirects are not followed; enter that address."
    return f"HTTP {response.status} {response.reason}"


def _timeout() -> float:
    return float(current_app.config.get("WEBHOOKS_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def _connection(parts, address: str) -> http.client.HTTPConnection:
    """A connection to the address we checked (not a second lookup of the name, which could answer otherwise)."""
    port = parts.port or _default_port(parts.scheme)
    if parts.scheme == "https":
        return _PinnedHTTPSConnection(parts.hostname, port, address, _timeout(), ssl.create_default_context())
    return _PinnedHTTPConnection(parts.hostname, port, address, _timeout())


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, verifying the certificate for the host name."""

    def __init__(self, host, port, address, timeout, tls):
        super().__init__(host, port, timeout=timeout, context=tls)
        self.address, self.tls = address, tls

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(moment - now, timedelta(0))
