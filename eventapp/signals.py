"""Every domain event the features emit. Subscribers run in the transaction of the action."""
from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace

_signals = Namespace()

# sender: the Registration
registration_created = _signals.signal("registration-created")
registration_updated = _signals.signal("registration-updated")
registration_cancelled = _signals.signal("registration-cancelled")
# sender: the Registration that was submitted again; kwargs: none
registration_repeated = _signals.signal("registration-repeated")
# sender: the Event; kwargs: contact, viewed_at
landing_page_viewed = _signals.signal("landing-page-viewed")
# sender: the Registration
calendar_downloaded = _signals.signal("calendar-downloaded")
# sender: the Event; kwargs: old_status
event_status_changed = _signals.signal("event-status-changed")
# sender: the Contact; kwargs: event, record (the ConsentRecord), registration (the sign-up it was given with).
# Someone ticked the marketing box with this address; it waits for the owner's confirmation.
consent_requested = _signals.signal("consent-requested")
# sender: the Contact; kwargs: record (the ConsentRecord). The address's owner confirmed it (double opt-in).
consent_confirmed = _signals.signal("consent-confirmed")
# sender: the Message (outbox row)
message_queued = _signals.signal("message-queued")
message_sent = _signals.signal("message-sent")
# kwargs: permanent (bool)
message_failed = _signals.signal("message-failed")
message_delivered = _signals.signal("message-delivered")
# sender: the Registration; a waitlisted registration got a freed seat
registration_promoted = _signals.signal("registration-promoted")
# sender: the Event; kwargs: changed (names of the fields that moved the calendar entry)
event_rescheduled = _signals.signal("event-rescheduled")
# sender: the Registration; an organiser approved or declined a pending sign-up
registration_approved = _signals.signal("registration-approved")
registration_declined = _signals.signal("registration-declined")
# sender: the door's Ticket of the registration (id, event, contact, status, check-in state: plain values read
# in the scan's one query); kwargs: checkin (the logged scan's values, with CheckIn's attribute names)
checked_in = _signals.signal("checked-in")
checked_out = _signals.signal("checked-out")
# sender: the Registration; kwargs: checkin (the CheckIn row)
check_in_undone = _signals.signal("check-in-undone")
walked_in = _signals.signal("walked-in")
# sender: the Registration; the event ended and they never came
no_show = _signals.signal("no-show")


@dataclass(frozen=True)
class SuppressionChange:
    channel: str  # SuppressionChannel: "email" or "sms"
    address: str  # the email key or the E.164 number
    suppressed: bool  # True: put on the list (STOP, unsubscribe, 21610); False: taken off it (START)
    keyword: str  # what the person sent, or the provider's error code
    changed_at: datetime


suppression_changed = _signals.signal("suppression-changed", doc="""An address or number went on the suppression
list or came off it (only when that changed). Sender: a SuppressionChange.""")
