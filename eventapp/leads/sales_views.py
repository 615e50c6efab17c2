"""Sales users who log in: their own leads only, each with its timeline and the feedback form (issue 16, helper
"handoff"). A lead is theirs while they own it or hold its current handoff; anyone else's lead is a 404."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp.accounts.models import Role
from eventapp.contacts.models import Contact
from eventapp.core.time import utcnow
from eventapp.extensions import db, login_manager
from eventapp.leads import handoffs
from eventapp.leads.handoff_forms import FeedbackForm
from eventapp.leads.models import LeadState
from eventapp.leads.models.handoff import Handoff

bp = Blueprint("sales", __name__, url_prefix="/sales")
TIMELINE_LIMIT = 100


@bp.before_request
def require_sales():
    """The one role check of these pages: a logged-in sales user."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    membership = current_user.membership
    if membership is None or membership.role != Role.SALES:
        abort(403, description=_("These pages are for sales users: their own leads."))
    return None


def _mine():
    """The ids of the contacts this sales user owns or holds the current handoff of."""
    held = sa.select(Handoff.contact_id).where(Handoff.owner_user_id == current_user.id,
                                               Handoff.withdrawn_at.is_(None))
    owned = sa.select(LeadState.contact_id).where(LeadState.owner_user_id == current_user.id)
    return sa.union(held, owned)


def _my_lead_or_404(contact_id: int) -> Contact:
    person = db.session.get(Contact, contact_id)
    mine = _mine().subquery()
    if person is None or person.organisation_id != current_user.membership.organisation_id or \
            db.session.execute(sa.select(mine.c.contact_id).where(mine.c.contact_id == contact_id)).first() is None:
        abort(404)
    return person


def _my_open_handoff(person: Contact) -> Handoff | None:
    handoff = handoffs.open_handoff(person.id)
    return handoff if handoff is not None and handoff.owner_user_id == current_user.id else None


@bp.get("/")
def index():
    leads = db.session.execute(
        sa.select(Contact, LeadState).outerjoin(LeadState, LeadState.contact_id == Contact.id)
        .where(Contact.id.in_(_mine()), Contact.organisation_id == current_user.membership.organisation_id)
        .order_by(LeadState.stage_changed_at.desc())).all()
    open_ones = {handoff.contact_id: handoff for handoff in db.session.execute(
        handoffs.unanswered().where(Handoff.owner_user_id == current_user.id)).scalars()}
    return render_template("leads/sales/index.html", leads=leads, open_ones=open_ones, now=utcnow(),
                           zone=handoffs.organisation_timezone(current_user.membership.organisation_id).key)


def _lead_page(person: Contact, form: FeedbackForm, status: int = 200):
    from eventapp.leads.operations import lead_state, timeline

    return render_template("leads/sales/lead.html", state=lead_state(person), handoff=_my_open_handoff(person),
                           form=form, timeline=timeline(person)[:TIMELINE_LIMIT],
                           outcomes=handoffs.OUTCOMES, **handoffs.summary(person)), status


@bp.get("/leads/<int:contact_id>")
def lead(contact_id):
    return _lead_page(_my_lead_or_404(contact_id), FeedbackForm())


@bp.post("/leads/<int:contact_id>/feedback")
def feedback(contact_id):
    """The same answer as the mail's link, from the sales user's own page."""
    person = _my_lead_or_404(contact_id)
    handoff = _my_open_handoff(person)
    form = FeedbackForm()
    if handoff is None or handoff.answered_at is not None or handoffs.link_is_dead(handoff):
        flash(_("This lead has no open handoff of yours to answer."), "error")
        return _lead_page(person, form, 409)
    if not form.validate():
        return _lead_page(person, form, 422)
    try:
        handoffs.answer(handoff, form.feedback.data, form.note.data or "")
    except handoffs.HandoffRefused as refusal:  # answered by another request meanwhile
        db.session.rollback()
        flash(str(refusal), "error")
        return _lead_page(person, form, 409)
    db.session.commit()
    flash(_("Thank you: marketing has your answer."), "success")
    return redirect(url_for("sales.lead", contact_id=person.id), code=303)


@bp.post("/leads/<int:contact_id>/<any(won, lost):outcome>")
def outcome(contact_id, outcome):
    """The deal's end: won or lost."""
    person = _my_lead_or_404(contact_id)
    try:
        handoffs.mark_outcome(person, outcome, current_user.id)
    except handoffs.HandoffRefused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return _lead_page(person, FeedbackForm(), 409)
    db.session.commit()
    flash(_("Marked won.") if outcome == "won" else _("Marked lost."), "success")
    return redirect(url_for("sales.lead", contact_id=person.id), code=303)
