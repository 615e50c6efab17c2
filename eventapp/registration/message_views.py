"""Organisers, per event: the message log, retry, the wording of each registration message with its preview and a
test send, reminder rules. (Messaging, below, keeps the outbox and the dev mailbox; it knows no event.)"""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.contacts.names import person_name
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.messaging import operations
from eventapp.messaging.content import template_for
from eventapp.messaging.forms import ReminderForm, TemplateForm
from eventapp.messaging.models import Message, MessageKind, MessageStatus, MessageTemplate, ReminderRule
from eventapp.messaging.operations import Recipient
from eventapp.registration import reminders
from eventapp.registration.notifications import PLACEHOLDERS
from eventapp.registration.samples import SAMPLE_PERSON, preview, sms_preview

bp = Blueprint("event_messages", __name__, url_prefix="/admin")
bp.before_request(require_back_office)

# The consent confirmation keeps our wording: it is the proof of what the person agreed to.
EDITABLE_KINDS = [kind for kind in MessageKind if kind not in (MessageKind.TEST, MessageKind.CONSENT_CONFIRMATION)]


@bp.get("/events/<int:event_id>/messages")
def log(event_id):
    event = own_or_404(Event, event_id)
    status = request.args.get("status", "")
    query = sa.select(Message).where(Message.event_id == event.id)
    if status in set(MessageStatus):
        query = query.where(Message.status == status)
    rows = db.session.execute(query.order_by(Message.created_at.desc(), Message.id.desc()).limit(500)).scalars()
    counts = dict(db.session.execute(sa.select(Message.status, sa.func.count()).where(Message.event_id == event.id)
                                     .group_by(Message.status)).all())
    rules = db.session.execute(sa.select(ReminderRule).where(ReminderRule.event_id == event.id)
                               .order_by(ReminderRule.minutes_before.desc())).scalars()
    reminder_sms = sms_preview(event, MessageKind.REMINDER, current_user.email) if event.sms_enabled else None
    return render_template("messaging/log.html", event=event, messages=list(rows), counts=counts, status=status,
                           statuses=list(MessageStatus), kinds=EDITABLE_KINDS, rules=list(rules),
                           reminder_form=ReminderForm(), reminder_sms=reminder_sms)


@bp.post("/messages/<int:message_id>/retry")
def retry(message_id):
    message = own_or_404(Message, message_id)
    if message.status != MessageStatus.FAILED:
        flash(_("Only failed messages can be retried."), "error")
    else:
        operations.retry(message)
        db.session.commit()
        current_app.extensions["tasks"]["deliver"](message.id)
        flash(_("The message is queued again."), "success")
    return redirect(url_for("event_messages.log", event_id=message.event_id), code=303)


@bp.route("/events/<int:event_id>/messages/<kind>", methods=["GET", "POST"])
def edit_template(event_id, kind):
    event = own_or_404(Event, event_id)
    if kind not in {k.value for k in EDITABLE_KINDS}:
        abort(404)
    kind = MessageKind(kind)  # the page names it by its label
    template = template_for(event.id, kind)
    form = TemplateForm(obj=template, placeholders=PLACEHOLDERS)
    if form.validate_on_submit():
        for attempt in range(2):  # the first save of a kind can race a double click's other request
            if template is None:
                template = MessageTemplate(event_id=event.id, kind=kind)
                db.session.add(template)
            form.populate_obj(template)
            try:
                db.session.commit()
                break
            except IntegrityError:  # the other request created it: write this wording over it
                db.session.rollback()
                if attempt:
                    raise
                template = template_for(event.id, kind)
        flash(_("Saved. New messages use this wording."), "success")
        return redirect(url_for("event_messages.edit_template", event_id=event.id, kind=kind), code=303)
    return render_template("messaging/template_form.html", event=event, kind=kind, form=form,
                           preview=preview(event, kind, current_user.email), sample=SAMPLE_PERSON,
                           sample_name=person_name(SAMPLE_PERSON["first_name"], SAMPLE_PERSON["last_name"]),
                           placeholders=PLACEHOLDERS), (422 if form.errors else 200)


@bp.post("/events/<int:event_id>/messages/<kind>/test")
def send_test(event_id, kind):
    event = own_or_404(Event, event_id)
    if kind not in {k.value for k in EDITABLE_KINDS}:
        abort(400)
    operations.queue_test(event.organisation_id, event.id, kind,
                          Recipient(email=current_user.email, user_id=current_user.id),
                          context={"sequence": event.calendar_sequence})
    db.session.commit()
    flash(_("A test is on its way to %(email)s, filled in for a made-up attendee.", email=current_user.email),
          "success")
    return redirect(url_for("event_messages.edit_template", event_id=event.id, kind=kind), code=303)


@bp.post("/events/<int:event_id>/reminders")
def add_reminder(event_id):
    event = own_or_404(Event, event_id)
    form = ReminderForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("event_messages.log", event_id=event.id), code=303)
    try:
        rule = reminders.add_rule(event, form.minutes(), form.channel.data)
    except reminders.ReminderRefused as refused:
        flash(str(refused), "error")
    else:
        if rule is None:
            flash(_("This reminder is already set: choose another time or channel."), "error")
        else:
            db.session.commit()
            flash(_("Reminder added."), "success")
    return redirect(url_for("event_messages.log", event_id=event.id), code=303)


@bp.post("/reminders/<int:rule_id>/delete")
def delete_reminder(rule_id):
    rule = own_or_404(ReminderRule, rule_id)
    event_id = rule.event_id
    db.session.delete(rule)
    db.session.commit()
    flash(_("Reminder removed; reminders already sent stay in the log."), "success")
    return redirect(url_for("event_messages.log", event_id=event_id), code=303)
