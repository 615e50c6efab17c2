"""Unsubscribing from a received invitation: the link in the mail, opened in Chromium and confirmed on the page, and
the one-click POST a mail provider sends (no cookie, no CSRF token) to the List-Unsubscribe address."""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from eventapp.contacts.models import Suppression
from eventapp.messaging.models import EngagementKind, Message, MessageEvent, MessageStatus
from eventapp.messaging.operations import deliver_due
from tests.invitations.invitation_mail import html_of, invite


@pytest.fixture
def invited(app, db, make_event, smtp_sink, monkeypatch):
    """(the received invitation, its outbox row's id), its links pointing at the live server."""
    def invited_to(live_server):
        monkeypatch.setitem(app.config, "BASE_URL", live_server)
        invitation = invite(db, make_event(title="Executive roundtable"))
        deliver_due()
        [mail] = smtp_sink.messages
        message_id = db.session.execute(sa.select(Message.id).where(
            Message.idempotency_key == f"invitation:{invitation.id}")).scalar_one()
        return mail, message_id
    return invited_to


def suppressions(db) -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [(row.address, row.reason, row.source) for row in db.session.execute(sa.select(Suppression)).scalars()]


def test_the_unsubscribe_link_in_the_mail_opens_a_page_that_confirms_with_a_button(phone, live_server, db, invited):
    mail, message_id = invited(live_server)
    page = phone.new_page()
    page.set_content(html_of(mail))
    page.get_by_role("link", name="Unsubscribe").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe from marketing email")
    expect(page.locator("main")).to_contain_text("a•••@example.com")
    expect(page.locator("main")).to_contain_text("still comes")
    assert suppressions(db) == []  # opening the page changed nothing
    page.get_by_role("button", name="Unsubscribe a•••@example.com").click()

    expect(page.get_by_role("status")).to_contain_text("Done: a•••@example.com is unsubscribed")
    assert suppressions(db) == [("ada@example.com", "unsubscribed", f"page message:{message_id}")]
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("already unsubscribed")


def test_the_one_click_post_of_the_list_unsubscribe_header(playwright_instance, live_server, db, invited):
    mail, message_id = invited(live_server)
    [url] = re.fullmatch(r"<([^>]+)>", mail["List-Unsubscribe"]).groups()
    assert url.startswith(f"{live_server}/unsubscribe/")
    provider = playwright_instance.request.new_context()  # a mail provider: no cookies, no page, no CSRF token
    try:
        response = provider.post(url, form={"List-Unsubscribe": "One-Click"})
        assert response.status == 200
        again = provider.post(url, form={"List-Unsubscribe": "One-Click"})
        assert again.status == 200 and "already unsubscribed" in again.text()
    finally:
        provider.dispose()
    assert suppressions(db) == [("ada@example.com", "unsubscribed", f"one-click message:{message_id}")]


def test_the_mail_counts_its_open_and_a_tracked_link_leads_on(phone, live_server, db, invited):
    mail, message_id = invited(live_server)
    page = phone.new_page()
    page.set_content(html_of(mail))
    register = page.get_by_role("link", name="Register")
    assert "/c/" in register.get_attribute("href")
    register.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/i/[\w-]+$"))
    db.session.expire_all()
    happened = [(row.message_id, row.kind) for row in db.session.execute(sa.select(MessageEvent)
                                                                          .order_by(MessageEvent.id)).scalars()]
    # The browser showing the mail loaded its pixel (an open), then the click.
    assert happened == [(message_id, EngagementKind.OPENED), (message_id, EngagementKind.CLICKED)]
    assert db.session.get(Message, message_id).status == MessageStatus.SENT
