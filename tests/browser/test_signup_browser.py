"""Signing up on a phone, in a real browser: the form, the ticket's QR code and the calendar entry."""
import io
from pathlib import Path

import pytest
import zxingcpp
from icalendar import Calendar
from PIL import Image
import sqlalchemy as sa
from playwright.sync_api import expect

from eventapp.contacts.models import ConsentRecord
from tests.browser.signup_page import contact_count, event_with_questions, fill_signup, registrations, submit_signup


@pytest.fixture
def phone_without_js(browser, playwright_instance):
    context = browser.new_context(java_script_enabled=False, accept_downloads=True,
                                  **playwright_instance.devices["Pixel 7"])
    yield context
    context.close()


def decode_qr(element) -> list[str]:
    """What a scanner reads from the code as it is drawn on screen."""
    image = Image.open(io.BytesIO(element.screenshot()))
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def download_calendar(page) -> Calendar:
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".ics")
    return Calendar.from_ical(Path(download.path()).read_bytes())


def zones_used(calendar: Calendar) -> set[str]:
    used = set()
    for component in calendar.walk():
        for value in component.values():
            for item in value if isinstance(value, list) else [value]:
                params = getattr(item, "params", {})
                if "TZID" in params:
                    used.add(str(params["TZID"]))
    return used


def check_calendar(calendar: Calendar, event) -> str:
    [entry] = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == event.title
    start = entry["DTSTART"]
    assert start.params.get("TZID") == "Europe/Berlin", entry.to_ical().decode()
    assert start.dt == event.starts_at  # the same instant, written in the event's own zone
    assert start.dt.utcoffset() == event.starts_at.astimezone(start.dt.tzinfo).utcoffset()
    assert entry["DTEND"].dt == event.ends_at
    assert entry.walk("VALARM"), "the calendar entry has no reminder"
    defined = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    used = zones_used(calendar)
    assert used and used <= defined, f"TZIDs without a VTIMEZONE: {used - defined}"
    return str(entry["UID"])


def sign_up_and_check_ticket(context, live_server, db, event):
    page = context.new_page()
    page.goto(f"{live_server}/e/{event.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(event.title)
    fill_signup(page)
    submit_signup(page)

    expect(page.get_by_role("status")).to_contain_text("Your ticket is below")
    [registration] = registrations(db)
    assert registration.status == "confirmed"
    assert page.url == f"{live_server}/r/{registration.manage_token}?new=1"
    expect(page.locator(".ticket .status")).to_have_text("Confirmed")
    # every answer typed into the form arrived
    questions = {question.label: question for question in event.questions}
    assert registration.answers == {str(questions["What brings you here?"].id): "Brand",
                                    str(questions["Would you like a product demo?"].id): "yes"}
    assert registration.contact.phone == "+4930901820"
    # the ticked box is recorded, and counts once the address's owner confirms it by email
    [consent] = db.session.execute(sa.select(ConsentRecord)).scalars()
    assert consent.contact_id == registration.contact_id and consent.confirmed_at is None
    assert registration.contact.marketing_consent is False

    qr = page.locator(".qr-code")
    expect(qr).to_be_visible()
    assert decode_qr(qr) == [registration.ticket_secret]

    first = check_calendar(download_calendar(page), event)
    second = check_calendar(download_calendar(page), event)
    assert first == second, "a second download must update the same calendar entry, not add another"
    return page


def test_sign_up_on_a_phone_gives_a_scannable_ticket_and_calendar_entry(phone, live_server, db, make_event):
    event = event_with_questions(make_event, capacity=5)
    sign_up_and_check_ticket(phone, live_server, db, event)


def test_sign_up_works_without_javascript(phone_without_js, live_server, db, make_event):
    event = event_with_questions(make_event)
    sign_up_and_check_ticket(phone_without_js, live_server, db, event)


def test_an_invalid_email_is_explained_next_to_the_field_and_nothing_is_stored(phone, live_server, db, make_event):
    event = event_with_questions(make_event)
    page = phone.new_page()
    page.goto(f"{live_server}/e/{event.slug}")
    fill_signup(page, email="ada@example")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        submit_signup(page)
    assert posted.value.status == 422

    email = page.get_by_label("Work email")
    message = "Enter an email address like name@company.com."
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(message)
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.locator(".field.has-error .error")).to_have_text(message)
    expect(page.get_by_role("alert")).to_contain_text("Work email")
    # what was typed is still there, so only the email needs fixing
    expect(email).to_have_value("ada@example")
    expect(page.get_by_label("First name")).to_have_value("Ada")
    expect(page.get_by_role("group", name="What brings you here?").get_by_label("Brand", exact=True)).to_be_checked()

    assert registrations(db) == []
    assert contact_count(db) == 0
