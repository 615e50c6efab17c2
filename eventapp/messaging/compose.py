"""Composing a message: the content its feature registered writes what it says (see messaging.content); here it
is rendered, with the organiser's wording where there is one, into the mail (text, HTML, inline image, calendar
entry) or the SMS text."""
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale, get_locale, get_translations

from eventapp.core.i18n import DEFAULT_LANGUAGE, normalise_language
from eventapp.messaging.content import (content_for, load_about, spoken_kind, template_for, wording_for,
                                        written_language)
from eventapp.messaging.email import OutgoingMail, build_mail
from eventapp.messaging.links import public_base_url  # noqa: F401  (where the features import it from)
from eventapp.messaging.models import Message, is_marketing
from eventapp.messaging.tracking import track_engagement
from eventapp.messaging.unsubscribe import list_unsubscribe_headers, unsubscribe_url


def _render(name: str, context: dict, locale: str) -> str:
    """A mail template rendered by the app's Jinja environment in the reader's language: its gettext is
    Flask-Babel's (installed in the environment), with the reader's locale forced for the mail."""
    with force_locale(locale):
        return current_app.jinja_env.get_template(name).render(context)


@dataclass(frozen=True)
class ComposedEmail:
    mail: OutgoingMail  # the whole message, ready for SMTP
    subject: str
    text: str  # the plain-text body, as the message log shows it


def message_language(message: Message, known_templates: dict | None = None) -> str:
    """The language a message is composed in: the one the organiser's own wording of it is written in, if they
    wrote it in one language (see messaging.content.written_language), else the reader's the row was queued in,
    else the app's default."""
    template = template_for(message.event_id, spoken_kind(message), known_templates) \
        if message.event_id is not None else None
    written = ""
    if template is not None:
        written = written_language(template.sms_text) if message.channel == "sms" else \
            written_language(template.subject, template.body)
    return written or normalise_language(message.language) or DEFAULT_LANGUAGE


def compose(message: Message, known_templates: dict | None = None) -> ComposedEmail:
    """The mail for one outbox row in its reader's language (subject, text, dates, the calendar entry's texts),
    as its feature's content writes it: text and HTML, an inline image and a calendar entry where it has them."""
    known = {} if known_templates is None else known_templates  # the wording is looked up once
    with force_locale(message_language(message, known)):
        return _compose(message, known)


def _compose(message: Message, known_templates: dict | None = None) -> ComposedEmail:
    # `message.about` is loaded here when the caller has not (see messaging.content.load_about).
    if message.about is None:
        load_about([message])
    kind = spoken_kind(message)
    content = content_for(kind)
    translations = get_translations()
    locale = str(get_locale() or "en")
    written = content.mail(message, translations, locale, wording_for(message, kind, content, known_templates))
    context, headers, unsubscribe = written.context, {}, ""
    if is_marketing(kind):  # a test send of a marketing mail reads as the real one
        unsubscribe = unsubscribe_url(message)
        context, headers = {**context, "unsubscribe_url": unsubscribe}, list_unsubscribe_headers(unsubscribe)
    text = _render(f"{written.template}.txt", context, locale)
    html = _render(f"{written.template}.html", context, locale)
    if unsubscribe and is_marketing(message.kind):  # only real sends: a test's opens are nobody's engagement
        html = track_engagement(html, message.id, untracked=frozenset({unsubscribe}))
    subject = written.subject
    mail = build_mail(sender=current_app.config["MAIL_FROM"], sender_name=written.sender_name,
                      recipient=message.recipient,
                      recipient_name=message.recipient_name, subject=subject, key=message.idempotency_key,
                      text=text, html=html, inline_image=written.inline_image, calendar=written.calendar,
                      raw_headers=headers)
    return ComposedEmail(mail=mail, subject=subject, text=text)


def compose_email(message: Message) -> OutgoingMail:
    return compose(message).mail


def compose_sms(message: Message, known_templates: dict | None = None) -> str:
    """The text message for one outbox row, in its reader's language."""
    if message.about is None:
        load_about([message])
    kind = spoken_kind(message)
    content = content_for(kind)
    known = {} if known_templates is None else known_templates
    with force_locale(message_language(message, known)):
        return content.sms(message, get_translations(), wording_for(message, kind, content, known))
