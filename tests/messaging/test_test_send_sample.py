"""'Send me a test' shows the organiser the real message, filled in for a made-up attendee: no real person's data
goes into it, and no one's timeline or message list changes."""
import io
import re
from urllib.parse import urlsplit

import sqlalchemy as sa
import zxingcpp
from PIL import Image

from eventapp.leads.models import LeadActivity
from eventapp.messaging.models import Message, MessageKind, MessageStatus
from eventapp.messaging.operations import deliver_due
from eventapp.registration.samples import SAMPLE_TICKET_CODE
from eventapp.registration.tickets import ticket_code
from eventapp.registration.models import Registration
from tests.conftest import submit
from tests.messaging.test_email import calendar_of, messages, sign_up

WORDING = {"subject": "See you, {first_name} of {company}!",
           "body": "Hello {first_name} {last_name}: code {ticket_code}, page {manage_url}", "sms_text": ""}


def activities(db) -> list[tuple]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(LeadActivity.contact_id, LeadActivity.kind, LeadActivity.meta)
                                   .order_by(LeadActivity.id)).all())


def texts_of(mail) -> str:
    """Every text the mail carries, decoded: plain, HTML and the calendar entry (its long lines unfolded)."""
    texts = [part.get_content() for part in mail.walk() if part.get_content_maintype() == "text"]
    return "\n".join(re.sub(r"\r?\n[ \t]", "", text) for text in texts)


def send_test(client, event, kind="confirmation"):
    url = f"/admin/events/{event.id}/messages/{kind}"
    response = submit(client, url, {}, post_url=f"{url}/test")
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_test_send_carries_the_sample_attendee_and_touches_no_one(client, db, make_event, smtp_sink, login_as):
    event = make_event()
    sign_up(client, event)  # Ada Lovelace of Analytical Ltd
    deliver_due()
    smtp_sink.messages.clear()
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    real = [registration.manage_token, registration.ticket_secret, "Ada", "Lovelace", "ada@example.com",
            "Analytical"]
    user = login_as()
    url = f"/admin/events/{event.id}/messages/confirmation"
    assert submit(client, url, WORDING).status_code == 303
    before, messages_before = activities(db), messages(db)

    page = send_test(client, event)
    assert f"A test is on its way to {user.email}" in page
    assert deliver_due() == 1

    [mail] = smtp_sink.messages
    assert mail["To"].addresses[0].addr_spec == user.email and mail["Subject"] == "[Test] See you, Alex of Example Ltd!"
    everything = texts_of(mail)
    assert [value for value in real if value in everything] == []
    plain = mail.get_body(("plain",)).get_content()
    assert f"Hello Alex Example: code {ticket_code(SAMPLE_TICKET_CODE)}" in plain and event.title in plain and "Hall A" in plain
    # the ticket's QR code is the sample's, and the calendar entry names the sample attendee
    [image] = [part for part in mail.walk() if part.get("Content-ID")]
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.get_content())))
    assert decoded.text == SAMPLE_TICKET_CODE
    _, calendar = calendar_of(mail)
    attendee = calendar.walk("VEVENT")[0]["ATTENDEE"]
    assert attendee.params["CN"] == "Alex Example" and str(attendee) == f"mailto:{user.email}"
    # the sample's manage link leads nowhere
    links = set(re.findall(r"https?://[^\s\"<>]+/r/[^\s\"<>]+", everything))
    assert links and all("/r/sample-preview" in link for link in links)
    for link in links:
        parts = urlsplit(link)
        assert client.get(f"{parts.path}?{parts.query}").status_code == 404

    # no one's timeline changed; the test's row names no contact or registration
    assert activities(db) == before
    [test] = [row for row in messages(db) if row not in messages_before]
    assert (test.kind, test.status, test.contact_id, test.registration_id) == \
        (MessageKind.TEST, MessageStatus.SENT, None, None)
    assert test.recipient == user.email and test.event_id == event.id
    # the log lists it, without a link to a contact
    log = client.get(f"/admin/events/{event.id}/messages").get_data(as_text=True)
    assert user.email in log


def test_a_test_send_works_for_an_event_nobody_has_signed_up_for(client, db, make_event, smtp_sink, login_as):
    event = make_event()
    user = login_as()
    page = send_test(client, event, kind="reminder")
    assert f"A test is on its way to {user.email}" in page
    assert deliver_due() == 1
    [mail] = smtp_sink.messages
    assert mail["To"].addresses[0].addr_spec == user.email and mail["Subject"] == f"[Test] Reminder: {event.title}"
    assert "Hello Alex," in mail.get_body(("plain",)).get_content()
    assert activities(db) == []
    assert db.session.execute(sa.select(sa.func.count()).select_from(Registration)).scalar() == 0


def test_a_failed_test_send_is_retried_without_writing_anyones_activity(client, db, make_event, smtp_sink,
                                                                        login_as):
    event = make_event()
    sign_up(client, event)
    deliver_due()
    smtp_sink.messages.clear()
    login_as()
    before = activities(db)
    send_test(client, event)
    smtp_sink.reply = "550 5.1.1 mailbox unknown"
    deliver_due()
    [test] = [row for row in messages(db) if row.kind == MessageKind.TEST]
    assert test.status == MessageStatus.FAILED
    smtp_sink.reply = None
    response = submit(client, f"/admin/events/{event.id}/messages", {}, post_url=f"/admin/messages/{test.id}/retry")
    assert response.status_code == 303
    deliver_due()
    [mail] = smtp_sink.messages
    assert mail["Subject"].startswith("[Test]")
    assert db.session.get(Message, test.id).status == MessageStatus.SENT
    assert activities(db) == before
