import functools
from dataclasses import dataclass
from datetime import timedelta

import phonenumbers
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from limits import parse

from eventapp.accounts.models import (LoginAttempt, Membership, Organisation, Role, User, unmatchable_password_hash,
                                      verify_password)
from eventapp.accounts.passwords import password_problem
from eventapp.core.i18n import DEFAULT_LANGUAGE, normalise_language
from eventapp.core.time import utcnow
from eventapp.extensions import db


def find_user(email: str) -> User | None:
    return db.session.execute(sa.select(User).where(sa.func.lower(User.email) == account_key(email))
                              ).scalar_one_or_none()


def account_key(email: str) -> str:
    """The account an email names, as it is looked up and as failed logins are counted."""
    return email.strip().lower()


def find_organisation(slug: str) -> Organisation | None:
    return db.session.execute(sa.select(Organisation).where(Organisation.slug == slug)).scalar_one_or_none()


def ensure_organisation(slug: str, name: str) -> Organisation:
    organisation = find_organisation(slug)
    if organisation is None:
        organisation = Organisation(slug=slug, name=name)
        db.session.add(organisation)
        db.session.flush()
    return organisation


def create_user(email: str, password: str, role: Role, organisation: Organisation, name: str = "") -> User:
    """Create the user, or give an existing one this role in this organisation and the new password (which ends
    every session they have)."""
    user = find_user(email)
    if user is None:
        user = User(email=email.strip().lower(), name=name)
        db.session.add(user)
    user.set_password(password)
    membership = next((m for m in user.memberships if m.organisation_id == organisation.id), None)
    if membership is None:
        user.memberships.append(Membership(organisation=organisation, role=role))
    else:
        membership.role = role
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, else None, in the same time whichever part is wrong: an
    unknown or inactive account has a password hash checked too."""
    user = find_user(email)
    matches = verify_password(user.password_hash if user is not None else unmatchable_password_hash(), password)
    if user is None or not user.active or not matches:
        return None
    return user


# ---- sessions ----------------------------------------------------------------------------------------------------

def end_sessions(user: User) -> None:
    """Log this user out everywhere: every session they have, on any device, stops being valid."""
    user.end_sessions()


def set_active(user: User, active: bool) -> None:
    """Deactivating refuses the user's logins and ends every session they have; activating lets them log in."""
    user.active = active
    if not active:
        user.end_sessions()


class PasswordRefused(Exception):
    """A password change that cannot be made; `field` is the form field the sentence belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def change_password(user: User, current: str, new: str, address: str) -> None:
    """The user's new password, when `current` is their password (checked under the same limits as a login) and
    `new` follows the password rule. Every session of theirs ends; the caller starts this one anew."""
    if not counted_check(address, user.email, lambda: user.check_password(current)):
        raise PasswordRefused("current_password", _("That is not your current password."))
    problem = password_problem(new, user.email)
    if problem:
        raise PasswordRefused("new_password", problem)
    user.set_password(new)


# ---- login throttling --------------------------------------------------------------------------------------------

class TooManyLogins(Exception):
    """Refused before any password was checked: too many failed logins from this address or for this account."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Limit:
    amount: int
    window: timedelta


@functools.lru_cache(maxsize=16)
def _limit(text: str) -> _Limit:
    item = parse(text)
    return _Limit(item.amount, timedelta(seconds=item.get_expiry()))


def log_in(email: str, password: str, address: str) -> User | None:
    """The user, when the email and password match an active account; None when they do not. Raises TooManyLogins
    when this address or this account has had too many failed logins lately, whatever the password."""
    return counted_check(address, email, lambda: authenticate(email, password))


def counted_check(address: str, email: str, check):
    """What `check()` (a password check) gives, unless the address or the account is locked (TooManyLogins); an
    answer that is false counts as a failed login for both, in the database, so that every process sees it.

    The attempt is written and committed before it is counted, and the count includes it: of two attempts at the
    same moment in two processes, the later one to commit sees both. So more than the limit are never checked
    (at worst, at the limit's edge, both are refused). A refused attempt or a successful one is removed again;
    what is left are the failures."""
    config = current_app.config
    if not config.get("RATE_LIMITS_ENABLED", True):
        return check()
    per_address, per_account = _limit(config["LOGIN_LIMIT_PER_ADDRESS"]), _limit(config["LOGIN_LIMIT_PER_ACCOUNT"])
    now = utcnow()
    account = account_key(email)[:320]
    address = (address or "")[:64]
    # Old rows go as new ones come: one indexed delete, no job to run.
    db.session.execute(sa.delete(LoginAttempt).where(
        LoginAttempt.occurred_at < now - max(per_address.window, per_account.window)))
    attempt = LoginAttempt(address=address, account=account, occurred_at=now)
    db.session.add(attempt)
    db.session.commit()  # seen by every process before anything is checked

    same_address = sa.and_(LoginAttempt.address == address, LoginAttempt.occurred_at > now - per_address.window)
    same_account = sa.and_(LoginAttempt.account == account, LoginAttempt.occurred_at > now - per_account.window)
    from_address, for_account = db.session.execute(
        sa.select(sa.func.count().filter(same_address), sa.func.count().filter(same_account))
        .where(sa.or_(same_address, same_account))).one()
    if from_address > per_address.amount:
        locked = _("Too many failed log-ins from your network."), same_address, from_address, per_address
    elif for_account > per_account.amount:
        locked = _("Too many failed log-ins for this account."), same_account, for_account, per_account
    else:
        locked = None
    if locked is not None:
        db.session.delete(attempt)
        db.session.commit()
        sentence, scope, counted, limit = locked
        retry_after = _retry_after(scope, counted - 1, limit, now)
        raise TooManyLogins(f"{sentence} {_wait(retry_after)}", retry_after)
    result = check()
    if result:
        db.session.delete(attempt)
    db.session.commit()
    return result


def _retry_after(scope, failures: int, limit: _Limit, now) -> int:
    """Seconds until enough of these failures are older than the window for one more attempt to be checked."""
    expiring = db.session.execute(sa.select(LoginAttempt.occurred_at).where(scope)
                                  .order_by(LoginAttempt.occurred_at).offset(max(0, failures - limit.amount))
                                  .limit(1)).scalar()
    if expiring is None:
        return 1
    return max(1, int((expiring + limit.window - now).total_seconds()) + 1)


def _wait(seconds: int) -> str:
    if seconds <= 60:
        return _("Wait a minute and try again.")
    minutes = -(-seconds // 60)
    return ngettext("Try again in %(num)d minute.", "Try again in %(num)d minutes.", minutes)


def choose_language(user: User, language: str) -> None:
    """The user's own back-office language; "" (or one we do not speak) falls back to the organisation's."""
    user.language = normalise_language(language)


def change_organisation_settings(organisation: Organisation, language: str, phone_region: str) -> None:
    """The organisation's language (the default of its users and events) and where its phone numbers are read."""
    organisation.language = normalise_language(language) or DEFAULT_LANGUAGE
    organisation.phone_region = phone_region.upper() if phone_region in phonenumbers.SUPPORTED_REGIONS else ""


def language_of(user) -> str:
    """The language a back-office user reads: their own choice, else their organisation's ("" for neither)."""
    membership = user.membership
    return user.language or (membership.organisation.language if membership is not None else "")
