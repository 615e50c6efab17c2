"""The invitation's own pages: /i/<token> (the form inside the mail posts here; GET shows the same form filled in)
and /i/<token>/decline (Can't come: GET asks, POST answers). Mail scanners follow links, so no GET changes a thing."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from eventapp.core.content import render_markdown
from eventapp.core.ratelimit import rate_limited
from eventapp.events import operations as events
from eventapp.extensions import csrf, db
from eventapp.invitations import replies
from eventapp.invitations.content import prefilled
from eventapp.invitations.models import InvitationStatus
from eventapp.registration import operations as registration
from eventapp.registration.languages import language_query, page_language
from eventapp.registration.forms import MISSING_QUESTION, SignupForm, answers_to_missing_questions, form_for_event
from eventapp.registration.operations import Outcome, RegistrationClosed, Signup

bp = Blueprint("invitation", __name__)


def _invitation_or_404(token):
    invitation = replies.find_by_token(token)
    if invitation is None:
        abort(404, description=_("This invitation link is not valid. Check that you opened the whole link from "
                                 "your invitation email, or ask the organisers for a new one."))
    # In the invitee's language when the event offers it (an imported list may say it), else as the landing page.
    page_language(invitation.event, invitation.contact.language if invitation.contact else "")
    return invitation


def _organisation_name(event) -> str:
    return events.organisation_of(event).name


def _page(invitation, form, status=200, message=None):
    event = invitation.event
    organisation_name = _organisation_name(event)
    return render_template(
        "invitations/public/invitation.html", invitation=invitation, event=event, form=form, message=message,
        closed=registration.closed_reason(event), registered=replies.invitee_registration(invitation) is not None,
        declined=invitation.status == InvitationStatus.DECLINED,
        full_message=registration.full_message(event) if event.is_full else None,
        summary=render_markdown(event.summary), organisation_name=organisation_name,
        consent_text=registration.marketing_consent_text(organisation_name),
        may_be_forwarded=replies.may_be_forwarded(invitation),
    ), status


@bp.get("/i/<token>")
def invitation(token):
    found = _invitation_or_404(token)
    # Once the invitee is registered, whoever opens the link is someone it was forwarded to: an empty form.
    known = {} if replies.invitee_registration(found) is not None else prefilled(found.contact)
    form = form_for_event(SignupForm, found.event, formdata=None, data=known)
    return _page(found, form)


@bp.post("/i/<token>")
@csrf.exempt  # the token in the address authenticates the post, which comes from a mail (no cookie to pair with)
@rate_limited(lambda config: config["SIGNUP_RATE_LIMIT"],
              _l("Too many sign-ups from this network. Wait a minute and try again."))
def sign_up(token):
    found = _invitation_or_404(token)
    event = found.event
    posted = _posted_fields()
    form = form_for_event(SignupForm, event, formdata=posted)
    if not form.validate():
        return _page(found, form, status=422)
    if answers_to_missing_questions(form, posted):
        return _page(found, form, status=422, message=str(MISSING_QUESTION))
    signup = Signup(email=form.normalised_email, details=form.details(), answers=form.answers(event),
                    sms_opt_in=form.wants_sms, language=str(get_locale() or "en"),
                    marketing_consent=form.marketing_consent.data,
                    consent_text=registration.marketing_consent_text(_organisation_name(event))
                    if form.marketing_consent.data else "",
                    # The same mail's form sent twice is one sign-up (and one confirmation).
                    form_nonce=f"invitation:{found.id}",
                    ip_address=request.remote_addr or "", user_agent=request.user_agent.string or "")
    try:
        result = replies.sign_up(found, signup)
    except replies.ForwardingRefused as refused:
        db.session.rollback()
        return render_template("invitations/public/personal.html", event=event, message=str(refused),
                               organisation_name=_organisation_name(event)), 403
    except RegistrationClosed as closed:
        db.session.rollback()
        return _page(found, form, status=409, message=str(closed))
    manage_token = result.registration.manage_token  # read before the commit expires it
    db.session.commit()
    if result.outcome is not Outcome.CREATED:
        # Registered before (or this very form sent twice): the manage link went to the address by mail. Anyone
        # holding a forwarded copy can type the invitee's address, so it is never shown here.
        return render_template("registration/already_registered.html", event=event)
    return redirect(url_for("registration.manage", token=manage_token, new=1, **language_query()), code=303)


def _posted_fields() -> MultiDict:
    """The form as posted; Outlook.com renames the fields of a form inside a mail to x_<name>, read as <name>."""
    posted = MultiDict()
    for name, values in request.form.lists():
        posted.setlist(name.removeprefix("x_"), values)
    return posted


@bp.route("/i/<token>/decline", methods=["GET", "POST"])
def decline(token):
    found = _invitation_or_404(token)
    registered = replies.invitee_registration(found) is not None
    if request.method == "POST" and not registered:
        replies.decline(found)
        db.session.commit()
    return _decline_page(found, registered)


def _decline_page(invitation, registered: bool, link_mailed: bool = False):
    return render_template("invitations/public/decline.html", invitation=invitation, event=invitation.event,
                           registered=registered, declined=invitation.status == InvitationStatus.DECLINED,
                           link_mailed=link_mailed, organisation_name=_organisation_name(invitation.event))


@bp.post("/i/<token>/manage-link")
def mail_manage_link(token):
    """The registered invitee asks for the link to their registration again (it goes by mail only)."""
    found = _invitation_or_404(token)
    if not replies.mail_manage_link(found):
        return redirect(url_for("invitation.invitation", token=token, **language_query()), code=303)
    db.session.commit()
    return _decline_page(found, registered=True, link_mailed=True)
