"""Offline, the scanner answers a refused ticket with the server's own answer from the ticket list."""
from playwright.sync_api import expect

from eventapp.registration.models import RegistrationStatus
from tests.browser.checkin_page import (  # noqa: F401  (fixtures)
    answer, camera, camera_browser, checkins, door, open_scanner, staff_phone)
from tests.browser.fake_camera import show


def test_a_waitlisted_ticket_scanned_offline_gets_the_servers_answer(staff_phone, live_server, db, door, camera):
    event, staff, people = door
    alan = people["Alan"]
    alan.status = RegistrationStatus.WAITLISTED
    db.session.commit()
    show(camera, None)
    page = open_scanner(staff_phone, live_server, staff, event)
    expect(page.locator("body")).to_have_attribute("data-tickets-saved", "3")

    staff_phone.set_offline(True)
    expect(page.locator("#connection")).to_have_text("Offline — no scans waiting")
    show(camera, alan.ticket_secret)
    page.get_by_role("button", name="Pause camera").click()
    page.get_by_role("button", name="Start camera").click()

    expect(answer(page).locator(".answer-title")).to_have_text("On the waiting list")
    expect(answer(page).locator(".answer-message")).to_have_text("On the waiting list, no seat confirmed")
    expect(page.locator("#count-checked-in")).to_have_text("0 of 2 checked in")
    assert checkins(db, event_id=event.id) == []
