"""Every domain event the features emit, with what it sends (each signal's docstring says: one kind of payload,
a small frozen dataclass of ids, times and plain values, never an ORM object, so a subscriber loads what it needs by
id from the session of the action). Subscribers run in the transaction of the action. A question signal's
subscribers answer with a value instead (see answers()): that is how a lower layer asks the features above it
(events asks for the parts of its pages) without importing them."""
from dataclasses import dataclass, field
from datetime import datetime

from blinker import Namespace

_signals = Namespace()


def answers(signal, sender) -> list:
    """What the subscribers of a question signal answered, in the order they answered: a list answer counts as
    its items, None as nothing."""
    found = []
    for _receiver, value in signal.send(sender):
        if isinstance(value, (list, tuple)):
            found.extend(value)
        elif value is not None:
            found.append(value)
    return found


# ---- registration: sign-ups and what happens to them ---------------------------------------------------------

@dataclass(frozen=True)
class RegistrationChange:
    """A registration, as it stands after the change."""
    registration_id: int
    event_id: int
    campaign_id: int | None
    organisation_id: int
    contact_id: int
    status: str  # RegistrationStatus
    channel: str  # how they signed up (web, staff, partner:<code>…); for a cancellation, who cancelled
    occurred_at: datetime
    changed: tuple[str, ...] = ()  # registration_updated: the names of what changed
    invitation_id: int | None = None  # the invitation it came through
    partner_id: int | None = None  # the partner it is attributed to
    referred_by_id: int | None = None  # the invitee whose forwarded invitation brought this person


@dataclass(frozen=True)
class PageView:
    """A known contact opened an event's landing page."""
    event_id: int
    campaign_id: int | None
    organisation_id: int
    contact_id: int
    viewed_at: datetime


@dataclass(frozen=True)
class ConsentChange:
    """A consent record (ConsentRecord) that was asked for or confirmed."""
    record_id: int
    contact_id: int
    organisation_id: int
    purpose: str
    text_version: str
    occurred_at: datetime
    registration_id: int | None = None  # the sign-up it was given with
    event_id: int | None = None
    campaign_id: int | None = None


registration_created = _signals.signal("registration-created", doc="""Someone signed up (confirmed, pending approval
or waitlisted: `status` says which). Sender: a RegistrationChange.""")
registration_updated = _signals.signal("registration-updated", doc="""The person changed their details or answers.
Sender: a RegistrationChange whose `changed` names what changed.""")
registration_cancelled = _signals.signal("registration-cancelled", doc="""A registration was cancelled. Sender: a
RegistrationChange whose `channel` says who cancelled (web: the person, staff: an organiser).""")
registration_repeated = _signals.signal("registration-repeated", doc="""An address signed up again to an event it
holds a registration for; nothing changed. Sender: a RegistrationChange.""")
registration_promoted = _signals.signal("registration-promoted", doc="""A waitlisted registration got a freed seat.
Sender: a RegistrationChange.""")
registration_approved = _signals.signal("registration-approved", doc="""An organiser approved a pending sign-up.
Sender: a RegistrationChange.""")
registration_declined = _signals.signal("registration-declined", doc="""An organiser declined a pending sign-up.
Sender: a RegistrationChange.""")
calendar_downloaded = _signals.signal("calendar-downloaded", doc="""The person downloaded the calendar entry from
their registration page. Sender: a RegistrationChange.""")
landing_page_viewed = _signals.signal("landing-page-viewed", doc="""A known contact viewed an event's landing page.
Sender: a PageView.""")
consent_requested = _signals.signal("consent-requested", doc="""Someone ticked the marketing box with this address;
it waits for the owner's confirmation (double opt-in). Sender: a ConsentChange with the sign-up it came with.""")
consent_confirmed = _signals.signal("consent-confirmed", doc="""The address's owner confirmed a consent record.
Sender: a ConsentChange.""")

# ---- messaging: the outbox ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageChange:
    """An outbox row (Message) whose state changed."""
    message_id: int
    organisation_id: int
    contact_id: int | None  # None: a message to a user or a bare address, not a contact
    event_id: int | None
    kind: str  # MessageKind
    channel: str  # email or sms
    occurred_at: datetime
    permanent: bool = False  # message_failed: no retry will follow
    error: str = ""  # message_failed: why
    bounced: bool = False  # message_failed: the receiving server refused the address (now suppressed)


message_queued = _signals.signal("message-queued", doc="""A message was written to the outbox (it is sent after
the commit). Sender: a MessageChange.""")
message_sent = _signals.signal("message-sent", doc="""The provider took a message. Sender: a MessageChange.""")
message_delivered = _signals.signal("message-delivered", doc="""The provider reported a message delivered (SMS
status callbacks). Sender: a MessageChange.""")
message_failed = _signals.signal("message-failed", doc="""A message failed: for good when `permanent`, else it is
retried later. Sender: a MessageChange.""")


@dataclass(frozen=True)
class Engagement:
    """A recipient opened a message (its tracking pixel loaded: a weak signal, as mail privacy features load every
    image) or followed a tracked link in it."""
    message_id: int
    organisation_id: int
    contact_id: int | None
    event_id: int | None
    kind: str  # MessageKind
    occurred_at: datetime
    url: str = ""  # message_clicked: where the link led
    likely_automated: bool = False  # seconds after delivery: a mail scanner more likely than a person


message_opened = _signals.signal("message-opened", doc="""A message's tracking pixel was loaded (first time and
later). Sender: an Engagement.""")
message_clicked = _signals.signal("message-clicked", doc="""A tracked link in a message was followed. Sender: an
Engagement.""")

# ---- checkin: the door ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoorChange:
    """A registration's attendance changed at the door (a scan or tap, an undo, a walk-in, a no-show)."""
    registration_id: int
    event_id: int
    campaign_id: int | None
    organisation_id: int
    contact_id: int
    occurred_at: datetime  # when it happened (a scan: the phone's scan time; a no-show: the event's end)
    device_id: str = ""
    method: str = ""  # scan, tap, sync, walk_in, undo
    reason: str = ""  # an undo's reason


checked_in = _signals.signal("checked-in", doc="""A ticket was checked in (the first scan that counts). Sender: a
DoorChange.""")
checked_out = _signals.signal("checked-out", doc="""An exit scan. Sender: a DoorChange.""")
check_in_undone = _signals.signal("check-in-undone", doc="""Staff took a check-in back. Sender: a DoorChange with
the reason.""")
walked_in = _signals.signal("walked-in", doc="""Someone without a registration was registered at the door (their
check-in follows as checked_in). Sender: a DoorChange.""")
no_show = _signals.signal("no-show", doc="""The event ended and a confirmed registration never checked in. Sender:
a DoorChange whose occurred_at is the event's end.""")


# ---- contacts: the suppression list ------------------------------------------------------------------------


@dataclass(frozen=True)
class SuppressionChange:
    """An address or number that went on the suppression list or came off it."""
    channel: str  # SuppressionChannel: "email" or "sms"
    address: str  # the email key or the E.164 number
    suppressed: bool  # True: put on the list (STOP, unsubscribe, 21610); False: taken off it (START)
    keyword: str  # what the person sent, or the provider's error code
    changed_at: datetime


suppression_changed = _signals.signal("suppression-changed", doc="""An address or number went on the suppression
list or came off it (only when that changed). Sender: a SuppressionChange.""")



@dataclass(frozen=True)
class Unsubscribe:
    """A person unsubscribed from marketing email (the link in a mail, its one-click POST, or the back office)."""
    organisation_id: int | None
    contact_id: int | None
    address: str  # the email key
    source: str  # "one-click", "page", "back-office", message:<id>...
    occurred_at: datetime
    message_id: int | None = None
    event_id: int | None = None


unsubscribed = _signals.signal("unsubscribed", doc="""Someone unsubscribed from marketing email (it holds before the
next send). Sender: an Unsubscribe.""")


# ---- invitations: sends, forwarding, partners and tracked links ------------------------------------------------


@dataclass(frozen=True)
class InvitationChange:
    """One person's invitation (Invitation), after the change."""
    invitation_id: int
    organisation_id: int
    event_id: int
    campaign_id: int | None
    contact_id: int
    partner_id: int | None
    occurred_at: datetime


invitation_queued = _signals.signal("invitation-queued", doc="""An invitation was written to the outbox for a
person (the "invited" activity). Sender: an InvitationChange.""")
invitation_declined = _signals.signal("invitation-declined", doc="""The invitee said they can't come (a POST from
the invitation's page). Sender: an InvitationChange.""")


@dataclass(frozen=True)
class Referral:
    """Someone signed up through a forwarded invitation with an address other than the invitee's."""
    invitation_id: int
    organisation_id: int
    event_id: int
    campaign_id: int | None
    invitee_contact_id: int  # who forwarded it
    new_contact_id: int  # who signed up through it
    registration_id: int
    partner_id: int | None
    occurred_at: datetime


invitation_forwarded = _signals.signal("invitation-forwarded", doc="""A forwarded invitation brought in a new
person (both timelines show it). Sender: a Referral.""")


@dataclass(frozen=True)
class LinkVisit:
    """A tracked link (/p/<code>) or a landing-page URL with utm_* parameters was followed."""
    organisation_id: int
    event_id: int | None
    campaign_id: int | None
    link_id: int | None
    partner_id: int | None
    channel: str  # partner:<code>, or utm:<source>
    occurred_at: datetime
    contact_id: int | None = None  # when the visitor is known (rarely: a tracked link is anonymous)


link_visited = _signals.signal("link-visited", doc="""A partner's or channel's tracked link was followed. Sender: a
LinkVisit.""")


@dataclass(frozen=True)
class ContactsImported:
    """An import of a contact list finished (its rows are in the import's report)."""
    import_id: int
    organisation_id: int
    occurred_at: datetime


contacts_imported = _signals.signal("contacts-imported", doc="""An import of contacts finished. Sender: a
ContactsImported.""")


@dataclass(frozen=True)
class ContactChange:
    """A contact's profile (name, company, title, size, industry, city, tags…) was made or changed by hand, by a
    double opt-in or through the manage link's tag; `changed` names the fields (empty: a new contact)."""
    contact_id: int
    organisation_id: int
    occurred_at: datetime
    changed: tuple[str, ...] = ()


contact_changed = _signals.signal("contact-changed", doc="""A contact was made or its profile changed (not through an
import, which sends contacts_imported once). Sender: a ContactChange.""")


@dataclass(frozen=True)
class ContactRef:
    """One contact, by id (a privacy request about them)."""
    contact_id: int
    organisation_id: int
    occurred_at: datetime
    by_user_id: int | None = None


contact_erasing = _signals.signal("contact-erasing", doc="""A contact's personal data is being erased on request, in
this transaction: every feature removes or anonymises what it holds about them (keeping anonymous rows that counts
are made of), before the contact itself is anonymised. Sender: a ContactRef.""")
personal_data = _signals.signal("personal-data", doc="""A question: what does each feature hold about this contact
(a privacy request for their data)? Sender: a ContactRef. Each feature answers with a PersonalData (or a list, or
None).""")


@dataclass(frozen=True)
class PersonalData:
    """One feature's part of a person's data export: a title and rows of plain, JSON-ready dicts."""
    title: str
    rows: list = field(default_factory=list)


# ---- leads: the timeline and the way to sales (sent by leads itself; its webhooks and the demo listen) ---------

@dataclass(frozen=True)
class ActivityRecorded:
    """An activity was appended to a contact's timeline."""
    activity_id: int
    organisation_id: int
    contact_id: int
    kind: str  # leads.models.ActivityKind
    event_id: int | None
    campaign_id: int | None
    occurred_at: datetime


activity_recorded = _signals.signal("activity-recorded", doc="""An activity was written (scoring listens). Sender: an
ActivityRecorded.""")


@dataclass(frozen=True)
class StageChange:
    """A lead moved from one stage to another."""
    contact_id: int
    organisation_id: int
    from_stage: str
    to_stage: str  # leads.models.LeadStage
    reason: str
    by_user_id: int | None  # None: a rule (score threshold) or sales' feedback link
    occurred_at: datetime


lead_stage_changed = _signals.signal("lead-stage-changed", doc="""A lead's stage changed. Sender: a StageChange.""")


@dataclass(frozen=True)
class HandoffChange:
    """A handoff of a lead to a sales owner, as it stands."""
    handoff_id: int
    contact_id: int
    organisation_id: int
    owner_user_id: int | None
    occurred_at: datetime
    feedback: str = ""  # lead_feedback_given: the tag sales chose


lead_handed_off = _signals.signal("lead-handed-off", doc="""A lead was handed to a sales owner. Sender: a
HandoffChange.""")
lead_feedback_given = _signals.signal("lead-feedback-given", doc="""Sales answered a handoff. Sender: a
HandoffChange with the feedback tag.""")


# ---- events: what organisers build; the features above hear of it here, and contribute to its pages ----------

@dataclass(frozen=True)
class EventChange:
    """An event that was created, changed or cancelled."""
    event_id: int
    organisation_id: int
    changed_at: datetime
    changed: tuple[str, ...] = ()  # the names of the Event fields that changed (event_rescheduled: the calendar's)


@dataclass(frozen=True)
class EventStatusChange:
    event_id: int
    organisation_id: int
    old_status: str  # EventStatus
    new_status: str
    changed_at: datetime


@dataclass(frozen=True)
class CapacityChange:
    event_id: int
    organisation_id: int
    old_capacity: int | None  # None: no limit
    new_capacity: int | None


event_created = _signals.signal("event-created", doc="""A new event (a draft) was made. Sender: an EventChange.
Subscribers add what a new event starts with (registration: the default reminders).""")
event_rescheduled = _signals.signal("event-rescheduled", doc="""A published event's time, place or title changed,
and its calendar version went up. Sender: an EventChange whose `changed` names the calendar fields that moved.""")
event_status_changed = _signals.signal("event-status-changed", doc="""An event was published, unpublished or
cancelled. Sender: an EventStatusChange.""")
event_cancelled = _signals.signal("event-cancelled", doc="""An event was cancelled (once: a cancellation is final).
Sender: an EventChange. Subscribers tell the people concerned (events sends no mail itself).""")
capacity_changing = _signals.signal("capacity-changing", doc="""An organiser asks for a new capacity; nothing has
changed yet. Sender: a CapacityChange. A subscriber that cannot allow it answers with the sentence that says why
(registration: fewer seats than people holding one); None allows it.""")
capacity_changed = _signals.signal("capacity-changed", doc="""An event's capacity changed, in the transaction of the
change. Sender: a CapacityChange (registration recounts the seats held).""")
event_saved = _signals.signal("event-saved", doc="""The organiser's event form was saved and committed. Sender: an
EventChange. Subscribers may answer with a sentence for the organiser about what the change means for their part
(registration: SMS reminders paused because SMS is off); None says nothing.""")


@dataclass(frozen=True)
class EventPage:
    """A back-office page of one event being put together."""
    event_id: int
    organisation_id: int


@dataclass(frozen=True)
class PageSection:
    """A feature's part of an event's back-office page: `template` is rendered with `part` = `context`."""
    order: int  # smaller first, within its slot
    template: str
    context: dict = field(default_factory=dict)
    slot: str = "main"  # "summary" (under the title), "actions" (the buttons), "main" (the sections below)


@dataclass(frozen=True)
class EventList:
    """The organisation's list of events (the back office's dashboard) being put together."""
    organisation_id: int
    event_ids: tuple[int, ...]


@dataclass(frozen=True)
class ListColumn:
    """A feature's column of the list of events: `values` holds the text of each event id's cell."""
    order: int
    heading: str
    values: dict = field(default_factory=dict)
    default: str = ""


@dataclass(frozen=True)
class Audience:
    """How many people a cancellation tells: all of them by email, this many by SMS as well."""
    email: int
    sms: int


event_page_sections = _signals.signal("event-page-sections", doc="""The event's back-office page (as Indico builds
its menus from signals). Sender: an EventPage. Each feature answers with a PageSection, a list of them, or None.""")
event_list_columns = _signals.signal("event-list-columns", doc="""The list of events. Sender: an EventList. Each
feature answers with a ListColumn (or None).""")
cancellation_audience = _signals.signal("cancellation-audience", doc="""Who a cancellation of the event would tell,
asked before the organiser confirms it. Sender: an EventPage. Each feature whose people are told answers with an
Audience (or None).""")
