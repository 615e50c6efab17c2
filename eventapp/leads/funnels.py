"""Funnels and analytics (issue 16, helper "funnels"): invited → opened → clicked → registered → confirmed → attended
→ MQL → accepted → won per event and campaign, broken down and over time, costs per result.

Every step counts **distinct contacts** (a campaign counts a person once, however many of its events they touch):

- invited: contacts with an invitation to one of the events that went out (not still queued, not withdrawn).
- opened: invited contacts with an EMAIL_OPENED or a LINK_CLICKED activity for one of the events (a click proves
  the mail was opened, also when images were blocked; opens are a weak signal, mail apps load images by themselves).
- clicked: invited contacts with a LINK_CLICKED activity for one of the events (clicks a mail scanner made seconds
  after delivery, flagged likely_automated, are left out).
- registered: contacts with a registration of any status (confirmed, pending, waitlisted, and also those who later
  cancelled or were declined: they did sign up), walk-ins left out (they enter at "attended").
- confirmed: registered contacts whose registration is confirmed, or who were checked in.
- attended: contacts checked in at the door, walk-ins included.
- MQL / accepted / won: the event's people (invited, registered or walked in) whose lead reached that stage or one
  beyond it at any time, before or after the event: a STAGE_CHANGED activity to it, or the stage they are in now.
  MQL or beyond = mql, handed_off, accepted, rejected, won, lost; accepted = accepted, won; won = won.

People enter where they enter: someone who registered on the landing page was never invited, so "registered" may be
larger than "clicked" (and a rate above 100 %). Each step therefore also says how many of its people were invited,
and the rates are shown as they are, with a note when one is above 100 %.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventapp.contacts.models import Contact
from eventapp.core.enums import LabelledEnum
from eventapp.core.spreadsheet import Table
from eventapp.core.time import local, utcnow
from eventapp.events.models import Campaign, Event
from eventapp.extensions import db
from eventapp.invitations.channels import channel_label
from eventapp.invitations.models import Invitation, InvitationStatus, Partner, PartnerLink
from eventapp.leads.models import ActivityKind, LeadActivity, LeadStage, LeadState
from eventapp.leads.models.analytics import EventCost
from eventapp.registration.models import Registration, RegistrationStatus


class Step(LabelledEnum):
    INVITED = "invited", _l("Invited")
    OPENED = "opened", _l("Opened")
    CLICKED = "clicked", _l("Clicked")
    REGISTERED = "registered", _l("Registered")
    CONFIRMED = "confirmed", _l("Confirmed")
    ATTENDED = "attended", _l("Attended")
    MQL = "mql", _l("MQL")
    ACCEPTED = "accepted", _l("Accepted by sales")
    WON = "won", _l("Won")


# The steps only invited people can take (their counts are all "of which invited").
INVITED_STEPS = (Step.INVITED, Step.OPENED, Step.CLICKED)
# A lead that reached one of these stages has passed the step (see the module's docstring).
STAGES_AT_OR_BEYOND = {
    Step.MQL: (LeadStage.MQL, LeadStage.HANDED_OFF, LeadStage.ACCEPTED, LeadStage.REJECTED, LeadStage.WON,
               LeadStage.LOST),
    Step.ACCEPTED: (LeadStage.ACCEPTED, LeadStage.WON),
    Step.WON: (LeadStage.WON,),
}
SENT_OUT = sa.not_(Invitation.status.in_((InvitationStatus.QUEUED, InvitationStatus.WITHDRAWN)))
DAILY_UP_TO_DAYS = 62  # a longer time line is drawn per week
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Scope:
    """What a funnel counts over: an event, or a campaign's events together."""
    organisation_id: int
    event_ids: tuple[int, ...]
    title: str
    timezone: str = "UTC"
    campaign_id: int | None = None
    starts_at: datetime | None = None  # the (first) event's start: where the time line's days are counted from


def event_scope(event: Event) -> Scope:
    return Scope(event.organisation_id, (event.id,), event.title, event.timezone, starts_at=event.starts_at)


def campaign_scope(campaign: Campaign) -> Scope:
    """The campaign's events together, in the time zone of the first of them."""
    events = list(campaign.events)
    first = events[0] if events else None
    return Scope(campaign.organisation_id, tuple(event.id for event in events), campaign.name,
                 first.timezone if first else "UTC", campaign.id, first.starts_at if first else None)


# ---- who took which step: one (contact_id, step) row per source, pivoted per contact in SQL ----------------------

def _invited(scope: Scope):
    return sa.select(Invitation.contact_id).where(Invitation.organisation_id == scope.organisation_id,
                                                  Invitation.event_id.in_(scope.event_ids), SENT_OUT)


def _activities(scope: Scope, *kinds: ActivityKind):
    return sa.select(LeadActivity.contact_id).where(LeadActivity.organisation_id == scope.organisation_id,
                                                    LeadActivity.event_id.in_(scope.event_ids),
                                                    LeadActivity.kind.in_([str(kind) for kind in kinds]))


def _human_clicks(scope: Scope):
    automated = LeadActivity.meta["likely_automated"].as_boolean()
    return _activities(scope, ActivityKind.LINK_CLICKED).where(sa.or_(automated.is_(None), automated == sa.false()))


def _registrations(scope: Scope, *conditions):
    return sa.select(Registration.contact_id).where(Registration.event_id.in_(scope.event_ids), *conditions)


def _people(scope: Scope):
    """Everyone the funnel is about: invited, registered or walked in."""
    return sa.union(_invited(scope), _registrations(scope))


def _reached(scope: Scope, stages) -> sa.Select:
    """The event's people whose lead is, or ever was, at one of these stages."""
    values = [str(stage) for stage in stages]
    people = _people(scope).subquery()
    now_there = sa.select(LeadState.contact_id).where(LeadState.stage.in_(values),
                                                      LeadState.contact_id.in_(sa.select(people.c.contact_id)))
    moved_there = sa.select(LeadActivity.contact_id).where(
        LeadActivity.organisation_id == scope.organisation_id, LeadActivity.kind == str(ActivityKind.STAGE_CHANGED),
        LeadActivity.meta["to"].as_string().in_(values), LeadActivity.contact_id.in_(sa.select(people.c.contact_id)))
    return sa.union(now_there, moved_there)


def _step_sources(scope: Scope) -> dict[Step, sa.Select]:
    not_walk_in = Registration.walk_in == sa.false()
    return {
        Step.INVITED: _invited(scope),
        Step.OPENED: _activities(scope, ActivityKind.EMAIL_OPENED, ActivityKind.LINK_CLICKED),
        Step.CLICKED: _human_clicks(scope),
        Step.REGISTERED: _registrations(scope, not_walk_in),
        Step.CONFIRMED: _registrations(scope, not_walk_in, sa.or_(
            Registration.status == RegistrationStatus.CONFIRMED, Registration.checked_in_at.is_not(None))),
        Step.ATTENDED: _registrations(scope, Registration.checked_in_at.is_not(None)),
        **{step: _reached(scope, stages) for step, stages in STAGES_AT_OR_BEYOND.items()},
    }


def _per_contact(scope: Scope):
    """One row per contact of the funnel: contact_id and a 0/1 column per step (opened and clicked only for the
    invited), plus walk_in."""
    sources = _step_sources(scope)
    rows = sa.union_all(*(sa.select(source.subquery().c.contact_id, sa.literal(str(step)).label("step"))
                          for step, source in sources.items()),
                        sa.select(_registrations(scope, Registration.walk_in == sa.true()).subquery().c.contact_id,
                                  sa.literal("walk_in").label("step"))).subquery()
    flag = {name: sa.func.max(sa.case((rows.c.step == name, 1), else_=0)) for name in [*map(str, Step), "walk_in"]}
    return sa.select(rows.c.contact_id, *(value.label(name) for name, value in flag.items())).group_by(
        rows.c.contact_id).subquery()


def _counted(per) -> list:
    """The aggregate columns: per step, its people and how many of them were invited; walk-ins among attendees."""
    invited = per.c[str(Step.INVITED)]
    columns = []
    for step in Step:
        took = per.c[str(step)]
        if step in INVITED_STEPS:
            took = took * invited
        columns += [sa.func.coalesce(sa.func.sum(took), 0), sa.func.coalesce(sa.func.sum(took * invited), 0)]
    columns.append(sa.func.coalesce(sa.func.sum(per.c[str(Step.ATTENDED)] * per.c.walk_in), 0))
    return columns


# ---- the funnel --------------------------------------------------------------------------------------------------

@dataclass
class StepFigure:
    step: Step
    people: int
    invited: int  # of which invited
    of_previous: float | None = None  # None: the step before had nobody
    of_top: float | None = None

    @property
    def label(self):
        return self.step.label

    @property
    def not_invited(self) -> int:
        return self.people - self.invited


@dataclass
class Funnel:
    steps: list[StepFigure]
    walk_ins: int  # attendees who walked in without registering

    def __getitem__(self, step: Step) -> StepFigure:
        return next(figure for figure in self.steps if figure.step == step)

    @property
    def above_previous(self) -> bool:
        """A step has more people than the one before (people who entered there): the page says why."""
        return any(figure.of_previous is not None and figure.of_previous > 1 for figure in self.steps)

    @property
    def is_empty(self) -> bool:
        return not any(figure.people for figure in self.steps)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def funnel(scope: Scope) -> Funnel:
    """The nine steps of the scope, with rates against the step before and against the first."""
    if not scope.event_ids:
        return _with_rates([0] * (2 * len(Step)), 0)
    *counts, walk_ins = db.session.execute(sa.select(*_counted(_per_contact(scope)))).one()
    return _with_rates([int(value) for value in counts], int(walk_ins))


def _with_rates(counts: list[int], walk_ins: int) -> Funnel:
    steps, top, previous = [], counts[0], None
    for index, step in enumerate(Step):
        people, invited = counts[2 * index], counts[2 * index + 1]
        steps.append(StepFigure(step, people, invited, None if previous is None else ratio(people, previous),
                                None if index == 0 else ratio(people, top)))
        previous = people
    return Funnel(steps, walk_ins)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


# ---- breakdowns --------------------------------------------------------------------------------------------------

class Dimension(LabelledEnum):
    CHANNEL = "channel", _l("Channel")
    PARTNER = "partner", _l("Partner")
    CITY = "city", _l("City")
    INDUSTRY = "industry", _l("Industry")
    COMPANY_SIZE = "company_size", _l("Company size")


# What each breakdown row counts (a subset of the steps: channels and partners are the registration's, so nobody is
# invited "through" one).
BREAKDOWN_STEPS = (Step.REGISTERED, Step.CONFIRMED, Step.ATTENDED, Step.MQL)
PROFILE_STEPS = (Step.INVITED, *BREAKDOWN_STEPS)
CONTACT_COLUMNS = {Dimension.CITY: Contact.city, Dimension.INDUSTRY: Contact.industry,
                   Dimension.COMPANY_SIZE: Contact.company_size}


@dataclass
class BreakdownRow:
    label: str
    counts: dict  # Step → people


@dataclass
class Breakdown:
    dimension: Dimension
    steps: tuple
    rows: list[BreakdownRow] = field(default_factory=list)

    @property
    def widest(self) -> int:
        return max((max(row.counts.values(), default=0) for row in self.rows), default=0)


def breakdowns(scope: Scope) -> list[Breakdown]:
    return [by_registration(scope, Dimension.CHANNEL), by_registration(scope, Dimension.PARTNER),
            *(by_profile(scope, dimension) for dimension in CONTACT_COLUMNS)]


def by_profile(scope: Scope, dimension: Dimension) -> Breakdown:
    """Per value of a contact's profile field (city, industry, company size; empty: not given), most registered
    first. Erased contacts keep their rows, so they count here under "not given"."""
    result = Breakdown(dimension, PROFILE_STEPS)
    if not scope.event_ids:
        return result
    per, column = _per_contact(scope), CONTACT_COLUMNS[dimension]
    value = sa.func.coalesce(column, "")
    sums = [sa.func.sum(per.c[str(step)]) for step in PROFILE_STEPS]
    in_funnel = (per.c[str(Step.INVITED)] + per.c[str(Step.REGISTERED)] + per.c[str(Step.ATTENDED)]) > 0
    found = db.session.execute(sa.select(value, *sums).join(Contact, Contact.id == per.c.contact_id)
                               .where(in_funnel).group_by(value)).all()
    result.rows = _sorted_rows([BreakdownRow(label or str(_("(not given)")),
                                             dict(zip(PROFILE_STEPS, map(int, counts))))
                                for label, *counts in found])
    return result


def by_registration(scope: Scope, dimension: Dimension) -> Breakdown:
    """Per channel or partner of the registrations (a person who came to two of a campaign's events through two
    channels counts in both rows, once in each)."""
    result = Breakdown(dimension, BREAKDOWN_STEPS)
    if not scope.event_ids:
        return result
    key = Registration.channel if dimension == Dimension.CHANNEL else Registration.partner_id
    mql = _reached(scope, STAGES_AT_OR_BEYOND[Step.MQL]).subquery()
    conditions = {
        Step.REGISTERED: Registration.walk_in == sa.false(),
        Step.CONFIRMED: sa.and_(Registration.walk_in == sa.false(), sa.or_(
            Registration.status == RegistrationStatus.CONFIRMED, Registration.checked_in_at.is_not(None))),
        Step.ATTENDED: Registration.checked_in_at.is_not(None),
        Step.MQL: Registration.contact_id.in_(sa.select(mql.c.contact_id)),
    }
    counts = [sa.func.count(sa.distinct(sa.case((condition, Registration.contact_id))))
              for condition in conditions.values()]
    found = db.session.execute(sa.select(key, *counts).where(Registration.event_id.in_(scope.event_ids))
                               .group_by(key)).all()
    name = _channel_names(scope) if dimension == Dimension.CHANNEL else _partner_names(scope)
    result.rows = _sorted_rows([BreakdownRow(name(value), dict(zip(BREAKDOWN_STEPS, map(int, values))))
                                for value, *values in found])
    return result


def _channel_names(scope: Scope):
    links = {link.id: link for link in db.session.scalars(
        sa.select(PartnerLink).where(PartnerLink.organisation_id == scope.organisation_id))}
    return lambda channel: channel_label(channel or "web", links)


def _partner_names(scope: Scope):
    names = dict(db.session.execute(sa.select(Partner.id, Partner.name)
                                    .where(Partner.organisation_id == scope.organisation_id)).all())
    return lambda partner_id: names.get(partner_id) or str(_("No partner"))


def _sorted_rows(rows: list[BreakdownRow]) -> list[BreakdownRow]:
    return sorted(rows, key=lambda row: (-row.counts.get(Step.REGISTERED, 0), -sum(row.counts.values()),
                                         row.label.lower()))


# ---- over time ---------------------------------------------------------------------------------------------------

@dataclass
class Period:
    starts: date
    registrations: int = 0
    check_ins: int = 0
    has_event: bool = False  # one of the scope's events takes place in it


@dataclass
class TimeLine:
    weekly: bool
    periods: list[Period]

    @property
    def highest(self) -> int:
        return max((max(period.registrations, period.check_ins) for period in self.periods), default=0)


def time_line(scope: Scope) -> TimeLine:
    """Registrations (walk-ins left out) and check-ins per day in the scope's time zone, from the first to the last
    day with either, the event days included; per week (from Monday) when that is more than DAILY_UP_TO_DAYS."""
    if not scope.event_ids:
        return TimeLine(False, [])
    registered = _per_day(scope, Registration.created_at, Registration.walk_in == sa.false())
    checked_in = _per_day(scope, Registration.checked_in_at, Registration.checked_in_at.is_not(None))
    event_days = {local(starts, scope.timezone).date() for starts in db.session.scalars(
        sa.select(Event.starts_at).where(Event.id.in_(scope.event_ids)))}
    days = set(registered) | set(checked_in) | event_days
    first, last = min(days), max(days)
    weekly = (last - first).days >= DAILY_UP_TO_DAYS
    periods: dict[date, Period] = {}
    day = _period_start(first, weekly)
    while day <= last:
        periods[day] = Period(day)
        day += timedelta(days=7 if weekly else 1)
    for counts, name in ((registered, "registrations"), (checked_in, "check_ins")):
        for day, count in counts.items():
            period = periods[_period_start(day, weekly)]
            setattr(period, name, getattr(period, name) + count)
    for day in event_days:
        periods[_period_start(day, weekly)].has_event = True
    return TimeLine(weekly, list(periods.values()))


def _period_start(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day


def _per_day(scope: Scope, column, condition) -> dict[date, int]:
    day = _local_day(column, scope)
    found = db.session.execute(sa.select(day, sa.func.count()).where(
        Registration.event_id.in_(scope.event_ids), condition).group_by(day)).all()
    return {_as_date(value): count for value, count in found if value is not None}


def _local_day(column, scope: Scope):
    """The calendar day of a UTC column in the scope's zone: PostgreSQL converts exactly; SQLite (no zone data)
    shifts by the zone's offset at the event, off by an hour only within an hour of midnight across a DST change."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone(scope.timezone, column))
    minutes = int(local(scope.starts_at or utcnow(), scope.timezone).utcoffset().total_seconds() // 60)
    return sa.func.date(column, f"{minutes:+d} minutes")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# ---- no-shows and costs ------------------------------------------------------------------------------------------

@dataclass
class NoShows:
    expected: int  # confirmed registrations of the events that have ended (walk-ins left out)
    missing: int  # of which not checked in

    @property
    def rate(self) -> float | None:
        return ratio(self.missing, self.expected)


def no_shows(scope: Scope, now: datetime | None = None) -> NoShows | None:
    """No-shows count per registration, over the scope's events that have ended (None: none has yet)."""
    ended = sa.select(Event.id).where(Event.id.in_(scope.event_ids), Event.ends_at <= (now or utcnow()))
    if not scope.event_ids or db.session.scalar(sa.select(sa.func.count()).select_from(ended.subquery())) == 0:
        return None
    confirmed = sa.and_(Registration.walk_in == sa.false(), sa.or_(
        Registration.status == RegistrationStatus.CONFIRMED, Registration.checked_in_at.is_not(None)))
    expected, missing = db.session.execute(sa.select(
        sa.func.count(), sa.func.count().filter(Registration.checked_in_at.is_(None)))
        .where(Registration.event_id.in_(ended), confirmed)).one()
    return NoShows(int(expected), int(missing or 0))


@dataclass
class Costs:
    amount: Decimal
    currency: str
    per: dict  # Step → Decimal or None (nobody at that step)


COSTED_STEPS = (Step.REGISTERED, Step.ATTENDED, Step.MQL)


class MixedCurrencies(ValueError):
    """A campaign's events have costs in more than one currency: they do not add up."""


def costs(scope: Scope, figures: Funnel) -> Costs | None:
    """The cost per registrant, attendee and MQL (rounded half up to the cent); None when no cost is entered.
    Raises MixedCurrencies when a campaign's costs are in different currencies."""
    entered = db.session.execute(sa.select(EventCost.amount, EventCost.currency)
                                 .where(EventCost.event_id.in_(scope.event_ids))).all()
    if not entered:
        return None
    currencies = {currency for _amount, currency in entered}
    if len(currencies) > 1:
        raise MixedCurrencies(", ".join(sorted(currencies)))
    amount = sum((Decimal(amount) for amount, _currency in entered), Decimal(0))
    return Costs(amount, currencies.pop(), {step: cost_per(amount, figures[step].people) for step in COSTED_STEPS})


def cost_per(amount: Decimal, people: int) -> Decimal | None:
    return (amount / people).quantize(CENT, rounding=ROUND_HALF_UP) if people else None


def event_cost(event: Event) -> EventCost | None:
    return db.session.get(EventCost, event.id)


def save_cost(event: Event, amount: Decimal, currency: str) -> EventCost:
    """Enter or change the event's cost (one per event)."""
    cost = event_cost(event) or EventCost(event_id=event.id, organisation_id=event.organisation_id)
    cost.amount, cost.currency = amount.quantize(CENT, rounding=ROUND_HALF_UP), currency
    db.session.add(cost)
    db.session.flush()
    return cost


def remove_cost(event: Event) -> None:
    cost = event_cost(event)
    if cost is not None:
        db.session.delete(cost)
        db.session.flush()


# ---- the organisation's list --------------------------------------------------------------------------------------

def organisation_events(organisation_id: int) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(Event.organisation_id == organisation_id)
                                   .order_by(Event.starts_at.desc(), Event.id.desc())))


def organisation_campaigns(organisation_id: int) -> list[Campaign]:
    return list(db.session.scalars(sa.select(Campaign).where(Campaign.organisation_id == organisation_id)
                                   .order_by(Campaign.created_at.desc(), Campaign.id.desc())))


HEADLINE_STEPS = (Step.INVITED, Step.REGISTERED, Step.ATTENDED, Step.MQL)


def headlines(scopes: list[Scope]) -> dict[int, dict]:
    """For the list page: a few steps of each scope's funnel, by position in the list."""
    return {index: {step: funnel(scope)[step].people for step in HEADLINE_STEPS}
            for index, scope in enumerate(scopes)}


# ---- tables for the CSV downloads ---------------------------------------------------------------------------------

def funnel_table(figures: Funnel, cost: Costs | None) -> Table:
    header = [_("Step"), _("People"), _("Of which invited"), _("Not invited"), _("Rate vs previous step"),
              _("Rate vs invited"), _("Cost per person")]
    per = cost.per if cost else {}
    return Table(_("Funnel"), header, (
        [str(figure.label), figure.people, figure.invited, figure.not_invited, percent(figure.of_previous),
         percent(figure.of_top), _money(per.get(figure.step), cost)] for figure in figures.steps))


def _money(value: Decimal | None, cost: Costs | None) -> str:
    return f"{value} {cost.currency}" if value is not None and cost is not None else ""


def breakdowns_table(found: list[Breakdown]) -> Table:
    header = [_("Breakdown"), _("Value"), *(str(step.label) for step in PROFILE_STEPS)]
    return Table(_("Breakdowns"), header, (
        [str(breakdown.dimension.label), row.label,
         *(row.counts.get(step, "") for step in PROFILE_STEPS)]
        for breakdown in found for row in breakdown.rows))


def time_line_table(line: TimeLine) -> Table:
    header = [_("Week from") if line.weekly else _("Day"), _("Registrations"), _("Check-ins"), _("Event day")]
    return Table(_("Over time"), header, (
        [period.starts.isoformat(), period.registrations, period.check_ins, _("yes") if period.has_event else ""]
        for period in line.periods))
