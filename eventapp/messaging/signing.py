"""DKIM signatures (dkimpy) on every outgoing mail, when DKIM_PRIVATE_KEY and DKIM_SELECTOR are set (see
config.py): the large mailbox providers require them of bulk senders."""
from dataclasses import dataclass, replace
from email.utils import parseaddr

import dkim

from eventapp.messaging.email import OutgoingMail

# What the signature covers: who, what, when, and the unsubscribe headers (RFC 8058 asks that DKIM covers them, so
# nobody on the way can point them elsewhere). A header listed but absent is signed as absent: it cannot be added.
SIGNED_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"mime-version",
                  b"content-type", b"list-unsubscribe", b"list-unsubscribe-post")


@dataclass(frozen=True)
class DkimSigner:
    selector: bytes
    domain: bytes
    private_key: bytes

    @classmethod
    def from_config(cls, config) -> "DkimSigner | None":
        """The signer the settings describe, or None when DKIM is not configured; a key dkimpy cannot use stops
        the start with a sentence instead of failing every mail later."""
        key, selector = config.get("DKIM_PRIVATE_KEY") or "", config.get("DKIM_SELECTOR") or ""
        if not (key and selector):
            return None
        domain = config.get("DKIM_DOMAIN") or parseaddr(config.get("MAIL_FROM") or "")[1].rpartition("@")[2]
        if not domain:
            raise ValueError("DKIM needs a domain: set DKIM_DOMAIN, or MAIL_FROM with an address.")
        signer = cls(selector=selector.encode(), domain=domain.lower().encode("idna"), private_key=key.encode())
        try:
            signer.signature(b"From: check@example.com\r\nSubject: key check\r\n\r\nkey check\r\n")
        except Exception as error:  # noqa: BLE001  (dkimpy raises several kinds of error for a malformed key)
            raise ValueError(f"DKIM_PRIVATE_KEY cannot sign: {type(error).__name__}: {error}") from None
        return signer

    def signature(self, data: bytes) -> bytes:
        """The DKIM-Signature header (with its line end) for a mail's bytes (CRLF line ends)."""
        return dkim.sign(data, self.selector, self.domain, self.private_key, canonicalize=(b"relaxed", b"relaxed"),
                         include_headers=list(SIGNED_HEADERS))

    def sign(self, mail: OutgoingMail) -> OutgoingMail:
        return replace(mail, data=self.signature(mail.data) + mail.data)
