"""The partner portal's boundaries: a partner login sees its own partner's figures (clicks, sign-ups, attended) and
links, never another partner's or another organisation's (guessed ids and codes in the URL are 404), never personal
data unless the organiser shares it, and never the back office; it mails itself its invitation to forward, once."""
import re

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.accounts.operations import create_user
from eventapp.extensions import db as _db
from eventapp.invitations.models import Invitation, InvitationSend, PartnerLink
from eventapp.messaging.models import Message, MessageKind
from tests.conftest import PASSWORD, hidden_fields, submit
from tests.invitations.partner_helpers import (check_in, make_link, make_partner, partner_login, rival_event,
                                              sign_up_through)


@pytest.fixture
def world(app, client, db, org, login_as, make_event):
    """Two partners of the organisation with links to one event and people they brought (some came), a draft
    event, and a third partner of another organisation."""
    login_as(Role.ORGANISER)
    event, draft = make_event(title="Fintech roundtable"), make_event(status="draft")
    ours, theirs = make_partner(org.id, "Alumni Club"), make_partner(org.id, "Reseller Co")
    our_link = make_link(org.id, f"event:{event.id}", partner=ours)
    their_link = make_link(org.id, f"event:{event.id}", partner=theirs)
    ada = sign_up_through(app, our_link.code, event.slug, "ada@example.com", first_name="Ada",
                          last_name="Lovelace", company="Analytical Ltd", job_title="CTO")
    sign_up_through(app, our_link.code, event.slug, "alan@example.com", first_name="Alan", last_name="Turing",
                    company="Bletchley", job_title="Cryptanalyst")
    for number in range(3):
        sign_up_through(app, their_link.code, event.slug, f"grace{number}@example.com", first_name="Grace",
                        last_name=f"Hopper{number}", company="Navy Systems", job_title="Admiral")
    check_in(client, event, ada)
    theirs = rival_event(event)
    rival_partner = make_partner(theirs.organisation_id, "Alumni Club")
    rival_link = make_link(theirs.organisation_id, f"event:{theirs.id}", partner=rival_partner)
    portal = partner_login(app, ours, "office@alumni.example")
    return {"event": event, "draft": draft, "ours": ours, "theirs": theirs, "our_link": our_link,
            "their_link": their_link, "rival_event": theirs, "rival_link": rival_link, "portal": portal}


def figure(text: str, name: str) -> int:
    return int(re.search(rf'<dd id="{name}">(\d+)</dd>', text).group(1))


def test_the_portal_shows_the_partners_own_figures_only(world):
    portal, event = world["portal"], world["event"]
    index = portal.get("/partner/")
    assert index.status_code == 200
    assert "Fintech roundtable" in index.get_data(as_text=True)
    page = portal.get(f"/partner/events/{event.id}").get_data(as_text=True)
    assert (figure(page, "clicks"), figure(page, "sign-ups"), figure(page, "attended")) == (2, 2, 1)
    # its own link and poster, never the other partner's
    assert world["our_link"].code in page and world["their_link"].code not in page
    assert "Reseller Co" not in page and "Rival" not in page


def test_personal_data_shows_only_when_the_organiser_shares_it(world, db):
    portal, event = world["portal"], world["event"]
    page = portal.get(f"/partner/events/{event.id}").get_data(as_text=True)
    for personal in ("Ada", "Lovelace", "Analytical", "ada@example.com", "Turing", "Hopper"):
        assert personal not in page
    assert "share counts with you, not who signed up" in page
    world["ours"].shares_personal_data = True
    db.session.commit()
    page = portal.get(f"/partner/events/{event.id}").get_data(as_text=True)
    for shared in ("Ada", "Lovelace", "Analytical Ltd", "CTO", "Alan", "Turing", "Bletchley"):
        assert shared in page
    for kept_back in ("ada@example.com", "alan@example.com", "Hopper", "Navy Systems"):  # no addresses; not theirs
        assert kept_back not in page


def test_guessed_urls_of_other_partners_and_organisations_are_not_found(world):
    portal = world["portal"]
    for url in (f"/partner/links/{world['their_link'].id}/qr.png",  # the other partner's link
                f"/partner/links/{world['rival_link'].id}/qr.svg",  # another organisation's
                "/partner/links/999999/qr.png",
                f"/partner/events/{world['rival_event'].id}",  # another organisation's event
                f"/partner/events/{world['draft'].id}",  # not published: not there yet
                "/partner/events/2147483648"):
        assert portal.get(url).status_code == 404, url
    own = portal.get(f"/partner/links/{world['our_link'].id}/qr.png")
    assert own.status_code == 200 and own.mimetype == "image/png"


def test_a_partner_login_cannot_use_the_back_office(world):
    portal = world["portal"]
    for url in ("/admin/", "/admin/partners/", f"/admin/partners/{world['ours'].id}",
                f"/admin/events/{world['event'].id}/channels", f"/admin/links/{world['our_link'].id}/qr.png"):
        assert portal.get(url).status_code == 403, url


def test_the_portal_is_for_partner_logins_only(app, world, client):
    assert client.get("/partner/").status_code == 403  # the organiser signed in by the world
    anonymous = app.test_client().get("/partner/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_partner_role_without_a_partner_is_refused(app, db, org):
    create_user("lonely@partner.example", PASSWORD, Role.PARTNER, org)
    db.session.commit()
    lonely = app.test_client()
    assert submit(lonely, "/login", {"email": "lonely@partner.example", "password": PASSWORD}).status_code == 303
    assert lonely.get("/partner/").status_code == 403


def test_the_partner_mails_itself_its_invitation_once(world, db):
    portal, event = world["portal"], world["event"]
    page = portal.get(f"/partner/events/{event.id}").get_data(as_text=True)
    token = hidden_fields(page)["csrf_token"]
    first = portal.post(f"/partner/events/{event.id}/invitation", data={"csrf_token": token})
    assert first.status_code == 303
    assert "We are mailing your invitation" in portal.get(first.headers["Location"]).get_data(as_text=True)
    again = portal.post(f"/partner/events/{event.id}/invitation", data={"csrf_token": token})
    assert again.status_code == 303
    assert "mailed already" in portal.get(again.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    [send] = db.session.scalars(sa.select(InvitationSend)).all()
    [invitation] = db.session.scalars(sa.select(Invitation)).all()
    assert (send.partner_id, send.event_id) == (world["ours"].id, event.id)
    assert (invitation.partner_id, invitation.event_id, invitation.contact.email) == (
        world["ours"].id, event.id, "office@alumni.example")
    [message] = db.session.scalars(sa.select(Message).where(Message.kind == MessageKind.INVITATION)).all()
    assert message.recipient == "office@alumni.example"


def test_no_invitation_for_another_organisations_or_a_draft_event(world, db):
    portal = world["portal"]
    token = hidden_fields(portal.get("/partner/").get_data(as_text=True)).get("csrf_token") or \
        hidden_fields(portal.get(f"/partner/events/{world['event'].id}").get_data(as_text=True))["csrf_token"]
    for event_id in (world["rival_event"].id, world["draft"].id):
        assert portal.post(f"/partner/events/{event_id}/invitation", data={"csrf_token": token}).status_code == 404
    assert _db.session.scalars(sa.select(InvitationSend)).all() == []
    assert len(db.session.scalars(sa.select(PartnerLink)).all()) == 3
