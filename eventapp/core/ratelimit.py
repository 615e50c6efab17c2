"""Rate limits on the few public actions a script could flood (a sign-up, a login), per client address.

The counting is the `limits` library's (fixed windows, in memory or in Redis: RATELIMIT_STORAGE_URI). Only the
decorated views pay for a limit: Flask-Limiter, which we used before, searched every request for limits that might
apply, and that search and its bookkeeping measured about 9 % of a sign-up.
"""
import functools
import time

from flask import current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

EXTENSION = "eventapp.rate_limits"


def init_app(app) -> None:
    app.extensions[EXTENSION] = FixedWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))


def rate_limited(limit, message: str | None = None):
    """Refuse a client address's POSTs to the view beyond `limit` ("30 per minute", or a function of the app's
    config giving it) with a 429 that says `message` and when to try again. RATE_LIMITS_ENABLED=False lifts it."""
    def decorate(view):
        scope = f"{view.__module__}.{view.__qualname__}"

        @functools.wraps(view)
        def limited(*args, **kwargs):
            if request.method == "POST" and current_app.config.get("RATE_LIMITS_ENABLED", True):
                _hit(limit(current_app.config) if callable(limit) else limit, scope, message)
            return view(*args, **kwargs)

        return limited

    return decorate


def _hit(limit_text: str, scope: str, message: str | None) -> None:
    limiter = current_app.extensions[EXTENSION]
    item = _parsed(limit_text)
    address = request.remote_addr or ""
    if not limiter.hit(item, scope, address):
        reset_at = limiter.get_window_stats(item, scope, address).reset_time
        raise TooManyRequests(description=message, retry_after=max(1, int(reset_at - time.time()) + 1))


@functools.lru_cache(maxsize=64)
def _parsed(limit_text: str):
    return parse(limit_text)
