"""The organisers' back office for campaigns, events and questions."""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp import signals
from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.core.time import utcnow
from eventapp.core.tokens import url_token
from eventapp.events import operations
from eventapp.events.forms import CampaignForm, EventForm, QuestionForm
from eventapp.events.models import Campaign, Event, EventStatus, Question
from eventapp.extensions import db

bp = Blueprint("events", __name__, url_prefix="/admin")
bp.before_request(require_back_office)


def _organisation_id() -> int:
    return current_user.membership.organisation_id


@bp.get("/")
def dashboard():
    organisation_id = _organisation_id()
    events = operations.events_of(organisation_id)
    # the features above add their columns (registration: the sign-ups)
    columns = sorted(signals.answers(signals.event_list_columns,
                                     signals.EventList(organisation_id, tuple(event.id for event in events))),
                     key=lambda column: column.order)
    return render_template("events/dashboard.html", campaigns=operations.campaigns(organisation_id),
                           events=events, columns=columns, now=utcnow())


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
            values = form.values()
            changed = operations.changed_fields(event, values) if event is not None else ()
            try:
                saved = operations.save_event(_organisation_id(), values, event)
                db.session.commit()
            except IntegrityError:  # a double click, or a colleague, took the address between check and commit
                db.session.rollback()
                form.slug.errors = [_("Another event already uses this web address.")]
            else:
                flash(_("Event saved."), "success")
                for note in form.clock_notes:
                    flash(note, "info")
                # what the change means for the features above (registration: SMS reminders paused)
                for note in signals.answers(signals.event_saved,
                                            signals.EventChange(saved.id, saved.organisation_id, utcnow(), changed)):
                    flash(note, "info")
                return redirect(url_for("events.detail", event_id=saved.id), code=303)
    elif event is not None:
        form = EventForm.for_event(event, campaigns)
    return render_template("events/event_form.html", form=form, event=event), (422 if form.errors else 200)


@bp.get("/events/<int:event_id>")
def detail(event_id):
    event = own_or_404(Event, event_id)
    # The page is put together from the parts the features above contribute (registration, the door...).
    sections = signals.answers(signals.event_page_sections, signals.EventPage(event.id, event.organisation_id))
    sections.append(signals.PageSection(30, "events/_questions.html"))
    slots = {slot: sorted((s for s in sections if s.slot == slot), key=lambda section: section.order)
             for slot in ("summary", "actions", "main")}
    return render_template("events/detail.html", event=event, sections=slots)


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
