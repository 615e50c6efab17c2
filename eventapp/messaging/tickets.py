"""The QR ticket and the calendar entry a registration comes with."""
import hashlib
import hmac
import io
import functools
from datetime import date, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from flask import current_app
from icalendar import Alarm, Calendar, Event as CalendarEvent, Timezone, vCalAddress, vText
from icalendar.parser import Contentline, Parameters

from eventapp.core.time import utcnow


def ticket_svg(secret: str) -> str:
    """An inline SVG QR code of the ticket secret alone: no personal data in the code."""
    image = qrcode.make(secret, image_factory=qrcode.image.svg.SvgPathImage,
                        error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=10)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg"):]  # drop the XML declaration to inline it in HTML


def calendar_uid(registration) -> str:
    """Fixed for a registration, whatever host name the app is reached by, so updates move the same entry."""
    return f"evt-{registration.event_id}-reg-{registration.id}-{_install_id(current_app.config['SECRET_KEY'])}@eventapp"


@functools.lru_cache(maxsize=8)
def _install_id(secret_key: str) -> str:
    """What tells this installation's UIDs from another's: derived from its secret key, once (not per mail)."""
    return hmac.new(secret_key.encode(), b"calendar-uid", hashlib.sha256).hexdigest()[:16]


def calendar_for(registration, manage_url: str, sequence: int = 0, method: str = "PUBLISH",
                 tentative: bool = False) -> bytes:
    """A .ics with a UID fixed per registration, so a later update moves the same calendar entry; tentative: the
    seat still waits (approval, the waiting list), so the entry is no promise.

    What is the same for every registration of the event (times, place, organiser, alarm, VTIMEZONE) is
    serialised once per version of the event; only the registration's own lines are written per call, with
    icalendar's escaping but not its Component machinery, whose per-line formatting was most of the cost of every
    confirmation mail's calendar file."""
    event = registration.event
    cancelled = method == "CANCEL" or event.status == "cancelled"
    description = f"{event.summary}\n\n{manage_url}".strip()
    # DTSTAMP in UTC as vDatetime writes it, and URL and ATTENDEE's address as vUri and vCalAddress do (as they are).
    lines = [f"UID:{_text(calendar_uid(registration))}", f"DTSTAMP:{utcnow():%Y%m%dT%H%M%SZ}",
             f"DESCRIPTION:{_text(description)}", f"URL:{manage_url}"]
    if method != "PUBLISH":  # RFC 5546: a PUBLISH carries no ATTENDEE; invitations (REQUEST/CANCEL) do
        name = Parameters()
        name["CN"] = registration.name or registration.email  # quoted and escaped by icalendar
        # The other parameters are the same for every attendee, written in icalendar's (sorted) order after CN;
        # RSVP=FALSE: replies are not read, the manage link is how to change.
        lines.append(f"ATTENDEE;{name.to_ical().decode()};PARTSTAT={'DECLINED' if cancelled else 'ACCEPTED'};"
                     f"ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{registration.email}")
    own_lines = b"".join(_folded(line) for line in lines)
    status = "CANCELLED" if cancelled else "TENTATIVE" if tentative else "CONFIRMED"
    frame = _calendar_frame(method, sequence, status, event.title, event.starts_at, event.ends_at, event.timezone,
                            ", ".join(part for part in (event.venue_name, event.venue_address) if part),
                            current_app.config["MAIL_FROM"])
    at = frame.index(_BEGIN_EVENT) + len(_BEGIN_EVENT)
    return frame[:at] + own_lines + frame[at:]


_BEGIN_EVENT = b"BEGIN:VEVENT\r\n"


def _text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 wants (backslash, comma, semicolon, newline)."""
    return vText(value).to_ical().decode()


def _folded(line: str) -> bytes:
    """One content line folded at 75 octets, ending in CRLF. ASCII lines are cut here the way icalendar cuts them
    (74 characters, never right after a backslash or caret, so an escape stays whole); icalendar's own folding
    goes character by character, which showed in every mail. Other lines are folded by icalendar."""
    if not line.isascii():
        return Contentline(line).to_ical() + b"\r\n"
    pieces, start = [], 0
    while len(line) - start > 74:
        end = start + 74 - (line[start + 73] in "\\^")
        pieces.append(line[start:end])
        start = end
    pieces.append(line[start:])
    return "\r\n ".join(pieces).encode() + b"\r\n"


@functools.lru_cache(maxsize=256)
def _calendar_frame(method: str, sequence: int, status: str, title: str, starts_at, ends_at, zone_name: str,
                    location: str, mail_from: str) -> bytes:
    """The calendar without the registration's own lines, serialised; its arguments are everything it shows."""
    cal = Calendar()
    cal.add("prodid", "-//eventapp//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    entry = CalendarEvent()
    entry.add("sequence", sequence)
    zone = ZoneInfo(zone_name)
    entry.add("dtstart", starts_at.astimezone(zone))
    entry.add("dtend", ends_at.astimezone(zone))
    entry.add("summary", title)
    if location:
        entry.add("location", location)
    entry.add("status", status)
    if method != "PUBLISH":
        organizer = vCalAddress(f"mailto:{parseaddr(mail_from)[1] or 'noreply@localhost'}")
        organizer.params["cn"] = vText(parseaddr(mail_from)[0] or "eventapp")
        entry.add("organizer", organizer, encode=0)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", timedelta(hours=-1))
    alarm.add("description", title)
    entry.add_component(alarm)
    cal.add_component(entry)
    text = cal.to_ical()
    # The VTIMEZONE is shared by every event in the zone (and year), so it is serialised once per zone.
    end = text.rindex(b"END:VCALENDAR")
    return text[:end] + _vtimezone_ical(zone_name, starts_at.year) + text[end:]


@functools.lru_cache(maxsize=64)
def _vtimezone_ical(zone: str, year: int) -> bytes:
    """The zone's VTIMEZONE around the event's year, serialised. Built once per zone and year: computing it
    (icalendar's default spans 1970-2038) was most of the cost of every calendar file."""
    return Timezone.from_tzid(zone, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1)).to_ical()
