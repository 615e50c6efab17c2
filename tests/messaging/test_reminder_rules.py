"""Reminder rules: one of each per event, however often (or however fast) the organiser asks for it."""
import sqlalchemy as sa
from flask_migrate import upgrade

from eventapp import create_app
from eventapp.extensions import db as _db
from eventapp.registration import reminders
from eventapp.messaging.models import ReminderRule
from tests.conftest import submit


def rules_of(db, event):
    db.session.expire_all()
    return sorted(db.session.execute(sa.select(ReminderRule.minutes_before, ReminderRule.channel)
                                      .where(ReminderRule.event_id == event.id)).all())


def add_reminder(client, event, amount, unit, channel):
    return submit(client, f"/admin/events/{event.id}/messages", {"amount": str(amount), "unit": unit,
                                                                  "channel": channel},
                  post_url=f"/admin/events/{event.id}/reminders", follow_redirects=True)


def test_the_same_reminder_twice_is_refused_and_changes_nothing(client, db, make_event, login_as):
    event = make_event(sms_enabled=True)
    login_as()
    defaults = rules_of(db, event)
    assert defaults == [(120, "email"), (1440, "email")]
    page = add_reminder(client, event, 1, "days", "email").get_data(as_text=True)  # the default one-day reminder
    assert "This reminder is already set" in page and "Reminder added." not in page
    assert rules_of(db, event) == defaults
    assert "Reminder added." in add_reminder(client, event, 3, "hours", "sms").get_data(as_text=True)
    assert "This reminder is already set" in add_reminder(client, event, 180, "minutes", "sms").get_data(as_text=True)
    assert rules_of(db, event) == [(120, "email"), (180, "sms"), (1440, "email")]
    # the same time by another channel, or at another event, is another reminder
    assert "Reminder added." in add_reminder(client, event, 2, "hours", "sms").get_data(as_text=True)
    other = make_event(sms_enabled=True)
    assert "Reminder added." in add_reminder(client, other, 3, "hours", "sms").get_data(as_text=True)


def test_a_double_click_adds_the_reminder_once(client, db, make_event, login_as, monkeypatch):
    """The second request's check ran before the first committed: the unique constraint refuses its row, and the
    organiser reads the same sentence, not an error page."""
    event = make_event()
    login_as()
    checks = []
    real_check = reminders._already_set

    def check_before_the_other_commit(*rule):
        checks.append(rule)
        return False if len(checks) == 1 else real_check(*rule)

    monkeypatch.setattr(reminders, "_already_set", check_before_the_other_commit)
    response = add_reminder(client, event, 2, "hours", "email")
    assert response.status_code == 200 and "This reminder is already set" in response.get_data(as_text=True)
    assert len(checks) == 2 and rules_of(db, event) == [(120, "email"), (1440, "email")]
    assert "Reminder added." in add_reminder(client, event, 5, "hours", "email").get_data(as_text=True)


def test_the_migration_keeps_the_first_of_each_duplicate_reminder(tmp_path):
    """A database from before the constraint, with duplicates in it, upgrades: the lowest id of each stays."""
    application = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}", "TESTING": True})
    try:
        with application.app_context():
            upgrade(revision="e3eafaba3eaf")
            with _db.engine.begin() as connection:
                connection.execute(sa.text(
                    "INSERT INTO organisations (id, slug, name, created_at) VALUES (1, 'acme', 'Acme', '2026-01-01')"))
                connection.execute(sa.text(
                    "INSERT INTO events (id, organisation_id, slug, title, kind, status, summary, agenda_md, "
                    "speakers_md, timezone, starts_at, ends_at, venue_name, venue_address, waitlist_enabled, "
                    "approval_required, phone_required, created_at, updated_at) VALUES (1, 1, 's', 'S', 'seminar', "
                    "'published', '', '', '', 'UTC', '2027-01-01', '2027-01-01', '', '', 1, 0, 0, '2026-01-01', "
                    "'2026-01-01')"))
                for rule_id, minutes, channel in [(1, 1440, "email"), (2, 120, "email"), (3, 1440, "email"),
                                                  (4, 120, "sms"), (5, 1440, "email"), (6, 120, "sms")]:
                    connection.execute(sa.text(
                        "INSERT INTO reminder_rules (id, event_id, minutes_before, channel, created_at) "
                        "VALUES (:id, 1, :minutes, :channel, '2026-01-01')"),
                        {"id": rule_id, "minutes": minutes, "channel": channel})
            upgrade()
            with _db.engine.connect() as connection:
                rows = connection.execute(sa.text("SELECT id, minutes_before, channel FROM reminder_rules "
                                                  "ORDER BY id")).all()
            assert [tuple(row) for row in rows] == [(1, 1440, "email"), (2, 120, "email"), (4, 120, "sms")]
    finally:
        with application.app_context():
            _db.engine.dispose()
