"""Saved segments: a filter over an organisation's contacts, and who of them a send may reach.

`Segment.filters` holds a JSON object; each key is one condition, a missing or empty one is no condition, and the
conditions all hold together:

    company, job_title              text the field contains (any case)
    company_size, industry, city    a list of values; the field is one of them (any case)
    tags_any, tags_all, tags_none   lists of tags: tagged with any of them / with every one / with none of them
    invited_to                      event ids: invited to any of them (an Invitation row)
    registered_for                  event ids: an active registration (not cancelled or declined) for any of them
    attended                        event ids: checked in at any of them
    no_show                         event ids: recorded as a no-show at any of them
    engaged_days, engagement        an invitation opened or clicked (engagement "opened", the default) or clicked
                                    ("clicked") in the last engaged_days days

segment_query() turns it into one SELECT of contact ids, which the count, the member list and the invitation send
(audience()) share. Values of the wrong type (a filter written by hand, an older version) are ignored, not errors.

Who is left out of a send: an address on the email suppression list (unsubscribed, bounced, complained) never gets
anything; for a marketing send (an invitation) a contact without marketing consent is left out as well, counted as
"no_consent". A contact both suppressed and without consent counts once, under the suppression's reason.
"""
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventapp.contacts.models import Contact, ContactTag, Suppression, SuppressionChannel, SuppressionReason
from eventapp.core.enums import LabelledEnum
from eventapp.core.time import utcnow
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.invitations.models import Invitation, InvitationSend, Segment, SendStatus
from eventapp.registration.models import Registration, RegistrationStatus

CONTAINS = ("company", "job_title")
ONE_OF = ("company_size", "industry", "city")
TAG_FILTERS = ("tags_any", "tags_all", "tags_none")
EVENT_FILTERS = ("invited_to", "registered_for", "attended", "no_show")
ENGAGED_DAYS_MAX = 3650
TEXT_MAX = 200


class Engagement(LabelledEnum):
    OPENED = "opened", _l("Opened or clicked")  # a click is an open whose images were blocked
    CLICKED = "clicked", _l("Clicked")


class LeftOut(LabelledEnum):
    """Why a contact of the segment gets no mail from a send (the keys of Audience.left_out)."""
    UNSUBSCRIBED = SuppressionReason.UNSUBSCRIBED.value, _l("Unsubscribed")
    BOUNCED = SuppressionReason.BOUNCED.value, _l("Mail bounced before")
    COMPLAINED = SuppressionReason.COMPLAINED.value, _l("Marked earlier mail as spam")
    NO_CONSENT = "no_consent", _l("No marketing consent")


@dataclass(frozen=True)
class Audience:
    """Who a send reaches (contact ids, in id order) and how many of the segment it leaves out, by LeftOut value."""
    contact_ids: list[int]
    left_out: dict[str, int]

    @property
    def matched(self) -> int:
        return len(self.contact_ids) + self.left_out_total

    @property
    def left_out_total(self) -> int:
        return sum(self.left_out.values())

    def reasons(self) -> list[tuple[str, int]]:
        """(label, count) of each reason that left someone out, in LeftOut's order."""
        return [(LeftOut(reason).label, self.left_out[reason]) for reason in LeftOut if reason in self.left_out]


# ---- the filters ---------------------------------------------------------------------------------------------------

def clean_filters(filters) -> dict:
    """The filters with every condition in its expected shape and nothing else: text trimmed, lists of strings or
    of ids without repeats, the engagement's days within range. An empty condition is left out."""
    filters = filters if isinstance(filters, dict) else {}
    cleaned = {}
    for name in CONTAINS:
        text = filters.get(name)
        if isinstance(text, str) and text.strip():
            cleaned[name] = text.strip()[:TEXT_MAX]
    for name in ONE_OF + TAG_FILTERS:
        values = _strings(filters.get(name))
        if values:
            cleaned[name] = values
    for name in EVENT_FILTERS:
        ids = _ids(filters.get(name))
        if ids:
            cleaned[name] = ids
    days = filters.get("engaged_days")
    if isinstance(days, int) and not isinstance(days, bool) and 0 < days <= ENGAGED_DAYS_MAX:
        cleaned["engaged_days"] = days
        engagement = filters.get("engagement")
        cleaned["engagement"] = engagement if engagement in set(Engagement) else Engagement.OPENED.value
    return cleaned


def _strings(values) -> list[str]:
    if not isinstance(values, list):
        return []
    return list(dict.fromkeys(value.strip() for value in values if isinstance(value, str) and value.strip()))


def _ids(values) -> list[int]:
    if not isinstance(values, list):
        return []
    return list(dict.fromkeys(value for value in values
                              if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31))


def segment_query(organisation_id: int, filters: dict) -> sa.Select:
    """The ids of the organisation's contacts that meet every condition of the filters."""
    query = sa.select(Contact.id).where(Contact.organisation_id == organisation_id)
    return query.where(*_conditions(clean_filters(filters)))


def _conditions(filters: dict) -> list:
    conditions = [sa.func.lower(getattr(Contact, name)).contains(filters[name].lower(), autoescape=True)
                  for name in CONTAINS if name in filters]
    conditions += [sa.func.lower(getattr(Contact, name)).in_([value.lower() for value in filters[name]])
                   for name in ONE_OF if name in filters]
    conditions += _tag_conditions(filters)
    conditions += [_event_condition(name, filters[name]) for name in EVENT_FILTERS if name in filters]
    if "engaged_days" in filters:
        conditions.append(_engaged(filters["engaged_days"], Engagement(filters["engagement"])))
    return conditions


def _tagged(*tags: str):
    return sa.exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag.in_(tags))


def _tag_conditions(filters: dict) -> list:
    conditions = []
    if "tags_any" in filters:
        conditions.append(_tagged(*filters["tags_any"]))
    conditions += [_tagged(tag) for tag in filters.get("tags_all", ())]
    if "tags_none" in filters:
        conditions.append(~_tagged(*filters["tags_none"]))
    return conditions


def _event_condition(name: str, event_ids: list[int]):
    if name == "invited_to":
        return sa.exists().where(Invitation.contact_id == Contact.id, Invitation.event_id.in_(event_ids))
    what = {"registered_for": Registration.status.not_in([RegistrationStatus.CANCELLED, RegistrationStatus.DECLINED]),
            "attended": Registration.checked_in_at.is_not(None),
            "no_show": Registration.no_show_recorded.is_(True)}[name]
    return sa.exists().where(Registration.contact_id == Contact.id, Registration.event_id.in_(event_ids), what)


def _engaged(days: int, engagement: Engagement):
    since = utcnow() - timedelta(days=days)
    clicked = Invitation.clicked_at >= since
    signal = clicked if engagement is Engagement.CLICKED else sa.or_(Invitation.opened_at >= since, clicked)
    return sa.exists().where(Invitation.contact_id == Contact.id, signal)


# ---- members and audience --------------------------------------------------------------------------------------

def members(segment: Segment) -> sa.Select:
    """The segment's contact ids as of now."""
    return segment_query(segment.organisation_id, segment.filters)


def member_contacts(organisation_id: int, filters: dict) -> sa.Select:
    """The contacts themselves, by name, for the member list."""
    return (sa.select(Contact).where(Contact.id.in_(segment_query(organisation_id, filters)))
            .order_by(Contact.last_name, Contact.first_name, Contact.email_key, Contact.id))


def count(organisation_id: int, filters: dict) -> int:
    query = segment_query(organisation_id, filters)
    return db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()


def audience(segment_or_filters: Segment | dict, *, marketing: bool, organisation_id: int | None = None) -> Audience:
    """Who of the segment a send reaches, and who it leaves out by reason (see the module's docstring). Bare
    filters need the organisation they are of."""
    if isinstance(segment_or_filters, Segment):
        organisation_id, filters = segment_or_filters.organisation_id, segment_or_filters.filters
    elif organisation_id is None:
        raise TypeError("audience() of bare filters needs organisation_id")
    else:
        filters = segment_or_filters
    rows = db.session.execute(
        sa.select(Contact.id, Contact.marketing_consent, Suppression.reason)
        .outerjoin(Suppression, sa.and_(Suppression.channel == SuppressionChannel.EMAIL,
                                        Suppression.address == Contact.email_key))
        .where(Contact.id.in_(segment_query(organisation_id, filters))).order_by(Contact.id))
    contact_ids, left_out = [], {}
    for contact_id, consent, suppressed in rows:
        reason = _left_out_reason(suppressed, consent, marketing)
        if reason is None:
            contact_ids.append(contact_id)
        else:
            left_out[reason] = left_out.get(reason, 0) + 1
    return Audience(contact_ids, left_out)


def _left_out_reason(suppressed: str | None, consent: bool, marketing: bool) -> str | None:
    if suppressed is not None:
        # an email suppression is one of these three; anything else still keeps the address out
        return suppressed if suppressed in set(LeftOut) else LeftOut.UNSUBSCRIBED.value
    if marketing and not consent:
        return LeftOut.NO_CONSENT.value
    return None


# ---- saving ------------------------------------------------------------------------------------------------------

class NameTaken(Exception):
    """Another segment of the organisation has this name."""


def save_segment(organisation_id: int, name: str, filters: dict, segment: Segment | None = None) -> Segment:
    """A new segment, or the segment's new name and filters; NameTaken when the name is another segment's."""
    other = db.session.scalars(sa.select(Segment.id).where(Segment.organisation_id == organisation_id,
                                                           Segment.name == name)).first()
    if other is not None and (segment is None or other != segment.id):
        raise NameTaken(name)
    if segment is None:
        segment = Segment(organisation_id=organisation_id)
        db.session.add(segment)
    segment.name, segment.filters = name, clean_filters(filters)
    db.session.flush()
    return segment


class SegmentInUse(Exception):
    """Sends that have not started yet go to this segment: deleting it would leave them nobody to send to."""

    def __init__(self, sends: list[InvitationSend]):
        super().__init__(", ".join(send.subject for send in sends))
        self.sends = sends


def waiting_sends(segment: Segment) -> list[InvitationSend]:
    """The sends (drafts, scheduled) that will read the segment's members when they start."""
    return list(db.session.scalars(sa.select(InvitationSend).where(
        InvitationSend.segment_id == segment.id,
        InvitationSend.status.in_([SendStatus.DRAFT, SendStatus.SCHEDULED])).order_by(InvitationSend.id)))


def delete_segment(segment: Segment) -> None:
    """Sends made with it keep their invitations and report (written when they started); they just no longer name
    the segment. SegmentInUse while a send still to start goes to it."""
    waiting = waiting_sends(segment)
    if waiting:
        raise SegmentInUse(waiting)
    db.session.delete(segment)
    db.session.flush()


def segments_of(organisation_id: int) -> list[Segment]:
    return list(db.session.scalars(sa.select(Segment).where(Segment.organisation_id == organisation_id)
                                   .order_by(Segment.name)))


def values_in_use(organisation_id: int, name: str, limit: int = 500) -> list[str]:
    """The values the organisation's contacts have in a profile field (company size, industry, city), for the
    segment form's choices."""
    column = getattr(Contact, name)
    return list(db.session.scalars(sa.select(column).where(Contact.organisation_id == organisation_id, column != "")
                                   .distinct().order_by(column).limit(limit)))


# ---- in words ------------------------------------------------------------------------------------------------------

_SAYS = {
    "company": _l("Company contains “%(value)s”"), "job_title": _l("Job title contains “%(value)s”"),
    "company_size": _l("Company size is %(value)s"), "industry": _l("Industry is %(value)s"),
    "city": _l("City is %(value)s"), "tags_any": _l("Tagged with any of %(value)s"),
    "tags_all": _l("Tagged with all of %(value)s"), "tags_none": _l("Tagged with none of %(value)s"),
    "invited_to": _l("Invited to %(value)s"), "registered_for": _l("Registered for %(value)s"),
    "attended": _l("Attended %(value)s"), "no_show": _l("Did not come to %(value)s"),
}


def describe(organisation_id: int, filters: dict) -> list[str]:
    """Each condition of the filters as a sentence, for the list of segments and the member page."""
    filters = clean_filters(filters)
    titles = _event_titles(organisation_id, [i for name in EVENT_FILTERS for i in filters.get(name, ())])
    sentences = []
    for name, says in _SAYS.items():
        value = filters.get(name)
        if not value:
            continue
        if name in EVENT_FILTERS:
            value = [titles.get(event_id, _("an event no longer there")) for event_id in value]
        joiner = _(" and ") if name == "tags_all" else _(" or ")
        shown = value if isinstance(value, str) else joiner.join(value)
        sentences.append(str(says) % {"value": shown})
    if "engaged_days" in filters:
        engagement = Engagement(filters["engagement"])
        sentences.append(_("%(what)s an invitation in the last %(days)d days",
                           what=engagement.label, days=filters["engaged_days"]))
    return sentences


def _event_titles(organisation_id: int, event_ids: list[int]) -> dict[int, str]:
    if not event_ids:
        return {}
    return dict(db.session.execute(sa.select(Event.id, Event.title).where(
        Event.organisation_id == organisation_id, Event.id.in_(event_ids))).all())
