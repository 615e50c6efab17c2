"""The door's JSON answers are read by staff on the scanner: in the staff user's language, whatever the phone's
browser says (the crawl of tests/test_chinese_pages.py opens pages, not the door's API)."""
import re

import pytest

from eventapp.accounts.models import Role
from tests.checkin.test_redeem import Door, person

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def chinese_door(client, db, login_as, make_event):
    user = login_as(Role.ORGANISER)
    user.language = "zh_Hans"
    db.session.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"  # the phone's browser: English
    return Door(client, make_event(capacity=100))


def test_a_scan_answers_in_the_staff_users_language(chinese_door):
    ada = person(chinese_door.event, "ada@example.com")
    first = chinese_door.scan(ada.ticket_secret).get_json()
    again = chinese_door.scan(ada.ticket_secret).get_json()
    unknown = chinese_door.scan("not-a-ticket-at-all").get_json()
    for body in (first, again, unknown):
        assert CHINESE.search(body["message"]), body["message"]
    assert first["status"] == "ok" and again["status"] == "already_checked_in" and unknown["status"] == "invalid"


@pytest.mark.parametrize("payload", [{"secret": "x"}, {"secret": "x", "nonce": "n", "device_id": "d",
                                                          "scanned_at": "yesterday"}])
def test_a_malformed_scan_is_refused_in_the_staff_users_language(chinese_door, payload):
    response = chinese_door.post("redeem", payload)
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert CHINESE.search(message) and not re.search(r"\b(missing|valid|must)\b", message), message


def test_an_undo_with_nothing_to_undo_is_refused_in_the_staff_users_language(chinese_door):
    response = chinese_door.post("undo", {"device_id": "phone-1"})
    assert response.status_code in (400, 409)
    assert CHINESE.search(response.get_json()["message"])
