"""One suppression list for every channel: an address or number is on it or not, changes are atomic and told
through one signal, and SMS opt-outs from before it were carried over."""
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from eventapp import signals
from eventapp.contacts.models import Suppression, SuppressionChannel, SuppressionReason
from eventapp.contacts.operations import is_suppressed, lift_suppression, suppress
from eventapp.extensions import db as _db
from tests.core.test_migrations import _insert_filled

NUMBER = "+447700900123"


def changes_told():
    told = []

    def receiver(change, **_):
        told.append(change)

    signals.suppression_changed.connect(receiver)
    return told, receiver


def test_on_the_list_once_then_off_it_and_each_change_told_once(db):
    told, receiver = changes_told()
    try:
        assert suppress(SuppressionChannel.SMS, NUMBER, SuppressionReason.STOP, "STOP") is True
        assert suppress(SuppressionChannel.SMS, NUMBER, SuppressionReason.STOP, "QUIT") is False
        assert is_suppressed(SuppressionChannel.SMS, NUMBER)
        [row] = db.session.execute(sa.select(Suppression)).scalars()
        assert (row.channel, row.address, row.reason, row.keyword) == ("sms", NUMBER, "stop", "STOP")
        assert lift_suppression(SuppressionChannel.SMS, NUMBER, "START") is True
        assert lift_suppression(SuppressionChannel.SMS, NUMBER, "START") is False
        assert not is_suppressed(SuppressionChannel.SMS, NUMBER)
    finally:
        signals.suppression_changed.disconnect(receiver)
    assert [(c.channel, c.address, c.suppressed, c.keyword) for c in told] == [
        ("sms", NUMBER, True, "STOP"), ("sms", NUMBER, False, "START")]
    assert all(isinstance(c, signals.SuppressionChange) and c.changed_at.tzinfo for c in told)


def test_channels_are_apart(db):
    suppress(SuppressionChannel.EMAIL, "ada@example.com", SuppressionReason.UNSUBSCRIBED)
    suppress(SuppressionChannel.EMAIL, "bob@example.com", SuppressionReason.BOUNCED)
    assert is_suppressed(SuppressionChannel.EMAIL, "ada@example.com")
    assert not is_suppressed(SuppressionChannel.SMS, "ada@example.com")
    assert not is_suppressed(SuppressionChannel.EMAIL, "carol@example.com")
    assert SuppressionReason("complained").label == "Marked as spam"


def test_sms_opt_outs_become_suppressions_and_go_back(throwaway_app):
    """A database from before the one list: numbers that said STOP are on it with their keyword; a number that
    said START again is not. Going down gives the STOPs back to sms_opt_outs."""
    with throwaway_app.app_context():
        upgrade(revision="9c3f2e7a4d35")
        with _db.engine.begin() as connection:
            _insert_filled(connection, "sms_opt_outs", phone=NUMBER, opted_out=True, keyword="退订")
            _insert_filled(connection, "sms_opt_outs", phone="+447700900999", opted_out=False, keyword="START")
        upgrade(revision="a4d8e2c61f07")
        with _db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT channel, address, reason, keyword FROM suppressions")).all()
            assert [tuple(row) for row in rows] == [("sms", NUMBER, "stop", "退订")]
            assert "sms_opt_outs" not in sa.inspect(connection).get_table_names()
        downgrade(revision="9c3f2e7a4d35")
        with _db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT phone, opted_out, keyword FROM sms_opt_outs")).all()
        assert [tuple(row) for row in rows] == [(NUMBER, True, "退订")]
