"""The open pixel (/o/<token>.gif) and tracked links (/c/<token>) of marketing mail. Recording an open or a click is
one of the few GETs that write: it changes nothing about the person, only notes what a mail client did."""
import logging

from flask import Blueprint, Response, redirect, render_template
from flask_babel import gettext as _

from eventapp.extensions import db
from eventapp.messaging import tracking

bp = Blueprint("tracking", __name__)
log = logging.getLogger(__name__)


@bp.get("/o/<token>.gif")
def opened(token):
    """Always the image, whatever the token: the answer must not tell a valid token from a forged one."""
    try:
        tracking.record_open(token)
        db.session.commit()
    except Exception:  # noqa: BLE001  (a failed note of an open must not show a broken image in someone's mail)
        db.session.rollback()
        log.exception("an open could not be recorded")
    return Response(tracking.PIXEL, mimetype="image/gif", headers={"Cache-Control": "no-store, private"})


@bp.get("/c/<token>")
def clicked(token):
    target = tracking.click_target(token)
    if target is None:  # altered or not ours: no redirect at all, so nobody can send people elsewhere through us
        return render_template("errors/error.html", code=400, title=_("Link not valid"), message=_(
            "This link is not valid: it may have been cut off or changed. Open it again from the email.")), 400
    db.session.commit()
    return redirect(target, 302)
