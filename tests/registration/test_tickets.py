"""The ticket's QR code (the page's SVG, the mail's PNG: one encoder) and its calendar entry, as pure functions of
what they show. The browser test (tests/browser/test_signup_browser.py) reads the page's SVG off the screen."""
import io
import xml.etree.ElementTree as ElementTree
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import zxingcpp
from icalendar import Calendar
from PIL import Image

from eventapp.registration.tickets import (PNG_SCALE, calendar_for, calendar_ics, calendar_uid, ticket_png,
                                           ticket_svg)

SECRETS = ["k3m9", "x" * 22, "u92pq5c8xhrnvsregk3b3djn4w4h33jy", "Z" * 64, "é-ticket-ü", "票-ticket"]


@pytest.mark.parametrize("secret", SECRETS)
def test_the_png_decodes_back_to_the_secret_at_level_m_with_a_quiet_zone(secret):
    image = Image.open(io.BytesIO(ticket_png(secret)))
    assert image.format == "PNG" and image.size[0] == image.size[1] and image.size[0] % PNG_SCALE == 0
    [decoded] = zxingcpp.read_barcodes(image)
    assert decoded.text == secret and decoded.ec_level == "M"
    # PNG_SCALE pixels per module and a quiet zone of 4 modules: so many rows and columns are white all along
    grey, quiet = image.convert("L"), 4 * PNG_SCALE
    assert all(grey.getpixel((x, y)) for y in range(quiet) for x in range(grey.size[0]))
    assert all(grey.getpixel((x, y)) for y in range(grey.size[1]) for x in range(quiet))
    assert not grey.getpixel((quiet, quiet))  # and the code's finder pattern starts right after it


@pytest.mark.parametrize("secret", SECRETS)
def test_the_svg_is_the_same_code_inline_and_sized_by_the_page(secret):
    svg = ticket_svg(secret)
    assert svg.startswith("<svg") and "<?xml" not in svg
    root = ElementTree.fromstring(svg)
    assert "width" not in root.attrib and "height" not in root.attrib  # the stylesheet sizes it
    modules = Image.open(io.BytesIO(ticket_png(secret))).size[0] // PNG_SCALE  # the PNG's size in modules
    assert root.attrib["viewBox"] == f"0 0 {modules * 10} {modules * 10}"


AWKWARD_NAMES = ['Ada "the Countess" Lovelace', "Lovelace, Ada; Dr.", "Ada: ^Lovelace^", "李雷", "Zoë Ångström", ""]
SUMMARY = "Half a day on B2B events, with lunch; bring C:\\notes. " * 3 + "会议 ^ 结束"


def entry(**changes) -> dict:
    values = dict(uid=calendar_uid(7, 42, "secret"), title="Roundtable; Q3, 2026", description=SUMMARY,
                  starts_at=datetime(2026, 9, 1, 8, tzinfo=timezone.utc),
                  ends_at=datetime(2026, 9, 1, 12, tzinfo=timezone.utc), zone="Asia/Shanghai",
                  location="Hall 3, 1 Road, Shanghai", organiser="Zoë Events <events@example.com>",
                  url="https://events.example.com/r/" + "x" * 60 + "?a=1&b=2", attendee_name="Ada",
                  attendee_email="ada@example.com", stamp=datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc))
    values.update(changes)
    return values


def parsed(ics: bytes):
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))  # folded as RFC 5545 asks
    calendar = Calendar.from_ical(ics)
    [event] = calendar.walk("VEVENT")
    return calendar, event


@pytest.mark.parametrize("name", AWKWARD_NAMES)
@pytest.mark.parametrize("method, status, partstat", [("REQUEST", "CONFIRMED", "ACCEPTED"),
                                                      ("CANCEL", "CANCELLED", "DECLINED")])
def test_an_invitation_reads_back_as_written(name, method, status, partstat):
    calendar, event = parsed(calendar_ics(**entry(attendee_name=name, sequence=2, method=method, status=status)))
    assert calendar["METHOD"] == method and str(event["STATUS"]) == status
    assert str(event["DESCRIPTION"]) == SUMMARY and str(event["URL"]) == entry()["url"]
    assert str(event["SUMMARY"]) == "Roundtable; Q3, 2026" and str(event["LOCATION"]) == "Hall 3, 1 Road, Shanghai"
    assert event["UID"].startswith("evt-7-reg-42-") and int(event["SEQUENCE"]) == 2
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:ada@example.com" and attendee.params["CN"] == (name or "ada@example.com")
    assert attendee.params["PARTSTAT"] == partstat and attendee.params["RSVP"] == "FALSE"
    organiser = event["ORGANIZER"]
    assert str(organiser) == "mailto:events@example.com" and organiser.params["CN"] == "Zoë Events"
    assert event["DTSTAMP"].dt == entry()["stamp"]
    assert event["DTSTART"].dt == entry()["starts_at"] and event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    # every TZID has its VTIMEZONE, and the alarm an hour before
    assert {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")} == {"Asia/Shanghai"}
    [alarm] = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY" and alarm["TRIGGER"].dt.total_seconds() == -3600


def test_a_published_entry_names_no_attendee_and_may_be_tentative():
    calendar, event = parsed(calendar_ics(**entry(status="TENTATIVE")))
    assert calendar["METHOD"] == "PUBLISH" and "ATTENDEE" not in event and "ORGANIZER" not in event
    assert str(event["STATUS"]) == "TENTATIVE"


def test_a_zone_with_summer_time_gets_both_of_its_rules():
    calendar, event = parsed(calendar_ics(**entry(zone="Europe/Berlin")))
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Berlin" and zone.walk("DAYLIGHT") and zone.walk("STANDARD")
    assert event["DTSTART"].dt == entry()["starts_at"]


def test_each_registration_gets_its_own_uid_and_each_installation_its_own(app):
    event = SimpleNamespace(id=7, title="Roundtable", summary="", status="published", timezone="Asia/Shanghai",
                            starts_at=entry()["starts_at"], ends_at=entry()["ends_at"], venue_name="Hall 3",
                            venue_address="")

    def registration(number, name, email):
        return SimpleNamespace(id=number, event_id=7, event=event, name=name, email=email)

    with app.app_context():
        first, second = (calendar_for(registration(number, name, email), url, method="REQUEST")
                         for number, name, email, url in [(42, "Ada", "ada@example.com", "https://e.example.com/r/a"),
                                                          (43, "Bob", "bob@example.com", "https://e.example.com/r/b")])
        app.config["SECRET_KEY"], key = "another installation", app.config["SECRET_KEY"]
        try:
            elsewhere = calendar_for(registration(42, "Ada", "ada@example.com"), "https://e.example.com/r/a",
                                     method="REQUEST")
        finally:
            app.config["SECRET_KEY"] = key
    entries = [parsed(ics)[1] for ics in (first, second, elsewhere)]
    assert [str(event["UID"]).split("-")[:4] for event in entries] == [
        ["evt", "7", "reg", "42"], ["evt", "7", "reg", "43"], ["evt", "7", "reg", "42"]]
    assert len({str(event["UID"]) for event in entries}) == 3
    assert [(event["ATTENDEE"].params["CN"], str(event["ATTENDEE"]), str(event["URL"])) for event in entries[:2]] == [
        ("Ada", "mailto:ada@example.com", "https://e.example.com/r/a"),
        ("Bob", "mailto:bob@example.com", "https://e.example.com/r/b")]
