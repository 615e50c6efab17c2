"""What a contact's page shows (issue 16, helper "contact"): the events they were invited to, registered for and
attended, in one table; how they came; and the timeline with its filters, each entry saying who caused it."""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventapp.contacts.models import Contact
from eventapp.core.paging import Page, page_of
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.invitations.channels import channel_label
from eventapp.invitations.models import Invitation, InvitationSend, Partner, PartnerLink
from eventapp.leads.models import ActivityKind, Channel, LeadActivity
from eventapp.registration.models import Registration

TIMELINE_PAGE_SIZE = 100

# Who caused an activity when no back-office user did: the channel says who (or what) it was.
CAUSED_BY_CHANNEL = {
    Channel.EMAIL: _l("the person, by email"),
    Channel.SMS: _l("the person, by text message"),
    Channel.WEB: _l("the person, on the web"),
    Channel.STAFF: _l("staff"),
    Channel.INVITATION: _l("the person, through their invitation"),
    Channel.FORWARDED: _l("the person, through an invitation forwarded to them"),
    Channel.IMPORT: _l("imported"),
    Channel.SALES: _l("sales, through the feedback link"),
    Channel.SYSTEM: _l("eventapp"),
}
# Activities eventapp does by itself, whatever channel they went out on (a mail sent is not the person's doing).
BY_EVENTAPP = frozenset({
    ActivityKind.MESSAGE_QUEUED, ActivityKind.MESSAGE_SENT, ActivityKind.MESSAGE_DELIVERED,
    ActivityKind.MESSAGE_FAILED, ActivityKind.INVITED, ActivityKind.NO_SHOW, ActivityKind.BOUNCED,
    ActivityKind.HANDOFF_REMINDED, ActivityKind.PROMOTED,
})
PARTNER_CHANNEL = "partner:"


def caused_by(activity: LeadActivity) -> str:
    """Who or what caused the activity, in words: the back-office user, else what the channel tells."""
    if activity.actor is not None:
        return activity.actor.name or activity.actor.email
    if activity.kind in BY_EVENTAPP:
        return str(CAUSED_BY_CHANNEL[Channel.SYSTEM])
    if activity.channel.startswith(PARTNER_CHANNEL):
        return str(_l("the person, through the tracked link %(code)s", code=activity.channel[len(PARTNER_CHANNEL):]))
    label = CAUSED_BY_CHANNEL.get(activity.channel)
    return str(label) if label is not None else activity.channel


@dataclass(frozen=True)
class TimelineFilter:
    kind: str | None = None
    event_id: int | None = None
    channel: str | None = None


@dataclass(frozen=True)
class TimelineChoices:
    """What occurs in this contact's timeline: the filters' options."""
    kinds: list  # (value, label)
    events: list  # (id, title)
    channels: list  # (value, label)


def timeline_choices(contact: Contact) -> TimelineChoices:
    theirs = LeadActivity.contact_id == contact.id
    kinds = db.session.execute(sa.select(LeadActivity.kind).where(theirs).distinct()).scalars()
    events = db.session.execute(sa.select(Event.id, Event.title).where(
        Event.id.in_(sa.select(LeadActivity.event_id).where(theirs))).order_by(Event.title)).all()
    channels = db.session.execute(sa.select(LeadActivity.channel).where(theirs).distinct()
                                  .order_by(LeadActivity.channel)).scalars()
    return TimelineChoices(kinds=sorted(((kind, _kind_label(kind)) for kind in kinds), key=lambda pair: pair[1]),
                           events=[tuple(row) for row in events],
                           channels=[(channel, str(Channel.label_of(channel))) for channel in channels])


def _kind_label(kind: str) -> str:
    return str(ActivityKind.label_of(kind))  # a kind from a later version shows as it is


def read_filter(args, choices: TimelineChoices) -> tuple[TimelineFilter, list[str]]:
    """The filter asked for in the query string, keeping only values this timeline has; what was ignored is
    said in the returned sentences (a hand-edited address gets the whole timeline, never an error)."""
    ignored = []
    kind = args.get("kind") or None
    if kind is not None and kind not in {value for value, _label in choices.kinds}:
        ignored.append(str(_l("There is no activity of that kind here: showing every kind.")))
        kind = None
    event_id = _event_id(args.get("event"), {event_id for event_id, _title in choices.events})
    if args.get("event") and event_id is None:
        ignored.append(str(_l("That event is not in this timeline: showing every event.")))
    channel = args.get("channel") or None
    if channel is not None and channel not in {value for value, _label in choices.channels}:
        ignored.append(str(_l("No activity came through that channel: showing every channel.")))
        channel = None
    return TimelineFilter(kind=kind, event_id=event_id, channel=channel), ignored


def _event_id(raw: str | None, known: set[int]) -> int | None:
    if raw and raw.isascii() and raw.isdigit() and len(raw) < 12 and int(raw) in known:
        return int(raw)
    return None


def timeline_page(contact: Contact, chosen: TimelineFilter, number: int) -> Page:
    """One page of the timeline, newest first, with the filter applied."""
    query = sa.select(LeadActivity).where(LeadActivity.contact_id == contact.id)
    if chosen.kind:
        query = query.where(LeadActivity.kind == chosen.kind)
    if chosen.event_id:
        query = query.where(LeadActivity.event_id == chosen.event_id)
    if chosen.channel:
        query = query.where(LeadActivity.channel == chosen.channel)
    # Each entry names its event and actor: load them for the page at once, not one query per entry.
    query = query.order_by(LeadActivity.occurred_at.desc(), LeadActivity.id.desc()).options(
        selectinload(LeadActivity.event), selectinload(LeadActivity.actor))
    return page_of(query, number, TIMELINE_PAGE_SIZE)


@dataclass
class EventRow:
    """One event in the contact's events table: invited (when, through what), registered (status), attended."""
    event: Event
    invited_at: datetime | None = None
    invited_through: str = ""
    registration: Registration | None = None

    @property
    def attendance(self) -> str:
        registration = self.registration
        if registration is None or not registration.is_active and not registration.checked_in_at:
            return ""
        if registration.checked_in_at:
            return str(_l("Walked in")) if registration.walk_in else str(_l("Attended"))
        return str(_l("No-show")) if registration.no_show_recorded else ""


def events_table(contact: Contact) -> list[EventRow]:
    """Every event the person was invited to, registered for or attended, newest first."""
    rows: dict[int, EventRow] = {}
    invitations = db.session.execute(
        sa.select(Invitation, Event, Partner.name, InvitationSend.id)
        .join(Event, Event.id == Invitation.event_id)
        .outerjoin(Partner, Partner.id == Invitation.partner_id)
        .outerjoin(InvitationSend, InvitationSend.id == Invitation.send_id)
        .where(Invitation.contact_id == contact.id).order_by(Invitation.created_at)).all()
    for invitation, event, partner, send_id in invitations:
        row = rows.setdefault(event.id, EventRow(event))
        if row.invited_at is None:
            row.invited_at = invitation.sent_at or invitation.created_at
            row.invited_through = (str(_l("partner %(name)s", name=partner)) if partner
                                   else str(_l("invitation mail")) if send_id else str(_l("invitation")))
    registrations = db.session.execute(
        sa.select(Registration, Event).join(Event, Event.id == Registration.event_id)
        .where(Registration.contact_id == contact.id)).all()
    for registration, event in registrations:
        rows.setdefault(event.id, EventRow(event)).registration = registration
    return sorted(rows.values(), key=lambda row: row.event.starts_at, reverse=True)


def partner_names(contact: Contact) -> list[str]:
    """The partners through whom the person came: their registrations' and invitations' partners, and the partner
    of the tracked link they signed up through."""
    partner_ids = sa.union(
        sa.select(Registration.partner_id).where(Registration.contact_id == contact.id),
        sa.select(Invitation.partner_id).where(Invitation.contact_id == contact.id),
    )
    return list(db.session.execute(sa.select(Partner.name).where(Partner.id.in_(partner_ids))
                                   .order_by(Partner.name)).scalars())


def channel_labels(contact: Contact) -> list[str]:
    """The channels of the person's sign-ups, with a tracked link's label or partner instead of its code."""
    channels = db.session.execute(sa.select(Registration.channel).where(Registration.contact_id == contact.id)
                                  .distinct().order_by(Registration.channel)).scalars()
    return [_channel_label(channel) for channel in channels]


def _channel_label(channel: str) -> str:
    if not channel.startswith(PARTNER_CHANNEL):
        return channel_label(channel, {})  # in the words of the channel report
    link = db.session.execute(sa.select(PartnerLink).where(
        PartnerLink.code == channel[len(PARTNER_CHANNEL):])).scalar_one_or_none()
    if link is None:
        return channel
    return link.label or (link.partner.name if link.partner else channel)
