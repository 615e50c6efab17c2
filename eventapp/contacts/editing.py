"""The back office's own work on contacts: searching them, adding and editing one by hand, tagging many at once."""
import re

import sqlalchemy as sa

from eventapp import signals
from eventapp.contacts.models import Contact, ContactTag
from eventapp.contacts.normalisation import Email
from eventapp.contacts.operations import announce_change
from eventapp.contacts.search import matches
from eventapp.core.time import utcnow
from eventapp.extensions import db

# What an organiser may set on a contact by hand (the email goes separately, normalised).
PROFILE_FIELDS = ("first_name", "last_name", "company", "job_title", "phone", "company_size", "industry", "city")
TAG_MAX = 60  # ContactTag.tag's length
TAGS_PER_CONTACT = 50
MANUAL_ORIGIN = "manual"
# Commas and semicolons, also as typed on a Chinese keyboard (，；、), separate tags.
_TAG_SEPARATORS = re.compile(r"[,;，；、]")
_SPACES = re.compile(r"\s+")
# Bulk tagging writes the table with Core statements: many rows in one, none loaded.
_TAGS = ContactTag.__table__


class DuplicateContact(Exception):
    """The address is already another contact of the organisation; `contact` is that one."""

    def __init__(self, contact: Contact):
        super().__init__(contact.email)
        self.contact = contact


# ---- search ------------------------------------------------------------------------------------------------------

def search_contacts(organisation_id: int, text: str) -> sa.Select:
    """The organisation's contacts whose name (either order, pinyin), company, email or phone hold every word of
    the text (any case, contacts.search), newest first."""
    query = sa.select(Contact).where(Contact.organisation_id == organisation_id)
    if text:
        query = query.where(_matches(text))
    return query.order_by(Contact.updated_at.desc(), Contact.id.desc())


def matching_ids(organisation_id: int, text: str) -> sa.Select:
    """The ids of search_contacts(), for a bulk action on every contact the search finds."""
    query = sa.select(Contact.id).where(Contact.organisation_id == organisation_id)
    return query.where(_matches(text)) if text else query


def _matches(text: str):
    return matches(Contact.search_text, text)


# ---- one contact by hand -----------------------------------------------------------------------------------------

def add_contact(organisation_id: int, email: Email, details: dict, tags: list[str]) -> Contact:
    """A new contact typed in by an organiser; DuplicateContact when the address is one already."""
    _refuse_duplicate(organisation_id, email, None)
    contact = Contact(organisation_id=organisation_id, email=email.address, email_key=email.key,
                      origin=MANUAL_ORIGIN, **_profile(details))
    db.session.add(contact)
    set_tags(contact, tags)
    announce_change(contact)
    return contact


def edit_contact(contact: Contact, email: Email, details: dict, tags: list[str]) -> None:
    """The organiser's corrections: what they leave empty is emptied (the form shows every field)."""
    _refuse_duplicate(contact.organisation_id, email, contact.id)
    contact.email, contact.email_key = email.address, email.key
    for name, value in _profile(details).items():
        setattr(contact, name, value)
    set_tags(contact, tags)
    announce_change(contact, list(PROFILE_FIELDS) + ["tags"])


def _profile(details: dict) -> dict:
    return {name: details.get(name) or "" for name in PROFILE_FIELDS}


def find_duplicate(organisation_id: int, email: Email, own_id: int | None) -> Contact | None:
    """Another contact of the organisation with this address (not the one with own_id), or None."""
    other = db.session.scalars(sa.select(Contact).where(
        Contact.organisation_id == organisation_id, Contact.email_key == email.key)).first()
    return other if other is not None and other.id != own_id else None


def _refuse_duplicate(organisation_id: int, email: Email, own_id: int | None) -> None:
    other = find_duplicate(organisation_id, email, own_id)
    if other is not None:
        raise DuplicateContact(other)


# ---- tags --------------------------------------------------------------------------------------------------------

def normalise_tag(raw: str) -> str:
    """A tag as stored: one line, single spaces, trimmed ('' for nothing)."""
    return _SPACES.sub(" ", raw or "").strip()


def parse_tags(text: str) -> list[str]:
    """The tags in what an organiser typed (or an import's cell), in order, each once (whatever its case)."""
    seen, tags = set(), []
    for part in _TAG_SEPARATORS.split(text or ""):
        tag = normalise_tag(part)
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


def set_tags(contact: Contact, tags: list[str]) -> None:
    """The contact's tags become exactly these (the rows kept, added or removed as needed)."""
    wanted = list(dict.fromkeys(tags))
    contact.tags = [row for row in contact.tags if row.tag in wanted] + [
        ContactTag(tag=tag) for tag in wanted if tag not in {row.tag for row in contact.tags}]


def tags_of(organisation_id: int) -> list[str]:
    """Every tag the organisation uses, in order."""
    return list(db.session.scalars(
        sa.select(ContactTag.tag).join(Contact, Contact.id == ContactTag.contact_id)
        .where(Contact.organisation_id == organisation_id).distinct().order_by(ContactTag.tag)))


def spelled_as_used(organisation_id: int, tags: list[str]) -> list[str]:
    """The tags as the organisation already spells them ('vip' is its 'VIP'), so one label never becomes two."""
    used = {tag.casefold(): tag for tag in tags_of(organisation_id)}
    return [used.get(tag.casefold(), tag) for tag in tags]


def add_tag(organisation_id: int, contact_ids: sa.Select | list[int], tag: str) -> int:
    """Put the tag on these contacts of the organisation (those without it); how many got it."""
    chosen = _own_contacts(organisation_id, contact_ids).where(~sa.exists().where(
        ContactTag.contact_id == Contact.id, ContactTag.tag == tag))
    statement = sa.insert(_TAGS).from_select(
        ["contact_id", "tag"], chosen.with_only_columns(Contact.id, sa.literal(tag, sa.String(TAG_MAX))))
    return _count_rows(statement, organisation_id)


def remove_tag(organisation_id: int, contact_ids: sa.Select | list[int], tag: str) -> int:
    """Take the tag off these contacts of the organisation; how many had it."""
    own = _own_contacts(organisation_id, contact_ids).with_only_columns(Contact.id)
    return _count_rows(sa.delete(_TAGS).where(_TAGS.c.tag == tag, _TAGS.c.contact_id.in_(own)), organisation_id)


def _count_rows(statement, organisation_id: int) -> int:
    # RETURNING counts the rows on every database (psycopg reports no row count for an INSERT … SELECT)
    contact_ids = list(db.session.scalars(statement.returning(_TAGS.c.contact_id)))
    for contact_id in contact_ids:  # a tag is part of the profile (a score may count it)
        signals.contact_changed.send(signals.ContactChange(contact_id=contact_id, organisation_id=organisation_id,
                                                           occurred_at=utcnow(), changed=("tags",)))
    return len(contact_ids)


def _own_contacts(organisation_id: int, contact_ids: sa.Select | list[int]) -> sa.Select:
    # A forged id of another organisation's contact is simply not among them.
    ids = contact_ids if isinstance(contact_ids, sa.Select) else list(contact_ids)
    return sa.select(Contact.id).where(Contact.organisation_id == organisation_id, Contact.id.in_(ids))
