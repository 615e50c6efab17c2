"""An SMTP 5xx for the address at send time is a bounce: the message fails for good, the address is suppressed (no
more marketing mail), and the lead's timeline says so. A 4xx is a retry; a 5xx about the mail itself (policy, size)
fails the message without blaming the address."""
import pytest

from eventapp.contacts.models import Suppression, SuppressionReason
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.messaging.models import MessageStatus
from eventapp.messaging.operations import deliver_due
from tests.messaging.marketing import rows


def test_a_5xx_bounce_suppresses_the_address_and_the_next_marketing_mail_leaves_it_out(db, promo, smtp_sink):
    contact = promo.contact()
    bounced = promo.queue(contact)
    smtp_sink.reply = "550 no such user here"
    deliver_due()
    message = promo.message(bounced)
    assert message.status == MessageStatus.FAILED and message.attempts == 1
    [suppression] = rows(db, Suppression)
    assert (suppression.address, suppression.reason, suppression.keyword, suppression.source) == \
        ("ada@example.com", SuppressionReason.BOUNCED, "550", "smtp:550")
    [activity] = rows(db, LeadActivity, LeadActivity.kind == ActivityKind.BOUNCED)
    assert (activity.contact_id, activity.meta["message_id"]) == (contact.id, bounced)
    assert "550" in activity.meta["reason"]

    smtp_sink.reply = None
    later = promo.queue(contact)
    deliver_due()
    assert promo.message(later).status == MessageStatus.SUPPRESSED
    assert "Mail bounced" in promo.message(later).last_error
    assert smtp_sink.messages == []


def test_a_4xx_is_a_retry_and_suppresses_nothing(db, promo, smtp_sink):
    message_id = promo.queue(promo.contact())
    smtp_sink.reply = "451 4.3.0 try again later"
    deliver_due()
    message = promo.message(message_id)
    assert message.status == MessageStatus.QUEUED and message.due_at is not None and "451" in message.last_error
    assert rows(db, Suppression) == []
    assert rows(db, LeadActivity, LeadActivity.kind == ActivityKind.BOUNCED) == []


@pytest.mark.parametrize("reply, bounce", [
    ("550 5.1.1 <ada@example.com>: recipient address rejected", True),
    ("552 5.2.2 mailbox full", True),
    ("554 5.7.1 message rejected as spam", False),  # about the mail, not the address
    ("552 5.3.4 message too big", False),
])
def test_only_a_refusal_of_the_address_counts_as_a_bounce(db, promo, smtp_sink, reply, bounce):
    message_id = promo.queue(promo.contact())
    smtp_sink.reply = reply
    deliver_due()
    assert promo.message(message_id).status == MessageStatus.FAILED
    assert bool(rows(db, Suppression)) is bounce
    assert bool(rows(db, LeadActivity, LeadActivity.kind == ActivityKind.BOUNCED)) is bounce


class RefusesOurSender:
    """An SMTP server that refuses the sender (MAIL FROM), as one does when our domain is not allowed to relay."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        return "550 sender not allowed here"


@pytest.fixture
def refusing_server(app):
    from aiosmtpd.controller import Controller

    from eventapp.messaging.backends import EmailBackend
    from eventapp.messaging.email import SmtpSender, SmtpSettings
    from tests.conftest import on_a_free_port

    def start(port):
        controller = Controller(RefusesOurSender(), hostname="127.0.0.1", port=port)
        controller.start()
        return controller

    port, controller = on_a_free_port(start)
    backends = app.extensions["message_backends"]
    previous = backends["email"]
    backends["email"] = EmailBackend(SmtpSender(SmtpSettings("127.0.0.1", port, "plain", "", ""), timeout=5))
    yield
    backends["email"].sender.close()
    backends["email"] = previous
    controller.stop()


def test_a_refusal_of_our_sender_is_no_bounce_of_the_address(db, promo, refusing_server):
    message_id = promo.queue(promo.contact())
    deliver_due()
    message = promo.message(message_id)
    assert message.status == MessageStatus.FAILED and "sender not allowed" in message.last_error
    assert rows(db, Suppression) == []
