"""Attendance and check-in log exports: golden headers, Chinese in Excel, formula injection, filters, access, and
flat memory on a large event."""
import csv
import io
import uuid
import zipfile
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.accounts.operations import create_user, ensure_organisation
from eventapp.checkin import operations as door
from eventapp.checkin.operations import Scan
from eventapp.contacts.normalisation import normalise_email
from eventapp.core.spreadsheet import safe_cell
from eventapp.core.time import utcnow
from eventapp.events import operations as event_ops
from eventapp.events.models import EventStatus
from eventapp.extensions import db
from eventapp.registration import operations as registration_ops
from eventapp.contacts.models import ConsentRecord
from eventapp.registration.models import Registration
from eventapp.registration.operations import Signup
from tests.conftest import PASSWORD, read_streamed, submit
from tests.perf.bulk import seed_attendees_in

ATTENDANCE_HEADER = ["First name", "Last name", "Email", "Company", "Job title", "Phone",
                     "What is your goal?", "Topics",
                     "Status", "Checked in", "Checked in at", "Device", "Staff", "Checked out at", "Walk-in",
                     "Channel", "Registered at", "Marketing consent"]
CHECKIN_HEADER = ["Received at", "Scanned at", "Result", "Direction", "Method", "Device", "Staff", "Attendee",
                  "Attendee email", "Reason"]
HYPERLINK = '=HYPERLINK("http://x")'


def attendee(event, email, answers=None, marketing_consent=False, channel="web", **details):
    result = registration_ops.register(event, Signup(
        email=normalise_email(email), answers=answers or {}, marketing_consent=marketing_consent,
        consent_text="You may email me.", channel=channel,
        details={"first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Ltd", "job_title": "CTO",
                 "phone": "", **details}))
    db.session.commit()
    return result.registration


def scan(event, staff, secret, device="phone-1", direction="in", scanned_at=None):
    return door.redeem(event, Scan(nonce=uuid.uuid4().hex, device_id=device, secret=secret, direction=direction,
                                   scanned_at=scanned_at or utcnow()), staff)


@pytest.fixture
def organiser(login_as):
    return login_as(Role.ORGANISER)


@pytest.fixture
def event(make_event, organiser):
    return make_event(questions=[{"label": "What is your goal?", "kind": "text"},
                                 {"label": "Topics", "kind": "multiple_choice", "options": ["CRM", "Events", "AI"]}])


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


def xlsx_sheet(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return openpyxl.load_workbook(io.BytesIO(response.get_data())).active


def by_email(rows, email):
    header = rows[0]
    return next(dict(zip(header, row)) for row in rows[1:] if row[header.index("Email")] == email)


# ---- the files -------------------------------------------------------------------------------------------------

def test_attendance_csv_has_the_golden_header_and_one_row_per_registration(client, event, organiser):
    goal, topics = (str(q.id) for q in event.questions)
    ada = attendee(event, "ada@example.com", answers={goal: "More leads", topics: ["CRM", "AI"]},
                   marketing_consent=True, channel="partner:uni", phone="+442079460958")
    # Ada confirmed the ticked box through the mail (double opt-in); Bob ticked it and did not.
    registration_ops.confirm_marketing_consent(db.session.execute(sa.select(ConsentRecord)).scalar_one())
    attendee(event, "bob@example.com", first_name="Bob", marketing_consent=True)
    db.session.refresh(organiser)
    organiser.name = "Olga Organiser"
    db.session.commit()
    checked_in_at = datetime(2020, 1, 15, 8, 5, 9, tzinfo=timezone.utc)  # a device clock, in the past
    assert scan(event, organiser, ada.ticket_secret, scanned_at=checked_in_at)["status"] == "ok"

    response = client.get(f"/admin/events/{event.id}/attendance.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{event.slug}-attendance.csv"'
    rows = csv_rows(response)
    assert rows[0] == ATTENDANCE_HEADER
    assert len(rows) == 3
    ada_row = by_email(rows, "ada@example.com")
    registered_at = datetime.fromisoformat(ada_row.pop("Registered at"))
    assert registered_at.utcoffset() == timedelta(hours=1)
    assert abs(registered_at - ada.created_at) < timedelta(seconds=1)
    assert ada_row == {
        "First name": "Ada", "Last name": "Lovelace", "Email": "ada@example.com", "Company": "Analytical Ltd",
        "Job title": "CTO", "Phone": "'+442079460958", "What is your goal?": "More leads", "Topics": "CRM; AI",
        "Status": "confirmed", "Checked in": "yes", "Checked in at": "2020-01-15T09:05:09+01:00",  # Berlin, winter
        "Device": "phone-1", "Staff": "Olga Organiser", "Checked out at": "", "Walk-in": "no",
        "Channel": "partner:uni", "Marketing consent": "yes"}
    bob = by_email(rows, "bob@example.com")
    assert (bob["Checked in"], bob["Checked in at"], bob["Staff"], bob["Marketing consent"], bob["Topics"]) == \
        ("no", "", "", "no", "")


def test_walk_ins_check_outs_and_staff_emails_show_in_attendance(client, make_event, organiser):
    event = make_event(kind="trade_show")
    event.exit_scans_enabled = True
    db.session.commit()
    door.walk_in(event, normalise_email("walker@example.com"), {"first_name": "Wally", "last_name": "Walker",
                                                                  "company": "Door Co", "job_title": "", "phone": ""},
                 Scan(nonce=uuid.uuid4().hex, device_id="tablet-2", scanned_at=utcnow()), organiser)
    walker = db.session.execute(sa.select(Registration)).scalar_one()
    assert scan(event, organiser, walker.ticket_secret, direction="out")["status"] == "checked_out"
    row = by_email(csv_rows(client.get(f"/admin/events/{event.id}/attendance.csv")), "walker@example.com")
    assert (row["Walk-in"], row["Checked in"], row["Device"], row["Staff"], row["Channel"]) == \
        ("yes", "yes", "tablet-2", organiser.email, "staff")
    assert row["Checked out at"] and row["Checked out at"] >= row["Checked in at"]


def test_checkin_log_has_the_golden_header_and_every_scan_including_failures(client, event, organiser):
    ada = attendee(event, "ada@example.com")
    scan(event, organiser, ada.ticket_secret)
    scan(event, organiser, ada.ticket_secret, device="phone-2")
    scan(event, organiser, "not-a-ticket-of-ours")
    door.undo_last(event, "phone-1", "Scanned the wrong badge", organiser)

    response = client.get(f"/admin/events/{event.id}/checkins.csv")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{event.slug}-checkins.csv"'
    rows = csv_rows(response)
    assert rows[0] == CHECKIN_HEADER
    log = [dict(zip(CHECKIN_HEADER, row)) for row in rows[1:]]
    assert [(r["Result"], r["Method"], r["Device"], r["Attendee"]) for r in log] == [
        ("ok", "scan", "phone-1", "Ada Lovelace"), ("already_checked_in", "scan", "phone-2", "Ada Lovelace"),
        ("invalid", "scan", "phone-1", ""), ("undone", "undo", "phone-1", "Ada Lovelace")]
    assert log[0]["Attendee email"] == "ada@example.com" and log[0]["Staff"] == organiser.email
    assert log[3]["Reason"] == "Scanned the wrong badge"
    assert all(r["Received at"].endswith("+01:00") and r["Scanned at"].endswith("+01:00") for r in log)


def test_another_organisations_ticket_scanned_here_stays_anonymous_in_the_log(client, event, organiser, db):
    other_org = ensure_organisation("globex", "Globex")
    db.session.flush()
    starts = utcnow().replace(microsecond=0) + timedelta(days=10)
    theirs = event_ops.save_event(other_org.id, {"title": "Globex day", "slug": "globex-day", "timezone": "UTC",
                                                 "starts_at": starts, "ends_at": starts + timedelta(hours=2)})
    theirs.status = EventStatus.PUBLISHED
    db.session.commit()
    stranger = attendee(theirs, "secret-agent@globex.example", first_name="Secret")
    assert scan(event, organiser, stranger.ticket_secret)["status"] == "invalid"  # not even which event it was for
    log = csv_rows(client.get(f"/admin/events/{event.id}/checkins.csv"))
    assert log[1][CHECKIN_HEADER.index("Result")] == "invalid"
    assert log[1][CHECKIN_HEADER.index("Attendee")] == "" and log[1][CHECKIN_HEADER.index("Attendee email")] == ""


def test_xlsx_exports_have_the_same_headers_and_rows(client, event, organiser):
    ada = attendee(event, "ada@example.com")
    scan(event, organiser, ada.ticket_secret)
    response = client.get(f"/admin/events/{event.id}/attendance.xlsx")
    assert response.headers["Content-Type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{event.slug}-attendance.xlsx"'
    sheet = xlsx_sheet(response)
    rows = [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert sheet.title == "Attendance"
    assert rows == csv_rows(client.get(f"/admin/events/{event.id}/attendance.csv"))

    log = xlsx_sheet(client.get(f"/admin/events/{event.id}/checkins.xlsx"))
    assert [cell.value for cell in log[1]] == CHECKIN_HEADER
    assert log.max_row == 2 and log.cell(2, 3).value == "ok"


# ---- Chinese, Excel and formula injection ----------------------------------------------------------------------

def test_chinese_names_round_trip_in_csv_with_one_bom_and_crlf_line_ends(client, event):
    attendee(event, "zhang.wei@example.cn", first_name="张", last_name="伟", company="上海华信科技有限公司",
             job_title="市场总监")
    body = client.get(f"/admin/events/{event.id}/attendance.csv").get_data()
    assert body.startswith(b"\xef\xbb\xbf") and body.count(b"\xef\xbb\xbf") == 1
    text = body.decode("utf-8-sig")
    assert "张,伟,zhang.wei@example.cn,上海华信科技有限公司,市场总监" in text
    assert text.endswith("\r\n") and text.count("\n") == text.count("\r\n") == 2


def test_chinese_names_round_trip_in_xlsx(client, event):
    attendee(event, "zhang.wei@example.cn", first_name="张", last_name="伟", company="上海华信科技有限公司")
    sheet = xlsx_sheet(client.get(f"/admin/events/{event.id}/attendance.xlsx"))
    assert [sheet.cell(2, column).value for column in (1, 2, 4)] == ["张", "伟", "上海华信科技有限公司"]


def test_formulas_and_plus_86_phones_are_neutralised_in_csv(client, event):
    attendee(event, "eve@example.com", first_name="@SUM(A1)", last_name="-2+3", company=HYPERLINK,
             job_title="\tTab", phone="+8613800138000")
    row = by_email(csv_rows(client.get(f"/admin/events/{event.id}/attendance.csv")), "eve@example.com")
    assert row["Company"] == "'" + HYPERLINK
    assert row["Phone"] == "'+8613800138000"
    assert (row["First name"], row["Last name"], row["Job title"]) == ("'@SUM(A1)", "'-2+3", "'\tTab")


def test_formulas_are_stored_as_text_in_xlsx(client, event):
    attendee(event, "eve@example.com", company=HYPERLINK, phone="+8613800138000")
    body = client.get(f"/admin/events/{event.id}/attendance.xlsx").get_data()
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    company, phone = sheet.cell(2, 4), sheet.cell(2, 6)
    assert (company.value, company.data_type) == (HYPERLINK, "s")
    assert (phone.value, phone.data_type) == ("+8613800138000", "s")
    sheet_xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-5", "'-5"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("\0x", "'\0x"), ("Ada", "Ada"), ("a=b", "a=b"), ("", ""), (None, ""), (42, "42"),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


# ---- filters and access ----------------------------------------------------------------------------------------

def test_attendance_filters_by_status(client, make_event, organiser, db):
    event = make_event(capacity=1, waitlist_enabled=True)
    attendee(event, "first@example.com")
    attendee(event, "second@example.com")
    registration_ops.cancel(attendee(event, "third@example.com"))  # waitlisted, then cancelled
    db.session.commit()

    def emails(query):
        return [row[2] for row in csv_rows(client.get(f"/admin/events/{event.id}/attendance.csv{query}"))[1:]]

    assert emails("?status=confirmed") == ["first@example.com"]
    assert emails("?status=waitlisted") == ["second@example.com"]
    assert emails("?status=cancelled&status=confirmed") == ["first@example.com", "third@example.com"]
    assert emails("?status=cancelled,confirmed") == ["first@example.com", "third@example.com"]
    assert emails("?status=pending") == []
    assert emails("") == emails("?status=") == ["first@example.com", "second@example.com", "third@example.com"]
    sheet = xlsx_sheet(client.get(f"/admin/events/{event.id}/attendance.xlsx?status=waitlisted"))
    assert [cell.value for cell in sheet[2]][:3] == ["Ada", "Lovelace", "second@example.com"] and sheet.max_row == 2


def test_an_unknown_status_is_a_400_that_says_what_is_allowed(client, event):
    response = client.get(f"/admin/events/{event.id}/attendance.csv?status=confirmed&status=attended")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Unknown status “attended”. Use one of: pending, confirmed, waitlisted, cancelled, declined." in page


def test_exports_need_a_back_office_login_of_the_same_organisation(app, client, event, db, make_user):
    paths = [f"/admin/events/{event.id}/{name}" for name in
             ("attendance.csv", "attendance.xlsx", "checkins.csv", "checkins.xlsx")]
    for path in paths:
        assert client.get(path).status_code == 200

    other = app.test_client()
    for path in paths:
        response = other.get(path)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"], path

    globex = ensure_organisation("globex", "Globex")
    create_user("olga@globex.example", PASSWORD, Role.ORGANISER, globex)
    db.session.commit()
    assert submit(other, "/login", {"email": "olga@globex.example", "password": PASSWORD}).status_code == 303
    for path in paths:
        assert other.get(path).status_code == 404, path
    assert other.get("/admin/events/999999/attendance.csv").status_code == 404

    staff_client = app.test_client()
    make_user(Role.STAFF, email="door@acme.example")
    assert submit(staff_client, "/login", {"email": "door@acme.example", "password": PASSWORD}).status_code == 303
    assert staff_client.get(paths[0]).status_code == 403


def test_the_event_page_links_to_the_exports(client, event):
    page = client.get(f"/admin/events/{event.id}").get_data(as_text=True)
    for name in ("attendance.csv", "attendance.xlsx", "checkins.csv", "checkins.xlsx"):
        assert f"/admin/events/{event.id}/{name}" in page


# ---- volume ----------------------------------------------------------------------------------------------------

LARGE = 20_000


def test_a_large_attendance_csv_streams_in_flat_memory(client, event, db):
    goal = str(event.questions[0].id)
    seed_attendees_in(db, event, LARGE, answers={goal: "Meet vendors"})
    read = read_streamed(lambda: client.get(f"/admin/events/{event.id}/attendance.csv", buffered=False))
    first, received, lines, chunks, early_peak, peak, seconds = (read.first, read.received, read.lines, read.chunks,
                                                                  read.early_peak, read.peak, read.seconds)
    print(f"\n{LARGE} rows: {received / 1e6:.1f} MB of CSV in {seconds:.2f} s (under tracemalloc), "
          f"{chunks} chunks, peak traced memory {peak / 1e6:.1f} MB (after 5 chunks: {early_peak / 1e6:.1f} MB)")
    assert first.startswith(b"\xef\xbb\xbfFirst name,")
    assert lines == LARGE + 1
    assert chunks > 10  # streamed in pieces, not built whole
    assert peak < 200e6
    # Flat: reading the other 95 % of the rows adds little to what the first few hundred needed.
    assert peak < early_peak + 10e6, (peak, early_peak)
