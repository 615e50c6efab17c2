"""Contacts and their activity timeline."""
from datetime import datetime

import sqlalchemy as sa

from eventapp.core.people import Email
from eventapp.core.persistence import Prepared, insert_row, load_rows, select_all_columns
from eventapp.core.time import utcnow
from eventapp.extensions import db
from eventapp.leads.models import ActivityKind, Channel, ConsentRecord, Contact, LeadActivity

CONTACT_DETAILS = ("first_name", "last_name", "company", "job_title", "phone")


def find_contact(organisation_id: int, email: Email) -> Contact | None:
    found = load_rows(Contact, _CONTACT_BY_EMAIL, {"organisation_id": organisation_id, "email_key": email.key})
    return found[0] if found else None


_CONTACT_BY_EMAIL = select_all_columns(Contact, Contact.organisation_id == sa.bindparam("organisation_id"),
                                       Contact.email_key == sa.bindparam("email_key"))


def contact_for(organisation_id: int, email: Email, details: dict, contact: Contact | None = None) -> Contact:
    """The organisation's contact for this address, created with `details` when there is none. An existing contact
    is left as it is: whoever typed the address proved nothing, so what they typed belongs to what they made (a
    registration), not to the person's profile (see update_contact for the channels that prove the address)."""
    if contact is not None:
        return contact
    given = {name: details[name] for name in CONTACT_DETAILS if details.get(name)}
    return insert_row(Contact, {"organisation_id": organisation_id, "email": email.address,
                                "email_key": email.key, **given})


def update_contact(contact: Contact, details: dict) -> list[str]:
    """Bring the profile up to date with what the person told us through a channel that proves the address (a link
    mailed to it, the back office); the names of the fields that changed. Empty values do not erase."""
    changed = [name for name in CONTACT_DETAILS if details.get(name) and details[name] != getattr(contact, name)]
    for name in changed:
        setattr(contact, name, details[name])
    return changed


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


def record_activity(contact: Contact, kind: ActivityKind, *, event=None, channel: str = Channel.WEB,
                    meta: dict | None = None, occurred_at: datetime | None = None) -> None:
    """Append one activity to the contact's timeline, in the current transaction."""
    if contact.id is None:
        db.session.flush()  # a contact created in this request needs its id first
    # A Core INSERT: activities are append-only and nothing reads them back in the request, so the ORM's
    # unit of work (a large share of a sign-up's cost when measured) buys nothing here.
    _INSERT_ACTIVITY.execute({
        "organisation_id": contact.organisation_id,
        "contact_id": contact.id,
        "kind": kind,
        "event_id": event.id if event is not None else None,
        "campaign_id": event.campaign_id if event is not None else None,
        "channel": channel,
        "meta": meta or {},
        "occurred_at": occurred_at or utcnow(),
    })


_INSERT_ACTIVITY = Prepared(sa.insert(LeadActivity.__table__))


def timeline(contact: Contact) -> list[LeadActivity]:
    return list(db.session.execute(
        sa.select(LeadActivity).where(LeadActivity.contact_id == contact.id)
        .order_by(LeadActivity.occurred_at.desc(), LeadActivity.id.desc())
    ).scalars())
