"""Handing MQLs to sales (issue 16, helper "handoff"): assignment by rule or by hand, the handoff mail with the
personal feedback link, deadlines in working days, reminders for overdue answers, feedback moving the stage."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from eventapp import signals
from eventapp.accounts.models import Membership, Role, User
from eventapp.contacts.models import Contact
from eventapp.core.time import utcnow
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.leads import stages
from eventapp.leads.models import ActivityKind, Channel, LeadActivity, LeadStage, LeadState
from eventapp.leads.models.handoff import ASSIGNABLE_FIELDS, AssignmentRule, FeedbackTag, Handoff
from eventapp.leads.operations import lead_state_for_update, record_activity
from eventapp.leads.reasons import Why, system_reason
from eventapp.messaging.operations import Recipient, every_sweep, queue

HANDOFF_MAIL = "lead_handoff"
REMINDER_MAIL = "lead_handoff_reminder"
MAX_REMINDERS = 3
NOTE_MAX_LENGTH = 2000
HIGHLIGHTS = 8
# Answers that mean sales is working on it; the others reject the lead (with the answer as the reason), which
# then goes back to nurture with that reason kept.
ACCEPTING = frozenset({FeedbackTag.ACCEPTED, FeedbackTag.BUYING_3_MONTHS, FeedbackTag.BUYING_YEAR})
# Timeline entries a sales owner learns nothing about the person from (delivery and pipeline bookkeeping, weak
# opens): the highlights are what the person did.
NOT_HIGHLIGHTS = frozenset({ActivityKind.MESSAGE_QUEUED, ActivityKind.MESSAGE_SENT, ActivityKind.MESSAGE_DELIVERED,
                            ActivityKind.MESSAGE_FAILED, ActivityKind.EMAIL_OPENED, ActivityKind.HANDOFF_REMINDED,
                            ActivityKind.STAGE_CHANGED, ActivityKind.OWNER_CHANGED, ActivityKind.HANDED_OFF,
                            ActivityKind.EXPORTED, ActivityKind.DATA_EXPORTED})


class HandoffRefused(ValueError):
    """An assignment or answer that cannot be made; its text says why, for the person who asked."""


# ---- time: working days in the organisation's time zone ----------------------------------------------------------

def organisation_timezone(organisation_id: int) -> ZoneInfo:
    """HANDOFF_TIMEZONE when set, else the zone of the organisation's latest event (where its people work), else
    UTC."""
    name = current_app.config.get("HANDOFF_TIMEZONE") or db.session.execute(
        sa.select(Event.timezone).where(Event.organisation_id == organisation_id)
        .order_by(Event.created_at.desc()).limit(1)).scalar() or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def add_working_days(start: datetime, days: int, zone: ZoneInfo) -> datetime:
    """`days` working days (Monday to Friday) after `start`, at the same local time, in UTC: handed off on a
    Friday afternoon, 5 working days are due the next Friday afternoon; on a Saturday, the Friday after."""
    local = start.astimezone(zone).replace(tzinfo=None)  # wall-clock arithmetic: a DST change keeps the hour
    counted = 0
    while counted < days:
        local += timedelta(days=1)
        if local.weekday() < 5:
            counted += 1
    return local.replace(tzinfo=zone).astimezone(start.tzinfo)


def deadline(organisation_id: int, start: datetime) -> datetime:
    return add_working_days(start, int(current_app.config.get("HANDOFF_WORKING_DAYS", 5)),
                            organisation_timezone(organisation_id))


# ---- tokens ---------------------------------------------------------------------------------------------------

def new_token() -> tuple[str, str]:
    """(the token for the link, its SHA-256 for the row): 256 random bits; the row alone cannot make the link."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def handoff_by_token(token: str) -> Handoff | None:
    if not token or len(token) > 100:
        return None
    return db.session.execute(sa.select(Handoff).where(Handoff.token_hash == token_hash(token))).scalar_one_or_none()


def link_is_dead(handoff: Handoff, now: datetime | None = None) -> bool:
    """Withdrawn (handed to someone else) or past its expiry: the link no longer takes an answer."""
    return handoff.withdrawn_at is not None or handoff.expires_at <= (now or utcnow())


def feedback_url(token: str) -> str:
    from eventapp.messaging.compose import public_base_url

    return f"{public_base_url()}/f/{token}"


# ---- who gets a lead -------------------------------------------------------------------------------------------

def sales_users(organisation_id: int) -> list[User]:
    """The organisation's active sales logins, by id."""
    return list(db.session.execute(
        sa.select(User).join(Membership).where(Membership.organisation_id == organisation_id,
                                               Membership.role == Role.SALES, User.active.is_(True))
        .order_by(User.id)).scalars())


def is_sales_user(organisation_id: int, user_id: int | None) -> bool:
    return any(user.id == user_id for user in sales_users(organisation_id))


def rules_of(organisation_id: int) -> list[AssignmentRule]:
    return list(db.session.execute(sa.select(AssignmentRule).where(AssignmentRule.organisation_id == organisation_id)
                                   .order_by(AssignmentRule.position, AssignmentRule.id)).scalars())


def rule_words(rule: AssignmentRule) -> list[str]:
    return [word.strip().casefold() for word in rule.pattern.split(",") if word.strip()]


def rule_matches(rule: AssignmentRule, contact: Contact) -> bool:
    """The contact's field (city, industry…) contains one of the rule's words, case-insensitively."""
    if rule.field not in ASSIGNABLE_FIELDS:
        return False
    value = str(getattr(contact, rule.field, "") or "").casefold()
    return any(word in value for word in rule_words(rule))


def round_robin(organisation_id: int, candidates: list[User]) -> User | None:
    """The candidate assigned least recently (never assigned first; then by id): fair, and the same answer for the
    same history."""
    if not candidates:
        return None
    last = dict(db.session.execute(
        sa.select(Handoff.owner_user_id, sa.func.max(Handoff.id))
        .where(Handoff.organisation_id == organisation_id,
               Handoff.owner_user_id.in_([user.id for user in candidates]))
        .group_by(Handoff.owner_user_id)).all())
    return min(candidates, key=lambda user: (last.get(user.id, 0), user.id))


def choose_owner(contact: Contact) -> tuple[User | None, AssignmentRule | None]:
    """(owner, the rule that chose them): the first matching rule whose owner is a sales user (a rule without an
    owner: round robin among all), else round robin; (None, None) when the organisation has no sales user."""
    sellers = sales_users(contact.organisation_id)
    by_id = {user.id: user for user in sellers}
    for rule in rules_of(contact.organisation_id):
        if not rule_matches(rule, contact):
            continue
        if rule.owner_user_id is None:
            return round_robin(contact.organisation_id, sellers), rule
        if rule.owner_user_id in by_id:
            return by_id[rule.owner_user_id], rule
    return round_robin(contact.organisation_id, sellers), None


def save_rule(organisation_id: int, field: str, pattern: str, owner_user_id: int | None) -> AssignmentRule:
    if field not in ASSIGNABLE_FIELDS:
        raise HandoffRefused(_("Choose one of the fields in the list."))
    words = [word.strip() for word in pattern.split(",") if word.strip()]
    if not words:
        raise HandoffRefused(_("Give at least one word to look for."))
    if owner_user_id is not None and not is_sales_user(organisation_id, owner_user_id):
        raise HandoffRefused(_("The owner must be one of your organisation's sales users."))
    position = (db.session.execute(sa.select(sa.func.max(AssignmentRule.position))
                                   .where(AssignmentRule.organisation_id == organisation_id)).scalar() or 0) + 1
    rule = AssignmentRule(organisation_id=organisation_id, field=field, pattern=", ".join(words)[:500],
                          owner_user_id=owner_user_id, position=position)
    db.session.add(rule)
    db.session.flush()
    return rule


# ---- the handoff -------------------------------------------------------------------------------------------------

def open_handoff(contact_id: int) -> Handoff | None:
    """The contact's current handoff (not withdrawn), answered or not."""
    return db.session.execute(sa.select(Handoff).where(Handoff.contact_id == contact_id,
                                                       Handoff.withdrawn_at.is_(None))
                              .order_by(Handoff.id.desc()).limit(1)).scalar_one_or_none()


def hand_off(contact: Contact, owner: User, *, by_user_id: int | None = None, rule_id: int | None = None,
             score_model_id: int | None = None, now: datetime | None = None) -> Handoff:
    """Hand the lead to `owner`: the open handoff (if any) is withdrawn, a new one with its deadline and link,
    stage → handed_off, the owner (OWNER_CHANGED when it changes), HANDED_OFF on the timeline, the mail to the
    owner through the outbox, and signals.lead_handed_off. All in the current transaction."""
    if not is_sales_user(contact.organisation_id, owner.id):
        raise HandoffRefused(_("Leads go to your organisation's sales users only."))
    state = lead_state_for_update(contact.id)
    if not (state.stage == LeadStage.HANDED_OFF or stages.may_move(state.stage, LeadStage.HANDED_OFF)):
        raise HandoffRefused(_("A lead in stage %(stage)s cannot be handed to sales.",
                               stage=LeadStage(state.stage).label))
    now = now or utcnow()
    previous = open_handoff(contact.id)
    if previous is not None:
        previous.withdrawn_at = now
    channel = Channel.STAFF if by_user_id else Channel.SYSTEM
    _set_owner(contact, state, owner.id, by_user_id=by_user_id, channel=channel, now=now)
    token, hashed = new_token()
    handoff = Handoff(organisation_id=contact.organisation_id, contact_id=contact.id, owner_user_id=owner.id,
                      assigned_by_user_id=by_user_id, rule_id=rule_id, score_model_id=score_model_id,
                      created_at=now, due_at=deadline(contact.organisation_id, now), token_hash=hashed,
                      expires_at=now + timedelta(days=int(current_app.config.get("HANDOFF_LINK_DAYS", 30))))
    db.session.add(handoff)
    db.session.flush()
    stages.move(contact.id, LeadStage.HANDED_OFF, organisation_id=contact.organisation_id, by_user_id=by_user_id,
                now=now, reason=system_reason(Why.HANDED_TO, owner=owner.name or owner.email),
                channel=channel)
    record_activity(ActivityKind.HANDED_OFF, organisation_id=contact.organisation_id, contact_id=contact.id,
                    channel=channel, occurred_at=now, actor_user_id=by_user_id,
                    meta={"handoff_id": handoff.id, "owner_user_id": owner.id, "rule_id": rule_id,
                          "due_at": handoff.due_at.isoformat()})
    queue(HANDOFF_MAIL, Recipient(email=owner.email, name=owner.name, user_id=owner.id),
          organisation_id=contact.organisation_id, key=f"handoff:{handoff.id}",
          context={"handoff_id": handoff.id, "token": token})
    signals.lead_handed_off.send(_change(handoff, now))
    return handoff


def _set_owner(contact: Contact, state: LeadState, owner_id: int | None, *, by_user_id, channel, now) -> None:
    if state.owner_user_id == owner_id:
        return
    record_activity(ActivityKind.OWNER_CHANGED, organisation_id=contact.organisation_id, contact_id=contact.id,
                    channel=channel, occurred_at=now, actor_user_id=by_user_id,
                    meta={"from_user_id": state.owner_user_id, "to_user_id": owner_id})
    state.owner_user_id = owner_id


def _change(handoff: Handoff, now: datetime) -> signals.HandoffChange:
    return signals.HandoffChange(handoff_id=handoff.id, contact_id=handoff.contact_id,
                                 organisation_id=handoff.organisation_id, owner_user_id=handoff.owner_user_id,
                                 occurred_at=now, feedback=handoff.feedback)


def hand_off_automatically(contact: Contact, *, score_model_id: int | None = None,
                           now: datetime | None = None) -> Handoff | None:
    """An MQL goes to the owner the rules (or round robin) choose; with no sales user it waits (None)."""
    owner, rule = choose_owner(contact)
    if owner is None:
        return None
    return hand_off(contact, owner, rule_id=rule.id if rule else None, score_model_id=score_model_id, now=now)


def hand_off_by_organiser(contact: Contact, owner_user_id: int | None, by_user_id: int) -> Handoff:
    """The organiser's "Hand to sales" on the contact page: to the chosen owner, or (None) as the rules say."""
    rule = None
    if owner_user_id is None:
        owner, rule = choose_owner(contact)
        if owner is None:
            raise HandoffRefused(_("Your organisation has no sales user yet: add one, then hand the lead over."))
    else:
        owner = db.session.get(User, owner_user_id)
        if owner is None or not is_sales_user(contact.organisation_id, owner.id):
            raise HandoffRefused(_("Choose one of your organisation's sales users."))
    return _hand_off_anywhere(contact, owner, by_user_id, rule.id if rule else None)


def _hand_off_anywhere(contact: Contact, owner: User, by_user_id: int, rule_id: int | None) -> Handoff:
    """An organiser may hand a lead over from any stage: it passes through MQL first when it must."""
    state = lead_state_for_update(contact.id)
    if not stages.may_move(state.stage, LeadStage.HANDED_OFF) and state.stage != LeadStage.HANDED_OFF:
        stages.move(contact.id, LeadStage.MQL, organisation_id=contact.organisation_id, by_user_id=by_user_id,
                    reason=system_reason(Why.HANDED_BY_HAND), override=True)
    return hand_off(contact, owner, by_user_id=by_user_id, rule_id=rule_id)


def waiting_for_owner(organisation_id: int) -> list[LeadState]:
    """MQLs with no open handoff: nobody could be assigned (no sales user) when they qualified."""
    open_ones = sa.select(Handoff.contact_id).where(Handoff.withdrawn_at.is_(None), Handoff.answered_at.is_(None))
    return list(db.session.execute(
        sa.select(LeadState).join(Contact).where(Contact.organisation_id == organisation_id,
                                                 LeadState.stage == LeadStage.MQL,
                                                 LeadState.contact_id.not_in(open_ones))
        .order_by(LeadState.stage_changed_at)).scalars())


@every_sweep
def assign_waiting() -> None:
    """MQLs waiting for an owner get one as soon as the organisation has a sales user."""
    organisations = db.session.execute(sa.select(Membership.organisation_id).where(
        Membership.role == Role.SALES).distinct()).scalars().all()
    for organisation_id in organisations:
        for state in waiting_for_owner(organisation_id):
            hand_off_automatically(state.contact)


# ---- the answer -------------------------------------------------------------------------------------------------

def answer(handoff: Handoff, tag: str, note: str = "", *, now: datetime | None = None) -> None:
    """Sales' feedback: the handoff answered, SALES_FEEDBACK on the timeline (by the owner), and the stage:
    accepted or buying → accepted; any other answer → rejected with the answer as the reason, then nurture with
    that reason kept. The first answer stands: a second is refused (HandoffRefused), as is one on a dead link."""
    now = now or utcnow()
    tag = FeedbackTag(tag)
    if handoff.answered_at is not None:
        raise HandoffRefused(_("This lead was answered already."))
    if link_is_dead(handoff, now):
        raise HandoffRefused(_("This handoff is closed."))
    _claim_answer(handoff, now, tag, (note or "").strip()[:NOTE_MAX_LENGTH])
    contact_id, organisation_id, owner_id = handoff.contact_id, handoff.organisation_id, handoff.owner_user_id
    record_activity(ActivityKind.SALES_FEEDBACK, organisation_id=organisation_id, contact_id=contact_id,
                    channel=Channel.SALES, occurred_at=now, actor_user_id=owner_id,
                    meta={"handoff_id": handoff.id, "feedback": str(tag), "note": handoff.note[:300]})
    reason = system_reason(Why.FEEDBACK, tag=str(tag))
    if tag in ACCEPTING:
        _move_if_allowed(contact_id, LeadStage.ACCEPTED, organisation_id, reason, owner_id, now)
    else:
        _move_if_allowed(contact_id, LeadStage.REJECTED, organisation_id, reason, owner_id, now)
        _move_if_allowed(contact_id, LeadStage.NURTURE, organisation_id, reason, owner_id, now)
    signals.lead_feedback_given.send(_change(handoff, now))


def _claim_answer(handoff: Handoff, now: datetime, tag: FeedbackTag, note: str) -> None:
    """Write the answer unless another request (a double click) wrote one since this one looked: one answer."""
    written = db.session.execute(
        sa.update(Handoff).where(Handoff.id == handoff.id, Handoff.answered_at.is_(None))
        .values(answered_at=now, feedback=str(tag), note=note).execution_options(synchronize_session=False))
    if written.rowcount != 1:
        raise HandoffRefused(_("This lead was answered already."))
    db.session.refresh(handoff)


def _move_if_allowed(contact_id, to_stage, organisation_id, reason, by_user_id, now) -> None:
    """Feedback on a lead an organiser has moved on meanwhile (won, say) leaves it where it is."""
    state = lead_state_for_update(contact_id)
    if stages.may_move(state.stage, to_stage):
        stages.move(contact_id, to_stage, organisation_id=organisation_id, reason=reason, by_user_id=by_user_id,
                    now=now, channel=Channel.SALES)


OUTCOMES = {"won": LeadStage.WON, "lost": LeadStage.LOST}


def mark_outcome(contact: Contact, outcome: str, by_user_id: int, now: datetime | None = None) -> bool:
    """Sales marks its lead won or lost (from /sales). A lost lead stays lost until an organiser sends it back to
    nurture; won is won."""
    stage = OUTCOMES.get(outcome)
    if stage is None:
        raise HandoffRefused(_("Choose won or lost."))
    state = lead_state_for_update(contact.id)
    if not stages.may_move(state.stage, stage) and state.stage != stage:
        raise HandoffRefused(_("A lead in stage %(stage)s cannot be marked %(outcome)s.",
                               stage=LeadStage(state.stage).label, outcome=stage.label))
    return stages.move(contact.id, stage, organisation_id=contact.organisation_id, by_user_id=by_user_id,
                       now=now, reason=system_reason(Why.OUTCOME, stage=str(stage)), channel=Channel.SALES)


# ---- overdue: reminders and the list --------------------------------------------------------------------------

def unanswered():
    return sa.select(Handoff).where(Handoff.answered_at.is_(None), Handoff.withdrawn_at.is_(None))


def open_handoffs(organisation_id: int) -> list[Handoff]:
    """Unanswered handoffs, the most overdue first."""
    return list(db.session.execute(unanswered().where(Handoff.organisation_id == organisation_id)
                                   .order_by(Handoff.due_at, Handoff.id)).scalars())


def days_overdue(handoff: Handoff, now: datetime) -> int:
    """Whole days past the deadline (0 when not overdue, or less than a day over)."""
    return max(0, (now - handoff.due_at).days)


def _reminded_today(handoff: Handoff, zone: ZoneInfo, now: datetime) -> bool:
    return handoff.last_reminded_at is not None and \
        handoff.last_reminded_at.astimezone(zone).date() == now.astimezone(zone).date()


@every_sweep
def remind_overdue() -> None:
    """Unanswered handoffs past their deadline: the owner is reminded once a working day, at most MAX_REMINDERS
    times, with the same link, and the timeline says so."""
    now = utcnow()
    overdue = db.session.execute(unanswered().where(Handoff.due_at < now, Handoff.expires_at > now,
                                                    Handoff.reminders_sent < MAX_REMINDERS,
                                                    Handoff.owner_user_id.is_not(None))).scalars().all()
    for handoff in overdue:
        zone = organisation_timezone(handoff.organisation_id)
        if now.astimezone(zone).weekday() >= 5 or _reminded_today(handoff, zone, now):
            continue
        remind(handoff, now)


def remind(handoff: Handoff, now: datetime) -> None:
    handoff.reminders_sent += 1
    handoff.last_reminded_at = now
    owner = db.session.get(User, handoff.owner_user_id)
    record_activity(ActivityKind.HANDOFF_REMINDED, organisation_id=handoff.organisation_id,
                    contact_id=handoff.contact_id, channel=Channel.SYSTEM, occurred_at=now,
                    meta={"handoff_id": handoff.id, "reminder": handoff.reminders_sent})
    queue(REMINDER_MAIL, Recipient(email=owner.email, name=owner.name, user_id=owner.id),
          organisation_id=handoff.organisation_id, key=f"handoff:{handoff.id}:reminder:{handoff.reminders_sent}",
          context={"handoff_id": handoff.id, "token": _link_token(handoff), "reminder": handoff.reminders_sent})


def _link_token(handoff: Handoff) -> str:
    """The token the handoff's own mail carried (only its hash is on the handoff): reminders repeat that link. If
    that mail is gone from the outbox, a new token replaces the old one (the reminder carries the only link)."""
    from eventapp.messaging.models import Message

    meta = db.session.execute(sa.select(Message.meta).where(Message.idempotency_key == f"handoff:{handoff.id}")
                              ).scalar_one_or_none()
    if meta and meta.get("token"):
        return meta["token"]
    token, handoff.token_hash = new_token()
    return token


# ---- what sales reads about a lead -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoreLine:
    model: str
    score: float
    reasons: list


def score_lines(contact_id: int) -> list[ScoreLine]:
    """Each score of the contact with its three weightiest reasons (scoring explains them line by line)."""
    from eventapp.leads import scoring

    lines = []
    for model, score in scoring.current_scores(contact_id):
        reasons = sorted(scoring.explain(contact_id, model.id), key=lambda line: -abs(line.now))[:3]
        lines.append(ScoreLine(model=model.name, score=score,
                               reasons=[f"{line.now:+.0f} {line.label}" for line in reasons]))
    return lines


def events_of(contact_id: int, kinds) -> list[str]:
    """Titles of the events the contact has activities of these kinds at, newest first."""
    rows = db.session.execute(
        sa.select(Event.title, sa.func.max(LeadActivity.occurred_at)).join(Event, Event.id == LeadActivity.event_id)
        .where(LeadActivity.contact_id == contact_id, LeadActivity.kind.in_([str(kind) for kind in kinds]))
        .group_by(Event.id, Event.title).order_by(sa.func.max(LeadActivity.occurred_at).desc())).all()
    return [title for title, _when in rows]


def highlights(contact_id: int, limit: int = HIGHLIGHTS) -> list[LeadActivity]:
    """The last meaningful activities (no delivery bookkeeping, no opens)."""
    return list(db.session.execute(
        sa.select(LeadActivity).where(LeadActivity.contact_id == contact_id,
                                      LeadActivity.kind.not_in([str(kind) for kind in NOT_HIGHLIGHTS]))
        .order_by(LeadActivity.occurred_at.desc(), LeadActivity.id.desc()).limit(limit)).scalars())


def summary(contact: Contact) -> dict:
    """A lead as sales reads it, in the mail and on the feedback page."""
    return {"contact": contact, "scores": score_lines(contact.id),
            "registered": events_of(contact.id, (ActivityKind.REGISTERED, ActivityKind.WAITLISTED,
                                                 ActivityKind.PENDING_APPROVAL)),
            "attended": events_of(contact.id, (ActivityKind.CHECKED_IN, ActivityKind.WALK_IN)),
            "highlights": highlights(contact.id), "zone": organisation_timezone(contact.organisation_id).key}


def feedback_label(tag: str) -> str:
    try:
        return FeedbackTag(tag).label
    except ValueError:
        return tag


# The mails are written by handoff_mail.py (imported here so that they are registered whenever handoffs is).
from eventapp.leads import handoff_mail  # noqa: E402,F401
