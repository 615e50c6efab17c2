"""Who may work a door: organisers take a staff member off an event's door (their scanner stops for that event at
once, their other events go on), and a check-in is taken back only from the phone, by the staff member, who made
it, or by an organiser."""
import uuid

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.accounts.operations import ensure_organisation
from eventapp.checkin.models import EventStaff
from eventapp.core.time import utcnow
from eventapp.registration.models import Registration
from tests.checkin.test_redeem import Door, checkins, person
from tests.conftest import PASSWORD, hidden_fields, submit

NOT_ON_DOOR = "You are not on this event&#39;s door"


def signed_in(app, email):
    client = app.test_client()
    response = submit(client, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def assign(db, event, user):
    db.session.add(EventStaff(event_id=event.id, user_id=user.id))
    db.session.commit()


def assigned(db, event):
    db.session.expire_all()
    return list(db.session.execute(sa.select(EventStaff.user_id).where(EventStaff.event_id == event.id)).scalars())


@pytest.fixture
def staffed(app, db, make_event, make_user):
    """Two events of one organisation, a staff member on both doors, and an organiser."""
    event, other = make_event(), make_event()
    staff = make_user(Role.STAFF, email="door@acme.example")
    assign(db, event, staff)
    assign(db, other, staff)
    make_user(Role.ORGANISER, email="organiser@acme.example")
    return event, other, staff


def test_an_organiser_takes_a_staff_member_off_the_door_and_their_scanner_stops_at_once(app, db, staffed):
    event, other, staff = staffed
    ada, grace = person(event, "ada@example.com"), person(other, "grace@example.com")
    phone = signed_in(app, staff.email)
    door, other_door = Door(phone, event), Door(phone, other)
    assert door.scan(ada.ticket_secret).get_json()["status"] == "ok"

    organiser = signed_in(app, "organiser@acme.example")
    page = organiser.get(f"/admin/events/{event.id}").get_data(as_text=True)
    assert "door@acme.example" in page and "Take off this door" in page
    removed = submit(organiser, f"/admin/events/{event.id}", {},
                     post_url=f"/admin/events/{event.id}/staff/{staff.id}/remove", follow_redirects=True)
    assert "door@acme.example is off this event&#39;s door" in removed.get_data(as_text=True)
    assert assigned(db, event) == [] and assigned(db, other) == [staff.id]

    # the same phone, the same session and CSRF token: every door request for this event is refused, with a reason
    scan_time = utcnow().isoformat()
    refused = [door.scan(ada.ticket_secret), door.post("undo", {"device_id": "phone-1", "reason": "wrong person"}),
               door.post("sync", {"scans": [{"secret": ada.ticket_secret, "nonce": uuid.uuid4().hex,
                                             "device_id": "phone-1", "scanned_at": scan_time}]}),
               door.post(f"registrations/{ada.id}/checkin", {"nonce": uuid.uuid4().hex, "device_id": "phone-1",
                                                              "scanned_at": scan_time}),
               door.post("walk-in", {"first_name": "Wal", "last_name": "K", "email": "walk@example.com",
                                     "company": "C", "job_title": "T"}),
               phone.get(f"/checkin/{event.id}/search?q=ada", headers={"Accept": "application/json"}),
               phone.get(f"/checkin/{event.id}/tickets"), phone.get(f"/checkin/{event.id}/stats")]
    for response in refused:
        assert response.status_code == 403, response.request.path
        body = response.get_json()
        assert body["error"] == "not_on_door" and "not on this event's door" in body["message"]
    scanner = phone.get(f"/checkin/{event.id}")
    assert scanner.status_code == 403 and NOT_ON_DOOR in scanner.get_data(as_text=True)
    assert event.title not in phone.get("/checkin/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, ada.id).checked_in_at is not None  # the refused undo changed nothing
    assert len(checkins(db)) == 1

    # their other event keeps working
    assert other_door.scan(grace.ticket_secret).get_json()["status"] == "ok"


def test_only_an_organiser_of_the_same_organisation_takes_staff_off_with_the_forms_token(app, db, staffed,
                                                                                          make_user):
    event, _other, staff = staffed
    url = f"/admin/events/{event.id}/staff/{staff.id}/remove"
    phone = signed_in(app, staff.email)
    token = hidden_fields(phone.get("/checkin/").get_data(as_text=True))["csrf_token"]
    assert phone.post(url, data={"csrf_token": token}).status_code == 403  # staff cannot take themselves off
    elsewhere = ensure_organisation("elsewhere", "Elsewhere Ltd")
    db.session.commit()
    make_user(Role.OWNER, email="owner@elsewhere.example", organisation=elsewhere)
    stranger = signed_in(app, "owner@elsewhere.example")
    token = hidden_fields(stranger.get("/admin/").get_data(as_text=True))["csrf_token"]
    assert stranger.post(url, data={"csrf_token": token}).status_code == 404
    organiser = signed_in(app, "organiser@acme.example")
    organiser.get(f"/admin/events/{event.id}")
    assert organiser.post(url, data={}).status_code == 400  # no CSRF token
    assert assigned(db, event) == [staff.id]
    assert submit(organiser, f"/admin/events/{event.id}", {}, post_url=url).status_code == 303
    assert assigned(db, event) == []
    again = submit(organiser, f"/admin/events/{event.id}", {}, post_url=url, follow_redirects=True)  # double click
    assert again.status_code == 200 and "That account is not on this event&#39;s door." in again.get_data(as_text=True)


# ---- undo: the phone and the staff member who checked the person in, or an organiser ---------------------------

@pytest.fixture
def two_staff(app, db, make_event, make_user):
    event = make_event()
    alice, bob = make_user(Role.STAFF, email="alice@acme.example"), make_user(Role.STAFF, email="bob@acme.example")
    assign(db, event, alice)
    assign(db, event, bob)
    make_user(Role.ORGANISER, email="organiser@acme.example")
    ada = person(event, "ada@example.com")
    alices_phone = Door(signed_in(app, alice.email), event, device="phone-1")
    assert alices_phone.scan(ada.ticket_secret).get_json()["status"] == "ok"
    return event, ada, alices_phone


def still_checked_in(db, registration) -> bool:
    db.session.expire_all()
    return db.session.get(Registration, registration.id).checked_in_at is not None


def undo(door, device, **extra):
    return door.post("undo", {"device_id": device, "reason": "scanned the wrong badge", **extra})


def test_another_staff_member_cannot_undo_a_check_in_even_naming_the_same_phone(app, db, two_staff):
    event, ada, _alices_phone = two_staff
    bobs_phone = Door(signed_in(app, "bob@acme.example"), event, device="phone-1")  # a device id is only a name
    for response in (undo(bobs_phone, "phone-1"), undo(bobs_phone, "phone-1", registration_id=ada.id)):
        assert response.status_code == 403
        body = response.get_json()
        assert body["error"] == "undo_not_yours"
        assert body["message"] == ("This check-in was made on another phone or by another staff member: only they, "
                                   "or an organiser, can take it back. Nothing was changed.")
    assert still_checked_in(db, ada)
    assert [c.result for c in checkins(db)] == ["ok"]


def test_the_same_staff_member_on_another_phone_cannot_undo_it(app, db, two_staff):
    event, ada, _alices_phone = two_staff
    alices_tablet = Door(signed_in(app, "alice@acme.example"), event, device="tablet-2")
    response = undo(alices_tablet, "tablet-2", registration_id=ada.id)
    assert response.status_code == 403 and response.get_json()["error"] == "undo_not_yours"
    nothing = undo(alices_tablet, "tablet-2")  # that phone has checked nobody in
    assert nothing.status_code == 409 and nothing.get_json()["error"] == "nothing_to_undo"
    assert still_checked_in(db, ada)
    assert [c.result for c in checkins(db)] == ["ok"]


def test_the_phone_and_staff_member_who_checked_in_can_undo(db, two_staff):
    _event, ada, alices_phone = two_staff
    response = undo(alices_phone, "phone-1")
    assert response.status_code == 200 and response.get_json()["status"] == "undone"
    assert not still_checked_in(db, ada)
    assert alices_phone.scan(ada.ticket_secret).get_json()["status"] == "ok"
    assert undo(alices_phone, "phone-1", registration_id=ada.id).get_json()["status"] == "undone"


@pytest.mark.parametrize("by_registration", [True, False])
def test_an_organiser_can_undo_anyone_s_check_in_from_their_own_phone(app, db, two_staff, by_registration):
    event, ada, _alices_phone = two_staff
    organisers_phone = Door(signed_in(app, "organiser@acme.example"), event, device="organiser-phone")
    response = undo(organisers_phone, "organiser-phone", registration_id=ada.id) if by_registration \
        else undo(organisers_phone, "phone-1")  # or naming the phone that did it
    assert response.status_code == 200 and response.get_json()["status"] == "undone"
    assert not still_checked_in(db, ada)


def test_an_undo_naming_a_registration_checks_it(app, db, two_staff, make_event):
    event, ada, alices_phone = two_staff
    grace = person(event, "grace@example.com")  # signed up, not checked in
    elsewhere = person(make_event(), "lin@example.com")
    for bad in ("1", -1, 0, 2**31, 1.5, True, [ada.id]):
        response = undo(alices_phone, "phone-1", registration_id=bad)
        assert response.status_code == 400 and "registration_id" in response.get_json()["message"], bad
    for registration in (grace, elsewhere):
        response = undo(alices_phone, "phone-1", registration_id=registration.id)
        assert response.status_code == 409 and response.get_json()["message"] == (
            "This person is not checked in: there is nothing to take back.")
    assert still_checked_in(db, ada)
