"""The rule for a new password: long enough, not one attackers try first, not the account's own address."""
import functools
from importlib import resources

from flask_babel import gettext as _

MIN_LENGTH = 10
MAX_LENGTH = 200  # a hash of a very long password costs the server; nobody types more


def password_problem(password: str, email: str) -> str | None:
    """Why this password may not be the account's new one, as a sentence for the person choosing it; else None."""
    lowered = password.lower()
    address = email.strip().lower()
    if lowered in _common_passwords():
        return _("This is one of the most common passwords, which attackers try first. Choose another one.")
    if address and lowered in {address, address.partition("@")[0]}:
        return _("A password must not be your email address or a part of it. Choose another one.")
    if len(password) < MIN_LENGTH:
        return _("Use at least %(count)d characters. A few unrelated words make a long password easy to "
                 "remember.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(count)d characters.", count=MAX_LENGTH)
    return None


@functools.cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("eventapp.accounts").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))
