"""Composing and sending email: stdlib `email` and `smtplib`, configured by SMTP_URL."""
import binascii
import functools
import hashlib
import secrets
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email import encoders
from email.policy import compat32
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
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
    domain = _envelope_address(sender).rpartition("@")[2] or "eventapp.invalid"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


class _MailPolicy(type(compat32)):
    """compat32, except that a header that is plain ASCII and fits on one line is written as it is: the Header
    machinery returns such a header unchanged anyway, at a cost that showed in every mail."""

    def _fold(self, name, value, sanitize):
        if isinstance(value, str) and value.isascii() and len(name) + len(value) < 76 and \
                "\n" not in value and "\r" not in value:
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


MAIL_POLICY = _MailPolicy()


def mime_message(*, sender: str, recipient: str, subject: str, key: str, text: str, html: str,
                 inline_image: tuple[bytes, str] | None = None, calendar: tuple[bytes, str] | None = None,
                 reply_to: str = "") -> Message:
    """multipart/alternative (plain first, HTML last; the HTML in multipart/related with its inline PNG, by
    Content-ID), inside multipart/mixed with the .ics attached when there is one.

    Built with the `email` package's compat32 MIME classes: the default policy's EmailMessage parses every header
    it is given into a structured object and back, which was about a third of composing a mail. Here headers are
    written the way the structured ones would print them (addresses via formataddr, bodies quoted-printable)."""
    # Boundaries that cannot occur in quoted-printable or base64 bodies ("=_" is neither), so the generator need
    # not search each body for them (it compiles a regular expression per boundary to do that).
    boundary = f"=_{secrets.token_hex(12)}"
    body = _leaf(MIMENonMultipart("text", "html", charset="utf-8"))
    _quoted_printable(body, html)
    if inline_image is not None:
        data, cid = inline_image
        image = _leaf(MIMEImage(data, "png"))
        image["Content-ID"] = f"<{cid}>"
        image.add_header("Content-Disposition", "inline", filename="ticket.png")
        body = _leaf(MIMEMultipart("related", boundary=f"{boundary}_r", _subparts=[body, image]))
    plain = _leaf(MIMENonMultipart("text", "plain", charset="utf-8"))
    _quoted_printable(plain, text)
    message = MIMEMultipart("alternative", boundary=f"{boundary}_a", _subparts=[plain, body], policy=MAIL_POLICY)
    if calendar is not None:
        ics, method = calendar
        attachment = _leaf(MIMEBase("text", "calendar", method=method, charset="utf-8"))
        attachment.set_payload(ics)
        encoders.encode_base64(attachment)
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message = MIMEMultipart("mixed", boundary=f"{boundary}_m", _subparts=[_leaf(message), attachment],
                                policy=MAIL_POLICY)
    message["From"] = _sender_address(sender)
    message["To"] = _address(recipient)
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id(key, sender)
    if reply_to:
        message["Reply-To"] = _address(reply_to)
    return message


def _leaf(part: Message) -> Message:
    del part["MIME-Version"]  # only the top of the message carries it
    return part


def _quoted_printable(part: Message, text: str) -> None:
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(binascii.b2a_qp(text.encode(), istext=True).decode("ascii"))


@functools.lru_cache(maxsize=32)
def _sender_address(value: str) -> str:
    """The From header: the same few senders for every mail, so parsed once each."""
    return _address(value)


@functools.lru_cache(maxsize=32)
def _envelope_address(header: str) -> str:
    return parseaddr(header)[1]


def wire_bytes(message: Message) -> bytes:
    """The message as it goes over SMTP (CRLF line ends), as smtplib's send_message() would serialise it."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _address(value: str) -> str:
    """An address header in ASCII: the display name as an encoded word where needed, the domain in IDNA."""
    name, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if at and not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    return formataddr((name, f"{local}{at}{domain}"), charset="utf-8")


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

    def send(self, message: Message, wire: bytes | None = None) -> str:
        """Send the message; `wire` is its wire_bytes() when the caller serialised it already (a worker does that
        before it takes its turn on the wire, so the turn is short)."""
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            try:
                if connection is None:
                    connection = self._local.connection = self._connect()
                refused = _send(connection, message, wire)
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


def _send(connection: smtplib.SMTP, message: Message, wire: bytes | None) -> dict:
    sender, recipient = message["From"], message["To"]
    if not (sender.isascii() and recipient.isascii()):
        return connection.send_message(message)  # an address that needs SMTPUTF8: smtplib negotiates it
    # The envelope straight from our own headers: send_message() copies the message and parses them again.
    return connection.sendmail(_envelope_address(sender), [address for _, address in getaddresses([recipient])],
                               wire if wire is not None else wire_bytes(message))


def _classify(reply) -> Exception:
    code, text = reply
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    if 500 <= int(code) < 600:
        return PermanentError(f"{code} {text}".strip())
    return TransientError(f"{code} {text}".strip())
