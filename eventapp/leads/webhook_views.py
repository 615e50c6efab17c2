"""Back office: webhook endpoints, their delivery log, Resend (issue 16, helper "webhooks")."""
import json

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.extensions import db
from eventapp.leads import webhooks
from eventapp.leads.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from eventapp.leads.webhook_forms import EndpointForm

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")
bp.before_request(require_back_office)


@bp.app_template_global("webhook_event_label")
def webhook_event_label(kind: str) -> str:
    if kind == webhooks.TEST_EVENT:
        return _("Test event")
    try:
        return str(webhooks.EventType(kind).label)
    except ValueError:
        return kind


bp.add_app_template_global(webhooks.disabled_reason_text)


@bp.app_template_global("webhook_status_label")
def webhook_status_label(status: str) -> str:
    return str(DeliveryStatus(status).label)


def _organisation_id() -> int:
    return current_user.membership.organisation_id


def _own_delivery(delivery_id: int) -> WebhookDelivery:
    """A delivery to one of the organisation's endpoints; anything else is 404."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint.organisation_id != _organisation_id():
        abort(404)
    return delivery


@bp.get("/")
def index():
    endpoints = webhooks.endpoints_of(_organisation_id())
    return render_template("leads/webhooks/index.html", endpoints=endpoints,
                           counts=webhooks.delivery_counts([endpoint.id for endpoint in endpoints]))


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:endpoint_id>/edit", methods=["GET", "POST"])
def edit(endpoint_id=None):
    endpoint = own_or_404(WebhookEndpoint, endpoint_id) if endpoint_id else None
    form = EndpointForm(obj=endpoint)
    if form.validate_on_submit():
        try:
            saved = webhooks.save_endpoint(_organisation_id(), form.data, endpoint)
        except webhooks.EndpointRefused as refused:
            db.session.rollback()
            form.url.errors = [str(refused)]
        else:
            db.session.commit()
            flash(_("Endpoint saved.") if endpoint else
                  _("Endpoint added. Give its signing secret below to the receiver, so it can check each "
                    "message came from us."), "success")
            return redirect(url_for("webhooks.endpoint", endpoint_id=saved.id), code=303)
    return render_template("leads/webhooks/form.html", form=form, endpoint=endpoint), \
        (422 if form.errors else 200)


@bp.get("/<int:endpoint_id>")
def endpoint(endpoint_id):
    endpoint = own_or_404(WebhookEndpoint, endpoint_id)
    return render_template("leads/webhooks/endpoint.html", endpoint=endpoint,
                           deliveries=webhooks.deliveries_of(endpoint), limit=100)


@bp.post("/<int:endpoint_id>/secret")
def rotate_secret(endpoint_id):
    webhooks.rotate_secret(own_or_404(WebhookEndpoint, endpoint_id))
    db.session.commit()
    flash(_("A new signing secret is in use for every message sent from now on. Give it to the receiver: "
            "messages signed with the old one are no longer sent."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id), code=303)


@bp.post("/<int:endpoint_id>/test")
def send_test(endpoint_id):
    try:
        webhooks.send_test(own_or_404(WebhookEndpoint, endpoint_id))
    except ValueError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(_("A test event is on its way; its delivery shows at the top of the log in a moment."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id), code=303)


@bp.post("/<int:endpoint_id>/delete")
def delete(endpoint_id):
    webhooks.delete_endpoint(own_or_404(WebhookEndpoint, endpoint_id))
    db.session.commit()
    flash(_("Endpoint deleted, with its delivery log."), "success")
    return redirect(url_for("webhooks.index"), code=303)


@bp.get("/deliveries/<int:delivery_id>")
def delivery(delivery_id):
    delivery = _own_delivery(delivery_id)
    return render_template("leads/webhooks/delivery.html", delivery=delivery, endpoint=delivery.endpoint,
                           payload=_readable(delivery.payload))


def _readable(payload: str) -> str:
    """The body as it was sent, indented for reading (an erased one is empty)."""
    try:
        return json.dumps(json.loads(payload), indent=2, ensure_ascii=False)
    except ValueError:
        return payload


@bp.post("/deliveries/<int:delivery_id>/resend")
def resend(delivery_id):
    delivery = _own_delivery(delivery_id)
    try:
        webhooks.resend(delivery)
    except ValueError as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(_("Sent again with the same webhook-id, so a receiver that already has it ignores the copy."),
              "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=delivery.endpoint_id), code=303)
