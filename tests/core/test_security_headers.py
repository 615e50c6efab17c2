"""Every response carries the security headers; a page that sets its own policy keeps it; manage links stay out of
caches and referrers."""
import sqlalchemy as sa

from eventapp.messaging.operations import deliver_due
from eventapp.registration.models import Registration
from tests.messaging.test_email import messages, sign_up

POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
          "form-action 'self'; base-uri 'none'")


def test_pages_and_json_carry_the_security_headers(client, make_event):
    event = make_event()
    for response in (client.get(f"/e/{event.slug}"), client.get("/healthz"), client.get("/no-such-page")):
        assert response.headers.getlist("Content-Security-Policy") == [POLICY]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_manage_link_is_kept_out_of_caches_and_referrers(client, db, make_event):
    event = make_event()
    sign_up(client, event)
    [registration] = db.session.execute(sa.select(Registration)).scalars()
    response = client.get(f"/r/{registration.manage_token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]


def test_a_page_with_its_own_policy_keeps_it(client, db, make_event, login_as):
    sign_up(client, make_event())
    deliver_due()
    login_as()
    [row] = messages(db)
    response = client.get(f"/dev/mailbox/{row.id}/html")  # a mail's HTML: no script at all, its own styles
    assert response.headers.getlist("Content-Security-Policy") == [
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_error_page_keeps_what_the_error_says_in_its_headers(client, make_event):
    event = make_event()
    response = client.delete(f"/e/{event.slug}")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert "does not accept that kind of request" in response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/html")
