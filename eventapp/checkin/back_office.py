"""The door's part of the organisers' back office: who works an event's door, and what the door contributes to the
event's page (the scanner, its staff, the attendance downloads). events asks through signals and imports nothing
of the door."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from eventapp import signals
from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.checkin import staffing
from eventapp.events.models import Event
from eventapp.extensions import db

bp = Blueprint("door_staff", __name__, url_prefix="/admin")
bp.before_request(require_back_office)


@bp.post("/events/<int:event_id>/staff")
def assign(event_id):
    """Give a staff account the door of this event (staff see only the events they are given)."""
    event = own_or_404(Event, event_id)
    try:
        user = staffing.assign_staff(event, (request.form.get("email") or "").strip()[:320])
    except staffing.StaffingRefused as refused:
        flash(refused.message, "error")
    else:
        flash(_("%(email)s can now check people in at this event.", email=user.email), "success")
    return redirect(url_for("events.detail", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/staff/<int:user_id>/remove")
def remove(event_id, user_id):
    """Take a staff account off this event's door: their scanner stops working for it at once."""
    event = own_or_404(Event, event_id)
    user = staffing.remove_staff(event, user_id)
    if user is None:  # a double click's other request, or someone already took them off
        flash(_("That account is not on this event's door."), "info")
    else:
        flash(_("%(email)s is off this event's door: their scanner no longer works for it.", email=user.email),
              "success")
    return redirect(url_for("events.detail", event_id=event.id), code=303)


@signals.event_page_sections.connect
def _event_page(page: signals.EventPage, **_):
    event = db.session.get(Event, page.event_id)
    return [signals.PageSection(20, "checkin/_event_exports.html", slot="summary"),
            signals.PageSection(20, "checkin/_event_door.html", {"door_staff": staffing.door_staff(event)})]
