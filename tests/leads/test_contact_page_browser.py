"""The contact page in a browser, as an organiser uses it: filter the timeline, download the person's data, erase it
with the typed confirmation; the page passes axe-core's WCAG 2.1 A/AA rules before and after."""
import json

import sqlalchemy as sa
from playwright.sync_api import expect

from eventapp.contacts.models import Contact
from tests.browser.test_landing_quality import assert_accessible
from tests.conftest import PASSWORD, signup_form, submit


def test_an_organiser_filters_downloads_and_erases(browser, live_server, client, db, make_event, make_user):
    seminar, fair = make_event(), make_event(title="Trade fair")
    visitor = client.application.test_client()
    for event in (seminar, fair):
        assert submit(visitor, f"/e/{event.slug}", signup_form(email="wren@example.com", first_name="Wren",
                                                                last_name="Okonkwo")).status_code == 303
    contact = db.session.execute(sa.select(Contact)).scalar_one()
    user = make_user()
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server}/admin/contacts/{contact.id}", wait_until="networkidle")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wren Okonkwo")
    assert_accessible(page, "the contact page")

    page.get_by_label("Event", exact=True).select_option(label="Trade fair")
    page.get_by_role("button", name="Show").click()
    entries = page.locator("ol.timeline > li")
    expect(entries.first).to_be_visible()
    assert all("Trade fair" in text for text in entries.all_inner_texts())
    expect(page.get_by_label("Event", exact=True)).to_have_value(str(fair.id))

    with page.expect_download() as download:
        page.get_by_role("button", name="Download their data").click()
    document = json.loads(open(download.value.path(), encoding="utf-8").read())
    profile = next(section for section in document["sections"] if section["title"] == "Profile")
    assert profile["rows"][0]["email"] == "wren@example.com"

    page.get_by_role("link", name="Erase their data").click()
    page.get_by_label("Type their email address to confirm").fill("wren@example.org")
    page.get_by_role("button", name="Erase their data").click()
    expect(page.get_by_text("This is not their email address: nothing was erased.").first).to_be_visible()
    assert_accessible(page, "the erasure's confirmation with an error")
    page.get_by_label("Type their email address to confirm").fill("wren@example.com")
    page.get_by_role("button", name="Erase their data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erased contact")
    expect(page.get_by_text("Wren")).to_have_count(0)
    assert_accessible(page, "an erased contact's page")
    context.close()
