"""Sales users (issue 16, helper "handoff"): they land on their own leads, see only those, answer and close them."""
import re

import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.leads import handoffs
from eventapp.leads.models import ActivityKind, LeadStage
from eventapp.leads.models.handoff import Handoff
from tests.conftest import PASSWORD, submit
from tests.leads.handoff_helpers import a_contact, a_seller, activities_of, state_of


def log_in(client, user):
    assert submit(client, "/login", {"email": user.email, "password": PASSWORD}).status_code == 303


def handed(org, person, seller, make_user):
    handoff = handoffs.hand_off_by_organiser(person, seller.id, make_user(Role.ORGANISER, "org@acme.example").id)
    from eventapp.extensions import db
    db.session.commit()
    return handoff


def test_a_sales_user_lands_on_their_own_leads_only(client, db, org, make_user):
    sam, kim = a_seller(org), a_seller(org, "kim@acme.example", "Kim")
    mine, theirs = a_contact(org, "mine@example.com", first_name="Mina"), a_contact(org, "theirs@example.com",
                                                                                     first_name="Theo")
    handed(org, mine, sam, make_user)
    handoffs.hand_off_by_organiser(theirs, kim.id, make_user(Role.OWNER, "boss@acme.example").id)
    db.session.commit()
    log_in(client, sam)
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/sales/")
    page = client.get("/sales/").get_data(as_text=True)
    assert "Mina" in page and "Theo" not in page
    assert client.get(f"/sales/leads/{mine.id}").status_code == 200
    assert client.get(f"/sales/leads/{theirs.id}").status_code == 404
    assert client.get("/sales/leads/999999").status_code == 404
    assert client.get("/admin/handoffs/").status_code == 403
    nav = re.search(r'<nav aria-label="Back office">(.*?)</nav>', page, re.S).group(1)
    assert "My leads" in nav and "Contacts" not in nav


def test_an_organiser_cannot_open_the_sales_pages(client, db, login_as):
    login_as()
    assert client.get("/sales/").status_code == 403


def test_reassigning_takes_the_lead_from_the_first_owner(client, db, org, make_user):
    sam, kim = a_seller(org), a_seller(org, "kim@acme.example", "Kim")
    person = a_contact(org)
    handed(org, person, sam, make_user)
    handoffs.hand_off_by_organiser(person, kim.id, make_user(Role.OWNER, "boss@acme.example").id)
    db.session.commit()
    log_in(client, sam)
    assert client.get(f"/sales/leads/{person.id}").status_code == 404


def test_sales_answers_from_its_own_page_then_marks_the_deal_won(client, db, org, make_user):
    sam = a_seller(org)
    person = a_contact(org)
    handed(org, person, sam, make_user)
    log_in(client, sam)
    page = f"/sales/leads/{person.id}"
    assert submit(client, page, {"feedback": "accepted", "note": "Call booked"},
                  post_url=f"{page}/feedback").status_code == 303
    assert state_of(person.id).stage == LeadStage.ACCEPTED
    assert db.session.execute(sa.select(Handoff.feedback)).scalar_one() == "accepted"
    again = submit(client, page, {"feedback": "bad_data"}, post_url=f"{page}/feedback")
    assert again.status_code == 409
    assert len(activities_of(person.id, ActivityKind.SALES_FEEDBACK)) == 1
    assert submit(client, page, {}, post_url=f"{page}/won").status_code == 303
    state = state_of(person.id)
    assert state.stage == LeadStage.WON
    won = activities_of(person.id, ActivityKind.STAGE_CHANGED)[-1]
    assert won.actor_user_id == sam.id and won.meta["to"] == "won"
    # won is won: it cannot be marked lost afterwards
    assert submit(client, page, {}, post_url=f"{page}/lost").status_code == 409
    assert state_of(person.id).stage == LeadStage.WON


def test_the_sales_pages_refuse_a_post_without_csrf(client, db, org, make_user):
    sam = a_seller(org)
    person = a_contact(org)
    handed(org, person, sam, make_user)
    log_in(client, sam)
    assert client.post(f"/sales/leads/{person.id}/won").status_code == 400
    assert state_of(person.id).stage == LeadStage.HANDED_OFF
