"""Invitations for tests, queued the way a send queues them (the contract with sending.py: kind invitation, the
contact as recipient, key invitation:<id>, context {"invitation_id": id}), and the form read out of a received mail."""
from html.parser import HTMLParser

from eventapp.contacts.models import Contact
from eventapp.core.tokens import url_token
from eventapp.invitations.models import Invitation, InvitationSend
from eventapp.messaging.models import MessageKind
from eventapp.messaging.operations import Recipient, queue

INVITEE = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "company": "Analytical Ltd",
           "job_title": "CTO"}
WORDING = {"subject": "You're invited, {first_name}: {event_title}", "preheader": "Seats are limited: sign up inside",
           "body_md": "Dear {first_name},\n\nwe would be **delighted** to welcome you and your view on the market.",
           "sender_name": "Grace at Acme"}


def invite(db, event, person: dict | None = None, partner_id: int | None = None, **wording) -> Invitation:
    """One person's invitation to `event`, in the outbox (deliver_due() mails it)."""
    person = {**INVITEE, **(person or {})}
    contact = db.session.execute(db.select(Contact).where(Contact.organisation_id == event.organisation_id,
                                                          Contact.email_key == person["email"].lower())
                                 ).scalar_one_or_none()
    if contact is None:
        contact = Contact(organisation_id=event.organisation_id, email_key=person["email"].lower(), **person)
        db.session.add(contact)
    send = InvitationSend(organisation_id=event.organisation_id, event_id=event.id, partner_id=partner_id,
                          **{**WORDING, **wording})
    db.session.add(send)
    db.session.flush()
    invitation = Invitation(organisation_id=event.organisation_id, send_id=send.id, event_id=event.id,
                            contact_id=contact.id, partner_id=partner_id, token=url_token())
    db.session.add(invitation)
    db.session.flush()
    queue(MessageKind.INVITATION, Recipient(email=contact.email, name=f"{contact.first_name} {contact.last_name}",
                                            contact_id=contact.id),
          organisation_id=event.organisation_id, key=f"invitation:{invitation.id}", event_id=event.id,
          context={"invitation_id": invitation.id})
    db.session.commit()
    return invitation


def html_of(mail) -> str:
    return mail.get_body(("html",)).get_content()


def text_of(mail) -> str:
    return mail.get_body(("plain",)).get_content()


class MailForm(HTMLParser):
    """The one form of a mail's HTML: its method, action, and what a mail client would post without a change
    (text inputs with their values; no radio or box ticked)."""

    def __init__(self, html: str):
        super().__init__()
        self.method = self.action = None
        self.fields, self.choices, self.links = {}, {}, {}
        self._link = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            assert self.action is None, "more than one form"
            self.method, self.action = attrs.get("method"), attrs.get("action")
        elif tag == "input" and attrs.get("type") in ("radio", "checkbox"):
            self.choices.setdefault(attrs["name"], []).append(attrs["value"])
        elif tag == "input":
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "a":
            self._link = attrs.get("href")

    def handle_data(self, data):
        if self._link and data.strip():
            self.links[data.strip()] = self._link
            self._link = None

    def handle_endtag(self, tag):
        if tag == "a":
            self._link = None
