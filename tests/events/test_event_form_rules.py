"""What the event form refuses with a sentence instead of saving silently: fewer seats than people holding one, and
a start or end that the event's time zone skips when its clocks go forward; a time shown twice is read one way
and explained."""
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from eventapp.events.models import Event
from eventapp.registration.models import Registration
from tests.conftest import signup_form, submit
from tests.events.test_back_office import EVENT_FORM


def sign_up(client, event, email):
    visitor = client.application.test_client()
    assert submit(visitor, f"/e/{event.slug}", signup_form(email=email)).status_code == 303


def edit_form(event, **changes):
    local = event.starts_at.astimezone(__import__("zoneinfo").ZoneInfo(event.timezone))
    end = event.ends_at.astimezone(local.tzinfo)
    return {**EVENT_FORM, "title": event.title, "slug": event.slug, "timezone": event.timezone,
            "starts_at": local.strftime("%Y-%m-%dT%H:%M"), "ends_at": end.strftime("%Y-%m-%dT%H:%M"),
            "capacity": str(event.capacity or ""), **changes}


def reloaded(db, event):
    db.session.expire_all()
    return db.session.get(Event, event.id)


def test_capacity_below_the_seats_taken_is_refused_next_to_the_field(client, db, login_as, make_event):
    event = make_event(capacity=20)
    for number in range(3):
        sign_up(client, event, f"p{number}@example.com")
    login_as()
    response = submit(client, f"/admin/events/{event.id}/edit", edit_form(event, capacity="2", title="Renamed"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "3 people already hold a seat; set at least 3 or cancel some registrations first." in body
    assert 'id="capacity-error"' in body  # next to the field, tied to it
    saved = reloaded(db, event)
    assert (saved.capacity, saved.title) == (20, event.title)  # nothing saved
    # exactly the seats taken is fine
    assert submit(client, f"/admin/events/{event.id}/edit", edit_form(event, capacity="3")).status_code == 303
    assert reloaded(db, event).capacity == 3


def test_a_limit_set_on_an_event_without_one_counts_who_is_registered(client, db, login_as, make_event):
    event = make_event(capacity=None)
    for number in range(2):
        sign_up(client, event, f"p{number}@example.com")
    login_as()
    response = submit(client, f"/admin/events/{event.id}/edit", edit_form(event, capacity="1"))
    assert response.status_code == 422
    assert "2 people already hold a seat; set at least 2" in response.get_data(as_text=True)
    assert reloaded(db, event).capacity is None


def test_cancelled_registrations_hold_no_seat(client, db, login_as, make_event):
    event = make_event(capacity=10)
    sign_up(client, event, "one@example.com")
    sign_up(client, event, "two@example.com")
    gone = db.session.execute(sa.select(Registration).order_by(Registration.id.desc())).scalars().first()
    visitor = client.application.test_client()
    assert submit(visitor, f"/r/{gone.manage_token}/cancel", {}).status_code == 303
    login_as()
    response = submit(client, f"/admin/events/{event.id}/edit", edit_form(event, capacity="0"))
    assert "Enter a number of seats from 1 up" in response.get_data(as_text=True)  # the field's own rule still
    event.capacity = 10
    response = submit(client, f"/admin/events/{event.id}/edit", edit_form(event, capacity="1"))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert reloaded(db, event).capacity == 1


def test_an_unchanged_limit_below_the_seats_taken_still_saves_other_changes(client, db, login_as, make_event):
    """Walk-ins may fill the room past the limit: editing the title must not be blocked by that."""
    event = make_event(capacity=2)
    sign_up(client, event, "one@example.com")
    sign_up(client, event, "two@example.com")
    event.capacity = 1  # as when walk-ins filled the room past the limit
    db.session.commit()
    login_as()
    response = submit(client, f"/admin/events/{event.id}/edit", edit_form(event, title="Renamed"))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert reloaded(db, event).title == "Renamed"


@pytest.mark.parametrize("field, value, sentence", [
    ("starts_at", "2027-03-28T02:30", "02:30 does not exist on March 28, 2027 in Europe/Berlin: clocks go forward "
                                      "from 02:00 to 03:00. Choose a time before 02:00 or from 03:00."),
    ("ends_at", "2027-03-28T02:00", "02:00 does not exist on March 28, 2027 in Europe/Berlin"),
    ("registration_closes_at", "2027-03-28T02:59", "02:59 does not exist on March 28, 2027 in Europe/Berlin"),
])
def test_a_time_the_clocks_skip_is_explained_and_nothing_is_saved(client, db, login_as, field, value, sentence):
    login_as()
    form = {**EVENT_FORM, "timezone": "Europe/Berlin", "starts_at": "2027-03-28T01:00",
            "ends_at": "2027-03-28T05:00", field: value}
    response = submit(client, "/admin/events/new", form)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert sentence in body
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar() == 0


def test_a_time_the_clocks_skip_elsewhere_names_that_zone(client, db, login_as):
    login_as()
    response = submit(client, "/admin/events/new", {**EVENT_FORM, "timezone": "America/New_York",
                                                    "starts_at": "2027-03-14T02:15", "ends_at": "2027-03-14T09:00"})
    assert ("02:15 does not exist on March 14, 2027 in America/New_York: clocks go forward from 02:00 to 03:00."
            in response.get_data(as_text=True))


def test_the_same_wall_clock_time_in_a_zone_without_the_change_is_fine(client, db, login_as):
    login_as()
    response = submit(client, "/admin/events/new", {**EVENT_FORM, "timezone": "Asia/Shanghai",
                                                    "starts_at": "2027-03-28T02:30", "ends_at": "2027-03-28T05:00"})
    assert response.status_code == 303


def test_a_time_shown_twice_is_the_first_and_the_organiser_is_told(client, db, login_as):
    login_as()
    response = submit(client, "/admin/events/new", {**EVENT_FORM, "timezone": "Europe/Berlin",
                                                    "starts_at": "2027-10-31T02:30", "ends_at": "2027-10-31T06:00"},
                      follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("Starts: 02:30 happens twice on October 31, 2027 in Europe/Berlin, as clocks go back from 03:00 to "
            "02:00. We took the first 02:30 (UTC+02:00), before the clocks go back.") in body
    event = db.session.execute(sa.select(Event)).scalar_one()
    assert event.starts_at == datetime(2027, 10, 31, 0, 30, tzinfo=timezone.utc)  # 02:30 summer time
    assert event.ends_at == datetime(2027, 10, 31, 5, 0, tzinfo=timezone.utc)  # an ordinary time: no note
    assert body.count("happens twice") == 1
