"""The ticket a registration comes with: its QR code (SVG for the page, PNG for the mail) and its calendar entry.
Pure functions of what they show, so the manage page, each mail and the organiser's preview make the same ones.
segno encodes the QR code and icalendar writes the whole calendar."""
import functools
import hashlib
import hmac
import io
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import segno
from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vText

QR_BORDER = 4  # modules of quiet zone, as the QR standard asks
# Pixels per module in the mail's image, which the mail shows 220 pixels wide: about its own size for the usual
# codes (29 or 33 modules with the quiet zone), so it is not blurred by scaling down (and costs half of 8 pixels).
PNG_SCALE = 6
SVG_SCALE = 10


def ticket_code(secret: str) -> str:
    """The ticket's code as people read it: in groups of four ("abcd efgh …"), easier to read out at the door, and
    never one long word that a receiving mail server takes for a Bitcoin address (SpamAssassin's __BITCOIN_ID
    matches any 30–35 character word of Base58 starting with 1 or 3, which a thirty-first of our secrets are)."""
    return " ".join(secret[start:start + 4] for start in range(0, len(secret), 4))


@functools.lru_cache(maxsize=256)
def _qr(secret: str) -> segno.QRCode:
    """The ticket secret alone (no personal data) at error correction level M, kept at M even where a higher
    level would fit the same size (boost_error): the same code for page and mail, whatever the secret."""
    return segno.make_qr(secret, error="m", boost_error=False)


def ticket_svg(secret: str) -> str:
    """The QR code as an inline <svg> (no XML declaration, no fixed size: the page's stylesheet sizes it), dark
    modules on a white ground so it also scans on a dark page."""
    return _qr(secret).svg_inline(scale=SVG_SCALE, border=QR_BORDER, omitsize=True, light="#fff")


@functools.lru_cache(maxsize=256)
def ticket_png(secret: str) -> bytes:
    """The QR code as a black-and-white PNG for the mail, PNG_SCALE pixels per module."""
    buffer = io.BytesIO()
    _qr(secret).save(buffer, kind="png", scale=PNG_SCALE, border=QR_BORDER)
    return buffer.getvalue()


def calendar_uid(event_id: int, registration_id: int, secret_key: str) -> str:
    """Fixed for a registration, whatever host name the app is reached by, so updates move the same entry; the
    installation's part (from its secret key) tells this installation's entries from another's."""
    return f"evt-{event_id}-reg-{registration_id}-{_install_id(secret_key)}@eventapp"


@functools.lru_cache(maxsize=8)
def _install_id(secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"calendar-uid", hashlib.sha256).hexdigest()[:16]


def calendar_ics(*, uid: str, title: str, description: str, starts_at: datetime, ends_at: datetime, zone: str,
                 location: str, organiser: str, url: str, attendee_name: str, attendee_email: str, stamp: datetime,
                 sequence: int = 0, method: str = "PUBLISH", status: str = "CONFIRMED", alarm_text: str = "") -> bytes:
    """A .ics of one event for one attendee.

    uid: the same for every version of the entry (calendar_uid), so an update or a cancellation moves or removes
    the entry added before; sequence: rises with each version sent. method: PUBLISH (a plain add-to-calendar),
    REQUEST (an invitation: the entry is added or updated) or CANCEL. status: CONFIRMED, TENTATIVE (the seat still
    waits for approval or the waiting list) or CANCELLED. organiser: a mail address header ("Name <address>").
    Times are aware datetimes, written in the event's zone with its VTIMEZONE; stamp: when this version is made.
    alarm_text: what the reminder an hour before says (the title when empty)."""
    cancelled = status == "CANCELLED"
    calendar = Calendar()
    calendar.add("prodid", "-//eventapp//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    entry = Event()
    entry.add("uid", uid)
    entry.add("dtstamp", stamp)
    entry.add("sequence", sequence)
    local = ZoneInfo(zone)
    entry.add("dtstart", starts_at.astimezone(local))
    entry.add("dtend", ends_at.astimezone(local))
    entry.add("summary", title)
    if description:
        entry.add("description", description)
    if location:
        entry.add("location", location)
    entry.add("url", url)
    entry.add("status", status)
    if method != "PUBLISH":  # RFC 5546: an invitation (REQUEST, CANCEL) names its organiser and attendee
        name, address = parseaddr(organiser)
        entry.add("organizer", _mailbox(address or "noreply@localhost", name or "eventapp"))
        # RSVP=FALSE: replies are not read; the manage link is how to change.
        entry.add("attendee", _mailbox(attendee_email, attendee_name or attendee_email,
                                       ROLE="REQ-PARTICIPANT", PARTSTAT="DECLINED" if cancelled else "ACCEPTED",
                                       RSVP="FALSE"))
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", timedelta(hours=-1))
    alarm.add("description", alarm_text or title)
    entry.add_component(alarm)
    calendar.add_component(entry)
    calendar.add_component(_vtimezone(zone, starts_at.year))
    return calendar.to_ical()


def _mailbox(address: str, name: str, **params) -> vCalAddress:
    mailbox = vCalAddress(f"mailto:{address}")
    mailbox.params["CN"] = vText(name)
    mailbox.params.update(params)
    return mailbox


@functools.lru_cache(maxsize=64)
def _vtimezone(zone: str, year: int) -> Timezone:
    """The zone's VTIMEZONE around the event's year. Built once per zone and year (icalendar's default range,
    1970-2038, made it most of the cost of every calendar file); the component is only ever read."""
    return Timezone.from_tzid(zone, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))


def calendar_for(registration, manage_url: str, *, sequence: int = 0, method: str = "PUBLISH",
                 tentative: bool = False) -> bytes:
    """The calendar entry of a registration (its page's download and its mails): calendar_ics() filled in from the
    registration, its event and the app's settings. tentative: the seat still waits (approval, the waiting list),
    so the entry is no promise."""
    from flask import current_app
    from flask_babel import gettext

    from eventapp.core.time import utcnow
    from eventapp.events.models import EventStatus

    event = registration.event
    cancelled = method == "CANCEL" or event.status == EventStatus.CANCELLED
    # The entry's own words in the reader's language (a mail's is composed in it); the organiser's stay theirs.
    link = gettext("Your registration (see, change or cancel it): %(url)s", url=manage_url)
    return calendar_ics(
        uid=calendar_uid(event.id, registration.id, current_app.config["SECRET_KEY"]), title=event.title,
        description=f"{event.summary or ''}\n\n{link}".strip(), starts_at=event.starts_at,
        alarm_text=gettext("In one hour: %(title)s", title=event.title),
        ends_at=event.ends_at, zone=event.timezone,
        location=", ".join(part for part in (event.venue_name, event.venue_address) if part),
        organiser=current_app.config["MAIL_FROM"], url=manage_url, attendee_name=registration.name,
        attendee_email=registration.email, stamp=utcnow(), sequence=sequence, method=method,
        status="CANCELLED" if cancelled else "TENTATIVE" if tentative else "CONFIRMED")
