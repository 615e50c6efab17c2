"""Normalising what people type about themselves: email addresses and phone numbers."""
from dataclasses import dataclass

import phonenumbers
import sqlalchemy as sa
from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from eventapp.extensions import db

# The organisations' table as far as contacts reads it (the model is accounts', a layer contacts does not import).
_organisations = sa.table("organisations", sa.column("id"), sa.column("phone_region"))


class InvalidInput(ValueError):
    """The message is shown to the person next to the field."""


@dataclass(frozen=True)
class Email:
    address: str  # what we show and send to
    key: str  # what two spellings of one mailbox share: case, whitespace and IDN folded


def normalise_email(raw: str) -> Email:
    from flask_babel import gettext as _

    text = (raw or "").strip()
    if not text:
        raise InvalidInput(_("Enter your email address."))
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInput(_("Enter an email address like name@company.com.")) from None
    if result.smtputf8:
        # Letters beyond ASCII before the @ need SMTPUTF8 all the way to the mailbox, which mail servers do not
        # promise; such an address would be taken and its confirmation never arrive. (After the @ they are fine.)
        raise InvalidInput(_("We cannot send mail to an address with accented or non-Latin letters before the @ "
                             "yet. Please use another address.")) from None
    domain = (result.ascii_domain or result.domain).lower()
    return Email(address=result.normalized, key=f"{result.local_part.lower()}@{domain}")


def phone_region(organisation_id: int | None, event_region: str = "") -> str:
    """Where a number typed without its country code is read (every form and import asks here): the event's
    region, else its organisation's, else EVENTAPP_PHONE_REGION."""
    if event_region:
        return event_region.upper()
    if organisation_id is not None:
        own = db.session.execute(sa.select(_organisations.c.phone_region)
                                 .where(_organisations.c.id == organisation_id)).scalar()
        if own:
            return own.upper()
    return current_app.config["PHONE_REGION"]


def local_example(region: str) -> str:
    """A mobile number of the region as people there write it without the country code ("131 2345 6789" in
    China), from phonenumbers' metadata; "" for a region it has none for."""
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) if number else ""


def normalise_phone(raw: str, region: str) -> str:
    """E.164, or InvalidInput. A number without +country code is read in `region` (see phone_region)."""
    from flask_babel import gettext as _

    text = (raw or "").strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(_("Enter a phone number with its country code, like +44 20 7946 0958.")) from None
    if not phonenumbers.is_valid_number(number):
        if not text.startswith(("+", "00")):  # read as a local number of the region: say which
            raise InvalidInput(_("This is not a valid phone number in %(country)s. Check the digits, or type the "
                                 "number with its country code, like +86 138 0013 8000.",
                                 country=_country_name(region))) from None
        raise InvalidInput(_("This is not a valid phone number. Check the digits and the country code.")) from None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _country_name(region: str) -> str:
    from flask_babel import get_locale

    return (get_locale() or Locale("en")).territories.get(region, region)
