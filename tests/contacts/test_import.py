"""Importing contact lists as people really save them: UTF-8 with and without BOM, GBK, semicolons and tabs, XLSX
with dates, numbers and formulas; the per-row report (bad email, bad phone, duplicates, suppressed), consent,
tags, and the CLI."""
import io
import zipfile
from datetime import date, datetime

import pytest
import sqlalchemy as sa
import xlsxwriter

from eventapp.contacts import importing
from eventapp.contacts.importing import UnreadableFile, cell_text, guess_mapping, split_name
from eventapp.contacts.models import (ConsentRecord, Contact, ContactTag, ImportJob, ImportOutcome, ImportRow,
                                      ImportStatus, SuppressionChannel, SuppressionReason)
from eventapp.contacts.normalisation import normalise_email
from eventapp.contacts.operations import contact_for, suppress

HEADER = "Name,Email,Mobile,Company,Job title,Tags\n"


def run_import(db, org, content: bytes, filename="list.csv", mapping=None, consent_text="") -> ImportJob:
    """The whole import in this process, as the CLI runs it."""
    job = importing.new_import(org.id, None, filename, content, consent_text)
    importing.start(job, mapping or job.mapping, consent_text)
    db.session.commit()
    assert importing.claim(job.id, 60)
    assert importing.run(job) is True
    db.session.expire_all()
    return db.session.get(ImportJob, job.id)


def report(db, job) -> dict[int, tuple[str, str]]:
    rows = db.session.scalars(sa.select(ImportRow).where(ImportRow.job_id == job.id))
    return {row.row_number: (row.outcome, row.reason) for row in rows}


def contact(db, org, address) -> Contact:
    return db.session.scalars(sa.select(Contact).where(Contact.organisation_id == org.id,
                                                       Contact.email_key == address)).one()


class Formula(tuple):
    """A formula cell and the value Excel saved with it."""


def xlsx(rows: list[list]) -> bytes:
    """An .xlsx as Excel saves one: text as text cells (even "=…"), numbers and dates as numbers, formulas."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Contacts")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for row_index, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, Formula):
                sheet.write_formula(row_index, column, value[0], None, value[1])
            elif isinstance(value, datetime | date):
                sheet.write_datetime(row_index, column, value, dates)
            elif isinstance(value, str):
                sheet.write_string(row_index, column, value)
            elif value is not None:
                sheet.write_number(row_index, column, value)
    workbook.close()
    return buffer.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_a_chinese_list_reads_the_same_in_utf8_with_and_without_bom_and_in_gbk(db, org, encoding):
    contact_for(org.id, normalise_email("tagged@example.com"), {})
    db.session.flush()
    db.session.add(ContactTag(contact_id=contact(db, org, "tagged@example.com").id, tag="vip"))
    text = "姓名,邮箱,手机,公司,职位,标签\n王芳,wang.fang@example.cn,+86 138 0013 8000,华为技术有限公司,市场总监,VIP、北京\n"
    job = run_import(db, org, text.encode(encoding))
    assert job.status == ImportStatus.DONE and (job.imported, job.skipped) == (1, 0)
    wang = contact(db, org, "wang.fang@example.cn")
    assert (wang.last_name, wang.first_name, wang.company, wang.job_title, wang.phone) == \
        ("王", "芳", "华为技术有限公司", "市场总监", "+8613800138000")
    assert wang.origin == "import:list.csv"
    assert sorted(tag.tag for tag in wang.tags) == ["vip", "北京"]  # as the organisation spells it already


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolons_and_tabs_are_found(db, org, delimiter):
    lines = ["First name", "Last name", "E-mail", "Company"], ["Ada", "Lovelace", "ada@example.com", "Analytical, Ltd"]
    text = "\r\n".join(delimiter.join(cells) for cells in lines)
    job = run_import(db, org, text.encode())
    ada = contact(db, org, "ada@example.com")
    assert (job.imported, ada.first_name, ada.last_name, ada.company) == (1, "Ada", "Lovelace", "Analytical, Ltd")


def test_the_report_says_what_became_of_each_row_and_bad_rows_do_not_block_good_ones(db, org):
    suppress(SuppressionChannel.EMAIL, "gone@example.com", SuppressionReason.UNSUBSCRIBED)
    contact_for(org.id, normalise_email("known@example.com"), {"first_name": "Old", "company": "Old Co"})
    db.session.commit()
    text = (HEADER
            + "Ada Lovelace,ada@example.com,,Analytical,Countess,\n"      # 2 imported
            + "Bad Mail,ada@,,,,\n"                                         # 3 bad email
            + "Bad Phone,phone@example.com,12,,,\n"                         # 4 bad phone
            + "\n"                                                          # 5 an empty line: no report
            + "Ada Again,ADA@example.com,,,,\n"                            # 6 repeats row 2
            + "Gone Person,gone@example.com,,,,\n"                          # 7 suppressed, still imported
            + "New Name,known@example.com,,New Co,,\n"                      # 8 updated
            + "No Mail,,,,,\n")                                             # 9 no email
    job = run_import(db, org, text.encode())
    rows = report(db, job)
    assert rows.keys() == {2, 3, 4, 6, 7, 8, 9}
    assert rows[2] == (ImportOutcome.IMPORTED, "")
    assert rows[3][0] == ImportOutcome.SKIPPED and "ada@" in rows[3][1] and "after the @-sign" in rows[3][1]
    assert rows[4][0] == ImportOutcome.SKIPPED and "phone number “12”" in rows[4][1]
    assert rows[6] == (ImportOutcome.SKIPPED, "Row 6 repeats the address of row 2.")
    assert rows[7][0] == ImportOutcome.IMPORTED and "no marketing mail" in rows[7][1]
    assert rows[8] == (ImportOutcome.UPDATED, "")
    assert rows[9] == (ImportOutcome.SKIPPED, "No email address.")
    assert (job.total_rows, job.processed_rows, job.imported, job.updated, job.skipped, job.suppressed) == \
        (7, 7, 2, 1, 4, 1)
    known = contact(db, org, "known@example.com")
    # the back office may update the profile: non-empty values overwrite, empty ones erase nothing
    assert (known.first_name, known.last_name, known.company) == ("New", "Name", "New Co")
    assert known.origin == ""  # not a contact this import made


def test_consent_is_recorded_with_its_source_time_and_basis_but_not_for_suppressed_addresses(db, org):
    suppress(SuppressionChannel.EMAIL, "gone@example.com", SuppressionReason.BOUNCED)
    db.session.commit()
    text = ("Email,Opt-in\nyes@example.com,Yes\nshi@example.com,是\nno@example.com,no\n"
            "gone@example.com,yes\n")
    basis = "Ticked 'keep me informed' at our stand, Expo 2026"
    job = run_import(db, org, text.encode(), filename="expo.csv", consent_text=basis)
    records = db.session.scalars(sa.select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [record.contact.email for record in records] == ["yes@example.com", "shi@example.com"]
    assert {(r.purpose, r.source, r.text) for r in records} == {("marketing_email", "import:expo.csv", basis)}
    assert all(job.started_at <= record.recorded_at <= job.finished_at for record in records)
    consented = {c.email: c.marketing_consent for c in db.session.scalars(sa.select(Contact))}
    assert consented == {"yes@example.com": True, "shi@example.com": True, "no@example.com": False,
                         "gone@example.com": False}


def test_a_consent_column_needs_the_consent_basis():
    mapping = guess_mapping(["Email", "Consent"])
    assert "consent basis" in importing.mapping_problem(mapping, "  ")
    assert importing.mapping_problem(mapping, "Signed up at the fair") is None
    assert "Email" in importing.mapping_problem(["name", ""], "")
    assert "Two columns" in importing.mapping_problem(["email", "email"], "")


def test_xlsx_dates_numbers_phones_formulas_and_empty_lines(app, db, org, monkeypatch):
    monkeypatch.setitem(app.config, "PHONE_REGION", "CN")
    content = xlsx([
        ["姓名", "Email", "手机", "公司", "Employees", "City"],
        ["李雷", "li.lei@example.cn", 13800138000, Formula(("=HYPERLINK(\"http://evil\")", "Evil Inc")), 250.0,
         date(2026, 3, 1)],
        [None, None, None, None, None, None],
        ["Ada Lovelace", "ada@example.com", "+44 20 7946 0958", "+cmd|' /C calc'!A0", 1200, "=SUM(1)"],
    ])
    job = run_import(db, org, content, filename="list.xlsx")
    assert (job.total_rows, job.imported, job.skipped) == (2, 2, 0)
    assert report(db, job).keys() == {2, 4}  # the empty row 3 keeps its number out of the report
    li = contact(db, org, "li.lei@example.cn")
    assert (li.last_name, li.first_name, li.phone, li.company_size, li.city) == \
        ("李", "雷", "+8613800138000", "250", "2026-03-01")
    assert li.company == "Evil Inc"  # a formula comes in as the value Excel saved with it, never run
    ada = contact(db, org, "ada@example.com")
    assert (ada.company, ada.city, ada.company_size) == ("+cmd|' /C calc'!A0", "=SUM(1)", "1200")


def test_a_formula_cell_is_read_as_its_saved_value():
    content = xlsx([["Email", "Company"], ["a@example.com", "plain"],
                    ["b@example.com", Formula(("=1+1", "cached result"))], ["c@example.com", Formula(("=1+1", 0))]])
    sheet = importing.open_sheet(content)
    assert list(sheet.rows) == [(2, ["a@example.com", "plain"]), (3, ["b@example.com", "cached result"]),
                                (4, ["c@example.com", "0"])]


def test_a_broken_xlsx_cell_is_a_clear_message(app):
    """A number cell whose saved value is no number: openpyxl fails on it while the rows are read."""
    source, target = zipfile.ZipFile(io.BytesIO(xlsx([["Email", "Count"], ["a@example.com", 1]]))), io.BytesIO()
    with zipfile.ZipFile(target, "w") as rebuilt:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v>1</v>", b"<v>not a number</v>")
            rebuilt.writestr(item, data)
    with app.test_request_context(), pytest.raises(UnreadableFile) as refused:
        list(importing.open_sheet(target.getvalue()).rows)
    assert "cannot be read" in str(refused.value)


def test_formula_looking_csv_cells_are_stored_as_the_text_they_are(db, org):
    text = "Email,Company,Job title\nx@example.com,=HYPERLINK(\"http://evil\";\"x\"),-2+3\n"
    run_import(db, org, text.encode())
    x = contact(db, org, "x@example.com")
    assert (x.company, x.job_title) == ("=HYPERLINK(\"http://evil\";\"x\")", "-2+3")


def test_cells_as_text():
    assert cell_text(13800138000.0) == "13800138000"
    assert cell_text(2.5) == "2.5"
    assert cell_text(datetime(2026, 3, 1)) == "2026-03-01"
    assert cell_text(datetime(2026, 3, 1, 9, 30)) == "2026-03-01 09:30:00"
    assert cell_text(None) == ""


def test_names_split_as_people_write_them():
    assert split_name("Ada Lovelace") == ("Ada", "Lovelace")
    assert split_name("Ada King Lovelace") == ("Ada King", "Lovelace")
    assert split_name("王芳") == ("芳", "王")
    assert split_name("诸葛 亮") == ("亮", "诸葛")
    assert split_name("Cher") == ("Cher", "")


def test_headers_in_english_and_chinese_are_guessed():
    assert guess_mapping(["Full Name", "E-mail", "Phone", "Organisation", "Position", "Company size", "Industry",
                          "City", "Tags", "Opt-in", "Notes"]) == [
        "name", "email", "phone", "company", "job_title", "company_size", "industry", "city", "tags", "consent", ""]
    assert guess_mapping(["姓", "名", "电子邮件", "电话", "单位", "职务", "公司规模", "行业", "城市", "标签", "同意"]) == [
        "last_name", "first_name", "email", "phone", "company", "job_title", "company_size", "industry", "city",
        "tags", "consent"]
    assert guess_mapping(["Email", "email"]) == ["email", ""]  # a field once


def test_long_and_hostile_text_is_cut_at_the_column_lengths(db, org):
    text = f"Email,Company,Tags\nlong@example.com,{'A' * 5000},{'t' * 100};ok；vip、OK\n"
    run_import(db, org, text.encode())
    long = contact(db, org, "long@example.com")
    assert len(long.company) == 200 and sorted(tag.tag for tag in long.tags) == ["ok", "t" * 60, "vip"]


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel file"),
    (b"PK\x03\x04 not really a zip", "not a CSV or XLSX"),
    (b"", "empty"),
    (b"Email\n", "no rows of contacts"),
    (b"\x00\x01\x02binary", "not a CSV or XLSX"),
])
def test_files_that_are_no_contact_list_are_refused_with_a_reason(app, db, org, content, message):
    with app.test_request_context(), pytest.raises(UnreadableFile) as refused:
        importing.new_import(org.id, None, "x.csv", content)
    assert message in str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 0


def test_too_many_rows_are_refused(app, db, org, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 5)
    with app.test_request_context(), pytest.raises(UnreadableFile) as refused:
        importing.new_import(org.id, None, "x.csv", b"Email\n" + b"a@example.com\n" * 6)
    assert "more than 5 rows" in str(refused.value)


def test_a_job_resumes_after_its_last_committed_chunk(db, org, monkeypatch):
    monkeypatch.setattr(importing, "ROWS_PER_CHUNK", 10)
    lines = [f"p{number}@example.com,P{number}" for number in range(35)] + ["p3@example.com,Again"]
    lines[1:1] = ["bad@,Skipped"] * 3  # skipped rows count towards a chunk too
    job = importing.new_import(org.id, None, "big.csv", ("Email,Name\n" + "\n".join(lines)).encode())
    importing.start(job, job.mapping, "")
    db.session.commit()
    assert importing.claim(job.id, 60)
    assert importing.run(job, seconds=0) is False  # stopped after its first chunk, as a killed worker would
    db.session.expire_all()
    job = db.session.get(ImportJob, job.id)
    assert (job.processed_rows, job.last_row, job.skipped, job.locked_until) == (10, 11, 3, None)
    assert importing.runnable_jobs() == [job.id]
    assert importing.claim(job.id, 60)
    assert importing.run(job) is True
    db.session.expire_all()
    job = db.session.get(ImportJob, job.id)
    assert (job.status, job.processed_rows, job.imported, job.skipped) == (ImportStatus.DONE, 39, 35, 4)
    assert report(db, job)[40] == (ImportOutcome.SKIPPED, "Row 40 repeats the address of row 8.")
    assert job.content is None  # the list is not kept once imported


def test_a_held_job_is_not_taken_by_a_second_worker(db, org):
    job = importing.new_import(org.id, None, "x.csv", b"Email\na@example.com\n")
    importing.start(job, job.mapping, "")
    db.session.commit()
    assert importing.claim(job.id, 60) is True
    assert importing.claim(job.id, 60) is False
    assert importing.runnable_jobs() == []


# ---- the report in its reader's language (issue 17, part 5) ----------------------------------------------------

def test_the_report_is_written_in_the_language_the_organiser_reads(db, org, make_user):
    """The worker has no request: the reasons are written in the uploader's language, else the organisation's."""
    import re

    org.language = "zh_Hans"
    db.session.commit()
    job = run_import(db, org, (HEADER + "Ada Lovelace,not-an-email,,Acme,CTO,\n").encode())
    [(outcome, reason)] = report(db, job).values()
    assert outcome == ImportOutcome.SKIPPED and re.search(r"[\u4e00-\u9fff]", reason), reason
    assert importing.report_language(job) == "zh_Hans"
    english_reader = make_user()
    english_reader.language = "en"
    job.user_id = english_reader.id
    assert importing.report_language(job) == "en"


def test_an_import_that_fails_says_so_in_the_language_the_organiser_reads(app, db, org, monkeypatch):
    """A bug in the worker fails the job once, with a sentence its organiser can read."""
    import re

    from eventapp.invitations import import_jobs

    org.language = "zh_Hans"
    db.session.commit()
    content = (HEADER + "Ada Lovelace,ada@example.com,,Acme,CTO,\n").encode()
    job = importing.new_import(org.id, None, "list.csv", content, "")
    importing.start(job, job.mapping, "")
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(importing, "run", broken)
    import_jobs.continue_imports()
    db.session.expire_all()
    failed = db.session.get(ImportJob, job.id)
    assert failed.status == ImportStatus.FAILED and re.search(r"[\u4e00-\u9fff]", failed.error), failed.error
