"""The SMS wording shows its size as the organiser types: 70 Chinese characters are one SMS, 71 are two (UCS-2),
160 plain letters one (GSM-7); the server's preview counts the filled-in text the same way."""
from playwright.sync_api import expect

from eventapp.accounts.models import Role
from tests.browser.back_office import log_in


def test_the_segment_count_follows_the_typing(phone, live_server, make_user, make_event):
    event = make_event(sms_enabled=True)
    user = make_user(Role.ORGANISER)
    page = phone.new_page()
    log_in(page, live_server, user)
    page.goto(f"{live_server}/admin/events/{event.id}/messages/confirmation", wait_until="networkidle")
    live = page.locator("#sms-live")
    sms = page.get_by_label("SMS text")
    sms.fill("会" * 70)
    expect(live).to_have_text("As typed: 70 characters, UCS-2, 1 SMS (placeholders counted as written).")
    sms.fill("会" * 71)
    expect(live).to_contain_text("71 characters, UCS-2, 2 SMS")
    sms.fill("会" * 135)
    expect(live).to_contain_text("UCS-2, 3 SMS")
    sms.fill("a" * 160)
    expect(live).to_contain_text("160 characters, GSM-7, 1 SMS")
    sms.fill("a" * 161)
    expect(live).to_contain_text("GSM-7, 2 SMS")
    sms.fill("")
    expect(live).to_be_hidden()
