"""Unsubscribing from marketing email (the link in every marketing mail, its RFC 8058 one-click POST), and the
suppression list as marketing mail meets it: an unsubscribed or bounced address gets no more marketing mail, while
mail about the person's own registrations still goes.

The list is installation-wide (one row per address, see contacts.models.Suppression): an unsubscribe stops
marketing mail from every organisation that sends through this installation, and the page says so."""
import enum
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from eventapp import signals
from eventapp.accounts.models import Organisation
from eventapp.contacts.models import ConsentRecord, Contact, Suppression, SuppressionChannel, SuppressionReason
from eventapp.contacts.normalisation import InvalidInput, normalise_email
from eventapp.contacts.operations import suppress
from eventapp.core.i18n import DEFAULT_LANGUAGE, normalise_language
from eventapp.core.time import utcnow
from eventapp.core.tokens import sign, unsign
from eventapp.extensions import db
from eventapp.messaging.links import public_base_url
from eventapp.messaging.models import Message

UNSUBSCRIBE_PURPOSE = "unsubscribe"
MARKETING_EMAIL = "marketing_email"  # the purpose marketing consent is recorded under (registration's sign-up)
WITHDRAWAL_VERSION = "unsubscribe-1"  # the text_version of a withdrawal's ConsentRecord
MAX_ROW_ID = 2**31 - 1


class UnsubscribeSource(enum.StrEnum):
    ONE_CLICK = "one-click"  # the mail client's POST (RFC 8058), body List-Unsubscribe=One-Click
    PAGE = "page"  # the button on /unsubscribe/<token>


@dataclass(frozen=True)
class UnsubscribeLink:
    """What a signed unsubscribe link names: the mail it came in, its organisation and the address (email key)."""
    message_id: int
    organisation_id: int
    address: str

    @property
    def masked_address(self) -> str:
        """a•••@example.com: enough for the person to recognise, not enough for whoever sees the page."""
        local, _at, domain = self.address.rpartition("@")
        return f"{local[:1]}•••@{domain}"


def email_key(address: str) -> str:
    """What two spellings of one mailbox share (the suppression list's key); an outbox address was valid when it
    was queued, so the fallback only guards against an odd old row."""
    try:
        return normalise_email(address).key
    except InvalidInput:
        return address.strip().lower()


def unsubscribe_token(message: Message) -> str:
    # No expiry: people unsubscribe from old mail too.
    return sign(UNSUBSCRIBE_PURPOSE, {"m": message.id, "o": message.organisation_id, "a": email_key(message.recipient)})


def unsubscribe_url(message: Message) -> str:
    return f"{public_base_url()}/unsubscribe/{unsubscribe_token(message)}"


def list_unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369's List-Unsubscribe with RFC 8058's one-click POST. No mailto: nothing reads a mailbox here."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def link_for(token: str) -> UnsubscribeLink | None:
    """The link a token names, or None when it is forged, altered or made for something else."""
    value = unsign(UNSUBSCRIBE_PURPOSE, token or "") if len(token or "") <= 1000 else None
    if not isinstance(value, dict):
        return None
    message_id, organisation_id, address = value.get("m"), value.get("o"), value.get("a")
    if not (_row_id(message_id) and _row_id(organisation_id) and isinstance(address, str) and "@" in address):
        return None
    return UnsubscribeLink(message_id=message_id, organisation_id=organisation_id, address=address[:320])


def _row_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ROW_ID


def is_unsubscribed(link: UnsubscribeLink) -> bool:
    return _suppression_of(link.address) is not None


def _suppression_of(address: str) -> Suppression | None:
    return db.session.execute(sa.select(Suppression).where(Suppression.channel == SuppressionChannel.EMAIL,
                                                           Suppression.address == address)).scalar_one_or_none()


def unsubscribe(link: UnsubscribeLink, source: UnsubscribeSource, ip_address: str = "", user_agent: str = "") -> bool:
    """Stop marketing mail to the link's address at once (before the next send), withdraw the contact's marketing
    consent with a record of it (GDPR Art. 7(3): as easy as giving it) and tell the timeline; False when there was
    nothing left to change (a second click)."""
    suppressed = suppress(SuppressionChannel.EMAIL, link.address, SuppressionReason.UNSUBSCRIBED,
                          source=f"{source} message:{link.message_id}")
    contact = db.session.execute(sa.select(Contact).where(Contact.organisation_id == link.organisation_id,
                                                          Contact.email_key == link.address)).scalar_one_or_none()
    withdrawn = contact is not None and contact.marketing_consent
    if withdrawn:
        _withdraw_consent(contact, source, ip_address, user_agent)
    if not (suppressed or withdrawn):
        return False
    message = db.session.get(Message, link.message_id)  # gone when the person was erased since
    signals.unsubscribed.send(signals.Unsubscribe(
        organisation_id=link.organisation_id, contact_id=contact.id if contact is not None else None,
        address=link.address, source=str(source), occurred_at=utcnow(), message_id=link.message_id,
        event_id=message.event_id if message is not None else None))
    return True


def _withdraw_consent(contact: Contact, source: UnsubscribeSource, ip_address: str, user_agent: str) -> None:
    contact.marketing_consent = False
    db.session.add(ConsentRecord(
        contact=contact, purpose=MARKETING_EMAIL, granted=False, text_version=WITHDRAWAL_VERSION,
        text=_("Unsubscribed from marketing email."), source=f"unsubscribe:{source}",
        language=str(get_locale() or "en"), ip_address=ip_address[:64], user_agent=user_agent[:300]))


def marketing_refusal(message: Message) -> str | None:
    """Why a marketing mail may not go to its address (it unsubscribed, bounced or complained), or None."""
    suppression = _suppression_of(email_key(message.recipient))
    if suppression is None:
        return None
    return _("Not sent: this address is on the suppression list (%(reason)s) and gets no marketing email.",
             reason=SuppressionReason(suppression.reason).label)


def suppress_bounced(message: Message, code: int) -> bool:
    """The receiving server refused the address for good (an SMTP 5xx): no more marketing mail goes to it."""
    return suppress(SuppressionChannel.EMAIL, email_key(message.recipient), SuppressionReason.BOUNCED,
                    keyword=str(code), source=f"smtp:{code}")


def page_language(link: UnsubscribeLink, asked: str | None) -> str:
    """The unsubscribe page's language: the one the visitor chose with its switch, else the mail's (its reader's),
    else the organisation's."""
    chosen = normalise_language(asked)
    if chosen:
        return chosen
    message = db.session.get(Message, link.message_id)
    organisation = db.session.get(Organisation, link.organisation_id)
    return normalise_language(message.language if message is not None else "") or \
        (organisation.language if organisation is not None else "") or DEFAULT_LANGUAGE
