"""Registration's part of the organisers' back office: approving or declining a sign-up, and what registration
contributes to the event's pages (events asks through signals and imports nothing of registration)."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from eventapp import signals
from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.contacts.search import QUERY_MAX, matches as search_matches
from eventapp.core.forms import strip_line
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.registration import operations, reminders
from eventapp.registration.models import SEAT_HOLDING, Registration, RegistrationStatus
from eventapp.registration.notifications import ACTIVE_STATUSES, channels_for

bp = Blueprint("registrations", __name__, url_prefix="/admin")
bp.before_request(require_back_office)


@bp.post("/registrations/<int:registration_id>/<decision>")
def decide(registration_id, decision):
    """Approve or decline a sign-up that waits for approval; the person is told either way."""
    registration = own_or_404(Registration, registration_id)
    if decision not in ("approve", "decline"):
        abort(400)
    try:
        (operations.approve if decision == "approve" else operations.decline)(registration)
    except operations.RegistrationClosed as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(_("Approved; %(name)s gets their ticket.", name=registration.name) if decision == "approve"
              else _("Declined; %(name)s is told.", name=registration.name), "success")
    return redirect(url_for("events.detail", event_id=registration.event_id), code=303)


@signals.event_page_sections.connect
def _event_page(page: signals.EventPage, **_):
    event = db.session.get(Event, page.event_id)
    search = strip_line(request.args.get("q") or "")[:QUERY_MAX]  # the page's own search of its registrations
    query = sa.select(Registration).where(Registration.event_id == event.id)
    if search:
        query = query.where(search_matches(Registration.search_text, search))
    registrations = list(db.session.execute(query.order_by(Registration.created_at.desc())).scalars())
    return [signals.PageSection(10, "registration/_event_summary.html", {"closed": operations.closed_reason(event)},
                                slot="summary"),
            signals.PageSection(10, "registration/_event_actions.html", slot="actions"),
            signals.PageSection(40, "registration/_event_registrations.html",
                                {"registrations": registrations, "search": search})]


@signals.event_list_columns.connect
def _sign_ups(listed: signals.EventList, **_):
    """Sign-ups of each event (every registration but the cancelled ones), out of its capacity when it has one."""
    counts = dict(db.session.execute(
        sa.select(Registration.event_id, sa.func.count())
        .where(Registration.event_id.in_(listed.event_ids), Registration.status != RegistrationStatus.CANCELLED)
        .group_by(Registration.event_id)).all())
    capacities = dict(db.session.execute(
        sa.select(Event.id, Event.capacity).where(Event.id.in_(listed.event_ids))).all())
    return signals.ListColumn(10, str(_l("Sign-ups")), {
        event_id: f"{counts.get(event_id, 0)} / {capacity}" if capacity else str(counts.get(event_id, 0))
        for event_id, capacity in capacities.items()})


@signals.cancellation_audience.connect
def _told_of_cancellation(page: signals.EventPage, **_):
    """Counted by the rule the cancellation mails are queued by (notifications): every active registration by
    email, and by SMS too where channels_for says so."""
    registrations = db.session.execute(
        sa.select(Registration).options(selectinload(Registration.event))
        .where(Registration.event_id == page.event_id, Registration.status.in_(ACTIVE_STATUSES))).scalars().all()
    return signals.Audience(email=len(registrations), sms=sum("sms" in channels_for(r) for r in registrations))


@signals.capacity_changing.connect
def _seats_still_held(change: signals.CapacityChange, **_):
    """Fewer seats than people holding one would leave them without a seat the page promised: say so."""
    if change.new_capacity is None:
        return None
    held = seats_held(change.event_id)
    if change.new_capacity >= held:
        return None
    return ngettext("%(num)d person already holds a seat; set at least %(num)d or cancel some registrations first.",
                    "%(num)d people already hold a seat; set at least %(num)d or cancel some registrations first.",
                    held)


def seats_held(event_id: int) -> int:
    """Registrations holding a seat now (confirmed, or awaiting approval), counted whether or not a limit is set."""
    return db.session.execute(sa.select(sa.func.count()).select_from(Registration).where(
        Registration.event_id == event_id, Registration.status.in_(SEAT_HOLDING))).scalar()


@signals.capacity_changed.connect
def _recount_seats(change: signals.CapacityChange, **_):
    if change.new_capacity is not None:  # a limit is set or changed: its seat counter starts from the truth
        operations.recount_seats(db.session.get(Event, change.event_id))


@signals.event_created.connect
def _default_reminders(change: signals.EventChange, **_):
    reminders.add_default_rules(db.session.get(Event, change.event_id))


@signals.event_saved.connect
def _sms_reminders_paused(change: signals.EventChange, **_):
    if "sms_enabled" not in change.changed:
        return None
    paused = reminders.paused_sms_rules(db.session.get(Event, change.event_id))
    if not paused:
        return None
    return ngettext("SMS is off for this event now, so its SMS reminder is paused: it sends nothing until you offer "
                    "SMS again (or remove it under Messages and reminders).",
                    "SMS is off for this event now, so its %(num)d SMS reminders are paused: they send nothing until "
                    "you offer SMS again (or remove them under Messages and reminders).", paused)
