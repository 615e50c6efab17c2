"""The activity timeline and each contact's lead state."""
from datetime import datetime

import sqlalchemy as sa

from eventapp import signals
from eventapp.accounts.views import signed_in_user_id
from eventapp.contacts.models import Contact
from eventapp.core.statements import dialect_insert
from eventapp.core.time import utcnow
from eventapp.extensions import db
from eventapp.leads.models import ActivityKind, Channel, LeadActivity, LeadStage, LeadState


def record_activity(kind: ActivityKind, *, organisation_id: int, contact_id: int, event_id: int | None = None,
                    campaign_id: int | None = None, channel: str = Channel.WEB, meta: dict | None = None,
                    occurred_at: datetime | None = None, actor_user_id: int | None = None) -> int:
    """Append one activity to the contact's timeline, in the current transaction, and return its id. It takes ids,
    as the signals send them, so a subscriber loads nothing to write it. The actor is the back-office user of the
    request when not given (None outside a request or for the public: the person or the system did it)."""
    # A Core INSERT: activities are append-only and nothing reads them back in the request, so the ORM's
    # unit of work (a large share of a sign-up's cost when measured) buys nothing here.
    if actor_user_id is None:
        actor_user_id = _request_user_id()
    occurred_at = occurred_at or utcnow()
    activity_id = db.session.connection().execute(_INSERT_ACTIVITY, {
        "organisation_id": organisation_id,
        "contact_id": contact_id,
        "kind": kind,
        "event_id": event_id,
        "campaign_id": campaign_id,
        "channel": channel,
        "meta": meta or {},
        "occurred_at": occurred_at,
        "actor_user_id": actor_user_id,
    }).scalar_one()
    signals.activity_recorded.send(signals.ActivityRecorded(
        activity_id=activity_id, organisation_id=organisation_id, contact_id=contact_id, kind=str(kind),
        event_id=event_id, campaign_id=campaign_id, occurred_at=occurred_at))
    return activity_id


_INSERT_ACTIVITY = sa.insert(LeadActivity.__table__).returning(LeadActivity.__table__.c.id)


def _request_user_id() -> int | None:
    """The logged-in user of the current request, if any (staff, an organiser, a sales owner): every route they
    use checks who they are before it acts; a public page's visitor is nobody."""
    return signed_in_user_id()


def timeline(contact: Contact) -> list[LeadActivity]:
    return list(db.session.execute(
        sa.select(LeadActivity).where(LeadActivity.contact_id == contact.id)
        .order_by(LeadActivity.occurred_at.desc(), LeadActivity.id.desc())
    ).scalars())


def lead_state(contact: Contact) -> LeadState:
    """Where the contact stands as a lead, for reading: the stored row, or (for a contact nothing has scored or
    assigned yet) the default one, not stored, so that looking writes nothing."""
    return db.session.get(LeadState, contact.id) or LeadState(contact_id=contact.id, stage=LeadStage.NEW,
                                                              owner_user_id=None, stage_reason="")


def lead_state_for_update(contact_id: int) -> LeadState:
    """The contact's stored lead state, made with the defaults (stage new, no owner) the first time
    something changes it; a sign-up pays nothing for a row nobody has changed yet."""
    state = db.session.get(LeadState, contact_id)
    if state is None:
        # Two first changes at once make one row: the second insert does nothing and both read the one row.
        db.session.execute(dialect_insert(LeadState).values(contact_id=contact_id, updated_at=utcnow())
                           .on_conflict_do_nothing(index_elements=[LeadState.contact_id]))
        state = db.session.get(LeadState, contact_id)
    return state
