"""CSRF: Flask-WTF's CSRFProtect checks every POST of the app before its view, the door's JSON API included (its
token in the X-CSRFToken header); an expired, forged or other session's token is refused with a sentence."""
import time
import uuid

import pytest

from eventapp.accounts.models import Role
from eventapp.core.time import utcnow
from tests.checkin.test_redeem import person
from tests.conftest import PASSWORD, hidden_fields, submit


@pytest.fixture
def door(client, login_as, make_event):
    login_as(Role.ORGANISER)
    event = make_event()
    token = hidden_fields(client.get("/checkin/").get_data(as_text=True))["csrf_token"]
    return client, event, token


def scan(client, event, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["X-CSRFToken"] = token
    return client.post(f"/checkin/{event.id}/redeem", headers=headers, json={
        "secret": "not-a-ticket", "nonce": uuid.uuid4().hex, "device_id": "d", "scanned_at": utcnow().isoformat()},
        **kwargs)


def refused(response) -> bool:
    if response.is_json:
        return response.status_code == 400 and response.get_json()["error"] == "csrf"
    return response.status_code == 400 and "sent from another page" in response.get_data(as_text=True)


def test_a_good_token_passes_and_a_missing_or_forged_one_does_not(door):
    client, event, token = door
    assert scan(client, event, token).get_json()["status"] == "invalid"  # past the check: an unknown code
    assert refused(scan(client, event))
    assert refused(scan(client, event, "garbage"))
    payload, dot, signature = token.rpartition(".")
    assert refused(scan(client, event, payload + dot + signature[::-1]))
    assert scan(client, event, token).status_code == 200


def test_another_sessions_token_is_refused(door, app, make_user):
    client, event, _token = door
    other = app.test_client()
    user = make_user(Role.ORGANISER, email="other@acme.example")
    submit(other, "/login", {"email": user.email, "password": PASSWORD})
    foreign = hidden_fields(other.get("/checkin/").get_data(as_text=True))["csrf_token"]
    assert scan(other, event, foreign).status_code == 200  # good in its own session
    assert refused(scan(client, event, foreign))


def test_a_token_expires(door, app, monkeypatch):
    client, event, token = door
    assert scan(client, event, token).status_code == 200
    later = time.time() + app.config["WTF_CSRF_TIME_LIMIT"] + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert refused(scan(client, event, token))


def test_over_https_the_referrer_must_be_this_site(door):
    client, event, token = door
    https = {"base_url": "https://localhost"}
    assert refused(scan(client, event, token, **https))
    assert refused(scan(client, event, token, headers={"Referer": "https://evil.example/checkin/"}, **https))
    assert scan(client, event, token, headers={"Referer": "https://localhost/checkin/1"}, **https).status_code == 200


def test_a_form_post_may_carry_the_token_in_its_field(door, db):
    client, event, token = door
    response = client.post(f"/checkin/{event.id}/redeem", data={"csrf_token": token})
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"  # past CSRF: not JSON
    assert refused(client.post(f"/checkin/{event.id}/redeem", data={"csrf_token": "forged"}))


def test_a_real_ticket_is_checked_in_once_the_token_is_good(door, db):
    client, event, token = door
    ada = person(event, "ada@example.com")
    response = client.post(f"/checkin/{event.id}/redeem", headers={"X-CSRFToken": token}, json={
        "secret": ada.ticket_secret, "nonce": "n1", "device_id": "d", "scanned_at": utcnow().isoformat()})
    assert response.get_json()["status"] == "ok"


@pytest.mark.parametrize("path, fields", [
    ("/login", {"email": "organiser@acme.example", "password": "whatever it is"}),
    ("/admin/campaigns/new", {"name": "Spring series"}),
    ("/admin/events/{event}/reminders", {"amount": "3", "unit": "hours", "channel": "email"}),
    ("/admin/events/{event}/messages/confirmation", {"subject": "Hello", "body": "Hi", "sms_text": ""}),
])
def test_every_form_post_without_its_token_is_refused_before_the_view(client, db, login_as, make_event, path,
                                                                      fields):
    """Forms do not check the token themselves: the one check, for every POST of the app, comes first."""
    from eventapp.events.models import Campaign
    from eventapp.messaging.models import ReminderRule

    login_as()
    event = make_event()
    path = path.format(event=event.id)
    client.application.url_map.bind("localhost").match(path, method="POST")  # a real form's address
    rules_before = db.session.query(ReminderRule).count()
    response = client.post(path, data=fields)
    assert response.status_code == 400
    assert "This form has expired or was sent from another page" in response.get_data(as_text=True)
    assert db.session.query(Campaign).count() == 0 and db.session.query(ReminderRule).count() == rules_before
