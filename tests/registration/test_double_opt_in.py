"""Marketing consent is confirmed by the address's owner (double opt-in): the ticked box sends a mail with a link,
the link's page asks, only its POST confirms, and until then the contact gets no marketing mail."""
import re

import sqlalchemy as sa

from eventapp.core.tokens import sign
from eventapp.contacts.models import ConsentRecord, Contact
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.messaging.models import Message
from eventapp.messaging.operations import deliver_due
from tests.conftest import hidden_fields, signup_form, submit


def contact(db):
    db.session.expire_all()
    return db.session.execute(sa.select(Contact)).scalar_one()


def kinds(db):
    return list(db.session.execute(sa.select(LeadActivity.kind).order_by(LeadActivity.id)).scalars())


def confirmation_link(smtp_sink) -> str:
    [mail] = [m for m in smtp_sink.messages if m["Subject"].startswith("Please confirm")]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    url = re.search(r"(http\S+/consent/[\w.-]+)", text).group(1)
    assert url in html and "Yes, email me about future events" in html
    assert "/r/" not in text  # the one thing this mail asks is the confirmation
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_ticked_box_asks_the_owner_and_only_their_post_confirms(client, db, make_event, smtp_sink):
    event = make_event()
    submit(client, f"/e/{event.slug}", signup_form(marketing_consent="y"))
    assert contact(db).marketing_consent is False
    deliver_due()
    assert {m["To"].addresses[0].addr_spec for m in smtp_sink.messages} == {"ada@example.com"}
    link = confirmation_link(smtp_sink)

    reader = client.application.test_client()  # the mail is read elsewhere: no cookie from the sign-up
    page = reader.get(link)
    assert page.status_code == 200 and "Yes, email me about future events" in page.get_data(as_text=True)
    assert contact(db).marketing_consent is False  # opening the link (a mail scanner does) changes nothing
    assert ActivityKind.CONSENT_GIVEN not in kinds(db)

    form = hidden_fields(page.get_data(as_text=True))
    done = reader.post(link, data=form)
    assert done.status_code == 200 and "may now email you" in done.get_data(as_text=True)
    assert contact(db).marketing_consent is True
    record = db.session.execute(sa.select(ConsentRecord)).scalar_one()
    assert record.confirmed_at is not None
    again = reader.post(link, data=form)  # a second click
    assert "already confirmed" in again.get_data(as_text=True)
    assert kinds(db).count(ActivityKind.CONSENT_GIVEN) == 1


def test_forged_and_expired_links_confirm_nothing(client, db, make_event, app, monkeypatch):
    event = make_event()
    submit(client, f"/e/{event.slug}", signup_form(marketing_consent="y"))
    record_id = db.session.execute(sa.select(ConsentRecord.id)).scalar_one()
    with app.app_context():
        other_purpose = sign("landing-view", record_id)
        no_such_record = sign("consent-confirm", record_id + 1000)
        not_a_number = sign("consent-confirm", "1")
    for token in ("nonsense", "x" * 5000, other_purpose, no_such_record, not_a_number):
        response = client.post(f"/consent/{token}", data={})
        assert response.status_code in (400, 404), token
        page = client.get(f"/consent/{token}")
        assert page.status_code == 404 and "not valid or has expired" in page.get_data(as_text=True)
    assert contact(db).marketing_consent is False

    import eventapp.registration.operations as operations
    with app.app_context():
        good = sign("consent-confirm", record_id)
    monkeypatch.setattr(operations, "CONSENT_LINK_MAX_AGE", -1)  # every link is too old now
    assert client.get(f"/consent/{good}").status_code == 404
    assert contact(db).marketing_consent is False


def test_no_second_request_once_consent_is_confirmed(client, db, make_event, smtp_sink):
    first, second = make_event(), make_event()
    submit(client, f"/e/{first.slug}", signup_form(marketing_consent="y"))
    deliver_due()
    submit(client.application.test_client(), confirmation_link(smtp_sink), {})
    submit(client.application.test_client(), f"/e/{second.slug}", signup_form(marketing_consent="y"))
    asks = db.session.execute(sa.select(Message).where(Message.kind == "consent_confirmation")).scalars().all()
    assert len(asks) == 1 and contact(db).marketing_consent is True
