"""Importing contact lists: reading CSV (UTF-8 or GB18030; comma, semicolon or tab) and XLSX files, guessing what
each column holds, and importing the rows in chunks with a report per row. The back office and the CLI both run
`import_rows` on an ImportJob; the background side (starting, resuming) lives with the views, in invitations."""
import csv
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from eventapp import signals
from eventapp.contacts.models import (ConsentPurpose, ConsentRecord, Contact, ContactTag, ImportJob, ImportOutcome,
                                      ImportRow, ImportStatus, Suppression, SuppressionChannel)
from eventapp.contacts.editing import TAG_MAX, TAGS_PER_CONTACT, parse_tags, tags_of
from eventapp.contacts.names import split_name
from eventapp.contacts.normalisation import InvalidInput, normalise_email, normalise_phone, phone_region
from eventapp.contacts.operations import update_contact
from eventapp.core.enums import LabelledEnum
from eventapp.core.i18n import DEFAULT_LANGUAGE, normalise_language
from eventapp.core.statements import dialect_insert
from eventapp.core.time import utcnow
from eventapp.extensions import db

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 60  # a wider sheet is cut: no contact list needs more, and a hostile one could have thousands
PREVIEW_ROWS = 10
ROWS_PER_CHUNK = 500  # one transaction each; progress moves after each
CONSENT_PURPOSE = ConsentPurpose.MARKETING_EMAIL


class ImportField(LabelledEnum):
    IGNORE = "", _l("(ignore this column)")
    NAME = "name", _l("Full name")
    FIRST_NAME = "first_name", _l("Given name")
    LAST_NAME = "last_name", _l("Family name")
    EMAIL = "email", _l("Email")
    PHONE = "phone", _l("Mobile phone")
    COMPANY = "company", _l("Company")
    JOB_TITLE = "job_title", _l("Job title")
    COMPANY_SIZE = "company_size", _l("Company size")
    INDUSTRY = "industry", _l("Industry")
    CITY = "city", _l("City")
    TAGS = "tags", _l("Tags")
    CONSENT = "consent", _l("Marketing consent")
    LANGUAGE = "language", _l("Language")


# Header names people use, folded (lower case, no spaces, dashes, underscores or dots), English and Chinese.
HEADER_NAMES = {
    ImportField.NAME: ("name", "fullname", "contactname", "contact", "姓名", "名字", "联系人"),
    ImportField.FIRST_NAME: ("firstname", "givenname", "forename", "first", "名"),
    ImportField.LAST_NAME: ("lastname", "familyname", "surname", "last", "姓"),
    ImportField.EMAIL: ("email", "emailaddress", "mail", "邮箱", "电子邮件", "电子邮箱", "邮件", "邮箱地址"),
    ImportField.PHONE: ("mobile", "phone", "mobilephone", "phonenumber", "cellphone", "cell", "tel", "telephone",
                        "手机", "电话", "手机号", "手机号码", "电话号码", "联系电话"),
    ImportField.COMPANY: ("company", "organisation", "organization", "companyname", "employer", "公司", "单位",
                          "公司名称", "工作单位", "企业"),
    ImportField.JOB_TITLE: ("jobtitle", "title", "position", "role", "职位", "职务", "职称", "岗位"),
    ImportField.COMPANY_SIZE: ("companysize", "employees", "size", "numberofemployees", "公司规模", "规模",
                               "员工人数"),
    ImportField.INDUSTRY: ("industry", "sector", "行业", "所属行业"),
    ImportField.CITY: ("city", "town", "城市", "所在城市"),
    ImportField.TAGS: ("tags", "tag", "labels", "标签"),
    ImportField.CONSENT: ("consent", "optin", "marketingconsent", "emailoptin", "subscribed", "同意",
                          "营销同意", "是否同意"),
    ImportField.LANGUAGE: ("language", "lang", "preferredlanguage", "locale", "语言", "语种", "首选语言"),
}
_FIELD_BY_HEADER = {name: field for field, names in HEADER_NAMES.items() for name in names}
_FOLD = re.compile(r"[\s\-_.:：*（）()]+")

# Column lengths of Contact: longer values are cut, never refused (a row is not bad because a title is long).
LENGTHS = {"first_name": 100, "last_name": 100, "company": 200, "job_title": 200, "company_size": 40,
           "industry": 100, "city": 100}
PROFILE = ("company_size", "industry", "city")  # beside contacts.operations.CONTACT_DETAILS
TRUTHY = frozenset({"yes", "y", "true", "1", "x", "是", "同意", "是的", "y/yes", "opt-in", "optin"})

# Signatures of files people upload by mistake, so we can say what the file is instead of "not readable".
_NOT_A_LIST = ((b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"%PDF", "PDF"))
_OLD_EXCEL = b"\xd0\xcf\x11\xe0"  # .xls (and .doc): the OLE2 container
_ZIP = b"PK\x03\x04"


class UnreadableFile(ValueError):
    """The file cannot be imported at all; the message says why, for the organiser."""


@dataclass
class Sheet:
    """A file's header and its data rows, each with its row number as the spreadsheet shows it (header = 1)."""
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]


# ---- reading files ----------------------------------------------------------------------------------------------

def open_sheet(content: bytes) -> Sheet:
    """The file's header and rows, from an XLSX or a CSV file; UnreadableFile with the reason otherwise."""
    if not content.strip():
        raise UnreadableFile(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise UnreadableFile(_("The file is larger than %(size)d MB. Split it into smaller files.",
                               size=MAX_BYTES // (1024 * 1024)))
    for signature, kind in _NOT_A_LIST:
        if content.startswith(signature):
            raise UnreadableFile(_("This is a %(kind)s file, not a contact list. Upload a CSV or XLSX file.",
                                   kind=kind))
    if content.startswith(_OLD_EXCEL):
        raise UnreadableFile(_("This is an old Excel file (.xls). In Excel, save it as .xlsx or CSV and upload "
                               "that."))
    rows = _xlsx_rows(content) if content.startswith(_ZIP) else _csv_rows(content)
    return _with_header(rows)


def _with_header(rows: Iterator[list[str]]) -> Sheet:
    numbered = enumerate(rows, 1)
    for number, cells in numbered:
        header = [cell.strip() for cell in cells[:MAX_COLUMNS]]
        while header and not header[-1]:
            header.pop()  # XLSX rows come padded to the sheet's width
        if header:  # blank lines above the header are skipped
            return Sheet(header, _data_rows(numbered, len(header)))
    raise UnreadableFile(_("The file has no header row: its first row must name the columns."))


def _data_rows(numbered, width: int) -> Iterator[tuple[int, list[str]]]:
    """Rows cut or padded to the header's width; empty lines are left out (their numbers still count)."""
    for number, cells in numbered:
        cells = cells[:width]
        if not any(cell.strip() for cell in cells):
            continue
        if number - 1 > MAX_ROWS:
            raise UnreadableFile(_("The file has more than %(count)d rows. Split it into smaller files.",
                                   count=MAX_ROWS))
        yield number, cells + [""] * (width - len(cells))


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    text = _decoded(content)
    if "\x00" in text:
        raise UnreadableFile(_("This file is not a CSV or XLSX file. Upload a contact list saved as CSV or XLSX."))
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)):
            yield cells
    except csv.Error as error:
        raise UnreadableFile(_("The CSV file is malformed: %(problem)s", problem=str(error))) from None


def _decoded(content: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else GB18030, what Excel on Chinese Windows saves (a
    superset of GBK and GB2312)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableFile(_("The file's text is neither UTF-8 nor GB18030/GBK. Save it from Excel as "
                               "\"CSV UTF-8\" and upload it again.")) from None


def _delimiter(text: str) -> str:
    """Comma, semicolon (Excel in many European locales) or tab: the Sniffer's answer limited to those, else the
    one the first line holds most of."""
    sample = text[:64 * 1024]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        return max(",;\t", key=first_line.count)


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    """The first sheet's cells as text. Read-only (streams) and data_only: a formula cell gives the value Excel
    saved with it (or nothing), never the formula to run."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except (zipfile.BadZipFile, KeyError, ValueError, IndexError, OSError, TypeError):
        raise UnreadableFile(_("This file is not a CSV or XLSX file. Upload a contact list saved as CSV or "
                               "XLSX.")) from None
    except Exception:  # noqa: BLE001  (openpyxl's own errors for a broken workbook: the file, not us)
        raise UnreadableFile(_("This XLSX file cannot be read. Open it in Excel, save it again and upload "
                               "it.")) from None
    try:
        for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            yield [cell_text(value) for value in values]
    except (ValueError, TypeError, KeyError, zipfile.BadZipFile, OSError):  # a cell openpyxl cannot read
        raise UnreadableFile(_("This XLSX file cannot be read. Open it in Excel, save it again and upload "
                               "it.")) from None
    finally:
        workbook.close()


def cell_text(value) -> str:
    """A spreadsheet cell as the text it shows: dates as ISO dates, whole numbers without ".0" or an exponent (a
    phone number typed as a number is 13800138000, not 1.38E+10)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == clock_time() else value.isoformat(sep=" ")
    if isinstance(value, date | clock_time):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        shown = repr(value)
        return shown if "e" not in shown else format(value, "f")
    return str(value)


# ---- the mapping ------------------------------------------------------------------------------------------------

def guess_mapping(header: list[str]) -> list[str]:
    """The field each column probably holds, by its header name; each field once (the first column wins)."""
    taken, mapping = set(), []
    for name in header:
        guess = _FIELD_BY_HEADER.get(_FOLD.sub("", unicodedata.normalize("NFKC", name).lower()), ImportField.IGNORE)
        if guess in taken:
            guess = ImportField.IGNORE
        taken.add(guess)
        mapping.append(str(guess))
    return mapping


def mapping_problem(mapping: list[str], consent_text: str) -> str | None:
    """Why this mapping cannot be imported, or None."""
    chosen = [name for name in mapping if name]
    for name in set(chosen):
        if chosen.count(name) > 1:
            return _("Two columns are mapped to “%(field)s”. Map each field to one column.",
                     field=ImportField(name).label)
    if ImportField.EMAIL not in chosen:
        return _("Map one column to Email: contacts are matched by their email address.")
    if ImportField.CONSENT in chosen and not consent_text.strip():
        return _("A column is mapped to Marketing consent: say what these people consented to, and how (the "
                 "consent basis), or ignore that column.")
    return None


# ---- starting an import -----------------------------------------------------------------------------------------

def new_import(organisation_id: int, user_id: int | None, filename: str, content: bytes,
               consent_text: str = "") -> ImportJob:
    """An import waiting for its mapping, with the guessed one; UnreadableFile when the file cannot be imported.
    The whole file is read once here, so a file broken further down is refused now, with its row count known."""
    sheet = open_sheet(content)
    total = sum(1 for _row in sheet.rows)
    if total == 0:
        raise UnreadableFile(_("The file has a header row but no rows of contacts under it."))
    job = ImportJob(organisation_id=organisation_id, user_id=user_id, filename=_clean_filename(filename),
                    content=content, mapping=guess_mapping(sheet.header), consent_text=consent_text.strip(),
                    status=ImportStatus.PREVIEWED, total_rows=total)
    db.session.add(job)
    db.session.flush()
    return job


def _clean_filename(filename: str) -> str:
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name[:120] or "upload"


def preview(job: ImportJob) -> Sheet:
    """The header and the first rows, for the mapping page."""
    sheet = open_sheet(job.content)
    return Sheet(sheet.header, list(_first(sheet.rows, PREVIEW_ROWS)))


def _first(rows, count: int):
    for index, row in enumerate(rows):
        if index == count:
            return
        yield row


def start(job: ImportJob, mapping: list[str], consent_text: str) -> None:
    """The organiser chose the mapping: the job runs (in the background, or at once in the CLI)."""
    if not job.is_previewed:
        raise ValueError("only a previewed import can start")
    job.mapping = list(mapping)
    job.consent_text = consent_text.strip()
    job.status = ImportStatus.RUNNING
    job.started_at = utcnow()


# ---- running it, a chunk per transaction --------------------------------------------------------------------------

def claim(job_id: int, lease_seconds: float) -> bool:
    """Take a running job for this worker (one conditional UPDATE, committed); False when another worker holds
    it or it is not running."""
    now = utcnow()
    taken = db.session.execute(
        sa.update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status == ImportStatus.RUNNING,
               sa.or_(ImportJob.locked_until.is_(None), ImportJob.locked_until < now))
        .values(locked_until=now + timedelta(seconds=lease_seconds)).execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.commit()
    return taken


def runnable_jobs() -> list[int]:
    """Running jobs nobody holds (or whose holder died): the sweep continues them."""
    return list(db.session.execute(
        sa.select(ImportJob.id).where(ImportJob.status == ImportStatus.RUNNING,
                                      sa.or_(ImportJob.locked_until.is_(None), ImportJob.locked_until < utcnow()))
        .order_by(ImportJob.id)).scalars())


def run(job: ImportJob, *, seconds: float | None = None, lease_seconds: float = 300) -> bool:
    """Import the job's rows after its last committed chunk, a chunk per commit, until done (True) or until
    `seconds` have passed (False: the rest is for the next run). The caller holds the job (see claim). The
    report's reasons are sentences, written in the language its organiser reads (report_language)."""
    with force_locale(report_language(job)):
        return _run(job, seconds, lease_seconds)


# Read as accounts reads them (contacts may not import accounts): a user's own language, their organisation's.
_user_languages = sa.table("users", sa.column("id"), sa.column("language"))
_organisation_languages = sa.table("organisations", sa.column("id"), sa.column("language"))


def report_language(job: ImportJob) -> str:
    """The language of the organiser who uploaded the list, else their organisation's, else the app's default:
    the worker that writes the report has no request to take it from."""
    own = db.session.execute(sa.select(_user_languages.c.language).where(
        _user_languages.c.id == job.user_id)).scalar() if job.user_id is not None else ""
    organisation = db.session.execute(sa.select(_organisation_languages.c.language).where(
        _organisation_languages.c.id == job.organisation_id)).scalar()
    return normalise_language(own) or normalise_language(organisation) or DEFAULT_LANGUAGE


def _run(job: ImportJob, seconds: float | None, lease_seconds: float) -> bool:
    stop_at = None if seconds is None else time.monotonic() + seconds
    job_id, organisation_id = job.id, job.organisation_id
    try:
        sheet = open_sheet(job.content)
        chunk = _Chunk(job, _first_rows_seen(job))
        for number, cells in sheet.rows:
            if number <= chunk.after_row:
                continue
            chunk.add(number, cells)
            if chunk.size == ROWS_PER_CHUNK:
                chunk.commit(lease_seconds)
                if stop_at is not None and time.monotonic() > stop_at:
                    _release(job_id)
                    return False
        chunk.commit(lease_seconds)
    except UnreadableFile as error:
        fail(job_id, str(error))
        return True
    _finish(db.session.get(ImportJob, job_id), ImportStatus.DONE)
    # in the transaction that marks it done: the subscribers' rows (the timeline's) come with it or not at all
    signals.contacts_imported.send(signals.ContactsImported(import_id=job_id, organisation_id=organisation_id,
                                                            occurred_at=utcnow()))
    db.session.commit()
    return True


def fail(job_id: int, message) -> None:
    """The job cannot go on (its file broke further down, or a bug): say so on it rather than retry it at every
    sweep. The chunks committed before stay imported, and the report says which. A lazy `message` is written in
    the report's language (report_language)."""
    db.session.rollback()
    job = db.session.get(ImportJob, job_id)
    with force_locale(report_language(job)):
        _finish(job, ImportStatus.FAILED, str(message))
    db.session.commit()


def _release(job_id: int) -> None:
    db.session.execute(sa.update(ImportJob).where(ImportJob.id == job_id).values(locked_until=None))
    db.session.commit()


def _finish(job: ImportJob, status: ImportStatus, error: str = "") -> None:
    job.status = status
    job.error = error[:500]
    job.finished_at = utcnow()
    job.locked_until = None
    job.content = None  # the report keeps what happened; the list is not kept a second time


def _first_rows_seen(job: ImportJob) -> dict[str, int]:
    """For a resumed job: the row each address was first seen in, from the chunks committed before."""
    return dict(db.session.execute(
        sa.select(Contact.email_key, sa.func.min(ImportRow.row_number))
        .join(Contact, Contact.id == ImportRow.contact_id)
        .where(ImportRow.job_id == job.id).group_by(Contact.email_key)).all())


@dataclass
class _Row:
    number: int
    details: dict
    email: object = None
    tags: list = field(default_factory=list)
    consents: bool = False


class _Chunk:
    """Up to ROWS_PER_CHUNK rows, checked one by one, then written together: a SELECT for the contacts and the
    suppressions they match, bulk INSERTs for the new contacts, tags, consents and report rows."""

    def __init__(self, job: ImportJob, seen: dict[str, int]):
        self.job_id, self.organisation_id = job.id, job.organisation_id
        self.mapping = list(job.mapping)
        self.consent_text, self.source = job.consent_text, f"import:{job.filename}"[:200]
        self.region = phone_region(job.organisation_id)
        self.after_row = job.last_row
        self.seen = seen
        self.spelling = {tag.casefold(): tag for tag in tags_of(job.organisation_id)}
        self.rows: list[_Row] = []
        self.report: list[dict] = []

    @property
    def size(self) -> int:
        """Rows taken so far, good and skipped (a file of bad rows is committed in chunks too)."""
        return len(self.rows) + len(self.report)

    def add(self, number: int, cells: list[str]) -> None:
        values = {name: cells[index].strip() for index, name in enumerate(self.mapping) if name and index < len(cells)}
        try:
            row = self._checked(number, values)
        except InvalidInput as problem:
            self.report.append({"job_id": self.job_id, "row_number": number, "outcome": ImportOutcome.SKIPPED,
                                "reason": str(problem)[:300], "contact_id": None})
        else:
            self.rows.append(row)
        self.after_row = number

    def _checked(self, number: int, values: dict) -> _Row:
        raw_email = values.get(ImportField.EMAIL, "")
        if not raw_email:
            raise InvalidInput(_("No email address."))
        email = _email_or_reason(raw_email)
        if (first := self.seen.get(email.key)) is not None:
            raise InvalidInput(_("Row %(row)d repeats the address of row %(first)d.", row=number, first=first))
        phone = ""
        if raw_phone := values.get(ImportField.PHONE, ""):
            try:
                phone = normalise_phone(raw_phone, self.region)
            except InvalidInput as problem:
                raise InvalidInput(_("Bad phone number “%(phone)s”: %(problem)s", phone=raw_phone[:40],
                                     problem=problem)) from None
        self.seen[email.key] = number
        details = _details(values)
        details["phone"] = phone
        consents = bool(self.consent_text) and values.get(ImportField.CONSENT, "").lower() in TRUTHY
        return _Row(number, details, email, _tags(values.get(ImportField.TAGS, ""), self.spelling), consents)

    def commit(self, lease_seconds: float) -> None:
        """Write the chunk and move the job's progress on, in one transaction."""
        counts = self._write() if self.rows else {}
        skipped = sum(1 for entry in self.report if entry["outcome"] == ImportOutcome.SKIPPED)
        if self.report:
            db.session.execute(sa.insert(ImportRow), self.report)
        now = utcnow()
        db.session.execute(sa.update(ImportJob).where(ImportJob.id == self.job_id).values(
            last_row=self.after_row, processed_rows=ImportJob.processed_rows + len(self.report),
            imported=ImportJob.imported + counts.get(ImportOutcome.IMPORTED, 0),
            updated=ImportJob.updated + counts.get(ImportOutcome.UPDATED, 0),
            skipped=ImportJob.skipped + skipped, suppressed=ImportJob.suppressed + counts.get("suppressed", 0),
            locked_until=now + timedelta(seconds=lease_seconds)).execution_options(synchronize_session=False))
        db.session.commit()
        self.rows, self.report = [], []

    def _write(self) -> dict:
        keys = [row.email.key for row in self.rows]
        existing = {contact.email_key: contact for contact in db.session.scalars(sa.select(Contact).where(
            Contact.organisation_id == self.organisation_id, Contact.email_key.in_(keys)))}
        suppressed = set(db.session.scalars(sa.select(Suppression.address).where(
            Suppression.channel == SuppressionChannel.EMAIL, Suppression.address.in_(keys))))
        new_ids = self._insert_new([row for row in self.rows if row.email.key not in existing], suppressed)
        now = utcnow()
        counts = {ImportOutcome.IMPORTED: 0, ImportOutcome.UPDATED: 0, "suppressed": 0}
        tags, consents = [], []
        for row in self.rows:
            key = row.email.key
            contact = existing.get(key)
            if contact is not None:
                update_contact(contact, row.details, announce=False)
                for name in (*PROFILE, "language"):
                    if row.details.get(name):
                        setattr(contact, name, row.details[name])
                if row.consents and key not in suppressed:
                    contact.marketing_consent = True
            contact_id = contact.id if contact is not None else new_ids[key]
            outcome = ImportOutcome.UPDATED if contact is not None else ImportOutcome.IMPORTED
            counts[outcome] += 1
            reason = ""
            if key in suppressed:
                counts["suppressed"] += 1
                reason = _("Suppressed: this address unsubscribed, bounced or complained, and will get no "
                           "marketing mail.")
            elif row.consents:
                consents.append({"contact_id": contact_id, "purpose": CONSENT_PURPOSE, "granted": True,
                                 "text_version": "import", "text": self.consent_text, "source": self.source,
                                 "language": "", "ip_address": "", "user_agent": "", "recorded_at": now})
            tags.extend({"contact_id": contact_id, "tag": tag} for tag in row.tags)
            self.report.append({"job_id": self.job_id, "row_number": row.number, "outcome": outcome,
                                "reason": reason, "contact_id": contact_id})
        db.session.flush()
        if tags:
            db.session.execute(dialect_insert(ContactTag).on_conflict_do_nothing(), tags)
        if consents:
            db.session.execute(sa.insert(ConsentRecord), consents)
        self.report.sort(key=lambda entry: entry["row_number"])
        return counts

    def _insert_new(self, rows: list[_Row], suppressed: set) -> dict[str, int]:
        """One multi-row INSERT … RETURNING for the chunk's new contacts; their ids by email key."""
        if not rows:
            return {}
        now = utcnow()
        values = [{"organisation_id": self.organisation_id, "email": row.email.address, "email_key": row.email.key,
                   "first_name": "", "last_name": "", "company": "", "job_title": "", "company_size": "",
                   "industry": "", "city": "", **row.details, "origin": self.source, "referred_channel": "",
                   "marketing_consent": row.consents and row.email.key not in suppressed,
                   "created_at": now, "updated_at": now} for row in rows]
        table = Contact.__table__
        inserted = db.session.execute(table.insert().returning(table.c.email_key, table.c.id), values)
        return dict(inserted.all())


def _email_or_reason(raw: str):
    try:
        return normalise_email(raw)
    except InvalidInput as problem:
        try:
            validate_email(raw, check_deliverability=False)
            detail = str(problem)  # valid to the library but not mailable by us (see normalise_email)
        except EmailNotValidError as error:
            detail = str(error)
        raise InvalidInput(_("Bad email address “%(email)s”: %(problem)s", email=raw[:80], problem=detail)) \
            from None


def _details(values: dict) -> dict:
    """The contact's fields from a row, cut to their column lengths. Text stays text: a cell beginning with "=" is
    stored as typed (nothing here evaluates it; exports prefix it, see core.spreadsheet)."""
    details = {name: values.get(name, "") for name in ("first_name", "last_name", "company", "job_title",
                                                         *PROFILE)}
    if values.get(ImportField.NAME) and not (details["first_name"] or details["last_name"]):
        details["first_name"], details["last_name"] = split_name(values[ImportField.NAME])
    details = {name: _one_line(value)[:LENGTHS[name]] for name, value in details.items()}
    # The language their mails are in ("zh", "中文", "English"…); one we do not speak leaves it unknown.
    details["language"] = import_language(values.get(ImportField.LANGUAGE, ""))
    return details


# What people write in a language column, besides the tags normalise_language reads (zh, zh-CN, en-GB…).
LANGUAGE_WORDS = {"中文": "zh_Hans", "简体中文": "zh_Hans", "汉语": "zh_Hans", "普通话": "zh_Hans", "简体": "zh_Hans",
                  "chinese": "zh_Hans", "simplifiedchinese": "zh_Hans", "英文": "en", "英语": "en", "english": "en"}


def import_language(value: str) -> str:
    """One of core.i18n.LANGUAGES for a language cell, or "" (empty, or a language we do not speak)."""
    folded = _FOLD.sub("", value).casefold()
    return LANGUAGE_WORDS.get(folded) or normalise_language(value.strip())


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _tags(text: str, spelling: dict[str, str]) -> list[str]:
    """The cell's tags cut to the column's length, spelled as the organisation already spells them ('vip' is its
    'VIP'; `spelling` grows with the new ones), so one label never becomes two."""
    tags = []
    for tag in parse_tags(text)[:TAGS_PER_CONTACT]:
        tag = spelling.setdefault(tag[:TAG_MAX].casefold(), tag[:TAG_MAX])
        if tag not in tags:
            tags.append(tag)
    return tags


# ---- the report -------------------------------------------------------------------------------------------------

def report_rows(job: ImportJob, outcome: ImportOutcome | None = None):
    """The report's rows in row order, optionally of one outcome (a query, to page or to stream)."""
    query = sa.select(ImportRow).where(ImportRow.job_id == job.id).order_by(ImportRow.row_number)
    return query if outcome is None else query.where(ImportRow.outcome == outcome)


def report_table(job_id: int) -> sa.Select:
    """Every row of the report in row order as (row number, outcome, reason, the contact's email or None): the
    download's and the CLI's."""
    return (sa.select(ImportRow.row_number, ImportRow.outcome, ImportRow.reason, Contact.email)
            .outerjoin(Contact, Contact.id == ImportRow.contact_id).where(ImportRow.job_id == job_id)
            .order_by(ImportRow.row_number))


def recent_imports(organisation_id: int, limit: int = 20) -> list[ImportJob]:
    return list(db.session.scalars(sa.select(ImportJob).where(ImportJob.organisation_id == organisation_id)
                                   .order_by(ImportJob.created_at.desc(), ImportJob.id.desc()).limit(limit)))
