"""Saved segments in the back office: the list, the form with its count and who a send would leave out, the members,
and deleting one."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.contacts.editing import tags_of
from eventapp.core.paging import page_number, page_of
from eventapp.events.operations import events_of
from eventapp.extensions import db
from eventapp.invitations import segments
from eventapp.invitations.models import Segment
from eventapp.invitations.segment_forms import SegmentForm

bp = Blueprint("segments", __name__, url_prefix="/admin/segments")
bp.before_request(require_back_office)

MEMBERS_PAGE_SIZE = 50


def _organisation_id() -> int:
    return current_user.membership.organisation_id


@bp.get("/")
def index():
    organisation_id = _organisation_id()
    rows = [(segment, segments.count(organisation_id, segment.filters), segments.describe(organisation_id,
                                                                                           segment.filters))
            for segment in segments.segments_of(organisation_id)]
    return render_template("invitations/segments/index.html", rows=rows)


def _form(segment: Segment | None) -> SegmentForm:
    organisation_id = _organisation_id()
    choices = {"profile_values": {name: segments.values_in_use(organisation_id, name) for name in segments.ONE_OF},
               "tags": tags_of(organisation_id), "events": events_of(organisation_id),
               "kept": segment.filters if segment else None}
    if segment is not None and request.method == "GET":
        return SegmentForm(data=SegmentForm.data_of(segment), **choices)
    return SegmentForm(**choices)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:segment_id>", methods=["GET", "POST"])
def edit(segment_id=None):
    """GET shows the segment and who it holds now; a POST with "preview" counts the filters as sent without saving;
    any other POST saves."""
    segment = own_or_404(Segment, segment_id) if segment_id else None
    form = _form(segment)
    organisation_id = _organisation_id()
    filters = segment.filters if segment is not None else None
    if form.is_submitted():
        if "preview" in request.form:
            form.name.validators = []  # a count needs no name
        if form.validate():
            filters = form.filters()
            if "preview" not in request.form:
                try:
                    saved = segments.save_segment(organisation_id, form.name.data, filters, segment)
                    db.session.commit()
                except (segments.NameTaken, IntegrityError):  # IntegrityError: a double click's other request
                    db.session.rollback()
                    form.name.errors = [_("Another segment already has this name.")]
                else:
                    flash(_("Segment saved."), "success")
                    return redirect(url_for("segments.edit", segment_id=saved.id), code=303)
        else:
            filters = None
    audiences = None
    if filters is not None and not form.errors:
        audiences = {"marketing": segments.audience(filters, marketing=True, organisation_id=organisation_id),
                     "described": segments.describe(organisation_id, filters)}
    return render_template("invitations/segments/form.html", form=form, segment=segment, audiences=audiences), \
        (422 if form.errors else 200)


@bp.get("/<int:segment_id>/members")
def members(segment_id):
    segment = own_or_404(Segment, segment_id)
    page = page_of(segments.member_contacts(segment.organisation_id, segment.filters),
                   page_number(request.args.get("page")), MEMBERS_PAGE_SIZE)
    return render_template("invitations/segments/members.html", segment=segment, page=page,
                           described=segments.describe(segment.organisation_id, segment.filters))


@bp.route("/<int:segment_id>/delete", methods=["GET", "POST"])
def delete(segment_id):
    """GET asks; the POST (with its CSRF token) deletes."""
    segment = own_or_404(Segment, segment_id)
    if request.method == "GET":
        return render_template("invitations/segments/delete.html", segment=segment,
                               waiting=segments.waiting_sends(segment))
    name = segment.name
    try:
        segments.delete_segment(segment)
    except segments.SegmentInUse:
        db.session.rollback()
        flash(_("Invitations still to be sent go to this segment: change their audience or cancel them first."),
              "error")
        return redirect(url_for("segments.delete", segment_id=segment_id), code=303)
    db.session.commit()
    flash(_("Segment “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("segments.index"), code=303)
