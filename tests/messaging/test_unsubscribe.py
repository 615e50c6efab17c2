"""Unsubscribing from marketing mail: the List-Unsubscribe headers (RFC 2369, RFC 8058 one-click), the page, and that
it holds before the next send while mail about the person's own registration still comes."""
import sqlalchemy as sa

from eventapp.contacts.models import ConsentRecord, Contact, Suppression, SuppressionReason
from eventapp.core.tokens import sign
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.messaging.models import MessageStatus
from eventapp.messaging.operations import deliver_due
from tests.conftest import signup_form, submit
from tests.messaging.marketing import html_of, rows, unsubscribe_path

ONE_CLICK = {"data": "List-Unsubscribe=One-Click", "content_type": "application/x-www-form-urlencoded"}


def everything(db) -> dict:
    """The rows an unsubscribe may change, to prove a request changed none."""
    db.session.expire_all()
    return {model.__name__: db.session.execute(sa.select(model)).all()
            for model in (Suppression, ConsentRecord, LeadActivity, Contact)}


def mailed_promo(promo, smtp_sink, address="ada@example.com"):
    contact = promo.contact(address)
    message_id = promo.queue(contact)
    deliver_due()
    [mail] = [mail for mail in smtp_sink.messages if mail["Subject"] == "Our autumn seminar programme"
              and address in mail["To"]]
    return contact, message_id, mail


def test_marketing_mail_carries_the_unsubscribe_headers_and_link_and_a_confirmation_does_not(
        client, db, make_event, promo, smtp_sink):
    _contact, _message_id, mail = mailed_promo(promo, smtp_sink)
    path = unsubscribe_path(mail)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert path in mail.get_body(("plain",)).get_content()
    assert f'href="http://127.0.0.1:5000{path}"' in html_of(mail)
    # On one line as written: folded, a long URL would become RFC 2047 encoded words no mail client reads.
    [raw] = [raw for raw in smtp_sink.raw if b"List-Unsubscribe:" in raw]
    assert f"\r\nList-Unsubscribe: <http://127.0.0.1:5000{path}>\r\n".encode() in raw

    submit(client, f"/e/{make_event().slug}", signup_form(email="grace@example.com"))
    deliver_due()
    [confirmation] = [mail for mail in smtp_sink.messages if "grace@example.com" in mail["To"]]
    assert confirmation["List-Unsubscribe"] is None and confirmation["List-Unsubscribe-Post"] is None
    assert "/unsubscribe/" not in confirmation.as_string()


def test_the_one_click_post_needs_no_cookie_and_unsubscribes_at_once(app, db, promo, smtp_sink):
    contact, message_id, mail = mailed_promo(promo, smtp_sink)
    mail_client = app.test_client(use_cookies=False)  # a mail provider's POST: no session, no CSRF token
    response = mail_client.post(unsubscribe_path(mail), **ONE_CLICK)
    assert response.status_code == 200
    assert "a•••@example.com" in response.get_data(as_text=True)
    [suppression] = rows(db, Suppression)
    assert (suppression.address, suppression.reason, suppression.source) == \
        ("ada@example.com", SuppressionReason.UNSUBSCRIBED, f"one-click message:{message_id}")
    assert db.session.get(Contact, contact.id).marketing_consent is False
    [withdrawal] = rows(db, ConsentRecord)
    assert (withdrawal.granted, withdrawal.purpose, withdrawal.source) == \
        (False, "marketing_email", "unsubscribe:one-click")
    [activity] = rows(db, LeadActivity, LeadActivity.kind == ActivityKind.UNSUBSCRIBED)
    assert (activity.contact_id, activity.channel, activity.meta["source"], activity.meta["message_id"]) == \
        (contact.id, "email", "one-click", message_id)

    before = everything(db)
    again = mail_client.post(unsubscribe_path(mail), **ONE_CLICK)
    assert again.status_code == 200 and "already unsubscribed" in again.get_data(as_text=True)
    assert everything(db) == before


def test_opening_the_link_changes_nothing_and_the_page_unsubscribes(client, db, org, promo, smtp_sink):
    contact, message_id, mail = mailed_promo(promo, smtp_sink)
    before = everything(db)
    page = client.get(unsubscribe_path(mail))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "a•••@example.com" in text and "ada@example.com" not in text
    assert org.name in text and "still comes" in text
    assert everything(db) == before  # a GET, as mail scanners send: nothing happens

    done = client.post(unsubscribe_path(mail))  # the page's button: no CSRF token, the link is the key
    assert done.status_code == 200 and "Done: a•••@example.com is unsubscribed" in done.get_data(as_text=True)
    [suppression] = rows(db, Suppression)
    assert suppression.source == f"page message:{message_id}"
    assert "already unsubscribed" in client.get(unsubscribe_path(mail)).get_data(as_text=True)


def test_a_forged_or_foreign_token_is_refused_with_a_sentence_and_changes_nothing(
        app, client, db, promo, smtp_sink):
    _contact, message_id, mail = mailed_promo(promo, smtp_sink)
    path = unsubscribe_path(mail)
    token = path.rsplit("/", 1)[1]
    with app.test_request_context():
        foreign = sign("click", {"m": message_id, "o": 1, "a": "ada@example.com"})  # signed for another purpose
        wrong_shape = sign("unsubscribe", {"m": "1 OR 1=1", "o": 1, "a": "ada@example.com"})
    before = everything(db)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), foreign, wrong_shape, "x" * 5000, "%00"):
        for method in (client.get, client.post):
            response = method(f"/unsubscribe/{bad}", **ONE_CLICK) if method == client.post else method(
                f"/unsubscribe/{bad}")
            assert response.status_code == 404, (bad, response.status_code)
            if bad != "%00":  # not even routed (tests/core/test_control_characters.py): the general 404 page
                assert "This unsubscribe link is not valid" in response.get_data(as_text=True)
    assert everything(db) == before


def test_an_unsubscribed_address_gets_no_more_marketing_mail_but_still_its_confirmation(
        app, client, db, make_event, promo, smtp_sink):
    contact, _message_id, mail = mailed_promo(promo, smtp_sink)
    app.test_client(use_cookies=False).post(unsubscribe_path(mail), **ONE_CLICK)
    smtp_sink.messages.clear()
    later = promo.queue(contact)
    submit(client, f"/e/{make_event().slug}", signup_form(email="ADA@example.com"))
    deliver_due()
    held = promo.message(later)
    assert held.status == MessageStatus.SUPPRESSED and "Unsubscribed" in held.last_error
    assert [mail["Subject"] for mail in smtp_sink.messages] != [] and all(
        "/unsubscribe/" not in mail.as_string() for mail in smtp_sink.messages)  # only the confirmation went
    assert len(smtp_sink.messages) == 1 and "ada@example.com" in smtp_sink.messages[0]["To"].lower()


def test_unsubscribing_withdraws_only_what_was_given(app, db, promo, smtp_sink):
    """A contact who never consented is still unsubscribed (the list holds), without a withdrawal to record."""
    contact = promo.contact("bob@example.com", consent=False)
    message_id = promo.queue(contact)
    deliver_due()
    [mail] = [mail for mail in smtp_sink.messages if "bob@example.com" in mail["To"]]
    response = app.test_client(use_cookies=False).post(unsubscribe_path(mail), **ONE_CLICK)
    assert response.status_code == 200
    assert [row.source for row in rows(db, Suppression)] == [f"one-click message:{message_id}"]
    assert rows(db, ConsentRecord) == []
    assert len(rows(db, LeadActivity, LeadActivity.kind == ActivityKind.UNSUBSCRIBED)) == 1


def test_a_one_click_post_sent_as_multipart_form_data_counts_as_one_click(app, db, promo, smtp_sink):
    """RFC 8058 allows either form encoding; some providers send multipart/form-data."""
    _contact, message_id, mail = mailed_promo(promo, smtp_sink)
    response = app.test_client(use_cookies=False).post(unsubscribe_path(mail), data={"List-Unsubscribe": "One-Click"},
                                                       content_type="multipart/form-data")
    assert response.status_code == 200
    assert [row.source for row in rows(db, Suppression)] == [f"one-click message:{message_id}"]


def test_the_contacts_page_shows_the_consent_withdrawn(app, client, db, promo, smtp_sink, login_as):
    contact, _message_id, mail = mailed_promo(promo, smtp_sink)
    login_as()
    assert client.get(f"/admin/contacts/{contact.id}").status_code == 200  # consent given, no record of it: no 500
    app.test_client(use_cookies=False).post(unsubscribe_path(mail), **ONE_CLICK)
    page = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    assert "Withdrawn" in page and "unsubscribe:one-click" in page and "Waiting for confirmation" not in page
    assert str(ActivityKind.UNSUBSCRIBED.label) in page
