"""SMS through the real twilio client to a local fake Twilio API; status callbacks and inbound STOP/START/HELP
through the signed webhooks, as Twilio would send them."""
import random
from datetime import timedelta
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from eventapp.contacts.models import Suppression, SuppressionChannel
from eventapp.core.time import utcnow
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.messaging.models import Message, MessageStatus
from eventapp.messaging.operations import deliver_due
from eventapp.messaging.sms import SmsBackend, TwilioSettings, sms_segments
from eventapp.registration.models import Registration
from tests.conftest import signup_form, submit
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER

MOBILE = "+447911123456"


def sign_up_for_sms(client, event, email="ada@example.com", phone="+44 7911 123456"):
    response = submit(client, f"/e/{event.slug}", signup_form(email=email, phone=phone, sms_opt_in="y"))
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def rows(db, channel=None):
    db.session.expire_all()
    query = sa.select(Message).order_by(Message.id)
    if channel:
        query = query.where(Message.channel == channel)
    return list(db.session.execute(query).scalars())


def activities(db, kind):
    db.session.expire_all()
    return list(db.session.execute(sa.select(LeadActivity).where(LeadActivity.kind == kind)
                                   .order_by(LeadActivity.id)).scalars())


def post_signed(client, path, params, *, url=None, token=AUTH_TOKEN, signature=None):
    """POST as Twilio does: form-encoded, signed over the public URL and the parameters."""
    url = url or f"http://localhost{path}"
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, params)
    base = urlparse(url)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature},
                       base_url=f"{base.scheme}://{base.netloc}")


def status_callback(client, sid, status, error_code=None, **kwargs):
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID, "To": MOBILE,
              "From": FROM_NUMBER}
    if error_code:
        params["ErrorCode"] = str(error_code)
    return post_signed(client, "/twilio/status", params, **kwargs)


def inbound(client, body, phone=MOBILE, **kwargs):
    return post_signed(client, "/twilio/inbound", {"From": phone, "To": FROM_NUMBER, "Body": body,
                                                  "AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "1" * 32},
                       **kwargs)


def opted_out(db, phone=MOBILE):
    """Whether the number is on the suppression list for SMS."""
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count()).select_from(Suppression).where(
        Suppression.channel == SuppressionChannel.SMS, Suppression.address == phone)).scalar() == 1


# ---- sending ---------------------------------------------------------------------------------------------------

def test_sign_up_with_sms_sends_one_text_through_twilio_and_the_email_too(client, db, make_event, smtp_sink,
                                                                          fake_twilio):
    event = make_event(sms_enabled=True)
    sign_up_for_sms(client, event)
    assert fake_twilio.requests == []  # nothing is sent inline by the request
    assert deliver_due() == 2

    registration = db.session.execute(sa.select(Registration)).scalar_one()
    assert registration.sms_opt_in is True
    [request] = fake_twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request["user"] == ACCOUNT_SID
    text = request["form"]
    assert text["To"] == MOBILE and text["From"] == FROM_NUMBER and "MessagingServiceSid" not in text
    assert f"/r/{registration.manage_token}" in text["Body"] and event.title in text["Body"]
    assert text["StatusCallback"] == "http://127.0.0.1:5000/twilio/status"  # BASE_URL unset: the dev default

    [mail] = smtp_sink.messages
    assert mail["To"].addresses[0].addr_spec == "ada@example.com"
    [sms] = rows(db, "sms")
    assert sms.status == MessageStatus.SENT and sms.attempts == 1 and sms.recipient == MOBILE
    assert sms.provider_id.startswith("SM") and sms.body_text == text["Body"]
    sent = [a for a in activities(db, ActivityKind.MESSAGE_SENT) if a.channel == "sms"]
    assert len(sent) == 1

    deliver_due()
    assert len(fake_twilio.requests) == 1  # sent once, however often delivery runs


def test_status_callback_url_uses_base_url(client, db, app, make_event, fake_twilio, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://events.example.com")
    sign_up_for_sms(client, make_event(sms_enabled=True))
    deliver_due()
    [text] = fake_twilio.messages
    assert text["StatusCallback"] == "https://events.example.com/twilio/status"
    assert "https://events.example.com/r/" in text["Body"]


def test_messaging_service_is_used_instead_of_a_from_number(client, db, app, make_event, fake_twilio, monkeypatch):
    backend = SmsBackend(TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, messaging_service_sid="MG" + "2" * 32),
                         api_base_url=fake_twilio.url, timeout=5)
    monkeypatch.setitem(app.extensions["message_backends"], "sms", backend)
    sign_up_for_sms(client, make_event(sms_enabled=True))
    deliver_due()
    [text] = fake_twilio.messages
    assert text["MessagingServiceSid"] == "MG" + "2" * 32 and "From" not in text


@pytest.mark.parametrize("ticked, sms_enabled", [(False, True), (True, False)])
def test_no_sms_unless_the_event_offers_it_and_the_person_asks(client, db, make_event, fake_twilio, ticked,
                                                               sms_enabled):
    event = make_event(sms_enabled=sms_enabled)
    form = signup_form(phone="+44 7911 123456", **({"sms_opt_in": "y"} if ticked else {}))
    assert submit(client, f"/e/{event.slug}", form).status_code == 303
    deliver_due()
    assert [m.channel for m in rows(db)] == ["email"]
    assert fake_twilio.requests == []
    # a forged tick on an event without SMS is not stored either
    assert db.session.execute(sa.select(Registration.sms_opt_in)).scalar_one() is False


def test_without_twilio_the_text_goes_to_the_dev_mailbox(client, db, make_event):
    assert "sms" in client.application.extensions["message_backends"]
    assert client.application.extensions["message_backends"]["sms"].is_dev_mailbox  # no TWILIO_* in tests
    sign_up_for_sms(client, make_event(sms_enabled=True))
    deliver_due()
    [sms] = rows(db, "sms")
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    assert sms.status == MessageStatus.SENT and sms.provider_id.startswith("dev-")
    assert f"/r/{registration.manage_token}" in sms.body_text


def test_twilio_settings_come_complete_or_not_at_all():
    assert TwilioSettings.from_config({}) is None
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        TwilioSettings.from_config({"TWILIO_ACCOUNT_SID": ACCOUNT_SID})
    with pytest.raises(ValueError, match="TWILIO_FROM"):
        TwilioSettings.from_config({"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
    settings = TwilioSettings.from_config({"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                                           "TWILIO_FROM": FROM_NUMBER})
    assert settings.from_number == FROM_NUMBER


# ---- provider errors -------------------------------------------------------------------------------------------

def test_opted_out_at_twilio_fails_for_good_and_is_mirrored(client, db, make_event, fake_twilio):
    fake_twilio.fail_with(400, 21610, "Attempt to send to unsubscribed recipient")
    sign_up_for_sms(client, make_event(sms_enabled=True))
    deliver_due()

    [sms] = rows(db, "sms")
    assert sms.status == MessageStatus.FAILED and sms.attempts == 1
    assert "21610" in sms.last_error and "opted out" in sms.last_error
    assert opted_out(db) is True
    [failed] = [a for a in activities(db, ActivityKind.MESSAGE_FAILED) if a.channel == "sms"]
    assert failed.meta["permanent"] is True
    [activity] = activities(db, ActivityKind.SMS_OPTED_OUT)
    assert activity.contact_id == sms.contact_id and activity.channel == "sms"

    db.session.execute(sa.update(Message).values(due_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    deliver_due()
    assert len(fake_twilio.messages) == 1 and rows(db, "sms")[0].status == MessageStatus.FAILED  # not retried


@pytest.mark.parametrize("status, code, words", [
    (400, 21211, "not valid"),
    (400, 21614, "not a mobile number"),
    (400, 21408, "Permission to send an SMS has not been enabled"),
    (401, 20003, "Authenticate"),
])
def test_other_refusals_fail_for_good(client, db, make_event, fake_twilio, status, code, words):
    fake_twilio.fail_with(status, code, {21408: "Permission to send an SMS has not been enabled for the region",
                                         20003: "Authenticate"}.get(code, "refused"))
    sign_up_for_sms(client, make_event(sms_enabled=True))
    deliver_due()
    [sms] = rows(db, "sms")
    assert sms.status == MessageStatus.FAILED and sms.attempts == 1
    assert str(code) in sms.last_error and words in sms.last_error
    assert opted_out(db) is False  # only 21610 means the person opted out


@pytest.mark.parametrize("status, code", [(500, None), (503, None), (429, 20429)])
def test_server_errors_are_retried_later(client, db, make_event, fake_twilio, status, code):
    fake_twilio.fail_with(status, code, "Service unavailable")
    sign_up_for_sms(client, make_event(sms_enabled=True))
    before = utcnow()
    deliver_due()

    [sms] = rows(db, "sms")
    assert sms.status == MessageStatus.QUEUED and sms.attempts == 1
    assert sms.due_at > before and str(code or status) in sms.last_error
    assert deliver_due() == 0  # not due yet

    db.session.execute(sa.update(Message).where(Message.id == sms.id).values(due_at=utcnow()))
    db.session.commit()
    deliver_due()
    [sms] = rows(db, "sms")
    assert sms.status == MessageStatus.SENT and sms.attempts == 2 and sms.last_error == ""
    assert len(fake_twilio.messages) == 2


def test_twilio_unreachable_is_retried_later(client, db, app, make_event, monkeypatch, refused_port):
    backend = SmsBackend(TwilioSettings(ACCOUNT_SID, AUTH_TOKEN, from_number=FROM_NUMBER),
                         api_base_url=f"http://127.0.0.1:{refused_port}", timeout=2)
    monkeypatch.setitem(app.extensions["message_backends"], "sms", backend)
    sign_up_for_sms(client, make_event(sms_enabled=True))
    deliver_due()
    [sms] = rows(db, "sms")
    assert sms.status == MessageStatus.QUEUED and sms.attempts == 1
    assert "could not be reached" in sms.last_error


# ---- status callbacks ------------------------------------------------------------------------------------------

def sent_texts(client, db, make_event, count):
    event = make_event(sms_enabled=True)
    for number in range(count):
        sign_up_for_sms(client, event, email=f"person{number}@example.com", phone=f"+44 7911 1234{number:02d}")
    deliver_due()
    texts = rows(db, "sms")
    assert len(texts) == count and all(m.status == MessageStatus.SENT for m in texts)
    return texts


def test_delivery_reports_in_any_order_end_in_delivered(client, db, make_event, fake_twilio):
    texts = sent_texts(client, db, make_event, 8)
    for seed, text in enumerate(texts):
        callbacks = ["queued", "sending", "sent", "delivered", "delivered", "sent"]
        random.Random(seed).shuffle(callbacks)
        for status in callbacks:
            assert status_callback(client, text.provider_id, status).status_code == 204
    for text in rows(db, "sms"):
        assert text.status == MessageStatus.DELIVERED and text.delivered_at is not None
        assert text.last_error == ""
    delivered = activities(db, ActivityKind.MESSAGE_DELIVERED)
    assert sorted(a.meta["message_id"] for a in delivered) == [t.id for t in texts]  # once each


def test_undelivered_in_any_order_fails_with_the_error_code(client, db, make_event, fake_twilio):
    texts = sent_texts(client, db, make_event, 6)
    for seed, text in enumerate(texts):
        callbacks = [("queued", None), ("sent", None), ("undelivered", 30003), ("sent", None), ("sending", None)]
        random.Random(seed).shuffle(callbacks)
        for status, code in callbacks:
            assert status_callback(client, text.provider_id, status, code).status_code == 204
    for text in rows(db, "sms"):
        assert text.status == MessageStatus.FAILED
        assert "30003" in text.last_error and "unreachable" in text.last_error
    failed = [a for a in activities(db, ActivityKind.MESSAGE_FAILED) if a.channel == "sms"]
    assert len(failed) == len(texts) and all(a.meta["permanent"] is True for a in failed)


def test_a_final_state_is_not_changed_by_later_reports(client, db, make_event, fake_twilio):
    delivered, failed = sent_texts(client, db, make_event, 2)
    status_callback(client, delivered.provider_id, "delivered")
    status_callback(client, delivered.provider_id, "sent")
    status_callback(client, delivered.provider_id, "failed", 30008)
    status_callback(client, failed.provider_id, "failed", 30005)
    status_callback(client, failed.provider_id, "delivered")
    delivered, failed = rows(db, "sms")
    assert delivered.status == MessageStatus.DELIVERED and delivered.last_error == ""
    assert failed.status == MessageStatus.FAILED and "30005" in failed.last_error and failed.delivered_at is None


def test_undelivered_because_opted_out_mirrors_the_opt_out(client, db, make_event, fake_twilio):
    [text] = sent_texts(client, db, make_event, 1)
    status_callback(client, text.provider_id, "undelivered", 21610)
    assert rows(db, "sms")[0].status == MessageStatus.FAILED
    assert opted_out(db, text.recipient) is True


def test_report_for_an_unknown_message_changes_nothing(client, db, make_event, fake_twilio):
    [text] = sent_texts(client, db, make_event, 1)
    assert status_callback(client, "SM" + "f" * 32, "delivered").status_code == 204
    assert rows(db, "sms")[0].status == MessageStatus.SENT


@pytest.mark.parametrize("how", ["missing", "garbage", "other token", "other url", "tampered"])
def test_unsigned_or_badly_signed_webhooks_are_refused(client, db, make_event, fake_twilio, how):
    [text] = sent_texts(client, db, make_event, 1)
    params = {"MessageSid": text.provider_id, "MessageStatus": "delivered"}
    validator = RequestValidator(AUTH_TOKEN)
    signature = {
        "missing": "",
        "garbage": "bm90IGEgc2lnbmF0dXJl",
        "other token": RequestValidator("someone-else").compute_signature("http://localhost/twilio/status", params),
        "other url": validator.compute_signature("http://localhost/twilio/inbound", params),
        "tampered": validator.compute_signature("http://localhost/twilio/status",
                                                {**params, "MessageStatus": "sent"}),
    }[how]
    headers = {"X-Twilio-Signature": signature} if signature else {}
    response = client.post("/twilio/status", data=params, headers=headers)
    assert response.status_code == 403
    inbound_response = client.post("/twilio/inbound", data={"From": MOBILE, "Body": "STOP"}, headers=headers)
    assert inbound_response.status_code == 403
    assert rows(db, "sms")[0].status == MessageStatus.SENT
    assert opted_out(db) is False and activities(db, ActivityKind.MESSAGE_DELIVERED) == []


def test_signature_is_checked_against_the_public_url(client, db, app, make_event, fake_twilio, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://events.example.com")
    [text] = sent_texts(client, db, make_event, 1)
    # Behind a proxy the app sees http://localhost, but Twilio signed the address it called.
    assert status_callback(client, text.provider_id, "delivered").status_code == 403
    assert status_callback(client, text.provider_id, "delivered",
                           url="https://events.example.com/twilio/status").status_code == 204
    assert rows(db, "sms")[0].status == MessageStatus.DELIVERED


def test_webhooks_need_no_csrf_token(client, app, fake_twilio, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert inbound(client, "hello").status_code == 200


def test_without_an_auth_token_every_webhook_is_refused(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "")
    assert inbound(client, "STOP", token="").status_code == 403


# ---- inbound: STOP, START, HELP --------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["STOP", " stop ", "StopAll", "UNSUBSCRIBE", "cancel", "END", "quit", "OPTOUT",
                                  "revoke", "退订", " 退订\n"])
def test_stop_opts_the_number_out_before_anything_reaches_twilio(client, db, make_event, fake_twilio, body):
    sign_up_for_sms(client, make_event(sms_enabled=True))  # queued, not yet delivered
    response = inbound(client, body)
    assert response.status_code == 200 and response.content_type.startswith("text/xml")
    assert "<Message>" not in response.get_data(as_text=True)
    assert "<Response" in response.get_data(as_text=True)
    assert opted_out(db) is True

    deliver_due()
    email, sms = rows(db)
    assert email.status == MessageStatus.SENT  # transactional mail still goes
    assert sms.status == MessageStatus.SUPPRESSED and "STOP" in sms.last_error
    assert fake_twilio.requests == []
    [activity] = activities(db, ActivityKind.SMS_OPTED_OUT)
    assert activity.contact_id == sms.contact_id and activity.channel == "sms"
    assert activity.meta["keyword"] == body.strip().upper()


def test_start_opts_back_in_and_texts_flow_again(client, db, make_event, fake_twilio):
    event = make_event(sms_enabled=True)
    inbound(client, "STOP")
    inbound(client, "stop")  # a second STOP is no new opt-out
    sign_up_for_sms(client, event)
    deliver_due()
    assert fake_twilio.requests == [] and rows(db, "sms")[0].status == MessageStatus.SUPPRESSED

    assert inbound(client, " Start ").status_code == 200
    assert opted_out(db) is False
    sign_up_for_sms(client, event, email="ada.other@example.com")
    deliver_due()
    [text] = fake_twilio.messages
    assert text["To"] == MOBILE
    # the STOPs came before any contact had this number; START is on the timeline of the one that had it then
    assert activities(db, ActivityKind.SMS_OPTED_OUT) == []
    [back_in] = activities(db, ActivityKind.SMS_OPTED_IN)
    assert back_in.contact_id == rows(db, "sms")[0].contact_id and back_in.meta["keyword"] == "START"


@pytest.mark.parametrize("sender", ["whatsapp:+447700900123", "messenger:1234567890123456789", "88022", "",
                                    "+4477009001230000000"])
def test_a_stop_from_an_address_that_is_not_a_phone_number_changes_nothing(client, db, fake_twilio, sender):
    response = inbound(client, "STOP", phone=sender)
    assert response.status_code == 200
    assert db.session.execute(sa.select(sa.func.count()).select_from(Suppression)).scalar() == 0


@pytest.mark.parametrize("body", ["YES", "unstop"])
def test_yes_and_unstop_opt_back_in(client, db, fake_twilio, body):
    inbound(client, "STOP")
    inbound(client, body)
    assert opted_out(db) is False


def test_opt_out_is_on_the_timeline_of_every_contact_with_the_number(client, db, make_event, fake_twilio):
    event = make_event(sms_enabled=True)
    sign_up_for_sms(client, event, email="one@example.com")
    sign_up_for_sms(client, event, email="two@example.com")
    inbound(client, "退订")
    inbound(client, "STOP")  # already out: not a second opt-out
    inbound(client, "START")
    out, back = activities(db, ActivityKind.SMS_OPTED_OUT), activities(db, ActivityKind.SMS_OPTED_IN)
    assert len(out) == 2 and len(back) == 2
    assert {a.contact_id for a in out} == {a.contact_id for a in back}
    assert out[0].meta["keyword"] == "退订" and back[0].meta["keyword"] == "START"


@pytest.mark.parametrize("body", ["HELP", " info "])
def test_help_gets_a_short_answer(client, db, fake_twilio, body):
    response = inbound(client, body)
    assert response.status_code == 200 and response.content_type.startswith("text/xml")
    xml = response.get_data(as_text=True)
    assert "<Response><Message>" in xml and "STOP" in xml and "START" in xml
    assert opted_out(db) is False


def test_any_other_text_gets_an_empty_answer(client, db, fake_twilio):
    response = inbound(client, "Will there be parking?")
    assert response.status_code == 200 and "<Message>" not in response.get_data(as_text=True)
    assert opted_out(db) is False


# ---- segments --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("", ("GSM-7", 0)),
    ("a" * 160, ("GSM-7", 1)),
    ("a" * 161, ("GSM-7", 2)),
    ("a" * 306, ("GSM-7", 2)),
    ("a" * 307, ("GSM-7", 3)),
    ("€" * 80, ("GSM-7", 1)),  # € is an escape pair: 160 septets
    ("€" * 81, ("GSM-7", 2)),
    ("a" * 159 + "€", ("GSM-7", 2)),
    ("[]{}~^|\\", ("GSM-7", 1)),
    ("a" * 152 + "€" + "a" * 152, ("GSM-7", 3)),  # the pair is not split over two parts
    ("会" * 70, ("UCS-2", 1)),
    ("会" * 71, ("UCS-2", 2)),
    ("会" * 134, ("UCS-2", 2)),
    ("会" * 135, ("UCS-2", 3)),
    ("a" * 69 + "é", ("GSM-7", 1)),  # é is in GSM-7
    ("a" * 70 + "ê", ("UCS-2", 2)),  # ê is not: the whole text becomes UCS-2
    ("😀" * 35, ("UCS-2", 1)),  # outside the BMP: two UTF-16 units each
    ("😀" * 36, ("UCS-2", 2)),
])
def test_segment_count(text, expected):
    assert sms_segments(text) == expected
