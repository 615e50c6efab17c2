"""Cancelling an event asks first (saying how many people are told), tells each of them once, and then the
attendee's page and the door say that the event is cancelled."""
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.accounts.operations import ensure_organisation
from eventapp.events import operations
from eventapp.events.models import Event
from eventapp.extensions import db as _db
from eventapp.messaging.models import Message, MessageKind
from eventapp.messaging.operations import deliver_due
from eventapp.registration.models import Registration
from eventapp.registration.tickets import ticket_code
from tests.checkin.test_redeem import Door
from tests.conftest import hidden_fields, signup_form, submit


def sign_up(event, email, **overrides):
    from flask import current_app

    visitor = current_app.test_client()
    response = submit(visitor, f"/e/{event.slug}", signup_form(email=email, **overrides))
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].removesuffix("?new=1")


def cancellation_messages(db):
    db.session.expire_all()
    return list(db.session.execute(sa.select(Message).where(Message.kind == MessageKind.EVENT_CANCELLED)
                                   .order_by(Message.id)).scalars())


def status_of(db, event):
    db.session.expire_all()
    return db.session.get(Event, event.id).status


def test_cancel_shows_how_many_people_are_told_and_tells_nobody_before_the_post(client, db, login_as, make_event,
                                                                               smtp_sink, fake_twilio):
    event = make_event(sms_enabled=True)
    sign_up(event, "one@example.com")
    sign_up(event, "two@example.com", phone="+44 7911 123456", sms_opt_in="y")
    sign_up(event, "three@example.com", phone="+44 7911 123457")  # a phone, but no SMS wanted
    gone = sign_up(event, "gone@example.com")
    assert submit(client.application.test_client(), f"{gone}/cancel", {}).status_code == 303
    deliver_due()
    smtp_sink.messages.clear()
    fake_twilio.requests.clear()
    login_as()

    detail = client.get(f"/admin/events/{event.id}").get_data(as_text=True)
    assert f'action="/admin/events/{event.id}/status/cancelled"' not in detail  # no one-click cancel any more
    assert f'action="/admin/events/{event.id}/cancel"' in detail
    page = client.get(f"/admin/events/{event.id}/cancel")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "This will tell 3 people by email (and 1 by SMS) that the event is cancelled." in body
    # the old one-click address asks first too, and a GET changes nothing
    response = client.post(f"/admin/events/{event.id}/status/cancelled", data=hidden_fields(body))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/events/{event.id}/cancel")
    deliver_due()
    assert status_of(db, event) == "published" and cancellation_messages(db) == []
    assert smtp_sink.messages == [] and fake_twilio.messages == []

    response = client.post(f"/admin/events/{event.id}/cancel", data=hidden_fields(body), follow_redirects=True)
    assert "The event is cancelled" in response.get_data(as_text=True)
    assert status_of(db, event) == "cancelled"
    deliver_due()
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_sink.messages) == ["one@example.com", "three@example.com",
                                                            "two@example.com"]
    assert len(fake_twilio.messages) == 1  # the counts on the page were the truth


def test_an_event_nobody_signed_up_for_says_nobody_is_told(client, login_as, make_event):
    event = make_event()
    login_as()
    body = client.get(f"/admin/events/{event.id}/cancel").get_data(as_text=True)
    assert "Nobody holds a registration, so nobody is told." in body


def test_one_person_is_a_person(client, login_as, make_event):
    event = make_event()
    sign_up(event, "one@example.com")
    login_as()
    body = client.get(f"/admin/events/{event.id}/cancel").get_data(as_text=True)
    assert "This will tell 1 person by email that the event is cancelled." in body


def test_a_double_submit_tells_everyone_once(client, db, login_as, make_event, smtp_sink):
    event = make_event()
    sign_up(event, "one@example.com")
    sign_up(event, "two@example.com")
    deliver_due()
    smtp_sink.messages.clear()
    login_as()
    form = hidden_fields(client.get(f"/admin/events/{event.id}/cancel").get_data(as_text=True))
    first = client.post(f"/admin/events/{event.id}/cancel", data=form)
    second = client.post(f"/admin/events/{event.id}/cancel", data=form, follow_redirects=True)
    assert first.status_code == 303 and second.status_code == 200
    assert "This event is already cancelled; nobody is told again." in second.get_data(as_text=True)
    assert len(cancellation_messages(db)) == 2
    deliver_due()
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_sink.messages) == ["one@example.com", "two@example.com"]
    # opening the confirmation again says the same and offers nothing
    again = client.get(f"/admin/events/{event.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "This event is already cancelled; nobody is told again." in again


def test_the_second_of_two_requests_at_the_same_moment_changes_nothing(db, make_event):
    """Both read the event as published; the first commits its cancellation before the second writes."""
    event = make_event()
    sign_up(event, "one@example.com")
    db.session.expire_all()
    stale = db.session.get(Event, event.id)
    assert stale.status == "published"
    with _db.engine.begin() as other_request:
        other_request.execute(sa.update(Event).where(Event.id == event.id)
                              .values(status="cancelled", calendar_sequence=Event.calendar_sequence + 1))
    sequence_after_first = 1
    assert operations.cancel_event(stale) is False
    db.session.commit()
    assert cancellation_messages(db) == []
    assert db.session.get(Event, event.id).calendar_sequence == sequence_after_first


def test_a_cancellation_is_final(client, db, login_as, make_event):
    event = make_event()
    login_as()
    submit(client, f"/admin/events/{event.id}/cancel", {})
    assert status_of(db, event) == "cancelled"
    detail = client.get(f"/admin/events/{event.id}").get_data(as_text=True)
    assert "This event is cancelled." in detail and "/status/published" not in detail
    for status in ("published", "draft"):
        response = client.post(f"/admin/events/{event.id}/status/{status}", data=hidden_fields(detail),
                               follow_redirects=True)
        assert response.status_code == 200
        assert "a cancellation is final" in response.get_data(as_text=True)
        assert status_of(db, event) == "cancelled"


def test_another_organisations_event_cannot_be_cancelled(client, db, login_as, make_event):
    event = make_event()
    sign_up(event, "one@example.com")
    rival = ensure_organisation("rival", "Rival Inc")
    db.session.commit()
    login_as(Role.OWNER, email="boss@rival.example", organisation=rival)
    assert client.get(f"/admin/events/{event.id}/cancel").status_code == 404
    form = hidden_fields(client.get("/admin/").get_data(as_text=True))
    assert client.post(f"/admin/events/{event.id}/cancel", data=form).status_code == 404
    assert client.post(f"/admin/events/2147483648/cancel", data=form).status_code == 404
    assert status_of(db, event) == "published" and cancellation_messages(db) == []


def test_cancel_needs_csrf(client, db, login_as, make_event):
    event = make_event()
    login_as()
    assert client.post(f"/admin/events/{event.id}/cancel").status_code == 400
    assert status_of(db, event) == "published"


def test_the_attendee_page_says_the_event_is_cancelled_and_shows_no_ticket(client, db, login_as, make_event):
    event = make_event()
    manage = sign_up(event, "one@example.com")
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    visitor = client.application.test_client()
    before = visitor.get(manage).get_data(as_text=True)
    assert "Confirmed" in before and ticket_code(registration.ticket_secret) in before and "calendar.ics" in before

    login_as()
    submit(client, f"/admin/events/{event.id}/cancel", {})
    page = visitor.get(manage)
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Event cancelled" in body and "The organisers have cancelled this event." in body
    assert "Confirmed" not in body
    assert registration.ticket_secret not in body and "QR code of your ticket" not in body and "<svg" not in body
    assert "calendar.ics" not in body and "Change your details" not in body
    # a calendar file fetched all the same removes the entry instead of adding a live one
    ics = visitor.get(f"{manage}/calendar.ics").get_data(as_text=True)
    assert "STATUS:CANCELLED" in ics and "STATUS:CONFIRMED" not in ics


def test_the_door_says_the_event_is_cancelled(client, db, login_as, make_event):
    event = make_event()
    sign_up(event, "one@example.com")
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    login_as()
    scanner = client.get(f"/checkin/{event.id}").get_data(as_text=True)
    assert 'id="event-cancelled"' not in scanner
    submit(client, f"/admin/events/{event.id}/cancel", {})
    scanner = client.get(f"/checkin/{event.id}")
    body = scanner.get_data(as_text=True)
    assert scanner.status_code == 200
    assert 'id="event-cancelled"' in body and "This event was cancelled: nobody checks in" in body
    answer = Door(client, event).scan(registration.ticket_secret)
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "event_cancelled"
    assert answer.get_json()["message"].startswith("This event was cancelled: nobody checks in")
