"""The attendee's choice of text messages on the sign-up form, and the organiser's switch that offers it."""
import re

import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.events.models import Event
from eventapp.contacts.models import Contact
from eventapp.leads.models import LeadActivity
from eventapp.messaging.models import Message
from eventapp.registration.models import Registration
from tests.conftest import signup_form, submit
from tests.events.test_back_office import EVENT_FORM

SMS_LABEL = "Also send me text messages (SMS) about this registration"


def count(db, model):
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def checkbox(html):
    match = re.search(r'<input[^>]*name="sms_opt_in"[^>]*>', html)
    return match.group(0) if match else None


def test_sms_choice_is_offered_only_when_the_event_sends_sms_and_never_pre_ticked(client, make_event):
    with_sms = client.get(f"/e/{make_event(sms_enabled=True).slug}").get_data(as_text=True)
    box = checkbox(with_sms)
    assert box is not None and 'type="checkbox"' in box and "checked" not in box
    assert SMS_LABEL in with_sms and re.search(r'<label for="sms_opt_in">', with_sms)

    without_sms = client.get(f"/e/{make_event().slug}").get_data(as_text=True)
    assert checkbox(without_sms) is None and SMS_LABEL not in without_sms


def test_sms_without_a_phone_is_refused_and_nothing_is_stored(client, db, make_event):
    event = make_event(sms_enabled=True)
    response = submit(client, f"/e/{event.slug}", signup_form(phone="", sms_opt_in="y"))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter your mobile phone number to get text messages." in body
    assert "checked" in checkbox(body)  # their choice is kept while they fix the phone
    assert all(count(db, model) == 0 for model in (Registration, Contact, LeadActivity, Message))


def test_sms_with_an_invalid_phone_is_refused(client, db, make_event):
    event = make_event(sms_enabled=True)
    response = submit(client, f"/e/{event.slug}", signup_form(phone="12345", sms_opt_in="y"))
    assert response.status_code == 422
    assert count(db, Registration) == 0


def test_phone_stays_optional_without_sms(client, db, make_event):
    event = make_event(sms_enabled=True)
    assert submit(client, f"/e/{event.slug}", signup_form(phone="")).status_code == 303
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    assert registration.sms_opt_in is False


def test_sms_choice_is_stored_with_the_phone_in_e164(client, db, make_event):
    event = make_event(sms_enabled=True)
    response = submit(client, f"/e/{event.slug}", signup_form(phone="+44 7911 123456", sms_opt_in="y"))
    assert response.status_code == 303
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    assert registration.sms_opt_in is True and registration.phone == "+447911123456"
    assert sorted(db.session.execute(sa.select(Message.channel)).scalars()) == ["email", "sms"]


def test_organiser_offers_sms_on_the_event_form(client, db, login_as):
    login_as(Role.ORGANISER)
    page = client.get("/admin/events/new").get_data(as_text=True)
    assert "Offer SMS messages" in page
    assert submit(client, "/admin/events/new", {**EVENT_FORM, "sms_enabled": "y"}).status_code == 303
    event = db.session.execute(sa.select(Event)).scalar_one()
    assert event.sms_enabled is True

    edit = client.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert "checked" in re.search(r'<input[^>]*name="sms_enabled"[^>]*>', edit).group(0)
    assert submit(client, f"/admin/events/{event.id}/edit", EVENT_FORM).status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).sms_enabled is False


def signed_up_for_sms(client, db, event):
    response = submit(client, f"/e/{event.slug}", signup_form(phone="+44 7911 123456", sms_opt_in="y"))
    assert response.status_code == 303
    return response.headers["Location"].removesuffix("?new=1")


def test_attendee_turns_text_messages_off_and_on_from_their_page(client, db, make_event):
    url = signed_up_for_sms(client, db, make_event(sms_enabled=True))
    page = client.get(url).get_data(as_text=True)
    assert SMS_LABEL in page and "checked" in checkbox(page)

    assert submit(client, url, signup_form(phone="+44 7911 123456")).status_code == 303  # box left unticked
    db.session.expire_all()
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    assert registration.sms_opt_in is False
    change = db.session.execute(sa.select(LeadActivity).where(LeadActivity.kind == "answers_changed")).scalar_one()
    assert change.meta["changed"] == ["sms_opt_in"]
    assert "checked" not in checkbox(client.get(url).get_data(as_text=True))

    # What they are told next goes by email only.
    assert submit(client, f"{url}/cancel", {}).status_code == 303
    cancellations = db.session.execute(sa.select(Message.channel).where(Message.kind == "cancelled")).scalars()
    assert list(cancellations) == ["email"]


def test_turning_text_messages_on_needs_a_phone_and_changes_nothing_without_one(client, db, make_event):
    event = make_event(sms_enabled=True)
    url = submit(client, f"/e/{event.slug}", signup_form()).headers["Location"].removesuffix("?new=1")
    response = submit(client, url, signup_form(phone="", sms_opt_in="y"))
    assert response.status_code == 422
    assert "Enter your mobile phone number to get text messages." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.execute(sa.select(Registration.sms_opt_in)).scalar_one() is False
    assert db.session.execute(sa.select(LeadActivity).where(LeadActivity.kind == "answers_changed")).first() is None

    assert submit(client, url, signup_form(phone="+44 7911 123456", sms_opt_in="y")).status_code == 303
    db.session.expire_all()
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    assert registration.sms_opt_in is True and registration.phone == "+447911123456"


def test_a_posted_sms_choice_means_nothing_when_the_event_sends_no_sms(client, db, make_event):
    event = make_event()
    url = submit(client, f"/e/{event.slug}", signup_form(phone="+44 7911 123456")).headers["Location"].removesuffix("?new=1")
    assert checkbox(client.get(url).get_data(as_text=True)) is None
    assert submit(client, url, signup_form(phone="+44 7911 123456", sms_opt_in="y")).status_code == 303
    db.session.expire_all()
    assert db.session.execute(sa.select(Registration.sms_opt_in)).scalar_one() is False
