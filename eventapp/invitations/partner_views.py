"""Partners in the organisers' back office (partners, their logins, tracked links and posters, and the comparison
of partners and channels), and the public tracked link /p/<code> that counts a click and leads to the event."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp import signals
from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.core.spreadsheet import download
from eventapp.events import operations as events
from eventapp.events.models import Campaign, Event
from eventapp.extensions import db
from eventapp.invitations import channels, partners
from eventapp.invitations.models import Partner, PartnerKind, PartnerLink
from eventapp.invitations.partner_forms import LinkForm, PartnerForm, PartnerLoginForm
from eventapp.registration.views import VIA_SESSION_KEY

bp = Blueprint("partners", __name__, url_prefix="/admin")
bp.before_request(require_back_office)

public = Blueprint("partner_links", __name__)

QR_MIMETYPES = {"png": "image/png", "svg": "image/svg+xml"}


@bp.app_template_global("partner_kind_label")
def partner_kind_label(kind: str) -> str:
    return str(PartnerKind(kind).label)


def _organisation_id() -> int:
    return current_user.membership.organisation_id


def _link_form(submitted=False, needs_label=False) -> LinkForm:
    """The tracked-link form with the organisation's events and campaigns; read from the post when submitted."""
    organisation_id = _organisation_id()
    blank = {} if submitted else {"formdata": None}
    return LinkForm(events=events.events_of(organisation_id), campaigns=events.campaigns(organisation_id),
                    needs_label=needs_label, **blank)


# ---- partners -----------------------------------------------------------------------------------------------

@bp.get("/partners/")
def index(form=None, status=200):
    organisation_id = _organisation_id()
    return render_template("invitations/partners/index.html", partners=partners.partners_of(organisation_id),
                           links=partners.links_of(organisation_id, own_channels=True),
                           campaigns=events.campaigns(organisation_id),
                           form=form or _link_form(needs_label=True), link_url=partners.link_url), status


@bp.route("/partners/new", methods=["GET", "POST"])
@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
def edit_partner(partner_id=None):
    partner = own_or_404(Partner, partner_id) if partner_id else None
    form = PartnerForm(obj=partner)
    if form.validate_on_submit():
        try:
            saved = partners.save_partner(_organisation_id(), form.data, partner)
        except partners.PartnerRefused as refused:
            db.session.rollback()
            form.name.errors = [str(refused)]
        else:
            db.session.commit()
            flash(_("Partner saved."), "success")
            return redirect(url_for("partners.partner", partner_id=saved.id), code=303)
    return render_template("invitations/partners/partner_form.html", form=form, partner=partner), \
        (422 if form.errors else 200)


def _partner_page(partner, login_form=None, link_form=None, status=200):
    return render_template("invitations/partners/partner.html", partner=partner,
                           links=partners.links_of(partner.organisation_id, partner=partner),
                           members=partners.members_of(partner), login_form=login_form or PartnerLoginForm(),
                           link_form=link_form or _link_form(), link_url=partners.link_url), status


@bp.get("/partners/<int:partner_id>")
def partner(partner_id):
    return _partner_page(own_or_404(Partner, partner_id))


@bp.post("/partners/<int:partner_id>/logins")
def add_login(partner_id):
    partner = own_or_404(Partner, partner_id)
    form = PartnerLoginForm()
    if form.validate_on_submit():
        try:
            user = partners.add_login(partner, form.normalised_email.address, form.name.data, form.password.data)
        except partners.PartnerRefused as refused:
            db.session.rollback()
            form[refused.field].errors = [str(refused)]
        else:
            db.session.commit()
            flash(_("%(email)s can now log in to %(partner)s's portal with the password you chose.",
                    email=user.email, partner=partner.name), "success")
            return redirect(url_for("partners.partner", partner_id=partner.id), code=303)
    return _partner_page(partner, login_form=form, status=422)


@bp.post("/partners/<int:partner_id>/links")
def add_partner_link(partner_id):
    partner = own_or_404(Partner, partner_id)
    form = _link_form(submitted=True)
    if _made_link(form, partner):
        return redirect(url_for("partners.partner", partner_id=partner.id), code=303)
    return _partner_page(partner, link_form=form, status=422)


@bp.post("/partners/channels")
def add_channel_link():
    """A tracked link of the organisation's own channel (a newsletter, a poster, an article), with no partner."""
    form = _link_form(submitted=True, needs_label=True)
    if _made_link(form):
        return redirect(url_for("partners.index"), code=303)
    return index(form=form, status=422)


def _made_link(form: LinkForm, partner: Partner | None = None) -> bool:
    """Make the link the form asks for (committed, with a word for the organiser); False leaves the reasons on
    the form."""
    if not form.validate_on_submit():
        return False
    try:
        partners.create_link(_organisation_id(), form.target.data, partner=partner, label=form.label.data)
    except partners.PartnerRefused as refused:
        db.session.rollback()
        form.target.errors = [str(refused)]
        return False
    db.session.commit()
    flash(_("Tracked link made. Share it, or download its QR code for a poster."), "success")
    return True


@bp.get("/links/<int:link_id>/qr.png", defaults={"qr_format": "png"})
@bp.get("/links/<int:link_id>/qr.svg", defaults={"qr_format": "svg"})
def link_qr(link_id, qr_format):
    return qr_download(own_or_404(PartnerLink, link_id), qr_format)


def qr_download(link: PartnerLink, qr_format: str) -> Response:
    """The link's QR code, poster-sized, as a download named after its code."""
    url = partners.link_url(link)
    body = partners.poster_png(url) if qr_format == "png" else partners.poster_svg(url)
    return Response(body, mimetype=QR_MIMETYPES[qr_format], headers={
        "Content-Disposition": f'attachment; filename="qr-{link.code}.{qr_format}"'})


# ---- comparison of partners and channels ----------------------------------------------------------------------

@bp.get("/events/<int:event_id>/channels")
def event_channels(event_id):
    event = own_or_404(Event, event_id)
    rows = channels.compare(event.organisation_id, [event.id])
    return _comparison_page(rows, title=event.title, event=event,
                            csv_url=url_for("partners.event_channels_csv", event_id=event.id))


@bp.get("/events/<int:event_id>/channels.csv")
def event_channels_csv(event_id):
    event = own_or_404(Event, event_id)
    rows = channels.compare(event.organisation_id, [event.id])
    return download(channels.comparison_table(rows, _("Channels")), f"channels-{event.slug}", "csv")


def _campaign_rows(campaign: Campaign):
    return channels.compare(campaign.organisation_id,
                            channels.event_ids_of_campaign(campaign.organisation_id, campaign.id), campaign.id)


@bp.get("/campaigns/<int:campaign_id>/channels")
def campaign_channels(campaign_id):
    campaign = own_or_404(Campaign, campaign_id)
    return _comparison_page(_campaign_rows(campaign), title=campaign.name, campaign=campaign,
                            csv_url=url_for("partners.campaign_channels_csv", campaign_id=campaign.id))


@bp.get("/campaigns/<int:campaign_id>/channels.csv")
def campaign_channels_csv(campaign_id):
    campaign = own_or_404(Campaign, campaign_id)
    return download(channels.comparison_table(_campaign_rows(campaign), _("Channels")),
                    f"channels-campaign-{campaign.id}", "csv")


def _comparison_page(rows, **context):
    return render_template("invitations/partners/comparison.html", rows=rows, total=channels.totals(rows),
                           bars=channels.chart_bars(rows), percent=channels.percent, **context)


@signals.event_page_sections.connect
def _event_page(page: signals.EventPage, **_):
    """The event's page links to its comparison (and its campaign's)."""
    event = db.session.get(Event, page.event_id)
    return signals.PageSection(50, "invitations/partners/_event_channels.html",
                               {"campaign_id": event.campaign_id}, slot="actions")


# ---- the public tracked link --------------------------------------------------------------------------------

@public.get("/p/<code>")
def follow(code):
    """Count the click, remember the attribution for the event in this browser's session, and go to the event."""
    link = partners.find_link(code)
    if link is None:
        abort(404, description=_("This link is not valid. Check that you copied the whole address, or ask whoever "
                                 "shared it for a new one."))
    event = partners.target_event(link)
    if event is None or event.is_draft:
        abort(404, description=_("This link leads to no event open to visitors right now. Ask whoever shared it "
                                 "for a new one."))
    partners.record_click(link, event)
    session[VIA_SESSION_KEY] = partners.remembered(session.get(VIA_SESSION_KEY), event.id, link)
    db.session.commit()
    # A link shared for one of the event's languages (?lang=zh_Hans) opens the page in it.
    return redirect(url_for("registration.landing", slug=event.slug, lang=request.args.get("lang") or None),
                    code=302)
