"""Campaigns, events and their questions: what organisers build."""
import re
from functools import cache
from urllib.parse import quote_plus

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from eventapp import signals
from eventapp.accounts.models import BACK_OFFICE_ROLES, Organisation
from eventapp.events.models import Campaign, Event, EventStatus, Question
from eventapp.extensions import db

EVENT_FIELDS = ("title", "slug", "kind", "campaign_id", "summary", "agenda_md", "speakers_md", "timezone",
                "starts_at", "ends_at", "venue_name", "venue_address", "capacity", "waitlist_enabled",
                "approval_required", "phone_required", "sms_enabled", "registration_opens_at",
                "registration_closes_at")

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def find_by_slug(slug: str) -> Event | None:
    if not slug or len(slug) > 80:
        return None
    return db.session.execute(_event_by_slug(), {"slug": slug}).unique().scalar_one_or_none()


@cache
def _event_by_slug():
    """Built once (the landing page and every sign-up run it; building it per call showed in the profile), and
    on first use, when every model is mapped. The questions come in the same query: the sign-up form needs them."""
    return sa.select(Event).where(Event.slug == sa.bindparam("slug")).options(joinedload(Event.questions))


def slug_taken(slug: str, except_event: Event | None = None) -> bool:
    query = sa.select(Event.id).where(Event.slug == slug)
    if except_event is not None and except_event.id is not None:
        query = query.where(Event.id != except_event.id)
    return db.session.execute(query).first() is not None


def organisation_of(event: Event) -> Organisation:
    return db.session.get(Organisation, event.organisation_id)


def can_manage(user, event: Event) -> bool:
    """Owners and organisers of the event's organisation."""
    if not getattr(user, "is_authenticated", False):
        return False
    return any(m.organisation_id == event.organisation_id and m.role in BACK_OFFICE_ROLES for m in user.memberships)


def map_url(event: Event) -> str | None:
    if not event.venue_address:
        return None
    return "https://www.openstreetmap.org/search?query=" + quote_plus(event.venue_address)


def save_campaign(organisation_id: int, values: dict, campaign: Campaign | None = None) -> Campaign:
    if campaign is None:
        campaign = Campaign(organisation_id=organisation_id)
        db.session.add(campaign)
    campaign.name = values["name"]
    campaign.description = values.get("description") or ""
    return campaign


# A change to any of these moves the attendees' calendar entries (and tells them).
CALENDAR_FIELDS = ("starts_at", "ends_at", "timezone", "venue_name", "venue_address", "title")


def save_event(organisation_id: int, values: dict, event: Event | None = None) -> Event:
    """Create an event (a draft with the default reminders), or change one; a published event whose time or
    place changes gets a new calendar version, and its attendees are told."""
    if event is None:
        from eventapp.messaging.reminders import add_default_rules

        event = Event(organisation_id=organisation_id, status=EventStatus.DRAFT)
        db.session.add(event)
        add_default_rules(event)
        changed = []
    else:
        changed = [name for name in CALENDAR_FIELDS if name in values and values[name] != getattr(event, name)]
    capacity_changed = "capacity" in values and values["capacity"] != event.capacity
    for name in EVENT_FIELDS:
        if name in values:
            setattr(event, name, values[name])
    if capacity_changed and event.id is not None and event.capacity is not None:
        from eventapp.registration.operations import recount_seats

        recount_seats(event)
    if changed and event.status == EventStatus.PUBLISHED:
        event.calendar_sequence += 1
        signals.event_rescheduled.send(event, changed=changed)
    return event


def set_status(event: Event, status: EventStatus) -> None:
    old = event.status
    if old == status:
        return
    event.status = status
    if status == EventStatus.CANCELLED:
        event.calendar_sequence += 1
    signals.event_status_changed.send(event, old_status=old)


def save_question(event: Event, values: dict, question: Question | None = None) -> Question:
    if question is None:
        position = max((q.position for q in event.questions), default=0) + 1
        question = Question(event=event, position=position)
        db.session.add(question)
    question.label = values["label"]
    question.kind = values["kind"]
    question.required = values["required"]
    question.options = values.get("options") or []
    return question


def delete_question(question: Question) -> None:
    db.session.delete(question)


def campaigns(organisation_id: int) -> list[Campaign]:
    return list(db.session.execute(
        sa.select(Campaign).where(Campaign.organisation_id == organisation_id).order_by(Campaign.created_at.desc())
    ).scalars())


def events_of(organisation_id: int) -> list[Event]:
    return list(db.session.execute(
        sa.select(Event).where(Event.organisation_id == organisation_id).order_by(Event.starts_at.desc())
    ).scalars())
