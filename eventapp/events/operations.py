"""Campaigns, events and their questions: what organisers build."""
import re
from urllib.parse import quote_plus

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from eventapp import signals
from eventapp.accounts.models import BACK_OFFICE_ROLES, Organisation
from eventapp.events.models import Campaign, Event, EventStatus, Question
from eventapp.core import i18n
from eventapp.core.time import utcnow
from eventapp.extensions import db

EVENT_FIELDS = ("title", "slug", "kind", "campaign_id", "summary", "agenda_md", "speakers_md", "timezone",
                "starts_at", "ends_at", "venue_name", "venue_address", "capacity", "waitlist_enabled",
                "approval_required", "phone_required", "sms_enabled", "image_url", "registration_opens_at",
                "registration_closes_at", "invitation_only", "forwarding_allowed", "languages",
                "phone_region")

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def find_by_slug(slug: str) -> Event | None:
    """The event with its questions loaded (the sign-up form needs them): two SELECTs, which cost a fraction of
    the ORM's joined load of the same rows (the landing page and every sign-up run this)."""
    if not slug or len(slug) > 80:
        return None
    event = db.session.scalars(_EVENT_BY_SLUG, {"slug": slug}).first()
    if event is None:
        return None
    if "questions" not in sa.inspect(event).dict:  # an event the session already held keeps what it has
        set_committed_value(event, "questions", db.session.scalars(_QUESTIONS_OF, {"event_id": event.id}).all())
    return event


_EVENT_BY_SLUG = sa.select(Event).where(Event.slug == sa.bindparam("slug"))
_QUESTIONS_OF = (sa.select(Question).where(Question.event_id == sa.bindparam("event_id"))
                 .order_by(Question.position, Question.id))


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
        event = Event(organisation_id=organisation_id, status=EventStatus.DRAFT)
        db.session.add(event)
        for name in EVENT_FIELDS:
            if name in values:
                setattr(event, name, values[name])
        db.session.flush()  # the subscribers load it by its id
        signals.event_created.send(signals.EventChange(event.id, organisation_id, utcnow()))
        return event
    changed = [name for name in CALENDAR_FIELDS if name in values and values[name] != getattr(event, name)]
    capacity = signals.CapacityChange(event.id, event.organisation_id, event.capacity, values.get("capacity"))
    for name in EVENT_FIELDS:
        if name in values:
            setattr(event, name, values[name])
    if "capacity" in values and capacity.new_capacity != capacity.old_capacity:
        db.session.flush()
        signals.capacity_changed.send(capacity)
    if changed and event.status == EventStatus.PUBLISHED:
        event.calendar_sequence += 1
        db.session.flush()
        signals.event_rescheduled.send(signals.EventChange(event.id, event.organisation_id, utcnow(), tuple(changed)))
    return event


def changed_fields(event: Event, values: dict) -> tuple[str, ...]:
    """The names of the event's fields that these form values change."""
    return tuple(name for name in EVENT_FIELDS if name in values and values[name] != getattr(event, name))


def capacity_refusal(event: Event, capacity: int | None) -> str | None:
    """Why the event cannot take this capacity now (the features above say: registration counts the seats held),
    or None."""
    if event.id is None or capacity == event.capacity:
        return None
    refusals = signals.answers(signals.capacity_changing,
                               signals.CapacityChange(event.id, event.organisation_id, event.capacity, capacity))
    return refusals[0] if refusals else None


class StatusRefused(Exception):
    """A status change that cannot happen; str() is the sentence for the organiser."""


def set_status(event: Event, status: EventStatus) -> None:
    """Publish or unpublish. Cancelling goes through cancel_event (after the organiser has seen who is told), and a
    cancellation is final: its attendees were told and their calendar entries removed."""
    if event.status == EventStatus.CANCELLED:
        raise StatusRefused(_("This event is cancelled, and a cancellation is final: its attendees have been told. "
                              "Create a new event to run it again."))
    if status == EventStatus.CANCELLED:
        cancel_event(event)
        return
    old = event.status
    if old == status:
        return
    event.status = status
    signals.event_status_changed.send(signals.EventStatusChange(event.id, event.organisation_id, old, status,
                                                                utcnow()))


def cancellation_audience(event: Event) -> signals.Audience:
    """Who a cancellation would tell, as the features that tell them count it (the cancellation_audience signal)."""
    counted = signals.answers(signals.cancellation_audience, signals.EventPage(event.id, event.organisation_id))
    return signals.Audience(email=sum(a.email for a in counted), sms=sum(a.sms for a in counted))


def cancel_event(event: Event) -> bool:
    """Cancel the event and tell everyone holding a registration, once: one conditional UPDATE from the status it
    was read with, so a double submit's second request (even at the same moment) finds it cancelled and changes
    nothing. False when it was cancelled already."""
    old = event.status
    if old == EventStatus.CANCELLED:
        return False
    changed = db.session.execute(
        sa.update(Event).where(Event.id == event.id, Event.status == old)
        .values(status=EventStatus.CANCELLED, calendar_sequence=Event.calendar_sequence + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        db.session.expire(event)
        return False
    db.session.refresh(event, ["status", "calendar_sequence", "updated_at"])
    signals.event_status_changed.send(signals.EventStatusChange(event.id, event.organisation_id, old,
                                                                EventStatus.CANCELLED, event.updated_at))
    signals.event_cancelled.send(signals.EventChange(event.id, event.organisation_id, event.updated_at,
                                                     ("status",)))
    return True


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


def offered_languages(event: Event) -> list[str]:
    """The languages the event's landing page, form and mails are in, its default first (core.i18n.LANGUAGES):
    its own choice, else its organisation's language."""
    if event.languages:
        return i18n.event_languages(event.languages, "")
    return i18n.event_languages("", organisation_of(event).language)


def reader_language(event: Event, preferred: str) -> str:
    """The language a person reads this event's pages and messages in: theirs (`preferred`) when the event offers
    it, else the event's default."""
    offered = offered_languages(event)
    name = i18n.normalise_language(preferred)
    return name if name in offered else offered[0]
