"""A marketing mail of the tests' own (kind "promo"), so tracking, unsubscribe and DKIM are tested without any
feature's content: its HTML has a web link, links that must never be tracked (javascript:, data:, mailto:), a form
whose action must stay as it is, and the unsubscribe link. Use the `promo` fixture (import it into the test module)."""
import email
import email.policy
import itertools
import re

import pytest
import sqlalchemy as sa
from jinja2 import ChoiceLoader, DictLoader

from eventapp.contacts.models import Contact
from eventapp.contacts.normalisation import normalise_email
from eventapp.contacts.operations import contact_for
from eventapp.messaging import models as messaging_models
from eventapp.messaging.content import Mail, MessageContent, register_content
from eventapp.messaging.models import Message
from eventapp.messaging.operations import Recipient, queue

PROMO = "promo"
AGENDA = "https://example.com/agenda?day=1&room=2"
FORM_ACTION = "https://example.com/form"
TEMPLATES = {
    "emails/promo.txt": "Hello {{ name }}, the agenda: " + AGENDA
                        + "{% if unsubscribe_url %}\nUnsubscribe: {{ unsubscribe_url }}{% endif %}\n",
    "emails/promo.html": (
        "<html><body><p>Hello {{ name }}.</p>"
        '<p><a class="button" data-href="https://example.com/kept" href="{{ agenda }}">The agenda</a> '
        "<a href='javascript:alert(1)'>script</a> <a href=\"data:text/html,<b>x</b>\">data</a> "
        '<a href="mailto:events@example.com">write to us</a></p>'
        '<form method="post" action="' + FORM_ACTION + '"><button>Sign up</button></form>'
        '{% if unsubscribe_url %}<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>{% endif %}'
        "</body></html>"),
}


class Promo(MessageContent):
    def load(self, messages):
        for message in messages:
            message.about = message.meta.get("name", "")

    def mail(self, message, translations, locale, wording):
        return Mail(subject="Our autumn seminar programme", template="emails/promo",
                    context={"name": message.about, "agenda": AGENDA})


class Marketing:
    """Queues promo mails and finds what came of them."""

    def __init__(self, db, org):
        self.db, self.org, self.keys = db, org, itertools.count(1)

    def contact(self, address="ada@example.com", consent=True) -> Contact:
        contact = contact_for(self.org.id, normalise_email(address), {"first_name": "Ada", "last_name": "Lovelace"})
        contact = self.db.session.get(Contact, contact.id)
        contact.marketing_consent = consent
        self.db.session.commit()
        return contact

    def queue(self, contact: Contact) -> int:
        message = queue(PROMO, Recipient(email=contact.email, name=contact.name, contact_id=contact.id),
                        organisation_id=contact.organisation_id, key=f"promo:{next(self.keys)}",
                        context={"name": contact.first_name})
        self.db.session.commit()
        return message.id

    def message(self, message_id: int) -> Message:
        self.db.session.expire_all()
        return self.db.session.get(Message, message_id)


@pytest.fixture
def promo(app, db, org, monkeypatch) -> Marketing:
    register_content([PROMO], Promo())
    monkeypatch.setattr(messaging_models, "MARKETING_KINDS", messaging_models.MARKETING_KINDS | {PROMO})
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader]))
    return Marketing(db, org)


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def html_of(mail) -> str:
    return mail.get_body(("html",)).get_content()


def unsubscribe_path(mail) -> str:
    """The path of the mail's List-Unsubscribe URL."""
    found = re.fullmatch(r"<https?://[^/]+(/unsubscribe/[\w.-]+)>", mail["List-Unsubscribe"])
    assert found, mail["List-Unsubscribe"]
    return found.group(1)


def rows(db, model, *where):
    db.session.expire_all()
    # In the order they were written: without ORDER BY, PostgreSQL may return them in any order.
    return list(db.session.execute(sa.select(model).where(*where)
                                   .order_by(*model.__table__.primary_key.columns)).scalars())
