"""Organisers' partners, their logins and tracked links; /p/<code> counts the click and the sign-up that follows is
the partner's; the poster's QR code decodes to the link."""
import io
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from eventapp import signals
from eventapp.accounts.models import Role, User
from eventapp.accounts import operations as accounts_ops
from eventapp.accounts.operations import ensure_organisation
from eventapp.events import operations as event_ops
from eventapp.invitations.models import LinkClick, Partner, PartnerLink, PartnerMember
from eventapp.invitations import partners as partners_ops
from eventapp.invitations.partners import POSTER_SCALE, SESSION_LIMIT, remembered
from tests.conftest import PASSWORD, hidden_fields, submit
from tests.invitations.partner_helpers import (BASE_URL, base_url, make_link, make_partner,  # noqa: F401 (a fixture)
                                              registration_of, rival_event, sign_up_through)

@pytest.fixture
def organiser(login_as):
    return login_as(Role.ORGANISER)


def rows(db, model):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(model).order_by(*sa.inspect(model).primary_key)))


def post_form(client, page_url, data, post_url=None):
    return submit(client, page_url, data, post_url=post_url)


# ---- partners ---------------------------------------------------------------------------------------------------

def test_an_organiser_creates_a_partner_that_shares_no_personal_data_until_told(client, organiser, db):
    response = post_form(client, "/admin/partners/new", {"name": "Tsinghua Alumni", "kind": "university"})
    assert response.status_code == 303
    [partner] = rows(db, Partner)
    assert (partner.name, partner.kind, partner.shares_personal_data) == ("Tsinghua Alumni", "university", False)
    assert "Counts only" in client.get("/admin/partners/").get_data(as_text=True)
    edited = post_form(client, f"/admin/partners/{partner.id}/edit",
                       {"name": "Tsinghua Alumni", "kind": "association", "shares_personal_data": "y"})
    assert edited.status_code == 303
    [partner] = rows(db, Partner)
    assert partner.kind == "association" and partner.shares_personal_data


@pytest.mark.parametrize("form, message", [
    ({"name": "", "kind": "university"}, "Give the partner a name."),
    ({"name": "<b>Uni</b>", "kind": "university"}, "without &lt; or &gt;"),
    ({"name": "x" * 201, "kind": "university"}, "200"),
    ({"name": "Uni", "kind": "pirate"}, "Not a valid choice"),
    ({"name": "Existing Partner", "kind": "media"}, "Another partner already has this name."),
])
def test_bad_partner_input_is_refused_with_a_reason_and_changes_nothing(client, organiser, db, org, form, message):
    make_partner(org.id, "Existing Partner")
    response = post_form(client, "/admin/partners/new", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert [partner.name for partner in rows(db, Partner)] == ["Existing Partner"]


def test_another_organisations_partner_is_not_found(client, organiser, db):
    rival = ensure_organisation("rival", "Rival Events")
    theirs = make_partner(rival.id, "Their Partner")
    for url in (f"/admin/partners/{theirs.id}", f"/admin/partners/{theirs.id}/edit"):
        assert client.get(url).status_code == 404


# ---- partner logins ---------------------------------------------------------------------------------------------

def test_an_organiser_adds_a_partner_login_that_lands_in_the_portal(app, client, organiser, db, org):
    partner = make_partner(org.id, "Fudan Alumni")
    response = post_form(client, f"/admin/partners/{partner.id}", {
        "email": "Office@Fudan.example", "name": "Alumni office", "password": "long enough passphrase"},
        post_url=f"/admin/partners/{partner.id}/logins")
    assert response.status_code == 303
    user = db.session.scalars(sa.select(User).where(User.email == "office@fudan.example")).one()
    assert user.membership.role == Role.PARTNER and user.membership.organisation_id == org.id
    assert db.session.get(PartnerMember, user.id).partner_id == partner.id
    partner_client = app.test_client()
    assert submit(partner_client, "/login", {"email": "office@fudan.example",
                                             "password": "long enough passphrase"}).status_code == 303
    home = partner_client.get("/")
    assert urlsplit(home.headers["Location"]).path == "/partner/"
    assert "Fudan Alumni" in partner_client.get("/partner/").get_data(as_text=True)


@pytest.mark.parametrize("form, message", [
    ({"email": "not-an-address", "password": "long enough passphrase"}, "Enter an email address like"),
    ({"email": "", "password": "long enough passphrase"}, "Enter the email address the partner logs in with."),
    ({"email": "new@partner.example", "password": "password123"}, "most common passwords"),
    ({"email": "new@partner.example", "password": "short"}, "at least 10 characters"),
    ({"email": "new@partner.example", "password": ""}, "Choose an initial password."),
    ({"email": "organiser@acme.example", "password": "long enough passphrase"}, "exists already"),
])
def test_a_bad_partner_login_is_refused_and_no_account_changes(client, organiser, db, org, form, message):
    partner = make_partner(org.id, "Fudan Alumni")
    hash_before = organiser.password_hash
    response = post_form(client, f"/admin/partners/{partner.id}", {"name": "", **form},
                         post_url=f"/admin/partners/{partner.id}/logins")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert [user.email for user in rows(db, User)] == ["organiser@acme.example"]
    assert db.session.get(User, organiser.id).password_hash == hash_before  # an existing account keeps its password
    assert rows(db, PartnerMember) == []


# ---- tracked links and the click that leads to a sign-up --------------------------------------------------------

def test_a_tracked_link_counts_the_click_and_the_sign_up_carries_the_partner(app, client, organiser, db, org,
                                                                            make_event):
    event = make_event(title="Roundtable")
    partner = make_partner(org.id, "Peking Alumni")
    response = post_form(client, f"/admin/partners/{partner.id}", {"target": f"event:{event.id}"},
                         post_url=f"/admin/partners/{partner.id}/links")
    assert response.status_code == 303
    [link] = rows(db, PartnerLink)
    assert re.fullmatch(r"[A-Za-z0-9_-]{8}", link.code) and link.partner_id == partner.id
    visits = []

    def record(visit, **_):
        visits.append(visit)

    with signals.link_visited.connected_to(record):
        registration = sign_up_through(app, link.code, event.slug, "wang@example.com")
    [click] = rows(db, LinkClick)
    assert (click.link_id, click.event_id) == (link.id, event.id)
    assert [(visit.link_id, visit.partner_id, visit.channel, visit.event_id) for visit in visits] == [
        (link.id, partner.id, f"partner:{link.code}", event.id)]
    assert (registration.partner_id, registration.channel) == (partner.id, f"partner:{link.code}")
    # a visitor who came straight to the page is the web's
    assert sign_up_through(app, None, event.slug, "li@example.com").channel == "web"
    assert registration_of("li@example.com").partner_id is None


def test_an_own_channel_link_needs_a_name_and_attributes_to_the_channel(app, client, organiser, db, org,
                                                                       make_event):
    event = make_event()
    refused = post_form(client, "/admin/partners/", {"target": f"event:{event.id}", "label": ""},
                        post_url="/admin/partners/channels")
    assert refused.status_code == 422 and "Name the channel" in refused.get_data(as_text=True)
    assert rows(db, PartnerLink) == []
    made = post_form(client, "/admin/partners/", {"target": f"event:{event.id}", "label": "Poster at the expo"},
                     post_url="/admin/partners/channels")
    assert made.status_code == 303
    [link] = rows(db, PartnerLink)
    assert link.partner_id is None and link.label == "Poster at the expo"
    registration = sign_up_through(app, link.code, event.slug, "zhao@example.com")
    assert (registration.partner_id, registration.channel) == (None, f"partner:{link.code}")


def test_a_link_to_another_organisations_event_cannot_be_made(client, organiser, db, org, make_event):
    theirs = rival_event(make_event())
    partner = make_partner(org.id, "Peking Alumni")
    for target in (f"event:{theirs.id}", "event:999999", "campaign:1", "event:x", "event:" + "9" * 40, ""):
        response = post_form(client, f"/admin/partners/{partner.id}", {"target": target},
                             post_url=f"/admin/partners/{partner.id}/links")
        assert response.status_code == 422, target
    assert rows(db, PartnerLink) == []


def test_a_campaign_link_leads_to_the_campaigns_next_published_event(app, client, db, org, make_event):
    campaign = event_ops.save_campaign(org.id, {"name": "Roadshow"})
    db.session.commit()
    later = make_event(campaign_id=campaign.id)
    sooner = make_event(campaign_id=campaign.id, starts_at=later.starts_at.replace(day=1) if later.starts_at.day > 2
                        else later.starts_at, ends_at=later.ends_at)
    make_event(campaign_id=campaign.id, status="draft")
    link = make_link(org.id, f"campaign:{campaign.id}", label="WeChat article")
    followed = client.get(f"/p/{link.code}")
    expected = min((later, sooner), key=lambda event: event.starts_at)
    assert followed.status_code == 302 and urlsplit(followed.headers["Location"]).path == f"/e/{expected.slug}"
    assert [click.event_id for click in rows(db, LinkClick)] == [expected.id]


# (A code with a control character, /p/%00, is not even routed: tests/core/test_control_characters.py.)
@pytest.mark.parametrize("code", ["nosuchco", "x" * 41, "..", "a b"])
def test_an_unknown_code_is_a_404_page_that_says_so(client, db, code):
    response = client.get(f"/p/{code}")
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)
    assert rows(db, LinkClick) == []


def test_a_link_to_a_draft_event_counts_nothing_and_says_so(client, db, org, make_event):
    link = make_link(org.id, f"event:{make_event(status='draft').id}", label="Newsletter")
    response = client.get(f"/p/{link.code}")
    assert response.status_code == 404 and "no event open" in response.get_data(as_text=True)
    assert rows(db, LinkClick) == []


def test_the_session_remembers_a_bounded_number_of_attributions():
    class Link:
        partner_id, channel = 7, "partner:abc"

    kept = {}
    for event_id in range(1, 30):
        kept = remembered(kept, event_id, Link())
    assert len(kept) == SESSION_LIMIT and list(kept)[-1] == "29"


# ---- the poster's QR code ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("qr_format", ["png", "svg"])
def test_the_poster_qr_code_decodes_to_the_absolute_link(client, organiser, db, org, make_event, base_url,
                                                         qr_format):
    partner = make_partner(org.id, "Peking Alumni")
    link = make_link(org.id, f"event:{make_event().id}", partner=partner)
    response = client.get(f"/admin/links/{link.id}/qr.{qr_format}")
    assert response.status_code == 200
    assert f'filename="qr-{link.code}.{qr_format}"' in response.headers["Content-Disposition"]
    if qr_format == "svg":
        assert response.mimetype == "image/svg+xml" and b"<svg" in response.data
        return
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG" and image.size[0] >= 25 * POSTER_SCALE  # poster-sized
    [decoded] = zxingcpp.read_barcodes(image)
    assert decoded.text == f"{BASE_URL}/p/{link.code}"
    assert f"{BASE_URL}/p/{link.code}" in client.get(f"/admin/partners/{partner.id}").get_data(as_text=True)


def test_another_organisations_link_has_no_qr_code_here(client, organiser, db, make_event):
    theirs = rival_event(make_event())
    link = make_link(theirs.organisation_id, f"event:{theirs.id}", label="Their poster")
    assert client.get(f"/admin/links/{link.id}/qr.png").status_code == 404


def test_partners_pages_need_the_back_office(app, client, db, org, login_as):
    partner = make_partner(org.id, "Peking Alumni")
    login_as(Role.STAFF)
    for url in ("/admin/partners/", f"/admin/partners/{partner.id}", "/admin/partners/new"):
        assert client.get(url).status_code == 403
    anonymous = app.test_client()
    assert urlsplit(anonymous.get("/admin/partners/").headers["Location"]).path == "/login"
    page = client.get("/account")
    token = hidden_fields(page.get_data(as_text=True))["csrf_token"]
    assert client.post("/admin/partners/new", data={"csrf_token": token, "name": "Sneaky"}).status_code == 403
    assert [partner.name for partner in rows(db, Partner)] == ["Peking Alumni"]
    assert PASSWORD  # the shared password the fixtures sign in with


# ---- the demo -------------------------------------------------------------------------------------------------

def test_the_demo_has_a_partner_with_its_link_portal_login_and_sign_ups(app, db):
    from eventapp.demo import DEMO_PARTNER_EMAIL, DEMO_PARTNER_PASSWORD

    output = app.test_cli_runner().invoke(args=["demo"]).output
    [link] = rows(db, PartnerLink)
    assert f"/p/{link.code}" in output and DEMO_PARTNER_EMAIL in output and DEMO_PARTNER_PASSWORD in output
    portal = app.test_client()
    assert submit(portal, "/login", {"email": DEMO_PARTNER_EMAIL, "password": DEMO_PARTNER_PASSWORD}).status_code == 303
    page = portal.get(f"/partner/events/{link.event_id}").get_data(as_text=True)
    assert '<dd id="clicks">5</dd>' in page and '<dd id="sign-ups">2</dd>' in page
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0  # again: nothing new
    assert len(rows(db, PartnerLink)) == 1 and len(rows(db, Partner)) == 1


def test_a_partner_or_login_saved_twice_at_the_same_moment_is_refused_not_an_error(client, organiser, db, org,
                                                                                   monkeypatch):
    """The second of two identical posts finds its check passed and the row written by the first only at the
    database's unique index (a double click): it gets the same sentence, and nothing changes."""
    partner = make_partner(org.id, "Fudan Alumni")
    monkeypatch.setattr(partners_ops, "_name_taken", lambda *args: False)
    again = post_form(client, "/admin/partners/new", {"name": "Fudan Alumni", "kind": "university"})
    assert again.status_code == 422 and "Another partner already has this name." in again.get_data(as_text=True)
    for module in (partners_ops, accounts_ops):  # both look the address up first, and miss the other's row
        monkeypatch.setattr(module, "find_user", lambda email: None)
    taken = post_form(client, f"/admin/partners/{partner.id}", {
        "email": "organiser@acme.example", "name": "", "password": "long enough passphrase"},
        post_url=f"/admin/partners/{partner.id}/logins")
    assert taken.status_code == 422 and "exists already" in taken.get_data(as_text=True)
    assert [row.name for row in rows(db, Partner)] == ["Fudan Alumni"] and rows(db, PartnerMember) == []
