"""Unguessable tokens for links and tickets; signed values for forms."""
import re
import secrets

from flask import current_app
from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer

# No look-alike characters (0/O, 1/l/I), so a ticket read aloud at the door is unambiguous.
TICKET_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TICKET_LENGTH = 32  # 31**32 ≈ 2**158


# SpamAssassin's __BITCOIN_ID body rule (72_active.cf): a word of 30–35 Base58 characters starting with 1 or 3. About
# one link token in 500 matches, and a mail showing one scores +0.5 (+1.0 more with a Message-ID without a dot).
_LOOKS_LIKE_BITCOIN = re.compile(r"\b(?<!=)[13][a-km-zA-HJ-NP-Z1-9]{29,34}\b")


def url_token() -> str:
    """192 random bits, URL-safe: manage links, invitation links. Never one a receiving mail server would read as a
    Bitcoin address (drawing again leaves the tokens uniform over all the others)."""
    while True:
        token = secrets.token_urlsafe(24)
        if not _LOOKS_LIKE_BITCOIN.search(token):
            return token


def ticket_secret() -> str:
    # One uniform draw below 31**32, written in base 31: the same distribution as 32 secrets.choice() calls, at a
    # seventh of the cost (every sign-up makes one).
    number = secrets.randbelow(len(TICKET_ALPHABET) ** TICKET_LENGTH)
    characters = []
    for _ in range(TICKET_LENGTH):
        number, digit = divmod(number, len(TICKET_ALPHABET))
        characters.append(TICKET_ALPHABET[digit])
    return "".join(characters)


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"eventapp.{purpose}")


def sign(purpose: str, value) -> str:
    return _serializer(purpose).dumps(value)


def unsign(purpose: str, token: str, max_age: int | None = None, with_time: bool = False):
    """The signed value (and when it was signed, with_time), or None when the token is forged,
    made for another purpose, or older than max_age."""
    try:
        return _serializer(purpose).loads(token, max_age=max_age, return_timestamp=with_time)
    except (BadSignature, TypeError, ValueError, UnicodeError):
        return None


def tag(purpose: str, value: str) -> str:
    """A short signature of `value` for this purpose (27 characters), for a link that already carries the value."""
    return Signer(current_app.config["SECRET_KEY"], salt=f"eventapp.{purpose}").get_signature(value).decode()


def tag_matches(purpose: str, value: str, given: str | None) -> bool:
    if not given or len(given) > 100:
        return False
    try:
        return Signer(current_app.config["SECRET_KEY"], salt=f"eventapp.{purpose}").verify_signature(value, given)
    except (TypeError, ValueError, UnicodeError):
        return False
