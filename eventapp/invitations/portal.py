"""The partner portal (/partner/…): a partner login sees its own partner's figures per event (clicks, sign-ups,
attended), its tracked links and their QR codes, and gets its invitation to forward; the people it brought only when
the organiser shares personal data with it. Another partner's rows, and other organisations', are 404."""
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp.extensions import db, login_manager
from eventapp.events.models import Event
from eventapp.invitations import channels, partners
from eventapp.invitations.models import PartnerLink
from eventapp.invitations.sending import SendRefused
from eventapp.invitations.partner_views import qr_download
from eventapp.registration.operations import closed_reason

bp = Blueprint("partner_portal", __name__, url_prefix="/partner")


@bp.before_request
def require_partner():
    """The one role check of the portal: a signed-in partner login of a partner of its own organisation."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    g.partner = partners.partner_of_user(current_user)
    if g.partner is None:
        abort(403, description=_("This page is for partner logins. Ask the organisers who invited you for one."))
    return None


def _event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or event.organisation_id != g.partner.organisation_id or event.is_draft:
        abort(404)
    return event


def _link_or_404(link_id: int) -> PartnerLink:
    link = db.session.get(PartnerLink, link_id)
    if link is None or link.partner_id != g.partner.id:
        abort(404)
    return link


@bp.get("/")
def index():
    partner = g.partner
    listed = channels.portal_events(partner)
    return render_template("invitations/partners/portal_index.html", partner=partner, events=listed,
                           figures=channels.partner_figures(partner, [event.id for event in listed]))


@bp.get("/events/<int:event_id>")
def event(event_id):
    partner, event = g.partner, _event_or_404(event_id)
    links = [link for link in partners.links_of(partner.organisation_id, partner=partner)
             if link.event_id == event.id or (link.campaign_id and link.campaign_id == event.campaign_id)]
    return render_template(
        "invitations/partners/portal_event.html", partner=partner, event=event, links=links,
        figures=channels.partner_figures(partner, [event.id])[event.id], link_url=partners.link_url,
        registrants=channels.partner_registrants(partner, event) if partner.shares_personal_data else None,
        closed=closed_reason(event))


@bp.post("/events/<int:event_id>/invitation")
def mail_invitation(event_id):
    """Mail the partner's own invitation to the signed-in partner user, who forwards it to their members."""
    partner, event = g.partner, _event_or_404(event_id)
    try:
        result = partners.mail_partner_invitation(partner, event, current_user)
    except SendRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for("partner_portal.event", event_id=event.id), code=303)
    db.session.commit()
    flash(*_invitation_notice(result))
    return redirect(url_for("partner_portal.event", event_id=event.id), code=303)


def _invitation_notice(result) -> tuple[str, str]:
    if result.invitation is None:
        return _("Your address is on the list of addresses that get no invitations (it unsubscribed or a mail to "
                 "it bounced), so the invitation could not be mailed. Ask the organisers for help."), "error"
    if result.created:
        return _("We are mailing your invitation to %(email)s. Forward it to your members: sign-ups through it "
                 "count for you.", email=current_user.email), "success"
    return _("Your invitation to this event was mailed already. Look for it in your mailbox and forward it; "
             "sign-ups through it count for you."), "info"


@bp.get("/links/<int:link_id>/qr.png", defaults={"qr_format": "png"})
@bp.get("/links/<int:link_id>/qr.svg", defaults={"qr_format": "svg"})
def link_qr(link_id, qr_format):
    return qr_download(_link_or_404(link_id), qr_format)
