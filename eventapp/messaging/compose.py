"""Composing a message: the content its feature registered writes what it says (see messaging.content); here it
is rendered, with the organiser's wording where there is one, into the mail (text, HTML, inline image, calendar
entry) or the SMS text."""
import functools
import struct
import zlib
from dataclasses import dataclass

import zxingcpp
from flask import current_app
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from eventapp.messaging.content import content_for, load_about, spoken_kind, wording_for
from eventapp.messaging.email import OutgoingMail, build_mail
from eventapp.messaging.models import Message


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
    """The mail for one outbox row, as its feature's content writes it: text and HTML, an inline image and a
    calendar entry where it has them. `message.about` is loaded (see messaging.content.load_about)."""
    if message.about is None:
        load_about([message])
    kind = spoken_kind(message)
    content = content_for(kind)
    translations = get_translations()
    written = content.mail(message, translations, str(get_locale() or "en"),
                           wording_for(message, kind, content, known_templates))
    context = {**written.context, **_template_gettext(translations)}
    text = _render(f"{written.template}.txt", context)
    html = _render(f"{written.template}.html", context)
    subject = written.subject
    mail = build_mail(sender=current_app.config["MAIL_FROM"], recipient=message.recipient, subject=subject,
                      key=message.idempotency_key, text=text, html=html,
                      inline_image=written.inline_image,
                      calendar=written.calendar)
    return ComposedEmail(mail=mail, subject=subject, text=text)


def compose_email(message: Message) -> OutgoingMail:
    return compose(message).mail


def compose_sms(message: Message, known_templates: dict | None = None) -> str:
    if message.about is None:
        load_about([message])
    kind = spoken_kind(message)
    content = content_for(kind)
    return content.sms(message, get_translations(), wording_for(message, kind, content, known_templates))
