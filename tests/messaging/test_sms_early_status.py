"""Twilio can call back about a text before the worker has recorded the SID it got for it. Such a callback is kept
and applied as soon as the SID is recorded, whichever side commits first; nothing is applied twice."""
from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa

import tests.fake_twilio
from eventapp.core.time import utcnow
from eventapp.leads.models import ActivityKind
from eventapp.messaging import sms
from eventapp.messaging.models import EarlySmsStatus, MessageStatus
from eventapp.messaging.operations import deliver_due
from tests.messaging.test_sms import activities, rows, sign_up_for_sms, status_callback

SID = "SM" + "ab" * 16


def kept(db) -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [(row.provider_id, row.status, row.error_code)
            for row in db.session.execute(sa.select(EarlySmsStatus).order_by(EarlySmsStatus.id)).scalars()]


def test_a_delivery_report_before_the_sid_is_recorded_is_applied_when_it_is(client, db, make_event, fake_twilio,
                                                                           monkeypatch):
    event = make_event(sms_enabled=True)
    sign_up_for_sms(client, event)
    # Twilio answers the send with SID; its "delivered" arrives before the worker has written SID down
    assert status_callback(client, SID, "delivered").status_code == 204
    assert kept(db) == [(SID, "delivered", "")]
    monkeypatch.setattr(tests.fake_twilio, "secrets", SimpleNamespace(token_hex=lambda n: "ab" * n))
    deliver_due()
    [text] = rows(db, "sms")
    assert text.provider_id == SID and text.status == MessageStatus.DELIVERED and text.delivered_at is not None
    assert [a.meta["message_id"] for a in activities(db, ActivityKind.MESSAGE_DELIVERED)] == [text.id]
    assert kept(db) == []
    assert status_callback(client, SID, "delivered").status_code == 204  # a repeat changes nothing
    assert len(activities(db, ActivityKind.MESSAGE_DELIVERED)) == 1 and kept(db) == []


def test_a_failure_report_that_came_early_fails_the_text_with_its_reason(client, db, make_event, fake_twilio,
                                                                          monkeypatch):
    event = make_event(sms_enabled=True)
    sign_up_for_sms(client, event)
    status_callback(client, SID, "undelivered", 30003)
    monkeypatch.setattr(tests.fake_twilio, "secrets", SimpleNamespace(token_hex=lambda n: "ab" * n))
    deliver_due()
    [text] = rows(db, "sms")
    assert text.status == MessageStatus.FAILED and "30003" in text.last_error
    assert kept(db) == []


def test_the_callback_applies_it_when_the_worker_recorded_the_sid_in_between(client, db, make_event, fake_twilio):
    """The other order: the callback found no message, the worker recorded the SID and looked for kept callbacks
    before this one was committed, so the callback's own second look applies it."""
    event = make_event(sms_enabled=True)
    sign_up_for_sms(client, event)
    deliver_due()
    [text] = rows(db, "sms")
    real_sid = text.provider_id
    text.provider_id = ""  # as it was while the worker was still sending
    db.session.commit()
    assert sms.record_delivery_status(real_sid, "delivered") is None  # kept, not yet committed
    text.provider_id = real_sid  # the worker's commit lands meanwhile
    db.session.commit()
    sms.apply_early_statuses(real_sid)  # what the status view does after its commit
    [text] = rows(db, "sms")
    assert text.status == MessageStatus.DELIVERED and kept(db) == []


def test_only_final_reports_of_plausible_sids_are_kept_and_old_ones_are_dropped(client, db, fake_twilio):
    for status in ("queued", "sending", "sent"):
        assert status_callback(client, SID, status).status_code == 204
    assert status_callback(client, "SM" + "0" * 200, "delivered").status_code == 204
    assert kept(db) == []
    status_callback(client, SID, "delivered")
    db.session.add(EarlySmsStatus(provider_id="SM" + "cd" * 16, status="failed",
                                  received_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    assert sms.forget_early_statuses(older_than=utcnow() - timedelta(days=1)) == 1
    assert kept(db) == [(SID, "delivered", "")]
