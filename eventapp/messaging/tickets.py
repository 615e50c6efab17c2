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
    install = hmac.new(current_app.config["SECRET_KEY"].encode(), b"calendar-uid", hashlib.sha256).hexdigest()[:16]
    return f"evt-{registration.event_id}-reg-{registration.id}-{install}@eventapp"


def calendar_for(registration, manage_url: str, sequence: int = 0, method: str = "PUBLISH") -> bytes:
    """A .ics with a UID fixed per registration, so a later update moves the same calendar entry."""
    event = registration.event
    cal = Calendar()
    cal.add("prodid", "-//eventapp//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    entry = CalendarEvent()
    entry.add("uid", calendar_uid(registration))
    entry.add("dtstamp", utcnow())
    entry.add("sequence", sequence)
    zone = ZoneInfo(event.timezone)
    entry.add("dtstart", event.starts_at.astimezone(zone))
    entry.add("dtend", event.ends_at.astimezone(zone))
    entry.add("summary", event.title)
    location = ", ".join(part for part in (event.venue_name, event.venue_address) if part)
    if location:
        entry.add("location", location)
    entry.add("description", f"{event.summary}\n\n{manage_url}".strip())
    entry.add("url", manage_url)
    cancelled = method == "CANCEL" or event.status == "cancelled"
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if method != "PUBLISH":  # RFC 5546: a PUBLISH carries no ATTENDEE; invitations (REQUEST/CANCEL) do
        organizer = vCalAddress(f"mailto:{parseaddr(current_app.config['MAIL_FROM'])[1] or 'noreply@localhost'}")
        organizer.params["cn"] = vText(parseaddr(current_app.config["MAIL_FROM"])[0] or "eventapp")
        entry.add("organizer", organizer, encode=0)
        attendee = vCalAddress(f"mailto:{registration.contact.email}")
        attendee.params["cn"] = vText(registration.contact.name or registration.contact.email)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("DECLINED" if cancelled else "ACCEPTED")
        attendee.params["rsvp"] = vText("FALSE")  # replies are not read; the manage link is how to change
        entry.add("attendee", attendee, encode=0)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", timedelta(hours=-1))
    alarm.add("description", event.title)
    entry.add_component(alarm)
    cal.add_component(entry)
    cal.add_component(_vtimezone(event.timezone, event.starts_at.year))
    return cal.to_ical()


@functools.lru_cache(maxsize=64)
def _vtimezone(zone: str, year: int) -> Timezone:
    """The zone's VTIMEZONE around the event's year. Built once per zone and year: computing it (icalendar's
    default spans 1970-2038) was most of the cost of every calendar file."""
    return Timezone.from_tzid(zone, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))
