"""Figures per partner and channel: tracked-link clicks, sign-ups, confirmed and attended (through each
registration's partner_id and channel, so attendance counts for whoever brought the person), for the organisers'
comparison and, filtered to one partner, for its portal."""
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from eventapp.core.spreadsheet import Table
from eventapp.events.models import Event, EventStatus
from eventapp.extensions import db
from eventapp.invitations.models import LinkClick, Partner, PartnerLink
from eventapp.registration.models import Registration, RegistrationStatus

# Channels a registration records besides partner:<code> and utm:<source> (see Registration.channel).
UTM_PREFIX = "utm:"
LINK_PREFIX = "partner:"


@dataclass
class Figures:
    clicks: int | None = None  # None: nothing of this source is clicked (no tracked link)
    sign_ups: int = 0  # every registration but the cancelled ones
    confirmed: int = 0
    attended: int = 0

    def add(self, other: "Figures") -> None:
        if other.clicks is not None:
            self.clicks = (self.clicks or 0) + other.clicks
        self.sign_ups += other.sign_ups
        self.confirmed += other.confirmed
        self.attended += other.attended

    @property
    def sign_up_rate(self) -> float | None:
        """Sign-ups per click of the tracked link."""
        return self.sign_ups / self.clicks if self.clicks else None

    @property
    def attendance_rate(self) -> float | None:
        """Attended per sign-up."""
        return self.attended / self.sign_ups if self.sign_ups else None


@dataclass
class SourceRow:
    """One line of the comparison: a partner (whatever channel its people came by), or a channel of no partner."""
    key: str  # partner-<id>, or the channel
    label: str
    kind: str  # "partner" or "channel"
    figures: Figures


def _registration_counts():
    not_cancelled = sa.func.count().filter(Registration.status != RegistrationStatus.CANCELLED)
    confirmed = sa.func.count().filter(Registration.status == RegistrationStatus.CONFIRMED)
    attended = sa.func.count().filter(Registration.checked_in_at.is_not(None))
    return not_cancelled, confirmed, attended


def event_ids_of_campaign(organisation_id: int, campaign_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Event.id).where(Event.organisation_id == organisation_id,
                                                             Event.campaign_id == campaign_id)))


def compare(organisation_id: int, event_ids: Iterable[int], campaign_id: int | None = None) -> list[SourceRow]:
    """Partners and channels side by side over these events (and a campaign's own links): partners first, by
    name, then the channels, most sign-ups first. Partners and channel links pointing here show with zeros."""
    event_ids = list(event_ids)
    rows: dict[str, SourceRow] = {}
    partners = {partner.id: partner for partner in db.session.scalars(
        sa.select(Partner).where(Partner.organisation_id == organisation_id))}
    links = _links_to(organisation_id, event_ids, campaign_id)
    for link in links.values():  # what points here shows, even before anyone clicked
        _row(rows, partners, link.partner_id, link.channel, links).figures.clicks = 0
    for (partner_id, channel), figures in _registration_figures(event_ids).items():
        _row(rows, partners, partner_id, channel, links).figures.add(figures)
    for link_id, clicks in _click_counts(organisation_id, event_ids, campaign_id).items():
        link = links.get(link_id) or db.session.get(PartnerLink, link_id)
        links[link_id] = link
        _row(rows, partners, link.partner_id, link.channel, links).figures.add(Figures(clicks=clicks))
    partner_rows = sorted((row for row in rows.values() if row.kind == "partner"), key=lambda row: row.label.lower())
    channel_rows = sorted((row for row in rows.values() if row.kind == "channel"),
                          key=lambda row: (-row.figures.sign_ups, row.label.lower()))
    return partner_rows + channel_rows


def _row(rows: dict, partners: dict, partner_id: int | None, channel: str, links: dict) -> SourceRow:
    if partner_id is not None and partner_id in partners:
        key, label, kind = f"partner-{partner_id}", partners[partner_id].name, "partner"
    else:
        key, label, kind = channel, channel_label(channel, links), "channel"
    if key not in rows:
        rows[key] = SourceRow(key, label, kind, Figures())
    return rows[key]


def channel_label(channel: str, links: dict) -> str:
    """What a channel is called for people: a channel link's own label, the utm source, or the channel."""
    if channel.startswith(LINK_PREFIX):
        code = channel[len(LINK_PREFIX):]
        label = next((link.label for link in links.values() if link.code == code), "")
        return label or _("Tracked link %(code)s", code=code)
    if channel.startswith(UTM_PREFIX):
        return _("utm_source: %(source)s", source=channel[len(UTM_PREFIX):])
    return {"web": _("Landing page (direct, no tracking)"), "staff": _("Added by staff or at the door"),
            "invitation": _("Invitation emails"), "forwarded": _("Forwarded invitations")}.get(channel, channel)


def _links_to(organisation_id: int, event_ids: list[int], campaign_id: int | None) -> dict[int, PartnerLink]:
    points_here = PartnerLink.event_id.in_(event_ids)
    if campaign_id is not None:
        points_here = sa.or_(points_here, PartnerLink.campaign_id == campaign_id)
    return {link.id: link for link in db.session.scalars(
        sa.select(PartnerLink).where(PartnerLink.organisation_id == organisation_id, points_here))}


def _registration_figures(event_ids: list[int]) -> dict[tuple, Figures]:
    not_cancelled, confirmed, attended = _registration_counts()
    found = db.session.execute(
        sa.select(Registration.partner_id, Registration.channel, not_cancelled, confirmed, attended)
        .where(Registration.event_id.in_(event_ids)).group_by(Registration.partner_id, Registration.channel))
    return {(partner_id, channel): Figures(None, sign_ups, confirmed_count, attended_count)
            for partner_id, channel, sign_ups, confirmed_count, attended_count in found}


def _click_counts(organisation_id: int, event_ids: list[int], campaign_id: int | None) -> dict[int, int]:
    """Clicks per link that led to these events (a campaign's: also those that found no event to go to)."""
    here = LinkClick.event_id.in_(event_ids)
    if campaign_id is not None:
        here = sa.or_(here, PartnerLink.campaign_id == campaign_id)
    return dict(db.session.execute(
        sa.select(LinkClick.link_id, sa.func.count()).join(PartnerLink, PartnerLink.id == LinkClick.link_id)
        .where(PartnerLink.organisation_id == organisation_id, here).group_by(LinkClick.link_id)).all())


def totals(rows: list[SourceRow]) -> Figures:
    total = Figures()
    for row in rows:
        total.add(row.figures)
    return total


# ---- one partner's own figures (the portal) ------------------------------------------------------------------

def partner_figures(partner: Partner, event_ids: list[int]) -> dict[int, Figures]:
    """Per event: clicks of the partner's links that led there, and the registrations attributed to it."""
    figures = {event_id: Figures(clicks=0) for event_id in event_ids}
    not_cancelled, confirmed, attended = _registration_counts()
    for event_id, sign_ups, confirmed_count, attended_count in db.session.execute(
            sa.select(Registration.event_id, not_cancelled, confirmed, attended)
            .where(Registration.partner_id == partner.id, Registration.event_id.in_(event_ids))
            .group_by(Registration.event_id)):
        figures[event_id].add(Figures(None, sign_ups, confirmed_count, attended_count))
    for event_id, clicks in db.session.execute(
            sa.select(LinkClick.event_id, sa.func.count()).join(PartnerLink, PartnerLink.id == LinkClick.link_id)
            .where(PartnerLink.partner_id == partner.id, LinkClick.event_id.in_(event_ids))
            .group_by(LinkClick.event_id)):
        figures[event_id].clicks = clicks
    return figures


def portal_events(partner: Partner) -> list[Event]:
    """The organisation's events a partner may promote and see its figures of: every one that is not a draft."""
    return list(db.session.scalars(sa.select(Event).where(
        Event.organisation_id == partner.organisation_id, Event.status != EventStatus.DRAFT)
        .order_by(Event.starts_at.desc())))


def partner_registrants(partner: Partner, event: Event) -> list[Registration]:
    """The people the partner brought to the event (shown only when the organiser shares personal data)."""
    return list(db.session.scalars(sa.select(Registration).where(
        Registration.partner_id == partner.id, Registration.event_id == event.id,
        Registration.status != RegistrationStatus.CANCELLED).order_by(Registration.last_name, Registration.first_name)))


# ---- the comparison as a chart and a spreadsheet ----------------------------------------------------------------

def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


def comparison_table(rows: list[SourceRow], sheet: str) -> Table:
    header = [_("Source"), _("Kind"), _("Clicks"), _("Sign-ups"), _("Confirmed"), _("Attended"),
              _("Sign-ups per click"), _("Attended per sign-up")]
    return Table(sheet, header, (
        [row.label, _("Partner") if row.kind == "partner" else _("Channel"),
         "" if row.figures.clicks is None else row.figures.clicks, row.figures.sign_ups, row.figures.confirmed,
         row.figures.attended, percent(row.figures.sign_up_rate), percent(row.figures.attendance_rate)]
        for row in rows))


@dataclass
class Bar:
    label: str
    sign_ups: float  # widths in per cent of the widest bar's
    confirmed: float
    attended: float
    figures: Figures


def chart_bars(rows: list[SourceRow]) -> list[Bar]:
    """Bar lengths for the server-drawn SVG chart: each source's sign-ups, confirmed and attended."""
    widest = max((row.figures.sign_ups for row in rows), default=0) or 1
    return [Bar(row.label, 100 * row.figures.sign_ups / widest, 100 * row.figures.confirmed / widest,
                100 * row.figures.attended / widest, row.figures) for row in rows]
