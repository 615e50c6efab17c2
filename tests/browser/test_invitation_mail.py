"""The invitation as people get it: the HTML part the SMTP server received, opened in Chromium. Its form posts to
the live server (BASE_URL), where the invitation's token stands in for a CSRF cookie."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from eventapp.contacts.models import Contact
from eventapp.leads.models import ActivityKind
from eventapp.messaging.operations import deliver_due
from tests.browser.signup_page import registrations
from tests.invitations.invitation_mail import html_of, invite


@pytest.fixture
def mail_page(phone, live_server, app, db, make_event, smtp_sink, monkeypatch):
    """(page showing the received invitation, the event, the invitation)."""
    monkeypatch.setitem(app.config, "BASE_URL", live_server)
    event = make_event(title="Executive roundtable", invitation_only=True, questions=[
        {"label": "Which session?", "kind": "single_choice", "options": ["Morning", "Afternoon"], "required": True}])
    invitation = invite(db, event)
    deliver_due()
    [mail] = smtp_sink.messages
    page = phone.new_page()
    page.set_content(html_of(mail))
    return page, event, invitation


def test_the_form_inside_the_mail_signs_the_invitee_up(mail_page, live_server, db):
    page, _event, invitation = mail_page
    expect(page.get_by_label("Company")).to_have_value("Analytical Ltd")  # filled in with what is known
    page.get_by_label("Afternoon").check()
    page.get_by_role("button", name="Sign me up").click()

    expect(page.get_by_role("status")).to_contain_text("Your ticket is below")
    [registration] = registrations(db)
    assert page.url == f"{live_server}/r/{registration.manage_token}?new=1"
    assert (registration.invitation_id, registration.channel, registration.contact_id) == (
        invitation.id, "invitation", invitation.contact_id)


def test_a_forwarded_copy_signs_up_someone_new_referred_by_the_invitee(mail_page, db, client, login_as):
    page, _event, invitation = mail_page
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Work email").fill("grace@navy.example")
    page.get_by_label("Company").fill("US Navy")
    page.get_by_label("Job title").fill("Rear Admiral")
    page.get_by_label("Morning").check()
    page.get_by_role("button", name="Sign me up").click()

    expect(page.get_by_role("status")).to_contain_text("Your ticket is below")
    expect(page.locator("main")).not_to_contain_text("Analytical")  # only what was typed
    [registration] = registrations(db)
    grace = db.session.get(Contact, registration.contact_id)
    assert grace.email == "grace@navy.example" and grace.referred_by_id == invitation.contact_id
    assert (registration.channel, registration.referred_by_id) == ("forwarded", invitation.contact_id)
    # Both timelines show it, on the organisers' contact pages.
    login_as()
    invitee_page = client.get(f"/admin/contacts/{invitation.contact_id}").get_data(as_text=True)
    grace_page = client.get(f"/admin/contacts/{grace.id}").get_data(as_text=True)
    assert str(ActivityKind.FORWARDED.label) in invitee_page
    assert str(ActivityKind.REFERRED.label) in grace_page
    db.session.expire_all()
    assert db.session.execute(sa.select(Contact.company).where(Contact.id == invitation.contact_id)
                              ).scalar_one() == "Analytical Ltd"


def test_the_register_button_opens_the_same_form_in_the_browser(mail_page, live_server, db):
    page, _event, invitation = mail_page
    page.get_by_role("link", name="Register").click()
    expect(page).to_have_url(f"{live_server}/i/{invitation.token}")
    expect(page.get_by_label("Work email")).to_have_value("ada@example.com")
    page.get_by_label("Morning").check()
    page.get_by_role("button", name="Sign me up").click()

    expect(page.get_by_role("status")).to_contain_text("Your ticket is below")
    [registration] = registrations(db)
    assert (registration.invitation_id, registration.channel) == (invitation.id, "invitation")
