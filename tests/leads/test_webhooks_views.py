"""The back office of webhooks: endpoints made, changed and deleted through the pages, bad input refused with a
reason and nothing saved, the secret shown and rotated, a test event, the delivery log and Resend, CSRF, and another
organisation's endpoints and deliveries out of reach (404)."""
import json

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.accounts.operations import create_user, ensure_organisation
from eventapp.extensions import db as _db
from eventapp.leads import webhooks
from eventapp.leads.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.conftest import PASSWORD, hidden_fields, submit

ENDPOINT_FORM = {"url": "https://crm.example.com/hooks", "description": "Salesforce bridge",
                 "event_types": ["lead.handed_off", "lead.feedback"]}


@pytest.fixture
def organiser(login_as):
    return login_as(Role.ORGANISER)


@pytest.fixture(autouse=True)
def public_host(monkeypatch):
    """crm.example.com stands for a CRM on the public internet (no DNS lookup leaves the test)."""
    real = webhooks.socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host.endswith("example.com"):
            return [(webhooks.socket.AF_INET, webhooks.socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", resolve)


def endpoints() -> list[WebhookEndpoint]:
    return list(_db.session.execute(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars())


def deliveries() -> list[WebhookDelivery]:
    return list(_db.session.execute(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars())


def add_endpoint(client, **overrides):
    return submit(client, "/admin/webhooks/new", {**ENDPOINT_FORM, **overrides})


def csrf(client) -> str:
    return hidden_fields(client.get("/admin/webhooks/new").get_data(as_text=True))["csrf_token"]


def test_an_organiser_adds_an_endpoint_and_sees_its_secret(client, organiser, db):
    response = add_endpoint(client)
    assert response.status_code == 303
    [endpoint] = endpoints()
    assert response.headers["Location"].endswith(f"/admin/webhooks/{endpoint.id}")
    assert (endpoint.url, endpoint.description, endpoint.event_types, endpoint.active) == \
        ("https://crm.example.com/hooks", "Salesforce bridge", ["lead.handed_off", "lead.feedback"], True)
    assert endpoint.secret.startswith("whsec_")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert endpoint.secret in page and "Give its signing secret" in page
    assert "Send test event" in page and "Nothing sent yet" in page
    listing = client.get("/admin/webhooks/").get_data(as_text=True)
    assert "https://crm.example.com/hooks" in listing and "Sales answered a handoff" in listing


@pytest.mark.parametrize("overrides, message", [
    ({"url": ""}, "Enter the address that receives the messages."),
    ({"url": "http://crm.example.com/hooks"}, "https://"),
    ({"url": "https://127.0.0.1:8080/hooks"}, "public internet"),
    ({"url": "https://169.254.169.254/latest/meta-data"}, "public internet"),
    ({"url": "https://intranet.local.invalid/"}, "cannot be found"),
    ({"url": "not a url"}, "https://"),
    ({"url": "https://crm.example.com/" + "x" * 2100}, "under 2,000 characters"),
    ({"event_types": []}, "Choose at least one event to send."),
    ({"event_types": ["lead.deleted"]}, "valid choice"),
    ({"description": "<script>alert(1)</script>"}, "plain text"),
])
def test_bad_input_is_refused_with_a_reason_and_nothing_saved(client, organiser, db, overrides, message):
    response = add_endpoint(client, **overrides)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert endpoints() == []


def test_an_endpoint_is_edited_switched_off_and_on_and_deleted(client, organiser, db):
    add_endpoint(client)
    [endpoint] = endpoints()
    endpoint.active, endpoint.disabled_reason = False, "The receiver answered 410 Gone"
    _db.session.commit()
    page = client.get(f"/admin/webhooks/{endpoint.id}/edit").get_data(as_text=True)
    assert "410 Gone" in page and 'name="active"' in page
    response = submit(client, f"/admin/webhooks/{endpoint.id}/edit", {
        "url": "https://crm.example.com/v2/hooks", "description": "", "event_types": ["registration.created"],
        "active": "y"})
    assert response.status_code == 303
    _db.session.expire_all()
    endpoint = _db.session.get(WebhookEndpoint, endpoint.id)
    assert (endpoint.url, endpoint.event_types, endpoint.active, endpoint.disabled_reason) == \
        ("https://crm.example.com/v2/hooks", ["registration.created"], True, "")
    webhooks.send_test(_db.session.get(WebhookEndpoint, endpoint.id))
    _db.session.commit()
    response = submit(client, f"/admin/webhooks/{endpoint.id}/edit", {
        "url": "https://crm.example.com/v2/hooks", "event_types": ["registration.created"]})  # box unticked
    assert response.status_code == 303
    _db.session.expire_all()
    assert not _db.session.get(WebhookEndpoint, endpoint.id).active
    page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "Switched off" in page and "Send test event" not in page
    response = client.post(f"/admin/webhooks/{endpoint.id}/test", data={"csrf_token": csrf(client)},
                           follow_redirects=True)
    assert "switched off" in response.get_data(as_text=True) and len(deliveries()) == 1
    response = client.post(f"/admin/webhooks/{endpoint.id}/delete", data={"csrf_token": csrf(client)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/webhooks/")
    assert endpoints() == [] and deliveries() == []


def test_the_secret_is_rotated(client, organiser, db):
    add_endpoint(client)
    [endpoint] = endpoints()
    old = endpoint.secret
    response = client.post(f"/admin/webhooks/{endpoint.id}/secret", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    _db.session.expire_all()
    new = _db.session.get(WebhookEndpoint, endpoint.id).secret
    assert new != old and new.startswith("whsec_")
    assert new in client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)


def test_send_test_event_and_the_log_and_resend(client, organiser, db):
    add_endpoint(client)
    [endpoint] = endpoints()
    response = client.post(f"/admin/webhooks/{endpoint.id}/test", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    [test] = deliveries()
    assert (test.event_type, test.status, test.contact_id) == ("webhook.test", DeliveryStatus.PENDING, None)
    assert json.loads(test.payload)["data"]["endpoint_id"] == endpoint.id
    test.status, test.attempts, test.last_status_code, test.last_error = DeliveryStatus.RETRYING, 2, 500, \
        "HTTP 500 Internal Server Error"
    _db.session.commit()
    log = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "Test event" in log and "Failed, will retry" in log and "HTTP 500 Internal Server Error" in log
    page = client.get(f"/admin/webhooks/deliveries/{test.id}").get_data(as_text=True)
    assert test.webhook_id in page and "if you can read this, the webhook works" in page
    response = client.post(f"/admin/webhooks/deliveries/{test.id}/resend", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    first, again = deliveries()
    assert (again.webhook_id, again.resend_of_id, again.payload, again.status, again.attempts) == \
        (first.webhook_id, first.id, first.payload, DeliveryStatus.PENDING, 0)
    response = client.post(f"/admin/webhooks/deliveries/{test.id}/resend", data={"csrf_token": csrf(client)},
                           follow_redirects=True)  # a second click
    assert "already waiting to be sent again" in response.get_data(as_text=True) and len(deliveries()) == 2
    log = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert log.index(f"/admin/webhooks/deliveries/{again.id}") < log.index(f"/admin/webhooks/deliveries/{first.id}")
    assert "(resent)" in log


def test_resend_of_an_erased_or_switched_off_one_says_why(client, organiser, db):
    add_endpoint(client)
    [endpoint] = endpoints()
    delivery = webhooks.send_test(endpoint)
    delivery.payload = ""
    _db.session.commit()
    page = client.get(f"/admin/webhooks/deliveries/{delivery.id}").get_data(as_text=True)
    assert "erased on request" in page and ">Resend<" not in page
    response = client.post(f"/admin/webhooks/deliveries/{delivery.id}/resend", data={"csrf_token": csrf(client)},
                           follow_redirects=True)
    assert "cannot be sent again" in response.get_data(as_text=True)
    assert len(deliveries()) == 1


def test_forms_need_their_csrf_token(client, organiser, db):
    add_endpoint(client)
    [endpoint] = endpoints()
    for path in (f"/admin/webhooks/{endpoint.id}/test", f"/admin/webhooks/{endpoint.id}/delete",
                 f"/admin/webhooks/{endpoint.id}/secret", "/admin/webhooks/new"):
        assert client.post(path, data={}).status_code == 400, path
    assert len(endpoints()) == 1 and deliveries() == []


def test_another_organisation_s_endpoints_and_deliveries_are_404(client, organiser, db):
    rival = ensure_organisation("rival", "Rival Events")
    _db.session.flush()
    theirs = webhooks.save_endpoint(rival.id, dict(ENDPOINT_FORM))
    their_delivery = webhooks.send_test(theirs)
    create_user("owner@rival.example", PASSWORD, Role.OWNER, rival)
    _db.session.commit()
    token = csrf(client)
    for path in (f"/admin/webhooks/{theirs.id}", f"/admin/webhooks/{theirs.id}/edit",
                 f"/admin/webhooks/deliveries/{their_delivery.id}"):
        assert client.get(path).status_code == 404, path
    for path in (f"/admin/webhooks/{theirs.id}/test", f"/admin/webhooks/{theirs.id}/secret",
                 f"/admin/webhooks/{theirs.id}/delete", f"/admin/webhooks/{theirs.id}/edit",
                 f"/admin/webhooks/deliveries/{their_delivery.id}/resend"):
        assert client.post(path, data={"csrf_token": token, **ENDPOINT_FORM}).status_code == 404, path
    assert "crm.example.com" not in client.get("/admin/webhooks/").get_data(as_text=True)
    assert len(deliveries()) == 1 and len(endpoints()) == 1


def test_sales_and_staff_get_no_webhook_pages(client, login_as, db):
    login_as(Role.SALES)
    assert client.get("/admin/webhooks/").status_code == 403
