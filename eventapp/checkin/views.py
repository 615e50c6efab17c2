"""Staff at the door: the scanner page and its JSON API (session login + CSRF header)."""
import secrets
from datetime import datetime, timedelta, timezone

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import EmailField

from eventapp.accounts.views import load_user, load_user_with
from eventapp.checkin import operations, staffing
from eventapp.checkin.operations import Scan
from eventapp.contacts.search import worth_searching
from eventapp.core.forms import strip_line, strip_text
from eventapp.core.time import utcnow
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.registration.forms import DetailsForm
from eventapp.registration.models import Registration

bp = Blueprint("checkin", __name__, url_prefix="/checkin")

MAX_SYNC = 500
# A phone's time of scan is believed from 30 days before the event starts (dry runs, and phones offline for hours,
# stay well inside) until a few minutes past our clock (phones drift); any other time comes from a wrong clock.
EARLIEST_SCAN = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)


@bp.before_request
@login_required
def _logged_in():
    return None


def _load_staff(user_id: int):
    """The signed-in user for this blueprint's requests, and with them, in the same query, the event the request
    is for (kept on `g` for _event_for_staff). For an event's door the user is a DoorStaff, plain values."""
    event_id = (request.view_args or {}).get("event_id")
    if event_id is None:
        return load_user(user_id)
    user, event = operations.staff_with_event(user_id, event_id)
    g.scan_access = (user_id, event_id, event)
    return user


load_user_with(bp.name, _load_staff)


def _event_for_staff(event_id: int) -> operations.DoorEvent:
    loaded = g.get("scan_access")
    if loaded is not None and loaded[:2] == (current_user.id, event_id):
        event = loaded[2]
    else:
        event = operations.event_for_scanning(current_user, event_id)
    if event is None:
        if staffing.off_the_door(current_user.id, event_id):  # their own organisation's event: say why
            message = _("You are not on this event's door: an organiser has to add you on the event's page before "
                        "you can scan, search or undo here.")
            if request.endpoint == "checkin.scanner":
                abort(403, description=message)
            raise operations.DoorRefused("not_on_door", message, status=403)
        abort(404)  # not 403: event ids are not a lookup service
    return event


def _bad(message: str, status: int = 400, **extra):
    return jsonify(error="bad_request" if status == 400 else extra.pop("error", "invalid"), message=message,
                   **extra), status


@bp.errorhandler(operations.DoorRefused)
def _refused(refusal):
    return _bad(str(refusal), refusal.status, error=refusal.code)


def _json_body():
    """The request's JSON, or None when it is not JSON. get_json(silent=True) lets the RecursionError of deeply
    nested JSON ("[[[[…") through: that is unparsable JSON too."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def _text(payload: dict, name: str, limit: int, required: bool = True) -> str:
    value = payload.get(name, "")
    if isinstance(value, str):
        value = " ".join(strip_text(value).split())  # one line of plain text: no NUL or other control characters
    if not isinstance(value, str) or (required and not value) or len(value) > limit:
        raise ValueError(_("“%(name)s” is missing or not valid.", name=name))
    return value


def _row_id(payload: dict, name: str) -> int | None:
    """An optional id in the body: absent, or a whole number a row id can be."""
    value = payload.get(name)
    if value is None:
        return None
    if type(value) is not int or not 0 < value < 2**31:
        raise ValueError(_("“%(name)s” is missing or not valid.", name=name))
    return value


def _scan_time(scanned_at: datetime, event: operations.DoorEvent) -> datetime | None:
    """The phone's time of scan in UTC, or None when its clock cannot be right."""
    if scanned_at.tzinfo is None:
        scanned_at = scanned_at.replace(tzinfo=timezone.utc)
    try:
        scanned_at = scanned_at.astimezone(timezone.utc)
    except OverflowError:  # e.g. year 1 at +14:00: before the first time there is in UTC
        return None
    if not event.starts_at - EARLIEST_SCAN <= scanned_at <= utcnow() + CLOCK_SKEW:
        return None
    return scanned_at


def _scan_from(payload, event: operations.DoorEvent) -> Scan:
    if not isinstance(payload, dict):
        raise ValueError(_("Send a JSON object."))
    raw_time = payload.get("scanned_at")
    try:
        scanned_at = datetime.fromisoformat(raw_time) if isinstance(raw_time, str) else None
    except ValueError:
        scanned_at = None
    if scanned_at is None:
        raise ValueError(_("“scanned_at” must be an ISO 8601 time with its offset."))
    direction = payload.get("direction") or "in"
    if direction not in ("in", "out"):
        raise ValueError(_("“direction” is in or out."))
    if direction == "out" and not event.exit_scans_enabled:
        raise ValueError(_("This event does not use exit scans; turn them on in the event's settings."))
    believed = _scan_time(scanned_at, event)
    # A wrong clock is no reason to lose a real check-in (refusing would drop it from an offline phone's queue):
    # it is recorded at the time it reached us, and the answer says so.
    return Scan(nonce=_text(payload, "nonce", 64), device_id=_text(payload, "device_id", 64),
                scanned_at=believed or utcnow(), clock_wrong=believed is None,
                secret=_text(payload, "secret", 200, required=False), direction=direction)


@bp.get("/")
def events():
    return render_template("checkin/events.html", events=operations.scannable_events(current_user))


@bp.get("/<int:event_id>")
def scanner(event_id):
    event = _event_for_staff(event_id)
    urls = {name: url_for(f"checkin.{name}", event_id=event.id)
            for name in ("redeem", "sync", "tickets", "stats", "search", "walk_in", "undo")}
    urls["checkin_registration"] = url_for("checkin.checkin_registration", event_id=event.id, registration_id=0)
    urls["service_worker"] = url_for("checkin.service_worker")
    urls["qr_worker"] = url_for("checkin.qr_worker")
    return render_template("checkin/scanner.html", event=event, urls=urls)


@bp.get("/sw.js")
def service_worker():
    """Served from /checkin/ (not /static/) so that it may control the scanner pages and work offline."""
    response = current_app.send_static_file("js/sw.js")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/qr-worker.js")
def qr_worker():
    """The decoder's web worker, at a stable address the service worker can keep for offline use."""
    return current_app.send_static_file("vendor/qr-scanner/qr-scanner-worker.js")


@bp.post("/<int:event_id>/redeem")
def redeem(event_id):
    event = _event_for_staff(event_id)
    try:
        scan = _scan_from(_json_body(), event)
        if not scan.secret:
            raise ValueError(_("“secret” is missing."))
    except ValueError as error:
        return _bad(str(error))
    return jsonify(operations.redeem(event, scan, current_user))


@bp.post("/<int:event_id>/sync")
def sync(event_id):
    """Scans made offline, uploaded together; each is answered as if it had been sent alone."""
    event = _event_for_staff(event_id)
    payload = _json_body()
    scans = payload.get("scans") if isinstance(payload, dict) else None
    if not isinstance(scans, list) or len(scans) > MAX_SYNC:
        return _bad(_("Send {\"scans\": [...]} with at most %(max)d scans.", max=MAX_SYNC))
    results, valid = [], []
    for item in scans:
        try:
            scan = _scan_from(item, event)
            scan.method = "sync"
            valid.append(scan)
        except ValueError as error:
            results.append({"nonce": item.get("nonce") if isinstance(item, dict) else None, "status": "error",
                            "message": str(error)})
    for scan in sorted(valid, key=lambda s: s.scanned_at):  # in the order they happened, whatever the offsets
        try:
            results.append(operations.redeem(event, scan, current_user))
        except operations.DoorRefused as refusal:  # answered like a malformed scan: the phone's queue moves on
            results.append({"nonce": scan.nonce, "status": "error", "message": str(refusal)})
    return jsonify(results=results, stats=operations.stats(event))


@bp.post("/<int:event_id>/registrations/<int:registration_id>/checkin")
def checkin_registration(event_id, registration_id):
    event = _event_for_staff(event_id)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        return _bad(_("No such registration for this event."), 404, error="not_found")
    try:
        scan = _scan_from(_json_body(), event)
    except ValueError as error:
        return _bad(str(error))
    scan.method = "search"
    return jsonify(operations.redeem(event, scan, current_user, registration_id=registration.id))


class WalkInForm(DetailsForm):
    email = EmailField(filters=[strip_text])

    def validate_email(self, field):
        from wtforms.validators import ValidationError

        from eventapp.contacts.normalisation import InvalidInput, normalise_email

        try:
            self.normalised_email = normalise_email(field.data or "")
        except InvalidInput as error:
            raise ValidationError(str(error)) from None


@bp.post("/<int:event_id>/walk-in")
def walk_in(event_id):
    event = _event_for_staff(event_id)
    payload = _json_body()
    if not isinstance(payload, dict):
        return _bad(_("Send a JSON object."))
    form = WalkInForm(data={key: value for key, value in payload.items() if isinstance(value, str)})
    # A local number is read in the event's phone region (the Event, loaded here, is the walk-in's anyway).
    form.organisation_id = event.organisation_id
    form.event_phone_region = db.session.get(Event, event.id).phone_region
    if not form.validate():
        fields = {name: " ".join(str(e) for e in errors) for name, errors in form.errors.items()}
        return _bad(_("Check the highlighted fields."), 422, error="invalid", fields=fields)
    try:
        scan = Scan(nonce=_text(payload, "nonce", 64, required=False) or secrets.token_hex(16),
                    device_id=_text(payload, "device_id", 64, required=False), scanned_at=utcnow())
    except ValueError as error:
        return _bad(str(error))
    event = db.session.get(Event, event.id)  # a walk-in registers: that takes the whole Event
    answer = operations.walk_in(event, form.normalised_email, form.details(), scan, current_user)
    return jsonify({**answer, "stats": operations.stats(event)})  # a new person at the door: every count moved


@bp.post("/<int:event_id>/undo")
def undo(event_id):
    event = _event_for_staff(event_id)
    payload = _json_body()
    if not isinstance(payload, dict):
        return _bad(_("Send a JSON object."))
    try:
        device_id = _text(payload, "device_id", 64)
        reason = _text(payload, "reason", 300)
        registration_id = _row_id(payload, "registration_id")
    except ValueError as error:
        return _bad(str(error))
    answer = operations.undo_last(event, device_id, reason, current_user, registration_id=registration_id)
    if answer is None:
        message = _("This device has no check-in to take back.") if registration_id is None \
            else _("This person is not checked in: there is nothing to take back.")
        return _bad(message, 409, error="nothing_to_undo")
    return jsonify({**answer, "stats": operations.stats(event)})


@bp.get("/<int:event_id>/stats")
def stats(event_id):
    return jsonify(operations.stats(_event_for_staff(event_id)))


@bp.get("/<int:event_id>/tickets")
def tickets(event_id):
    event = _event_for_staff(event_id)
    response = jsonify(event_id=event.id, generated_at=utcnow().isoformat(),
                       tickets=operations.ticket_list(event))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:event_id>/search")
def search(event_id):
    event = _event_for_staff(event_id)
    text = strip_line(request.args.get("q") or "")
    if not worth_searching(text):  # two characters, or one Chinese one: 王
        return jsonify(results=[])
    return jsonify(results=operations.search(event, text))
