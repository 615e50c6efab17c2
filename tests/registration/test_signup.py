"""Signing up through the landing page: the happy paths and what each one leaves in the database."""
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from eventapp.contacts.models import ConsentRecord, Contact
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.registration.models import Registration, RegistrationStatus
from eventapp.registration.tickets import ticket_code
from tests.conftest import hidden_fields, signup_form, submit


def registrations(db):
    db.session.expire_all()
    return list(db.session.execute(sa.select(Registration).order_by(Registration.id)).scalars())


def activity_kinds(db, contact_id=None):
    query = sa.select(LeadActivity.kind).order_by(LeadActivity.id)
    if contact_id is not None:
        query = query.where(LeadActivity.contact_id == contact_id)
    return list(db.session.execute(query).scalars())


def test_landing_page_shows_the_event_in_its_time_zone(client, make_event):
    event = make_event(agenda_md="## Morning\n\n* **Keynote** at nine", capacity=20, speakers_md="- Mei Lin")
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert event.title in page
    assert "Seminar" in page
    local_start = event.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert local_start.strftime("%-I:%M") in page  # wall-clock time in Berlin, not UTC
    assert "Europe/Berlin" in page
    assert "<strong>Keynote</strong>" in page and "Mei Lin" in page
    assert "20 seats left" in page
    assert 'href="https://www.openstreetmap.org/search?query=Alexanderplatz' in page
    # the consent box is there and never pre-ticked
    consent = re.search(r'<input[^>]*name="marketing_consent"[^>]*>', page).group(0)
    assert "checked" not in consent


HOSTILE_MARKDOWN = """## Talks

<script>alert(1)</script>
<img src=x onerror=alert(1)>
[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) [site](https://example.org/a)
![tracker](https://tracker.example/pixel.png)
<a href="https://example.org" onclick="alert(1)" style="color:red">styled</a>
"""


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("field", ["agenda_md", "speakers_md", "summary"])
def test_organiser_markdown_is_sanitised_on_the_landing_page(client, make_event, field):
    event = make_event(**{field: HOSTILE_MARKDOWN})
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    parser = _Tags()
    parser.feed(page)
    for tag, attributes in parser.tags:
        assert tag not in ("script", "img", "iframe", "object"), (tag, attributes)
        assert not [name for name in attributes if name.startswith("on") or name == "style"], (tag, attributes)
        assert not (attributes.get("href") or "").lower().startswith(("javascript:", "data:")), attributes
        assert "tracker.example" not in (attributes.get("src") or "") + (attributes.get("href") or "")
    assert "<h2>Talks</h2>" in page
    assert '<a href="https://example.org/a" rel="noopener noreferrer nofollow">site</a>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # typed markup is shown as text, never run


def test_sign_up_confirms_and_shows_ticket_and_manage_link(client, db, make_event):
    event = make_event(capacity=10)
    response = submit(client, f"/e/{event.slug}", signup_form())
    assert response.status_code == 303
    [registration] = registrations(db)
    assert response.headers["Location"].endswith(f"/r/{registration.manage_token}?new=1")
    assert "session=" not in response.headers.get("Set-Cookie", "")  # nothing to remember: the page says it
    assert registration.status == RegistrationStatus.CONFIRMED
    assert len(registration.ticket_secret) == 32
    assert len(registration.manage_token) >= 32

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your ticket is below; we look forward to seeing you." in page
    later = client.get(f"/r/{registration.manage_token}").get_data(as_text=True)  # the link in the mail
    assert "we look forward to seeing you" not in later and ticket_code(registration.ticket_secret) in later
    assert "<svg" in page and ticket_code(registration.ticket_secret) in page
    assert f"/r/{registration.manage_token}/calendar.ics" in page
    db.session.refresh(event)
    assert event.seats_taken == 1
    # the landing view, then the sign-up, what it engaged (the lead's stage) and the confirmation it queued: those
    # three are written by different features' receivers of one signal, which blinker calls in no fixed order
    [viewed, *signed_up] = activity_kinds(db)
    assert viewed == ActivityKind.PAGE_VIEWED
    assert sorted(signed_up) == sorted([ActivityKind.REGISTERED, ActivityKind.STAGE_CHANGED,
                                        ActivityKind.MESSAGE_QUEUED])


def test_marketing_consent_is_recorded_with_its_text_version(client, db, make_event):
    event = make_event()
    submit(client, f"/e/{event.slug}", signup_form(marketing_consent="y"),
           headers={"User-Agent": "pytest-agent"})
    record = db.session.execute(sa.select(ConsentRecord)).scalar_one()
    assert record.purpose == "marketing_email" and record.granted
    assert record.text_version == "marketing-email-2026-11"
    assert "Acme Events may email me" in record.text
    assert record.source == f"signup:{event.slug}"
    assert record.user_agent == "pytest-agent"
    assert record.registration_id == registrations(db)[0].id and record.confirmed_at is None
    # A ticked box proves nothing about who ticked it: no marketing until the address's owner confirms.
    contact = db.session.execute(sa.select(Contact)).scalar_one()
    assert contact.marketing_consent is False
    assert ActivityKind.CONSENT_REQUESTED in activity_kinds(db) and ActivityKind.CONSENT_GIVEN not in activity_kinds(db)


def test_without_the_box_ticked_no_consent_is_recorded(client, db, make_event):
    event = make_event()
    submit(client, f"/e/{event.slug}", signup_form())
    assert db.session.execute(sa.select(sa.func.count()).select_from(ConsentRecord)).scalar() == 0
    assert db.session.execute(sa.select(Contact.marketing_consent)).scalar_one() is False


def test_answers_to_each_question_kind_are_stored(client, db, make_event):
    event = make_event(questions=[
        {"label": "Diet", "kind": "text"},
        {"label": "Goal", "kind": "single_choice", "options": ["Leads", "Brand"], "required": True},
        {"label": "Topics", "kind": "multiple_choice", "options": ["A", "B", "C"]},
        {"label": "Demo?", "kind": "yes_no"},
    ])
    q = {question.label: question for question in event.questions}
    response = submit(client, f"/e/{event.slug}", signup_form(**{
        q["Diet"].field_name: "Vegan", q["Goal"].field_name: "Brand",
        q["Topics"].field_name: ["A", "C"], q["Demo?"].field_name: "yes"}))
    assert response.status_code == 303
    [registration] = registrations(db)
    assert registration.answers == {str(q["Diet"].id): "Vegan", str(q["Goal"].id): "Brand",
                                    str(q["Topics"].id): ["A", "C"], str(q["Demo?"].id): "yes"}


def test_same_contact_is_matched_by_normalised_email_across_events(client, db, make_event):
    first, second = make_event(), make_event()
    submit(client, f"/e/{first.slug}", signup_form(email="Ada@Example.com"))
    submit(client, f"/e/{second.slug}", signup_form(email="  ada@EXAMPLE.com ", company="New Co"))
    contacts = list(db.session.execute(sa.select(Contact)).scalars())
    assert len(contacts) == 1  # not duplicated
    # A public form proves nothing about who typed the address: the second company is the second registration's
    assert contacts[0].company == "Analytical Ltd"
    assert [r.company for r in registrations(db)] == ["Analytical Ltd", "New Co"]


def test_idn_domains_match_their_punycode_spelling(client, db, make_event):
    first, second = make_event(), make_event()
    submit(client, f"/e/{first.slug}", signup_form(email="jo@bücher.example"))
    submit(client, f"/e/{second.slug}", signup_form(email="JO@xn--bcher-kva.example"))
    assert db.session.execute(sa.select(sa.func.count()).select_from(Contact)).scalar() == 1


def test_signing_up_twice_does_not_duplicate_and_leaks_nothing(client, db, make_event):
    event = make_event()
    submit(client, f"/e/{event.slug}", signup_form())
    [registration] = registrations(db)
    other = event.app_client = None  # noqa: F841
    second = submit(client, f"/e/{event.slug}", signup_form(first_name="Mallory", company="Evil"))
    body = second.get_data(as_text=True)
    assert second.status_code == 200
    assert "already registered" in body
    assert registration.manage_token not in body and registration.ticket_secret not in body
    assert ticket_code(registration.ticket_secret) not in body
    assert "Lovelace" not in body
    [same] = registrations(db)
    assert same.id == registration.id
    assert db.session.execute(sa.select(Contact.first_name)).scalar_one() == "Ada"  # nothing overwritten
    assert ActivityKind.SIGNED_UP_AGAIN in activity_kinds(db)


def test_double_submit_of_the_same_form_lands_on_the_same_registration(client, db, make_event):
    event = make_event()
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    data = {**hidden_fields(page), **signup_form()}
    first = client.post(f"/e/{event.slug}", data=data)
    second = client.post(f"/e/{event.slug}", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(registrations(db)) == 1
    assert activity_kinds(db).count(ActivityKind.REGISTERED) == 1


def test_full_event_with_waitlist_waitlists_and_says_so(client, db, make_event):
    event = make_event(capacity=1)
    submit(client, f"/e/{event.slug}", signup_form(email="one@example.com"))
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "This event is full" in page and "waiting list" in page
    response = submit(client, f"/e/{event.slug}", signup_form(email="two@example.com"))
    assert response.status_code == 303
    statuses = [r.status for r in registrations(db)]
    assert statuses == [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "waiting list" in page and "<svg" not in page  # no ticket for the waitlist
    assert "The event is full, so you are on the waiting list. We will tell you if a seat frees up." in page
    assert ActivityKind.WAITLISTED in activity_kinds(db)


def test_full_event_without_waitlist_refuses_before_anyone_types(client, db, make_event):
    event = make_event(capacity=1, waitlist_enabled=False)
    submit(client, f"/e/{event.slug}", signup_form(email="one@example.com"))
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "This event is full, and it has no waiting list." in page
    assert 'name="email"' not in page  # no form to fill in


def test_event_needing_approval_puts_sign_ups_in_pending(client, db, make_event):
    event = make_event(approval_required=True)
    response = submit(client, f"/e/{event.slug}", signup_form())
    [registration] = registrations(db)
    assert registration.status == RegistrationStatus.PENDING
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "review each sign-up" in page and "<svg" not in page
    assert ActivityKind.PENDING_APPROVAL in activity_kinds(db)


def test_signing_up_again_after_cancelling_reactivates(client, db, make_event):
    event = make_event(capacity=1)
    response = submit(client, f"/e/{event.slug}", signup_form())
    manage = response.headers["Location"].removesuffix("?new=1")
    submit(client, manage, {}, post_url=f"{manage}/cancel")
    again = submit(client, f"/e/{event.slug}", signup_form())
    assert again.status_code == 303
    [registration] = registrations(db)
    assert registration.status == RegistrationStatus.CONFIRMED
    db.session.refresh(event)
    assert event.seats_taken == 1


def test_setting_a_limit_later_counts_the_seats_already_taken(client, db, make_event):
    from eventapp.events.operations import save_event

    event = make_event(capacity=None)
    for number in range(3):
        submit(client, f"/e/{event.slug}", signup_form(email=f"p{number}@example.com"))
    db.session.refresh(event)
    save_event(event.organisation_id, {"capacity": 3}, event)
    db.session.commit()
    assert event.seats_taken == 3 and event.is_full
    response = submit(client, f"/e/{event.slug}", signup_form(email="late@example.com"))
    assert registrations(db)[-1].status == RegistrationStatus.WAITLISTED and response.status_code == 303
