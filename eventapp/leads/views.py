"""Contacts and their activity timelines, for organisers."""
import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import current_user

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.contacts.models import ConsentRecord, Contact
from eventapp.core.forms import strip_line
from eventapp.extensions import db
from eventapp.leads.operations import lead_state, timeline
from eventapp.messaging.models import Message, MessageStatus
from eventapp.registration.models import Registration

bp = Blueprint("leads", __name__, url_prefix="/admin/contacts")
bp.before_request(require_back_office)

PAGE_SIZE = 100


@bp.get("/")
def contacts():
    organisation_id = current_user.membership.organisation_id
    query = sa.select(Contact).where(Contact.organisation_id == organisation_id)
    search = strip_line(request.args.get("q") or "")[:200]
    if search:
        text = search.lower()  # % and _ are letters here, not wildcards (autoescape)
        query = query.where(sa.or_(*(column.contains(text, autoescape=True) for column in (
            Contact.email_key, sa.func.lower(Contact.first_name), sa.func.lower(Contact.last_name),
            sa.func.lower(Contact.company)))))
    rows = db.session.execute(query.order_by(Contact.updated_at.desc()).limit(PAGE_SIZE)).scalars()
    return render_template("leads/contacts.html", contacts=list(rows), search=search)


@bp.get("/<int:contact_id>")
def contact(contact_id):
    person = own_or_404(Contact, contact_id)
    registrations = db.session.execute(sa.select(Registration).where(Registration.contact_id == person.id)
                                       .order_by(Registration.created_at.desc())).scalars()
    consents = db.session.execute(sa.select(ConsentRecord).where(ConsentRecord.contact_id == person.id)
                                  .order_by(ConsentRecord.recorded_at.desc())).scalars()
    messages = db.session.execute(sa.select(Message).where(Message.contact_id == person.id)
                                  .order_by(Message.created_at.desc(), Message.id.desc()).limit(200)).scalars()
    return render_template("leads/contact.html", contact=person, state=lead_state(person), activities=timeline(person),
                           registrations=list(registrations), consents=list(consents), messages=list(messages),
                           MessageStatus=MessageStatus)
