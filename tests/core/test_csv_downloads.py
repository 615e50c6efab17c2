"""Every CSV download opens in Excel on Chinese Windows without mojibake: UTF-8 with one BOM at the start (Excel
reads a CSV without it in the system's code page, GBK there), and Chinese written in comes back out unchanged."""
import csv
import io

import pytest

from eventapp.accounts.models import Role
from eventapp.contacts import operations as contacts
from eventapp.contacts.normalisation import normalise_email
from tests.conftest import signup_form, submit
from tests.contacts.test_import import run_import
from tests.invitations.test_sends import compose, post

WANG = {"first_name": "芳", "last_name": "王", "email": "wang.fang@example.cn", "company": "东海物流",
        "job_title": "市场总监"}


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/csv")
    body = response.get_data()
    assert body.startswith("\ufeff".encode()) and not body[3:].startswith("\ufeff".encode())  # one BOM, first
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def has_wang(rows) -> bool:
    return any("东海物流" in row and ("王芳" in row or "王" in row and "芳" in row) for row in rows)


@pytest.fixture
def event_with_wang(client, db, make_event, login_as):
    event = make_event()
    assert submit(client, f"/e/{event.slug}", signup_form(**WANG)).status_code == 303
    login_as(Role.ORGANISER)
    return event


@pytest.mark.parametrize("path, with_rows", [
    ("/admin/events/{id}/attendance.csv", True),
    ("/admin/events/{id}/checkins.csv", False),  # nobody checked in: the header row alone
    ("/admin/funnels/events/{id}/steps.csv", False),
    ("/admin/funnels/events/{id}/breakdowns.csv", False),
    ("/admin/funnels/events/{id}/timeline.csv", False),
    ("/admin/events/{id}/channels.csv", False),
])
def test_event_downloads_start_with_the_bom_and_keep_chinese(client, event_with_wang, path, with_rows):
    rows = read_csv(client.get(path.format(id=event_with_wang.id)))
    assert rows and rows[0]
    if with_rows:
        assert has_wang(rows)


def test_the_lead_export_starts_with_the_bom_and_keeps_chinese(client, event_with_wang):
    rows = read_csv(submit(client, "/admin/leads/export/", {"file_format": "csv"}))
    assert has_wang(rows)


def test_an_import_report_starts_with_the_bom_and_keeps_chinese(client, db, org, login_as):
    login_as(Role.ORGANISER)
    job = run_import(db, org, "姓名,邮箱,公司\n王芳,wang.fang@example.cn,东海物流\n李雷,不是邮箱,东海物流\n"
                     .encode("gb18030"))
    rows = read_csv(client.get(f"/admin/contacts/import/{job.id}/report.csv"))
    assert any("不是邮箱" in cell for row in rows for cell in row), rows


def test_an_invitation_people_export_starts_with_the_bom_and_keeps_chinese(client, db, org, make_event, login_as):
    contacts.contact_for(org.id, normalise_email(WANG["email"]), {k: v for k, v in WANG.items() if k != "email"})
    db.session.commit()
    login_as(Role.ORGANISER)
    send = compose(client, make_event(), pasted_addresses=WANG["email"])
    post(client, f"/admin/invitations/{send.id}/send")
    rows = read_csv(client.get(f"/admin/invitations/{send.id}/export/targeted.csv"))
    assert has_wang(rows)
