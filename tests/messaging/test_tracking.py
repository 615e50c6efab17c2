"""Open and click tracking of marketing mail: the pixel, the signed redirects (no open redirect), what they record,
and the weak-signal flag on what comes seconds after the send."""
import re
from datetime import timedelta
from html import unescape

from eventapp.core.tokens import sign
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.messaging.models import EngagementKind, MessageEvent
from eventapp.messaging.operations import deliver_due
from eventapp.messaging.tracking import PIXEL
from tests.messaging.marketing import AGENDA, FORM_ACTION, html_of, rows


def mailed(promo, smtp_sink):
    message_id = promo.queue(promo.contact())
    deliver_due()
    [mail] = smtp_sink.messages
    return message_id, html_of(mail)


def tracked_links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'<a\b[^>]*\bhref="([^"]*/c/[^"]+)"', html)]


def sent_a_while_ago(promo, db, message_id):
    """Move the send back an hour: what comes now is a person, not a scanner right after delivery."""
    message = promo.message(message_id)
    message.sent_at -= timedelta(hours=1)
    db.session.commit()


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_only_web_links_are_rewritten_and_the_pixel_ends_the_body(promo, smtp_sink):
    message_id, html = mailed(promo, smtp_sink)
    [agenda] = tracked_links(html)
    assert agenda.startswith("http://127.0.0.1:5000/c/")
    assert AGENDA not in html and AGENDA.replace("&", "&amp;") not in html  # only behind the signed link
    for untouched in ("href='javascript:alert(1)'", 'href="data:text/html,<b>x</b>"',
                      'href="mailto:events@example.com"', f'action="{FORM_ACTION}"',
                      'data-href="https://example.com/kept"'):
        assert untouched in html
    assert re.search(r'<a href="http://127\.0\.0\.1:5000/unsubscribe/[^"]+">Unsubscribe</a>', html)
    pixel = re.search(r'<img src="http://127\.0\.0\.1:5000(/o/[^"]+\.gif)" width="1" height="1" alt="" border="0">'
                      r"</body>", html)
    assert pixel, html


def test_a_click_redirects_records_and_flags_a_scanner_right_after_the_send(client, db, promo, smtp_sink):
    message_id, html = mailed(promo, smtp_sink)
    [link] = tracked_links(html)
    response = client.get(path_of(link))
    assert response.status_code == 302 and response.headers["Location"] == AGENDA
    sent_a_while_ago(promo, db, message_id)
    assert client.get(path_of(link)).headers["Location"] == AGENDA
    clicks = rows(db, MessageEvent)
    assert [(click.message_id, click.kind, click.url, click.likely_automated) for click in clicks] == [
        (message_id, EngagementKind.CLICKED, AGENDA, True), (message_id, EngagementKind.CLICKED, AGENDA, False)]
    activities = rows(db, LeadActivity, LeadActivity.kind == ActivityKind.LINK_CLICKED)
    assert [(activity.meta["url"], activity.meta["likely_automated"], activity.channel) for activity in activities] \
        == [(AGENDA, True, "email"), (AGENDA, False, "email")]


def test_an_altered_click_token_is_refused_without_a_redirect(app, client, db, promo, smtp_sink):
    message_id, html = mailed(promo, smtp_sink)
    [link] = tracked_links(html)
    token = path_of(link).removeprefix("/c/")
    with app.test_request_context():
        elsewhere = sign("open", {"m": message_id, "u": "https://evil.example/"})  # another purpose's signature
        not_web = [sign("click", {"m": message_id, "u": url}) for url in (
            "javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>", "//evil.example/",
            "https:evil.example", "mailto:x@example.com", "https://example.com/\r\nSet-Cookie: x=1")]
    payload, _dot, rest = token.partition(".")
    retargeted = payload[:-3] + ("abc" if not payload.endswith("abc") else "xyz") + "." + rest
    for bad in (retargeted, token + "x", elsewhere, *not_web, "x" * 4000):
        response = client.get(f"/c/{bad}")
        assert response.status_code == 400, bad
        assert "Location" not in response.headers
        assert "This link is not valid" in response.get_data(as_text=True)
    assert rows(db, MessageEvent) == []


def test_the_pixel_is_always_the_image_and_records_opens_flagging_early_ones(client, db, promo, smtp_sink):
    message_id, html = mailed(promo, smtp_sink)
    pixel = re.search(r'src="http://127\.0\.0\.1:5000(/o/[^"]+\.gif)"', html).group(1)
    first = client.get(pixel)  # Apple Mail Privacy Protection fetches images right away
    assert (first.status_code, first.mimetype, first.data) == (200, "image/gif", PIXEL)
    assert "no-store" in first.headers["Cache-Control"]
    sent_a_while_ago(promo, db, message_id)
    client.get(pixel)  # the person, later
    opens = rows(db, MessageEvent)
    assert [(opened.kind, opened.likely_automated) for opened in opens] == [
        (EngagementKind.OPENED, True), (EngagementKind.OPENED, False)]
    activities = rows(db, LeadActivity, LeadActivity.kind == ActivityKind.EMAIL_OPENED)
    assert [activity.meta["likely_automated"] for activity in activities] == [True, False]

    for forged in ("/o/forged.gif", pixel.replace(".gif", "x.gif"), "/o/" + "a" * 4000 + ".gif"):
        response = client.get(forged)  # the same answer: the image tells nobody whether a token is real
        assert (response.status_code, response.data) == (200, PIXEL), forged
    assert len(rows(db, MessageEvent)) == 2


def test_a_transactional_mail_is_not_tracked(client, db, make_event, smtp_sink):
    from tests.conftest import signup_form, submit

    submit(client, f"/e/{make_event().slug}", signup_form())
    deliver_due()
    [mail] = smtp_sink.messages
    assert "/o/" not in html_of(mail) and "/c/" not in html_of(mail)


def test_a_mail_records_a_bounded_number_of_opens_and_clicks(client, db, promo, smtp_sink, monkeypatch):
    from eventapp.messaging import tracking

    monkeypatch.setattr(tracking, "MAX_EVENTS_PER_MESSAGE", 3)
    _message_id, html = mailed(promo, smtp_sink)
    pixel = re.search(r'src="http://127\.0\.0\.1:5000(/o/[^"]+\.gif)"', html).group(1)
    [link] = tracked_links(html)
    for _ in range(3):
        assert client.get(pixel).data == PIXEL
    assert client.get(path_of(link)).headers["Location"] == AGENDA  # still leads on, unrecorded
    assert len(rows(db, MessageEvent)) == 3
    assert len(rows(db, LeadActivity, LeadActivity.kind.in_((ActivityKind.EMAIL_OPENED,
                                                             ActivityKind.LINK_CLICKED)))) == 3


def test_a_failure_to_record_still_shows_the_image_and_leads_on(client, db, promo, smtp_sink, monkeypatch):
    from eventapp.messaging import tracking

    def broken(*args, **kwargs):
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(tracking, "_record", broken)
    _message_id, html = mailed(promo, smtp_sink)
    pixel = re.search(r'src="http://127\.0\.0\.1:5000(/o/[^"]+\.gif)"', html).group(1)
    [link] = tracked_links(html)
    assert (client.get(pixel).status_code, client.get(pixel).data) == (200, PIXEL)
    response = client.get(path_of(link))
    assert (response.status_code, response.headers["Location"]) == (302, AGENDA)


def test_the_contacts_timeline_shows_an_early_open_as_likely_automated(client, db, promo, smtp_sink, login_as):
    message_id, html = mailed(promo, smtp_sink)
    pixel = re.search(r'src="http://127\.0\.0\.1:5000(/o/[^"]+\.gif)"', html).group(1)
    client.get(pixel)
    login_as()
    page = client.get(f"/admin/contacts/{promo.message(message_id).contact_id}").get_data(as_text=True)
    assert str(ActivityKind.EMAIL_OPENED.label) in page  # "…(weak signal: …)"
    assert "likely automated" in page
