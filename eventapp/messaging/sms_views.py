"""Twilio's webhooks: delivery reports and the SMS people send us (STOP, START, HELP). No CSRF token can come
from Twilio, so each request must carry a valid X-Twilio-Signature instead."""
from functools import wraps

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from eventapp.extensions import csrf, db
from eventapp.messaging import sms

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
csrf.exempt(bp)


def public_url() -> str:
    """The URL Twilio called, which is what it signed: BASE_URL when set (behind a proxy the request's own
    URL may differ), else the URL as this request arrived."""
    base = current_app.config.get("BASE_URL")
    if not base:
        return request.url
    query = request.query_string.decode()
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def signed_by_twilio(view):
    @wraps(view)
    def checked(*args, **kwargs):
        token = current_app.config.get("TWILIO_AUTH_TOKEN")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not token or not signature or not RequestValidator(token).validate(public_url(), request.form,
                                                                              signature):
            abort(403, description="The X-Twilio-Signature of this request is missing or wrong.")
        return view(*args, **kwargs)

    return checked


def twiml(reply: str | None = None) -> Response:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return Response(str(response), content_type="text/xml; charset=utf-8")


@bp.post("/status")
@signed_by_twilio
def status():
    sid = request.form.get("MessageSid", "")
    message = sms.record_delivery_status(sid, request.form.get("MessageStatus", ""), request.form.get("ErrorCode", ""))
    db.session.commit()
    if message is None and sid:
        sms.apply_early_statuses(sid)  # the worker may have recorded the SID while this callback was kept
    return "", 204


@bp.post("/inbound")
@signed_by_twilio
def inbound():
    reply = sms.handle_inbound(request.form.get("From", "").strip(), request.form.get("Body", ""))
    db.session.commit()
    return twiml(reply)
