"""Where messages go: SMTP (or the dev mailbox when no SMTP server is set); SMS comes through Twilio."""
from eventapp.messaging.compose import ComposedEmail, compose
from eventapp.messaging.email import SmtpSender, SmtpSettings
from eventapp.messaging.sms import SmsBackend, TwilioSettings


class EmailBackend:
    def __init__(self, sender: SmtpSender | None):
        self.sender = sender  # None: keep the message for /dev/mailbox instead of sending it

    @property
    def is_dev_mailbox(self) -> bool:
        return self.sender is None

    def refusal(self, message) -> str | None:
        return None  # transactional mail always goes (marketing suppression comes with invitations)

    def prepare(self, message, known_templates: dict | None = None) -> ComposedEmail:
        """Compose the mail (the CPU work, done before the send)."""
        email = compose(message, known_templates)
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
    return {"email": EmailBackend(sender), "sms": SmsBackend(TwilioSettings.from_config(config))}
