"""The sales owner's personal feedback page, `/f/<token>`: no login, the token is the key (issue 16, helper
"handoff"). GET shows the lead and the form (and never changes anything: mail scanners follow links); POST answers.
The first answer stands: the page shows it afterwards, and a second answer is refused with it."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from eventapp.extensions import db
from eventapp.leads import handoffs
from eventapp.leads.handoff_forms import FeedbackForm

bp = Blueprint("sales_feedback", __name__)


def _handoff_or_404(token: str):
    handoff = handoffs.handoff_by_token(token)
    if handoff is None:
        abort(404, description=_("This link is not valid. Check that you copied the whole address from the email."))
    return handoff


def _page(handoff, form, status=200):
    gone = handoff.answered_at is None and handoffs.link_is_dead(handoff)
    return render_template("leads/handoffs/feedback.html", handoff=handoff, form=form, gone=gone,
                           **handoffs.summary(handoff.contact)), 410 if gone else status


@bp.get("/f/<token>")
def feedback(token):
    return _page(_handoff_or_404(token), FeedbackForm())


@bp.post("/f/<token>")
def answer(token):
    handoff = _handoff_or_404(token)
    form = FeedbackForm()
    if handoff.answered_at is not None or handoffs.link_is_dead(handoff):
        return _page(handoff, form, 409)
    if not form.validate():
        return _page(handoff, form, 422)
    try:
        handoffs.answer(handoff, form.feedback.data, form.note.data or "")
    except handoffs.HandoffRefused:  # answered by another request meanwhile: show that answer
        db.session.rollback()
        return _page(db.session.get(type(handoff), handoff.id), form, 409)
    db.session.commit()
    flash(_("Thank you: marketing has your answer."), "success")
    return redirect(url_for("sales_feedback.feedback", token=token), code=303)
