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
    _noted(tracking.record_open, token)
    return Response(tracking.PIXEL, mimetype="image/gif", headers={"Cache-Control": "no-store, private"})


@bp.get("/c/<token>")
def clicked(token):
    click = tracking.click_for(token)
    if click is None:  # altered or not ours: no redirect at all, so nobody can send people elsewhere through us
        return render_template("errors/error.html", code=400, title=_("Link not valid"), message=_(
            "This link is not valid: it may have been cut off or changed. Open it again from the email.")), 400
    _noted(tracking.record_click, click)
    return redirect(click.url, 302)


def _noted(record, *arguments) -> None:
    """Record an open or a click; a failure is logged, and the person still gets the image or the page."""
    try:
        record(*arguments)
        db.session.commit()
    except Exception:  # noqa: BLE001  (a failed note must not break someone's mail or stop them on a link)
        db.session.rollback()
        log.exception("an open or a click could not be recorded")
