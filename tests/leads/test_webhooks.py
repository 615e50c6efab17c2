"""Outgoing webhooks, end to end against a local receiver: what each signal sends, the Standard Webhooks signature
checked by hand (not with our code or a library), retries on the schedule with fixed clocks, 410, timeouts, SSRF,
Resend, claims under a lease and erasure."""
import base64
import hashlib
import hmac
import json
import socket
import ssl
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from eventapp import signals
from eventapp.contacts.models import Contact
from eventapp.extensions import db as _db
from eventapp.core.time import utcnow
from eventapp.leads import webhooks
from eventapp.leads.models.handoff import Handoff
from eventapp.leads.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from eventapp.messaging.operations import sweep
from tests.conftest import signup_form, submit

ALL_TYPES = [kind.value for kind in webhooks.EventType]


class Receiver:
    """A CRM on 127.0.0.1: records each request; answers with the next of `answers` (status, headers, delay) and
    then 200."""

    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        self.requests, self.answers = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, headers, delay = receiver.answers.pop(0) if receiver.answers else (200, {}, 0)
                time.sleep(delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{host}:{self.server.server_address[1]}/hooks?source=eventapp"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, status, headers=None, delay=0.0, times=1):
        self.answers.extend([(status, headers or {}, delay)] * times)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_hooks(app, monkeypatch):
    """Plain http to 127.0.0.1 allowed, as a CRM on the same network would need."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", True)
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_HTTP", True)


@pytest.fixture
def receiver(local_hooks):
    crm = Receiver()
    yield crm
    crm.close()


def subscribe(organisation_id, receiver, *event_types) -> WebhookEndpoint:
    saved = webhooks.save_endpoint(organisation_id, {"url": receiver.url, "description": "Our CRM",
                                                     "event_types": list(event_types)})
    _db.session.commit()
    return saved


@pytest.fixture
def endpoint(db, org, receiver):
    """Stage changes only: the other parts of leads may react to what a test does with more messages."""
    return subscribe(org.id, receiver, "lead.stage_changed")


def received(receiver, event_type) -> list[dict]:
    return [message for message in (json.loads(request["body"]) for request in receiver.requests)
            if message["type"] == event_type]


@pytest.fixture
def contact(db, org):
    person = Contact(organisation_id=org.id, email="li.wei@example.com", email_key="li.wei@example.com",
                     first_name="Wei", last_name="Li", company="Shanghai Robotics 上海", job_title="CTO",
                     phone="+8613800138000", city="Shanghai", industry="Manufacturing", company_size="200-499")
    db.session.add(person)
    db.session.commit()
    return person


@pytest.fixture
def clock(monkeypatch):
    """A fixed clock for the webhooks module, moved on by hand."""
    class Clock:
        now = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)

        def advance(self, **delta):
            self.now += timedelta(**delta)

    fixed = Clock()
    monkeypatch.setattr(webhooks, "utcnow", lambda: fixed.now)
    return fixed


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's check, written from the Standard Webhooks spec: base64 HMAC-SHA256 keyed with the decoded
    secret over "{id}.{timestamp}.{body}", compared in constant time with each "v1," signature."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [part.split(",", 1)[1] for part in headers["webhook-signature"].split() if part.startswith("v1,")]
    return any(hmac.compare_digest(expected, candidate) for candidate in given)


def stage_change(contact, **overrides):
    values = dict(contact_id=contact.id, organisation_id=contact.organisation_id, from_stage="engaged",
                  to_stage="mql", reason="score 72 passed 60", by_user_id=None, occurred_at=utcnow())
    values.update(overrides)
    return signals.StageChange(**values)


def deliveries() -> list[WebhookDelivery]:
    return list(_db.session.execute(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars())


def stage_changed(contact, db, **overrides) -> None:
    """A lead's stage changes and the action commits (as the stages part does it)."""
    signals.lead_stage_changed.send(stage_change(contact, **overrides))
    db.session.commit()


# ---- signing and what is sent ----------------------------------------------------------------------------------

def test_a_new_secret_is_whsec_and_32_random_bytes():
    secret = webhooks.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[len("whsec_"):])) == 32
    assert webhooks.new_secret() != secret


def test_the_signature_equals_a_hand_computed_hmac():
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    body = '{"type":"lead.feedback"}'
    expected = base64.b64encode(hmac.new(b"k" * 32, f"msg_1.1700000000.{body}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert webhooks.signature(secret, "msg_1", 1700000000, body) == "v1," + expected


def test_a_stage_change_reaches_the_crm_signed(db, endpoint, contact, receiver):
    stage_changed(contact, db)
    assert sweep() >= 0
    [request] = receiver.requests
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert verify(endpoint.secret, headers, request["body"])
    assert headers["webhook-id"].startswith("msg_")
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["content-type"] == "application/json"
    assert request["path"] == "/hooks?source=eventapp"
    sent = json.loads(request["body"])
    assert sent["type"] == "lead.stage_changed"
    assert sent["data"]["stage"] == {"from": "engaged", "to": "mql", "reason": "score 72 passed 60"}
    assert sent["data"]["contact"] == {
        "id": contact.id, "email": "li.wei@example.com", "first_name": "Wei", "last_name": "Li",
        "company": "Shanghai Robotics 上海", "title": "CTO", "phone": "+8613800138000", "city": "Shanghai",
        "industry": "Manufacturing", "company_size": "200-499"}
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    assert delivery.webhook_id == headers["webhook-id"]
    assert delivery.delivered_at is not None


def test_a_tampered_body_fails_the_hand_check(db, endpoint, contact, receiver):
    stage_changed(contact, db)
    sweep()
    [request] = receiver.requests
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert not verify(endpoint.secret, headers, request["body"].replace(b"mql", b"won"))
    assert not verify(webhooks.new_secret(), headers, request["body"])


def test_a_registration_through_the_landing_page_sends_registration_created(db, org, client, make_event, receiver):
    subscribe(org.id, receiver, "registration.created")
    event = make_event()
    response = submit(client, f"/e/{event.slug}", signup_form(email="ada@example.com"))
    assert response.status_code == 303
    sweep()
    [created] = received(receiver, "registration.created")
    assert created["data"]["contact"]["email"] == "ada@example.com"
    assert created["data"]["contact"]["company"] == "Analytical Ltd"
    assert created["data"]["event"]["id"] == event.id
    assert created["data"]["event"]["title"] == event.title
    assert created["data"]["event"]["starts_at"].endswith("Z")
    assert created["data"]["registration"]["status"] == "confirmed"


def test_a_check_in_sends_attendee_checked_in(db, org, make_event, contact, receiver):
    subscribe(org.id, receiver, "attendee.checked_in")
    event = make_event()
    signals.checked_in.send(signals.DoorChange(registration_id=77, event_id=event.id, campaign_id=None,
                                               organisation_id=org.id, contact_id=contact.id,
                                               occurred_at=utcnow(), method="scan"))
    db.session.commit()
    sweep()
    [message] = received(receiver, "attendee.checked_in")
    assert message["data"]["registration"] == {"id": 77}
    assert message["data"]["method"] == "scan"
    assert message["data"]["event"]["title"] == event.title
    assert message["data"]["contact"]["id"] == contact.id


def test_a_handoff_and_its_feedback_are_sent(db, org, make_user, contact, receiver):
    subscribe(org.id, receiver, "lead.handed_off", "lead.feedback")
    owner = make_user(role="sales", email="sam@acme.example")
    handoff = Handoff(organisation_id=org.id, contact_id=contact.id, owner_user_id=owner.id,
                      due_at=utcnow() + timedelta(days=7), token_hash="a" * 64,
                      expires_at=utcnow() + timedelta(days=30))
    db.session.add(handoff)
    db.session.commit()
    signals.lead_handed_off.send(signals.HandoffChange(handoff_id=handoff.id, contact_id=contact.id,
                                                       organisation_id=org.id, owner_user_id=owner.id,
                                                       occurred_at=utcnow()))
    db.session.commit()
    handoff.feedback, handoff.note, handoff.answered_at = "buying_3_months", "Budget approved", utcnow()
    signals.lead_feedback_given.send(signals.HandoffChange(handoff_id=handoff.id, contact_id=contact.id,
                                                           organisation_id=org.id, owner_user_id=owner.id,
                                                           occurred_at=utcnow(), feedback="buying_3_months"))
    db.session.commit()
    sweep()
    [handed], [answered] = received(receiver, "lead.handed_off"), received(receiver, "lead.feedback")
    assert handed["data"]["handoff"]["owner"] == {"id": owner.id, "email": "sam@acme.example", "name": ""}
    assert handed["data"]["handoff"]["due_at"].endswith("Z")
    assert handed["data"]["contact"]["email"] == "li.wei@example.com"
    assert answered["data"]["handoff"]["feedback"] == "buying_3_months"
    assert answered["data"]["handoff"]["note"] == "Budget approved"
    assert handed["data"]["handoff"]["id"] == answered["data"]["handoff"]["id"] == handoff.id


def test_only_endpoints_of_the_organisation_that_chose_the_type_get_it(db, org, receiver, contact, local_hooks):
    from eventapp.accounts.operations import ensure_organisation

    other = ensure_organisation("rival", "Rival Events")
    db.session.flush()
    chose = webhooks.save_endpoint(org.id, {"url": receiver.url, "event_types": ["lead.stage_changed"]})
    webhooks.save_endpoint(org.id, {"url": receiver.url, "event_types": ["lead.feedback"]})
    switched_off = webhooks.save_endpoint(org.id, {"url": receiver.url, "event_types": ["lead.stage_changed"]})
    switched_off.active = False
    webhooks.save_endpoint(other.id, {"url": receiver.url, "event_types": ALL_TYPES})
    db.session.commit()
    stage_changed(contact, db)
    assert [(delivery.endpoint_id, delivery.contact_id) for delivery in deliveries()] == [(chose.id, contact.id)]


def test_nothing_is_written_when_the_action_rolls_back(db, endpoint, contact):
    signals.lead_stage_changed.send(stage_change(contact))
    db.session.rollback()
    assert deliveries() == []


# ---- retries, 410, timeouts ------------------------------------------------------------------------------------

def test_a_failing_receiver_is_retried_on_the_schedule_with_the_same_webhook_id(db, endpoint, contact, receiver,
                                                                                 clock):
    receiver.answer(500, times=webhooks.MAX_ATTEMPTS)
    stage_changed(contact, db)
    [delivery] = deliveries()
    delivery.next_attempt_at = clock.now
    db.session.commit()
    started = clock.now
    expected_waits = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                      timedelta(hours=5), timedelta(hours=10), timedelta(hours=14), timedelta(hours=20),
                      timedelta(hours=24)]
    for attempt, wait in enumerate(expected_waits, start=1):
        sweep()
        db.session.expire_all()
        delivery = db.session.get(WebhookDelivery, delivery.id)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) ==             (DeliveryStatus.RETRYING, attempt, 500)
        assert "500" in delivery.last_error
        waited = delivery.next_attempt_at - clock.now
        assert wait * 0.9 - timedelta(seconds=1) <= waited <= wait * 1.1 + timedelta(seconds=1), (attempt, waited)
        clock.advance(seconds=1)
        sweep()  # not due yet: nothing sent
        assert len(receiver.requests) == attempt
        clock.now = delivery.next_attempt_at
    sweep()
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, webhooks.MAX_ATTEMPTS)
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS
    assert len({request["headers"]["webhook-id"] for request in receiver.requests}) == 1
    assert clock.now - started > timedelta(hours=70)
    for request in receiver.requests:  # each attempt signed for its own time
        assert verify(endpoint.secret, {k.lower(): v for k, v in request["headers"].items()}, request["body"])
    clock.advance(days=2)
    sweep()
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS


def test_a_retry_that_succeeds_is_delivered(db, endpoint, contact, receiver, clock):
    receiver.answer(503)
    stage_changed(contact, db)
    [delivery] = deliveries()
    delivery.next_attempt_at = clock.now
    db.session.commit()
    sweep()
    clock.advance(seconds=6)
    sweep()
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) ==         (DeliveryStatus.DELIVERED, 2, 200, "")


def test_retry_after_is_honoured(db, endpoint, contact, receiver, clock):
    receiver.answer(429, {"Retry-After": "600"})
    stage_changed(contact, db)
    [delivery] = deliveries()
    delivery.next_attempt_at = clock.now
    db.session.commit()
    sweep()
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert delivery.next_attempt_at - clock.now >= timedelta(seconds=600)


def test_retry_after_as_a_date_and_nonsense():
    now = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
    assert webhooks._retry_after("Mon, 07 Dec 2026 09:30:00 GMT", now) == timedelta(minutes=30)
    assert webhooks._retry_after("soon", now) is None
    assert webhooks._retry_after("", now) is None
    assert webhooks.next_delay(1, timedelta(days=9)) == timedelta(hours=24)


def test_410_gone_switches_the_endpoint_off(db, endpoint, contact, receiver):
    receiver.answer(410)
    stage_changed(contact, db)
    sweep()
    db.session.expire_all()
    [delivery] = deliveries()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.FAILED, 410)
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert not endpoint.active
    assert "410" in endpoint.disabled_reason
    stage_changed(contact, db, from_stage="mql", to_stage="handed_off")
    sweep()
    assert len(receiver.requests) == 1 and len(deliveries()) == 1


def test_a_receiver_that_does_not_answer_in_time_is_retried(db, app, monkeypatch, endpoint, contact, receiver):
    monkeypatch.setitem(app.config, "WEBHOOKS_TIMEOUT_SECONDS", 0.5)
    receiver.answer(200, delay=2)
    stage_changed(contact, db)
    started = time.monotonic()
    sweep()
    assert time.monotonic() - started < 2
    db.session.expire_all()
    [delivery] = deliveries()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.RETRYING, None)
    assert "No answer within 0.5 seconds" in delivery.last_error


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_timeout(db, app, monkeypatch, org, contact,
                                                                 local_hooks):
    """Each byte comes within the per-read timeout, but the whole answer would take far longer."""
    monkeypatch.setitem(app.config, "WEBHOOKS_TIMEOUT_SECONDS", 0.6)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def drip():
        connection, _address = listener.accept()
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 100:
                if stop.is_set():
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    threading.Thread(target=drip, daemon=True).start()
    try:
        webhooks.save_endpoint(org.id, {"url": f"http://127.0.0.1:{listener.getsockname()[1]}/",
                                        "event_types": ["lead.stage_changed"]})
        db.session.commit()
        stage_changed(contact, db)
        started = time.monotonic()
        sweep()
        assert time.monotonic() - started < 3
    finally:
        stop.set()
        listener.close()
    db.session.expire_all()
    [delivery] = deliveries()
    assert delivery.status == DeliveryStatus.RETRYING and "No answer within 0.6 seconds" in delivery.last_error


def test_an_unreachable_receiver_is_retried(db, org, contact, local_hooks, refused_port):
    webhooks.save_endpoint(org.id, {"url": f"http://127.0.0.1:{refused_port}/", "event_types": ALL_TYPES})
    db.session.commit()
    stage_changed(contact, db)
    sweep()
    db.session.expire_all()
    [delivery] = deliveries()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "Connection" in delivery.last_error


def test_a_redirect_is_not_followed(db, endpoint, contact, receiver):
    receiver.answer(301, {"Location": "http://169.254.169.254/latest/meta-data"})
    stage_changed(contact, db)
    sweep()
    db.session.expire_all()
    [delivery] = deliveries()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.RETRYING, 301)
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


# ---- SSRF --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://127.0.0.1/hooks", "https://localhost/hooks", "https://10.1.2.3/",
                                 "https://192.168.0.10/", "https://169.254.169.254/latest/meta-data",
                                 "https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://100.64.0.1/",
                                 "https://0.0.0.0/"])
def test_private_loopback_and_link_local_addresses_are_refused_at_save(db, org, url):
    with pytest.raises(webhooks.EndpointRefused, match="public internet"):
        webhooks.save_endpoint(org.id, {"url": url, "event_types": ALL_TYPES})


@pytest.mark.parametrize("url, reason", [
    ("http://crm.example.com/hooks", "https://"), ("ftp://crm.example.com/", "https://"),
    ("crm.example.com/hooks", "https://"), ("https://", "not a web address"),
    ("https://user:pw@crm.example.com/", "user name and password"), ("https://[::1/", "not a web address"),
    ("https://no-such-host.invalid/", "cannot be found"), ("https://crm.example.com/a b", "spaces")])
def test_bad_addresses_are_refused_with_the_reason(db, org, url, reason):
    with pytest.raises(webhooks.EndpointRefused, match=reason):
        webhooks.check_url(url)


def test_a_private_address_is_refused_at_send_too(db, app, monkeypatch, endpoint, contact, receiver):
    """Saved while allowed (or a name that now resolves elsewhere): the send checks again."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)
    stage_changed(contact, db)
    sweep()
    db.session.expire_all()
    [delivery] = deliveries()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.last_status_code is None
    assert "public internet" in delivery.last_error
    assert receiver.requests == []


# ---- Resend, claims, erasure -----------------------------------------------------------------------------------

def test_resend_is_a_new_delivery_of_the_same_message(db, endpoint, contact, receiver):
    stage_changed(contact, db)
    sweep()
    [first] = deliveries()
    again = webhooks.resend(first)
    db.session.commit()
    sweep()
    assert again.id != first.id and again.resend_of_id == first.id
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, again.id).status == DeliveryStatus.DELIVERED
    one, two = receiver.requests
    assert one["headers"]["webhook-id"] == two["headers"]["webhook-id"] == first.webhook_id
    assert one["body"] == two["body"]
    assert verify(endpoint.secret, {k.lower(): v for k, v in two["headers"].items()}, two["body"])


def test_a_rotated_secret_signs_what_is_sent_after(db, endpoint, contact, receiver):
    old = endpoint.secret
    webhooks.rotate_secret(endpoint)
    db.session.commit()
    assert endpoint.secret != old
    stage_changed(contact, db)
    sweep()
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert verify(endpoint.secret, headers, request["body"]) and not verify(old, headers, request["body"])


def test_a_claimed_delivery_is_not_taken_by_a_second_worker(db, endpoint, contact, clock):
    stage_changed(contact, db)
    [delivery] = deliveries()
    delivery.next_attempt_at = clock.now
    db.session.commit()
    assert webhooks.claim(delivery.id)
    assert not webhooks.claim(delivery.id)
    assert webhooks.due_delivery_ids(10) == []
    clock.advance(seconds=webhooks.LEASE.total_seconds() + 1)  # the first worker died: the lease runs out
    assert webhooks.claim(delivery.id)


def test_erasure_blanks_payloads_and_stops_waiting_ones_but_keeps_the_count(db, org, endpoint, contact, receiver):
    stage_changed(contact, db)
    sweep()
    receiver.answer(500)
    stage_changed(contact, db, from_stage="mql", to_stage="handed_off")
    sweep()
    signals.contact_erasing.send(signals.ContactRef(contact_id=contact.id, organisation_id=org.id,
                                                    occurred_at=utcnow()))
    db.session.commit()
    db.session.expire_all()
    delivered, waiting = deliveries()
    assert delivered.payload == waiting.payload == ""
    assert delivered.contact_id is None and delivered.status == DeliveryStatus.DELIVERED
    assert waiting.status == DeliveryStatus.FAILED and "erased" in waiting.last_error
    assert webhooks.delivery_counts([endpoint.id])[endpoint.id] == {"delivered": 1, "failed": 1}
    with pytest.raises(ValueError, match="erased"):
        webhooks.resend(delivered)


def test_a_person_s_data_export_lists_what_was_sent_about_them(db, org, endpoint, contact):
    stage_changed(contact, db)
    answers = signals.answers(signals.personal_data, signals.ContactRef(contact_id=contact.id,
                                                                        organisation_id=org.id,
                                                                        occurred_at=utcnow()))
    [part] = [answer for answer in answers if answer.title.startswith("Webhooks")]
    assert part.rows[0]["payload"]["data"]["contact"]["email"] == "li.wei@example.com"


def test_a_delivery_whose_endpoint_was_deleted_meanwhile_is_let_go(db, endpoint, contact, receiver):
    stage_changed(contact, db)
    delivery_id = deliveries()[0].id
    assert webhooks.claim(delivery_id)
    webhooks.delete_endpoint(endpoint)
    db.session.commit()
    webhooks.attempt(delivery_id)
    assert receiver.requests == [] and deliveries() == []


def test_a_switched_off_endpoint_s_waiting_deliveries_fail_unsent(db, endpoint, contact, receiver):
    stage_changed(contact, db)
    endpoint.active = False
    db.session.commit()
    sweep()
    db.session.expire_all()
    [delivery] = deliveries()
    assert delivery.status == DeliveryStatus.FAILED and "switched off" in delivery.last_error
    assert receiver.requests == []


def test_a_full_batch_asks_for_another_sweep(db, endpoint, contact, receiver, monkeypatch):
    asked = []
    monkeypatch.setattr(webhooks, "BATCH", 2)
    monkeypatch.setattr(webhooks, "run_sweep_now", lambda: asked.append(True))
    for _ in range(3):
        webhooks.send_test(endpoint)
    db.session.commit()
    assert webhooks.send_due_webhooks() == 2 and asked
    asked.clear()
    assert webhooks.send_due_webhooks() == 1 and not asked


def test_the_real_handoff_and_its_answer_reach_the_crm(db, org, make_user, contact, receiver):
    """Through leads.handoffs (the stages part's own code), not signals sent by the test."""
    from eventapp.leads import handoffs, stages

    endpoint = subscribe(org.id, receiver, "lead.handed_off", "lead.feedback", "lead.stage_changed")
    organiser, seller = make_user(), make_user(role="sales", email="sam@acme.example")
    stages.move(contact.id, "mql", organisation_id=org.id, by_user_id=organiser.id, override=True)
    handoff = handoffs.hand_off(contact, seller, by_user_id=organiser.id)
    db.session.commit()
    handoffs.answer(handoff, "no_budget", "Next year perhaps")
    db.session.commit()
    sweep()
    [handed], [answered] = received(receiver, "lead.handed_off"), received(receiver, "lead.feedback")
    assert handed["data"]["handoff"]["owner"]["email"] == "sam@acme.example"
    assert handed["data"]["handoff"]["id"] == answered["data"]["handoff"]["id"] == handoff.id
    assert (answered["data"]["handoff"]["feedback"], answered["data"]["handoff"]["note"]) == \
        ("no_budget", "Next year perhaps")
    moves = [(message["data"]["stage"]["from"], message["data"]["stage"]["to"])
             for message in received(receiver, "lead.stage_changed")]
    assert moves[0] == ("new", "mql") and ("mql", "handed_off") in moves and moves[-1] == ("rejected", "nurture")
    assert {message["data"]["contact"]["id"] for message in received(receiver, "lead.stage_changed")} == \
        {contact.id}
    for request in receiver.requests:
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert verify(endpoint.secret, headers, request["body"])


# ---- HTTPS -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A test CA and a certificate it signed for "localhost" (made with the openssl command, as the DKIM tests
    make their key)."""
    folder = tmp_path_factory.mktemp("tls")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=eventapp test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=localhost")
    (folder / "server.ext").write_text("subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n"
                                       "keyUsage=critical,digitalSignature,keyEncipherment\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
    return folder


@pytest.fixture
def tls_receiver(app, monkeypatch, certificates):
    """A CRM on https://localhost whose certificate our test CA signed; the sender trusts that CA only."""
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", True)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    real = ssl.create_default_context
    monkeypatch.setattr(webhooks.ssl, "create_default_context",
                        lambda *args, **kwargs: real(cafile=str(certificates / "ca.pem")))
    crm = Receiver(tls=server_side, host="localhost")
    yield crm
    crm.close()


def test_https_is_sent_with_the_certificate_checked(db, org, contact, tls_receiver):
    endpoint = subscribe(org.id, tls_receiver, "lead.stage_changed")
    stage_changed(contact, db)
    sweep()
    [request] = tls_receiver.requests
    assert verify(endpoint.secret, {k.lower(): v for k, v in request["headers"].items()}, request["body"])
    assert deliveries()[0].status == DeliveryStatus.DELIVERED


def test_a_certificate_for_another_name_fails(db, org, contact, tls_receiver):
    """The connection goes to the checked address, but TLS still checks the certificate against the URL's host."""
    subscribe(org.id, tls_receiver, "lead.stage_changed")
    endpoint = _db.session.execute(sa.select(WebhookEndpoint)).scalar_one()
    endpoint.url = endpoint.url.replace("localhost", "127.0.0.1")
    db.session.commit()
    stage_changed(contact, db)
    sweep()
    db.session.expire_all()
    [delivery] = deliveries()
    assert delivery.status == DeliveryStatus.RETRYING and delivery.last_error.startswith("TLS failed")
    assert tls_receiver.requests == []


# ---- the receiver's guide ----------------------------------------------------------------------------------------

def test_the_guide_s_verify_snippet_accepts_our_messages_and_rejects_old_ones(db, endpoint, contact, receiver):
    """docs/webhooks.md's Python, run as written, against a message we really sent."""
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    snippet = guide.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(snippet, "docs/webhooks.md", "exec"), namespace)
    stage_changed(contact, db)
    sweep()
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert namespace["verify"](endpoint.secret, headers, request["body"])
    assert not namespace["verify"](endpoint.secret, headers, request["body"] + b" ")
    for age, accepted in ((100, True), (301, False)):  # signed properly, but too old
        timestamp = int(time.time()) - age
        signed = {**headers, "webhook-timestamp": str(timestamp), "webhook-signature": webhooks.signature(
            endpoint.secret, headers["webhook-id"], timestamp, request["body"].decode())}
        assert namespace["verify"](endpoint.secret, signed, request["body"]) is accepted, age


def test_a_new_delivery_asks_for_a_sweep_after_the_commit_only(db, endpoint, contact, monkeypatch):
    asked = []
    monkeypatch.setattr(webhooks, "run_sweep_now", lambda: asked.append(True))
    signals.lead_stage_changed.send(stage_change(contact))
    assert asked == []
    db.session.rollback()
    db.session.commit()
    assert asked == []
    stage_changed(contact, db)
    assert asked == [True]


def test_the_privacy_erasure_and_export_reach_the_webhook_log(db, org, endpoint, contact, receiver):
    """Through leads.privacy (the contact part's own code), not signals sent by the test."""
    from eventapp.leads import privacy

    stage_changed(contact, db)
    sweep()
    document = privacy.personal_data(contact)
    assert "li.wei@example.com" in privacy.personal_data_json(document)
    assert "Webhooks sent to the organisation's systems" in privacy.personal_data_json(document)
    privacy.erase(contact)
    db.session.commit()
    db.session.expire_all()
    [delivery] = deliveries()
    assert delivery.payload == "" and delivery.status == DeliveryStatus.DELIVERED
