"""Contacts and their activity timelines, for organisers."""
import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from jinja2 import TemplateNotFound
from sqlalchemy.exc import IntegrityError

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.contacts import editing
from eventapp.contacts.forms import BulkScope, BulkTagForm, ContactForm, TagAction
from eventapp.contacts.models import ConsentRecord, Contact
from eventapp.core.forms import strip_line
from eventapp.core.paging import page_number, page_of
from eventapp.extensions import db
from eventapp.accounts.models import BACK_OFFICE_ROLES, User
from eventapp.contacts.privacy import suppressions_of
from eventapp.leads import contact_page, privacy
from eventapp.leads.operations import lead_state
from eventapp.leads.privacy_forms import EraseForm
from eventapp.leads.reasons import reason_text
from eventapp.messaging.models import Message, MessageStatus

bp = Blueprint("leads", __name__, url_prefix="/admin/contacts")
bp.add_app_template_global(reason_text)  # a stage's reason in the reader's language
bp.before_request(require_back_office)

PAGE_SIZE = 50
SEARCH_MAX = 200


def _organisation_id() -> int:
    return current_user.membership.organisation_id


def _search_text(raw: str | None) -> str:
    return strip_line(raw or "")[:SEARCH_MAX]


@bp.get("/")
def contacts():
    search = _search_text(request.args.get("q"))
    return _contact_list(search, BulkTagForm(q=search))


def _contact_list(search: str, form: BulkTagForm, status: int = 200):
    organisation_id = _organisation_id()
    page = page_of(editing.search_contacts(organisation_id, search), page_number(request.args.get("page")),
                   PAGE_SIZE)
    return render_template("leads/contacts.html", page=page, contacts=page.items, search=search, form=form,
                           BulkScope=BulkScope, TagAction=TagAction), status


@bp.post("/tags")
def bulk_tag():
    """Add a tag to, or take it off, the ticked contacts or every contact the search finds."""
    form = BulkTagForm()
    search = _search_text(form.q.data)
    if not form.validate():
        return _contact_list(search, form, 422)
    organisation_id = _organisation_id()
    [tag] = editing.spelled_as_used(organisation_id, [form.tag.data])
    chosen = (editing.matching_ids(organisation_id, search) if form.scope.data == BulkScope.MATCHING
              else form.contact_ids.data)
    if form.action.data == TagAction.ADD:
        count = editing.add_tag(organisation_id, chosen, tag)
        message = ngettext('Tag "%(tag)s" added to %(num)d contact.', 'Tag "%(tag)s" added to %(num)d contacts.',
                           count, tag=tag)
    else:
        count = editing.remove_tag(organisation_id, chosen, tag)
        message = ngettext('Tag "%(tag)s" removed from %(num)d contact.',
                           'Tag "%(tag)s" removed from %(num)d contacts.', count, tag=tag)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("leads.contacts", q=search or None), code=303)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
def edit_contact(contact_id=None):
    person = own_or_404(Contact, contact_id) if contact_id else None
    if person is not None and person.erased_at is not None:  # typing data back in would undo the erasure
        flash(_("This person's data was erased on request: their contact cannot be edited."), "error")
        return redirect(url_for("leads.contact", contact_id=person.id), code=303)
    form = ContactForm()
    form.organisation_id = _organisation_id()
    if person is not None and not form.is_submitted():
        form.fill_from(person)
    duplicate = None
    if form.validate_on_submit():
        organisation_id = _organisation_id()
        tags = editing.spelled_as_used(organisation_id, form.tag_list())
        try:
            if person is None:
                person = editing.add_contact(organisation_id, form.normalised_email, form.details(), tags)
            else:
                editing.edit_contact(person, form.normalised_email, form.details(), tags)
            db.session.commit()
        except editing.DuplicateContact as refused:
            db.session.rollback()
            duplicate = refused.contact
        except IntegrityError:  # another request (a double click) took the address between the check and here
            db.session.rollback()
            duplicate = editing.find_duplicate(organisation_id, form.normalised_email, contact_id)
            if duplicate is None:
                raise
        else:
            flash(_("Contact saved."), "success")
            return redirect(url_for("leads.contact", contact_id=person.id), code=303)
        form.email.errors = [_("This address is already a contact.")]
    status = 409 if duplicate else 422 if form.errors else 200
    return render_template("leads/contact_form.html", form=form, contact=person, duplicate=duplicate), status


@bp.get("/<int:contact_id>")
def contact(contact_id):
    person = own_or_404(Contact, contact_id)
    choices = contact_page.timeline_choices(person)
    chosen, ignored = contact_page.read_filter(request.args, choices)
    activities = contact_page.timeline_page(person, chosen, page_number(request.args.get("page")))
    consents = db.session.execute(sa.select(ConsentRecord).where(ConsentRecord.contact_id == person.id)
                                  .order_by(ConsentRecord.recorded_at.desc())).scalars()
    messages = db.session.execute(sa.select(Message).where(Message.contact_id == person.id)
                                  .order_by(Message.created_at.desc(), Message.id.desc()).limit(200)).scalars()
    return render_template("leads/contact.html", contact=person, state=lead_state(person), activities=activities,
                           choices=choices, chosen=chosen, ignored=ignored, caused_by=contact_page.caused_by,
                           events=contact_page.events_table(person), partners=contact_page.partner_names(person),
                           channels=contact_page.channel_labels(person), consents=list(consents),
                           suppressions=suppressions_of(person), messages=list(messages),
                           MessageStatus=MessageStatus, has_handoff_panel=_exists("leads/handoffs/_contact_panel.html"),
                           may_erase=_may_erase(),
                           erased_by=db.session.get(User, person.erased_by_id) if person.erased_by_id else None)


def _exists(template: str) -> bool:
    """Whether another part of leads has written this partial yet (the page keeps a simple line until then)."""
    try:
        current_app.jinja_env.get_template(template)
    except TemplateNotFound:
        return False
    return True


def _may_erase() -> bool:
    """Erasure is for owners and organisers (whoever else may one day see contacts: staff, sales, partners)."""
    return current_user.membership.role in BACK_OFFICE_ROLES


@bp.post("/<int:contact_id>/data.json")
def download_data(contact_id):
    """Everything held about the person, as a JSON file (their privacy request); the export is an activity."""
    person = own_or_404(Contact, contact_id)
    document = privacy.personal_data(person, by_user_id=current_user.id)
    db.session.commit()
    return Response(privacy.personal_data_json(document), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="contact-{person.id}-personal-data.json"',
        "Cache-Control": "no-store"})


@bp.route("/<int:contact_id>/erase", methods=["GET", "POST"])
def erase(contact_id):
    person = own_or_404(Contact, contact_id)
    if not _may_erase():
        abort(403)
    if person.erased_at is not None:
        flash(_("This person's data was erased already."), "info")
        return redirect(url_for("leads.contact", contact_id=person.id), code=303)
    form = EraseForm(email=person.email)
    if form.validate_on_submit():
        privacy.erase(person, by_user_id=current_user.id)
        db.session.commit()
        flash(_("Their personal data was erased. What they did stays in the counts, without their name."), "success")
        return redirect(url_for("leads.contact", contact_id=person.id), code=303)
    return render_template("leads/erase.html", contact=person, form=form), 422 if form.errors else 200
