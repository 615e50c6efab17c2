"""Finding and making contacts, their consents, and the suppression list."""
import sqlalchemy as sa

from eventapp import signals
from eventapp.contacts.models import ConsentRecord, Contact, Suppression, SuppressionChannel, SuppressionReason
from eventapp.contacts.normalisation import Email
from eventapp.core.persistence import insert_row
from eventapp.core.statements import dialect_insert
from eventapp.core.time import utcnow
from eventapp.extensions import db

CONTACT_DETAILS = ("first_name", "last_name", "company", "job_title", "phone")


def find_contact(organisation_id: int, email: Email) -> Contact | None:
    """The organisation's one contact for this address (two spellings of one mailbox find the same one)."""
    return db.session.scalars(_CONTACT_BY_EMAIL, {"organisation_id": organisation_id,
                                                  "email_key": email.key}).first()


_CONTACT_BY_EMAIL = sa.select(Contact).where(Contact.organisation_id == sa.bindparam("organisation_id"),
                                             Contact.email_key == sa.bindparam("email_key"))


def contact_for(organisation_id: int, email: Email, details: dict, contact: Contact | None = None) -> Contact:
    """The organisation's contact for this address, created with `details` when there is none. An existing contact
    is left as it is: whoever typed the address proved nothing, so what they typed belongs to what they made (a
    registration), not to the person's profile (see update_contact for the channels that prove the address)."""
    if contact is not None:
        return contact
    given = {name: details[name] for name in CONTACT_DETAILS if details.get(name)}
    contact = insert_row(Contact, {"organisation_id": organisation_id, "email": email.address,
                                   "email_key": email.key, **given})
    announce_change(contact)
    return contact


def update_contact(contact: Contact, details: dict, announce: bool = True) -> list[str]:
    """Bring the profile up to date with what the person told us through a channel that proves the address (a link
    mailed to it, the back office); the names of the fields that changed. Empty values do not erase. `announce`
    False: an import, which tells contacts_imported once for all its rows."""
    changed = [name for name in CONTACT_DETAILS if details.get(name) and details[name] != getattr(contact, name)]
    for name in changed:
        setattr(contact, name, details[name])
    if changed and announce:
        announce_change(contact, changed)
    return changed


def announce_change(contact: Contact, changed: list[str] | tuple = ()) -> None:
    """Tell the features above (leads: the profile fit of a score) that a contact was made or its profile changed
    (`changed`: the fields; empty for a new contact)."""
    db.session.flush()
    signals.contact_changed.send(signals.ContactChange(contact_id=contact.id, organisation_id=contact.organisation_id,
                                                       occurred_at=utcnow(), changed=tuple(changed)))


def record_consent(contact: Contact, *, purpose: str, text_version: str, text: str, source: str,
                   language: str, ip_address: str, user_agent: str, registration_id: int | None = None
                   ) -> ConsentRecord:
    """What was agreed to, when and where (GDPR Art. 7(1)). It counts once the address's owner confirms it (see
    confirm_consent): a ticked box on a public form proves nothing about who ticked it."""
    record = ConsentRecord(contact=contact, purpose=purpose, registration_id=registration_id,
                           granted=True, text_version=text_version, text=text, source=source, language=language,
                           ip_address=ip_address[:64], user_agent=user_agent[:300])
    db.session.add(record)
    db.session.flush()  # its id goes into the confirmation link
    return record


def confirm_consent(record: ConsentRecord) -> bool:
    """The address's owner followed the link mailed to it: from now on they may get marketing mail. False when it
    was confirmed already (a second click, a mail scanner after the person)."""
    if record.confirmed_at is not None:
        return False
    record.confirmed_at = utcnow()
    record.contact.marketing_consent = True
    return True


# ---- the suppression list --------------------------------------------------------------------------------------

def is_suppressed(channel: SuppressionChannel, address: str) -> bool:
    """Whether nothing may go to this address (an email key) or E.164 number on this channel."""
    return db.session.execute(sa.select(Suppression.id).where(
        Suppression.channel == channel, Suppression.address == address)).first() is not None


def suppress(channel: SuppressionChannel, address: str, reason: SuppressionReason, keyword: str = "",
             source: str = "") -> bool:
    """Put the address on the list at once; whether it was not on it before. One atomic statement, so two STOPs
    arriving together cannot collide on the unique (channel, address). `source`: where it came from (the page or
    the one-click POST and the mail, smtp:<code>, an import...)."""
    now = utcnow()
    values = {"channel": channel, "address": address, "reason": reason, "keyword": keyword[:40],
              "source": source[:200], "created_at": now}
    # RETURNING says whether the row went in (psycopg gives no row count for an ORM-enabled INSERT).
    added = db.session.execute(
        dialect_insert(Suppression).values(**values)
        .on_conflict_do_nothing(index_elements=[Suppression.channel, Suppression.address])
        .returning(Suppression.id)).first() is not None
    if added:
        signals.suppression_changed.send(signals.SuppressionChange(
            channel=channel, address=address, suppressed=True, keyword=keyword[:40], changed_at=now))
    return added


def lift_suppression(channel: SuppressionChannel, address: str, keyword: str = "") -> bool:
    """The person asked to hear from us again (an SMS START); whether the address was on the list."""
    lifted = db.session.execute(sa.delete(Suppression).where(
        Suppression.channel == channel, Suppression.address == address)).rowcount == 1
    if lifted:
        signals.suppression_changed.send(signals.SuppressionChange(
            channel=channel, address=address, suppressed=False, keyword=keyword[:40], changed_at=utcnow()))
    return lifted
