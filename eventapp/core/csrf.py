"""The CSRF check for the JSON APIs that staff phones call several times a second.

It is Flask-WTF's check (the token, from a header or the form, is signed for this session's CSRF value and is no
older than WTF_CSRF_TIME_LIMIT; over HTTPS the Referer must be this site), with one difference: checking a token's
signature is remembered, by the exact token and key, so that a phone sending the same token with every scan does
not pay for it each time (it was a tenth of a scan). Its age and its match with the session are still checked on
every request. Flask-WTF's own protection stays on everywhere else; a blueprint using this one is exempted from it.
"""
import functools
import hmac
import time
from urllib.parse import urlsplit

from flask import current_app, request, session
from flask_wtf.csrf import CSRFError
from itsdangerous import BadData, URLSafeTimedSerializer

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_SALT = "wtf-csrf-token"  # Flask-WTF's: the tokens are the ones its generate_csrf() puts in our pages


def check_csrf() -> None:
    """A before_request hook: raises CSRFError (a 400 that says why) unless the request carries a good token."""
    config = current_app.config
    if not config["WTF_CSRF_ENABLED"] or request.method not in config["WTF_CSRF_METHODS"]:
        return
    token = _token_sent(config)
    if not token:
        raise CSRFError("The CSRF token is missing.")
    expected = session.get(config["WTF_CSRF_FIELD_NAME"])
    if not expected:
        raise CSRFError("The CSRF session token is missing.")
    checked = _signed_value(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, token)
    if checked is None:
        raise CSRFError("The CSRF token is invalid.")
    value, signed_at = checked
    limit = config["WTF_CSRF_TIME_LIMIT"]
    if limit is not None and time.time() - signed_at > limit:
        raise CSRFError("The CSRF token has expired.")
    if not hmac.compare_digest(str(expected), str(value)):
        raise CSRFError("The CSRF tokens do not match.")
    if request.is_secure and config["WTF_CSRF_SSL_STRICT"]:
        referrer = urlsplit(request.referrer or "")
        if not request.referrer:
            raise CSRFError("The referrer header is missing.")
        if (referrer.scheme, referrer.netloc) != ("https", request.host):
            raise CSRFError("The referrer does not match the host.")


def _token_sent(config) -> str | None:
    for header in config["WTF_CSRF_HEADERS"]:
        token = request.headers.get(header)
        if token:
            return token
    if request.mimetype in _FORMS:
        return request.form.get(config["WTF_CSRF_FIELD_NAME"])
    return None


@functools.lru_cache(maxsize=1024)
def _signed_value(secret_key, token: str) -> tuple[str, float] | None:
    """(the signed value, when it was signed) for a token with a good signature; else None."""
    try:
        value, signed_at = URLSafeTimedSerializer(secret_key, salt=_SALT).loads(token, return_timestamp=True)
    except BadData:
        return None
    return value, signed_at.timestamp()
