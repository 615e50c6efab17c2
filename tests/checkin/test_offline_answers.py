"""The offline ticket list answers by the server's rules: each ticket carries what an online scan would say."""
import pytest

from eventapp.accounts.models import Role
from eventapp.checkin.operations import secret_hash
from eventapp.registration.models import RegistrationStatus
from tests.checkin.test_redeem import Door, person


@pytest.fixture
def door(client, login_as, make_event):
    login_as(Role.ORGANISER)
    return Door(client, make_event(capacity=100))


@pytest.mark.parametrize("status, answer", [
    (RegistrationStatus.CONFIRMED, "ok"),
    (RegistrationStatus.PENDING, "not_approved"),
    (RegistrationStatus.WAITLISTED, "waitlisted"),
    (RegistrationStatus.CANCELLED, "cancelled"),
    (RegistrationStatus.DECLINED, "cancelled"),
])
def test_each_ticket_in_the_list_carries_the_answer_an_online_scan_gives(door, db, status, answer):
    ada = person(door.event, "ada@example.com")
    ada.status = status
    db.session.commit()
    [ticket] = door.client.get(f"/checkin/{door.event.id}/tickets").get_json()["tickets"]
    assert ticket["h"] == secret_hash(ada.ticket_secret)
    online = door.scan(ada.ticket_secret).get_json()
    assert ticket["answer"] == {"status": answer, "message": online["message"]} and online["status"] == answer


def test_the_list_says_ok_for_a_ticket_checked_in_already_and_the_phone_tells_it_apart(door, db):
    ada = person(door.event, "ada@example.com")
    door.scan(ada.ticket_secret)
    [ticket] = door.client.get(f"/checkin/{door.event.id}/tickets").get_json()["tickets"]
    assert ticket["answer"]["status"] == "ok" and ticket["checked_in"] is True
