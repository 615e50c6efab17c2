"""Every action becomes a lead activity, written in the transaction of the action."""
import sqlalchemy as sa

from eventapp import signals
from eventapp.contacts.models import Contact, SuppressionChannel
from eventapp.extensions import db
from eventapp.leads.models import ActivityKind, Channel
from eventapp.leads.operations import record_activity
from eventapp.registration.models import Registration, RegistrationStatus

KIND_FOR_NEW_STATUS = {
    RegistrationStatus.CONFIRMED: ActivityKind.REGISTERED,
    RegistrationStatus.PENDING: ActivityKind.PENDING_APPROVAL,
    RegistrationStatus.WAITLISTED: ActivityKind.WAITLISTED,
}


@signals.landing_page_viewed.connect
def _page_viewed(event, contact, viewed_at, **_):
    record_activity(contact, ActivityKind.PAGE_VIEWED, event=event, occurred_at=viewed_at)


@signals.registration_created.connect
def _registered(registration, **_):
    record_activity(registration.contact, KIND_FOR_NEW_STATUS[registration.status], event=registration.event,
                    channel=registration.channel, meta={"registration_id": registration.id,
                                                        "status": registration.status})


@signals.registration_repeated.connect
def _signed_up_again(registration, **_):
    record_activity(registration.contact, ActivityKind.SIGNED_UP_AGAIN, event=registration.event,
                    meta={"registration_id": registration.id})


@signals.registration_updated.connect
def _answers_changed(registration, changed, **_):
    record_activity(registration.contact, ActivityKind.ANSWERS_CHANGED, event=registration.event,
                    meta={"registration_id": registration.id, "changed": changed})


@signals.registration_cancelled.connect
def _cancelled(registration, by, **_):
    record_activity(registration.contact, ActivityKind.CANCELLED, event=registration.event,
                    channel=by, meta={"registration_id": registration.id})


@signals.calendar_downloaded.connect
def _calendar_downloaded(registration, **_):
    record_activity(registration.contact, ActivityKind.CALENDAR_DOWNLOADED, event=registration.event,
                    meta={"registration_id": registration.id})


@signals.consent_requested.connect
def _consent_requested(contact, event, record, **_):
    record_activity(contact, ActivityKind.CONSENT_REQUESTED, event=event,
                    meta={"purpose": record.purpose, "text_version": record.text_version, "record_id": record.id})


@signals.consent_confirmed.connect
def _consent_confirmed(contact, record, **_):
    record_activity(contact, ActivityKind.CONSENT_GIVEN, channel=Channel.EMAIL,
                    meta={"purpose": record.purpose, "text_version": record.text_version, "record_id": record.id})


@signals.registration_promoted.connect
def _promoted(registration, **_):
    record_activity(registration.contact, ActivityKind.PROMOTED, event=registration.event,
                    meta={"registration_id": registration.id})


@signals.registration_approved.connect
def _approved(registration, **_):
    record_activity(registration.contact, ActivityKind.APPROVED, event=registration.event, channel=Channel.STAFF,
                    meta={"registration_id": registration.id})


@signals.registration_declined.connect
def _declined(registration, **_):
    record_activity(registration.contact, ActivityKind.DECLINED, event=registration.event, channel=Channel.STAFF,
                    meta={"registration_id": registration.id})


def _message_activity(message, kind, **meta):
    record_activity(message.contact, kind, event=message.event, channel=message.channel,
                    meta={"message_id": message.id, "message_kind": message.kind, **meta})


@signals.message_queued.connect
def _message_queued(message, **_):
    _message_activity(message, ActivityKind.MESSAGE_QUEUED)


@signals.message_sent.connect
def _message_sent(message, **_):
    _message_activity(message, ActivityKind.MESSAGE_SENT)


@signals.message_delivered.connect
def _message_delivered(message, **_):
    _message_activity(message, ActivityKind.MESSAGE_DELIVERED)


@signals.message_failed.connect
def _message_failed(message, permanent, **_):
    _message_activity(message, ActivityKind.MESSAGE_FAILED, permanent=permanent, reason=message.last_error[:300])


@signals.checked_in.connect
def _checked_in(registration, checkin, **_):
    record_activity(registration.contact, ActivityKind.CHECKED_IN, event=registration.event, channel="staff",
                    occurred_at=checkin.scanned_at,
                    meta={"registration_id": registration.id, "device_id": checkin.device_id, "method": checkin.method})


@signals.checked_out.connect
def _checked_out(registration, checkin, **_):
    record_activity(registration.contact, ActivityKind.CHECKED_OUT, event=registration.event, channel="staff",
                    occurred_at=checkin.scanned_at, meta={"registration_id": registration.id})


@signals.check_in_undone.connect
def _check_in_undone(registration, checkin, **_):
    record_activity(registration.contact, ActivityKind.CHECK_IN_UNDONE, event=registration.event, channel="staff",
                    meta={"registration_id": registration.id, "reason": checkin.reason})


@signals.walked_in.connect
def _walked_in(registration, **_):
    record_activity(registration.contact, ActivityKind.WALK_IN, event=registration.event, channel="staff",
                    meta={"registration_id": registration.id})


@signals.no_show.connect
def _no_show(registration, **_):
    record_activity(registration.contact, ActivityKind.NO_SHOW, event=registration.event, channel="staff",
                    occurred_at=registration.event.ends_at, meta={"registration_id": registration.id})


@signals.suppression_changed.connect
def _sms_opt_out_changed(change, **_):
    if change.channel != SuppressionChannel.SMS:
        return
    kind = ActivityKind.SMS_OPTED_OUT if change.suppressed else ActivityKind.SMS_OPTED_IN
    # Whoever has the number on their profile or gave it for a registration.
    given_for = sa.select(Registration.contact_id).where(Registration.phone == change.address)
    contacts = db.session.execute(sa.select(Contact).where(sa.or_(Contact.phone == change.address,
                                                                  Contact.id.in_(given_for)))).scalars()
    for contact in contacts:
        record_activity(contact, kind, channel=Channel.SMS, occurred_at=change.changed_at,
                        meta={"keyword": change.keyword})
