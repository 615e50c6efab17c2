"""Importing a contact list in the back office: upload → the first rows with a guessed column mapping to correct →
the import in the background, with its progress → the report, paged and as a CSV download. (Here in layer 5
because the role check lives in accounts, a sibling contacts may not import.)"""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.validators import ValidationError

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.contacts import importing
from eventapp.contacts.models import Contact, ImportJob, ImportOutcome, ImportRow
from eventapp.core.paging import page_number, page_of
from eventapp.core.spreadsheet import Table, download
from eventapp.extensions import csrf, db
from eventapp.invitations import import_jobs
from eventapp.invitations.import_forms import UploadForm, chosen_mapping, mapping_form

bp = Blueprint("contacts_import", __name__, url_prefix="/admin/contacts/import")
bp.before_request(require_back_office)

REPORT_PAGE_SIZE = 100
# The progress page reloads itself this often (a Refresh header: no script, and the organiser may leave).
REFRESH_SECONDS = 2
# The upload's own limit (every other page keeps MAX_CONTENT_LENGTH's 2 MB): the file and the form around it.
UPLOAD_LIMIT = importing.MAX_BYTES + 64 * 1024


@bp.route("", methods=["GET", "POST"])
@csrf.exempt  # checked below, once the upload's larger limit is set (CSRFProtect reads the form before any view)
def upload():
    organisation_id = current_user.membership.organisation_id
    problem = None
    if request.method == "POST":
        if _too_large():
            form, problem = UploadForm(formdata=MultiDict()), _(  # a body over the limit is never read
                "The file is larger than %(size)d MB. Split it into smaller files.",
                size=importing.MAX_BYTES // (1024 * 1024))
        else:
            content, filename, problem = _uploaded_file()
            form = UploadForm()
        if problem is None and form.validate():
            try:
                job = importing.new_import(organisation_id, current_user.id, filename, content,
                                           form.consent_text.data or "")
            except importing.UnreadableFile as error:
                problem = str(error)
            else:
                db.session.commit()
                return redirect(url_for(".job", import_id=job.id), 303)
    else:
        form = UploadForm()
    return render_template("contacts/import_upload.html", form=form, problem=problem,
                           imports=importing.recent_imports(organisation_id),
                           max_mb=importing.MAX_BYTES // (1024 * 1024), max_rows=importing.MAX_ROWS), \
        422 if request.method == "POST" else 200


def _too_large() -> bool:
    """Whether the posted body is over the upload's limit (then it is not read)."""
    request.max_content_length = UPLOAD_LIMIT
    try:
        request.form  # noqa: B018  (parses the body, within the limit)
    except RequestEntityTooLarge:
        return True
    return False


def _uploaded_file() -> tuple[bytes, str, str | None]:
    """The uploaded file's bytes and name, or the reason there are none. Checks the CSRF token first."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as error:
        raise CSRFError(error.args[0]) from None
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return b"", "", _("Choose a CSV or XLSX file to upload.")
    return upload.read(importing.MAX_BYTES + 1), upload.filename, None


@bp.route("/<int:import_id>", methods=["GET", "POST"])
def job(import_id):
    job = own_or_404(ImportJob, import_id)
    if job.is_previewed:
        return _mapping_page(job)
    if request.method == "POST":  # a second click on Start, or a form left open: it is running already
        return redirect(url_for(".job", import_id=job.id), 303)
    rows = page_of(_report_query(job, request.args.get("show") != "all"),
                   page_number(request.args.get("page")), REPORT_PAGE_SIZE, scalars=False)
    response = render_template("contacts/import_job.html", job=job, rows=rows, show=request.args.get("show"))
    headers = {"Refresh": str(REFRESH_SECONDS)} if job.is_running else {}
    return response, 200, headers


def _mapping_page(job: ImportJob):
    try:
        sheet = importing.preview(job)
    except importing.UnreadableFile:
        abort(404)  # read when it was uploaded; only a changed stored file gets here
    form = mapping_form(sheet.header, job.mapping, job.consent_text)
    problem = None
    if form.validate_on_submit():
        mapping = chosen_mapping(form, len(sheet.header))
        problem = importing.mapping_problem(mapping, form.consent_text.data or "")
        if problem is None:
            import_jobs.start_in_background(job, mapping, form.consent_text.data or "")
            return redirect(url_for(".job", import_id=job.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("contacts/import_mapping.html", job=job, sheet=sheet, form=form, problem=problem,
                           columns=[form[f"column_{index}"] for index in range(len(sheet.header))]), status


def _report_query(job: ImportJob, skipped_only: bool):
    outcome = ImportOutcome.SKIPPED if skipped_only else None
    return importing.report_rows(job, outcome).add_columns(Contact.email).outerjoin(
        Contact, Contact.id == ImportRow.contact_id)


@bp.get("/<int:import_id>/report.csv")
def report(import_id):
    job = own_or_404(ImportJob, import_id)
    header = [_("Row"), _("Outcome"), _("Reason"), _("Email")]
    return download(Table(_("Import report"), header, _report_lines(job.id)), f"import-{job.id}-report", "csv")


def _report_lines(job_id: int):
    """Read as the download streams (a generator: the query runs on the first row, in the streaming context)."""
    labels = {outcome: str(outcome.label) for outcome in ImportOutcome}
    for number, outcome, reason, email in db.session.execute(
            importing.report_table(job_id).execution_options(yield_per=1000)):
        yield number, labels[outcome], reason, email or ""
