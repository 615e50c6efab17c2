"""Organisers download attendance and the check-in log of their own events, as CSV or XLSX."""
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from eventapp.accounts.views import require_back_office
from eventapp.checkin import exports
from eventapp.core.spreadsheet import download
from eventapp.events.models import Event
from eventapp.extensions import db

bp = Blueprint("exports", __name__, url_prefix="/admin/events")
bp.before_request(require_back_office)

FORMATS = "any(csv, xlsx)"


def _own_event(event_id: int) -> Event:
    """Another organisation's event is 404, not 403 (ids are not a lookup service)."""
    event = db.session.get(Event, event_id)
    if event is None or event.organisation_id != current_user.membership.organisation_id:
        abort(404)
    return event


@bp.get(f"/<int:event_id>/attendance.<{FORMATS}:file_format>")
def attendance(event_id, file_format):
    event = _own_event(event_id)
    try:
        statuses = exports.parse_statuses(request.args.getlist("status"))
    except exports.UnknownStatus as error:
        return render_template("errors/error.html", code=400, title=_("Unknown status"), message=str(error)), 400
    return download(exports.attendance(event, statuses), f"{event.slug}-attendance", file_format)


@bp.get(f"/<int:event_id>/checkins.<{FORMATS}:file_format>")
def checkins(event_id, file_format):
    event = _own_event(event_id)
    return download(exports.checkin_log(event), f"{event.slug}-checkins", file_format)
