"""What contacts holds about a person, for a privacy request: the profile, tags, consent records and suppressions;
and the last step of an erasure, the contact row itself made anonymous (it stays, so counts made of it stay)."""
import sqlalchemy as sa
from flask_babel import gettext as _

from eventapp import signals
from eventapp.contacts.models import ConsentRecord, Contact, ContactTag, ImportRow, Suppression, SuppressionChannel
from eventapp.core.time import utcnow
from eventapp.extensions import db

PROFILE_FIELDS = ("email", "first_name", "last_name", "company", "job_title", "phone", "company_size", "industry",
                  "city", "marketing_consent", "origin", "referred_channel", "created_at", "updated_at")
# Blanked on erasure; email and email_key get a placeholder instead (the unique index needs one per contact).
ERASED_FIELDS = ("first_name", "last_name", "company", "job_title", "phone", "company_size", "industry", "city")


def erased_address(contact_id: int) -> str:
    """An address that is no one's (.invalid is reserved, RFC 2606) and unique per contact."""
    return f"erased-{contact_id}@invalid"


def suppressions_of(contact: Contact) -> list[Suppression]:
    """The do-not-contact entries on the person's address and number (the list is keyed by address, not contact)."""
    keys = [(SuppressionChannel.EMAIL, contact.email_key)]
    if contact.phone:
        keys.append((SuppressionChannel.SMS, contact.phone))
    return list(db.session.execute(
        sa.select(Suppression).where(sa.tuple_(Suppression.channel, Suppression.address).in_(keys))
        .order_by(Suppression.created_at)).scalars())


@signals.personal_data.connect
def _contact_data(ref: signals.ContactRef, **kwargs):
    contact = db.session.get(Contact, ref.contact_id)
    consents = db.session.execute(sa.select(ConsentRecord).where(ConsentRecord.contact_id == contact.id)
                                  .order_by(ConsentRecord.recorded_at)).scalars()
    return [
        signals.PersonalData(_("Profile"), [{name: getattr(contact, name) for name in PROFILE_FIELDS}]),
        signals.PersonalData(_("Tags"), [{"tag": tag.tag} for tag in contact.tags]),
        signals.PersonalData(_("Consent records"), [{
            "purpose": record.purpose, "granted": record.granted, "text_version": record.text_version,
            "text": record.text, "source": record.source, "language": record.language,
            "ip_address": record.ip_address, "user_agent": record.user_agent, "recorded_at": record.recorded_at,
            "confirmed_at": record.confirmed_at} for record in consents]),
        signals.PersonalData(_("Suppressions (do not contact)"), [{
            "channel": entry.channel, "address": entry.address, "reason": entry.reason, "keyword": entry.keyword,
            "source": entry.source, "created_at": entry.created_at} for entry in suppressions_of(contact)]),
    ]


@signals.contact_erasing.connect
def _erase_consents_tags_and_import_reports(ref: signals.ContactRef, **kwargs):
    # Consent records prove consent to marketing, which ends with the erasure; the tags are organisers' notes.
    db.session.execute(sa.delete(ConsentRecord).where(ConsentRecord.contact_id == ref.contact_id))
    db.session.execute(sa.delete(ContactTag).where(ContactTag.contact_id == ref.contact_id))
    # An import's report row may quote what the file said about them; the outcome stays for the import's counts.
    db.session.execute(sa.update(ImportRow).where(ImportRow.contact_id == ref.contact_id).values(reason=""))


def anonymise(contact: Contact, by_user_id: int | None = None) -> None:
    """The contact row with no personal data left: a placeholder address, blank names and profile, no consent. The
    row stays (registrations, check-ins and activities point at it, and funnels count them). Suppressions keep
    the address: honouring do-not-contact is why they exist (see docs/privacy.md)."""
    contact.email = contact.email_key = erased_address(contact.id)
    for name in ERASED_FIELDS:
        setattr(contact, name, "")
    contact.marketing_consent = False
    # Only the kind of origin (web, import, manual…): an import's file name may name the person's employer.
    contact.origin = contact.origin.split(":", 1)[0]
    contact.tags = []
    contact.erased_at, contact.erased_by_id = utcnow(), by_user_id
