"""The calendar file's own lines per registration: escaped and folded as icalendar itself would write them."""
import random
import string
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from icalendar import Calendar, vCalAddress, vDatetime, vUri
from icalendar.parser import Contentline, Parameters

from eventapp.messaging.tickets import _folded, calendar_for

AWKWARD_NAMES = ['Ada "the Countess" Lovelace', "Lovelace, Ada; Dr.", "Ada: ^Lovelace^", "李雷", "Zoë Ångström"]


def registration(name: str, summary: str, status: str = "published", number: int = 42, email="ada@example.com"):
    event = SimpleNamespace(id=7, title="Roundtable; Q3, 2026", summary=summary, status=status,
                            starts_at=datetime(2026, 9, 1, 8, tzinfo=timezone.utc),
                            ends_at=datetime(2026, 9, 1, 12, tzinfo=timezone.utc), timezone="Asia/Shanghai",
                            venue_name="Hall 3", venue_address="1 Road, Shanghai")
    return SimpleNamespace(id=number, event_id=event.id, event=event, name=name, email=email)


@pytest.mark.parametrize("name", AWKWARD_NAMES)
@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_own_lines_read_back_as_written(app, name, method):
    summary = "Half a day on B2B events, with lunch; bring C:\\notes. " * 3 + "会议 ^ 结束"
    url = "https://events.example.com/r/" + "x" * 40
    with app.app_context():
        ics = calendar_for(registration(name, summary), url, sequence=2, method=method)
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))
    [entry] = Calendar.from_ical(ics).walk("VEVENT")
    assert str(entry["DESCRIPTION"]) == f"{summary}\n\n{url}" and str(entry["URL"]) == url
    assert entry["UID"].startswith("evt-7-reg-42-") and int(entry["SEQUENCE"]) == 2
    attendee = entry["ATTENDEE"]
    assert str(attendee) == "mailto:ada@example.com" and attendee.params["CN"] == name
    assert attendee.params["PARTSTAT"] == ("DECLINED" if method == "CANCEL" else "ACCEPTED")
    assert entry["DTSTAMP"].dt.tzinfo is not None


def test_a_published_calendar_names_no_attendee(app):
    with app.app_context():
        ics = calendar_for(registration("Ada", "Summary"), "https://e.example.com/r/x", method="PUBLISH")
    [entry] = Calendar.from_ical(ics).walk("VEVENT")
    assert "ATTENDEE" not in entry and Calendar.from_ical(ics)["METHOD"] == "PUBLISH"


def test_folding_matches_icalendar():
    chooser = random.Random(4)
    alphabet = string.ascii_letters + "\\^,;: \"" + "é漢"
    for _ in range(3000):
        line = "DESCRIPTION:" + "".join(chooser.choice(alphabet) for _ in range(chooser.randint(0, 300)))
        if chooser.random() < 0.5:
            line = line.encode("ascii", "ignore").decode()
        assert _folded(line) == Contentline(line).to_ical() + b"\r\n"


@pytest.mark.parametrize("name", AWKWARD_NAMES + ["Ada Lovelace", "O'Brien", "", "x" * 90])
@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_attendee_url_and_stamp_lines_are_what_icalendar_writes(app, monkeypatch, name, method):
    """The lines written without icalendar's value classes are byte for byte the ones those classes write."""
    from eventapp.messaging import tickets

    now = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    monkeypatch.setattr(tickets, "utcnow", lambda: now)
    url = "https://events.example.com/r/" + "x" * 60 + "?a=1&b=2"
    with app.app_context():
        ics = calendar_for(registration(name, "Summary", email="ada.lovelace@example.com"), url, method=method)
    attendee = Parameters()
    attendee["CN"] = name or "ada.lovelace@example.com"
    attendee["ROLE"] = "REQ-PARTICIPANT"
    attendee["PARTSTAT"] = "DECLINED" if method == "CANCEL" else "ACCEPTED"
    attendee["RSVP"] = "FALSE"
    address = vCalAddress("mailto:ada.lovelace@example.com").to_ical().decode()
    for line in (f"ATTENDEE;{attendee.to_ical().decode()}:{address}", f"URL:{vUri(url).to_ical().decode()}",
                 f"DTSTAMP:{vDatetime(now).to_ical().decode()}"):
        assert Contentline(line).to_ical() + b"\r\n" in ics


def test_each_registration_gets_its_own_uid_and_attendee(app, monkeypatch):
    with app.app_context():
        first, second = (calendar_for(registration(name, "Summary", number=number, email=email), url, method="REQUEST")
                         for name, number, email, url in [("Ada", 42, "ada@example.com", "https://e.example.com/r/a"),
                                                          ("Bob", 43, "bob@example.com", "https://e.example.com/r/b")])
        monkeypatch.setitem(app.config, "SECRET_KEY", "another installation")
        elsewhere = calendar_for(registration("Ada", "Summary"), "https://e.example.com/r/a", method="REQUEST")
    entries = [Calendar.from_ical(ics).walk("VEVENT")[0] for ics in (first, second, elsewhere)]
    assert [str(entry["UID"]).split("-")[:4] for entry in entries] == [["evt", "7", "reg", "42"],
                                                                       ["evt", "7", "reg", "43"],
                                                                       ["evt", "7", "reg", "42"]]
    assert len({str(entry["UID"]) for entry in entries}) == 3  # the installation's part follows its secret key
    assert [(entry["ATTENDEE"].params["CN"], str(entry["ATTENDEE"]), str(entry["URL"])) for entry in entries[:2]] == [
        ("Ada", "mailto:ada@example.com", "https://e.example.com/r/a"),
        ("Bob", "mailto:bob@example.com", "https://e.example.com/r/b")]
