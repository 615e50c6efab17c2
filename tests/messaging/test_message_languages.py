"""Issue 17: every message is composed in its reader's language (queued with it: the contact's where the event
offers it, else the event's first; a user's own, else their organisation's), and the organiser's own wording keeps
the mail's texts around it in the language it is written in. The Chinese texts asserted here come from the zh_Hans
catalogue (they pass once the lead has merged it)."""
import email
import email.policy
import re

import sqlalchemy as sa
from icalendar import Calendar

from eventapp.contacts.models import Contact
from eventapp.extensions import db as _db
from eventapp.messaging.content import written_language
from eventapp.messaging.models import Message, MessageTemplate
from eventapp.messaging.operations import Recipient, deliver_due, queue
from tests.conftest import signup_form, submit

CHINESE_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH_BROWSER = {"Accept-Language": "en-US,en;q=0.9"}
TITLE = "数字化转型研讨会"


def _sign_up(client, event, headers, **form):
    response = submit(client, f"/e/{event.slug}", signup_form(**form), headers=headers)
    assert response.status_code == 303, response.get_data(as_text=True)


def _messages(channel="email") -> list[Message]:
    _db.session.expire_all()
    return list(_db.session.execute(sa.select(Message).where(Message.channel == channel)
                                    .order_by(Message.id)).scalars())


def _calendar(mail) -> Calendar:
    [part] = [part for part in mail.walk() if part.get_content_type() == "text/calendar"][:1]
    return Calendar.from_ical(part.get_payload(decode=True))


def test_a_chinese_confirmation_through_smtp_is_encoded_and_reads_chinese(client, make_event, smtp_sink):
    event = make_event(title=TITLE, languages="zh_Hans,en", summary="关于数字化的半天。")
    _sign_up(client, event, CHINESE_BROWSER)
    [row] = _messages()
    assert row.language == "zh_Hans"
    deliver_due()

    [raw] = smtp_sink.raw
    subject_line = re.search(rb"^Subject:(.*(?:\r?\n[ \t].*)*)", raw, re.M | re.I).group(1)
    assert b"=?utf-8?" in subject_line.lower()  # RFC 2047: the header itself is ASCII
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == f"报名成功：{TITLE}"
    text = mail.get_body(("plain",))
    assert text.get_content_charset() == "utf-8"
    body = text.get_content()
    assert "您已报名成功" in body and "Show the QR code" not in body
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", body)  # the date as Chinese readers write it
    entry = _calendar(mail).walk("VEVENT")[0]
    assert str(entry["SUMMARY"]) == TITLE
    assert "关于数字化的半天。" in str(entry["DESCRIPTION"]) and "Your registration" not in str(entry["DESCRIPTION"])
    assert re.search(r"[\u4e00-\u9fff]", str(entry.walk("VALARM")[0]["DESCRIPTION"]).replace(TITLE, ""))


def test_an_english_contact_of_a_bilingual_event_still_reads_english(client, make_event, smtp_sink):
    event = make_event(title="Growth day", languages="zh_Hans,en")
    _sign_up(client, event, ENGLISH_BROWSER)
    [row] = _messages()
    assert row.language == "en"
    deliver_due()
    [mail] = smtp_sink.messages
    assert mail["Subject"] == "You're registered: Growth day"
    assert "Show the QR code" in mail.get_body(("plain",)).get_content()


def test_a_contact_whose_language_the_event_does_not_offer_reads_its_first(client, db, make_event, smtp_sink):
    english_only = make_event(languages="en")
    chinese_only = make_event(languages="zh_Hans")
    _sign_up(client, chinese_only, ENGLISH_BROWSER)  # the page was Chinese: so is the contact from now on
    _sign_up(client, english_only, CHINESE_BROWSER)
    assert [row.language for row in _messages()] == ["zh_Hans", "en"]


def test_an_sms_in_chinese_through_twilio(client, make_event, smtp_sink, fake_twilio):
    event = make_event(title=TITLE, languages="zh_Hans,en", sms_enabled=True)
    _sign_up(client, event, CHINESE_BROWSER, phone="+86 138 0013 8000", sms_opt_in="y")
    [row] = _messages("sms")
    assert row.language == "zh_Hans"
    deliver_due()
    [text] = fake_twilio.messages
    assert text["Body"].startswith(f"您已成功报名 {TITLE}。门票：")


def test_the_organisers_chinese_wording_gets_no_english_around_it(client, db, make_event, smtp_sink):
    event = make_event(title=TITLE, languages="en,zh_Hans")
    db.session.add(MessageTemplate(event_id=event.id, kind="confirmation", subject="{first_name}，您已报名",
                                   body="期待与您见面。", sms_text=""))
    db.session.commit()
    _sign_up(client, event, ENGLISH_BROWSER)
    [row] = _messages()
    assert row.language == "en"  # the reader's, as queued
    deliver_due()
    [mail] = smtp_sink.messages
    body = mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == "Ada，您已报名"
    assert "期待与您见面。" in body and "Hello" not in body and "Add to calendar" not in body


def test_mails_to_users_are_in_their_language_else_their_organisations(db, org, make_user):
    user = make_user()
    recipient = Recipient(email=user.email, user_id=user.id)
    org.language = "zh_Hans"
    db.session.commit()
    assert queue("test", recipient, organisation_id=org.id, key="l1", context={"as_kind": "confirmation"}) \
        .language == "zh_Hans"
    user.language = "en"
    db.session.commit()
    assert queue("test", recipient, organisation_id=org.id, key="l2", context={"as_kind": "confirmation"}) \
        .language == "en"
    db.session.rollback()


def test_a_contacts_known_language_is_used_when_the_feature_names_none(db, org):
    contact = Contact(organisation_id=org.id, email="li@example.cn", email_key="li@example.cn", language="zh_Hans")
    db.session.add(contact)
    db.session.flush()
    message = queue("test", Recipient(email=contact.email, contact_id=contact.id), organisation_id=org.id,
                    key="l3", context={"as_kind": "confirmation"})
    assert message.language == "zh_Hans"
    db.session.rollback()


def test_the_language_a_wording_is_written_in():
    assert written_language("期待与您见面。") == "zh_Hans"
    assert written_language("欢迎参加 eventapp CRM 研讨会") == "zh_Hans"
    assert written_language("See you there, {first_name}!") == "en"
    assert written_language("", "  ", "{first_name}") == "en"
    assert written_language("") == ""
    assert written_language("期待与您见面。We look forward to seeing you at the seminar.") == ""


def test_the_unsubscribe_page_speaks_the_mails_language_with_a_switch(client, db, promo, smtp_sink):
    from tests.messaging.marketing import unsubscribe_path

    contact = promo.contact("wang@example.cn")
    contact.language = "zh_Hans"
    db.session.commit()
    promo.queue(contact)
    deliver_due()
    [mail] = smtp_sink.messages
    path = unsubscribe_path(mail)
    page = client.get(path, headers=ENGLISH_BROWSER).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page and ">English</a>" in page and f'action="{path}?lang=zh_Hans"' in page
    assert '<html lang="en">' in client.get(f"{path}?lang=en", headers=CHINESE_BROWSER).get_data(as_text=True)
    for bad in ("fr", "<b>", "x" * 3000):
        response = client.get(path, query_string={"lang": bad})
        assert response.status_code == 200 and '<html lang="zh-Hans">' in response.get_data(as_text=True)
    done = client.post(f"{path}?lang=zh_Hans", headers=ENGLISH_BROWSER)
    assert done.status_code == 200 and '<html lang="zh-Hans">' in done.get_data(as_text=True)
