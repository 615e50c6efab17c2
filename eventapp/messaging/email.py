"""Composing and sending email: stdlib `email` and `smtplib`, configured by SMTP_URL."""
import email.policy
import hashlib
import re
import secrets
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import unquote, urlparse

from eventapp.core.time import utcnow


class PermanentError(Exception):
    """The provider refused for good (bad address, opted out): do not retry. `bounce_code` is the SMTP reply code
    when the receiving server refused the address itself (a bounce: the address goes on the suppression list)."""

    def __init__(self, text: str, bounce_code: int | None = None):
        super().__init__(text)
        self.bounce_code = bounce_code


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


class _HeaderClasses(HeaderRegistry):
    """The email package's header registry, making each kind of header's class once: the stock one makes a new
    class for every header it parses (type() per call), which was most of the cost of building a mail."""

    def __init__(self):
        super().__init__()
        self._classes = {}

    def __getitem__(self, name):
        key = name.lower()
        if key not in self._classes:
            self._classes[key] = super().__getitem__(name)
        return self._classes[key]


_HEADERS = _HeaderClasses()
# refold_source="none": a header set raw (List-Unsubscribe, see build_mail's `raw_headers`) goes out on one line as
# given; folding a long URL would turn it into RFC 2047 encoded words, which no mail client reads as a URL.
POLICY = email.policy.SMTP.clone(header_factory=_HEADERS, refold_source="none")
POLICY_UTF8 = email.policy.SMTPUTF8.clone(header_factory=_HEADERS, refold_source="none")


@dataclass(frozen=True)
class OutgoingMail:
    """A mail ready for SMTP: the envelope, and the message as it goes on the wire (CRLF line ends). smtputf8: an
    address needs SMTP's SMTPUTF8 extension (a local part that is not ASCII)."""
    sender: str
    recipients: tuple[str, ...]
    message_id: str
    data: bytes
    smtputf8: bool = False

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=email.policy.default)


def build_mail(*, sender: str, recipient: str, subject: str, key: str, text: str, html: str,
               recipient_name: str = "", inline_image: tuple[bytes, str] | None = None,
               calendar: tuple[bytes, str] | None = None, reply_to: str = "",
               sender_name: str = "", raw_headers: dict[str, str] | None = None) -> OutgoingMail:
    """multipart/alternative (plain first, HTML last; the HTML in multipart/related with its inline PNG, by
    Content-ID), inside multipart/mixed with the .ics attached when there is one; written by the `email` package
    (EmailMessage, policy SMTP: CRLF line ends, headers folded and encoded as RFC 5322 and 2047 ask).
    recipient_name: shown in To: ("Ada Lovelace <ada@example.com>"), as receivers expect of a personal mail.
    sender_name: shown in From: instead of the name in `sender` (an invitation's sender name), same address.
    raw_headers: ASCII header values of our own making (List-Unsubscribe), written as they are, unfolded."""
    to = _mailbox(recipient, recipient_name)
    from_ = _mailbox(sender, sender_name)
    smtputf8 = not (to.username.isascii() and from_.username.isascii())
    message = EmailMessage(policy=POLICY_UTF8 if smtputf8 else POLICY)
    message["From"] = from_
    # Without a name, the address in angle brackets: receivers count a bare To: next to an HTML image against a mail.
    message["To"] = to if to.display_name else f"<{to.addr_spec}>"
    message["Subject"] = _one_line(subject)
    message["Date"] = format_datetime(utcnow().replace(microsecond=0))
    message["Message-ID"] = message_id(key, sender)
    if reply_to:
        message["Reply-To"] = _mailbox(reply_to)
    for name, value in (raw_headers or {}).items():
        message.set_raw(name, _one_line(value))
    # Boundaries that cannot occur in quoted-printable or base64 bodies ("=_" is neither), given to each multipart
    # so that the generator need not search every body for a boundary of its own.
    boundary = f"=_{secrets.token_hex(12)}"
    message.set_content(text, cte="quoted-printable")
    message.make_alternative(boundary=f"{boundary}_a")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    if inline_image is not None:
        data, cid = inline_image
        body = message.get_body(("html",))
        body.make_related(boundary=f"{boundary}_r")
        body.add_related(data, "image", "png", cid=f"<{cid}>", disposition="inline", filename="ticket.png")
    if calendar is not None:
        ics, method = calendar
        message.make_mixed(boundary=f"{boundary}_m")
        message.add_attachment(ics, "text", "calendar", filename="invite.ics",
                               params={"method": method, "charset": "utf-8"})
    return OutgoingMail(sender=from_.addr_spec, recipients=(to.addr_spec,), message_id=message["Message-ID"],
                        data=message.as_bytes(), smtputf8=smtputf8)


# Line ends and other control characters (C0, DEL, C1, the Unicode line and paragraph separators).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(value: str) -> str:
    """A header value with each control character as a space: subjects and names come from what organisers and
    attendees typed, and a line break in them would end the header (the email package refuses to fold it)."""
    return _CONTROL.sub(" ", value)


def _mailbox(value: str, name: str = "") -> Address:
    """An address header's mailbox: `name` (else the one in `value`) on one line, the domain in IDNA so that only
    a local part that is not ASCII needs SMTPUTF8."""
    parsed_name, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if not at:
        local, domain = address, ""
    if not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    return Address(display_name=_one_line(name or parsed_name).strip(), username=local, domain=domain)


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

    def send(self, message: OutgoingMail) -> str:
        """Send a mail; returns its Message-ID."""
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            try:
                if connection is None:
                    connection = self._local.connection = self._connect()
                refused = connection.sendmail(message.sender, list(message.recipients), message.data,
                                              mail_options=["SMTPUTF8"] if message.smtputf8 else [])
            except smtplib.SMTPRecipientsRefused as error:
                self.close()
                raise _classify(next(iter(error.recipients.values()), (550, b""))) from None
            except smtplib.SMTPSenderRefused as error:  # our own sender was refused: no fault of the address
                self.close()
                raise _classify((error.smtp_code, error.smtp_error), about_recipient=False) from None
            except smtplib.SMTPResponseException as error:
                self.close()
                raise _classify((error.smtp_code, error.smtp_error)) from None
            except smtplib.SMTPNotSupportedError as error:  # SMTPUTF8 needed and not offered: no retry helps
                raise PermanentError(f"the mail server cannot take this address: {error}") from None
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
            return message.message_id
        raise TransientError("SMTP connection lost")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                pass


# An enhanced status code (RFC 3463): class.subject.detail; subjects 1 (address) and 2 (mailbox) are the recipient's.
_ENHANCED_STATUS = re.compile(r"\b5\.(\d{1,3})\.\d{1,3}\b")


def _classify(reply, about_recipient: bool = True) -> Exception:
    code, text = reply
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    if 500 <= int(code) < 600:
        return PermanentError(f"{code} {text}".strip(),
                              bounce_code=int(code) if about_recipient and _refuses_the_address(text) else None)
    return TransientError(f"{code} {text}".strip())


def _refuses_the_address(text: str) -> bool:
    """Whether a 5xx reply to a recipient or its mail is about the address (a bounce) rather than the mail itself
    (policy, size, content: 5.3 to 5.7), by its enhanced status code; without one, a 5xx counts as a bounce."""
    found = _ENHANCED_STATUS.search(text)
    return found is None or found.group(1) in ("1", "2")
