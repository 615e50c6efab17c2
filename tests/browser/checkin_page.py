"""What the check-in browser tests share: a browser whose fake camera plays a file the test writes, a staff
member at an event's door with three ticket holders, logging in and opening the scanner, reading the log."""
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from eventapp.accounts.models import Role
from eventapp.checkin.models import CheckIn, EventStaff
from eventapp.contacts.normalisation import normalise_email
from eventapp.registration.operations import Signup, register
from tests.browser.fake_camera import camera_args, show
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD


@pytest.fixture(scope="module")
def camera(tmp_path_factory) -> Path:
    """The file the fake camera plays; each test decides what it shows."""
    return show(tmp_path_factory.mktemp("camera") / "camera.y4m", None)


@pytest.fixture(scope="module")
def camera_browser(playwright_instance, camera):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *camera_args(camera)])
    yield browser
    browser.close()


@pytest.fixture
def staff_phone(camera_browser, playwright_instance):
    context = camera_browser.new_context(permissions=["camera"], **playwright_instance.devices["Pixel 7"])
    errors = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    yield context
    context.close()
    assert errors == [], f"uncaught errors in the page's scripts: {errors}"


@pytest.fixture
def door(db, make_event, make_user):
    """An event, a staff member given its door, and three people with tickets."""
    event = make_event(title="Pipeline breakfast")
    staff = make_user(Role.STAFF)
    db.session.add(EventStaff(event_id=event.id, user_id=staff.id))
    db.session.commit()
    people = {}
    for first, last in (("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing")):
        signup = Signup(email=normalise_email(f"{first.lower()}@example.com"),
                        details={"first_name": first, "last_name": last, "company": "Analytical Ltd",
                                 "job_title": "CTO", "phone": ""})
        people[first] = register(event, signup).registration
        db.session.commit()
    return event, staff, people


def open_scanner(context, live_server, staff, event, clock: str | None = None):
    """Log in as staff and open the event's scanner; clock: the time this phone's clock shows (fixed)."""
    page = context.new_page()
    if clock:
        page.clock.set_fixed_time(clock)
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(f"{live_server}/login")
    page.goto(f"{live_server}/checkin/{event.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(event.title)
    return page


def answer(page):
    return page.locator("#answer")


def checkins(db, **where) -> list[CheckIn]:
    db.session.expire_all()
    query = sa.select(CheckIn).filter_by(**where).order_by(CheckIn.id)
    return list(db.session.execute(query).scalars())
