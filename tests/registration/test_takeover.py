"""Knowing someone's email is not enough to take over their registration: a public sign-up never changes the
person's contact, messages about a registration go where that registration says, the "already registered" message
goes by email to the address's owner only, and nothing stored about the person is shown to whoever typed it."""
import re

import sqlalchemy as sa

from eventapp.checkin import exports
from eventapp.checkin.operations import find_by_secret
from eventapp.contacts.models import Contact
from eventapp.messaging.models import Message
from eventapp.messaging.operations import deliver_due
from eventapp.registration.models import Registration
from eventapp.registration.tickets import ticket_code
from tests.conftest import signup_form, submit
from tests.messaging.conftest import fake_twilio  # noqa: F401  (a fixture)

VICTIM = dict(first_name="Ada", last_name="Lovelace", email="ada@example.com", company="Analytical Ltd",
              job_title="CTO", phone="+44 7911 123456")
VICTIM_PHONE = "+447911123456"
MALLORY = dict(first_name="Mallory", last_name="Evil", email="ADA@example.com", company="Evil Corp",
               job_title="Thief", phone="+44 7400 123456")
MALLORY_PHONE = "+447400123456"


def sign_up(client, event, person, **extra):
    """A new browser each time (its own cookie and form), like two people on two machines."""
    browser = client.application.test_client()
    return submit(browser, f"/e/{event.slug}", signup_form(**person, **extra)), browser


def contact(db):
    db.session.expire_all()
    return db.session.execute(sa.select(Contact)).scalar_one()


def registration_for(db, event):
    db.session.expire_all()
    return db.session.execute(sa.select(Registration).where(Registration.event_id == event.id)).scalar_one()


def outbox(db):
    return [(m.kind, m.channel, m.recipient) for m in
            db.session.execute(sa.select(Message).order_by(Message.id)).scalars()]


def profile(person):
    return (person.first_name, person.last_name, person.company, person.job_title, person.phone)


def test_a_sign_up_with_someone_elses_address_leaves_their_contact_and_registrations_alone(client, db, make_event):
    theirs, other = make_event(title="Shanghai seminar"), make_event(title="Beijing roundtable", sms_enabled=True)
    assert sign_up(client, theirs, VICTIM)[0].status_code == 303
    response, _ = sign_up(client, other, MALLORY, sms_opt_in="y")
    assert response.status_code == 303

    assert profile(contact(db)) == ("Ada", "Lovelace", "Analytical Ltd", "CTO", VICTIM_PHONE)
    # What was typed lives on the registration it made, and only there.
    assert profile(registration_for(db, other)) == ("Mallory", "Evil", "Evil Corp", "Thief", MALLORY_PHONE)
    victims = registration_for(db, theirs)
    assert profile(victims) == ("Ada", "Lovelace", "Analytical Ltd", "CTO", VICTIM_PHONE)
    # The door and the export of the victim's event still show the victim.
    ticket = find_by_secret(victims.ticket_secret, theirs.organisation_id)
    assert (ticket.contact.name, ticket.contact.company) == ("Ada Lovelace", "Analytical Ltd")
    [row] = list(exports.attendance(theirs).rows)
    assert row[:6] == ["Ada", "Lovelace", "ada@example.com", "Analytical Ltd", "CTO", VICTIM_PHONE]


def test_already_registered_goes_by_email_to_the_owner_never_by_sms_to_a_typed_number(client, db, make_event,
                                                                                       smtp_sink, fake_twilio):
    event = make_event(sms_enabled=True)
    sign_up(client, event, VICTIM, sms_opt_in="y")
    deliver_due()
    smtp_sink.messages.clear()
    fake_twilio.requests.clear()

    response, _ = sign_up(client, event, MALLORY, sms_opt_in="y")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "already" in body.lower()
    victims = registration_for(db, event)
    assert victims.manage_token not in body and victims.ticket_secret not in body
    assert ticket_code(victims.ticket_secret) not in body
    assert [m for m in outbox(db) if m[0] == "already_registered"] == [
        ("already_registered", "email", "ada@example.com")]
    deliver_due()
    assert fake_twilio.messages == []  # no text message at all: neither to the typed number nor to the stored one
    [mail] = smtp_sink.messages
    assert mail["To"].addresses[0].addr_spec == "ada@example.com"
    assert profile(contact(db))[4] == VICTIM_PHONE and profile(victims)[4] == VICTIM_PHONE


def test_the_page_after_a_sign_up_shows_only_what_was_typed(client, db, make_event):
    theirs = make_event(title="Shanghai seminar",
                        questions=[{"label": "Budget", "kind": "text", "required": False}])
    other = make_event(title="Beijing roundtable")
    question = theirs.questions[0]
    sign_up(client, theirs, VICTIM, **{question.field_name: "Two million for Q3"})

    response, browser = sign_up(client, other, {**MALLORY, "first_name": "M", "last_name": "E", "company": "X",
                                                "job_title": "Y", "phone": ""})
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Beijing roundtable" in page and 'value="Evil Corp"' not in page and 'value="X"' in page
    for stored in ("Lovelace", "Analytical", "7911", "123456", "Shanghai seminar", "Two million"):
        assert stored not in page


def test_mails_and_sms_about_a_registration_use_what_was_given_for_it(client, db, make_event, smtp_sink,
                                                                       fake_twilio):
    theirs, other = make_event(sms_enabled=True), make_event(sms_enabled=True)
    sign_up(client, theirs, VICTIM, sms_opt_in="y")
    sign_up(client, other, MALLORY, sms_opt_in="y")
    deliver_due()
    texts = {m["To"]: m["Body"] for m in fake_twilio.messages}
    assert set(texts) == {VICTIM_PHONE, MALLORY_PHONE}
    assert registration_for(db, theirs).manage_token in texts[VICTIM_PHONE]
    assert registration_for(db, theirs).manage_token not in texts[MALLORY_PHONE]
    greetings = sorted(mail.get_body(("plain",)).get_content().splitlines()[0] for mail in smtp_sink.messages)
    assert greetings == ["Hello Ada,", "Hello Mallory,"]


def test_only_the_mailed_link_updates_the_persons_profile(client, db, make_event, smtp_sink):
    event = make_event()
    response, browser = sign_up(client, event, VICTIM)
    shown = response.headers["Location"].removesuffix("?new=1")

    # The link shown after the sign-up changes this registration only.
    assert submit(browser, shown, signup_form(**{**VICTIM, "company": "Shown Link Ltd"})).status_code == 303
    assert registration_for(db, event).company == "Shown Link Ltd"
    assert contact(db).company == "Analytical Ltd"
    # A made-up proof is no proof.
    for forged in ("x", "AAAAAAAAAAAAAAAAAAAAAAAAAAA", "a" * 500):
        assert submit(browser, f"{shown}?p={forged}", signup_form(**{**VICTIM, "company": "Forged"}, proof=forged)
                      ).status_code == 303
        assert contact(db).company == "Analytical Ltd"

    deliver_due()
    [mail] = smtp_sink.messages
    mailed = re.search(r"(http\S+/r/\S+\?p=[\w.-]+)", mail.get_body(("plain",)).get_content()).group(1)
    mailed = "/" + mailed.split("://", 1)[1].split("/", 1)[1]
    page = browser.get(mailed).get_data(as_text=True)
    proof = re.search(r'<input[^>]*name="proof"[^>]*value="([^"]+)"', page).group(1)  # the form carries it
    assert submit(browser, mailed, signup_form(**{**VICTIM, "company": "Mailed Link GmbH"}, proof=proof),
                  post_url=shown).status_code == 303
    assert contact(db).company == "Mailed Link GmbH"
    assert registration_for(db, event).company == "Mailed Link GmbH"


def test_signing_up_again_after_cancelling_gets_new_links_and_the_old_ticket_stays_dead(client, db, make_event):
    event = make_event()
    response, browser = sign_up(client, event, VICTIM)
    old = registration_for(db, event)
    old_manage, old_secret = old.manage_token, old.ticket_secret
    assert submit(browser, f"/r/{old_manage}/cancel", {}).status_code == 303

    response, again = sign_up(client, event, MALLORY)
    assert response.status_code == 303
    renewed = registration_for(db, event)
    assert renewed.status == "confirmed"
    assert renewed.manage_token != old_manage and renewed.ticket_secret != old_secret
    assert client.get(f"/r/{old_manage}").status_code == 404
    assert find_by_secret(old_secret, event.organisation_id) is None
    assert find_by_secret(renewed.ticket_secret, event.organisation_id).contact.name == "Mallory Evil"


def test_the_calendar_link_uses_base_url_not_the_host_header(client, db, make_event, app):
    event = make_event()
    response, browser = sign_up(client, event, VICTIM)
    token = registration_for(db, event).manage_token
    app.config["BASE_URL"], before = "https://events.example.com", app.config.get("BASE_URL")
    try:
        ics = browser.get(f"/r/{token}/calendar.ics", headers={"Host": "evil.example"}).get_data(as_text=True)
    finally:
        app.config["BASE_URL"] = before
    assert f"URL:https://events.example.com/r/{token}" in ics.replace("\r\n ", "")
    assert "evil.example" not in ics


def test_a_walk_in_with_a_known_address_keeps_the_contact_and_shows_what_staff_took_down(client, db, make_event,
                                                                                          login_as):
    from eventapp.accounts.models import Role
    from tests.checkin.test_redeem import Door

    theirs, door_event = make_event(), make_event(capacity=100)
    sign_up(client, theirs, VICTIM)
    login_as(Role.ORGANISER)
    door = Door(client, door_event)
    answer = door.post("walk-in", {"first_name": "Walt", "last_name": "Inn", "email": "ada@example.com",
                                   "company": "Door Co", "job_title": "CEO", "phone": "", "device_id": "phone-1"})
    assert answer.status_code == 200 and answer.get_json()["attendee"]["name"] == "Walt Inn"
    assert profile(contact(db)) == ("Ada", "Lovelace", "Analytical Ltd", "CTO", VICTIM_PHONE)
    assert profile(registration_for(db, door_event)) == ("Walt", "Inn", "Door Co", "CEO", "")
