"""Developers: /dev/mailbox shows what would have been sent when no SMTP server is configured."""
import email
import email.policy

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, render_template, url_for
from flask_login import current_user

from eventapp.accounts.views import own_or_404, require_back_office
from eventapp.extensions import db
from eventapp.messaging.models import Message, MessageStatus

dev = Blueprint("dev_mailbox", __name__, url_prefix="/dev/mailbox")


# ---- the dev mailbox ------------------------------------------------------------------------------------------

@dev.before_request
def _only_without_smtp():
    if not current_app.extensions["message_backends"]["email"].is_dev_mailbox:
        abort(404)  # a configured SMTP server means production: there is no mailbox to show
    return require_back_office()


@dev.get("/")
def mailbox():
    rows = db.session.execute(sa.select(Message).where(Message.organisation_id == current_user.membership.organisation_id,
                                                       Message.status.in_((MessageStatus.SENT, MessageStatus.DELIVERED)))
                              .order_by(Message.sent_at.desc(), Message.id.desc()).limit(200)).scalars()
    return render_template("messaging/mailbox.html", messages=list(rows))


def _mailbox_message(message_id):
    message = own_or_404(Message, message_id)
    if not message.raw:
        abort(404)
    return message, email.message_from_bytes(message.raw, policy=email.policy.default)


@dev.get("/<int:message_id>")
def show(message_id):
    message, mail = _mailbox_message(message_id)
    parts = [(index, part.get_content_type(), part.get_filename() or part.get("Content-ID") or "")
             for index, part in enumerate(mail.walk()) if not part.is_multipart()]
    return render_template("messaging/mailbox_message.html", message=message, mail=mail, parts=parts)


@dev.get("/<int:message_id>/html")
def html(message_id):
    """The HTML part on its own, with cid: images pointed at their parts; it runs no script."""
    message, mail = _mailbox_message(message_id)
    body = mail.get_body(("html",))
    if body is None:
        abort(404)
    text = body.get_content()
    for index, part in enumerate(mail.walk()):
        cid = (part.get("Content-ID") or "").strip("<>")
        if cid:
            text = text.replace(f"cid:{cid}", url_for("dev_mailbox.part", message_id=message_id, index=index))
    return Response(text, mimetype="text/html", headers={"Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"})


@dev.get("/<int:message_id>/part/<int:index>")
def part(message_id, index):
    message, mail = _mailbox_message(message_id)
    parts = list(mail.walk())
    if index >= len(parts) or parts[index].is_multipart():
        abort(404)
    chosen = parts[index]
    name = chosen.get_filename() or f"part-{index}"
    return Response(chosen.get_payload(decode=True), mimetype=chosen.get_content_type(),
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
