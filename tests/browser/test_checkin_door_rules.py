"""The scanner page shows the door's refusals in words: an undo of someone else's check-in, and a staff member taken
off the door while the page is open (who then also stops keeping the event's ticket list on the phone)."""
from playwright.sync_api import expect

from eventapp.accounts.models import Role
from eventapp.checkin.models import EventStaff
from eventapp.checkin.staffing import remove_staff
from eventapp.registration.models import Registration
from tests.browser.checkin_page import (  # noqa: F401  (fixtures)
    answer, camera, camera_browser, checkins, door, open_scanner, staff_phone)
from tests.checkin.test_redeem import Door
from tests.conftest import PASSWORD, submit


def test_an_undo_of_a_check_in_made_by_another_staff_member_is_refused_in_words(
        app, staff_phone, live_server, db, door):
    event, staff, people = door
    ada = people["Ada"]
    bob = app.test_client()
    colleague = _colleague(db, event)
    assert submit(bob, "/login", {"email": colleague.email, "password": PASSWORD}).status_code == 303
    assert Door(bob, event, device="Door 1").scan(ada.ticket_secret).get_json()["status"] == "ok"

    page = open_scanner(staff_phone, live_server, staff, event)
    page.get_by_text("This phone", exact=True).click()
    page.get_by_label("Device name").fill("Door 1")  # the same name as the colleague's phone: still not theirs
    page.get_by_label("Device name").press("Tab")
    page.get_by_role("button", name="Undo last check-in").click()
    dialog = page.get_by_role("dialog", name="Undo this phone's last check-in?")
    dialog.get_by_label("Reason").fill("Wrong person")
    dialog.get_by_role("button", name="Undo check-in").click()
    expect(answer(page).locator(".answer-title")).to_have_text("Not undone")
    expect(answer(page).locator(".answer-message")).to_have_text(
        "This check-in was made on another phone or by another staff member: only they, or an organiser, can take "
        "it back. Nothing was changed.")
    db.session.expire_all()
    assert db.session.get(Registration, ada.id).checked_in_at is not None
    assert [c.result for c in checkins(db, registration_id=ada.id)] == ["ok"]


def test_a_staff_member_taken_off_the_door_is_told_on_the_open_scanner(staff_phone, live_server, db, door):
    event, staff, _people = door
    page = open_scanner(staff_phone, live_server, staff, event)
    expect(page.locator("#ticket-list")).to_contain_text("3")  # the phone keeps the event's ticket list
    remove_staff(event, staff.id)

    page.get_by_label("Name, company, email or phone").fill("hopp")
    expect(page.locator("#notice")).to_have_text(
        "You are not on this event's door: an organiser has to add you on the event's page before you can scan, "
        "search or undo here.")
    expect(page.locator("#ticket-list")).not_to_contain_text("3")  # and no longer does
    expect(page.locator("#search-results li")).to_have_count(0)


def _colleague(db, event):
    from eventapp.accounts.operations import create_user

    from eventapp.accounts.models import Organisation

    user = create_user("bob@acme.example", PASSWORD, Role.STAFF, db.session.get(Organisation, event.organisation_id))
    db.session.flush()
    db.session.add(EventStaff(event_id=event.id, user_id=user.id))
    db.session.commit()
    return user
