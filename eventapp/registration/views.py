"""Public pages: the landing page with its sign-up form, and the attendee's own registration."""
from datetime import datetime, timezone

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from eventapp.accounts.models import Organisation
from eventapp.core.content import render_markdown
from eventapp.core.i18n import use_language
from eventapp.core.tokens import sign, tag_matches, unsign, url_token
from eventapp.events import operations as events
from eventapp.core.ratelimit import rate_limited
from eventapp.extensions import db
from eventapp.messaging.compose import public_base_url
from eventapp.registration import operations
from eventapp.registration.forms import (MISSING_QUESTION, UTM_FIELDS, ManageForm, SignupForm,
                                         answers_to_missing_questions, form_for_event, stored_answer_for, utm_value)
from eventapp.registration.languages import language_name, language_query, language_switch, page_language
from eventapp.registration.links import ADDRESS_PROOF
from eventapp.registration.models import Registration, RegistrationStatus
from eventapp.registration.operations import Outcome, RegistrationClosed, Signup
from eventapp.registration.tickets import calendar_for, ticket_code, ticket_svg

bp = Blueprint("registration", __name__)
bp.add_app_template_filter(ticket_code)
bp.add_app_template_global(language_query)
bp.add_app_template_global(language_switch)
bp.add_app_template_filter(language_name)

VIEW_TOKEN_PURPOSE = "landing-view"
# A page left open longer than this is not counted as the view that led to the sign-up.
VIEW_TOKEN_MAX_AGE = 7 * 24 * 3600
# Where a tracked link (/p/<code>, in invitations) that this browser followed leaves its attribution:
# {"<event id>": {"partner_id": id or None, "channel": "partner:<code>"}}.
VIA_SESSION_KEY = "via"
CHANNEL_MAX = 40  # Registration.channel's size


def _public_event(slug: str):
    event = events.find_by_slug(slug)
    if event is None:
        abort(404)
    if event.is_draft and not events.can_manage(current_user, event):
        abort(404)
    return event


def _landing(event, form, status=200, message=None):
    organisation_name = event_organisation_name(event)
    return render_template(
        "registration/landing.html", event=event, form=form, closed=_closed(event),
        message=message, full_message=operations.full_message(event) if event.is_full else None,
        organisation_name=organisation_name, consent_text=operations.marketing_consent_text(organisation_name),
        agenda=render_markdown(event.agenda_md), speakers=render_markdown(event.speakers_md),
        summary=render_markdown(event.summary), map_url=events.map_url(event), share=_share_preview(event),
    ), status


def _share_preview(event) -> dict:
    """What a shared link's preview (Open Graph) points to: absolute URLs from BASE_URL, never the Host header."""
    base = public_base_url()
    return {"url": base + url_for("registration.landing", slug=event.slug),
            "image": event.image_url or base + url_for("static", filename="img/share-default.png")}


def _closed(event) -> str | None:
    """Why the landing page shows no form: sign-up is closed, or only invited people can sign up (through their
    invitation's own page)."""
    return operations.closed_reason(event) or (str(operations.INVITATION_ONLY) if event.invitation_only else None)


def event_organisation_name(event) -> str:
    return events.organisation_of(event).name


@bp.get("/e/<slug>")
def landing(slug):
    event = _public_event(slug)
    page_language(event)
    form = form_for_event(SignupForm, event, formdata=None)
    form.view_token.data = sign(VIEW_TOKEN_PURPOSE, [event.id, url_token()])
    for name in UTM_FIELDS:  # kept with the form, so the sign-up records them
        form[name].data = utm_value(request.args.get(name))
    return _landing(event, form)


@bp.post("/e/<slug>")
@rate_limited(lambda config: config["SIGNUP_RATE_LIMIT"],
              _l("Too many sign-ups from this network. Wait a minute and try again."))
def signup(slug):
    event = _public_event(slug)
    page_language(event)  # the page's, kept in the form's action: the contact's language from now on
    form = form_for_event(SignupForm, event)
    if not form.validate_on_submit():
        return _landing(event, form, status=422)
    if answers_to_missing_questions(form, request.form):
        return _landing(event, form, status=422, message=str(MISSING_QUESTION))
    viewed_at, nonce = _read_view_token(form.view_token.data, event.id)
    channel, attribution = _attribution(event, form)
    data = Signup(
        email=form.normalised_email, details=form.details(), answers=form.answers(event),
        marketing_consent=form.marketing_consent.data, sms_opt_in=form.wants_sms,
        consent_text=operations.marketing_consent_text(event_organisation_name(event))
        if form.marketing_consent.data else "",
        language=str(get_locale() or "en"), form_nonce=nonce, viewed_at=viewed_at,
        ip_address=request.remote_addr or "", user_agent=request.user_agent.string or "",
        channel=channel, attribution=attribution,
    )
    try:
        result = operations.register(event, data)
    except RegistrationClosed as closed:
        db.session.rollback()
        return _landing(event, form, status=409, message=str(closed))
    token = result.registration.manage_token  # read before the commit expires it
    db.session.commit()
    if result.outcome is Outcome.ALREADY_REGISTERED:
        return render_template("registration/already_registered.html", event=event)
    # The page says what became of the sign-up (from its status, so a double-click reads the same) without a
    # flash message: it shows without cookies, and the sign-up does not pay for writing a new session cookie.
    return redirect(url_for("registration.manage", token=token, new=1, **language_query()), code=303)


def _attribution(event, form) -> tuple[str, dict]:
    """Where this sign-up came from: a tracked link this browser followed to the event (its partner and channel),
    else the utm_source of the landing page's URL (channel utm:<source>), else the web; utm_* are kept either way."""
    attribution = {name: form[name].data for name in UTM_FIELDS if form[name].data}
    via = (session.get(VIA_SESSION_KEY) or {}).get(str(event.id))
    if isinstance(via, dict) and isinstance(via.get("channel"), str):
        if isinstance(via.get("partner_id"), int):
            attribution["partner_id"] = via["partner_id"]
        return via["channel"][:CHANNEL_MAX], attribution
    if attribution.get("utm_source"):
        return f"utm:{attribution['utm_source']}"[:CHANNEL_MAX], attribution
    return "web", attribution


def _read_view_token(token, event_id):
    """When this visitor loaded the landing page, and the form's nonce; (None, None) for a forged token."""
    value = unsign(VIEW_TOKEN_PURPOSE, token or "", max_age=VIEW_TOKEN_MAX_AGE, with_time=True)
    if not value:
        return None, None
    (signed_event_id, nonce), signed_at = value
    if signed_event_id != event_id:
        return None, None
    return signed_at.astimezone(timezone.utc) if isinstance(signed_at, datetime) else None, nonce


_STATUS_SENTENCES = {
    "confirmed": _l("You're registered. Your ticket is below; we look forward to seeing you."),
    "pending": _l("Thank you. The organisers review each sign-up; this page will show when you are approved."),
    "waitlisted": _l("The event is full, so you are on the waiting list. We will tell you if a seat frees up."),
}


def _status_sentence(status):
    sentence = _STATUS_SENTENCES.get(status)
    return str(sentence) if sentence is not None else ""


def _registration_or_404(token):
    registration = operations.find_by_manage_token(token)
    if registration is None:
        abort(404, description=_("This registration link is not valid. Check that you copied the whole link "
                                 "from your confirmation."))
    # The person's own pages speak the language they signed up in (when the event still offers it).
    page_language(registration.event, registration.contact.language if registration.contact else "")
    return registration


def _manage_page(registration, form, status=200, message=None):
    event = registration.event
    return render_template(
        "registration/manage.html", registration=registration, event=event, form=form, message=message,
        just_signed_up=_status_sentence(registration.status) if request.args.get("new") else "",
        locked=operations.can_change(registration), ticket=ticket_svg(registration.ticket_secret)
        if registration.is_confirmed else None, map_url=events.map_url(event),
    ), status


@bp.get("/r/<token>")
def manage(token):
    registration = _registration_or_404(token)
    form = form_for_event(ManageForm, registration.event, formdata=None, data=_current_values(registration))
    if _address_proven(registration, request.args.get("p")):
        form.proof.data = request.args["p"]
    return _manage_page(registration, form)


def _address_proven(registration, proof) -> bool:
    """Was this page opened from the link mailed to the registration's address?"""
    return tag_matches(ADDRESS_PROOF, registration.manage_token, proof)


def _current_values(registration):
    """What was given for this registration, never the contact's profile: whoever typed an address at sign-up
    lands here and must not see what is stored about its owner."""
    values = {name: getattr(registration, name) for name in operations.PERSON_DETAILS}
    values["sms_opt_in"] = registration.sms_opt_in
    for question in registration.event.questions:
        values[question.field_name] = stored_answer_for(question, (registration.answers or {}).get(str(question.id)))
    return values


@bp.post("/r/<token>")
def update(token):
    registration = _registration_or_404(token)
    form = form_for_event(ManageForm, registration.event)
    if not form.validate_on_submit():
        return _manage_page(registration, form, status=422)
    if answers_to_missing_questions(form, request.form):
        return _manage_page(registration, form, status=422, message=str(MISSING_QUESTION))
    proven = _address_proven(registration, form.proof.data)
    try:
        changed = operations.update_registration(registration, form.details(), form.answers(registration.event),
                                                 sms_opt_in=form.wants_sms, address_proven=proven)
    except RegistrationClosed as closed:
        db.session.rollback()
        return _manage_page(registration, form, status=409, message=str(closed))
    db.session.commit()
    flash(_("Your changes are saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("registration.manage", token=token, p=form.proof.data if proven else None,
                            **language_query()), code=303)


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
def cancel(token):
    registration = _registration_or_404(token)
    if request.method == "POST":
        try:
            operations.cancel(registration)
        except RegistrationClosed as closed:
            db.session.rollback()
            flash(str(closed), "error")
            return redirect(url_for("registration.manage", token=token, **language_query()), code=303)
        db.session.commit()
        flash(_("Your registration is cancelled. Your seat is free for someone else."), "success")
        return redirect(url_for("registration.manage", token=token, **language_query()), code=303)
    return render_template("registration/cancel.html", registration=registration, event=registration.event,
                           locked=operations.can_change(registration))


@bp.get("/r/<token>/calendar.ics")
def calendar(token):
    registration = _registration_or_404(token)
    if not registration.is_active:
        abort(404, description=_("This registration has been cancelled, so it has no calendar entry."))
    # The event's current version: an entry added after an update mail must not look older than that mail's.
    # The configured address, not the request's Host header (which whoever sends the request chooses).
    body = calendar_for(registration, public_base_url() + url_for("registration.manage", token=token),
                        sequence=registration.event.calendar_sequence,
                        tentative=registration.status in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED))
    operations.calendar_downloaded(registration)
    db.session.commit()
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{registration.event.slug}.ics"',
        "Cache-Control": "private, no-store",
    })


@bp.route("/consent/<token>", methods=["GET", "POST"])
def confirm_consent(token):
    """Double opt-in: the link mailed to the address. GET asks (mail scanners open links); POST confirms."""
    try:
        record = operations.consent_record_for_link(token)
    except operations.ConsentLinkInvalid as invalid:
        abort(404, description=str(invalid))
    _consent_page_language(record)
    confirmed_before = record.confirmed_at is not None
    if request.method == "POST" and not confirmed_before:
        operations.confirm_marketing_consent(record)
        db.session.commit()
    return render_template("registration/consent.html", record=record, token=token,
                           organisation_name=db.session.get(Organisation, record.contact.organisation_id).name,
                           confirmed=record.confirmed_at is not None, confirmed_before=confirmed_before)


def _consent_page_language(record) -> None:
    """The double opt-in page speaks the person's language, among their sign-up's event's when it is known."""
    registration = db.session.get(Registration, record.registration_id) if record.registration_id else None
    if registration is not None:
        page_language(registration.event, record.contact.language)
    elif record.contact.language:
        use_language(record.contact.language)
