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


def lead_states(db) -> list[LeadState]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(LeadState)).scalars())


def test_a_contact_page_shows_the_default_lead_state_and_looking_writes_nothing(client, db, login_as, make_event):
    submit(client.application.test_client(), f"/e/{make_event().slug}", signup_form())
    contact = db.session.execute(sa.select(Contact)).scalar_one()
    login_as()
    page = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    assert re.search(r"<dt>Lead stage</dt><dd>New</dd>", page)
    assert re.search(r"<dt>Lead owner</dt><dd>Nobody yet</dd>", page)
    assert lead_states(db) == []  # a sign-up and a look made no row


def test_the_lead_state_row_is_made_once_with_the_defaults_when_something_changes_it(client, db, login_as,
                                                                                      make_event):
    submit(client.application.test_client(), f"/e/{make_event().slug}", signup_form())
    contact = db.session.execute(sa.select(Contact)).scalar_one()
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
    assert "<dt>Lead stage</dt><dd>Marketing qualified (MQL)</dd>" in page
    assert f"<dt>Lead owner</dt><dd>{owner.name or owner.email}</dd>" in page

