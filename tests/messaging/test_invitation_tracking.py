"""The real marketing mail, the invitation, as tracking and unsubscribe meet it: its headers, which of its links are
tracked (every web link but the unsubscribe link; never its form's action), and the next invitation after an
unsubscribe staying home."""
import re
from html import unescape

import sqlalchemy as sa

from eventapp.messaging.models import Message, MessageStatus
from eventapp.messaging.operations import deliver_due
from tests.invitations.invitation_mail import html_of, invite, text_of

ONE_CLICK = {"data": "List-Unsubscribe=One-Click", "content_type": "application/x-www-form-urlencoded"}


def test_the_invitation_is_marketing_mail_with_its_links_tracked_but_its_form_and_unsubscribe_link_as_they_are(
        db, make_event, smtp_sink):
    invitation = invite(db, make_event())
    deliver_due()
    [mail] = smtp_sink.messages
    [unsubscribe] = re.fullmatch(r"<([^>]+)>", mail["List-Unsubscribe"]).groups()
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text_of(mail)
    html = html_of(mail)
    links = [unescape(href) for href in re.findall(r'<a\b[^>]*\bhref="([^"]+)"', html)]
    web = [link for link in links if link.startswith(("http://", "https://"))]
    assert unsubscribe in web and len(web) >= 3  # the Register button, Can't come, unsubscribe at least
    assert all(link == unsubscribe or "/c/" in link for link in web), web
    [action] = re.findall(r'<form\b[^>]*\baction="([^"]+)"', html)
    assert unescape(action).endswith(f"/i/{invitation.token}")  # the form posts straight to the invitation
    assert re.search(r'<img src="[^"]+/o/[^"]+\.gif" width="1" height="1"', html)


def test_after_an_unsubscribe_the_next_invitation_is_not_sent(app, db, make_event, smtp_sink):
    invite(db, make_event())
    deliver_due()
    [mail] = smtp_sink.messages
    path = re.sub(r"^<https?://[^/]+", "", mail["List-Unsubscribe"]).rstrip(">")
    assert app.test_client(use_cookies=False).post(path, **ONE_CLICK).status_code == 200
    smtp_sink.messages.clear()

    second = invite(db, make_event())
    deliver_due()
    assert smtp_sink.messages == []
    db.session.expire_all()
    status = db.session.execute(sa.select(Message.status).where(
        Message.idempotency_key == f"invitation:{second.id}")).scalar_one()
    # The invitation's content withdraws it (cancelled); any other marketing kind is suppressed at delivery.
    assert status in (MessageStatus.CANCELLED, MessageStatus.SUPPRESSED)
