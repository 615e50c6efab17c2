"""Greetings as Chinese readers expect them: the default greeting uses the full name in Chinese (王芳，您好：) and for
names written in Chinese, the given name in English ("Hello Fang,"); an organiser's wording may say {full_name}您好
or 尊敬的{family_name}女士."""
from email.headerregistry import Address

import sqlalchemy as sa
from flask_babel import force_locale

from eventapp.contacts.names import greeting_name, name_placeholders
from eventapp.messaging.content import Wording, content_for
from eventapp.messaging.models import MessageKind
from eventapp.messaging.operations import deliver_due
from eventapp.registration.models import Registration
from tests.messaging.test_email import sign_up
from tests.registration.test_notifications import Catalogue, declined


def test_english_greets_by_given_name_chinese_by_full_name(app):
    with app.test_request_context():
        with force_locale("en"):
            assert greeting_name("Fang", "Wang") == "Fang"
            assert greeting_name("芳", "王") == "王芳"  # a name written in Chinese: never "Hello 芳,"
            assert greeting_name("", "Lovelace") == "Lovelace"
        with force_locale("zh_Hans"):
            assert greeting_name("芳", "王") == "王芳"
            assert greeting_name("Fang", "Wang") == "Fang Wang"


def test_the_organisers_wording_can_greet_the_chinese_way(app):
    content = content_for(MessageKind.DECLINED)
    with app.test_request_context():
        message = declined()
        message.about.first_name, message.about.last_name = "芳", "王"
        wording = Wording(subject="{full_name}您好", body="尊敬的{family_name}女士：", sms_text="{given_name}，{full_name}",
                          values=content.placeholder_values(message, mailed=False))
        mail = content.mail(message, Catalogue(), "zh", wording)
        assert mail.subject == "王芳您好"
        assert mail.context["intro"] == "尊敬的王女士："
        assert content.sms(message, Catalogue(), wording) == "芳，王芳"


def test_the_name_placeholders():
    assert name_placeholders("芳", "王") == {"full_name": "王芳", "family_name": "王", "given_name": "芳",
                                            "first_name": "芳", "last_name": "王"}
    assert name_placeholders("Fang", "Wang")["full_name"] == "Fang Wang"


def test_a_chinese_name_is_greeted_and_addressed_in_full(client, db, make_event, smtp_sink):
    event = make_event()
    sign_up(client, event, first_name="芳", last_name="王", email="wang.fang@example.cn")
    assert deliver_due() == 1
    [mail] = smtp_sink.messages
    assert mail["To"].addresses[0] == Address("王芳", addr_spec="wang.fang@example.cn")
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Hello 王芳,") and "芳 王" not in text
    assert db.session.execute(sa.select(Registration.first_name)).scalar_one() == "芳"


def test_placeholders_are_documented_on_the_wording_page(client, make_event, login_as):
    login_as()
    event = make_event()
    page = client.get(f"/admin/events/{event.id}/messages/confirmation").get_data(as_text=True)
    for name in ("{full_name}", "{family_name}", "{given_name}"):
        assert name in page
    assert "尊敬的{family_name}女士" in page


def test_an_invitation_greets_the_way_its_wording_says(client, db, org, make_event, login_as, smtp_sink):
    from eventapp.contacts import operations as contacts
    from eventapp.contacts.normalisation import normalise_email
    from tests.invitations.test_sends import compose, deliver_all, post

    contacts.contact_for(org.id, normalise_email("wang.fang@example.cn"), {"first_name": "芳", "last_name": "王"})
    db.session.commit()
    login_as()
    event = make_event()
    page = client.get(f"/admin/events/{event.id}/invitations/new").get_data(as_text=True)
    assert "{full_name}" in page and "{family_name}" in page  # documented where the invitation is written
    send = compose(client, event, subject="{full_name}，诚邀您参加", body_md="尊敬的{family_name}女士：",
                   pasted_addresses="wang.fang@example.cn")
    post(client, f"/admin/invitations/{send.id}/send")
    deliver_all(db)
    [mail] = smtp_sink.messages
    assert mail["Subject"] == "王芳，诚邀您参加"
    assert "尊敬的王女士：" in mail.get_body(("plain",)).get_content()
    assert mail["To"].addresses[0].display_name == "王芳"


def test_an_invitation_without_wording_greets_a_chinese_name_in_full(client, db, org, make_event, login_as,
                                                                     smtp_sink):
    from eventapp.contacts import operations as contacts
    from eventapp.contacts.normalisation import normalise_email
    from tests.invitations.test_sends import compose, deliver_all, post

    contacts.contact_for(org.id, normalise_email("wang.fang@example.cn"), {"first_name": "芳", "last_name": "王"})
    db.session.commit()
    login_as()
    send = compose(client, make_event(), body_md="", pasted_addresses="wang.fang@example.cn")
    post(client, f"/admin/invitations/{send.id}/send")
    deliver_all(db)
    [mail] = smtp_sink.messages
    assert mail.get_body(("plain",)).get_content().startswith("Hello 王芳,")


def test_a_chinese_confirmation_greets_in_full_and_dates_the_chinese_way(client, db, make_event, smtp_sink):
    from datetime import datetime, timezone

    event = make_event(timezone="Asia/Shanghai", starts_at=datetime(2027, 3, 18, 6, tzinfo=timezone.utc),
                       ends_at=datetime(2027, 3, 18, 9, tzinfo=timezone.utc), languages="zh_Hans")
    sign_up(client, event, first_name="芳", last_name="王", email="wang.fang@example.cn")
    deliver_due()
    [mail] = smtp_sink.messages
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("王芳，您好：")
    assert "2027年3月18日 周四 14:00 – 17:00" in text
    html = mail.get_body(("html",)).get_content()
    assert "王芳，您好：" in html and "PingFang SC" in html


def test_a_chinese_invitation_s_form_asks_for_the_family_name_first(client, db, org, make_event, login_as,
                                                                    smtp_sink):
    from eventapp.contacts import operations as contacts
    from eventapp.contacts.normalisation import normalise_email
    from tests.invitations.test_sends import compose, deliver_all, post

    wang = contacts.contact_for(org.id, normalise_email("wang.fang@example.cn"), {"first_name": "芳", "last_name": "王"})
    wang.language = "zh_Hans"
    db.session.commit()
    login_as()
    send = compose(client, make_event(languages="zh_Hans"), subject="诚邀您参加", body_md="",
                   pasted_addresses="wang.fang@example.cn")
    post(client, f"/admin/invitations/{send.id}/send")
    deliver_all(db)
    [mail] = smtp_sink.messages
    html = mail.get_body(("html",)).get_content()
    assert html.index('name="last_name"') < html.index('name="first_name"')
    assert 'value="王"' in html and "王芳，您好：" in html
