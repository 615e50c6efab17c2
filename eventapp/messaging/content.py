"""What a message says is its feature's business: each feature registers, per kind of message, the object that
loads what its messages are about and writes their mail and SMS (registration/notifications.py does so for the
registration mails). Messaging calls it without importing the feature, and adds what every message shares: the
organiser's own wording with its {placeholders}, rendering, MIME and the backends."""
import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.messaging.models import MessageTemplate


@dataclass(frozen=True)
class Mail:
    """What a feature's content gives for one mail: messaging renders the templates and builds the MIME."""
    subject: str
    template: str  # "emails/registration": rendered as .txt for the plain part and .html for the HTML part
    context: dict  # what the templates use
    inline_image: tuple[bytes, str] | None = None  # (PNG, Content-ID) the HTML shows
    calendar: tuple[bytes, str] | None = None  # (.ics, its METHOD)
    sender_name: str = ""  # the From: display name for this mail (an invitation's sender); "" keeps MAIL_FROM's


@dataclass(frozen=True)
class Wording:
    """The organiser's version of one kind of message at one event, with the values its placeholders take."""
    subject: str = ""
    body: str = ""
    sms_text: str = ""
    values: dict = field(default_factory=dict)

    def fill(self, text: str) -> str:
        return fill(text, self.values)


class MessageContent:
    """The base of a feature's content for its kinds of message. `placeholders` documents, for organisers, the
    {names} their own wording may use (name → what it stands for)."""

    placeholders: dict[str, str] = {}

    def load(self, messages: list) -> None:
        """Set `message.about` for each of these claimed messages (at once: a worker claims a batch)."""

    def withdrawn(self, message) -> bool:
        """True when, by the time it is delivered, the message should no longer go (it is then cancelled)."""
        return False

    def placeholder_values(self, message, mailed: bool) -> dict:
        return {}

    def mail(self, message, translations, locale: str, wording: Wording | None) -> Mail:
        raise NotImplementedError

    def sms(self, message, translations, wording: Wording | None) -> str:
        raise NotImplementedError


_CONTENT: dict[str, MessageContent] = {}


def register_content(kinds, content: MessageContent) -> None:
    """Called by a feature when it is imported: its `content` writes the messages of these kinds."""
    for kind in kinds:
        _CONTENT[str(kind)] = content


def content_for(kind: str) -> MessageContent:
    try:
        return _CONTENT[str(kind)]
    except KeyError:
        raise LookupError(f"no feature writes messages of kind {kind!r}") from None


def spoken_kind(message) -> str:
    """The kind a message speaks as: its own, or for a test send the kind it is a test of."""
    return message.meta.get("as_kind", message.kind) if message.meta else message.kind


def load_about(messages: list) -> None:
    """Each feature loads what its messages (of this batch) are about, one call per feature."""
    by_content: dict[int, tuple[MessageContent, list]] = {}
    for message in messages:
        content = content_for(spoken_kind(message))
        by_content.setdefault(id(content), (content, []))[1].append(message)
    for content, theirs in by_content.values():
        content.load(theirs)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholders_in(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text or ""))


def fill(text: str, values: dict) -> str:
    """Replace {placeholder}s; anything else in braces is left as written (no format-string tricks)."""
    return _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), text)


def template_for(event_id: int, kind: str, known: dict | None = None):
    """The organiser's wording of this kind of message for this event, or None. `known` holds the answers already
    looked up (a batch of deliveries asks once per event and kind)."""
    if known is not None and (event_id, kind) in known:
        return known[event_id, kind]
    template = db.session.execute(sa.select(MessageTemplate).where(MessageTemplate.event_id == event_id,
                                                                   MessageTemplate.kind == kind)).scalar_one_or_none()
    if known is not None:
        known[event_id, kind] = template
    return template


def wording_for(message, kind: str, content: MessageContent, known_templates: dict | None = None) -> Wording | None:
    """The organiser's wording of `kind` for the message's event, with its placeholder values, or None."""
    if message.event_id is None:
        return None
    template = template_for(message.event_id, kind, known_templates)
    if template is None:
        return None
    # Filling in costs (dates are formatted): only when the organiser wrote their own.
    return Wording(subject=template.subject, body=template.body, sms_text=template.sms_text,
                   values=content.placeholder_values(message, mailed=message.channel == "email"))


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def written_language(*texts: str) -> str:
    """The one language an organiser wrote their wording in: "zh_Hans" for Chinese (a few Latin brand names or
    acronyms allowed), "en" for text without Chinese, "" for none or for both side by side. A mail is composed in
    it, so its own texts around the wording (greeting, labels, links) never wrap English around Chinese words."""
    text = " ".join(part for part in texts if part)
    han, latin = len(_HAN.findall(text)), len(_LATIN.findall(text))
    if not han:
        return "en" if latin else ""
    # A Chinese character carries about a word: far more Latin letters than two per character is a second text.
    return "zh_Hans" if latin <= 2 * han else ""
