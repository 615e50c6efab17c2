"""The real queue consumer in its own process: kill it mid-batch, start it again, every message arrives once.

Runs on whichever queue the app is configured with: the SQLite file by default, Redis when REDIS_URL is set
(.ci/run runs this file again with a real Redis)."""
import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from eventapp.contacts.normalisation import normalise_email
from eventapp.messaging.models import Message, MessageStatus
from eventapp.registration import operations as registration
from eventapp.registration.operations import Signup

BATCH = 30


def start_worker(app, smtp_port):
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "EVENTAPP_DATA_DIR": app.config["DATA_DIR"], "SECRET_KEY": app.config["SECRET_KEY"],
           "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "BASE_URL": "https://events.example.test",
           "EVENTAPP_OUTBOX_LEASE_SECONDS": "2"}
    if app.config.get("REDIS_URL"):
        env["REDIS_URL"] = app.config["REDIS_URL"]
    return subprocess.Popen([sys.executable, "-c", "from eventapp.cli import main; main()", "worker", "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def all_sent(db) -> bool:
    db.session.rollback()  # a fresh read of what the worker committed
    return set(db.session.execute(sa.select(Message.status)).scalars()) == {MessageStatus.SENT}


def test_the_queue_is_redis_exactly_when_redis_url_is_set(app):
    expected = "RedisHuey" if os.environ.get("REDIS_URL") else "SqliteHuey"
    assert type(app.extensions["huey"]).__name__ == expected


def test_killed_worker_mid_batch_loses_and_duplicates_nothing(app, db, make_event, smtp_sink):
    app.extensions["huey"].flush()  # only this test's tasks in the queue
    event = make_event(capacity=None)
    for number in range(BATCH):  # each commit hands its confirmation to the queue
        registration.register(event, Signup(email=normalise_email(f"p{number}@example.com"),
                                            details={"first_name": f"P{number}", "last_name": "Test",
                                                     "company": "Co", "job_title": "CTO"}))
        db.session.commit()
    smtp_sink.delay = 0.05

    worker = start_worker(app, smtp_sink.port)
    try:
        assert wait_for(lambda: len(smtp_sink.messages) >= 8, 60), worker.stderr.read1().decode()[-2000:] \
            if worker.poll() is not None else "worker sent too little"
        worker.send_signal(signal.SIGKILL)  # no goodbye: whatever it was doing is cut off
        worker.wait(timeout=10)
        assert len(smtp_sink.messages) < BATCH, "the batch finished before the kill; make the sink slower"
        smtp_sink.delay = 0
        worker = start_worker(app, smtp_sink.port)
        ids = lambda: {mail["Message-ID"] for mail in smtp_sink.messages}  # noqa: E731
        assert wait_for(lambda: len(ids()) == BATCH, 60), f"{len(ids())} of {BATCH} arrived"
        # Nothing more can arrive once every row is marked sent (no worker takes a sent row again) and the worker
        # has stopped after finishing what it was sending (SIGINT is Huey's graceful stop).
        assert wait_for(lambda: all_sent(db), 30), "the rows were not all marked sent"
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=30)
    finally:
        worker.kill()
        worker.wait(timeout=10)

    received = [mail["Message-ID"] for mail in smtp_sink.messages]
    assert len(set(received)) == BATCH  # every message arrived
    # At most the one message that was on the wire at the kill went twice, with the same Message-ID (which mail
    # systems deduplicate); everything else exactly once.
    assert len(received) - len(set(received)) <= 1
    recipients = sorted(mail["To"].addresses[0].addr_spec for mail in smtp_sink.messages)
    assert set(recipients) == {f"p{number}@example.com" for number in range(BATCH)}
    db.session.expire_all()
    statuses = list(db.session.execute(sa.select(Message.status)).scalars())
    assert statuses == [MessageStatus.SENT] * BATCH
