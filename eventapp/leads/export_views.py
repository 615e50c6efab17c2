"""Back office: the lead export form and its download (issue 16, helper "exports")."""
from flask import Blueprint, render_template
from flask_login import current_user

from eventapp.accounts.views import require_back_office
from eventapp.core.spreadsheet import download
from eventapp.extensions import db
from eventapp.leads import exports
from eventapp.leads.export_forms import LeadExportForm

bp = Blueprint("lead_exports", __name__, url_prefix="/admin/leads/export")
bp.before_request(require_back_office)


def _organisation_id() -> int:
    return current_user.membership.organisation_id


@bp.get("/")
def index(form=None, status=200):
    organisation_id = _organisation_id()
    form = form or LeadExportForm(choices=exports.choices(organisation_id), organisation_id=organisation_id)
    return render_template("leads/exports/index.html", form=form, past=exports.past_exports(organisation_id),
                           describe=exports.describe, columns=exports.HEADER), status


@bp.post("/")
def export():
    """Log the export (committed first: a download that breaks off is still on record), then stream its file."""
    organisation_id = _organisation_id()
    form = LeadExportForm(choices=exports.choices(organisation_id), organisation_id=organisation_id)
    if not form.validate():
        return index(form, 422)
    try:
        logged = exports.start_export(organisation_id, current_user.id, form.filters(),
                                      exports.ExportFormat(form.file_format.data))
    except exports.FilterRefused as refused:  # a row chosen was deleted since the form was checked
        db.session.rollback()
        for name, problem in refused.problems.items():
            form[name].errors = [problem]
        return index(form, 422)
    db.session.commit()
    return download(exports.table(logged), exports.filename(logged), logged.format)
