"""SMS through Twilio: opt-outs honoured before anything reaches Twilio, errors sorted into retry or give up,
delivery reports and STOP/START/HELP replies applied to our rows, and segment counts for the organiser."""
import hashlib
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from eventapp import signals
from eventapp.contacts.models import SuppressionChannel, SuppressionReason
from eventapp.contacts.operations import is_suppressed, lift_suppression, suppress
from eventapp.core.time import utcnow
from eventapp.extensions import db
from eventapp.messaging.compose import compose_sms, public_base_url
from eventapp.messaging.email import PermanentError, TransientError
from eventapp.messaging.models import EarlySmsStatus, Message, MessageStatus, message_change

log = logging.getLogger(__name__)

STATUS_CALLBACK_PATH = "/twilio/status"

# What Twilio itself treats as opt-out / opt-in / help (trimmed, any case), plus the Chinese "unsubscribe".
# 退订 and TD ("tui ding") are how Chinese mobiles opt out, as operators there print under every marketing text.
STOP_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE", "退订",
                           "TD"})
START_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})

OPTED_OUT = 21610  # the number replied STOP to our sender
# Twilio errors that will not go away by sending again.
PERMANENT_CODES = {
    OPTED_OUT: "the number has opted out of text messages (replied STOP)",
    21211: "the phone number is not valid",
    21614: "the number cannot receive text messages (not a mobile number)",
}
# Delivery-report error codes an organiser is most likely to see, in words.
DELIVERY_ERRORS = {
    30003: "the phone is switched off or unreachable",
    30004: "the message was blocked",
    30005: "the number is unknown or no longer in service",
    30006: "a landline or a carrier that cannot take text messages",
    30007: "filtered by the carrier",
    30008: "unknown delivery error",
    OPTED_OUT: PERMANENT_CODES[OPTED_OUT],
}


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str = ""
    messaging_service_sid: str = ""

    @classmethod
    def from_config(cls, config: dict) -> "TwilioSettings | None":
        """None when Twilio is not configured (SMS then go to the dev mailbox); a half-done setup is an error."""
        sid, token = config.get("TWILIO_ACCOUNT_SID", ""), config.get("TWILIO_AUTH_TOKEN", "")
        sender, service = config.get("TWILIO_FROM", ""), config.get("TWILIO_MESSAGING_SERVICE_SID", "")
        if not (sid or token):
            return None
        if not (sid and token):
            raise ValueError("Set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to send SMS (or neither).")
        if not (sender or service):
            raise ValueError("Set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID to send SMS.")
        return cls(sid, token, sender, service)


class SmsBackend:
    """Sends through the real `twilio` client; without settings, keeps the text for /dev/mailbox instead."""

    def __init__(self, settings: TwilioSettings | None, *, api_base_url: str = "", timeout: float = 30):
        self.settings = settings
        self.api_base_url = api_base_url  # a local fake Twilio API (tests); empty: api.twilio.com
        self.timeout = timeout
        self._local = threading.local()  # one client (and HTTP connection pool) per worker thread

    @property
    def is_dev_mailbox(self) -> bool:
        return self.settings is None

    def refusal(self, message) -> str | None:
        if is_opted_out(message.recipient):
            return _("Not sent: this number replied STOP and gets no text messages until it replies START.")
        return None

    def prepare(self, message, known_templates: dict | None = None) -> str:
        message.body_text = compose_sms(message, known_templates)
        return message.body_text

    def send(self, message, known_templates: dict | None = None, prepared: str | None = None) -> str:
        if prepared is None:
            self.prepare(message, known_templates)
        if self.settings is None:
            return "dev-" + hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
        sender = {"from_": self.settings.from_number} if self.settings.from_number else \
            {"messaging_service_sid": self.settings.messaging_service_sid}
        try:
            created = self._client().messages.create(
                to=message.recipient, body=message.body_text,
                status_callback=public_base_url() + STATUS_CALLBACK_PATH, **sender)
        except TwilioRestException as error:
            status, code, text = error.status, error.code, error.msg  # str(error) is coloured on a terminal
        except OSError as error:  # requests' connection errors and timeouts are OSErrors
            raise TransientError(f"Twilio could not be reached: {error}") from None
        except TwilioException as error:  # e.g. an RFC 9457 error body (TwilioServiceException)
            status, code = getattr(error, "status", 0) or 0, getattr(error, "code", None)
            text = getattr(error, "detail", None) or getattr(error, "title", None) or error.__class__.__name__
        else:
            return created.sid
        if code == OPTED_OUT:
            # Twilio knows of a STOP we missed: mirror it, so nothing more is even tried.
            set_sms_opt_out(message.recipient, True, keyword=str(OPTED_OUT))
        raise send_error(status, code, text) from None

    def _client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            client = Client(self.settings.account_sid, self.settings.auth_token,
                            http_client=TwilioHttpClient(timeout=self.timeout))
            if self.api_base_url:
                client.api.base_url = self.api_base_url
            self._local.client = client
        return client


def send_error(status: int, code: int | None, text: str) -> Exception:
    """What a refused `messages.create` means for the outbox: try again later, or never."""
    reason = f"Twilio error {code}: {PERMANENT_CODES.get(code) or text}" if code else \
        f"Twilio answered HTTP {status}: {text}"
    if code in PERMANENT_CODES:
        return PermanentError(reason)
    if status == 429 or status >= 500 or not status:
        return TransientError(reason)
    return PermanentError(reason)  # any other 4xx: this request will never be accepted


# ---- opt-outs --------------------------------------------------------------------------------------------------

def is_opted_out(phone: str) -> bool:
    return is_suppressed(SuppressionChannel.SMS, phone)


def set_sms_opt_out(phone: str, opted_out: bool, keyword: str = "") -> bool:
    """Put the number on the suppression list (or take it off) at once; whether that changed. The contacts with
    the number hear of it through signals.suppression_changed."""
    if opted_out:
        return suppress(SuppressionChannel.SMS, phone, SuppressionReason.STOP, keyword)
    return lift_suppression(SuppressionChannel.SMS, phone, keyword)


def keyword_of(body: str) -> str:
    """The reply as one keyword: full-width letters made plain (a Chinese keyboard's ＴＤ is TD), spaces and a
    closing full stop or exclamation mark dropped ("退 订。" is 退订), upper case."""
    text = "".join(unicodedata.normalize("NFKC", body or "").split())
    return text.rstrip(".!。！").upper()


E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def handle_inbound(phone: str, body: str) -> str | None:
    """An SMS someone sent us: STOP/START change their choice at once; returns the reply text for HELP."""
    keyword = keyword_of(body)
    if not E164.fullmatch(phone or ""):
        # Not a number we text (a WhatsApp or Messenger address, a short code): nothing of ours to opt out of.
        return None
    if keyword in STOP_KEYWORDS:
        set_sms_opt_out(phone, True, keyword)
    elif keyword in START_KEYWORDS:
        set_sms_opt_out(phone, False, keyword)
    elif keyword in HELP_KEYWORDS:
        return _("Text messages about your event registrations. Reply STOP to stop them, START to get them "
                 "again. Your confirmation email has the link to your registration.")
    return None


# ---- delivery reports ------------------------------------------------------------------------------------------

DELIVERED_STATUSES = frozenset({"delivered", "read"})
FAILED_STATUSES = frozenset({"undelivered", "failed"})


def record_delivery_status(provider_id: str, status: str, error_code: str = "") -> Message | None:
    """Apply one Twilio status callback. Callbacks arrive in any order, so a row only moves forward: from sent
    to delivered or failed, never back (a late "sent" or "queued" changes nothing)."""
    if not provider_id:
        return None
    message = db.session.execute(
        sa.select(Message).where(Message.provider_id == provider_id, Message.channel == "sms")).scalar_one_or_none()
    status = (status or "").lower()
    if message is None:
        if status in DELIVERED_STATUSES | FAILED_STATUSES and len(provider_id) <= 64:
            # Twilio may call back before the worker has recorded the SID it just got: keep the news until then.
            db.session.add(EarlySmsStatus(provider_id=provider_id, status=status, error_code=(error_code or "")[:20]))
        else:
            log.info("status callback for unknown message %s", provider_id)
        return None
    if status in DELIVERED_STATUSES:
        changes = {"status": MessageStatus.DELIVERED, "delivered_at": utcnow()}
    elif status in FAILED_STATUSES:
        changes = {"status": MessageStatus.FAILED, "last_error": delivery_error(status, error_code)}
    else:
        return message  # queued, sending, sent, ...: we already count it as sent
    # Conditional, like the worker's claim: of two callbacks racing, only one moves the row.
    moved = db.session.execute(
        sa.update(Message).where(Message.id == message.id, Message.status == MessageStatus.SENT)
        .values(**changes).execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(message)
    if moved and message.status == MessageStatus.DELIVERED:
        signals.message_delivered.send(message_change(message))
    elif moved:
        if error_code == str(OPTED_OUT):
            set_sms_opt_out(message.recipient, True, keyword=error_code)
        signals.message_failed.send(message_change(message, permanent=True))
    return message


def apply_early_statuses(provider_id: str) -> None:
    """Callbacks kept for this SID before its message had it: apply them now. Called, after their own commits, by
    the worker that recorded the SID and by the callback that kept one, so whichever comes second sees the
    other's row; applying twice moves the message only once (see record_delivery_status)."""
    early = list(db.session.execute(sa.select(EarlySmsStatus).where(EarlySmsStatus.provider_id == provider_id)
                                    .order_by(EarlySmsStatus.id)).scalars())
    if not early or db.session.execute(sa.select(Message.id).where(
            Message.provider_id == provider_id, Message.channel == "sms")).first() is None:
        return
    for callback in early:
        record_delivery_status(provider_id, callback.status, callback.error_code)
        db.session.delete(callback)
    db.session.commit()


def forget_early_statuses(older_than) -> int:
    """Callbacks for SIDs that never turned up (another app on the same Twilio number): dropped by the sweep."""
    result = db.session.execute(sa.delete(EarlySmsStatus).where(EarlySmsStatus.received_at < older_than))
    db.session.commit()
    return result.rowcount


def delivery_error(status: str, error_code: str) -> str:
    try:
        code = int(error_code)
    except (TypeError, ValueError):
        return f"Twilio: {status}"
    return f"Twilio: {status}, error {code}" + (f" ({DELIVERY_ERRORS[code]})" if code in DELIVERY_ERRORS else "")


# ---- segments --------------------------------------------------------------------------------------------------

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("^{}[]~\\|€\f")  # sent as escape + char: two septets each


def sms_segments(text: str) -> tuple[str, int]:
    """("GSM-7" | "UCS-2", how many SMS the text is sent as). GSM-7: 160 septets, 153 a part when split;
    anything outside GSM-7 (all Chinese) makes the whole text UCS-2: 70 characters, 67 a part."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        widths = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return "GSM-7", _parts(widths, single=160, part=153)
    widths = [len(char.encode("utf-16-le")) // 2 for char in text]  # emoji: a surrogate pair, two units
    return "UCS-2", _parts(widths, single=70, part=67)


def _parts(widths: list[int], *, single: int, part: int) -> int:
    total = sum(widths)
    if total <= single:
        return 1 if total else 0
    # An escape pair or a surrogate pair is never split across two parts, so pack character by character.
    parts, used = 1, 0
    for width in widths:
        if used + width > part:
            parts, used = parts + 1, 0
        used += width
    return parts
