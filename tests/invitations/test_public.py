"""The invitation mail with the sign-up form inside, its page /i/<token>, Can't come, forwarding, and events only
invited people can sign up for."""
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from eventapp.contacts.models import Contact, Suppression, SuppressionChannel, SuppressionReason
from eventapp.events.models import EventStatus
from eventapp.invitations.content import preview
from eventapp.invitations.models import Invitation, InvitationSend, InvitationStatus
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.messaging.models import Message, MessageKind, MessageStatus
from eventapp.messaging.operations import deliver_due
from eventapp.registration.models import Registration
from tests.conftest import signup_form, submit
from tests.invitations.invitation_mail import INVITEE, MailForm, html_of, invite, text_of

BASE_URL = "https://events.example.com"


@pytest.fixture(autouse=True)
def base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL)


def received(smtp_sink):
    """The one mail delivered, and its form."""
    deliver_due()
    [mail] = smtp_sink.messages
    return mail, MailForm(html_of(mail))


def post_from_mail(app, form: MailForm, **changes):
    """What a mail client sends when the reader presses the button: a new client, no cookie, no CSRF token."""
    return app.test_client().post(urlsplit(form.action).path, data={**form.fields, **changes})


def followed(app, href: str) -> str:
    """The path a link of the mail leads to (through click tracking's redirect, when the link is tracked)."""
    path = urlsplit(href).path
    if path.startswith("/i/"):
        return path
    response = app.test_client().get(path)
    assert response.status_code in (301, 302, 303, 307), (href, response.status_code)
    return urlsplit(response.headers["Location"]).path


def registrations(db):
    db.session.expire_all()
    return db.session.execute(sa.select(Registration).order_by(Registration.id)).scalars().all()


def activities(db, contact_id):
    return [(a.kind, a.meta) for a in db.session.execute(
        sa.select(LeadActivity).where(LeadActivity.contact_id == contact_id).order_by(LeadActivity.id)).scalars()]


def row_counts(db):
    db.session.expire_all()
    return {model.__name__: db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()
            for model in (Registration, Contact, Message, LeadActivity)}


def test_the_mail_holds_a_prefilled_form_that_signs_the_invitee_up(app, db, make_event, smtp_sink):
    event = make_event(title="Pipeline roundtable")
    invitation = invite(db, event)
    mail, form = received(smtp_sink)

    assert mail["Subject"] == "You're invited, Ada: Pipeline roundtable"
    assert mail["From"].addresses[0].display_name == "Grace at Acme"
    html, text = html_of(mail), text_of(mail)
    assert "Seats are limited: sign up inside" in html and "<strong>delighted</strong>" in html
    url = f"{BASE_URL}/i/{invitation.token}"
    assert (form.method, form.action) == ("post", url)
    assert form.fields == {key: INVITEE[key] for key in ("first_name", "last_name", "email", "company", "job_title")}
    path = urlsplit(url).path
    assert followed(app, form.links["Register"]) == path
    assert followed(app, form.links["Can't come"]) == f"{path}/decline"
    assert url in text and f"{url}/decline" in text and "Pipeline roundtable" in text
    assert text.startswith("Dear Ada,") and "Forward this email" in text  # the organiser's greeting, not two

    response = post_from_mail(app, form, job_title="Chief Executive")
    assert response.status_code == 303, response.get_data(as_text=True)
    [registration] = registrations(db)
    assert response.headers["Location"] == f"/r/{registration.manage_token}?new=1"
    assert (registration.invitation_id, registration.channel, registration.status) == (invitation.id, "invitation",
                                                                                      "confirmed")
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.status == InvitationStatus.REGISTERED and invitation.registered_at is not None
    # The token came in the mail to this address: the invitee's profile takes what they corrected.
    assert invitation.contact.job_title == "Chief Executive"
    deliver_due()
    assert [m["Subject"] for m in smtp_sink.messages[1:]] == ["You're registered: Pipeline roundtable"]


def test_the_same_mail_form_sent_twice_is_one_registration_and_one_confirmation(app, db, make_event, smtp_sink):
    event = make_event()
    invite(db, event)
    _, form = received(smtp_sink)
    assert post_from_mail(app, form).status_code == 303
    deliver_due()
    before = row_counts(db)
    again = post_from_mail(app, form)
    # No manage link on the second answer: whoever holds a forwarded copy can type the invitee's address.
    assert again.status_code == 200 and "/r/" not in again.get_data(as_text=True)
    assert "already registered" in again.get_data(as_text=True)
    assert row_counts(db) == before
    deliver_due()
    assert len(smtp_sink.messages) == 2  # the invitation and one confirmation


def test_a_forged_token_is_a_page_that_says_the_link_is_not_valid(app, db, make_event):
    event = make_event()
    invite(db, event)
    client = app.test_client()
    for token in ("x" * 32, "sample-preview", "y" * 500):
        for response in (client.get(f"/i/{token}"), client.post(f"/i/{token}", data=signup_form()),
                         client.get(f"/i/{token}/decline")):
            assert response.status_code == 404
            assert "This invitation link is not valid" in response.get_data(as_text=True)
    assert registrations(db) == []


def test_opening_the_links_changes_nothing(app, db, make_event, smtp_sink):
    """Mail scanners follow every link: the Register and Can't come pages only show."""
    event = make_event()
    invitation = invite(db, event)
    received(smtp_sink)
    before = row_counts(db)
    client = app.test_client()
    page = client.get(f"/i/{invitation.token}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'value="Analytical Ltd"' in body and 'value="ada@example.com"' in body
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/i/{invitation.token}/decline").status_code == 200
    assert row_counts(db) == before
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.QUEUED


def test_the_register_page_signs_up_like_the_mail(app, db, make_event, smtp_sink):
    event = make_event()
    invitation = invite(db, event)
    _, form = received(smtp_sink)
    client = app.test_client()
    page = followed(app, form.links["Register"])
    response = submit(client, page, dict(form.fields))
    assert response.status_code == 303
    [registration] = registrations(db)
    assert (registration.invitation_id, registration.channel) == (invitation.id, "invitation")


def test_cant_come_asks_then_declines_on_post(app, db, make_event):
    event = make_event()
    invitation = invite(db, event)
    client = app.test_client()
    url = f"/i/{invitation.token}/decline"
    assert "I can't come</button>" in client.get(url).get_data(as_text=True).replace("&#39;", "'")
    response = submit(client, url, {})
    assert response.status_code == 200 and "The organisers know you can" in response.get_data(as_text=True)
    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.status == InvitationStatus.DECLINED and invitation.declined_at is not None
    assert (ActivityKind.INVITATION_DECLINED, {"invitation_id": invitation.id}) in activities(db, invitation.contact_id)
    submit(client, url, {})  # a second press: said once
    kinds = [kind for kind, _ in activities(db, invitation.contact_id)]
    assert kinds.count(ActivityKind.INVITATION_DECLINED) == 1
    # They may change their mind: the form is still there.
    assert "Changed your mind" in client.get(f"/i/{invitation.token}").get_data(as_text=True)


def test_cant_come_after_registering_says_they_are_registered(app, db, make_event, smtp_sink):
    event = make_event()
    invitation = invite(db, event)
    _, form = received(smtp_sink)
    assert post_from_mail(app, form).status_code == 303
    client = app.test_client()
    url = f"/i/{invitation.token}/decline"
    assert "You are registered for this event" in client.get(url).get_data(as_text=True)
    response = submit(client, "/login", {}, post_url=url)  # a post made by hand: the page has no button
    assert "You are registered for this event" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.REGISTERED
    [registration] = registrations(db)
    assert registration.is_confirmed
    # The link to the registration goes by mail, to the address registered (once a day), never onto the page.
    deliver_due()
    smtp_sink.messages.clear()
    for _ in range(2):
        response = submit(client, url, {}, post_url=f"/i/{invitation.token}/manage-link")
        assert "We have emailed the link to your registration" in response.get_data(as_text=True)
        assert registration.manage_token not in response.get_data(as_text=True)
    deliver_due()
    [mail] = smtp_sink.messages
    assert mail["To"].addresses[0].addr_spec == "ada@example.com"
    assert f"/r/{registration.manage_token}" in text_of(mail)


def test_required_questions_are_in_the_mail_and_enforced(app, db, make_event, smtp_sink):
    event = make_event(questions=[
        {"label": "Which track?", "kind": "single_choice", "options": ["Sales", "Marketing"], "required": True},
        {"label": "Anything else?", "kind": "text"},
        {"label": "Dietary needs", "kind": "text", "required": True}])
    track, other, diet = event.questions
    invite(db, event)
    mail, form = received(smtp_sink)
    assert form.choices == {track.field_name: ["Sales", "Marketing"]}
    assert diet.field_name in form.fields and other.field_name not in form.fields
    assert "Anything else?" not in html_of(mail)

    missing = post_from_mail(app, form)
    assert missing.status_code == 422 and "Answer this question." in missing.get_data(as_text=True)
    forged = post_from_mail(app, form, **{track.field_name: "Free lunch", diet.field_name: "None"})
    assert forged.status_code == 422 and "Choose one of the options given." in forged.get_data(as_text=True)
    assert registrations(db) == []
    answered = post_from_mail(app, form, **{track.field_name: "Sales", diet.field_name: "Vegetarian"})
    assert answered.status_code == 303
    [registration] = registrations(db)
    assert registration.answers == {str(track.id): "Sales", str(diet.id): "Vegetarian"}


def test_bad_input_from_the_mail_gets_a_clear_message_and_changes_nothing(app, db, make_event, smtp_sink):
    event = make_event()
    invite(db, event)
    _, form = received(smtp_sink)
    before = row_counts(db)
    for changes, sentence in (({"email": "not-an-address"}, "email"), ({"first_name": ""}, "Enter your first name."),
                              ({"company": "x" * 5000}, "Keep this under 200 characters."),
                              ({"last_name": "<script>alert(1)</script>"}, "")):
        response = post_from_mail(app, form, **changes)
        assert response.status_code == 422, changes
        assert sentence in response.get_data(as_text=True)
        assert "<script>alert(1)" not in response.get_data(as_text=True)
    assert row_counts(db) == before


def test_a_forwarded_copy_signs_up_a_new_contact_referred_by_the_invitee(app, db, make_event, smtp_sink):
    event = make_event(title="Forwarded seminar")
    invitation = invite(db, event)
    _, form = received(smtp_sink)
    colleague = {"first_name": "Grace", "last_name": "Hopper", "email": "grace@navy.example", "company": "Navy",
                 "job_title": "Rear Admiral"}
    response = post_from_mail(app, form, **colleague)
    assert response.status_code == 303
    [registration] = registrations(db)
    invitee = db.session.get(Contact, invitation.contact_id)
    grace = db.session.get(Contact, registration.contact_id)
    assert grace.id != invitee.id and grace.email == "grace@navy.example"
    assert (grace.referred_by_id, grace.referred_channel, grace.origin) == (invitee.id, "forwarded", "forwarded")
    assert (registration.channel, registration.referred_by_id, registration.invitation_id) == ("forwarded", invitee.id,
                                                                                             None)
    # The invitee's contact and invitation are as they were; the page after it shows only what was typed.
    assert (invitee.first_name, invitee.company, invitee.job_title) == ("Ada", "Analytical Ltd", "CTO")
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.QUEUED
    page = app.test_client().get(response.headers["Location"]).get_data(as_text=True)
    assert "Grace" in page and "Ada" not in page and "Analytical" not in page
    # Both timelines show it, each naming the other.
    forwarded = [meta for kind, meta in activities(db, invitee.id) if kind == ActivityKind.FORWARDED]
    referred = [meta for kind, meta in activities(db, grace.id) if kind == ActivityKind.REFERRED]
    assert [meta["referred_contact_id"] for meta in forwarded] == [grace.id]
    assert [meta["referred_by_contact_id"] for meta in referred] == [invitee.id]
    # Once the invitee's address signs up too, it is the invitee's own registration.
    assert post_from_mail(app, form).status_code == 303
    assert [r.channel for r in registrations(db)] == ["forwarded", "invitation"]


def test_a_personal_invitation_cannot_be_forwarded(app, db, make_event, smtp_sink):
    event = make_event(forwarding_allowed=False)
    invitation = invite(db, event, body_md="")
    mail, form = received(smtp_sink)
    assert text_of(mail).startswith("Hello Ada,") and "This invitation is personal to you" in text_of(mail)
    before = row_counts(db)
    response = post_from_mail(app, form, email="mallory@example.com")
    assert response.status_code == 403
    assert "This invitation is personal" in response.get_data(as_text=True)
    assert row_counts(db) == before
    assert post_from_mail(app, form).status_code == 303  # the invitee still can
    assert registrations(db)[0].invitation_id == invitation.id


def test_an_invitation_only_event_shows_no_public_form_and_refuses_a_direct_post(app, db, make_event, smtp_sink):
    event = make_event(invitation_only=True)
    client = app.test_client()
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "This event is by invitation only" in page and 'name="email"' not in page
    # A post made by hand, with a valid CSRF token of this session (the landing page has no form to take one from)
    refused = submit(client, "/login", signup_form(), post_url=f"/e/{event.slug}")
    assert refused.status_code == 409
    assert refused.get_data(as_text=True).count("This event is by invitation only") == 1
    assert registrations(db) == []
    invite(db, event)
    _, form = received(smtp_sink)
    assert post_from_mail(app, form).status_code == 303  # the invitation is the way in
    assert len(registrations(db)) == 1


def test_a_cancelled_event_shows_its_reason_and_withdraws_unsent_invitations(app, db, make_event, smtp_sink):
    event = make_event()
    invitation = invite(db, event)
    event.status = EventStatus.CANCELLED
    db.session.commit()
    deliver_due()
    assert smtp_sink.messages == []
    assert db.session.execute(sa.select(Message.status)).scalar_one() == MessageStatus.CANCELLED
    client = app.test_client()
    assert "This event has been cancelled." in client.get(f"/i/{invitation.token}").get_data(as_text=True)
    response = client.post(f"/i/{invitation.token}", data=signup_form())
    assert response.status_code == 409 and registrations(db) == []


def test_an_address_unsubscribed_before_its_turn_gets_no_invitation(app, db, make_event, smtp_sink):
    event = make_event()
    invite(db, event)
    db.session.add(Suppression(channel=SuppressionChannel.EMAIL, address="ada@example.com",
                               reason=SuppressionReason.UNSUBSCRIBED))
    db.session.commit()
    deliver_due()
    assert smtp_sink.messages == []


def test_the_preview_is_filled_in_for_the_sample_invitee_and_saves_nothing(app, db, make_event):
    event = make_event(title="Preview seminar")
    send = InvitationSend(organisation_id=event.organisation_id, event_id=event.id, subject="Hi {first_name}",
                          body_md="Come to **{event_title}**, {company}.", preheader="Inside: the form")
    db.session.add(send)
    db.session.commit()
    before = row_counts(db)
    subject, html, text = preview(send)
    assert subject == "Hi Alex"
    assert "Example Ltd" in html and "<strong>Preview seminar</strong>" in html and 'value="Alex"' in html
    assert "Come to **Preview seminar**, Example Ltd." in text
    assert f"{BASE_URL}/i/sample-preview" in html
    assert row_counts(db) == before
    assert app.test_client().get("/i/sample-preview").status_code == 404


def test_the_event_form_sets_invitation_only_and_forwarding(client, db, make_event, login_as):
    from tests.messaging.test_organiser import edit_form

    login_as()
    event = make_event()
    assert event.forwarding_allowed and not event.invitation_only
    assert submit(client, f"/admin/events/{event.id}/edit", edit_form(event, invitation_only="y")).status_code == 303
    db.session.expire_all()
    assert event.invitation_only and not event.forwarding_allowed  # an unticked box is off
    page = client.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert "Invitation only" in page and "Invited people may forward the invitation" in page


def test_the_invitation_page_asks_for_marketing_consent_like_the_landing_page(app, db, make_event):
    from eventapp.contacts.models import ConsentRecord

    event = make_event()
    invitation = invite(db, event)
    client = app.test_client()
    page = f"/i/{invitation.token}"
    assert "Acme Events may email me about future events" in client.get(page).get_data(as_text=True)
    assert submit(client, page, {**INVITEE, "marketing_consent": "y"}).status_code == 303
    [record] = db.session.execute(sa.select(ConsentRecord)).scalars()
    assert (record.contact_id, record.confirmed_at) == (invitation.contact_id, None)  # confirmed by mail first
    assert "Acme Events may email me" in record.text


def test_a_partners_own_invitation_is_made_to_be_forwarded(app, db, make_event, smtp_sink):
    """Even where invitations are personal: the partner forwards its invitation to its members, and their
    sign-ups count for the partner and name its tracked link as the channel they came through."""
    from eventapp.invitations.models import Partner, PartnerLink

    event = make_event(forwarding_allowed=False)
    partner = Partner(organisation_id=event.organisation_id, name="Shanghai Marketing Association")
    db.session.add(partner)
    db.session.flush()
    for code, event_id in (("sma-newsletter", None), ("sma-2027", event.id)):  # the event's own link is the one
        db.session.add(PartnerLink(organisation_id=event.organisation_id, partner_id=partner.id, code=code,
                                   event_id=event_id))
    db.session.commit()
    invitation = invite(db, event, {"email": "office@sma.example", "first_name": "Lin"}, partner_id=partner.id)
    mail, form = received(smtp_sink)
    assert "Forward this email" in text_of(mail)
    assert post_from_mail(app, form, email="member@firm.example", first_name="Wei").status_code == 303
    [registration] = registrations(db)
    member = db.session.get(Contact, registration.contact_id)
    assert (registration.partner_id, registration.referred_by_id, registration.channel) == (
        partner.id, invitation.contact_id, "forwarded")
    assert (member.referred_by_id, member.referred_channel) == (invitation.contact_id, "partner:sma-2027")


def test_a_form_renamed_by_outlook_com_still_signs_up(app, db, make_event, smtp_sink):
    """Outlook.com keeps a mail's form working but renames its fields x_<name>."""
    event = make_event(questions=[{"label": "Which track?", "kind": "single_choice", "options": ["Sales", "Ops"],
                                   "required": True}])
    [question] = event.questions
    invitation = invite(db, event)
    _, form = received(smtp_sink)
    renamed = {f"x_{name}": value for name, value in {**form.fields, question.field_name: "Ops"}.items()}
    assert app.test_client().post(f"/i/{invitation.token}", data=renamed).status_code == 303
    [registration] = registrations(db)
    assert registration.answers == {str(question.id): "Ops"} and registration.company == "Analytical Ltd"
