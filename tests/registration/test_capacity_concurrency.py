"""Capacity under concurrent sign-ups, through a real server, on whichever database the suite runs on (EVENTAPP_TEST_DATABASE_URL).

Every sign-up first loads the landing page in its own browser session (cookie, CSRF token, view token); then all of
them post at the same moment (a barrier), so the seat counter really is contended.
"""
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa

from eventapp.events.models import Event
from eventapp.contacts.models import Contact
from eventapp.registration.models import Registration, RegistrationStatus
from tests.conftest import hidden_fields, signup_form

TIMEOUT = 120  # seconds for one request: 50 posts queue behind 16 server threads and one database writer


def sign_up_all_at_once(live_server: str, slug: str, emails: list[str]) -> list[requests.Response]:
    """One visitor per email: each loads the page, then all submit together. Returns the POST responses."""
    barrier = threading.Barrier(len(emails), timeout=TIMEOUT)
    url = f"{live_server}/e/{slug}"

    def visitor(email: str) -> requests.Response:
        with requests.Session() as session:
            try:
                page = session.get(url, timeout=TIMEOUT)
                assert page.status_code == 200, page.status_code
                data = {**hidden_fields(page.text), **signup_form(email=email, first_name=email.split("@")[0])}
                assert {"csrf_token", "view_token"} <= data.keys(), "the landing page has no sign-up form"
            except BaseException:
                barrier.abort()  # let the others go instead of waiting for us
                raise
            barrier.wait()
            return session.post(url, data=data, allow_redirects=False, timeout=TIMEOUT)

    with ThreadPoolExecutor(max_workers=len(emails)) as pool:
        return list(pool.map(visitor, emails))


def describe(responses) -> str:
    odd = [f"{r.status_code}: {r.text[:300]!r}" for r in responses if r.status_code not in (200, 303, 409)]
    return f"statuses {Counter(r.status_code for r in responses)}; unexpected: {odd[:3]}"


def stored(db, event):
    db.session.expire_all()
    registrations = list(db.session.execute(
        sa.select(Registration).where(Registration.event_id == event.id)).scalars())
    contacts = db.session.execute(sa.select(sa.func.count()).select_from(Contact)).scalar_one()
    seats_taken = db.session.execute(sa.select(Event.seats_taken).where(Event.id == event.id)).scalar_one()
    return registrations, contacts, seats_taken


def test_fifty_sign_ups_for_ten_seats_confirm_ten_and_waitlist_the_rest(live_server, db, make_event):
    event = make_event(capacity=10, waitlist_enabled=True)
    emails = [f"person{number:02d}@example.com" for number in range(50)]

    responses = sign_up_all_at_once(live_server, event.slug, emails)

    assert all(r.status_code == 303 for r in responses), describe(responses)
    assert all("/r/" in r.headers["Location"] for r in responses)
    assert len({r.headers["Location"] for r in responses}) == 50  # each person got their own registration
    registrations, contacts, seats_taken = stored(db, event)
    assert Counter(r.status for r in registrations) == {RegistrationStatus.CONFIRMED: 10,
                                                        RegistrationStatus.WAITLISTED: 40}
    assert sorted(r.contact.email for r in registrations) == emails
    assert contacts == 50
    assert seats_taken == 10


def test_fifty_sign_ups_for_ten_seats_without_waitlist_refuse_forty(live_server, db, make_event):
    event = make_event(capacity=10, waitlist_enabled=False)
    emails = [f"person{number:02d}@example.com" for number in range(50)]

    responses = sign_up_all_at_once(live_server, event.slug, emails)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {303: 10, 409: 40}, describe(responses)
    for refused in (r for r in responses if r.status_code == 409):
        assert "This event is full" in refused.text
    registrations, contacts, seats_taken = stored(db, event)
    assert [r.status for r in registrations] == [RegistrationStatus.CONFIRMED] * 10
    accepted = {email for email, r in zip(emails, responses) if r.status_code == 303}
    assert {r.contact.email for r in registrations} == accepted
    assert contacts == 10  # a refused sign-up leaves nothing behind, not even the contact
    assert seats_taken == 10


def test_the_same_person_signing_up_twenty_times_at_once_gets_one_registration(live_server, db, make_event):
    event = make_event(capacity=10)

    responses = sign_up_all_at_once(live_server, event.slug, ["same.person@example.com"] * 20)

    assert all(r.status_code in (200, 303) for r in responses), describe(responses)
    assert sum(r.status_code == 303 for r in responses) == 1, describe(responses)
    for repeated in (r for r in responses if r.status_code == 200):
        assert "already registered" in repeated.text
    registrations, contacts, seats_taken = stored(db, event)
    assert len(registrations) == 1 and contacts == 1
    assert registrations[0].status == RegistrationStatus.CONFIRMED
    assert seats_taken == 1
