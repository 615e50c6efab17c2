"""Staff at the door with a phone: Chromium's fake camera shows a real ticket's QR code to the scanner page.

The camera plays a .y4m file made at test time (tests/browser/fake_camera.py). Changing what it shows takes a
reopening of the camera: a reload, or the page's own Pause camera / Start camera buttons.
"""
import hashlib

import sqlalchemy as sa
from playwright.sync_api import expect

from eventapp.core.time import utcnow
from eventapp.registration.models import Registration
from tests.browser.checkin_page import (  # noqa: F401  (fixtures)
    answer, camera, camera_browser, checkins, door, open_scanner, staff_phone)
from tests.browser.fake_camera import show
from tests.browser.test_landing_quality import assert_accessible

# What the scanner does, counted from the page's start: the camera frames it reads (each is decoded, and a code in
# view reaches the page's scan handler before the next frame is read) and the nonces it takes (every scan, tap or
# walk-in takes one as it starts). "Nothing more happens" is checked after the frames that would have made it happen.
WATCH_SCANNER = """
window.scanner = { frames: 0, nonces: 0 };
const drawImage = CanvasRenderingContext2D.prototype.drawImage;
CanvasRenderingContext2D.prototype.drawImage = function (source, ...rest) {
  if (source instanceof HTMLVideoElement) window.scanner.frames += 1;
  return drawImage.call(this, source, ...rest);
};
const randomUUID = crypto.randomUUID?.bind(crypto);  // secure contexts only: the scanner's page is one
if (randomUUID) crypto.randomUUID = () => { window.scanner.nonces += 1; return randomUUID(); };
"""


def nonces_after_more_frames(page, frames: int = 5) -> tuple[int, int]:
    """(nonces taken before, nonces taken after) the scanner read `frames` more frames from the camera; the first
    of them may have been read before we looked, so at least frames - 1 were decoded whole after it."""
    before = page.evaluate("[window.scanner.frames, window.scanner.nonces]")
    page.wait_for_function("n => window.scanner.frames >= n", arg=before[0] + frames)
    return before[1], page.evaluate("window.scanner.nonces")


def queued_on_the_phone(page, event_id: int) -> int:
    """The scans this phone keeps for upload, read from its own store."""
    return page.evaluate("async id => (await import('/static/js/checkin-offline.js')).countQueued(id)", event_id)


def test_a_scanned_ticket_checks_the_person_in_once_and_a_second_scan_says_already_checked_in(
        staff_phone, live_server, db, door, camera):
    event, staff, people = door
    ada = people["Ada"]
    show(camera, ada.ticket_secret)
    staff_phone.add_init_script(WATCH_SCANNER)
    page = open_scanner(staff_phone, live_server, staff, event)

    expect(answer(page)).to_be_visible()
    expect(answer(page)).to_have_class("answer answer-ok")
    expect(answer(page).locator(".answer-title")).to_have_text("Checked in")
    expect(answer(page).locator(".answer-name")).to_have_text("Ada Lovelace")
    expect(answer(page).locator(".answer-company")).to_have_text("CTO, Analytical Ltd")
    expect(page.locator("#count-checked-in")).to_have_text("1 of 3 checked in")

    registration = db.session.get(Registration, ada.id)
    db.session.refresh(registration)
    assert registration.checked_in_at is not None
    assert registration.checked_in_by_id == staff.id
    [checkin] = checkins(db, registration_id=ada.id)
    assert (checkin.result, checkin.method, checkin.direction) == ("ok", "scan", "in")
    assert checkin.device_id == registration.checked_in_device and checkin.device_id.startswith("phone-")

    # the code stays in front of the camera: the answer goes away by itself and nothing is counted twice
    expect(answer(page)).to_be_hidden(timeout=4000)
    before, after = nonces_after_more_frames(page)  # the code in view is decoded again and again
    assert after == before  # and starts no second scan
    assert len(checkins(db, registration_id=ada.id)) == 1
    expect(page.locator("#recent-list li")).to_have_count(1)

    page.reload()  # a fresh page has no memory of the code: the server remembers
    expect(answer(page)).to_be_visible()
    expect(answer(page)).to_have_class("answer answer-warn")
    expect(answer(page).locator(".answer-title")).to_have_text("Already checked in")
    expect(answer(page).locator(".answer-name")).to_have_text("Ada Lovelace")
    expect(answer(page).locator(".answer-when")).to_contain_text("this phone")
    answer(page).click()  # a tap dismisses it at once
    expect(answer(page)).to_be_hidden()
    assert [c.result for c in checkins(db, registration_id=ada.id)] == ["ok", "already_checked_in"]


def test_an_unknown_code_gets_the_red_answer_and_is_logged(staff_phone, live_server, db, door, camera):
    event, staff, _people = door
    forged = "abcdefghjkmnpqrstuvwxyz23456789a"
    show(camera, forged)
    page = open_scanner(staff_phone, live_server, staff, event)

    expect(answer(page)).to_be_visible()
    expect(answer(page)).to_have_class("answer answer-bad")
    expect(answer(page).locator(".answer-title")).to_have_text("Unknown ticket")
    expect(answer(page).locator(".answer-message")).not_to_be_empty()
    [checkin] = checkins(db, event_id=event.id)
    assert checkin.result == "invalid" and checkin.registration_id is None
    assert checkin.secret_hash == hashlib.sha256(forged.encode()).hexdigest()


def test_scans_made_offline_are_validated_on_the_phone_queued_and_uploaded_once(
        staff_phone, live_server, db, door, camera):
    event, staff, people = door
    grace = people["Grace"]
    show(camera, None)  # nothing in front of the camera yet
    staff_phone.add_init_script(WATCH_SCANNER)
    page = open_scanner(staff_phone, live_server, staff, event)
    # online first: the phone keeps the ticket list for when the network is gone
    expect(page.locator("body")).to_have_attribute("data-tickets-saved", "3")
    expect(page.locator("#count-checked-in")).to_have_text("0 of 3 checked in")

    staff_phone.set_offline(True)
    expect(page.locator("#connection")).to_have_text("Offline — no scans waiting")
    nonces = page.evaluate("window.scanner.nonces")
    show(camera, grace.ticket_secret)
    page.get_by_role("button", name="Pause camera").click()
    page.get_by_role("button", name="Start camera").click()  # the camera reopens and sees the new code

    expect(answer(page)).to_be_visible()
    expect(answer(page)).to_have_class("answer answer-ok")
    expect(answer(page).locator(".answer-name")).to_have_text("Grace Hopper")
    expect(answer(page).locator(".answer-offline")).to_have_text(
        "Offline: saved on this phone, uploaded when the connection is back.")
    expect(page.locator("#connection")).to_have_text("Offline — 1 scan waiting")
    expect(page.locator("#count-checked-in")).to_have_text("1 of 3 checked in")
    assert page.evaluate("window.scanner.nonces") > nonces  # the count sees a scan start
    before, after = nonces_after_more_frames(page)  # the code is still in view: it stays one scan
    assert after == before and queued_on_the_phone(page, event.id) == 1
    expect(page.locator("#connection")).to_have_text("Offline — 1 scan waiting")
    assert checkins(db, event_id=event.id) == []

    staff_phone.set_offline(False)
    expect(page.locator("#connection")).to_have_text("Online")
    expect(page.locator("#sync-report")).to_contain_text("1 scan made offline is uploaded.")
    [checkin] = checkins(db, event_id=event.id)
    assert (checkin.registration_id, checkin.result, checkin.method) == (grace.id, "ok", "sync")
    registration = db.session.get(Registration, grace.id)
    db.session.refresh(registration)
    assert registration.checked_in_at is not None
    assert registration.checked_in_at <= checkin.received_at  # the phone's scan time, not the upload time

    # the upload is done with: nothing is left on the phone to go up again, and the scanner keeps working online
    assert queued_on_the_phone(page, event.id) == 0
    assert len(checkins(db, event_id=event.id)) == 1
    page.reload()
    expect(answer(page).locator(".answer-title")).to_have_text("Already checked in")
    assert [c.result for c in checkins(db, event_id=event.id)] == ["ok", "already_checked_in"]


def test_search_and_tap_undo_with_a_reason_and_a_walk_in(staff_phone, live_server, db, door, camera):
    event, staff, people = door
    grace = people["Grace"]
    show(camera, None)
    page = open_scanner(staff_phone, live_server, staff, event)

    page.get_by_label("Name, company, email or phone").fill("hopp")
    page.get_by_role("button", name="Check in: Grace Hopper").click()
    expect(answer(page).locator(".answer-title")).to_have_text("Checked in")
    expect(answer(page).locator(".answer-name")).to_have_text("Grace Hopper")
    answer(page).click()
    expect(page.locator("#search-results li")).to_contain_text("Checked in")  # the list follows
    [tap] = checkins(db, registration_id=grace.id)
    assert (tap.result, tap.method) == ("ok", "search")

    page.get_by_role("button", name="Undo last check-in").click()
    dialog = page.get_by_role("dialog", name="Undo this phone's last check-in?")
    dialog.get_by_role("button", name="Undo check-in").click()
    expect(dialog.get_by_label("Reason")).to_have_accessible_description("Say why the check-in is taken back.")
    dialog.get_by_label("Reason").fill("Tapped the wrong Grace")
    dialog.get_by_role("button", name="Undo check-in").click()
    expect(dialog).to_be_hidden()
    expect(answer(page).locator(".answer-title")).to_have_text("Check-in undone")
    expect(answer(page).locator(".answer-name")).to_have_text("Grace Hopper")
    answer(page).click()
    undo = checkins(db, registration_id=grace.id)[-1]
    assert (undo.result, undo.reason) == ("undone", "Tapped the wrong Grace")
    assert db.session.get(Registration, grace.id).checked_in_at is None

    page.get_by_text("Register a walk-in").click()
    walk_in = page.locator("#walk-in-form")
    walk_in.get_by_label("First name").fill("Katherine")
    walk_in.get_by_role("button", name="Register and check in").click()
    expect(walk_in.get_by_label("Last name")).to_have_attribute("aria-invalid", "true")
    expect(walk_in.get_by_role("alert")).to_have_text("Check the highlighted fields.")
    walk_in.get_by_label("Last name").fill("Johnson")
    walk_in.get_by_label("Email").fill("katherine@example.com")
    walk_in.get_by_label("Company").fill("NACA")
    walk_in.get_by_label("Job title").fill("Mathematician")
    walk_in.get_by_role("button", name="Register and check in").click()
    expect(answer(page).locator(".answer-title")).to_have_text("Checked in")
    expect(answer(page).locator(".answer-name")).to_have_text("Katherine Johnson")
    expect(page.locator("#count-checked-in")).to_have_text("1 of 4 checked in")
    expect(page.locator("#count-walk-ins")).to_have_text("1 walk-in")
    db.session.expire_all()
    [walked_in] = db.session.execute(sa.select(Registration).where(Registration.walk_in.is_(True))).scalars()
    assert walked_in.contact.email == "katherine@example.com" and walked_in.checked_in_at is not None


def test_the_scanner_page_loads_only_from_its_own_origin_within_the_csp_and_is_accessible(
        staff_phone, live_server, db, door, camera):
    event, staff, people = door
    show(camera, people["Alan"].ticket_secret)
    console, requests = [], []
    staff_phone.on("console", lambda message: console.append(message.text))
    staff_phone.on("request", lambda request: requests.append(request.url))
    page = open_scanner(staff_phone, live_server, staff, event)
    expect(answer(page)).to_be_visible()
    assert_accessible(page, "scanner with an answer")
    # the answer goes by itself after two seconds, which the check above may take on a busy machine: wait for that
    # instead of tapping it (the first test taps one)
    expect(answer(page)).to_be_hidden(timeout=10000)
    expect(page.locator("body")).to_have_attribute("data-tickets-saved", "3")
    assert_accessible(page, "scanner")

    assert [url for url in requests if not url.startswith(f"{live_server}/")] == []
    assert f"{live_server}/static/vendor/qr-scanner/qr-scanner.min.js" in requests
    assert [text for text in console if "Content Security Policy" in text or "Refused" in text] == []


def test_the_counts_follow_the_other_phones_within_seconds_and_this_phones_scans_at_once(
        staff_phone, live_server, db, door, camera):
    """Scans do not carry the counts: this phone counts its own check-ins, the poll brings everyone else's."""
    from datetime import datetime, timezone

    from eventapp.checkin.operations import Scan, redeem

    event, staff, people = door
    show(camera, None)
    page = open_scanner(staff_phone, live_server, staff, event)
    expect(page.locator("#count-checked-in")).to_have_text("0 of 3 checked in")

    redeem(event, Scan(nonce="other-phone-1", device_id="door-2", scanned_at=datetime.now(timezone.utc),
                       secret=people["Ada"].ticket_secret), staff)  # at another door
    expect(page.locator("#count-checked-in")).to_have_text("1 of 3 checked in", timeout=8000)

    show(camera, people["Grace"].ticket_secret)
    page.get_by_role("button", name="Pause camera").click()
    page.get_by_role("button", name="Start camera").click()
    expect(answer(page).locator(".answer-title")).to_have_text("Checked in")
    expect(page.locator("#count-checked-in")).to_have_text("2 of 3 checked in", timeout=1000)  # not the poll


def test_a_phone_with_a_wrong_clock_is_told_and_the_scan_keeps_the_time_it_arrived(
        staff_phone, live_server, db, door, camera):
    event, staff, people = door
    ada = people["Ada"]
    show(camera, ada.ticket_secret)
    page = open_scanner(staff_phone, live_server, staff, event, clock="2001-01-01T09:00:00Z")  # it thinks it is 2001

    expect(answer(page)).to_have_class("answer answer-ok")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice")).to_contain_text("This phone's clock looks wrong")
    registration = db.session.get(Registration, ada.id)
    db.session.refresh(registration)
    assert registration.checked_in_at.year == utcnow().year  # when the scan arrived, not 2001
