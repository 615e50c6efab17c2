"""Confirmations and state-change mails through a real SMTP server, parsed as a mail client would."""
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
import zxingcpp
from icalendar import Calendar
from PIL import Image

from eventapp.core.time import utcnow
from eventapp.contacts.models import Contact
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.messaging.models import Message, MessageStatus, MessageTemplate
from eventapp.messaging.operations import deliver_due
from eventapp.registration.models import Registration
from eventapp.registration.tickets import ticket_code
from tests.conftest import hidden_fields, signup_form, submit


def sign_up(client, event, **overrides):
    response = submit(client, f"/e/{event.slug}", signup_form(**overrides))
    assert response.status_code == 303
    return response.headers["Location"].removesuffix("?new=1")  # the manage page


def messages(db):
    db.session.expire_all()
    return list(db.session.execute(sa.select(Message).order_by(Message.id)).scalars())


def calendar_of(mail):
    [part] = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part, Calendar.from_ical(part.get_content())


def test_confirmation_mail_has_headers_both_parts_qr_and_calendar(client, db, make_event, smtp_sink):
    event = make_event()
    sign_up(client, event)
    assert smtp_sink.messages == []  # nothing is sent inline by the request
    assert deliver_due() == 1
    [mail] = smtp_sink.messages
    registration = db.session.execute(sa.select(Registration)).scalar_one()

    assert mail["To"] == "Ada Lovelace <ada@example.com>"  # the name the person signed up with
    assert mail["Subject"] == f"You're registered: {event.title}"
    assert mail["Message-ID"].startswith("<") and mail["Date"]
    assert mail.get_content_type() == "multipart/mixed"
    plain = mail.get_body(("plain",)).get_content()
    html_part = mail.get_body(("html",))
    html = html_part.get_content()
    assert f"/r/{registration.manage_token}" in plain and f"/r/{registration.manage_token}" in html
    assert ticket_code(registration.ticket_secret) in plain
    # every cid: in the HTML has its part, and the QR decodes back to the ticket secret
    related = [p for p in mail.walk() if p.get("Content-ID")]
    assert 'src="cid:ticket-qr@eventapp"' in html and [p["Content-ID"] for p in related] == ["<ticket-qr@eventapp>"]
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(related[0].get_content())))
    assert decoded.text == registration.ticket_secret

    part, calendar = calendar_of(mail)
    assert part.get_param("method") == "REQUEST"
    assert calendar["METHOD"] == "REQUEST"
    [entry] = calendar.walk("VEVENT")
    assert int(entry["SEQUENCE"]) == 0 and entry["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert entry["DTSTART"].dt == event.starts_at
    assert str(entry["ATTENDEE"]) == "mailto:ada@example.com" and entry["ORGANIZER"]
    assert calendar.walk("VALARM") and {tz["TZID"] for tz in calendar.walk("VTIMEZONE")} == {"Europe/Berlin"}
    # the calendar entry from the page and the one in the mail are the same entry
    page_calendar = Calendar.from_ical(client.get(f"/r/{registration.manage_token}/calendar.ics").data)
    assert page_calendar.walk("VEVENT")[0]["UID"] == entry["UID"]

    [row] = messages(db)
    assert row.status == MessageStatus.SENT and row.attempts == 1 and row.provider_id == mail["Message-ID"]
    kinds = list(db.session.execute(sa.select(LeadActivity.kind).order_by(LeadActivity.id)).scalars())
    assert kinds.count(ActivityKind.MESSAGE_SENT) == 1
    assert kinds.index(ActivityKind.MESSAGE_QUEUED) < kinds.index(ActivityKind.MESSAGE_SENT)


def test_each_message_is_sent_once_however_often_delivery_runs(client, db, make_event, smtp_sink):
    event = make_event()
    sign_up(client, event)
    deliver_due()
    deliver_due()
    from eventapp.messaging.operations import deliver

    assert deliver(messages(db)[0].id) is None  # already sent: not claimed again
    assert len(smtp_sink.messages) == 1


@pytest.mark.parametrize("overrides, subject, has_ticket", [
    ({"approval_required": True}, "We received your sign-up", False),
])
def test_pending_sign_up_is_told_without_a_ticket(client, db, make_event, smtp_sink, overrides, subject, has_ticket):
    event = make_event(**overrides)
    sign_up(client, event)
    deliver_due()
    [mail] = smtp_sink.messages
    assert mail["Subject"].startswith(subject)
    assert not [p for p in mail.walk() if p.get("Content-ID")]
    assert not [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]


def test_cancelling_tells_calendars_and_promotes_the_first_waitlisted(client, db, make_event, smtp_sink):
    event = make_event(capacity=1)
    first = sign_up(client, event, email="first@example.com")
    sign_up(client, event, email="second@example.com")
    sign_up(client, event, email="third@example.com")
    deliver_due()
    assert [m["Subject"].split(":")[0] for m in smtp_sink.messages] == [
        "You're registered", "You're on the waiting list", "You're on the waiting list"]
    _, confirmation = calendar_of(smtp_sink.messages[0])
    smtp_sink.messages.clear()

    submit(client, f"{first}/cancel", {})
    deliver_due()
    by_recipient = {m["To"].addresses[0].addr_spec: m for m in smtp_sink.messages}
    assert set(by_recipient) == {"first@example.com", "second@example.com"}
    part, cancel = calendar_of(by_recipient["first@example.com"])
    assert part.get_param("method") == "CANCEL" and cancel["METHOD"] == "CANCEL"
    entry, original = cancel.walk("VEVENT")[0], confirmation.walk("VEVENT")[0]
    assert entry["UID"] == original["UID"] and int(entry["SEQUENCE"]) > int(original["SEQUENCE"])
    assert entry["STATUS"] == "CANCELLED"
    promoted = by_recipient["second@example.com"]
    assert promoted["Subject"].startswith("A seat opened up")
    assert [p for p in promoted.walk() if p.get("Content-ID")]  # the promoted person gets the ticket
    statuses = dict(db.session.execute(sa.select(Registration.id, Registration.status)).all())
    assert sorted(statuses.values()) == ["cancelled", "confirmed", "waitlisted"]
    db.session.refresh(event)
    assert event.seats_taken == 1


def test_signing_up_twice_resends_the_manage_link_to_the_owner_once_a_day(client, db, make_event, smtp_sink):
    event = make_event()
    sign_up(client, event)
    deliver_due()
    smtp_sink.messages.clear()
    for _ in range(3):
        response = submit(client, f"/e/{event.slug}", signup_form(first_name="Someone", last_name="Else"))
        assert "already registered" in response.get_data(as_text=True)
    deliver_due()
    [mail] = smtp_sink.messages
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    assert mail["To"] == "Ada Lovelace <ada@example.com>" and mail["Subject"].startswith("Your registration")
    assert f"/r/{registration.manage_token}" in mail.get_body(("plain",)).get_content()


def test_smtp_down_retries_with_backoff_then_delivers_once(client, db, make_event, smtp_sink):
    event = make_event()
    sign_up(client, event)
    smtp_sink.reply = "451 4.3.0 try again later"
    deliver_due()
    [row] = messages(db)
    assert row.status == MessageStatus.QUEUED and row.attempts == 1 and "451" in row.last_error
    assert row.due_at > utcnow() + timedelta(seconds=15)  # backed off, not hammering
    assert deliver_due() == 0  # not due yet
    smtp_sink.reply = None
    row.due_at = utcnow()
    db.session.commit()
    assert deliver_due() == 1
    assert len(smtp_sink.messages) == 1
    [row] = messages(db)
    assert row.status == MessageStatus.SENT and row.attempts == 2 and row.last_error == ""


def test_smtp_server_unreachable_is_a_retry_not_a_failure(client, db, make_event, smtp_sink, app, refused_port):
    from eventapp.messaging.backends import EmailBackend
    from eventapp.messaging.email import SmtpSender, SmtpSettings

    event = make_event()
    sign_up(client, event)
    app.extensions["message_backends"]["email"] = EmailBackend(
        SmtpSender(SmtpSettings("127.0.0.1", refused_port, "plain", "", ""), timeout=2))
    deliver_due()
    [row] = messages(db)
    assert row.status == MessageStatus.QUEUED and row.attempts == 1 and row.last_error


def test_permanent_refusal_is_not_retried_and_shows_the_reason(client, db, make_event, smtp_sink):
    event = make_event()
    sign_up(client, event)
    smtp_sink.reply = "550 5.1.1 no such mailbox"
    deliver_due()
    [row] = messages(db)
    assert row.status == MessageStatus.FAILED and "550" in row.last_error and row.attempts == 1
    row_due = row.due_at
    smtp_sink.reply = None
    assert deliver_due() == 0
    assert messages(db)[0].due_at == row_due and smtp_sink.messages == []
    failure = db.session.execute(sa.select(LeadActivity).where(LeadActivity.kind == ActivityKind.MESSAGE_FAILED)
                                 ).scalar_one()
    assert failure.meta["permanent"] is True and "550" in failure.meta["reason"]


def test_a_crashed_workers_claim_is_released_and_the_resend_keeps_its_message_id(client, db, make_event, smtp_sink):
    from eventapp.messaging.operations import claim

    event = make_event()
    sign_up(client, event)
    [row] = messages(db)
    assert claim(row.id)  # a worker claims it ... and dies before sending
    assert deliver_due() == 0  # the lease still holds
    row = messages(db)[0]
    row.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert deliver_due() == 1
    [mail] = smtp_sink.messages
    assert messages(db)[0].provider_id == mail["Message-ID"]


def test_nothing_is_queued_when_the_sign_up_is_refused(client, db, make_event, smtp_sink):
    event = make_event(capacity=1, waitlist_enabled=False)
    sign_up(client, event, email="one@example.com")
    fields = hidden_fields(client.get(f"/e/{make_event().slug}").get_data(as_text=True))
    response = client.post(f"/e/{event.slug}", data={**fields, **signup_form(email="two@example.com")})
    assert response.status_code == 409
    assert [m.recipient for m in messages(db)] == ["one@example.com"]



def test_line_breaks_in_stored_text_never_become_headers(client, db, make_event, smtp_sink, login_as):
    """A title, a name and an organiser's subject saved with line breaks (before the forms took them out): the
    mail is still composed and sent, with one Subject line and no header smuggled in, and the preview shows."""
    def rename(email, first_name):
        registration = db.session.execute(sa.select(Registration).where(Registration.email == email)).scalar_one()
        registration.first_name = first_name
        db.session.commit()

    def only_header_lines(mail, subject):
        assert mail.get_all("Subject") == [subject]
        assert set(mail.keys()) == {"Content-Type", "MIME-Version", "From", "To", "Subject", "Date", "Message-ID"}

    event = make_event(title="Seminar\r\nBcc: victim@x.example")
    sign_up(client, event, email="eve@example.com")
    rename("eve@example.com", "Eve\r\nBcc: x@y")
    assert deliver_due() == 1
    [mail] = smtp_sink.messages
    only_header_lines(mail, "You're registered: Seminar  Bcc: victim@x.example")

    db.session.add(MessageTemplate(event_id=event.id, kind="confirmation", subject="x: y\r\nz: w {first_name}"))
    db.session.commit()
    sign_up(client.application.test_client(), event, email="mal@example.com")
    rename("mal@example.com", "Mal\nCc:\x0bz@example.com")
    smtp_sink.messages.clear()
    assert deliver_due() == 1
    [mail] = smtp_sink.messages
    only_header_lines(mail, "x: y  z: w Mal Cc: z@example.com")
    assert [m.status for m in messages(db)] == [MessageStatus.SENT, MessageStatus.SENT]

    login_as()
    preview = client.get(f"/admin/events/{event.id}/messages/confirmation")  # the stored subject's line break
    assert preview.status_code == 200 and "z: w Alex" in preview.get_data(as_text=True)  # the sample attendee

def build(**changes):
    from eventapp.messaging.email import build_mail

    arguments = dict(sender="Zoë Events <events@example.com>", recipient="ada@bücher.example",
                     recipient_name="Ada Lovelace", subject="You're registered: Seminar", key="reg:1:confirmation:email",
                     text="Hello Ada,\n\nSee you there.\n", html="<p>Hello Ada,</p><p>See you there.</p>",
                     inline_image=(b"\x89PNG" + bytes(range(256)) * 3, "ticket-qr@eventapp"),
                     calendar=("BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n".encode(), "REQUEST"),
                     reply_to="Org <org@example.com>")
    arguments.update(changes)
    return build_mail(**arguments)


def test_the_mail_is_laid_out_as_clients_expect():
    """mixed[alternative[plain, related[html, the QR by Content-ID]], the .ics]; the envelope from the headers."""
    mail = build()
    message = mail.parsed()
    layout = [(part.get_content_type(), part.get("Content-ID"), part.get_filename()) for part in message.walk()]
    assert layout == [("multipart/mixed", None, None), ("multipart/alternative", None, None),
                      ("text/plain", None, None), ("multipart/related", None, None), ("text/html", None, None),
                      ("image/png", "<ticket-qr@eventapp>", "ticket.png"), ("text/calendar", None, "invite.ics")]
    [image] = [part for part in message.walk() if part.get("Content-ID")]
    assert image.get_content_disposition() == "inline" and image.get_content() == b"\x89PNG" + bytes(range(256)) * 3
    [ics] = list(message.iter_attachments())
    assert ics.get_param("method") == "REQUEST" and ics.get_content_charset() == "utf-8"
    assert ics.get_content().startswith("BEGIN:VCALENDAR")
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Hello Ada,\n\nSee you there.\n"
    assert message["To"] == "Ada Lovelace <ada@xn--bcher-kva.example>" and message["Reply-To"] == "Org <org@example.com>"
    assert message["From"] == "Zoë Events <events@example.com>" and message["Message-ID"] == mail.message_id
    assert message["Date"].datetime.tzinfo is not None
    assert mail.sender == "events@example.com" and mail.recipients == ("ada@xn--bcher-kva.example",)
    assert not mail.smtputf8 and mail.data.isascii()
    assert b"\n" not in mail.data.replace(b"\r\n", b"") and max(map(len, mail.data.split(b"\r\n"))) <= 998


def test_a_mail_without_ticket_is_plain_and_html_only():
    message = build(inline_image=None, calendar=None, reply_to="").parsed()
    assert [part.get_content_type() for part in message.walk()] == ["multipart/alternative", "text/plain",
                                                                   "text/html"]
    assert "Reply-To" not in message


def test_the_message_id_is_fixed_by_the_outbox_row():
    first, again, other = build(), build(), build(key="reg:2:confirmation:email")
    assert first.message_id == again.message_id != other.message_id
    assert first.message_id.endswith("@example.com>")


@pytest.mark.parametrize("subject", ["Grüße aus Zürich: " + "ä" * 80, "报名成功：研讨会", "x" * 300])
def test_long_and_foreign_subjects_and_names_are_encoded_and_read_back(subject):
    mail = build(subject=subject, recipient_name="李雷 \"the one\", Jr.", text="é" * 300 + "\r\nlong " * 60)
    message = mail.parsed()
    assert message["Subject"] == subject and message["To"].addresses[0].display_name == '李雷 "the one", Jr.'
    assert message.get_body(("plain",)).get_content().startswith("é" * 300)
    assert mail.data.isascii() and max(map(len, mail.data.split(b"\r\n"))) <= 998


def test_a_nameless_recipient_is_in_angle_brackets():
    """A bare address in To: next to an HTML image is what spam filters count against a mail."""
    mail = build(recipient="ada@example.com", recipient_name="")
    assert b"\r\nTo: <ada@example.com>\r\n" in mail.data
    assert mail.parsed()["To"].addresses[0].addr_spec == "ada@example.com"


def test_an_address_that_needs_smtputf8_is_sent_with_it():
    mail = build(recipient="zoë@example.com", recipient_name="Zoë")
    assert mail.smtputf8 and mail.recipients == ("zoë@example.com",)
    from email import message_from_string
    from email.policy import default

    assert message_from_string(mail.data.decode(), policy=default)["To"].addresses[0].addr_spec == "zoë@example.com"


def test_mail_templates_escape_what_people_typed_and_speak_the_readers_language(app):
    from types import SimpleNamespace

    from eventapp.messaging.compose import _render

    registration = SimpleNamespace(ticket_secret="k3m9", first_name='<b>Ada</b> & "Co"', name="Ada",
                                   greeting_name='<b>Ada</b> & "Co"', email="ada@example.com",
                                   company="<i>Analytical</i>")
    context = {"message": None, "registration": registration,
               "event": SimpleNamespace(title="Q&A <live>", summary="Talks & <lunch>"), "locale": "zh_Hans_CN",
               "intro": "Welcome & more", "manage_url": "https://e.example.com/r/x?a=1&b=2", "when": "Monday",
               "zone": "UTC", "where": "Hall", "with_ticket": True, "qr_cid": "ticket-qr@eventapp"}
    with app.app_context():
        html = _render("emails/registration.html", context, "zh_Hans_CN")
        text = _render("emails/registration.txt", context, "zh_Hans_CN")
    assert "&lt;b&gt;Ada&lt;/b&gt; &amp; &#34;Co&#34;" in html and "&lt;i&gt;Analytical&lt;/i&gt;" in html
    assert "Q&amp;A &lt;live&gt;" in html and "Talks &amp; &lt;lunch&gt;" in html and "?a=1&amp;b=2" in html
    assert '<html lang="zh-Hans-CN">' in html and 'src="cid:ticket-qr@eventapp"' in html
    assert 'Hello <b>Ada</b> & "Co",' in text and "Q&A <live>" in text  # plain text is not HTML


def test_mail_templates_use_flask_babels_gettext_in_the_forced_locale(app, monkeypatch):
    """The templates translate through the app's Jinja environment (Flask-Babel's gettext), in the locale compose()
    forces for the reader, whatever the request's."""
    import flask_babel
    from types import SimpleNamespace

    from eventapp.messaging.compose import _render

    seen = []

    class Catalogue:
        def ugettext(self, message):
            seen.append(str(flask_babel.get_locale()))
            return {"Hello %(name)s,": "<i>你好</i> %(name)s，"}.get(message, message)

        gettext = ugettext

        def ungettext(self, singular, plural, number):
            return singular if number == 1 else plural

        ngettext = ungettext

    monkeypatch.setattr(flask_babel, "get_translations", lambda: Catalogue())
    registration = SimpleNamespace(ticket_secret="k3m9", first_name="<Ada>", name="Ada", greeting_name="<Ada>",
                                   email="ada@example.com", company="")
    context = {"registration": registration, "event": SimpleNamespace(title="T", summary=""), "locale": "zh",
               "intro": "", "manage_url": "https://e.example.com/r/x", "when": "Monday", "zone": "UTC", "where": "",
               "with_ticket": False, "qr_cid": None}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = _render("emails/registration.html", context, "zh")
    assert "<i>你好</i> &lt;Ada&gt;，" in html  # the translation is trusted markup; the name is escaped
    assert seen and set(seen) == {"zh"}
