"""Settings, read from the environment once, in one place (the table in README.md).

Behind a reverse proxy (nginx, a load balancer):
EVENTAPP_PROXY_COUNT   how many proxies stand in front (default 0: none). With N, the client's address, the scheme
                       and the host are read from X-Forwarded-For/-Proto/-Host, N hops from the right (werkzeug's
                       ProxyFix, set up in create_app, so waitress and gunicorn read them alike); with 0 those
                       headers are ignored, since anyone can send them. A count higher than the real number of
                       proxies lets a client choose its own address (and so its rate-limit count).
EVENTAPP_SECURE_COOKIES  cookies only over HTTPS, and every response says Strict-Transport-Security (default: on
                       when BASE_URL starts with https://).

DKIM signing of every outgoing mail (on when both DKIM_PRIVATE_KEY and DKIM_SELECTOR are set):
DKIM_PRIVATE_KEY       the RSA private key in PEM, either the PEM text itself (starting "-----BEGIN") or the path of
                       a file holding it (read once, at start).
DKIM_SELECTOR          the selector whose TXT record (<selector>._domainkey.<domain>) publishes the public key.
DKIM_DOMAIN            the signing domain (d=); default: the domain of MAIL_FROM.
"""
import os
import secrets
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """templates/, static/ and migrations/ sit inside the package in a wheel, beside it in a checkout."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


def _persistent_secret_key(data_dir: Path) -> str:
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    # O_EXCL: two processes starting together must agree on one key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _count(env, name: str) -> int:
    value = (env.get(name) or "0").strip()
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number of 0 or more (it is {value!r}).")
    return int(value)


def _dkim_private_key(value: str) -> str:
    """The PEM text DKIM_PRIVATE_KEY holds or names (a path); empty when unset."""
    value = value.strip()
    if value.startswith("-----BEGIN"):
        # One line with "\n" written out, as some hosting panels keep multi-line values.
        return value.replace("\\n", "\n").strip() if "\n" not in value else value
    if not value:
        return ""
    path = Path(value).expanduser()
    if not path.is_file():
        raise ValueError(f"DKIM_PRIVATE_KEY is neither a PEM key nor the path of a file ({value!r}).")
    return path.read_text().strip()


def from_environment(environ=None) -> dict:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("EVENTAPP_DATA_DIR") or "instance").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'eventapp.db'}"
    base_url = (env.get("BASE_URL") or "").rstrip("/")
    return {
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": env.get("SECRET_KEY") or _persistent_secret_key(data_dir),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "BASE_URL": base_url,
        "SMTP_URL": env.get("SMTP_URL") or "",
        "MAIL_FROM": env.get("MAIL_FROM") or "eventapp <noreply@localhost>",
        "DKIM_PRIVATE_KEY": _dkim_private_key(env.get("DKIM_PRIVATE_KEY") or ""),
        "DKIM_SELECTOR": (env.get("DKIM_SELECTOR") or "").strip(),
        "DKIM_DOMAIN": (env.get("DKIM_DOMAIN") or "").strip().lower(),
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID") or "",
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN") or "",
        "TWILIO_FROM": env.get("TWILIO_FROM") or "",
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID") or "",
        "REDIS_URL": env.get("REDIS_URL") or "",
        "PHONE_REGION": (env.get("EVENTAPP_PHONE_REGION") or "US").upper(),
        "SIGNUP_RATE_LIMIT": env.get("EVENTAPP_SIGNUP_RATE_LIMIT") or "30 per minute",
        # Failed logins allowed per client address and per account, counted in the database by every process.
        "LOGIN_LIMIT_PER_ADDRESS": env.get("EVENTAPP_LOGIN_LIMIT_PER_ADDRESS") or "10 per minute",
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("EVENTAPP_LOGIN_LIMIT_PER_ACCOUNT") or "10 per 15 minutes",
        # Checked per request (see extensions.rate_limits_off), so two apps in one process cannot mix it up.
        "RATE_LIMITS_ENABLED": _bool(env.get("EVENTAPP_RATE_LIMITS"), True),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        # Also turns on Strict-Transport-Security (create_app's _security_headers).
        "SESSION_COOKIE_SECURE": _bool(env.get("EVENTAPP_SECURE_COOKIES"), base_url.startswith("https://")),
        # How many reverse proxies sit in front (X-Forwarded-For/-Proto/-Host are trusted that many hops).
        "PROXY_COUNT": _count(env, "EVENTAPP_PROXY_COUNT"),
        # A worker that claimed a message and died gives it back after this many seconds.
        "OUTBOX_LEASE_SECONDS": int(env.get("EVENTAPP_OUTBOX_LEASE_SECONDS") or 300),
        # Invitation mails a send puts in the outbox per minute unless the organiser sets its own rate.
        "INVITATION_RATE": _count(env, "EVENTAPP_INVITATION_RATE") or 600,
        # Webhooks go to public https addresses only, unless a CRM on the same network needs otherwise.
        "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": _bool(env.get("EVENTAPP_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"), False),
        "WEBHOOKS_ALLOW_HTTP": _bool(env.get("EVENTAPP_WEBHOOKS_ALLOW_HTTP"), False),
        "WEBHOOKS_TIMEOUT_SECONDS": _count(env, "EVENTAPP_WEBHOOKS_TIMEOUT_SECONDS") or 15,
        # Sales answers a handoff within this many working days; its personal link works this many days.
        "HANDOFF_WORKING_DAYS": _count(env, "EVENTAPP_HANDOFF_WORKING_DAYS") or 5,
        "HANDOFF_LINK_DAYS": _count(env, "EVENTAPP_HANDOFF_LINK_DAYS") or 30,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        # A sign-up form left open all day must still submit.
        "WTF_CSRF_TIME_LIMIT": 24 * 3600,
        # Our messages go through our own catalogue; loading WTForms' on every request cost a millisecond.
        "WTF_I18N_ENABLED": False,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ["en", "zh_Hans"],  # core.i18n.LANGUAGES
        # A server connection can drop between requests and is checked out with a ping; a SQLite file cannot, and
        # the ping was one more query in every request.
        "SQLALCHEMY_ENGINE_OPTIONS": {} if database_url.startswith("sqlite") else {"pool_pre_ping": True},
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }
