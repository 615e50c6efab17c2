"""Every action becomes a lead activity, written in the transaction of the action."""
import sqlalchemy as sa

from eventapp import signals
from eventapp.contacts.models import Contact, SuppressionChannel
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.leads.models import ActivityKind, Channel
from eventapp.leads.operations import record_activity
from eventapp.registration.models import Registration, RegistrationStatus

KIND_FOR_NEW_STATUS = {
    RegistrationStatus.CONFIRMED: ActivityKind.REGISTERED,
    RegistrationStatus.PENDING: ActivityKind.PENDING_APPROVAL,
    RegistrationStatus.WAITLISTED: ActivityKind.WAITLISTED,
}


def _record(change, kind: ActivityKind, *, channel: str = Channel.WEB, occurred_at=None, **meta) -> None:
    """An activity of the contact and event a signal's payload names (every payload carries their ids)."""
    record_activity(kind, organisation_id=change.organisation_id, contact_id=change.contact_id,
                    event_id=change.event_id, campaign_id=change.campaign_id, channel=channel,
                    occurred_at=occurred_at, meta=meta)


@signals.landing_page_viewed.connect
def _page_viewed(view: signals.PageView, **_):
    _record(view, ActivityKind.PAGE_VIEWED, occurred_at=view.viewed_at)


@signals.registration_created.connect
def _registered(change: signals.RegistrationChange, **_):
    _record(change, KIND_FOR_NEW_STATUS[change.status], channel=change.channel, registration_id=change.registration_id,
            status=change.status)


@signals.registration_repeated.connect
def _signed_up_again(change: signals.RegistrationChange, **_):
    _record(change, ActivityKind.SIGNED_UP_AGAIN, registration_id=change.registration_id)


@signals.registration_updated.connect
def _answers_changed(change: signals.RegistrationChange, **_):
    _record(change, ActivityKind.ANSWERS_CHANGED, registration_id=change.registration_id, changed=list(change.changed))


@signals.registration_cancelled.connect
def _cancelled(change: signals.RegistrationChange, **_):
    _record(change, ActivityKind.CANCELLED, channel=change.channel, registration_id=change.registration_id)


@signals.calendar_downloaded.connect
def _calendar_downloaded(change: signals.RegistrationChange, **_):
    _record(change, ActivityKind.CALENDAR_DOWNLOADED, registration_id=change.registration_id)


@signals.consent_requested.connect
def _consent_requested(change: signals.ConsentChange, **_):
    _record(change, ActivityKind.CONSENT_REQUESTED, purpose=change.purpose, text_version=change.text_version,
            record_id=change.record_id)


@signals.consent_confirmed.connect
def _consent_confirmed(change: signals.ConsentChange, **_):
    _record(change, ActivityKind.CONSENT_GIVEN, channel=Channel.EMAIL, purpose=change.purpose,
            text_version=change.text_version, record_id=change.record_id)


@signals.registration_promoted.connect
def _promoted(change: signals.RegistrationChange, **_):
    _record(change, ActivityKind.PROMOTED, registration_id=change.registration_id)


@signals.registration_approved.connect
def _approved(change: signals.RegistrationChange, **_):
    _record(change, ActivityKind.APPROVED, channel=Channel.STAFF, registration_id=change.registration_id)


@signals.registration_declined.connect
def _declined(change: signals.RegistrationChange, **_):
    _record(change, ActivityKind.DECLINED, channel=Channel.STAFF, registration_id=change.registration_id)


def _message_activity(change: signals.MessageChange, kind: ActivityKind, **meta) -> None:
    if change.contact_id is None:  # a mail to a user or a bare address is nobody's lead activity
        return
    event = db.session.get(Event, change.event_id) if change.event_id is not None else None
    record_activity(kind, organisation_id=change.organisation_id, contact_id=change.contact_id,
                    event_id=change.event_id, campaign_id=event.campaign_id if event is not None else None,
                    channel=change.channel, meta={"message_id": change.message_id, "message_kind": change.kind,
                                                  **meta})


@signals.message_queued.connect
def _message_queued(change: signals.MessageChange, **_):
    _message_activity(change, ActivityKind.MESSAGE_QUEUED)


@signals.message_sent.connect
def _message_sent(change: signals.MessageChange, **_):
    _message_activity(change, ActivityKind.MESSAGE_SENT)


@signals.message_delivered.connect
def _message_delivered(change: signals.MessageChange, **_):
    _message_activity(change, ActivityKind.MESSAGE_DELIVERED)


@signals.message_failed.connect
def _message_failed(change: signals.MessageChange, **_):
    _message_activity(change, ActivityKind.MESSAGE_FAILED, permanent=change.permanent, reason=change.error[:300])


@signals.checked_in.connect
def _checked_in(change: signals.DoorChange, **_):
    _record(change, ActivityKind.CHECKED_IN, channel=Channel.STAFF, occurred_at=change.occurred_at,
            registration_id=change.registration_id, device_id=change.device_id, method=change.method)


@signals.checked_out.connect
def _checked_out(change: signals.DoorChange, **_):
    _record(change, ActivityKind.CHECKED_OUT, channel=Channel.STAFF, occurred_at=change.occurred_at,
            registration_id=change.registration_id)


@signals.check_in_undone.connect
def _check_in_undone(change: signals.DoorChange, **_):
    _record(change, ActivityKind.CHECK_IN_UNDONE, channel=Channel.STAFF, registration_id=change.registration_id,
            reason=change.reason)


@signals.walked_in.connect
def _walked_in(change: signals.DoorChange, **_):
    _record(change, ActivityKind.WALK_IN, channel=Channel.STAFF, registration_id=change.registration_id)


@signals.no_show.connect
def _no_show(change: signals.DoorChange, **_):
    _record(change, ActivityKind.NO_SHOW, channel=Channel.STAFF, occurred_at=change.occurred_at,
            registration_id=change.registration_id)


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
        record_activity(kind, organisation_id=contact.organisation_id, contact_id=contact.id, channel=Channel.SMS,
                        occurred_at=change.changed_at, meta={"keyword": change.keyword})


# ---- invitation sends (issue 15: sending) ----------------------------------------------------------------------

@signals.invitation_queued.connect
def _invited(change: signals.InvitationChange, **_):
    from eventapp.invitations.models import Invitation

    send_id = db.session.execute(sa.select(Invitation.send_id).where(Invitation.id == change.invitation_id)).scalar()
    _record(change, ActivityKind.INVITED, channel=Channel.EMAIL, occurred_at=change.occurred_at,
            invitation_id=change.invitation_id, send_id=send_id)


# ---- invitations: the invitee's answers and forwarded copies (invitations/replies.py) -------------------------

@signals.invitation_declined.connect
def _invitation_declined(change: signals.InvitationChange, **_):
    _record(change, ActivityKind.INVITATION_DECLINED, channel=Channel.INVITATION, invitation_id=change.invitation_id)


def _referral_activity(referral: signals.Referral, contact_id: int, kind: ActivityKind, **meta) -> None:
    record_activity(kind, organisation_id=referral.organisation_id, contact_id=contact_id, event_id=referral.event_id,
                    campaign_id=referral.campaign_id, channel=Channel.FORWARDED, occurred_at=referral.occurred_at,
                    meta={"invitation_id": referral.invitation_id, "registration_id": referral.registration_id,
                          "partner_id": referral.partner_id, **meta})


@signals.invitation_forwarded.connect
def _invitation_forwarded(referral: signals.Referral, **_):
    # Both timelines show it, each naming the other person.
    _referral_activity(referral, referral.invitee_contact_id, ActivityKind.FORWARDED,
                       referred_contact_id=referral.new_contact_id)
    _referral_activity(referral, referral.new_contact_id, ActivityKind.REFERRED,
                       referred_by_contact_id=referral.invitee_contact_id)


# ---- marketing mail: opens, clicks, unsubscribes, bounces (issue 15: tracking) --------------------------------

def _email_activity(payload, kind: ActivityKind, **meta) -> None:
    """An activity of the contact a mail went to (an Engagement or an Unsubscribe); a mail to no contact is
    nobody's."""
    if payload.contact_id is None:
        return
    event = db.session.get(Event, payload.event_id) if payload.event_id is not None else None
    record_activity(kind, organisation_id=payload.organisation_id, contact_id=payload.contact_id,
                    event_id=payload.event_id, campaign_id=event.campaign_id if event is not None else None,
                    channel=Channel.EMAIL, occurred_at=payload.occurred_at,
                    meta={"message_id": payload.message_id, **meta})


@signals.message_opened.connect
def _email_opened(engagement: signals.Engagement, **_):
    _email_activity(engagement, ActivityKind.EMAIL_OPENED, likely_automated=engagement.likely_automated)


@signals.message_clicked.connect
def _link_clicked(engagement: signals.Engagement, **_):
    _email_activity(engagement, ActivityKind.LINK_CLICKED, url=engagement.url[:500],
                    likely_automated=engagement.likely_automated)


@signals.unsubscribed.connect
def _unsubscribed(unsubscribe: signals.Unsubscribe, **_):
    _email_activity(unsubscribe, ActivityKind.UNSUBSCRIBED, source=unsubscribe.source)


@signals.message_failed.connect
def _bounced(change: signals.MessageChange, **_):
    if change.bounced:  # the receiving server refused the address: it is suppressed now
        _message_activity(change, ActivityKind.BOUNCED, reason=change.error[:300])


# ---- contact imports (issue 15, helper "import") ----------------------------------------------------------------

@signals.contacts_imported.connect
def _contacts_imported(change: signals.ContactsImported, **_):
    """IMPORTED on the timeline of each contact the import made, in one INSERT … SELECT from its report: one
    INSERT per contact would make a 50,000-row import crawl. Contacts it only updated get none."""
    from eventapp.contacts.models import ImportOutcome, ImportRow
    from eventapp.core.time import UTCDateTime
    from eventapp.leads.models import LeadActivity

    made = sa.select(sa.literal(change.organisation_id), ImportRow.contact_id, sa.literal(str(ActivityKind.IMPORTED)),
                     sa.literal(str(Channel.IMPORT)),
                     sa.literal({"import_id": change.import_id}, type_=sa.JSON),
                     sa.literal(change.occurred_at, type_=UTCDateTime)).where(
        ImportRow.job_id == change.import_id, ImportRow.outcome == ImportOutcome.IMPORTED,
        ImportRow.contact_id.is_not(None))
    db.session.execute(sa.insert(LeadActivity.__table__).from_select(
        ["organisation_id", "contact_id", "kind", "channel", "meta", "occurred_at"], made))


# ---- stages and sales handoff (issue 16, helper "handoff") ------------------------------------------------------

@signals.activity_recorded.connect
def _first_interest_engages(recorded: signals.ActivityRecorded, **_):
    from eventapp.leads import stages

    stages.engage(recorded.organisation_id, recorded.contact_id, recorded.kind, recorded.occurred_at,
                  recorded.activity_id)


# ---- scores (issue 16, helper "scoring") -----------------------------------------------------------------------

@signals.activity_recorded.connect
def _score_activity(recorded: signals.ActivityRecorded, **_):
    """Every model's behaviour rule for the kind adds its logged, decaying entry; a rise may make an MQL."""
    from eventapp.leads import scoring, stages

    for model_id, score in scoring.score_activity(recorded.organisation_id, recorded.contact_id,
                                                  recorded.activity_id, recorded.kind, recorded.occurred_at):
        stages.score_changed(recorded.organisation_id, recorded.contact_id, model_id, score, scoring.utcnow())


def _score_fit(organisation_id: int, contact_ids, new: bool = False) -> None:
    from eventapp.leads import scoring, stages

    now = scoring.utcnow()
    for contact_id, model_id, score in scoring.rescore_fit(organisation_id, contact_ids, new=new):
        stages.score_changed(organisation_id, contact_id, model_id, score, now)


@signals.contact_changed.connect
def _profile_fit_changed(change: signals.ContactChange, **_):
    _score_fit(change.organisation_id, [change.contact_id], new=not change.changed)  # no fields named: a new one


@signals.contacts_imported.connect
def _imported_profiles_fit(change: signals.ContactsImported, **_):
    from eventapp.contacts.models import ImportRow

    _score_fit(change.organisation_id, sa.select(ImportRow.contact_id).where(
        ImportRow.job_id == change.import_id, ImportRow.contact_id.is_not(None)))


# ---- funnels (issue 16, helper "funnels") ------------------------------------------------------------------------

@signals.event_page_sections.connect
def _funnel_link(page: signals.EventPage, **_):
    """The event's page links to its funnel."""
    return signals.PageSection(60, "leads/funnels/_event_link.html", slot="actions")
