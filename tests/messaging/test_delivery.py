"""Batch delivery: claims that never overlap, a claim given back inside its lease, one SMTP connection per worker
reused and reopened when the server drops it."""
import threading
from email.message import EmailMessage
from email.policy import SMTP

import sqlalchemy as sa

from eventapp.contacts.normalisation import normalise_email
from eventapp.messaging import operations
from eventapp.messaging.email import OutgoingMail, SmtpSender, SmtpSettings
from eventapp.messaging.models import Message, MessageStatus
from eventapp.registration import operations as registration
from eventapp.registration.operations import Signup


def sign_up(db, event, count):
    for number in range(count):
        registration.register(event, Signup(email=normalise_email(f"b{number}@example.com"), details={
            "first_name": f"B{number}", "last_name": "Test", "company": "Co", "job_title": "CTO"}))
        db.session.commit()


def statuses(db):
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Message.id, Message.status)).all())


def test_two_workers_claiming_at_once_never_get_the_same_row(app, db, make_event):
    sign_up(db, make_event(capacity=None), 60)
    claims, start = [], threading.Barrier(4)

    def worker():
        with app.app_context():  # a session (and database connection) of its own, like a worker thread
            start.wait()
            while batch := operations.claim_due(7):
                claims.append(batch)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    claimed = [message_id for batch in claims for message_id in batch]
    assert len(claimed) == len(set(claimed)) == 60  # every row once, none twice
    assert set(statuses(db).values()) == {MessageStatus.SENDING}


def test_each_claim_binds_its_own_time_limit_and_lease(app, db, make_event, monkeypatch):
    """The claim statements are built once; every claim still asks with its own clock, limit and lease."""
    from datetime import timedelta

    from eventapp.core.time import utcnow

    sign_up(db, make_event(capacity=None), 3)
    last = max(statuses(db))
    later = utcnow() + timedelta(minutes=5)
    db.session.execute(sa.update(Message).where(Message.id == last).values(due_at=later))
    db.session.commit()
    assert len(operations.claim_due(1)) == 1 and len(operations.claim_due(5)) == 1
    assert not operations.anything_due() and operations.claim_due(5) == []  # the last one is not due yet
    monkeypatch.setattr(operations, "utcnow", lambda: later + timedelta(seconds=1))
    assert operations.anything_due() and operations.claim_due(5) == [last]
    db.session.expire_all()
    lease = timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"])
    assert db.session.get(Message, last).locked_until == later + timedelta(seconds=1) + lease


def test_a_batch_sends_each_message_once_and_counts_one_attempt(db, make_event, smtp_sink):
    sign_up(db, make_event(capacity=None), 5)
    assert operations.deliver_batch(3) == 3
    assert operations.deliver_batch(3) == 2
    assert operations.deliver_batch(3) == 0
    assert sorted(mail["To"].addresses[0].addr_spec for mail in smtp_sink.messages) == [f"b{number}@example.com" for number in range(5)]
    db.session.expire_all()
    rows = db.session.execute(sa.select(Message)).scalars().all()
    assert {(row.status, row.attempts, row.locked_until) for row in rows} == {(MessageStatus.SENT, 1, None)}
    assert {row.provider_id for row in rows} == {mail["Message-ID"] for mail in smtp_sink.messages}


def test_a_batch_gives_back_what_it_could_not_send_inside_its_lease(app, db, make_event, smtp_sink, monkeypatch):
    sign_up(db, make_event(capacity=None), 3)
    monkeypatch.setitem(app.config, "OUTBOX_LEASE_SECONDS", 2)
    smtp_sink.delay = 1.2  # the first send uses up more than half the lease
    assert operations.deliver_batch(3) == 1
    rows = sorted(statuses(db).items())
    assert [status for _, status in rows] == [MessageStatus.SENT, MessageStatus.QUEUED, MessageStatus.QUEUED]
    given_back = db.session.execute(sa.select(Message).where(Message.status == MessageStatus.QUEUED)).scalars()
    assert {(row.attempts, row.locked_until) for row in given_back} == {(0, None)}  # as if never claimed
    smtp_sink.delay = 0
    assert operations.deliver_due() == 2
    assert len(smtp_sink.messages) == 3


def test_a_message_that_cannot_be_composed_does_not_stop_the_batch(db, make_event, smtp_sink, monkeypatch):
    from eventapp.messaging import backends

    sign_up(db, make_event(capacity=None), 3)
    real_compose = backends.compose

    def compose(message, known_templates=None):
        if message.recipient == "b1@example.com":
            raise RuntimeError("template bug")
        return real_compose(message, known_templates)

    monkeypatch.setattr(backends, "compose", compose)
    assert operations.deliver_batch(3) == 3
    assert sorted(mail["To"].addresses[0].addr_spec for mail in smtp_sink.messages) == ["b0@example.com", "b2@example.com"]
    db.session.expire_all()
    broken = db.session.execute(sa.select(Message).where(Message.recipient == "b1@example.com")).scalar_one()
    assert broken.status == MessageStatus.QUEUED and "template bug" in broken.last_error  # retried later


def mail(number: int) -> OutgoingMail:
    message = EmailMessage(policy=SMTP)
    message["From"], message["To"], message["Subject"] = "a@example.com", f"r{number}@example.com", f"n{number}"
    message["Message-ID"] = f"<n{number}@example.com>"
    message.set_content("hello")
    return OutgoingMail(sender="a@example.com", recipients=(f"r{number}@example.com",),
                        message_id=message["Message-ID"], data=message.as_bytes())


class Peers:
    """Which client connection (its port) each message arrived on, and the server's end of each."""

    def __init__(self):
        self.ports, self.connections = [], []

    async def handle_DATA(self, server, session, envelope):
        self.ports.append(session.peer[1])
        self.connections.append(server.transport)
        return "250 OK"


def test_one_connection_is_reused_and_reopened_after_the_server_drops_it():
    from aiosmtpd.controller import Controller

    from tests.conftest import on_a_free_port

    peers = Peers()

    def start(port):
        controller = Controller(peers, hostname="127.0.0.1", port=port)
        controller.start()
        return controller

    port, controller = on_a_free_port(start)
    sender = SmtpSender(SmtpSettings("127.0.0.1", port, "plain", "", ""), timeout=5)
    try:
        for number in range(3):
            sender.send(mail(number))
        assert len(peers.ports) == 3 and len(set(peers.ports)) == 1  # one connection for all three
        dropped = threading.Event()

        def drop():  # as a server ends an idle connection: our pooled one is now dead
            peers.connections[-1].close()
            controller.loop.call_soon(dropped.set)  # after the close's own callbacks, which shut the socket

        controller.loop.call_soon_threadsafe(drop)
        assert dropped.wait(5)
        assert sender.send(mail(3)) == "<n3@example.com>"  # reconnected, not a failure
        assert len(peers.ports) == 4 and peers.ports[3] != peers.ports[0]
    finally:
        sender.close()
        controller.stop()


def test_every_task_in_the_queue_delivers():
    # request_delivery() skips enqueueing while any task waits, which is only right while every kind of task in
    # this queue delivers. A new kind of task must change that (count only waiting delivery tasks) first. What
    # register_tasks registers is recorded through Huey's public decorators; no other module registers any.
    from pathlib import Path
    from types import SimpleNamespace

    from huey import MemoryHuey

    import eventapp
    from eventapp.messaging.tasks import register_tasks

    registered = []

    class Recording(MemoryHuey):
        def task(self, *args, **kwargs):
            registered.append(("task", kwargs.get("name")))
            return super().task(*args, **kwargs)

        def periodic_task(self, *args, **kwargs):
            registered.append(("periodic", kwargs.get("name")))
            return super().periodic_task(*args, **kwargs)

    register_tasks(SimpleNamespace(extensions={"huey": Recording("recording")}))
    assert sorted(set(registered)) == [("periodic", "eventapp.sweep"), ("task", "eventapp.deliver")]
    package = Path(eventapp.__file__).parent
    elsewhere = [path.relative_to(package) for path in package.rglob("*.py") if path.name != "tasks.py"
                 and any(word in path.read_text() for word in (".task(", "periodic_task("))]
    assert elsewhere == []


def test_commits_that_queue_messages_leave_one_waiting_task_and_a_full_batch_adds_one(app, db, make_event,
                                                                                     smtp_sink):
    from eventapp.messaging.tasks import request_delivery

    huey = app.extensions["huey"]
    huey.flush()
    sign_up(db, make_event(capacity=None), 25)
    assert huey.pending_count() == 1  # one task sends all 25; a task per message found nothing left to do
    huey.flush()
    asked = []
    assert operations.deliver_waiting(100, on_full_batch=lambda: asked.append(request_delivery(app))) == 25
    assert len(asked) == 1 and huey.pending_count() == 1  # after the full first batch (20), not the last (5)
    assert len(smtp_sink.messages) == 25
    huey.flush()


def test_background_work_is_started_by_a_sweep_in_the_queue_which_also_delivers(app, db, make_event, smtp_sink):
    # run_sweep_now starts a job that the sweep continues (an import) without a new kind of task: the sweep it
    # queues delivers too, so request_delivery may still count on any waiting task to send what is due.
    from eventapp.messaging.tasks import request_delivery, run_sweep_now

    huey = app.extensions["huey"]
    huey.flush()
    run_sweep_now(app)
    assert huey.pending_count() == 1
    [waiting] = huey.pending()
    assert waiting.name == "eventapp.sweep"
    sign_up(db, make_event(capacity=None), 3)
    request_delivery(app)
    assert huey.pending_count() == 1  # the sweep in the queue is the delivery
    huey.execute(huey.dequeue())
    assert len(smtp_sink.messages) == 3
    huey.flush()
