"""Webhooks in a phone's browser: an organiser adds an endpoint through the form (fields found by their labels),
sends a test event, reads the log and the payload, resends; each page fits the screen and passes axe-core's
WCAG 2.1 A/AA rules."""
import json

from playwright.sync_api import expect

from eventapp.accounts.models import Role
from eventapp.messaging.operations import sweep
from tests.browser.test_landing_quality import assert_accessible
from tests.conftest import PASSWORD
from tests.leads.test_webhooks import Receiver


def fits_the_screen(page, what: str) -> None:
    """Nothing wider than the phone's screen (a wider page makes the phone zoom out, and innerWidth grows with
    it, so the page is measured against the screen's width)."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth]")
    assert max(widths) <= page.viewport_size["width"], f"{what}: the page is wider than the screen: {widths}"


def test_an_organiser_sets_up_a_webhook_on_a_phone(phone, live_server, app, monkeypatch, make_user):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", True)
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_HTTP", True)
    crm = Receiver()
    try:
        user = make_user(Role.ORGANISER)
        page = phone.new_page()
        page.goto(f"{live_server}/login")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()

        page.goto(f"{live_server}/admin/webhooks/")
        page.get_by_role("link", name="New endpoint").click()
        page.get_by_role("button", name="Save endpoint").click()  # empty: told what is missing
        expect(page.get_by_text("Enter the address that receives the messages.").first).to_be_visible()
        assert_accessible(page, "the endpoint form with errors")
        page.get_by_label("Address (URL)").fill(crm.url)
        page.get_by_label("Description").fill("Our CRM")
        page.get_by_label("A lead's stage changed").check()
        page.get_by_label("Sales answered a handoff").check()
        page.get_by_role("button", name="Save endpoint").click()

        expect(page.get_by_role("heading", level=1)).to_have_text(crm.url)
        expect(page.locator("code.webhook-secret")).to_contain_text("whsec_")
        fits_the_screen(page, "the endpoint page")
        assert_accessible(page, "the endpoint page")

        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_text("A test event is on its way")).to_be_visible()
        sweep()
        page.reload()
        log = page.locator("table.webhook-log")
        expect(log.get_by_text("Delivered")).to_be_visible()
        fits_the_screen(page, "the endpoint page with its log")
        assert_accessible(page, "the endpoint page with its log")

        log.get_by_role("link").first.click()
        expect(page.locator("pre.webhook-payload")).to_contain_text('"type": "webhook.test"')
        fits_the_screen(page, "a delivery")
        assert_accessible(page, "a delivery")
        page.get_by_role("button", name="Resend").click()
        expect(page.get_by_text("Sent again with the same webhook-id")).to_be_visible()
        sweep()
        first, again = crm.requests
        assert first["headers"]["webhook-id"] == again["headers"]["webhook-id"]
        assert json.loads(again["body"])["type"] == "webhook.test"

        page.goto(f"{live_server}/admin/webhooks/")
        expect(page.get_by_role("link", name=crm.url)).to_be_visible()
        fits_the_screen(page, "the list of endpoints")
        assert_accessible(page, "the list of endpoints")
    finally:
        crm.close()
