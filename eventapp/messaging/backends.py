"""Where messages go: SMTP (or the dev mailbox when no SMTP server is set); SMS comes through Twilio."""
from dataclasses import replace

from eventapp.messaging.compose import ComposedEmail, compose
from eventapp.messaging.email import SmtpSender, SmtpSettings
from eventapp.messaging.models import is_marketing
from eventapp.messaging.signing import DkimSigner
from eventapp.messaging.sms import SmsBackend, TwilioSettings
from eventapp.messaging.unsubscribe import marketing_refusal


class EmailBackend:
    def __init__(self, sender: SmtpSender | None, signer: DkimSigner | None = None):
        self.sender = sender  # None: keep the message for /dev/mailbox instead of sending it
        self.signer = signer  # None: DKIM is not configured

    @property
    def is_dev_mailbox(self) -> bool:
        return self.sender is None

    def refusal(self, message) -> str | None:
        # Transactional mail always goes; marketing mail not to an address that unsubscribed or bounced.
        return marketing_refusal(message) if is_marketing(message.kind) else None

    def prepare(self, message, known_templates: dict | None = None) -> ComposedEmail:
        """Compose the mail (the CPU work, done before the send)."""
        email = compose(message, known_templates)
        if self.signer is not None:
            email = replace(email, mail=self.signer.sign(email.mail))
        message.subject = email.subject
        message.body_text = email.text
        return email

    def send(self, message, known_templates: dict | None = None, prepared: ComposedEmail | None = None) -> str:
        email = prepared or self.prepare(message, known_templates)
        if self.sender is None:
            message.raw = email.mail.data
            return email.mail.message_id
        return self.sender.send(email.mail)


def make_backends(config: dict) -> dict:
    sender = SmtpSender(SmtpSettings.from_url(config["SMTP_URL"])) if config.get("SMTP_URL") else None
    return {"email": EmailBackend(sender, DkimSigner.from_config(config)),
            "sms": SmsBackend(TwilioSettings.from_config(config))}
