"""What each message says: subject, plain text, HTML, the QR ticket inline and the calendar entry attached."""
import functools
import re
import struct
import zlib
from dataclasses import dataclass

import sqlalchemy as sa
import zxingcpp
from flask import current_app
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from eventapp.core.tokens import sign, tag
from eventapp.messaging.email import OutgoingMail, build_mail
from eventapp.messaging.models import Message, MessageKind
from eventapp.messaging.tickets import calendar_for

# Kinds whose mail carries the QR ticket and a calendar entry the calendar should add or move.
WITH_TICKET = {MessageKind.CONFIRMATION, MessageKind.APPROVED, MessageKind.PROMOTED, MessageKind.REMINDER,
               MessageKind.EVENT_UPDATED}
# Kinds whose calendar entry tells calendars to remove the event.
WITH_CANCEL = {MessageKind.CANCELLED, MessageKind.EVENT_CANCELLED}
QR_CID = "ticket-qr@eventapp"


def N_(text: str) -> str:
    """Marks a text for the catalogue (N_ is one of Babel's default keywords) without translating it here: it is
    translated when a message is composed, with the catalogue of the reader's language looked up once per message
    (Flask-Babel's gettext looks the locale and catalogue up again for each text)."""
    return text


SUBJECTS = {
    MessageKind.CONFIRMATION: N_("You're registered: %(title)s"),
    MessageKind.PENDING: N_("We received your sign-up: %(title)s"),
    MessageKind.WAITLISTED: N_("You're on the waiting list: %(title)s"),
    MessageKind.APPROVED: N_("Your place is confirmed: %(title)s"),
    MessageKind.DECLINED: N_("About your sign-up: %(title)s"),
    MessageKind.PROMOTED: N_("A seat opened up, you're in: %(title)s"),
    MessageKind.CANCELLED: N_("Your registration is cancelled: %(title)s"),
    MessageKind.ALREADY_REGISTERED: N_("Your registration: %(title)s"),
    MessageKind.REMINDER: N_("Reminder: %(title)s"),
    MessageKind.EVENT_UPDATED: N_("Updated: %(title)s"),
    MessageKind.EVENT_CANCELLED: N_("Cancelled: %(title)s"),
    MessageKind.TEST: N_("Test message: %(title)s"),
    MessageKind.CONSENT_CONFIRMATION: N_("Please confirm: news of future events like %(title)s"),
}

INTROS = {
    MessageKind.CONFIRMATION: N_("You're registered. Show the QR code below at the entrance."),
    MessageKind.PENDING: N_("Thank you for signing up. The organisers review each sign-up and will let you know."),
    MessageKind.WAITLISTED: N_("The event is full, so you are on the waiting list. If a seat frees up, it goes to the "
                               "next person on the list and we will tell you at once."),
    MessageKind.APPROVED: N_("Good news: the organisers approved your sign-up. Show the QR code below at the "
                             "entrance."),
    MessageKind.DECLINED: N_("Thank you for your interest. Unfortunately the organisers could not offer you a place "
                             "at this event."),
    MessageKind.PROMOTED: N_("A seat opened up and it is yours. Show the QR code below at the entrance."),
    MessageKind.CANCELLED: N_("Your registration is cancelled, as you asked. We hope to see you another time."),
    MessageKind.ALREADY_REGISTERED: N_("Someone (probably you) tried to sign up again with this address. You are "
                                       "already registered; here is the link to your registration."),
    MessageKind.REMINDER: N_("This is a reminder that the event is coming up. Your ticket is below."),
    MessageKind.EVENT_UPDATED: N_("The organisers changed the time or place of this event. The details below are "
                                  "the new ones; the attached calendar entry updates your calendar."),
    MessageKind.EVENT_CANCELLED: N_("We are sorry: this event has been cancelled. The attached calendar entry "
                                    "removes it from your calendar."),
    MessageKind.TEST: N_("This is a test of how this message looks."),
    MessageKind.CONSENT_CONFIRMATION: N_("When you signed up for the event below, you asked to hear about future "
                                         "events by email. Please confirm with the button below: until you do, we "
                                         "send you no such mail. If it was not you, ignore this message and nothing "
                                         "more will come."),
}

SMS_TEXTS = {
    MessageKind.CONFIRMATION: N_("You're registered for %(title)s. Ticket: %(url)s"),
    MessageKind.PENDING: N_("We received your sign-up for %(title)s: %(url)s"),
    MessageKind.WAITLISTED: N_("You're on the waiting list for %(title)s: %(url)s"),
    MessageKind.APPROVED: N_("Your place at %(title)s is confirmed. Ticket: %(url)s"),
    MessageKind.DECLINED: N_("Sorry, no place at %(title)s this time."),
    MessageKind.PROMOTED: N_("A seat opened up at %(title)s, you're in. Ticket: %(url)s"),
    MessageKind.CANCELLED: N_("Your registration for %(title)s is cancelled."),
    MessageKind.ALREADY_REGISTERED: N_("You're already registered for %(title)s: %(url)s"),
    MessageKind.REMINDER: N_("Reminder: %(title)s is coming up. Ticket: %(url)s"),
    MessageKind.EVENT_UPDATED: N_("%(title)s has changed time or place: %(url)s"),
    MessageKind.EVENT_CANCELLED: N_("%(title)s has been cancelled."),
    MessageKind.TEST: N_("Test message for %(title)s"),
}


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


def placeholder_values(registration, mailed: bool = False) -> dict:
    from eventapp.core.templating import local_date, local_time

    event = registration.event
    return {"first_name": registration.first_name, "last_name": registration.last_name,
            "company": registration.company,
            "event_title": event.title, "event_date": local_date(event.starts_at, event.timezone),
            "event_time": local_time(event.starts_at, event.timezone),
            "venue": ", ".join(part for part in (event.venue_name, event.venue_address) if part),
            "manage_url": manage_url(registration, mailed), "ticket_code": registration.ticket_secret}


def fill(text: str, values: dict) -> str:
    """Replace {placeholder}s; anything else in braces is left as written (no format-string tricks)."""
    return _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), text)


def template_for(event_id: int, kind: str, known: dict | None = None):
    """The organiser's wording of this kind of message for this event, or None. `known` holds the answers already
    looked up (a batch of deliveries asks once per event and kind)."""
    from eventapp.extensions import db
    from eventapp.messaging.models import MessageTemplate

    if known is not None and (event_id, kind) in known:
        return known[event_id, kind]
    template = db.session.execute(sa.select(MessageTemplate).where(MessageTemplate.event_id == event_id,
                                                                   MessageTemplate.kind == kind)).scalar_one_or_none()
    if known is not None:
        known[event_id, kind] = template
    return template


def _organiser_wording(message: Message, known_templates: dict | None) -> tuple[str, object, dict]:
    """(the kind the message speaks as, the organiser's template for it or None, the placeholder values it fills)."""
    kind = MessageKind(message.meta.get("as_kind", message.kind))
    override = template_for(message.event.id, kind, known_templates)
    values = {}
    if override is not None:  # dates cost: only when used
        values = placeholder_values(message.registration, mailed=message.channel == "email")
    return kind, override, values


def mail_wording(message: Message, translations, known_templates: dict | None = None) -> tuple[str, str]:
    """(subject, intro): the organiser's version for this event where there is one, else ours in the reader's
    language (`translations`: their catalogue)."""
    kind, override, values = _organiser_wording(message, known_templates)
    subject = fill(override.subject, values) if override and override.subject else \
        translations.gettext(SUBJECTS[kind]) % {"title": message.event.title}
    intro = fill(override.body, values) if override and override.body else translations.gettext(INTROS[kind])
    if message.kind == MessageKind.TEST:
        subject = f"[{translations.gettext('Test')}] {subject}"
    return subject, intro


def sms_wording(message: Message, known_templates: dict | None = None) -> str:
    """The text message: the organiser's version for this event where there is one, else ours."""
    kind, override, values = _organiser_wording(message, known_templates)
    translations = get_translations()
    text = fill(override.sms_text, values) if override and override.sms_text else \
        translations.gettext(SMS_TEXTS[kind]) % {"title": message.event.title, "url": manage_url(message.registration)}
    if message.kind == MessageKind.TEST:
        text = f"[{translations.gettext('Test')}] {text}"
    return text


# A mailed manage link carries this tag of its token: opened from the mail, the page may update the person's
# profile, since only the address's owner reads that mail (the link shown after a sign-up proves nothing).
ADDRESS_PROOF = "address-proof"


# The double opt-in link: a signed consent record id (the page asks first; only its POST confirms).
CONSENT_LINK_PURPOSE = "consent-confirm"


def consent_url(record_id: int) -> str:
    return f"{public_base_url()}/consent/{sign(CONSENT_LINK_PURPOSE, record_id)}"


def manage_url(registration, mailed: bool = False) -> str:
    url = f"{public_base_url()}/r/{registration.manage_token}"
    return f"{url}?p={tag(ADDRESS_PROOF, registration.manage_token)}" if mailed else url


def public_base_url() -> str:
    return current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"


def qr_png(secret: str) -> bytes:
    """The ticket's QR code (level M, 4 modules of quiet zone) as a black-and-white PNG, 8 pixels per module.
    Encoded by zxing-cpp: the `qrcode` package's pure-Python Reed-Solomon was a quarter of delivering a mail."""
    code = zxingcpp.create_barcode(secret, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    return _png_one_bit(code.to_image(scale=1, add_quiet_zones=True))


def _png_one_bit(modules) -> bytes:
    """A PNG of a QR code given as one byte per module (0 black, 255 white, as zxing-cpp draws it at scale 1).
    At 1 bit per pixel and 8 pixels per module such a byte is already the module's 8 pixels, so each row of
    modules is a PNG row as it is, written 8 times: one zlib call, where drawing with Pillow took three times as
    long as computing the code."""
    rows, size = memoryview(modules).tobytes(), modules.shape[1]
    image = b"".join((b"\x00" + rows[at:at + size]) * 8 for at in range(0, len(rows), size))  # filter 0 per row
    header = struct.pack(">IIBBBBB", size * 8, size * 8, 1, 0, 0, 0, 0)  # width, height, 1 bit, greyscale
    # Level 4: for these images as small as the default level 6, in half the time.
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(image, 4)) + \
        _png_chunk(b"IEND", b"")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.lru_cache(maxsize=256)
def _schedule(starts_at, ends_at, zone: str, locale: str) -> tuple[str, str]:
    """("Wednesday, 23 December 2026, 13:00 – 17:00", "Europe/Berlin, UTC+01:00") in the reader's language.
    Formatted once per event time and language: Babel's date formatting was a visible share of every mail."""
    from eventapp.core.templating import local_date, local_time, zone_label

    return (f"{local_date(starts_at, zone)}, {local_time(starts_at, zone)} – {local_time(ends_at, zone)}",
            zone_label(zone, starts_at))


def _render(name: str, context: dict) -> str:
    """A mail template from the app's Jinja environment, rendered with `context` alone: a mail needs none of the
    request's context processors that render_template() runs for pages, nor Flask's template globals, which
    render() copies into every context (a fifth of rendering a mail). The context brings what the mail templates
    use, gettext included (see compose()); a template module turned into a string is its rendered text."""
    return str(current_app.jinja_env.get_template(name).make_module(context, shared=True))


@functools.lru_cache(maxsize=16)
def _template_gettext(translations) -> dict:
    """gettext and ngettext for a mail template, bound to the reader's catalogue: Flask-Babel's own look the locale
    and its catalogue up again for every string (two fifths of rendering a mail). Given in the template's context,
    they take the place of the app's; they behave like them (Jinja's "newstyle" gettext: marked safe in HTML, then
    always %-formatted with the keyword arguments, so translated text is escaped where the arguments are). `_` is
    gettext itself, not the i18n extension's alias that looks "gettext" up in the context again at every call.
    Made once per catalogue (Flask-Babel keeps one per language); callers must not change the dict."""
    @pass_context
    def gettext(context, message: str, **variables) -> str:
        text = translations.gettext(message)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    @pass_context
    def ngettext(context, singular: str, plural: str, number: int, **variables) -> str:
        variables.setdefault("num", number)
        text = translations.ngettext(singular, plural, number)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


@dataclass(frozen=True)
class ComposedEmail:
    mail: OutgoingMail  # the whole message, ready for SMTP
    subject: str
    text: str  # the plain-text body, as the message log shows it


def compose(message: Message, known_templates: dict | None = None) -> ComposedEmail:
    """The mail for one outbox row: text and HTML, the QR ticket inline, the calendar entry attached."""
    registration, event = message.registration, message.event
    kind = MessageKind(message.meta.get("as_kind", message.kind))
    translations = get_translations()
    subject, intro = mail_wording(message, translations, known_templates)
    locale = str(get_locale() or "en")
    when, zone = _schedule(event.starts_at, event.ends_at, event.timezone, locale)
    with_ticket = kind in WITH_TICKET and registration.status == "confirmed"
    context = {"message": message, "registration": registration, "event": event, "locale": locale, "intro": intro,
               "manage_url": manage_url(registration, mailed=True), "when": when, "zone": zone,
               "where": ", ".join(part for part in (event.venue_name, event.venue_address) if part),
               "with_ticket": with_ticket, "qr_cid": QR_CID if with_ticket else None,
               **_template_gettext(translations)}
    if kind == MessageKind.CONSENT_CONFIRMATION:  # the mail's one button confirms, instead of the manage link
        context["action_url"] = consent_url(message.meta["consent_record_id"])
        context["action_label"] = translations.gettext("Yes, email me about future events")
    text = _render("emails/registration.txt", context)
    html = _render("emails/registration.html", context)
    calendar = None
    if kind in WITH_CANCEL or with_ticket:
        method = "CANCEL" if kind in WITH_CANCEL else "REQUEST"
        calendar = (calendar_for(registration, context["manage_url"], sequence=message.meta.get("sequence", 0),
                                 method=method), method)
    mail = build_mail(sender=current_app.config["MAIL_FROM"], recipient=message.recipient, subject=subject,
                      key=message.idempotency_key, text=text, html=html,
                      inline_image=(qr_png(registration.ticket_secret), QR_CID) if with_ticket else None,
                      calendar=calendar)
    return ComposedEmail(mail=mail, subject=subject, text=text)


def compose_email(message: Message) -> OutgoingMail:
    return compose(message).mail


def compose_sms(message: Message, known_templates: dict | None = None) -> str:
    return sms_wording(message, known_templates)
