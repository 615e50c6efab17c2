"""Composing and sending email: stdlib `email` and `smtplib`, configured by SMTP_URL."""
import hashlib
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import unquote, urlparse

from eventapp.core.time import utcnow


class PermanentError(Exception):
    """The provider refused for good (bad address, opted out): do not retry."""


class TransientError(Exception):
    """Try again later (server down, 4xx)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "plain" | "starttls" | "ssl"
    username: str
    password: str

    @classmethod
    def from_url(cls, url: str) -> "SmtpSettings":
        parsed = urlparse(url)
        security = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "ssl"}.get(parsed.scheme)
        if security is None or not parsed.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:port, smtp+starttls:// or smtps://")
        default_port = {"plain": 25, "starttls": 587, "ssl": 465}[security]
        return cls(host=parsed.hostname, port=parsed.port or default_port, security=security,
                   username=unquote(parsed.username or ""), password=unquote(parsed.password or ""))


def message_id(idempotency_key: str, sender: str) -> str:
    """The same outbox row always gets the same Message-ID, so a resend after a crash is the same message to
    every mail system that deduplicates (and to our own tests)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "eventapp.invalid"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def base_message(*, sender: str, recipient: str, subject: str, key: str, reply_to: str = "") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id(key, sender)
    if reply_to:
        message["Reply-To"] = reply_to
    return message


class SmtpSender:
    """One SMTP connection per worker thread, reused across messages and reopened when it drops."""

    def __init__(self, settings: SmtpSettings, timeout: float = 30):
        self.settings = settings
        self.timeout = timeout
        self._local = threading.local()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            connection = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            if s.security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if s.username:
            connection.login(s.username, s.password)
        return connection

    def send(self, message: EmailMessage) -> str:
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            try:
                if connection is None:
                    connection = self._local.connection = self._connect()
                refused = connection.send_message(message)
            except smtplib.SMTPRecipientsRefused as error:
                self.close()
                raise _classify(next(iter(error.recipients.values()), (550, b""))) from None
            except smtplib.SMTPResponseException as error:
                self.close()
                raise _classify((error.smtp_code, error.smtp_error)) from None
            except (smtplib.SMTPServerDisconnected, ConnectionError) as error:
                self.close()
                if attempt == 2 or connection is None:
                    raise TransientError(f"SMTP connection lost: {error}") from None
                continue  # a pooled connection went stale: reconnect once
            except (OSError, smtplib.SMTPException) as error:
                self.close()
                raise TransientError(f"SMTP error: {error}") from None
            if refused:
                raise _classify(next(iter(refused.values())))
            return message["Message-ID"]
        raise TransientError("SMTP connection lost")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                pass


def _classify(reply) -> Exception:
    code, text = reply
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    if 500 <= int(code) < 600:
        return PermanentError(f"{code} {text}".strip())
    return TransientError(f"{code} {text}".strip())
