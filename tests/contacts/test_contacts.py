"""Normalising what people type, and one contact per mailbox in each organisation."""
import pytest

from eventapp.accounts.operations import ensure_organisation
from eventapp.contacts.normalisation import InvalidInput, normalise_email, normalise_phone
from eventapp.contacts.operations import contact_for, find_contact, update_contact


def test_two_spellings_of_one_mailbox_share_a_key_and_keep_what_was_typed():
    typed, other = normalise_email("  Ada.Lovelace@Example.COM "), normalise_email("ada.lovelace@example.com")
    assert typed.key == other.key == "ada.lovelace@example.com"
    assert typed.address == "Ada.Lovelace@example.com"
    assert normalise_email("ada@bücher.example").key == "ada@xn--bcher-kva.example"


@pytest.mark.parametrize("raw", ["", "ada", "ada@", "élodie@example.com"])
def test_addresses_we_cannot_mail_are_refused_with_a_sentence(app, raw):
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        normalise_email(raw)
    assert str(refused.value).endswith(".")


def test_phone_numbers_become_e164_in_the_configured_region(app):
    assert normalise_phone("020 7946 0958", "GB") == "+442079460958"
    assert normalise_phone("+86 138 0013 8000", "GB") == "+8613800138000"
    with app.test_request_context(), pytest.raises(InvalidInput):
        normalise_phone("12", "GB")


def test_one_contact_per_mailbox_and_organisation_and_typing_changes_nobody(db, org):
    ada = contact_for(org.id, normalise_email("ada@example.com"), {"first_name": "Ada", "company": "Analytical"})
    db.session.commit()
    found = find_contact(org.id, normalise_email("ADA@Example.com"))
    assert found.id == ada.id
    # an existing contact is kept as it is: a public form proves nothing about who typed the address
    assert contact_for(org.id, normalise_email("ada@example.com"), {"first_name": "Eve"}, found).first_name == "Ada"
    other = ensure_organisation("rival", "Rival")
    db.session.commit()
    assert find_contact(other.id, normalise_email("ada@example.com")) is None
    # a channel that proves the address brings the profile up to date; empty values erase nothing
    assert update_contact(found, {"first_name": "Augusta", "company": "", "job_title": "Countess"}) == [
        "first_name", "job_title"]
    assert (found.first_name, found.company, found.job_title) == ("Augusta", "Analytical", "Countess")
