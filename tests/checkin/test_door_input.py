"""What fuzzing a running server found at the door: impossible clocks, deep JSON, closed events, control
characters and nonces replayed at another event. Each gets a clear answer and never a 500."""
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.accounts.operations import ensure_organisation
from eventapp.core.time import utcnow
from eventapp.events.operations import save_event
from eventapp.extensions import db
from eventapp.registration.models import Registration
from tests.checkin.test_redeem import Door, checkins, door, person  # noqa: F401 (door is a fixture)
from tests.conftest import submit

IMPOSSIBLE_CLOCKS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z",
                     "2000-01-01T00:00:00+00:00"]


def registrations(db):
    db.session.expire_all()
    return list(db.session.execute(sa.select(Registration).order_by(Registration.id)).scalars())


def is_recent(value) -> bool:
    return abs(utcnow() - value) < timedelta(minutes=1)


@pytest.fixture
def west_door(door, db):
    """A door in a zone behind UTC, where a year-1 time could not even be shown."""
    door.event.timezone = "America/New_York"
    db.session.commit()
    return door


@pytest.mark.parametrize("clock", IMPOSSIBLE_CLOCKS)
def test_a_scan_from_an_impossible_clock_is_recorded_when_it_arrived_and_says_so(west_door, db, client, clock):
    ada = person(west_door.event, "ada@example.com")
    response = west_door.post("redeem", {"secret": ada.ticket_secret, "nonce": "n-1", "device_id": "phone-1",
                                         "scanned_at": clock})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and "clock looks wrong" in body["clock_warning"]
    db.session.expire_all()
    assert is_recent(db.session.get(Registration, ada.id).checked_in_at)
    assert is_recent(checkins(db)[0].scanned_at)
    again = west_door.post("redeem", {"secret": ada.ticket_secret, "nonce": "n-2", "device_id": "phone-1",
                                      "scanned_at": "0001-01-01T00:00:00Z"})
    assert again.status_code == 200 and again.get_json()["status"] == "already_checked_in"
    for export in ("attendance.csv", "attendance.xlsx", "checkins.csv", "checkins.xlsx"):
        assert client.get(f"/admin/events/{west_door.event.id}/{export}").status_code == 200, export


def test_a_scan_made_offline_an_hour_ago_keeps_its_time_and_has_no_warning(door, db):
    ada = person(door.event, "ada@example.com")
    an_hour_ago = utcnow().replace(microsecond=0) - timedelta(hours=1)
    body = door.scan(ada.ticket_secret, scanned_at=an_hour_ago).get_json()
    assert body["status"] == "ok" and "clock_warning" not in body
    db.session.expire_all()
    assert db.session.get(Registration, ada.id).checked_in_at == an_hour_ago


@pytest.mark.parametrize("clock", IMPOSSIBLE_CLOCKS)
def test_a_tap_from_an_impossible_clock_is_recorded_when_it_arrived(west_door, db, clock):
    ada = person(west_door.event, "ada@example.com")
    response = west_door.post(f"registrations/{ada.id}/checkin", {"nonce": "tap-1", "device_id": "phone-1",
                                                                  "scanned_at": clock})
    assert response.status_code == 200 and response.get_json()["clock_warning"]
    db.session.expire_all()
    assert is_recent(db.session.get(Registration, ada.id).checked_in_at)


def test_one_impossible_clock_in_an_offline_batch_does_not_hold_up_the_others(west_door, db):
    people = [person(west_door.event, f"p{number}@example.com") for number in range(len(IMPOSSIBLE_CLOCKS) + 1)]
    earlier = (utcnow() - timedelta(minutes=20)).isoformat()
    scans = [{"secret": p.ticket_secret, "nonce": f"n-{number}", "device_id": "phone-1", "scanned_at": clock}
             for number, (p, clock) in enumerate(zip(people, [earlier, *IMPOSSIBLE_CLOCKS]))]
    response = west_door.post("sync", {"scans": scans})
    assert response.status_code == 200
    results = {r["nonce"]: r for r in response.get_json()["results"]}
    assert {nonce: r["status"] for nonce, r in results.items()} == {s["nonce"]: "ok" for s in scans}
    assert "clock_warning" not in results["n-0"] and all(results[f"n-{n}"]["clock_warning"]
                                                         for n in range(1, len(scans)))
    assert all(is_recent(r.checked_in_at) for r in registrations(db)[1:])
    again = west_door.post("sync", {"scans": scans})  # the same batch again, now that all are checked in
    assert again.status_code == 200
    assert {r["status"] for r in again.get_json()["results"]} == {"ok"}  # each scan's first answer


@pytest.mark.parametrize("path", ["redeem", "sync", "walk-in", "undo", "registrations/{id}/checkin"])
def test_deeply_nested_json_is_refused_like_any_unreadable_body(door, db, path):
    ada = person(door.event, "ada@example.com")
    response = door.client.post(f"/checkin/{door.event.id}/{path.format(id=ada.id)}", data="[" * 100_000,
                                headers={"X-CSRFToken": door.token, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "Send" in response.get_json()["message"]
    assert checkins(db) == [] and len(registrations(db)) == 1


WALK_IN = {"first_name": "Walt", "last_name": "Inn", "email": "walt@example.com", "company": "Door Co",
           "job_title": "CEO", "device_id": "phone-1"}


@pytest.mark.parametrize("status, words", [("cancelled", "cancelled"), ("draft", "not published")])
def test_no_walk_ins_at_a_cancelled_or_unpublished_event(door, db, status, words):
    door.event.status = status
    db.session.commit()
    response = door.post("walk-in", WALK_IN)
    assert response.status_code == 409 and words in response.get_json()["message"]
    assert registrations(db) == [] and checkins(db) == []


def test_tickets_of_a_cancelled_event_do_not_check_in(door, db):
    ada = person(door.event, "ada@example.com")
    door.event.status = "cancelled"
    db.session.commit()
    scanned = door.scan(ada.ticket_secret)
    assert scanned.status_code == 409 and scanned.get_json()["error"] == "event_cancelled"
    assert "cancelled" in scanned.get_json()["message"]
    tapped = door.post(f"registrations/{ada.id}/checkin", {"nonce": "tap", "device_id": "phone-1",
                                                           "scanned_at": utcnow().isoformat()})
    assert tapped.status_code == 409
    synced = door.post("sync", {"scans": [{"secret": ada.ticket_secret, "nonce": "n-1", "device_id": "phone-1",
                                           "scanned_at": utcnow().isoformat()}]})
    assert synced.status_code == 200  # answered per scan, so the phone's queue moves on
    [result] = synced.get_json()["results"]
    assert result["nonce"] == "n-1" and result["status"] == "error" and "cancelled" in result["message"]
    assert checkins(db) == [] and registrations(db)[0].checked_in_at is None


def test_tickets_still_scan_at_an_event_unpublished_for_an_edit(door, db):
    ada = person(door.event, "ada@example.com")
    door.event.status = "draft"
    db.session.commit()
    assert door.scan(ada.ticket_secret).get_json()["status"] == "ok"


def test_control_characters_are_not_stored_in_device_ids_or_reasons(door, db):
    ada = person(door.event, "ada@example.com")
    scanned = door.post("redeem", {"secret": ada.ticket_secret, "nonce": "n-1", "device_id": "phone\x00-1\x1b",
                                   "scanned_at": utcnow().isoformat()})
    assert scanned.get_json()["checked_in_by"]["device_id"] == "phone-1"
    undone = door.post("undo", {"device_id": "phone-1\x07", "reason": "wrong\x00 person\r\nsorry\x7f"})
    assert undone.status_code == 200
    walked_in = door.post("walk-in", {**WALK_IN, "device_id": "\x00phone-2"})
    assert walked_in.get_json()["checked_in_by"]["device_id"] == "phone-2"
    assert [(c.device_id, c.reason) for c in checkins(db)] == [
        ("phone-1", ""), ("phone-1", "wrong person sorry"), ("phone-2", "")]
    only_controls = door.post("redeem", {"secret": ada.ticket_secret, "nonce": "n-3", "device_id": "\x00\x01",
                                         "scanned_at": utcnow().isoformat()})
    assert only_controls.status_code == 400 and "device_id" in only_controls.get_json()["message"]
    assert len(checkins(db)) == 3


def rival_door(app, db):
    """Another organisation's owner at their own event's door, on their own phone."""
    from eventapp.accounts.operations import create_user
    from tests.conftest import PASSWORD

    rival = ensure_organisation("rival", "Rival Inc")
    db.session.flush()
    starts = utcnow() + timedelta(days=3)
    event = save_event(rival.id, {"title": "Rival summit", "slug": "rival-summit", "kind": "seminar",
                                  "timezone": "UTC", "starts_at": starts, "ends_at": starts + timedelta(hours=2),
                                  "capacity": None})
    event.status = "published"
    owner = create_user("owner@rival.example", PASSWORD, Role.OWNER, rival)
    db.session.commit()
    client = app.test_client()
    submit(client, "/login", {"email": owner.email, "password": PASSWORD})
    return Door(client, event, device="rival-1")


def test_a_nonce_replayed_at_another_event_reveals_nothing(app, door, db, make_event):
    ada = person(door.event, "ada@example.com")
    nonce = uuid.uuid4().hex
    assert door.scan(ada.ticket_secret, nonce=nonce).get_json()["attendee"]["name"] == "Ada Test"
    other_event = Door(door.client, make_event(title="Other seminar"))
    for elsewhere in (other_event, rival_door(app, db)):
        replayed = elsewhere.scan("anything", nonce=nonce)
        assert replayed.status_code == 409 and replayed.get_json()["error"] == "nonce_reused"
        assert "Ada" not in replayed.get_data(as_text=True)
        synced = elsewhere.post("sync", {"scans": [{"secret": "anything", "nonce": nonce, "device_id": "phone-9",
                                                    "scanned_at": utcnow().isoformat()}]})
        [result] = synced.get_json()["results"]
        assert synced.status_code == 200 and result["status"] == "error" and "Ada" not in str(result)
    assert len(checkins(db)) == 1
    again = door.scan(ada.ticket_secret, nonce=nonce).get_json()  # at its own event, the first answer still stands
    assert again["status"] == "ok" and again["attendee"]["name"] == "Ada Test"
