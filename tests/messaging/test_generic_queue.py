"""messaging.queue is for any feature's mail: a recipient that is a user or a bare address, content registered by
the feature, and the sweep's periodic work registered by the features too."""
import pytest
import sqlalchemy as sa
from jinja2 import ChoiceLoader, DictLoader

from eventapp.messaging import operations
from eventapp.messaging.content import Mail, MessageContent, register_content
from eventapp.messaging.models import Message, MessageStatus
from eventapp.messaging.operations import Recipient


class Greeting(MessageContent):
    """A feature messaging has never heard of: its messages are about nothing but their context."""

    placeholders = {}

    def load(self, messages):
        for message in messages:
            message.about = message.meta["who"]

    def mail(self, message, translations, locale, wording):
        return Mail(subject=f"Hello {message.about}", template="emails/greeting", context={"who": message.about})

    def sms(self, message, translations, wording):
        return f"Hello {message.about}"


def test_a_feature_mails_a_user_and_a_bare_address_through_the_outbox(app, db, org, make_user, smtp_sink,
                                                                      monkeypatch):
    register_content(["greeting"], Greeting())
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([
        DictLoader({"emails/greeting.txt": "Hi {{ who }}, plain.",
                    "emails/greeting.html": "<p>Hi {{ who }}, <b>html</b>.</p>"}), app.jinja_env.loader]))
    user = make_user()
    to_user = operations.queue("greeting", Recipient(email=user.email, name="Olga Organiser", user_id=user.id),
                               organisation_id=org.id, key="greeting:user", context={"who": "Olga"})
    to_address = operations.queue("greeting", Recipient(email="partner@example.org"), organisation_id=org.id,
                                  key="greeting:address", context={"who": "partner"})
    assert operations.queue("greeting", Recipient(email="partner@example.org"), organisation_id=org.id,
                            key="greeting:address", context={"who": "again"}) is None  # the same intent: once
    assert operations.queue("greeting", Recipient(email="partner@example.org"), organisation_id=org.id,
                            key="greeting:sms", channel="sms", context={"who": "x"}) is None  # no phone: nothing
    db.session.commit()
    assert operations.deliver_due() == 2

    rows = {row.idempotency_key: row for row in db.session.execute(sa.select(Message)).scalars()}
    assert rows.keys() == {"greeting:user", "greeting:address"}
    assert (rows["greeting:user"].user_id, rows["greeting:user"].contact_id, rows["greeting:user"].recipient_name) \
        == (user.id, None, "Olga Organiser")
    assert {row.status for row in rows.values()} == {MessageStatus.SENT}
    assert to_user.id == rows["greeting:user"].id and to_address.id == rows["greeting:address"].id
    subjects = sorted(mail["Subject"] for mail in smtp_sink.messages)
    assert subjects == ["Hello Olga", "Hello partner"]
    [mail] = [mail for mail in smtp_sink.messages if mail["Subject"] == "Hello partner"]
    assert mail.get_body(("plain",)).get_content().strip() == "Hi partner, plain."
    assert "<b>html</b>" in mail.get_body(("html",)).get_content()


def test_a_kind_no_feature_writes_is_refused_when_it_is_queued(app, db, org):
    with pytest.raises(LookupError, match="no feature writes messages of kind 'nonsense'"):
        operations.queue("nonsense", Recipient(email="a@example.org"), organisation_id=org.id, key="nonsense")
    assert db.session.execute(sa.select(Message.id)).first() is None


def test_the_sweep_runs_the_features_periodic_work_and_one_failure_stops_nothing(app, db, org, monkeypatch):
    ran = []

    def broken():
        ran.append("broken")
        raise RuntimeError("a bug in one feature's periodic job")

    def queues_one():
        ran.append("queues_one")
        operations.queue("greeting", Recipient(email="later@example.org"), organisation_id=org.id,
                         key="greeting:swept", context={"who": "later"})

    register_content(["greeting"], Greeting())
    monkeypatch.setattr(operations, "_PERIODIC", [])
    operations.every_sweep(broken)
    operations.every_sweep(queues_one)
    operations.every_sweep(queues_one)  # registered once however often a module is imported
    delivered = []
    monkeypatch.setattr(operations, "deliver_due", lambda: delivered.append(True) or 0)
    operations.sweep()
    assert ran == ["broken", "queues_one"]
    assert delivered == [True]
    assert db.session.execute(sa.select(Message.recipient)).scalars().all() == ["later@example.org"]


def test_reminders_and_no_shows_are_the_sweeps_periodic_work(app):
    from eventapp.checkin.operations import record_no_shows
    from eventapp.registration.reminders import queue_due_reminders

    assert {queue_due_reminders, record_no_shows} <= set(operations._PERIODIC)
