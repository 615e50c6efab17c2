"""Flask's signed-cookie session, with the check of a cookie's signature remembered.

A phone at the door sends the same session cookie with every scan, and checking it (HMAC, base64, zlib, JSON)
is a fair share of a scan's work. So a cookie that was checked once is remembered, by its exact value and the
signing keys, together with the time it was signed. Its age is still checked against the session lifetime on
every request, and a new key or a changed cookie is checked afresh. Only sessions of plain values (text, numbers)
are remembered: a list (flash messages) could be changed in place by one request and seen by the next.
"""
import functools
import time

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

_PLAIN = (str, int, float, bool, type(None))


class RememberingSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        # One serializer per set of keys (it keeps no per-request state); itsdangerous wants the current key last.
        return _serializer(self, (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key))

    def open_session(self, app, request):
        value = request.cookies.get(self.get_cookie_name(app))
        serializer = self.get_signing_serializer(app)
        if not value or serializer is None:
            return super().open_session(app, request)
        checked = _checked(serializer, value)
        if checked is None or time.time() - checked[1] > app.permanent_session_lifetime.total_seconds():
            return super().open_session(app, request)  # a bad or expired cookie: Flask's own answer (an empty session)
        return self.session_class(checked[0])


@functools.lru_cache(maxsize=8)
def _serializer(interface: SecureCookieSessionInterface, keys: tuple) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(list(keys), salt=interface.salt, serializer=interface.serializer,
                                  signer_kwargs={"key_derivation": interface.key_derivation,
                                                 "digest_method": interface.digest_method})


@functools.lru_cache(maxsize=4096)
def _checked(serializer: URLSafeTimedSerializer, value: str) -> tuple[tuple, float] | None:
    """(the session's items, when it was signed) for a cookie with a good signature and plain values; else None."""
    try:
        data, signed_at = serializer.loads(value, return_timestamp=True)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not all(isinstance(item, _PLAIN) for item in data.values()):
        return None
    return tuple(data.items()), signed_at.timestamp()

