"""A person's data on request (issue 16, helper "contact"): export everything held about them, and erase it while
anonymous counts stay (funnels stay right).

Each feature answers for its own tables through signals: `personal_data` (what it holds, as PersonalData) and
`contact_erasing` (remove or anonymise it, in this transaction). The features' answers live in their privacy.py
modules, imported here so that they are connected wherever leads is (create_app imports this module)."""
import json
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from eventapp import signals
from eventapp.checkin import privacy as _checkin_privacy  # noqa: F401  (connects its answers)
from eventapp.contacts import privacy as contact_privacy
from eventapp.contacts.models import Contact
from eventapp.core.time import utcnow
from eventapp.extensions import db
from eventapp.invitations import privacy as _invitation_privacy  # noqa: F401
from eventapp.leads.models import ActivityKind, Channel, LeadActivity, LeadState
from eventapp.leads.models.handoff import Handoff
from eventapp.leads.models.scoring import LeadScore, ScoreEntry, ScoreModel
from eventapp.leads.operations import record_activity
from eventapp.leads.reasons import reason_text
from eventapp.messaging import privacy as _message_privacy  # noqa: F401
from eventapp.registration import privacy as _registration_privacy  # noqa: F401


class AlreadyErased(Exception):
    """The contact's data was erased before: nothing is left to erase."""


def _ref(contact: Contact, by_user_id: int | None) -> signals.ContactRef:
    return signals.ContactRef(contact_id=contact.id, organisation_id=contact.organisation_id, occurred_at=utcnow(),
                              by_user_id=by_user_id)


def personal_data(contact: Contact, by_user_id: int | None = None) -> dict:
    """Everything each feature holds about the person, as one JSON-ready document; the export is an activity."""
    ref = _ref(contact, by_user_id)
    sections = signals.answers(signals.personal_data, ref)
    record_activity(ActivityKind.DATA_EXPORTED, organisation_id=contact.organisation_id, contact_id=contact.id,
                    channel=Channel.STAFF if by_user_id else Channel.SYSTEM, actor_user_id=by_user_id)
    return {"contact_id": contact.id, "exported_at": ref.occurred_at.isoformat(),
            "sections": [{"title": str(part.title), "rows": part.rows} for part in sections]}


def personal_data_json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_json_value)


def _json_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def erase(contact: Contact, by_user_id: int | None = None) -> None:
    """Erase the person's data on request (GDPR Art. 17, PIPL Art. 47): every feature removes or anonymises what it
    holds, then the contact itself is made anonymous. Rows that counts are made of stay, without personal data."""
    if contact.erased_at is not None:
        raise AlreadyErased()
    signals.contact_erasing.send(_ref(contact, by_user_id))
    contact_privacy.anonymise(contact, by_user_id)


@signals.personal_data.connect
def _lead_data(ref: signals.ContactRef, **kwargs):
    activities = db.session.execute(
        sa.select(LeadActivity).where(LeadActivity.contact_id == ref.contact_id)
        .order_by(LeadActivity.occurred_at, LeadActivity.id)).scalars()
    state = db.session.get(LeadState, ref.contact_id)
    scores = db.session.execute(sa.select(ScoreModel.name, LeadScore.fit, LeadScore.updated_at)
                                .join(LeadScore, LeadScore.model_id == ScoreModel.id)
                                .where(LeadScore.contact_id == ref.contact_id)).all()
    entries = db.session.execute(sa.select(ScoreEntry).where(ScoreEntry.contact_id == ref.contact_id)
                                 .order_by(ScoreEntry.id)).scalars()
    handoffs = db.session.execute(sa.select(Handoff).where(Handoff.contact_id == ref.contact_id)
                                  .order_by(Handoff.created_at)).scalars()
    return [
        signals.PersonalData(_("Activity timeline"), [
            {"kind": activity.kind, "occurred_at": activity.occurred_at, "event_id": activity.event_id,
             "channel": activity.channel, "details": _readable(activity.meta)} for activity in activities]),
        signals.PersonalData(_("Lead stage"), [] if state is None else [
            {"stage": state.stage, "reason": reason_text(state.stage_reason), "changed_at": state.stage_changed_at}]),
        signals.PersonalData(_("Scores"), [
            {"model": name, "profile_fit": fit, "updated_at": updated} for name, fit, updated in scores]
            + [{"points": entry.points, "label": entry.label, "occurred_at": entry.occurred_at} for entry in entries]),
        signals.PersonalData(_("Handoffs to sales"), [
            {"created_at": handoff.created_at, "due_at": handoff.due_at, "answered_at": handoff.answered_at,
             "feedback": handoff.feedback, "note": handoff.note} for handoff in handoffs]),
    ]


def _readable(meta: dict | None) -> dict | None:
    # A stage change's reason as the person reads it, not its stored code.
    if not meta or not meta.get("reason"):
        return meta
    return {**meta, "reason": reason_text(meta["reason"])}


@signals.contact_erasing.connect
def _erase_lead_details(ref: signals.ContactRef, **kwargs):
    # Activities are append-only for the ORM (models refuse updates); an erasure is the one change allowed, a Core
    # UPDATE of their details only: kind, time, event and channel stay, which the funnels count.
    db.session.execute(sa.update(LeadActivity.__table__).where(LeadActivity.contact_id == ref.contact_id)
                       .values(meta={}))
    db.session.execute(sa.update(Handoff).where(Handoff.contact_id == ref.contact_id).values(note=""),
                       execution_options={"synchronize_session": False})
    # A score describes the person (its fit lines say what their title, company or answers matched) and no count is
    # made of it: it goes, with its entries.
    db.session.execute(sa.delete(ScoreEntry).where(ScoreEntry.contact_id == ref.contact_id),
                       execution_options={"synchronize_session": False})
    db.session.execute(sa.delete(LeadScore).where(LeadScore.contact_id == ref.contact_id),
                       execution_options={"synchronize_session": False})
    # An open handoff ends with the person: its link would show sales a blank lead, and reminders would chase it.
    db.session.execute(sa.update(Handoff).where(Handoff.contact_id == ref.contact_id, Handoff.answered_at.is_(None),
                                                Handoff.withdrawn_at.is_(None)).values(withdrawn_at=ref.occurred_at),
                       execution_options={"synchronize_session": False})
    db.session.execute(sa.update(LeadState).where(LeadState.contact_id == ref.contact_id).values(stage_reason=""),
                       execution_options={"synchronize_session": False})
    # Webhook deliveries about them: leads.webhooks answers for its own log.
