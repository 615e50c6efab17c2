"""Organisers' invitation sends: compose for an event, preview, test to yourself, send now or at a time on the event's
clock, cancel, and the report with the people behind each figure. The work is sending.py's; the figures
send_report.py's; what the mail says content.py's."""
import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp import signals
from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.core.spreadsheet import Table, download, iso_time
from eventapp.core.time import from_local, local, utcnow
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.invitations import send_report, sending
from eventapp.invitations.content import PLACEHOLDERS
from eventapp.invitations.forms import PASTED, ScheduleForm, SendForm
from eventapp.invitations.models import InvitationSend, InvitationStatus, Segment, SendStatus

bp = Blueprint("invitation_sends", __name__, url_prefix="/admin")
bp.before_request(require_back_office)

PEOPLE_PER_PAGE = 50
SEND_STATUSES = {status.value: status.label for status in SendStatus}
INVITATION_STATUSES = {status.value: status.label for status in InvitationStatus}


def _segments(organisation_id: int) -> list[tuple[int, str]]:
    return list(db.session.execute(sa.select(Segment.id, Segment.name).where(Segment.organisation_id == organisation_id)
                                   .order_by(Segment.name)).all())


def _draft_or_redirect(send: InvitationSend):
    if send.status != SendStatus.DRAFT:
        flash(_("This invitation has been scheduled or sent, so it can no longer be changed."), "error")
        return redirect(url_for("invitation_sends.show", send_id=send.id), code=303)
    return None


@bp.route("/events/<int:event_id>/invitations/new", methods=["GET", "POST"])
def compose(event_id):
    event = own_or_404(Event, event_id)
    return _compose(event, None)


@bp.route("/invitations/<int:send_id>/edit", methods=["GET", "POST"])
def edit(send_id):
    send = own_or_404(InvitationSend, send_id)
    return _draft_or_redirect(send) or _compose(send.event, send)


def _compose(event: Event, send: InvitationSend | None):
    segments = _segments(event.organisation_id)
    form = SendForm(obj=send, segments=segments)
    if request.method == "GET":
        form.audience.data = str(send.segment_id) if send and send.segment_id else PASTED
        form.rate_per_minute.data = send.rate_per_minute if send else sending.default_rate()
    if form.validate_on_submit():
        send = sending.save_send(send, event, form.values(), current_user.id)
        db.session.commit()
        flash(_("Saved. Check the preview, send yourself a test, then send it."), "success")
        return redirect(url_for("invitation_sends.show", send_id=send.id), code=303)
    return render_template("invitations/sends/compose.html", event=event, send=send, form=form,
                           placeholders=PLACEHOLDERS), \
        (422 if form.errors else 200)


@bp.get("/invitations/<int:send_id>")
def show(send_id):
    send = own_or_404(InvitationSend, send_id)
    preview = _preview(send) if send.status == SendStatus.DRAFT else None
    return render_template("invitations/sends/send.html", send=send, event=send.event, preview=preview,
                           report=send_report.report(send),
                           reasons=send_report.LEFT_OUT_REASONS, schedule_form=ScheduleForm(zone=send.event.timezone),
                           local_now=local(utcnow(), send.event.timezone), labels=SEND_STATUSES)


def _preview(send: InvitationSend):
    """(subject, html, text) filled in for the sample invitee, or None while no feature writes invitation mails."""
    try:
        from eventapp.invitations.content import preview
    except ImportError:
        return None
    return preview(send)


@bp.get("/invitations/<int:send_id>/preview.html")
def preview_html(send_id):
    """The preview's HTML on its own page: it runs no script and loads nothing from elsewhere."""
    send = own_or_404(InvitationSend, send_id)
    preview = _preview(send)
    if preview is None:
        abort(404)
    return Response(preview[1], mimetype="text/html",
                    headers={"Content-Security-Policy": "default-src 'none'; img-src 'self' data:; "
                                                        "style-src 'unsafe-inline'; form-action 'none'"})


@bp.post("/invitations/<int:send_id>/test")
def send_test(send_id):
    send = own_or_404(InvitationSend, send_id)
    try:
        sending.queue_test_send(send, current_user.email, current_user.id)
    except LookupError:
        flash(_("Invitation mails cannot be written yet, so no test was sent."), "error")
    else:
        db.session.commit()
        flash(_("A test is on its way to %(email)s, filled in for a made-up person.", email=current_user.email),
              "success")
    return redirect(url_for("invitation_sends.show", send_id=send.id), code=303)


@bp.post("/invitations/<int:send_id>/send")
def send_now(send_id):
    send = own_or_404(InvitationSend, send_id)
    return _carry_out(send, lambda: sending.start_send(send), lambda count: _(
        "Sending to %(count)d people, %(rate)d a minute.", count=count, rate=send.rate_per_minute))


@bp.post("/invitations/<int:send_id>/schedule")
def schedule(send_id):
    send = own_or_404(InvitationSend, send_id)
    form = ScheduleForm(zone=send.event.timezone)
    if not form.validate_on_submit():
        flash(" ".join(str(error) for errors in form.errors.values() for error in errors), "error")
        return redirect(url_for("invitation_sends.show", send_id=send.id), code=303)
    when = from_local(form.send_at.data, send.event.timezone)
    return _carry_out(send, lambda: sending.schedule_send(send, when),
                      lambda _none: _("Scheduled. It starts by itself at the time you chose."))


@bp.post("/invitations/<int:send_id>/cancel")
def cancel(send_id):
    send = own_or_404(InvitationSend, send_id)
    return _carry_out(send, lambda: sending.cancel_send(send),
                      lambda stopped: _("Cancelled; %(count)d invitations did not go.", count=stopped))


def _carry_out(send: InvitationSend, operation, said):
    """Run one operation on the send: committed with `said(result)` as the news, or refused with its sentence and
    nothing changed; back to the send's page either way."""
    try:
        result = operation()
    except sending.SendRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(said(result), "success")
    return redirect(url_for("invitation_sends.show", send_id=send.id), code=303)


def _figure_or_404(name: str) -> send_report.Figure:
    if name not in {figure.value for figure in send_report.Figure}:
        abort(404)
    return send_report.Figure(name)


@bp.get("/invitations/<int:send_id>/people/<figure>")
def people(send_id, figure):
    send = own_or_404(InvitationSend, send_id)
    chosen = _figure_or_404(figure)
    number = _page_number(request.args.get("page"))
    query = send_report.people(send, chosen)
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(query.limit(PEOPLE_PER_PAGE).offset((number - 1) * PEOPLE_PER_PAGE)).all()
    return render_template("invitations/sends/people.html", send=send, event=send.event, figure=chosen, rows=rows,
                           total=total, number=number, pages=max(1, -(-total // PEOPLE_PER_PAGE)),
                           statuses=INVITATION_STATUSES)


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


PEOPLE_HEADER = ("First name", "Last name", "Company", "Job title", "Email", "Status", "Sent", "Opened", "Clicked",
                 "Registered", "Declined")


@bp.get("/invitations/<int:send_id>/export/<figure>.csv")
def people_csv(send_id, figure):
    send = own_or_404(InvitationSend, send_id)
    chosen = _figure_or_404(figure)
    zone = send.event.timezone

    def rows():
        for invitation, contact in db.session.execute(send_report.people(send, chosen).execution_options(
                yield_per=500)):
            yield (contact.first_name, contact.last_name, contact.company, contact.job_title, contact.email,
                   invitation.status, *(iso_time(getattr(invitation, name), zone) for name in (
                       "sent_at", "opened_at", "clicked_at", "registered_at", "declined_at")))

    return download(Table("people", PEOPLE_HEADER, rows()), f"invitation-{send.id}-{chosen.value}", "csv")


@signals.event_page_sections.connect
def _event_page(page: signals.EventPage, **_):
    """The event's page: an "Invite people" button, and its sends with their status and progress."""
    sends = db.session.execute(sa.select(InvitationSend).where(InvitationSend.event_id == page.event_id)
                               .order_by(InvitationSend.created_at.desc(), InvitationSend.id.desc())).scalars().all()
    return [signals.PageSection(30, "invitations/sends/_event_actions.html", slot="actions"),
            signals.PageSection(35, "invitations/sends/_event_sends.html",
                                {"sends": [(send, send_report.report(send)) for send in sends],
                                 "labels": SEND_STATUSES})]
