"""The organisers' back office for campaigns, events and questions."""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.core.time import utcnow
from eventapp.core.tokens import url_token
from eventapp.events import operations
from eventapp.events.forms import CampaignForm, EventForm, QuestionForm
from eventapp.events.models import Campaign, Event, EventStatus, Question
from eventapp.extensions import db
from eventapp.registration import reminders
from eventapp.registration.models import Registration
from eventapp.registration.operations import closed_reason

bp = Blueprint("events", __name__, url_prefix="/admin")
bp.before_request(require_back_office)


def _organisation_id() -> int:
    return current_user.membership.organisation_id


@bp.get("/")
def dashboard():
    organisation_id = _organisation_id()
    counts = dict(db.session.execute(
        sa.select(Registration.event_id, sa.func.count()).join(Event)
        .where(Event.organisation_id == organisation_id, Registration.status != "cancelled")
        .group_by(Registration.event_id)).all())
    return render_template("events/dashboard.html", campaigns=operations.campaigns(organisation_id),
                           events=operations.events_of(organisation_id), counts=counts, now=utcnow())


@bp.route("/campaigns/new", methods=["GET", "POST"])
@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit_campaign(campaign_id=None):
    campaign = own_or_404(Campaign, campaign_id) if campaign_id else None
    form = CampaignForm(obj=campaign)
    if campaign is None and not form.is_submitted():
        form.form_nonce.data = url_token()
    if form.validate_on_submit():
        organisation_id = _organisation_id()
        _save_once(lambda: operations.save_campaign(organisation_id, form.data, campaign),
                   None if campaign else form.form_nonce.data, Campaign, Campaign.organisation_id == organisation_id)
        flash(_("Campaign saved."), "success")
        return redirect(url_for("events.dashboard"), code=303)
    return render_template("events/campaign_form.html", form=form, campaign=campaign), (422 if form.errors else 200)


@bp.route("/events/new", methods=["GET", "POST"])
@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id=None):
    event = own_or_404(Event, event_id) if event_id else None
    campaigns = operations.campaigns(_organisation_id())
    form = EventForm(campaigns=campaigns, event=event)
    if form.is_submitted():
        if form.validate():
            had_sms = event is not None and event.sms_enabled
            saved = operations.save_event(_organisation_id(), form.values(), event)
            try:
                db.session.commit()
            except IntegrityError:  # a double click, or a colleague, took the address between check and commit
                db.session.rollback()
                form.slug.errors = [_("Another event already uses this web address.")]
            else:
                flash(_("Event saved."), "success")
                for note in form.clock_notes:
                    flash(note, "info")
                paused = reminders.paused_sms_rules(saved) if had_sms else 0
                if paused:
                    flash(ngettext("SMS is off for this event now, so its SMS reminder is paused: it sends nothing "
                                   "until you offer SMS again (or remove it under Messages and reminders).",
                                   "SMS is off for this event now, so its %(num)d SMS reminders are paused: they "
                                   "send nothing until you offer SMS again (or remove them under Messages and "
                                   "reminders).", paused), "info")
                return redirect(url_for("events.detail", event_id=saved.id), code=303)
    elif event is not None:
        form = EventForm.for_event(event, campaigns)
    return render_template("events/event_form.html", form=form, event=event), (422 if form.errors else 200)


@bp.get("/events/<int:event_id>")
def detail(event_id):
    event = own_or_404(Event, event_id)
    registrations = list(db.session.execute(
        sa.select(Registration).where(Registration.event_id == event.id).order_by(Registration.created_at.desc())
    ).scalars())
    from eventapp.checkin.staffing import door_staff

    return render_template("events/detail.html", event=event, registrations=registrations,
                           closed=closed_reason(event), door_staff=door_staff(event))


@bp.post("/events/<int:event_id>/status/<status>")
def change_status(event_id, status):
    event = own_or_404(Event, event_id)
    if status not in set(EventStatus):
        abort(400)
    if status == EventStatus.CANCELLED:  # never in one click: the organiser first sees who will be told
        return redirect(url_for("events.cancel_event", event_id=event.id), code=303)
    try:
        operations.set_status(event, EventStatus(status))
    except operations.StatusRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash({EventStatus.PUBLISHED: _("The event is published: its landing page is open."),
               EventStatus.DRAFT: _("The event is unpublished: its landing page is hidden.")}[status], "success")
    return redirect(url_for("events.detail", event_id=event.id), code=303)


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
def cancel_event(event_id):
    """GET says how many people a cancellation tells and asks; the POST (with its CSRF token) cancels."""
    event = own_or_404(Event, event_id)
    if event.status == EventStatus.CANCELLED:
        flash(_("This event is already cancelled; nobody is told again."), "info")
        return redirect(url_for("events.detail", event_id=event.id), code=303)
    audience = operations.cancellation_audience(event)
    if request.method == "GET":
        return render_template("events/cancel.html", event=event, audience=audience)
    if not operations.cancel_event(event):  # the other request of a double submit cancelled it a moment ago
        db.session.rollback()
        flash(_("This event is already cancelled; nobody is told again."), "info")
    else:
        db.session.commit()
        flash(_("The event is cancelled: its page says so, it takes no sign-ups, and the people registered are "
                "being told."), "success")
    return redirect(url_for("events.detail", event_id=event.id), code=303)


@bp.route("/events/<int:event_id>/questions/new", methods=["GET", "POST"])
@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
def edit_question(event_id=None, question_id=None):
    question = own_or_404(Question, question_id) if question_id else None
    event = question.event if question else own_or_404(Event, event_id)
    # A post is read as sent: a field it leaves out is empty, not the stored value.
    form = QuestionForm() if request.method == "POST" else QuestionForm(obj=question)
    if not form.is_submitted():
        if question is not None:
            form.options.data = "\n".join(question.options or [])
        else:
            form.form_nonce.data = url_token()
    if form.validate_on_submit():
        _save_once(lambda: operations.save_question(event, form.values(), question),
                   None if question else form.form_nonce.data, Question, Question.event_id == event.id)
        flash(_("Question saved."), "success")
        return redirect(url_for("events.detail", event_id=event.id), code=303)
    return render_template("events/question_form.html", form=form, event=event, question=question), \
        (422 if form.errors else 200)


@bp.post("/questions/<int:question_id>/delete")
def delete_question(question_id):
    question = own_or_404(Question, question_id)
    event = question.event
    operations.delete_question(question)
    db.session.commit()
    flash(_("Question deleted. Answers already given stay in the registrations."), "success")
    return redirect(url_for("events.detail", event_id=event.id), code=303)


@bp.post("/registrations/<int:registration_id>/<decision>")
def decide(registration_id, decision):
    """Approve or decline a sign-up that waits for approval; the person is told either way."""
    from eventapp.registration import operations as registrations

    registration = own_or_404(Registration, registration_id)
    if decision not in ("approve", "decline"):
        abort(400)
    try:
        (registrations.approve if decision == "approve" else registrations.decline)(registration)
    except registrations.RegistrationClosed as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(_("Approved; %(name)s gets their ticket.", name=registration.name) if decision == "approve"
              else _("Declined; %(name)s is told.", name=registration.name), "success")
    return redirect(url_for("events.detail", event_id=registration.event_id), code=303)


@bp.post("/events/<int:event_id>/staff")
def assign_staff(event_id):
    """Give a staff account the door of this event (staff see only the events they are given)."""
    from eventapp.checkin import staffing

    event = own_or_404(Event, event_id)
    try:
        user = staffing.assign_staff(event, (request.form.get("email") or "").strip()[:320])
    except staffing.StaffingRefused as refused:
        flash(str(refused), "error")
    else:
        flash(_("%(email)s can now check people in at this event.", email=user.email), "success")
    return redirect(url_for("events.detail", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/staff/<int:user_id>/remove")
def remove_staff(event_id, user_id):
    """Take a staff account off this event's door: their scanner stops working for it at once."""
    from eventapp.checkin import staffing

    event = own_or_404(Event, event_id)
    user = staffing.remove_staff(event, user_id)
    if user is None:  # a double click's other request, or someone already took them off
        flash(_("That account is not on this event's door."), "info")
    else:
        flash(_("%(email)s is off this event's door: their scanner no longer works for it.", email=user.email),
              "success")
    return redirect(url_for("events.detail", event_id=event.id), code=303)


def _save_once(save, nonce: str | None, model, owned) -> None:
    """save() and commit, unless the create form with this one-off nonce was saved already: a double click or a
    resent form makes its row once (the unique nonce settles two at the same moment)."""
    if nonce and _made_with(model, nonce, owned):
        return
    saved = save()
    saved.form_nonce = nonce or None
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if not nonce:
            raise
        if _made_with(model, nonce, owned):
            return  # the other request of the double submit made it a moment ago
        save().form_nonce = None  # a nonce made up to match another organisation's row: saved without it
        db.session.commit()


def _made_with(model, nonce: str, owned) -> bool:
    return db.session.execute(sa.select(model.id).where(model.form_nonce == nonce, owned)).first() is not None
