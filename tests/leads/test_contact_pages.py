"""The organiser's contact pages: the list, and one contact's lead state, registrations and timeline."""
import re

import sqlalchemy as sa

from eventapp.contacts.models import Contact
from eventapp.leads.models import LeadStage, LeadState
from eventapp.leads.operations import lead_state_for_update
from tests.conftest import signup_form, submit


def test_organiser_sees_registrations_and_a_contact_timeline(client, db, login_as, make_event):
    event = make_event()
    visitor = client.application.test_client()
    submit(visitor, f"/e/{event.slug}", signup_form(email="grace@example.com", first_name="Grace"))
    login_as()
    detail = client.get(f"/admin/events/{event.id}").get_data(as_text=True)
    assert "Grace Lovelace" in detail and "grace@example.com" in detail
    contacts = client.get("/admin/contacts/?q=grace").get_data(as_text=True)
    assert "Grace Lovelace" in contacts
    contact_id = int(re.search(r'href="/admin/contacts/(\d+)"', contacts).group(1))
    timeline = client.get(f"/admin/contacts/{contact_id}").get_data(as_text=True)
    assert "Registered" in timeline and "Viewed the landing page" in timeline


# The stage and owner lines: the handoff part's panel where it exists, else the contact page's own lines.
STAGE = r"<dt>(?:Lead stage|Stage)</dt><dd>{}</dd>"
OWNER = r"<dt>(?:Lead owner|Sales owner)</dt><dd>{}</dd>"


def bare_contact(db, org) -> Contact:
    """A contact nothing happened to yet (a sign-up is an activity, which may move the stage on)."""
    contact = Contact(organisation_id=org.id, email="ada@example.com", email_key="ada@example.com")
    db.session.add(contact)
    db.session.commit()
    return contact


def lead_states(db) -> list[LeadState]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(LeadState)).scalars())


def test_a_contact_page_shows_the_default_lead_state_and_looking_writes_nothing(client, db, login_as, org):
    contact = bare_contact(db, org)
    login_as()
    page = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    assert re.search(STAGE.format("New"), page)
    assert re.search(OWNER.format("Nobody yet"), page)
    assert lead_states(db) == []  # a look made no row


def test_the_lead_state_row_is_made_once_with_the_defaults_when_something_changes_it(client, db, login_as, org):
    contact = bare_contact(db, org)
    state = lead_state_for_update(contact.id)
    assert (state.contact_id, state.stage, state.owner_user_id) == (contact.id, LeadStage.NEW, None)
    owner = login_as()
    state.stage, state.owner_user_id = LeadStage.MQL, owner.id
    db.session.commit()
    assert lead_state_for_update(contact.id) is state  # the second time finds the row
    db.session.commit()
    [stored] = lead_states(db)
    assert (stored.stage, stored.owner_user_id) == ("mql", owner.id)
    page = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    assert re.search(STAGE.format(re.escape("Marketing qualified (MQL)")), page)
    assert re.search(OWNER.format(re.escape(owner.name or owner.email)), page)

