"""The CRM-ready lead export (issue 16, helper "exports"): filters, CSV/XLSX streamed in flat memory, logged; the
same file from the back office and from `eventapp leads export`.

One SELECT reads every contact that matches, with its aggregates (registrations, attendance, last activity) joined
from GROUP BY subqueries, in batches (yield_per) while the file is written. Before the file is written the export is
logged: a LeadExport row and one EXPORTED activity per contact, inserted by one INSERT … SELECT of the same query."""
import enum
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from eventapp.accounts.models import User
from eventapp.contacts.models import Contact
from eventapp.core.spreadsheet import Table, Verbatim, csv_chunks, iso_time, xlsx_file
from eventapp.core.time import utcnow
from eventapp.events.models import Campaign, Event
from eventapp.extensions import db
from eventapp.invitations.channels import channel_label
from eventapp.invitations.models import Invitation, Partner, PartnerLink
from eventapp.leads import scoring
from eventapp.leads.models import ActivityKind, Channel, LeadActivity, LeadStage, LeadState
from eventapp.leads.models.exports import LeadExport
from eventapp.leads.models.scoring import LeadScore
from eventapp.registration.models import Registration, RegistrationStatus

BATCH = 1000
# Not translated: CRMs (Salesforce's Lead, HubSpot's Contact) map these names by themselves.
HEADER = ("First Name", "Last Name", "Email", "Phone", "Company", "Title", "Industry", "Company Size", "City",
          "Lead Source", "Lead Status", "Score", "Last Activity", "Events Registered", "Events Attended", "Owner")
# A phone number as contacts store it: it starts with + but cannot be a formula, so it is written as it is.
E164_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
# Activities about the export itself are no sign of interest: they count for neither Last Activity nor its filter.
NOT_INTEREST = (ActivityKind.EXPORTED, ActivityKind.DATA_EXPORTED)
MAX_SCORE = 1_000_000


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class FilterRefused(ValueError):
    """Filters that cannot be exported; `problems` maps each filter's name to the sentence to show."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class Filters:
    """Which contacts to export; None is "any". Dates are whole UTC days of the last activity, both included."""
    event_id: int | None = None
    campaign_id: int | None = None
    stage: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    partner_id: int | None = None
    channel: str | None = None
    active_from: date | None = None
    active_to: date | None = None

    def as_json(self) -> dict:
        """The filters chosen, for the export's log (dates as ISO dates)."""
        chosen = {item.name: getattr(self, item.name) for item in fields(self)}
        return {name: value.isoformat() if isinstance(value, date) else value
                for name, value in chosen.items() if value is not None}


# ---- checking filters ---------------------------------------------------------------------------------------------

def filter_problems(organisation_id: int, filters: Filters) -> dict[str, str]:
    """What is wrong with the filters, by filter name (empty: they can be exported). Ids of another organisation
    are reported as not found, like ids that do not exist."""
    problems = {}
    for name, model, missing in ((("event_id", Event, _("There is no such event."))),
                                 ("campaign_id", Campaign, _("There is no such campaign.")),
                                 ("partner_id", Partner, _("There is no such partner."))):
        row_id = getattr(filters, name)
        if row_id is not None and not _owned(model, row_id, organisation_id):
            problems[name] = missing
    if filters.stage is not None and filters.stage not in {stage.value for stage in LeadStage}:
        problems["stage"] = _("There is no such stage.")
    for name in ("score_min", "score_max"):
        value = getattr(filters, name)
        if value is not None and not -MAX_SCORE <= value <= MAX_SCORE:
            problems[name] = _("Give a score between %(low)d and %(high)d.", low=-MAX_SCORE, high=MAX_SCORE)
    if None not in (filters.score_min, filters.score_max) and filters.score_min > filters.score_max:
        problems["score_max"] = _("The highest score is below the lowest: swap them or leave one empty.")
    if None not in (filters.active_from, filters.active_to) and filters.active_from > filters.active_to:
        problems["active_to"] = _("The last day is before the first day: swap them or leave one empty.")
    return problems


def _owned(model, row_id: int, organisation_id: int) -> bool:
    row = db.session.get(model, row_id)
    return row is not None and row.organisation_id == organisation_id


# ---- the one query ------------------------------------------------------------------------------------------------

def _score_expression(organisation_id: int, now: datetime):
    """The primary score now, 0 without a score model or a score row; and the model's id (None: no model)."""
    model = scoring.primary_model(organisation_id)
    if model is None:
        return sa.literal(0.0), None
    return sa.func.coalesce(scoring.score_expression(model, now), 0.0), model.id


def _last_activity(organisation_id: int):
    return (sa.select(LeadActivity.contact_id, sa.func.max(LeadActivity.occurred_at).label("at"))
            .where(LeadActivity.organisation_id == organisation_id,
                   LeadActivity.kind.not_in([str(kind) for kind in NOT_INTEREST]))
            .group_by(LeadActivity.contact_id).subquery("last_activity"))


def _event_counts(organisation_id: int):
    # Events Registered counts every sign-up but the cancelled ones, as the partner and channel comparison does.
    return (sa.select(Registration.contact_id,
                      sa.func.count().filter(Registration.status != RegistrationStatus.CANCELLED).label("registered"),
                      sa.func.count(Registration.checked_in_at).label("attended"))
            .join(Contact, Contact.id == Registration.contact_id)
            .where(Contact.organisation_id == organisation_id)
            .group_by(Registration.contact_id).subquery("event_counts"))


def _people_of_events(event_ids) -> sa.Select:
    """Contacts invited to or registered for any of these events."""
    return sa.union(sa.select(Registration.contact_id).where(Registration.event_id.in_(event_ids)),
                    sa.select(Invitation.contact_id).where(Invitation.event_id.in_(event_ids)))


def _select(organisation_id: int, filters: Filters, now: datetime, columns=None) -> sa.Select:
    """`columns(score, last_activity, event_counts)` of every contact that matches, joined to what they need;
    without columns, the contacts' ids, joined only to what the filters need (the log's INSERT … SELECT: the
    aggregates over every activity cost more than the insert itself)."""
    score, model_id = _score_expression(organisation_id, now)
    last, counts = _last_activity(organisation_id), _event_counts(organisation_id)
    query = sa.select(*columns(score, last, counts)) if columns else sa.select(Contact.id)
    # A contact erased on request is left out: not even its placeholder row.
    query = query.select_from(Contact).where(Contact.organisation_id == organisation_id, Contact.erased_at.is_(None))
    if columns or filters.stage is not None:
        query = query.outerjoin(LeadState, LeadState.contact_id == Contact.id)
    if columns:
        query = query.outerjoin(User, User.id == LeadState.owner_user_id)
    if columns or filters.score_min is not None or filters.score_max is not None:
        query = query.outerjoin(LeadScore, sa.and_(LeadScore.contact_id == Contact.id,
                                                   LeadScore.model_id == model_id))
    if columns or filters.active_from is not None or filters.active_to is not None:
        query = query.outerjoin(last, last.c.contact_id == Contact.id)
    if columns:
        query = query.outerjoin(counts, counts.c.contact_id == Contact.id)
    return query.where(*_conditions(filters, score, last))


def _conditions(filters: Filters, score, last) -> list:
    conditions = []
    if filters.event_id is not None:
        conditions.append(Contact.id.in_(_people_of_events([filters.event_id])))
    if filters.campaign_id is not None:
        events_of_campaign = sa.select(Event.id).where(Event.campaign_id == filters.campaign_id)
        conditions.append(Contact.id.in_(_people_of_events(events_of_campaign)))
    if filters.partner_id is not None:
        conditions.append(Contact.id.in_(sa.union(
            sa.select(Registration.contact_id).where(Registration.partner_id == filters.partner_id),
            sa.select(Invitation.contact_id).where(Invitation.partner_id == filters.partner_id))))
    if filters.channel is not None:
        conditions.append(Contact.id.in_(sa.select(Registration.contact_id)
                                         .where(Registration.channel == filters.channel)))
    if filters.stage is not None:  # no lead state yet: the contact is new
        conditions.append(sa.func.coalesce(LeadState.stage, LeadStage.NEW.value) == filters.stage)
    if filters.score_min is not None:
        conditions.append(score >= filters.score_min)
    if filters.score_max is not None:
        conditions.append(score <= filters.score_max)
    if filters.active_from is not None:
        conditions.append(last.c.at >= _day_start(filters.active_from))
    if filters.active_to is not None:
        conditions.append(last.c.at < _day_start(filters.active_to + timedelta(days=1)))
    return conditions


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def _export_columns(score, last, counts) -> tuple:
    return (Contact.first_name, Contact.last_name, Contact.email, Contact.phone, Contact.company, Contact.job_title,
            Contact.industry, Contact.company_size, Contact.city, Contact.origin, LeadState.stage, score, last.c.at,
            counts.c.registered, counts.c.attended, User.name, User.email)


# ---- the rows -----------------------------------------------------------------------------------------------------

def table(export: LeadExport) -> Table:
    """The logged export's file: its header and its rows, read as they are written."""
    query = export_query(export.organisation_id, filters_from_json(export.filters), export.created_at)
    return Table("Leads", HEADER, _rows(query))


def export_query(organisation_id: int, filters: Filters, now: datetime) -> sa.Select:
    """The SELECT behind the file (one row per contact, in the order written, read in batches)."""
    return (_select(organisation_id, filters, now, _export_columns)
            .order_by(Contact.id).execution_options(yield_per=BATCH))


def _rows(query) -> Iterator[list]:
    stages = {stage.value: str(stage.label) for stage in LeadStage}
    sources = {}
    # Unpacked by position: a large export spends its time here, and named access costs more per cell.
    for (first, last, email, phone, company, title, industry, size, city, origin, stage, score, last_at, registered,
         attended, owner_name, owner_email) in db.session.execute(query):
        if origin not in sources:
            sources[origin] = lead_source(origin)
        yield [first, last, email, Verbatim(phone) if E164_PHONE.fullmatch(phone) else phone, company, title,
               industry, size, city, sources[origin], stages.get(stage or LeadStage.NEW.value, stage),
               round(score or 0), iso_time(last_at, "UTC"), registered or 0, attended or 0,
               owner_name or owner_email or ""]


def lead_source(origin: str) -> str:
    """How the organisation came to know the person, in a CRM's words: Web, Import, Invitation…"""
    kind = (origin or "").split(":", 1)[0]
    return {"web": "Web", "import": "Import", "manual": "Manual", "invitation": "Invitation",
            "forwarded": "Forwarded invitation", "walk-in": "Event walk-in", "walk_in": "Event walk-in",
            "partner": "Partner", "staff": "Event"}.get(kind, kind.capitalize())


# ---- logging: who exported what -----------------------------------------------------------------------------------

def start_export(organisation_id: int, user_id: int | None, filters: Filters, file_format: ExportFormat,
                 now: datetime | None = None) -> LeadExport:
    """Log an export (its row, one EXPORTED activity per contact it holds) in the current transaction and return it;
    table(export) is its file. The caller commits before writing the file, so a broken download is still logged."""
    if problems := filter_problems(organisation_id, filters):
        raise FilterRefused(problems)
    export = LeadExport(organisation_id=organisation_id, user_id=user_id, format=ExportFormat(file_format).value,
                        filters=filters.as_json(), created_at=now or utcnow())
    db.session.add(export)
    db.session.flush()
    export.row_count = _log_activities(export, filters)
    return export


def _log_activities(export: LeadExport, filters: Filters) -> int:
    # One INSERT … SELECT: no ORM object and no activity_recorded signal per contact (scoring gives an export no
    # points, and 100k signals would take longer than the export).
    contact_ids = _select(export.organisation_id, filters, export.created_at).subquery("exported")
    activities = LeadActivity.__table__.c
    insert = sa.insert(LeadActivity.__table__).from_select(
        [activities.organisation_id, activities.contact_id, activities.kind, activities.occurred_at,
         activities.channel, activities.meta, activities.actor_user_id],
        sa.select(sa.literal(export.organisation_id), contact_ids.c.id, sa.literal(ActivityKind.EXPORTED.value),
                  sa.literal(export.created_at, LeadActivity.occurred_at.type),
                  sa.literal(Channel.STAFF.value if export.user_id else Channel.SYSTEM.value),
                  sa.literal({"export_id": export.id, "format": export.format}, sa.JSON),
                  sa.literal(export.user_id, sa.Integer)))
    # An INSERT's row count is kept only when asked for (SQLAlchemy 2.1 on psycopg gave -1 without it).
    return db.session.execute(insert.execution_options(preserve_rowcount=True)).rowcount


def filters_from_json(logged: dict) -> Filters:
    values = dict(logged)
    for name in ("active_from", "active_to"):
        if values.get(name):
            values[name] = date.fromisoformat(values[name])
    return Filters(**{item.name: values.get(item.name) for item in fields(Filters)})


def past_exports(organisation_id: int, limit: int = 50) -> list[LeadExport]:
    return list(db.session.scalars(sa.select(LeadExport).where(LeadExport.organisation_id == organisation_id)
                                   .options(joinedload(LeadExport.user))
                                   .order_by(LeadExport.created_at.desc(), LeadExport.id.desc()).limit(limit)))


def filename(export: LeadExport) -> str:
    return f"leads-{export.created_at:%Y%m%d-%H%M%S}"


# ---- what to choose from, and the filters in words ----------------------------------------------------------------

@dataclass
class Choices:
    """The organisation's events, campaigns, partners and sign-up channels, as (value, label) pairs."""
    events: list
    campaigns: list
    partners: list
    channels: list
    stages: list


def choices(organisation_id: int) -> Choices:
    links = {link.id: link for link in db.session.scalars(
        sa.select(PartnerLink).where(PartnerLink.organisation_id == organisation_id))}
    channels = db.session.scalars(
        sa.select(Registration.channel).distinct().join(Event, Event.id == Registration.event_id)
        .where(Event.organisation_id == organisation_id).order_by(Registration.channel))
    return Choices(
        events=_pairs(sa.select(Event.id, Event.title).where(Event.organisation_id == organisation_id)
                      .order_by(Event.starts_at.desc())),
        campaigns=_pairs(sa.select(Campaign.id, Campaign.name).where(Campaign.organisation_id == organisation_id)
                         .order_by(Campaign.name)),
        partners=_pairs(sa.select(Partner.id, Partner.name).where(Partner.organisation_id == organisation_id)
                        .order_by(Partner.name)),
        channels=[(channel, channel_label(channel, links)) for channel in channels],
        stages=[(stage.value, str(stage.label)) for stage in LeadStage])


def _pairs(query) -> list[tuple]:
    return [(row_id, label) for row_id, label in db.session.execute(query)]


def describe(organisation_id: int, logged: dict) -> str:
    """A logged export's filters in words ("Event: Shanghai seminar; Score 20 to 80"), "All contacts" for none."""
    filters = filters_from_json(logged)
    named = {"event_id": (Event, "title", _("Event")), "campaign_id": (Campaign, "name", _("Campaign")),
             "partner_id": (Partner, "name", _("Partner"))}
    parts = []
    for name, (model, attribute, title) in named.items():
        if (row_id := getattr(filters, name)) is not None:
            row = db.session.get(model, row_id)
            parts.append(f"{title}: {getattr(row, attribute) if row is not None else f'#{row_id}'}")
    if filters.stage:
        parts.append(_("Stage: %(stage)s", stage=LeadStage(filters.stage).label))
    if filters.channel:
        parts.append(_("Channel: %(channel)s", channel=filters.channel))
    if filters.score_min is not None or filters.score_max is not None:
        parts.append(_("Score %(low)s to %(high)s", low=_number(filters.score_min, "…"),
                       high=_number(filters.score_max, "…")))
    if filters.active_from or filters.active_to:
        parts.append(_("Last activity %(start)s to %(end)s", start=filters.active_from or "…",
                       end=filters.active_to or "…"))
    return "; ".join(parts) or _("All contacts")


def _number(value: float | None, missing: str) -> str:
    return missing if value is None else f"{value:g}"


def write_file(export: LeadExport, target) -> None:
    """The export's file into a binary file object: the same bytes as the back office's download."""
    if export.format == ExportFormat.CSV:
        for chunk in csv_chunks(HEADER, table(export).rows):
            target.write(chunk)
    else:
        with xlsx_file(table(export)) as built:
            shutil.copyfileobj(built, target)
