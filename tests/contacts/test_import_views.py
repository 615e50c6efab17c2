"""The import in the back office: upload, the guessed mapping changed by the organiser, the background run with its
progress, the report and its download; refusals; 50,000 rows in the background."""
import csv
import os
import io
import re
import threading
import time
from datetime import date

import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.accounts.operations import ensure_organisation
from eventapp.contacts import importing
from eventapp.contacts.models import Contact, ImportJob, ImportStatus
from eventapp.invitations import import_jobs
from eventapp.leads.models import ActivityKind, LeadActivity
from tests.conftest import hidden_fields, submit
from tests.contacts.test_import import Formula, xlsx

LIST = ("Full name,E-mail,Organisation,Notes,Opt-in\n"
        "Ada Lovelace,ada@example.com,Analytical,London,yes\n"
        "Grace Hopper,grace@,Navy,Arlington,yes\n"
        "Ada Again,ada@example.com,Dup,Paris,no\n"
        "Formula Person,=x@example.com,=HYPERLINK(\"http://evil\"),Berlin,no\n")


def upload(client, content: bytes, filename="list.csv", **data):
    return submit(client, "/admin/contacts/import", {"file": (io.BytesIO(content), filename), **data})


def job_of(db) -> ImportJob:
    db.session.expire_all()
    return db.session.scalars(sa.select(ImportJob).order_by(ImportJob.id.desc())).first()


def run_queue(app, until, timeout=120):
    """What a worker does: run the queue's tasks (the sweep the import asked for, the sweeps it asks for next)
    until `until()` holds."""
    huey = app.extensions["huey"]
    deadline = time.monotonic() + timeout
    with app.app_context():
        while not until() and time.monotonic() < deadline:
            task = huey.dequeue()
            if task is None:
                time.sleep(0.05)
                continue
            huey.execute(task)


def finished(app, job_id):
    def check():
        with app.app_context():
            from eventapp.extensions import db

            job = db.session.get(ImportJob, job_id)
            done = job.is_finished
            db.session.remove()
            return done
    return check


def test_upload_preview_mapping_changed_by_the_organiser_then_background_import_and_report(app, db, client,
                                                                                          login_as):
    login_as(Role.ORGANISER)
    app.extensions["huey"].flush()
    response = upload(client, LIST.encode("utf-8-sig"))
    assert response.status_code == 303
    preview = client.get(response.headers["Location"])
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Ada Lovelace" in page and "Import 4 rows" in page
    # the guesses, one <select> per column: name, email, company, (ignored), consent
    selected = re.findall(r'<select[^>]*name="(column_\d)".*?<option selected value="([^"]*)"', page, re.S)
    assert selected == [("column_0", "name"), ("column_1", "email"), ("column_2", "company"), ("column_3", ""),
                        ("column_4", "consent")]
    mapping = {"column_0": "name", "column_1": "email", "column_2": "company", "column_3": "city",
               "column_4": "consent"}
    # a consent column needs the consent basis
    refused = client.post(preview.request.path, data={**hidden_fields(page), **mapping})
    assert refused.status_code == 422 and "consent basis" in refused.get_data(as_text=True)
    assert job_of(db).status == ImportStatus.PREVIEWED
    started = client.post(preview.request.path, data={**hidden_fields(page), **mapping,
                                                      "consent_text": "Signed the sheet at Expo 2026"})
    assert started.status_code == 303
    job = job_of(db)
    assert job.status == ImportStatus.RUNNING and job.mapping[3] == "city"
    progress = client.get(started.headers["Location"])
    assert progress.headers["Refresh"] == "2" and "<progress" in progress.get_data(as_text=True)
    assert client.post(preview.request.path, data={**hidden_fields(page), **mapping}).status_code == 303  # twice

    run_queue(app, finished(app, job.id))
    job = job_of(db)
    assert (job.status, job.imported, job.updated, job.skipped) == (ImportStatus.DONE, 2, 0, 2)
    ada = db.session.scalars(sa.select(Contact).where(Contact.email_key == "ada@example.com")).one()
    assert (ada.first_name, ada.last_name, ada.company, ada.city, ada.marketing_consent) == \
        ("Ada", "Lovelace", "Analytical", "London", True)
    report = client.get(started.headers["Location"])
    text = report.get_data(as_text=True)
    assert "Refresh" not in report.headers
    assert "grace@" in text and "Row 4 repeats the address of row 2." in text
    # the report as CSV: every row, formula-safe
    download = client.get(f"/admin/contacts/import/{job.id}/report.csv")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Row", "Outcome", "Reason", "Email"]
    assert [row[:2] for row in rows[1:]] == [["2", "Imported"], ["3", "Skipped"], ["4", "Skipped"], ["5", "Imported"]]
    assert rows[4][3] == "'=x@example.com"
    # the list of imports brings the organiser back
    assert f'/admin/contacts/import/{job.id}"' in client.get("/admin/contacts/import").get_data(as_text=True)
    # one IMPORTED activity per new contact, written in one statement when the import ends
    kinds = db.session.scalars(sa.select(LeadActivity.kind).where(LeadActivity.contact_id == ada.id)).all()
    assert kinds == [ActivityKind.IMPORTED]


def test_a_file_that_is_not_a_contact_list_is_refused_with_a_reason(db, client, login_as):
    login_as(Role.ORGANISER)
    png = upload(client, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, filename="list.csv")
    assert png.status_code == 422 and "This is a PNG file" in png.get_data(as_text=True)
    nothing = submit(client, "/admin/contacts/import", {})
    assert nothing.status_code == 422 and "Choose a CSV or XLSX file" in nothing.get_data(as_text=True)
    assert job_of(db) is None


def test_a_file_over_the_limit_is_refused_with_a_reason(db, client, login_as, monkeypatch):
    from eventapp.invitations import import_views

    login_as(Role.ORGANISER)
    monkeypatch.setattr(import_views, "UPLOAD_LIMIT", 1000)
    response = upload(client, b"Email\n" + b"someone@example.com\n" * 100)
    assert response.status_code == 422 and "larger than 20 MB" in response.get_data(as_text=True)
    assert job_of(db) is None


def test_an_upload_without_its_csrf_token_is_refused(db, client, login_as):
    login_as(Role.ORGANISER)
    response = client.post("/admin/contacts/import", data={"file": (io.BytesIO(b"Email\na@example.com\n"), "x.csv")})
    assert response.status_code == 400 and "This form has expired" in response.get_data(as_text=True)
    assert job_of(db) is None


def test_another_organisations_import_is_not_found(db, client, login_as):
    other = ensure_organisation("rival", "Rival")
    db.session.commit()
    job = importing.new_import(other.id, None, "theirs.csv", b"Email\nx@example.com\n")
    db.session.commit()
    login_as(Role.ORGANISER)
    for path in (f"/admin/contacts/import/{job.id}", f"/admin/contacts/import/{job.id}/report.csv"):
        assert client.get(path).status_code == 404
    page = client.get("/admin/contacts/import")
    assert client.post(f"/admin/contacts/import/{job.id}", data=hidden_fields(page.get_data(as_text=True))
                       ).status_code == 404
    assert job_of(db).status == ImportStatus.PREVIEWED
    assert "theirs.csv" not in page.get_data(as_text=True)


def test_fifty_thousand_rows_in_the_background_with_progress(app, db, client, login_as, monkeypatch):
    login_as(Role.ORGANISER)
    monkeypatch.setattr(import_jobs, "SECONDS_PER_SWEEP", 2)  # several sweeps: each asks for the next
    count = int(os.environ.get("IMPORT_TEST_ROWS", 50_000))
    lines = [f"Person {number},person{number}@example.com,Company {number % 700},+1 202 555 {number % 10000:04d}"
             for number in range(count)]
    content = ("Name,Email,Company,Mobile\n" + "\n".join(lines) + "\n").encode()
    assert len(content) > 2 * 1024 * 1024 or count < 50_000  # more than any other form may send
    app.extensions["huey"].flush()
    uploaded = upload(client, content, filename="fifty-thousand.csv")
    assert uploaded.status_code == 303
    page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    started_at = time.monotonic()
    started = client.post(uploaded.headers["Location"], data=hidden_fields(page))
    assert started.status_code == 303
    job_id = job_of(db).id
    worker = threading.Thread(target=run_queue, args=(app, finished(app, job_id), 300))
    worker.start()
    seen = []
    while worker.is_alive():
        page = client.get(started.headers["Location"]).get_data(as_text=True)
        found = re.search(r'<progress id="import-progress" max="(\d+)" value="(\d+)"', page)
        if found:
            seen.append(int(found.group(2)))
        time.sleep(1)
    worker.join()
    seconds = time.monotonic() - started_at
    job = job_of(db)
    assert (job.status, job.total_rows, job.processed_rows, job.imported, job.skipped) == \
        (ImportStatus.DONE, count, count, count, 0)
    assert any(0 < value < count for value in seen), seen  # the organiser saw it move
    assert seen == sorted(seen)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == count
    print(f"\n50,000-row import: {seconds:.1f} s, {count / seconds:.0f} rows/second")
    assert seconds < 180  # about 45 s on a quiet 2-core machine; this catches a slowdown by a factor, not noise


def test_an_xlsx_list_is_previewed_with_its_dates_and_numbers_as_text(app, db, client, login_as, monkeypatch):
    login_as(Role.ORGANISER)
    monkeypatch.setitem(app.config, "PHONE_REGION", "CN")
    content = xlsx([["姓名", "邮箱", "手机", "公司", "注册日期"],
                    ["李雷", "li@example.cn", 13800138000, Formula(("=A2&\"公司\"", "李雷公司")), date(2026, 5, 4)]])
    uploaded = upload(client, content, filename="名单.xlsx")
    assert uploaded.status_code == 303
    page = client.get(uploaded.headers["Location"]).get_data(as_text=True)
    assert "13800138000" in page and "2026-05-04" in page and "李雷公司" in page and "=A2" not in page
    started = client.post(uploaded.headers["Location"], data=hidden_fields(page))
    run_queue(app, finished(app, job_of(db).id))
    assert job_of(db).imported == 1 and started.status_code == 303
    li = db.session.scalars(sa.select(Contact)).one()
    assert (li.phone, li.company, li.origin) == ("+8613800138000", "李雷公司", "import:名单.xlsx")
