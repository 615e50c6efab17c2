"""SMS reminders: only on an event that offers SMS, only to the people who chose texts, and paused (and said to be)
while the organiser has SMS turned off."""
from datetime import timedelta

import sqlalchemy as sa

from eventapp.messaging.models import Message, MessageKind
from eventapp.registration.reminders import queue_due_reminders
from tests.conftest import signup_form, submit
from tests.events.test_event_form_rules import edit_form
from tests.messaging.test_reminder_rules import add_reminder, rules_of


def sign_up(client, event, email, **fields):
    visitor = client.application.test_client()
    assert submit(visitor, f"/e/{event.slug}", signup_form(email=email, **fields)).status_code == 303


def sweep(db, now):
    db.session.expire_all()  # a sweep of the worker's sees the event as the organiser saved it
    queue_due_reminders(now=now)


def sms_reminders(db):
    db.session.commit()  # what the sweep queued (email reminders too) is written, as the worker would
    db.session.expire_all()
    return sorted(db.session.execute(sa.select(Message.recipient).where(
        Message.kind == MessageKind.REMINDER, Message.channel == "sms")).scalars())


def test_an_sms_reminder_on_an_event_without_sms_is_refused(client, db, make_event, login_as):
    event = make_event(sms_enabled=False)
    login_as()
    page = add_reminder(client, event, 3, "hours", "sms").get_data(as_text=True)
    assert "This event does not offer SMS, so an SMS reminder would reach nobody." in page
    assert "Reminder added." not in page
    assert rules_of(db, event) == [(120, "email"), (1440, "email")]
    texting = make_event(sms_enabled=True)
    assert "Reminder added." in add_reminder(client, texting, 3, "hours", "sms").get_data(as_text=True)
    assert rules_of(db, texting) == [(120, "email"), (180, "sms"), (1440, "email")]


def test_sms_reminders_go_only_to_people_who_chose_texts(client, db, make_event, login_as):
    event = make_event(sms_enabled=True)
    sign_up(client, event, "texts@example.com", phone="+44 7911 123456", sms_opt_in="y")
    sign_up(client, event, "no-texts@example.com", phone="+44 7911 123457")  # a phone number, no texts wanted
    login_as()
    add_reminder(client, event, 3, "hours", "sms")
    sweep(db, event.starts_at - timedelta(hours=2))
    assert sms_reminders(db) == ["+447911123456"]


def test_turning_sms_off_pauses_its_reminders_and_says_so(client, db, make_event, login_as):
    event = make_event(sms_enabled=True)
    sign_up(client, event, "texts@example.com", phone="+44 7911 123456", sms_opt_in="y")
    login_as()
    add_reminder(client, event, 3, "hours", "sms")
    add_reminder(client, event, 5, "hours", "sms")

    form = edit_form(event)  # the checkbox left out: SMS off
    response = submit(client, f"/admin/events/{event.id}/edit", form, follow_redirects=True)
    assert response.status_code == 200
    assert ("SMS is off for this event now, so its 2 SMS reminders are paused: they send nothing until you offer "
            "SMS again") in response.get_data(as_text=True)
    log = client.get(f"/admin/events/{event.id}/messages").get_data(as_text=True)
    assert log.count("paused: this event does not offer SMS") == 2
    assert rules_of(db, event) == [(120, "email"), (180, "sms"), (300, "sms"), (1440, "email")]  # kept
    sweep(db, event.starts_at - timedelta(hours=1))
    assert sms_reminders(db) == []

    # saving again with SMS still off says nothing new; turning it back on sends them again
    again = submit(client, f"/admin/events/{event.id}/edit", form, follow_redirects=True).get_data(as_text=True)
    assert "SMS is off for this event now" not in again
    submit(client, f"/admin/events/{event.id}/edit", {**form, "sms_enabled": "y"})
    assert "paused" not in client.get(f"/admin/events/{event.id}/messages").get_data(as_text=True)
    sweep(db, event.starts_at - timedelta(hours=1))
    assert sms_reminders(db) == ["+447911123456", "+447911123456"]
