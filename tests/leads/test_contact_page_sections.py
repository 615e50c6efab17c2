"""The contact page's sections with seeded data: consents and suppressions, the events table, partner and channel,
and the timeline with its filters, pages and who caused each entry."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.contacts.models import ConsentRecord, Contact, Suppression, SuppressionChannel
from eventapp.core.time import utcnow
from eventapp.invitations.models import Invitation, Partner
from eventapp.leads.models import ActivityKind, Channel
from eventapp.leads.operations import record_activity
from eventapp.registration.models import Registration
from tests.conftest import signup_form, submit


@pytest.fixture
def person(client, db, make_event, org):
    """Signed up for the seminar (and came), invited to the roundtable by a partner, a no-show at the trade show."""
    seminar, roundtable, fair = make_event(), make_event(title="CFO roundtable"), make_event(title="Trade fair")
    visitor = client.application.test_client()
    for event in (seminar, fair):
        assert submit(visitor, f"/e/{event.slug}", signup_form()).status_code == 303
    contact = db.session.execute(sa.select(Contact)).scalar_one()
    came, missed = db.session.execute(sa.select(Registration).order_by(Registration.id)).scalars()
    came.checked_in_at = utcnow()
    missed.no_show_recorded = True
    partner = Partner(organisation_id=org.id, name="Berlin Marketing Association")
    db.session.add(partner)
    db.session.flush()
    db.session.add_all([
        Invitation(organisation_id=org.id, event_id=roundtable.id, contact_id=contact.id, partner_id=partner.id,
                   token="page-invitation-token", status="sent", sent_at=utcnow()),
        ConsentRecord(contact_id=contact.id, purpose="email_marketing", granted=True, text_version="v2",
                      text="Yes", source="seminar sign-up form"),
        Suppression(channel=SuppressionChannel.EMAIL, address=contact.email_key, reason="unsubscribed",
                    source="message:7"),
    ])
    contact.origin = "import:leads.csv"
    db.session.commit()
    return contact, seminar, roundtable, fair


def section(page: str, heading_id: str) -> str:
    return page[page.index(f'id="{heading_id}"'):].split("</section>")[0]


def test_the_page_shows_consents_suppressions_events_and_how_they_came(client, db, login_as, person):
    contact, seminar, roundtable, fair = person
    login_as()
    page = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    consents = section(page, "consent-h")
    assert "seminar sign-up form" in consents and "v2" in consents
    assert "<td>Unsubscribed</td>" in consents and "message:7" in consents
    events = section(page, "events-h")
    rows = {title: row for row in re.findall(r"<tr>(.*?)</tr>", events, re.S)
            for title in (seminar.title, roundtable.title, fair.title) if f">{title}<" in row}
    assert "Confirmed" in rows[seminar.title] and "Attended" in rows[seminar.title]
    assert "partner Berlin Marketing Association" in rows[roundtable.title]
    assert "Not registered" in rows[roundtable.title]
    assert "No-show" in rows[fair.title]
    came = section(page, "came-h")
    assert "import:leads.csv" in came and "Berlin Marketing Association" in came
    assert "Landing page (direct, no tracking)" in came  # the sign-up channel "web", by its name


def timeline_entries(page: str) -> list[str]:
    timeline = section(page, "tl-h")
    return re.findall(r'<li class="activity-[^"]*">(.*?)</li>', timeline, re.S)


def test_each_entry_says_who_or_what_caused_it(client, db, login_as, person, make_user):
    contact, seminar, _roundtable, _fair = person
    staff = make_user(Role.STAFF, email="door@acme.example")
    staff.name = "Dora Door"
    for kind, channel, actor in ((ActivityKind.CHECKED_IN, Channel.STAFF, staff.id),
                                 (ActivityKind.IMPORTED, Channel.IMPORT, None),
                                 (ActivityKind.SALES_FEEDBACK, Channel.SALES, None),
                                 (ActivityKind.STAGE_CHANGED, Channel.SYSTEM, None),
                                 (ActivityKind.UNSUBSCRIBED, Channel.EMAIL, None),
                                 (ActivityKind.MESSAGE_SENT, Channel.EMAIL, None)):
        record_activity(kind, organisation_id=contact.organisation_id, contact_id=contact.id, channel=channel,
                        event_id=seminar.id, actor_user_id=actor)
    db.session.commit()
    login_as()
    entries = timeline_entries(client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True))
    said = {re.search(r"<strong>(.*?)</strong>", entry).group(1): re.search(r'caused-by">by (.*?)</span>', entry)
            .group(1) for entry in entries}
    assert said["Attended (checked in)"] == "Dora Door"
    assert said["Imported from a contact list"] == "imported"
    assert said["Sales feedback"] == "sales, through the feedback link"
    assert said["Lead stage changed"] == "eventapp"
    assert said["Unsubscribed from marketing email"] == "the person, by email"
    assert said["Message sent"] == "eventapp"
    assert said["Registered"] == "the person, on the web"


def test_the_timeline_filters_by_kind_event_and_channel(client, db, login_as, person):
    contact, seminar, _roundtable, fair = person
    record_activity(ActivityKind.SALES_FEEDBACK, organisation_id=contact.organisation_id, contact_id=contact.id,
                    channel=Channel.SALES)
    db.session.commit()
    login_as()
    url = f"/admin/contacts/{contact.id}"
    everything = timeline_entries(client.get(url).get_data(as_text=True))
    registered = timeline_entries(client.get(url, query_string={"kind": "registered"}).get_data(as_text=True))
    assert len(registered) == 2 and all("<strong>Registered</strong>" in entry for entry in registered)
    at_fair = timeline_entries(client.get(url, query_string={"event": fair.id}).get_data(as_text=True))
    assert at_fair and all(fair.title in entry for entry in at_fair) and len(at_fair) < len(everything)
    by_sales = timeline_entries(client.get(url, query_string={"channel": "sales"}).get_data(as_text=True))
    assert len(by_sales) == 1 and "Sales feedback" in by_sales[0]
    both = timeline_entries(client.get(url, query_string={"kind": "registered", "event": seminar.id})
                            .get_data(as_text=True))
    assert len(both) == 1
    page = client.get(url).get_data(as_text=True)
    kinds = section(page, "tl-h").split('name="kind"')[1].split("</select>")[0]
    assert 'value="registered"' in kinds and 'value="checked_in"' not in kinds  # only what occurs for them
    assert f'<option value="{fair.id}">' in page


@pytest.mark.parametrize("args", [{"kind": "bogus"}, {"event": "abc"}, {"event": "99999999"},
                                  {"channel": "<script>alert(1)</script>"}, {"kind": "x" * 5000},
                                  {"page": "-3"}, {"page": "abc"}, {"event": "\u0661"}])
def test_bad_filter_values_are_ignored_with_a_message(client, db, login_as, person, args):
    contact, *_events = person
    login_as()
    url = f"/admin/contacts/{contact.id}"
    everything = timeline_entries(client.get(url).get_data(as_text=True))
    response = client.get(url, query_string=args)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert timeline_entries(page) == everything
    assert "<script>alert(1)</script>" not in page
    if "page" not in args:
        assert "showing every" in section(page, "tl-h")


def test_the_timeline_comes_a_hundred_at_a_time_newest_first(client, db, login_as, person):
    contact, *_events = person
    start = utcnow() - timedelta(days=30)
    for minute in range(130):
        record_activity(ActivityKind.EMAIL_OPENED, organisation_id=contact.organisation_id, contact_id=contact.id,
                        channel=Channel.EMAIL, occurred_at=start + timedelta(minutes=minute))
    db.session.commit()
    login_as()
    url = f"/admin/contacts/{contact.id}"
    first = client.get(url).get_data(as_text=True)
    entries = timeline_entries(first)
    assert len(entries) == 100
    times = re.findall(r'<time datetime="([^"]+)"', section(first, "tl-h"))
    assert times == sorted(times, reverse=True)
    assert 'rel="next"' in first
    second = timeline_entries(client.get(url, query_string={"page": 2}).get_data(as_text=True))
    total = len(timeline_entries(client.get(url, query_string={"kind": "email_opened", "page": 2})
                                 .get_data(as_text=True)))
    assert len(entries) + len(second) > 130 and total == 30
    filtered = client.get(url, query_string={"kind": "email_opened"}).get_data(as_text=True)
    assert "kind=email_opened" in re.search(r'<a rel="next" href="([^"]+)"', filtered).group(1)  # keeps the filter


def test_looking_at_the_page_writes_nothing(client, db, login_as, person):
    contact, *_events = person
    login_as()

    def rows():
        db.session.expire_all()
        return {table.name: db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in db.metadata.sorted_tables}
    before = rows()
    client.get(f"/admin/contacts/{contact.id}", query_string={"kind": "bogus"})
    client.get(f"/admin/contacts/{contact.id}/erase")
    assert rows() == before


def test_an_erased_contact_cannot_be_edited_back(client, db, login_as, person):
    contact, *_events = person
    contact.erased_at = utcnow()
    db.session.commit()
    login_as()
    response = client.get(f"/admin/contacts/{contact.id}/edit")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/contacts/{contact.id}")
