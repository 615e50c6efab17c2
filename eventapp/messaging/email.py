"""Composing and sending email: stdlib `email` and `smtplib`, configured by SMTP_URL."""
import binascii
import email.policy
import functools
import hashlib
import re
import secrets
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.policy import compat32
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
_WIRE_POLICY = MAIL_POLICY.clone(linesep="\r\n")


@dataclass(frozen=True)
class OutgoingMail:
    """A mail ready for SMTP: the envelope, and the message as it goes on the wire (CRLF line ends)."""
    sender: str
    recipients: tuple[str, ...]
    message_id: str
    data: bytes

    @classmethod
    def from_message(cls, message: Message) -> "OutgoingMail":
        """From an `email` message whose headers are ASCII (the envelope read from its own From and To)."""
        return cls(sender=_envelope_address(message["From"]),
                   recipients=tuple(address for _, address in getaddresses([message["To"]])),
                   message_id=message["Message-ID"], data=wire_bytes(message))

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=email.policy.default)


def build_mail(*, sender: str, recipient: str, subject: str, key: str, text: str, html: str,
               inline_image: tuple[bytes, str] | None = None, calendar: tuple[bytes, str] | None = None,
               reply_to: str = "") -> OutgoingMail:
    """multipart/alternative (plain first, HTML last; the HTML in multipart/related with its inline PNG, by
    Content-ID), inside multipart/mixed with the .ics attached when there is one.

    Written straight to bytes, byte for byte what the `email` package's compat32 MIME classes and generator make
    of the same parts (tests/messaging/test_email.py checks that): building the object tree and walking it again
    to serialise it was a fifth of each delivery, for a layout that is always the same. Headers that may need
    encoding (addresses, subject) still go through the `email` package's folding."""
    # Boundaries that cannot occur in quoted-printable or base64 bodies ("=_" is neither), so no body needs to be
    # searched for them.
    boundary = f"=_{secrets.token_hex(12)}"
    body = _part(['Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
                 _quoted_printable(html))
    if inline_image is not None:
        data, cid = inline_image
        image = _part(["Content-Type: image/png", "Content-Transfer-Encoding: base64", f"Content-ID: <{cid}>",
                       'Content-Disposition: inline; filename="ticket.png"'], _base64(data))
        body = _multipart("related", f"{boundary}_r", [body, image])
    plain = _part(['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
                  _quoted_printable(text))
    parts = ("alternative", f"{boundary}_a", [plain, body])
    if calendar is not None:
        ics, method = calendar
        attachment = _part([f'Content-Type: text/calendar; method="{method}"; charset="utf-8"',
                            "Content-Transfer-Encoding: base64", 'Content-Disposition: attachment; filename="invite.ics"'],
                           _base64(ics))
        parts = ("mixed", f"{boundary}_m", [_multipart(*parts), attachment])
    identifier = message_id(key, sender)
    to, envelope_to = _mailbox(recipient)
    headers = [("From", _sender_address(sender)), ("To", to), ("Subject", subject),
               ("Date", _date_header(utcnow().replace(microsecond=0))), ("Message-ID", identifier)]
    if reply_to:
        headers.append(("Reply-To", _address(reply_to)))
    top = "".join(_WIRE_POLICY.fold(name, _one_line(value)) for name, value in headers)
    return OutgoingMail(sender=_envelope_address(sender), recipients=(envelope_to,),
                        message_id=identifier, data=_multipart(*parts, top_headers="MIME-Version: 1.0\r\n" + top))


# Line ends and other control characters (C0, DEL, C1, the Unicode line and paragraph separators).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(value: str) -> str:
    """A header value with each control character as a space: subjects and names come from what organisers and
    attendees typed, and a line break in them would end the header (the email package refuses to fold it)."""
    return _CONTROL.sub(" ", value)


def _part(headers: list[str], body: bytes) -> bytes:
    """One MIME part: its header lines, a blank line, the encoded body."""
    return ("\r\n".join(headers) + "\r\n\r\n").encode("ascii") + body


def _multipart(subtype: str, boundary: str, parts: list[bytes], top_headers: str = "") -> bytes:
    """A multipart part (or, with top_headers, the whole message), laid out as the `email` generator does."""
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n{top_headers}\r\n--{boundary}\r\n'
    return head.encode("ascii") + f"\r\n--{boundary}\r\n".encode("ascii").join(parts) + \
        f"\r\n--{boundary}--\r\n".encode("ascii")


def _quoted_printable(text: str) -> bytes:
    return _crlf(binascii.b2a_qp(text.encode(), istext=True))


def _base64(data: bytes) -> bytes:
    """76 characters a line with CRLF line ends, as email.encoders writes them (57 bytes a line) for SMTP."""
    encoded = binascii.b2a_base64(data, newline=False)
    return b"\r\n".join([encoded[at:at + 76] for at in range(0, len(encoded), 76)] + [b""])


def _crlf(body: bytes) -> bytes:
    """Every line end as CRLF, as the generator writes them for SMTP."""
    return body.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


@functools.lru_cache(maxsize=1)
def _date_header(now) -> str:
    """The Date header, formatted once a second (a worker sends many mails within one)."""
    return format_datetime(now)


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
    return _mailbox(value)[0]


# A bare address of ASCII atoms, as sign-ups store them: parseaddr() and formataddr() give it back as it is.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def _mailbox(value: str) -> tuple[str, str]:
    """(the address header, the bare address for the envelope), parsing the value once (a plain address, the
    usual recipient, needs no parsing: the email package's parser was a tenth of building a mail)."""
    if _PLAIN_ADDRESS.fullmatch(value):
        return value, value
    name, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if at and not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    address = f"{local}{at}{domain}"
    return formataddr((name, address), charset="utf-8"), address


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

    def send(self, message: OutgoingMail | Message) -> str:
        """Send a mail; returns its Message-ID. A worker passes an OutgoingMail, serialised while composing, so
        its one-at-a-time turn on the wire does no more than the sending."""
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            try:
                if connection is None:
                    connection = self._local.connection = self._connect()
                refused = _send(connection, message)
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
            return message.message_id if isinstance(message, OutgoingMail) else message["Message-ID"]
        raise TransientError("SMTP connection lost")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                pass


def _send(connection: smtplib.SMTP, message: OutgoingMail | Message) -> dict:
    if isinstance(message, Message):
        if not (message["From"].isascii() and message["To"].isascii()):
            return connection.send_message(message)  # an address that needs SMTPUTF8: smtplib negotiates it
        # The envelope straight from the message's own headers: send_message() copies it and parses them again.
        message = OutgoingMail.from_message(message)
    return connection.sendmail(message.sender, list(message.recipients), message.data)


def _classify(reply) -> Exception:
    code, text = reply
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    if 500 <= int(code) < 600:
        return PermanentError(f"{code} {text}".strip())
    return TransientError(f"{code} {text}".strip())
