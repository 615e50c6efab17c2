"""What each message says: subject, plain text, HTML, the QR ticket inline and the calendar entry attached."""
import io
import re
from email.message import EmailMessage

import qrcode
import sqlalchemy as sa
from PIL import Image
from flask import current_app, render_template
from flask_babel import gettext as _

from eventapp.messaging.email import base_message
from eventapp.messaging.models import Message, MessageKind
from eventapp.messaging.tickets import calendar_for

# Kinds whose mail carries the QR ticket and a calendar entry the calendar should add or move.
WITH_TICKET = {MessageKind.CONFIRMATION, MessageKind.APPROVED, MessageKind.PROMOTED, MessageKind.REMINDER,
               MessageKind.EVENT_UPDATED}
# Kinds whose calendar entry tells calendars to remove the event.
WITH_CANCEL = {MessageKind.CANCELLED, MessageKind.EVENT_CANCELLED}


def subject_for(kind: str, title: str) -> str:
    return {
        MessageKind.CONFIRMATION: _("You're registered: %(title)s", title=title),
        MessageKind.PENDING: _("We received your sign-up: %(title)s", title=title),
        MessageKind.WAITLISTED: _("You're on the waiting list: %(title)s", title=title),
        MessageKind.APPROVED: _("Your place is confirmed: %(title)s", title=title),
        MessageKind.DECLINED: _("About your sign-up: %(title)s", title=title),
        MessageKind.PROMOTED: _("A seat opened up, you're in: %(title)s", title=title),
        MessageKind.CANCELLED: _("Your registration is cancelled: %(title)s", title=title),
        MessageKind.ALREADY_REGISTERED: _("Your registration: %(title)s", title=title),
        MessageKind.REMINDER: _("Reminder: %(title)s", title=title),
        MessageKind.EVENT_UPDATED: _("Updated: %(title)s", title=title),
        MessageKind.EVENT_CANCELLED: _("Cancelled: %(title)s", title=title),
        MessageKind.TEST: _("Test message: %(title)s", title=title),
    }[MessageKind(kind)]


def intro_for(kind: str) -> str:
    return {
        MessageKind.CONFIRMATION: _("You're registered. Show the QR code below at the entrance."),
        MessageKind.PENDING: _("Thank you for signing up. The organisers review each sign-up and will let you "
                               "know."),
        MessageKind.WAITLISTED: _("The event is full, so you are on the waiting list. If a seat frees up, it goes "
                                  "to the next person on the list and we will tell you at once."),
        MessageKind.APPROVED: _("Good news: the organisers approved your sign-up. Show the QR code below at the "
                                "entrance."),
        MessageKind.DECLINED: _("Thank you for your interest. Unfortunately the organisers could not offer you a "
                                "place at this event."),
        MessageKind.PROMOTED: _("A seat opened up and it is yours. Show the QR code below at the entrance."),
        MessageKind.CANCELLED: _("Your registration is cancelled, as you asked. We hope to see you another time."),
        MessageKind.ALREADY_REGISTERED: _("Someone (probably you) tried to sign up again with this address. You are "
                                          "already registered; here is the link to your registration."),
        MessageKind.REMINDER: _("This is a reminder that the event is coming up. Your ticket is below."),
        MessageKind.EVENT_UPDATED: _("The organisers changed the time or place of this event. The details below "
                                     "are the new ones; the attached calendar entry updates your calendar."),
        MessageKind.EVENT_CANCELLED: _("We are sorry: this event has been cancelled. The attached calendar entry "
                                       "removes it from your calendar."),
        MessageKind.TEST: _("This is a test of how this message looks."),
    }[MessageKind(kind)]


def sms_text_for(kind: str, title: str, manage_url: str) -> str:
    return {
        MessageKind.CONFIRMATION: _("You're registered for %(title)s. Ticket: %(url)s", title=title, url=manage_url),
        MessageKind.PENDING: _("We received your sign-up for %(title)s: %(url)s", title=title, url=manage_url),
        MessageKind.WAITLISTED: _("You're on the waiting list for %(title)s: %(url)s", title=title, url=manage_url),
        MessageKind.APPROVED: _("Your place at %(title)s is confirmed. Ticket: %(url)s", title=title, url=manage_url),
        MessageKind.DECLINED: _("Sorry, no place at %(title)s this time.", title=title),
        MessageKind.PROMOTED: _("A seat opened up at %(title)s, you're in. Ticket: %(url)s", title=title,
                                url=manage_url),
        MessageKind.CANCELLED: _("Your registration for %(title)s is cancelled.", title=title),
        MessageKind.ALREADY_REGISTERED: _("You're already registered for %(title)s: %(url)s", title=title,
                                          url=manage_url),
        MessageKind.REMINDER: _("Reminder: %(title)s is coming up. Ticket: %(url)s", title=title, url=manage_url),
        MessageKind.EVENT_UPDATED: _("%(title)s has changed time or place: %(url)s", title=title, url=manage_url),
        MessageKind.EVENT_CANCELLED: _("%(title)s has been cancelled.", title=title),
        MessageKind.TEST: _("Test message for %(title)s", title=title),
    }[MessageKind(kind)]


PLACEHOLDERS = {
    "first_name": "The attendee's first name",
    "last_name": "The attendee's last name",
    "company": "The attendee's company",
    "event_title": "The event's title",
    "event_date": "The day of the event, in its time zone",
    "event_time": "The start time, in the event's time zone",
    "venue": "The venue's name and address",
    "manage_url": "The link to see, change or cancel the registration",
    "ticket_code": "The ticket's code (what the QR code holds)",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholder_values(registration) -> dict:
    from eventapp.core.templating import local_date, local_time

    event, contact = registration.event, registration.contact
    return {"first_name": contact.first_name, "last_name": contact.last_name, "company": contact.company,
            "event_title": event.title, "event_date": local_date(event.starts_at, event.timezone),
            "event_time": local_time(event.starts_at, event.timezone),
            "venue": ", ".join(part for part in (event.venue_name, event.venue_address) if part),
            "manage_url": manage_url(registration), "ticket_code": registration.ticket_secret}


def fill(text: str, values: dict) -> str:
    """Replace {placeholder}s; anything else in braces is left as written (no format-string tricks)."""
    return _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), text)


def template_for(event_id: int, kind: str):
    from eventapp.extensions import db
    from eventapp.messaging.models import MessageTemplate

    return db.session.execute(sa.select(MessageTemplate).where(MessageTemplate.event_id == event_id,
                                                               MessageTemplate.kind == kind)).scalar_one_or_none()


def wording(message: Message) -> tuple[str, str, str]:
    """(subject, intro, sms text): the organiser's version for this event where there is one, else ours."""
    registration, event = message.registration, message.event
    kind = message.meta.get("as_kind", message.kind)
    override = template_for(event.id, kind)
    values = placeholder_values(registration) if override is not None else {}  # dates cost: only when used
    subject = fill(override.subject, values) if override and override.subject else subject_for(kind, event.title)
    intro = fill(override.body, values) if override and override.body else intro_for(kind)
    sms = fill(override.sms_text, values) if override and override.sms_text else \
        sms_text_for(kind, event.title, manage_url(registration))
    if message.kind == MessageKind.TEST:
        subject, sms = f"[{_('Test')}] {subject}", f"[{_('Test')}] {sms}"
    return subject, intro, sms


def manage_url(registration) -> str:
    return f"{public_base_url()}/r/{registration.manage_token}"


def public_base_url() -> str:
    return current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"


def qr_png(secret: str, scale: int = 8) -> bytes:
    """The ticket's QR code as a PNG. A fixed mask pattern (trying all eight to pick the "best" tripled the cost;
    scanners read any of them), and one pixel per module scaled up at once instead of drawing each box."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, mask_pattern=0)
    code.add_data(secret)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    image = Image.new("L", (size, size))
    image.putdata([0 if dark else 255 for row in matrix for dark in row])
    buffer = io.BytesIO()
    image.resize((size * scale, size * scale), Image.Resampling.NEAREST).save(buffer, format="PNG")
    return buffer.getvalue()


def compose_email(message: Message) -> EmailMessage:
    registration, event = message.registration, message.event
    kind = MessageKind(message.meta.get("as_kind", message.kind))
    subject, intro, _sms = wording(message)
    context = {"message": message, "registration": registration, "event": event, "contact": registration.contact,
               "intro": intro, "manage_url": manage_url(registration),
               "with_ticket": kind in WITH_TICKET and registration.status == "confirmed", "qr_cid": None}
    email = base_message(sender=current_app.config["MAIL_FROM"], recipient=message.recipient, subject=subject,
                         key=message.idempotency_key)
    email.set_content(render_template("emails/registration.txt", **context))
    qr = None
    if context["with_ticket"]:
        qr = qr_png(registration.ticket_secret)
        context["qr_cid"] = "ticket-qr@eventapp"
    email.add_alternative(render_template("emails/registration.html", **context), subtype="html")
    if qr is not None:
        email.get_payload()[1].add_related(qr, "image", "png", cid=f"<{context['qr_cid']}>",
                                           filename="ticket.png", disposition="inline")
    if kind in WITH_TICKET | WITH_CANCEL and (context["with_ticket"] or kind in WITH_CANCEL):
        method = "CANCEL" if kind in WITH_CANCEL else "REQUEST"
        ics = calendar_for(registration, context["manage_url"], sequence=message.meta.get("sequence", 0),
                           method=method)
        email.add_attachment(ics, maintype="text", subtype="calendar", filename="invite.ics",
                             params={"method": method, "charset": "utf-8"})
    return email


def compose_sms(message: Message) -> str:
    return wording(message)[2]
