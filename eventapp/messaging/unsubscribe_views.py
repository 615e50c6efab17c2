"""/unsubscribe/<token>: the link in every marketing mail and its RFC 8058 one-click target. GET only shows what
would happen (mail scanners open links); POST unsubscribes at once. The signed token is the authentication: the
one-click POST comes from a mail provider with no cookie, no login and no CSRF token."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from eventapp.accounts.models import Organisation
from eventapp.core import i18n
from eventapp.extensions import csrf, db
from eventapp.messaging import unsubscribe as operations

bp = Blueprint("unsubscribe", __name__)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token):
    link = operations.link_for(token)
    if link is None:
        return render_template("errors/error.html", code=404, title=_("Unsubscribe link not valid"), message=_(
            "This unsubscribe link is not valid: it may have been cut off when it was copied. Open it again from "
            "the email, or use the unsubscribe link of a newer email from the same sender.")), 404
    language = operations.page_language(link, request.args.get("lang", type=str))
    i18n.use_language(language)  # the mail's language: the page does not read the visitor's session for it
    changed = None
    if request.method == "POST":
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        source = operations.UnsubscribeSource.ONE_CLICK if one_click else operations.UnsubscribeSource.PAGE
        changed = operations.unsubscribe(link, source, ip_address=request.remote_addr or "",
                                         user_agent=request.user_agent.string)
        db.session.commit()
    organisation = db.session.get(Organisation, link.organisation_id)
    return render_template("messaging/unsubscribe.html", link=link, token=token, changed=changed,
                           unsubscribed=changed or operations.is_unsubscribed(link),
                           organisation_name=organisation.name if organisation is not None else _("the organisers"),
                           language=language, other_languages=[(name, title) for name, title in
                                                               i18n.LANGUAGE_NAMES.items() if name != language])
