"""Organisers download attendance and the check-in log of their own events, as CSV or XLSX."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.checkin import exports
from eventapp.core.spreadsheet import download
from eventapp.events.models import Event

bp = Blueprint("exports", __name__, url_prefix="/admin/events")
bp.before_request(require_back_office)

FORMATS = "any(csv, xlsx)"


@bp.get(f"/<int:event_id>/attendance.<{FORMATS}:file_format>")
def attendance(event_id, file_format):
    event = own_or_404(Event, event_id)
    try:
        statuses = exports.parse_statuses(request.args.getlist("status"))
    except exports.UnknownStatus as error:
        return render_template("errors/error.html", code=400, title=_("Unknown status"), message=str(error)), 400
    return download(exports.attendance(event, statuses), f"{event.slug}-attendance", file_format)


@bp.get(f"/<int:event_id>/checkins.<{FORMATS}:file_format>")
def checkins(event_id, file_format):
    event = own_or_404(Event, event_id)
    return download(exports.checkin_log(event), f"{event.slug}-checkins", file_format)
