"""Lead stages (issue 16, helper "handoff"): new → engaged → MQL → handed to sales → accepted / rejected → won / lost
→ back to nurture. Every change is an activity (STAGE_CHANGED) and a signals.lead_stage_changed.

Used by the other parts of leads (keep these names):
    score_changed(organisation_id, contact_id, model_id, score, now) -> None   (scoring calls it after a rise)
    move(contact_id, to_stage, *, organisation_id, reason="", by_user_id=None, now=None) -> bool
"""
from datetime import datetime

import sqlalchemy as sa

from eventapp import signals
from eventapp.contacts.models import Contact
from eventapp.core.statements import dialect_insert
from eventapp.core.time import utcnow
from eventapp.extensions import db
from eventapp.leads.models import ActivityKind, Channel, LeadStage
from eventapp.leads.operations import lead_state_for_update, record_activity
from eventapp.leads.reasons import Why, system_reason

S = LeadStage
# The moves the product makes by itself and sales makes; an organiser's override may go anywhere but "handed to
# sales" (that is a handoff, with an owner: handoffs.hand_off).
ALLOWED_MOVES = {
    S.NEW: {S.ENGAGED, S.MQL, S.NURTURE},
    S.ENGAGED: {S.MQL, S.NURTURE},
    S.MQL: {S.HANDED_OFF, S.NURTURE},
    S.HANDED_OFF: {S.ACCEPTED, S.REJECTED, S.WON, S.LOST, S.MQL, S.NURTURE},
    S.ACCEPTED: {S.WON, S.LOST, S.REJECTED, S.NURTURE, S.HANDED_OFF},
    S.REJECTED: {S.NURTURE, S.HANDED_OFF},
    S.WON: {S.NURTURE, S.HANDED_OFF},
    S.LOST: {S.NURTURE, S.HANDED_OFF},
    S.NURTURE: {S.ENGAGED, S.MQL, S.HANDED_OFF},
}
# Where a lead may become an MQL by its score (a lead already with sales, or won or lost, stays where it is).
MAY_QUALIFY = frozenset({S.NEW, S.ENGAGED, S.NURTURE})
# Activities that show real interest: a lead in "new" becomes engaged on the first (opens are too weak: mail apps
# load images by themselves).
ENGAGING_KINDS = frozenset({
    ActivityKind.REGISTERED, ActivityKind.WAITLISTED, ActivityKind.PENDING_APPROVAL, ActivityKind.LINK_CLICKED,
    ActivityKind.CHECKED_IN, ActivityKind.WALK_IN, ActivityKind.CALENDAR_DOWNLOADED, ActivityKind.CONSENT_GIVEN,
    ActivityKind.FORWARDED, ActivityKind.REFERRED, ActivityKind.ANSWERS_CHANGED,
})


class StageRefused(ValueError):
    """A move the stages do not allow; its text says why, for the person who asked."""


def may_move(from_stage: str, to_stage: str, *, override: bool = False) -> bool:
    if override:
        return to_stage != S.HANDED_OFF
    return LeadStage(to_stage) in ALLOWED_MOVES[LeadStage(from_stage)]


def move(contact_id: int, to_stage: str, *, organisation_id: int, reason: str = "", by_user_id: int | None = None,
         now: datetime | None = None, override: bool = False, channel: str | None = None) -> bool:
    """Move the lead to `to_stage`: LeadState, a STAGE_CHANGED activity (from, to, reason) and
    signals.lead_stage_changed, in the current transaction. False when it is there already. `override` is an
    organiser's hand (any stage but handed_off). Raises StageRefused for a move the stages do not allow."""
    to_stage = LeadStage(to_stage)
    state = lead_state_for_update(contact_id)
    from_stage = LeadStage(state.stage)
    if from_stage == to_stage:
        return False
    if not may_move(from_stage, to_stage, override=override):
        raise StageRefused(f"a lead cannot go from {from_stage} to {to_stage}")
    now = now or utcnow()
    reason = (reason or "")[:300]
    state.stage, state.stage_changed_at, state.stage_reason = to_stage, now, reason
    _tell_of_move(contact_id, from_stage, to_stage, organisation_id=organisation_id, reason=reason,
                  by_user_id=by_user_id, now=now, channel=channel)
    return True


def _tell_of_move(contact_id: int, from_stage: LeadStage, to_stage: LeadStage, *, organisation_id: int, reason: str,
                  by_user_id: int | None, now: datetime, channel: str | None) -> None:
    """The STAGE_CHANGED activity and signals.lead_stage_changed of a move just made."""
    record_activity(ActivityKind.STAGE_CHANGED, organisation_id=organisation_id, contact_id=contact_id,
                    channel=channel or (Channel.STAFF if by_user_id else Channel.SYSTEM), occurred_at=now,
                    actor_user_id=by_user_id,
                    meta={"from": str(from_stage), "to": str(to_stage), "reason": reason})
    signals.lead_stage_changed.send(signals.StageChange(
        contact_id=contact_id, organisation_id=organisation_id, from_stage=str(from_stage), to_stage=str(to_stage),
        reason=reason, by_user_id=by_user_id, occurred_at=now))


def missing_fields(contact: Contact, required: list) -> list[str]:
    """The fields sales needs that this contact's profile lacks."""
    return [name for name in required or () if not str(getattr(contact, name, "") or "").strip()]


def score_changed(organisation_id: int, contact_id: int, model_id: int, score: float, now) -> None:
    """A contact's score rose in a model: past the model's threshold, with every field sales needs, a lead in new,
    engaged or nurture becomes an MQL and is handed to a sales owner (or waits for one)."""
    from eventapp.leads import scoring  # scoring tells stages of rises: imported at call time

    model = scoring.model_setting(organisation_id, model_id)
    if model is None or score < model.mql_threshold:
        return
    contact = db.session.get(Contact, contact_id)
    if contact is None or missing_fields(contact, model.required_fields):
        return
    if LeadStage(lead_state_for_update(contact_id).stage) not in MAY_QUALIFY:
        return
    move(contact_id, S.MQL, organisation_id=organisation_id, now=now,
         reason=system_reason(Why.MQL_THRESHOLD, score=score, model=model.name, threshold=model.mql_threshold))
    from eventapp.leads import handoffs  # handoffs uses stages: imported at call time

    handoffs.hand_off_automatically(contact, score_model_id=model.id, now=now)


def _likely_automated(activity_id: int) -> bool:
    """A click a link scanner made seconds after delivery (tracking flags it) is nobody's interest."""
    from eventapp.leads.models import LeadActivity

    activity = db.session.get(LeadActivity, activity_id)
    return bool(activity is not None and (activity.meta or {}).get("likely_automated"))


def engage(organisation_id: int, contact_id: int, kind: str, occurred_at: datetime, activity_id: int) -> None:
    """A lead in "new" shows real interest (a sign-up, a click, a check-in…): it becomes engaged."""
    if kind not in ENGAGING_KINDS or (kind == ActivityKind.LINK_CLICKED and _likely_automated(activity_id)):
        return
    reason = system_reason(Why.ENGAGED_BY, kind=kind)
    if _engaged_if_new(contact_id, occurred_at, reason):
        _tell_of_move(contact_id, S.NEW, S.ENGAGED, organisation_id=organisation_id, reason=reason, by_user_id=None,
                      now=occurred_at, channel=None)


def _engaged_if_new(contact_id: int, now: datetime, reason: str) -> bool:
    """The lead moved from new to engaged, its row made if it had none, in one statement (an upsert that changes
    only a lead still in new: a sign-up read the row three times and wrote it twice); False when it is past new."""
    from eventapp.leads.models import LeadState

    loaded = db.session.identity_map.get(db.session.identity_key(LeadState, contact_id))
    if loaded is not None:
        if loaded.stage != S.NEW:
            return False  # this transaction holds it already: no statement
        db.session.flush()  # its changes first: the statement below bypasses the session
    dialect = db.session.get_bind().dialect.name
    if dialect not in _ENGAGE_IF_NEW:
        _ENGAGE_IF_NEW[dialect] = _engage_if_new_statement(LeadState.__table__)
    moved = db.session.connection().execute(_ENGAGE_IF_NEW[dialect], {
        "contact_id": contact_id, "now": now, "reason": reason, "updated_at": utcnow()}).first() is not None
    if moved and loaded is not None:
        db.session.expire(loaded)  # read again when next used: the statement changed its row
    return moved


_ENGAGE_IF_NEW: dict = {}  # per database dialect, built once


def _engage_if_new_statement(table):
    statement = dialect_insert(table).values(
        contact_id=sa.bindparam("contact_id"), stage=str(S.ENGAGED),
        stage_changed_at=sa.bindparam("now", type_=table.c.stage_changed_at.type),
        stage_reason=sa.bindparam("reason", type_=table.c.stage_reason.type),
        updated_at=sa.bindparam("updated_at", type_=table.c.updated_at.type))
    return statement.on_conflict_do_update(
        index_elements=[table.c.contact_id], where=table.c.stage == str(S.NEW),
        set_={name: statement.excluded[name] for name in ("stage", "stage_changed_at", "stage_reason", "updated_at")},
    ).returning(table.c.contact_id)
