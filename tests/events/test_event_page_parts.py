"""The event's back-office pages are put together from the parts the features above contribute through signals
(events imports none of them): registration's sign-ups and approvals, the door's scanner, staff and downloads."""
import re

from eventapp import signals
from eventapp.accounts.models import Role
from eventapp.contacts.normalisation import normalise_email
from eventapp.registration import operations as registrations
from eventapp.registration.operations import Signup


def sign_up(event, email):
    registration = registrations.register(event, Signup(email=normalise_email(email), details={
        "first_name": email.split("@")[0].title(), "last_name": "Test", "company": "Acme", "job_title": "CTO",
        "phone": ""})).registration
    return registration


def test_the_list_of_events_has_registrations_column_of_sign_ups(client, db, login_as, make_event):
    login_as(Role.ORGANISER)
    limited, open_ended = make_event(capacity=5), make_event(slug="open-ended", title="Open ended", capacity=None)
    sign_up(limited, "ada@example.com")
    registrations.cancel(sign_up(limited, "grace@example.com"))
    sign_up(open_ended, "alan@example.com")
    db.session.commit()
    page = client.get("/admin/").get_data(as_text=True)
    assert '<th scope="col">Sign-ups</th>' in page
    cells = re.findall(r"<td>([^<]*)</td>\s*</tr>", page)
    assert sorted(cells) == ["1", "1 / 5"]  # the cancelled sign-up does not count


def test_the_event_page_holds_each_features_part_in_order(client, db, login_as, make_event):
    login_as(Role.ORGANISER)
    event = make_event(capacity=5)
    sign_up(event, "ada@example.com")
    db.session.commit()
    page = client.get(f"/admin/events/{event.id}").get_data(as_text=True)
    order = [page.index(text) for text in (
        "Landing page:",  # registration's summary
        "attendance (CSV)",  # the door's downloads
        "Edit event",  # events' own buttons
        "Messages and reminders",  # registration's button
        "Check-in at the door",  # the door's section
        "Questions on the sign-up form",  # events' own section
        "Registrations (1)",  # registration's section
    )]
    assert order == sorted(order)
    assert f'action="/admin/events/{event.id}/staff"' in page and "ada@example.com" in page


def test_a_part_a_subscriber_answers_with_is_on_the_page_only_while_it_answers(client, db, login_as, make_event):
    login_as(Role.ORGANISER)
    event = make_event()

    def extra(page, **_):
        return signals.PageSection(5, "events/_questions.html", slot="summary") if page.event_id == event.id else None

    signals.event_page_sections.connect(extra)
    try:
        page = client.get(f"/admin/events/{event.id}").get_data(as_text=True)
    finally:
        signals.event_page_sections.disconnect(extra)
    assert page.count("Questions on the sign-up form") == 2  # the extra part came in, as a subscriber's answer
    assert client.get(f"/admin/events/{event.id}").get_data(as_text=True).count("Questions on the sign-up form") == 1
