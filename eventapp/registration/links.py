"""The links a registration's mails carry: the attendee's own page and the double opt-in confirmation."""
from eventapp.core.tokens import sign, tag
from eventapp.messaging.compose import public_base_url

# A mailed manage link carries this tag of its token: opened from the mail, the page may update the person's
# profile, since only the address's owner reads that mail (the link shown after a sign-up proves nothing).
ADDRESS_PROOF = "address-proof"
# The double opt-in link: a signed consent record id (the page asks first; only its POST confirms).
CONSENT_LINK_PURPOSE = "consent-confirm"


def consent_url(record_id: int) -> str:
    return f"{public_base_url()}/consent/{sign(CONSENT_LINK_PURPOSE, record_id)}"


def manage_url(registration, mailed: bool = False) -> str:
    url = f"{public_base_url()}/r/{registration.manage_token}"
    return f"{url}?p={tag(ADDRESS_PROOF, registration.manage_token)}" if mailed else url
