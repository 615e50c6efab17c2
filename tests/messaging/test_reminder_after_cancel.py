"""A reminder queued before the event was cancelled (waiting for its turn, or for a retry) is not sent after the
cancellation mail."""
from datetime import timedelta

import sqlalchemy as sa

from eventapp.messaging.models import Message, MessageKind, MessageStatus
from eventapp.messaging.operations import deliver_due
from eventapp.registration.reminders import queue_due_reminders
from tests.conftest import signup_form, submit


def test_a_reminder_queued_before_the_event_was_cancelled_is_not_sent(client, db, make_event, login_as, smtp_sink):
    event = make_event()
    visitor = client.application.test_client()
    assert submit(visitor, f"/e/{event.slug}", signup_form(email="one@example.com")).status_code == 303
    deliver_due()
    smtp_sink.messages.clear()
    queue_due_reminders(now=event.starts_at - timedelta(hours=1))  # the 1-day and 2-hour reminders are due
    db.session.commit()
    login_as()
    assert submit(client, f"/admin/events/{event.id}/cancel", {}).status_code == 303
    db.session.expire_all()
    deliver_due()
    assert [m["Subject"].startswith("Cancelled") for m in smtp_sink.messages] == [True], \
        [m["Subject"] for m in smtp_sink.messages]
    db.session.expire_all()
    reminders = db.session.execute(sa.select(Message.status).where(Message.kind == MessageKind.REMINDER)).scalars()
    assert set(reminders) == {MessageStatus.CANCELLED}
