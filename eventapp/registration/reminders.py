"""Reminders: each confirmed registration gets each rule's reminder once, and never a stale one."""
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from eventapp.core.time import utcnow
from eventapp.events.models import Event, EventStatus
from eventapp.extensions import db
from eventapp.messaging.models import DEFAULT_REMINDERS_MINUTES, Message, MessageKind, ReminderRule
from eventapp.messaging.operations import every_sweep
from eventapp.registration.models import Registration, RegistrationStatus
from eventapp.registration.notifications import channels_for, queue_for

LONGEST_LEAD = timedelta(days=60)


def add_default_rules(event: Event) -> None:
    for minutes in DEFAULT_REMINDERS_MINUTES:
        db.session.add(ReminderRule(event=event, minutes_before=minutes, channel="email"))


class ReminderRefused(Exception):
    """A reminder that cannot work; str() is the sentence for the organiser."""


def add_rule(event: Event, minutes_before: int, channel: str) -> ReminderRule | None:
    """An organiser's new reminder, or None when the event already has it. A double-click's second request can
    pass the check before the first commits: the unique constraint then refuses its row, and it is undone."""
    if channel == "sms" and not event.sms_enabled:
        raise ReminderRefused(_("This event does not offer SMS, so an SMS reminder would reach nobody. Turn on "
                                "“Offer SMS messages” in the event's settings first, or choose email."))
    wanted = (event.id, minutes_before, channel)
    if _already_set(*wanted):
        return None
    rule = ReminderRule(event=event, minutes_before=minutes_before, channel=channel)
    db.session.add(rule)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        if _already_set(*wanted):
            return None
        raise  # not the duplicate: something else is wrong
    return rule


def _already_set(event_id: int, minutes_before: int, channel: str) -> bool:
    return db.session.execute(sa.select(ReminderRule.id).where(
        ReminderRule.event_id == event_id, ReminderRule.minutes_before == minutes_before,
        ReminderRule.channel == channel)).first() is not None


def paused_sms_rules(event: Event) -> int:
    """SMS reminders kept on an event that no longer offers SMS: they send nothing until SMS is on again."""
    if event.sms_enabled:
        return 0
    return db.session.execute(sa.select(sa.func.count()).select_from(ReminderRule).where(
        ReminderRule.event_id == event.id, ReminderRule.channel == "sms")).scalar()


def reminder_key(registration_id: int, rule: ReminderRule) -> str:
    return f"reg:{registration_id}:reminder:{rule.id}:{rule.channel}"


@every_sweep
def queue_due_reminders(now=None) -> int:
    """Each rule's reminder to each registration confirmed before the rule's time, once (the sweep runs this)."""
    now = now or utcnow()
    upcoming = db.session.execute(
        sa.select(ReminderRule, Event).join(Event, ReminderRule.event_id == Event.id)
        .where(Event.status == EventStatus.PUBLISHED, Event.starts_at > now, Event.starts_at <= now + LONGEST_LEAD)
    ).all()
    queued = 0
    for rule, event in upcoming:
        send_from = event.starts_at - timedelta(minutes=rule.minutes_before)
        if now < send_from or (rule.channel == "sms" and not event.sms_enabled):  # SMS off: the rule waits
            continue
        # Only people confirmed before the reminder's time: a later sign-up just got its confirmation.
        registrations = db.session.execute(
            sa.select(Registration).where(Registration.event_id == event.id,
                                          Registration.status == RegistrationStatus.CONFIRMED,
                                          Registration.created_at <= send_from)).scalars().all()
        if rule.channel == "sms":  # texts only to those who chose them, as every other message
            registrations = [r for r in registrations if "sms" in channels_for(r)]
        if not registrations:
            continue
        keys = {reminder_key(r.id, rule): r for r in registrations}
        existing = set(db.session.execute(
            sa.select(Message.idempotency_key).where(Message.idempotency_key.in_(keys))).scalars())
        for key, registration in keys.items():
            if key not in existing and queue_for(registration, MessageKind.REMINDER, channel=rule.channel,
                                                 key=key, context={"rule_id": rule.id}):
                queued += 1
    return queued
