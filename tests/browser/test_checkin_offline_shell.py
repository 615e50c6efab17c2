"""The scanner as an installable web app: a reload (or a start of the installed app) works with the network gone,
because the service worker kept the page, its scripts, styles and the decoder; the scans made then still upload."""
from playwright.sync_api import expect

from tests.browser.checkin_page import (  # noqa: F401  (fixtures)
    answer, camera, camera_browser, checkins, door, open_scanner, staff_phone)
from tests.browser.fake_camera import show

SHELL_KEPT = """async () => {
  const config = JSON.parse(document.getElementById("checkin-config").textContent);
  const kept = await Promise.all([location.href, ...config.service_worker.shell].map((url) => caches.match(url)));
  return navigator.serviceWorker.controller !== null && kept.every(Boolean);
}"""


def test_the_scanner_reloads_offline_and_its_scans_upload_later(staff_phone, live_server, db, door, camera):
    event, staff, people = door
    show(camera, None)
    page = open_scanner(staff_phone, live_server, staff, event)
    manifest = page.locator('link[rel="manifest"]').get_attribute("href")
    assert page.request.get(f"{live_server}{manifest}").json()["display"] == "standalone"
    expect(page.locator("body")).to_have_attribute("data-tickets-saved", "3")
    page.wait_for_function(SHELL_KEPT, polling=100, timeout=10000)

    staff_phone.set_offline(True)
    show(camera, people["Alan"].ticket_secret)
    page.reload()  # from the service worker's copy; the camera reopens and sees the ticket
    expect(page.get_by_role("heading", level=1)).to_have_text(event.title)
    expect(answer(page).locator(".answer-title")).to_have_text("Checked in")
    expect(answer(page).locator(".answer-name")).to_have_text("Alan Turing")
    expect(page.locator("#connection")).to_have_text("Offline — 1 scan waiting")
    assert checkins(db, event_id=event.id) == []

    staff_phone.set_offline(False)
    expect(page.locator("#connection")).to_have_text("Online")
    [checkin] = checkins(db, event_id=event.id)
    assert (checkin.registration_id, checkin.result, checkin.method) == (people["Alan"].id, "ok", "sync")
