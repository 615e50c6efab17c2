"""Back office: assignment rules, handing a lead by hand, the overdue list (issue 16, helper "handoff"). The contact
page (leads.views) includes leads/handoffs/_contact_panel.html, which handoff_panel() below fills."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.contacts.models import Contact
from eventapp.core.time import utcnow
from eventapp.extensions import db
from eventapp.leads import handoffs, stages
from eventapp.leads.handoff_forms import AUTOMATIC, HandForm, RuleForm, StageForm
from eventapp.leads.models.handoff import ASSIGNABLE_FIELDS, AssignmentRule

bp = Blueprint("handoffs", __name__, url_prefix="/admin/handoffs")
bp.before_request(require_back_office)


def _organisation_id() -> int:
    return current_user.membership.organisation_id


def handoff_panel(contact: Contact, state) -> dict:
    """What the contact page's handoff panel shows: the open handoff, the forms (stage override, hand to sales)."""
    sellers = handoffs.sales_users(contact.organisation_id)
    stage_form = StageForm(formdata=None, stage=state.stage, reason="")
    return {"handoff": handoffs.open_handoff(contact.id), "stage_form": stage_form,
            "hand_form": HandForm(formdata=None, owner=AUTOMATIC).offer(sellers), "sellers": sellers,
            "zone": handoffs.organisation_timezone(contact.organisation_id).key}


@bp.app_context_processor
def _template_helpers():
    return {"handoff_panel": handoff_panel, "feedback_label": handoffs.feedback_label}


@bp.get("/")
def index():
    return _index_page(RuleForm(formdata=None).offer(handoffs.sales_users(_organisation_id())))


def _index_page(form, status=200):
    """Open and overdue handoffs, leads waiting for an owner, the assignment rules and the form for a new one."""
    organisation_id = _organisation_id()
    return render_template("leads/handoffs/index.html", open_handoffs=handoffs.open_handoffs(organisation_id),
                           waiting=handoffs.waiting_for_owner(organisation_id), now=utcnow(),
                           days_overdue=handoffs.days_overdue, rules=handoffs.rules_of(organisation_id),
                           form=form, fields=ASSIGNABLE_FIELDS, has_sellers=len(form.owner.choices) > 1,
                           zone=handoffs.organisation_timezone(organisation_id).key), status


@bp.post("/rules")
def add_rule():
    organisation_id = _organisation_id()
    form = RuleForm().offer(handoffs.sales_users(organisation_id))
    if not form.validate():
        return _index_page(form, 422)
    try:
        handoffs.save_rule(organisation_id, form.field.data, form.pattern.data, form.owner.data or None)
    except handoffs.HandoffRefused as refusal:
        form.pattern.errors = [str(refusal)]
        return _index_page(form, 422)
    db.session.commit()
    flash(_("Assignment rule added."), "success")
    return redirect(url_for("handoffs.index"), code=303)


@bp.post("/rules/<int:rule_id>/delete")
def delete_rule(rule_id):
    db.session.delete(own_or_404(AssignmentRule, rule_id))
    db.session.commit()
    flash(_("Assignment rule deleted."), "success")
    return redirect(url_for("handoffs.index"), code=303)


@bp.post("/contacts/<int:contact_id>/stage")
def set_stage(contact_id):
    """The organiser's override: any stage but "handed to sales" (that is the Hand to sales button), with a
    reason."""
    person = own_or_404(Contact, contact_id)
    form = StageForm()
    if not form.validate():
        flash(" ".join(str(error) for errors in form.errors.values() for error in errors), "error")
        return redirect(url_for("leads.contact", contact_id=person.id), code=303)
    moved = stages.move(person.id, form.stage.data, organisation_id=person.organisation_id,
                        reason=form.reason.data or "", by_user_id=current_user.id, override=True)
    db.session.commit()
    flash(_("Stage changed.") if moved else _("The lead is in that stage already."), "success")
    return redirect(url_for("leads.contact", contact_id=person.id), code=303)


@bp.post("/contacts/<int:contact_id>/hand")
def hand(contact_id):
    """Hand to sales (or reassign): the open handoff is withdrawn and the owner gets a new one."""
    person = own_or_404(Contact, contact_id)
    form = HandForm().offer(handoffs.sales_users(person.organisation_id))
    if not form.validate():
        flash(" ".join(str(error) for errors in form.errors.values() for error in errors), "error")
        return redirect(url_for("leads.contact", contact_id=person.id), code=303)
    try:
        handoff = handoffs.hand_off_by_organiser(person, form.owner.data or None, current_user.id)
    except handoffs.HandoffRefused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
    else:
        db.session.commit()
        flash(_("Handed to %(name)s.", name=handoff.owner.name or handoff.owner.email), "success")
    return redirect(url_for("leads.contact", contact_id=person.id), code=303)
