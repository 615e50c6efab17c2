"""What an invitation mail says: the organiser's words (from the send), the event, and a real sign-up form that
posts to the invitation's own page (/i/<token>, authenticated by the token), with a Register button that opens the
same form in the browser and a Can't come link, for mail clients that do not submit forms. Messaging delivers it
(see messaging.content); the send itself (who, when, how fast) is sending.py's."""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from eventapp.accounts.models import Organisation
from eventapp.contacts import operations as contacts
from eventapp.contacts.models import Contact, SuppressionChannel
from eventapp.contacts.names import name_placeholders, person_name
from eventapp.core.content import render_markdown
from eventapp.core.templating import local_date, local_time, local_when, zone_label
from eventapp.core.time import utcnow
from eventapp.events.models import Event, EventStatus, QuestionKind
from eventapp.events.operations import reader_language
from eventapp.extensions import db
from eventapp.invitations.models import Invitation, InvitationSend
from eventapp.invitations.replies import may_be_forwarded
from eventapp.messaging.compose import compose, public_base_url
from eventapp.messaging.content import Mail, MessageContent, Wording, fill, register_content
from eventapp.messaging.models import Message, MessageKind
from eventapp.registration.notifications import N_
from eventapp.registration.samples import SAMPLE_PERSON

DEFAULT_SUBJECT = N_("Invitation: %(title)s")
# Never a real token (real ones are 32 URL-safe characters): the sample's links lead to the "not valid" page.
SAMPLE_TOKEN = "sample-preview"
SAMPLE_EMAIL = "alex.example@example.com"

PLACEHOLDERS = {
    "full_name": N_("The invitee's full name, as their language writes it: 王芳, Fang Wang"),
    "family_name": N_("The invitee's family name (王): 尊敬的{family_name}女士"),
    "given_name": N_("The invitee's given name (芳)"),
    "first_name": N_("The invitee's first name"),
    "last_name": N_("The invitee's last name"),
    "company": N_("The invitee's company"),
    "event_title": N_("The event's title"),
    "event_date": N_("The day of the event, in its time zone"),
    "event_time": N_("The start time, in the event's time zone"),
    "venue": N_("The venue's name and address"),
}


def invitation_url(token: str) -> str:
    """The invitation's own page: the mail's form posts here, and its Register button opens it."""
    return f"{public_base_url()}/i/{token}"


def decline_url(token: str) -> str:
    return f"{invitation_url(token)}/decline"


def placeholder_values(invitation: Invitation) -> dict:
    event, person = invitation.event, invitation.contact
    return {**name_placeholders(person.first_name, person.last_name), "company": person.company,
            "event_title": event.title, "event_date": local_date(event.starts_at, event.timezone),
            "event_time": local_time(event.starts_at, event.timezone), "venue": venue_of(event)}


def schedule(event: Event) -> tuple[str, str]:
    """("Wednesday, 23 December 2026, 13:00 – 17:00", "Europe/Berlin, UTC+01:00") in the event's time zone."""
    return local_when(event.starts_at, event.ends_at, event.timezone), zone_label(event.timezone, event.starts_at)


def venue_of(event: Event) -> str:
    return ", ".join(part for part in (event.venue_name, event.venue_address) if part)


def embedded_questions(event: Event) -> list[dict]:
    """The event's required questions as the mail's form asks them (optional ones wait for the browser page):
    name, label, and for choices the options as (value, label)."""
    asked = []
    for question in event.questions:
        if not question.required:
            continue
        kind = QuestionKind(question.kind)
        options = [("yes", N_("Yes")), ("no", N_("No"))] if kind is QuestionKind.YES_NO else \
            [(option, option) for option in question.options or ()]
        asked.append({"name": question.field_name, "label": question.label, "kind": str(kind), "options": options,
                      "translate_options": kind is QuestionKind.YES_NO})
    return asked


def prefilled(person) -> dict:
    """What the invitation's forms show filled in: the invitee as the organisation knows them."""
    return {"first_name": person.first_name, "last_name": person.last_name, "email": person.email,
            "company": person.company, "job_title": person.job_title, "phone": person.phone}


def sample_invitation(send: InvitationSend, email: str = SAMPLE_EMAIL) -> Invitation:
    """The made-up invitee (Alex Example of Example Ltd) that previews and test sends are filled in with.
    Transient: never added to the session, so never saved, and its token is nobody's."""
    person = Contact(organisation_id=send.organisation_id, email=email, email_key=email.lower(), **SAMPLE_PERSON)
    return Invitation(id=None, organisation_id=send.organisation_id, send=send, send_id=send.id, event=send.event,
                      event_id=send.event_id, contact=person, partner_id=send.partner_id, token=SAMPLE_TOKEN)


def _is_sample(message) -> bool:
    return bool((message.meta or {}).get("sample")) or message.kind == MessageKind.TEST


class InvitationMessages(MessageContent):
    """The invitation mail of one person (`message.about` is their Invitation, with its send, event and contact),
    or of the sample invitee for previews and test sends (context {"send_id": …, "sample": True})."""

    placeholders = PLACEHOLDERS

    def load(self, messages: list) -> None:
        ids = {message.meta["invitation_id"] for message in messages if "invitation_id" in (message.meta or {})}
        invitations = {}
        if ids:
            invitations = {invitation.id: invitation for invitation in db.session.execute(
                sa.select(Invitation).where(Invitation.id.in_(ids)).options(
                    joinedload(Invitation.send), joinedload(Invitation.contact),
                    joinedload(Invitation.event).selectinload(Event.questions))).unique().scalars()}
        for message in messages:
            if "invitation_id" in (message.meta or {}):
                message.about = invitations[message.meta["invitation_id"]]
            else:
                message.about = sample_invitation(db.session.get(InvitationSend, message.meta["send_id"]),
                                                  message.recipient)

    def withdrawn(self, message) -> bool:
        # The event is off or over, or the address unsubscribed (or bounced) since the send was queued.
        invitation = message.about
        if _is_sample(message):
            return False
        event = invitation.event
        return (event.status == EventStatus.CANCELLED or event.ends_at <= utcnow()
                or contacts.is_suppressed(SuppressionChannel.EMAIL, invitation.contact.email_key))

    def placeholder_values(self, message, mailed: bool) -> dict:
        return placeholder_values(message.about)

    def mail(self, message, translations, locale: str, wording: Wording | None) -> Mail:
        invitation = message.about
        send, event = invitation.send, invitation.event
        values = placeholder_values(invitation)
        subject = fill(send.subject, values) if send.subject else \
            translations.gettext(DEFAULT_SUBJECT) % {"title": event.title}
        if message.kind == MessageKind.TEST:
            subject = f"[{translations.gettext('Test')}] {subject}"
        body_md = fill(send.body_md or "", values)
        when, zone = schedule(event)
        context = {"message": message, "invitation": invitation, "event": event, "locale": locale,
                   "person": prefilled(invitation.contact), "greeting_name": invitation.contact.greeting_name,
                   "preheader": fill(send.preheader or "", values),
                   "body_html": render_markdown(body_md), "body_text": body_md, "when": when, "zone": zone,
                   "where": venue_of(event), "questions": embedded_questions(event),
                   "may_be_forwarded": may_be_forwarded(invitation),
                   "organisation_name": db.session.get(Organisation, event.organisation_id).name,
                   "action_url": invitation_url(invitation.token), "decline_url": decline_url(invitation.token)}
        return Mail(subject=subject, template="emails/invitation", context=context,
                    sender_name=send.sender_name or "")

    def sms(self, message, translations, wording: Wording | None) -> str:
        raise LookupError("invitations go by email only")


register_content([MessageKind.INVITATION], InvitationMessages())


def preview(send: InvitationSend) -> tuple[str, str, str]:
    """(subject, HTML, text) of the send's invitation, filled in for the sample invitee (Alex Example): what the
    back office's preview shows. Nothing is saved or queued."""
    message = Message(kind=MessageKind.INVITATION, channel="email", event_id=send.event_id,
                      organisation_id=send.organisation_id, recipient=SAMPLE_EMAIL,
                      recipient_name=person_name(SAMPLE_PERSON['first_name'], SAMPLE_PERSON['last_name']),
                      idempotency_key="preview", meta={"send_id": send.id, "sample": True},
                      language=reader_language(send.event, ""))  # transient; in the event's first language
    message.about = sample_invitation(send)
    composed = compose(message)
    html = composed.mail.parsed().get_body(("html",)).get_content()
    return composed.subject, html, composed.text
