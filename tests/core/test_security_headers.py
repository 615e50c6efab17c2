"""Every response carries the security headers; a page that sets its own policy keeps it; manage links stay out of
caches and referrers."""
import sqlalchemy as sa

from eventapp.messaging.operations import deliver_due
from eventapp.registration.models import Registration
from tests.conftest import signup_form, submit
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


# ---- HSTS: with secure cookies, and only then --------------------------------------------------------------------

HSTS = "max-age=31536000; includeSubDomains"


def test_secure_cookies_send_hsts_on_every_response(app, client, make_event, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    event = make_event()
    for response in (client.get(f"/e/{event.slug}"), client.get("/healthz"), client.get("/no-such-page"),
                     client.get("/static/css/app.css"), client.delete(f"/e/{event.slug}")):
        assert response.headers.getlist("Strict-Transport-Security") == [HSTS], response.request.path


def test_plain_http_config_never_sends_hsts(app, client, make_event):
    assert app.config["SESSION_COOKIE_SECURE"] is False
    event = make_event()
    for response in (client.get(f"/e/{event.slug}"), client.get("/healthz"), client.get("/no-such-page")):
        assert "Strict-Transport-Security" not in response.headers


def test_secure_cookies_follow_an_https_base_url_unless_switched_off(tmp_path):
    from eventapp.config import from_environment

    def secure(**env):
        return from_environment({"EVENTAPP_DATA_DIR": str(tmp_path), **env})["SESSION_COOKIE_SECURE"]

    assert secure(BASE_URL="https://events.example.com") is True
    assert secure(BASE_URL="https://events.example.com", EVENTAPP_SECURE_COOKIES="0") is False
    assert secure(BASE_URL="http://127.0.0.1:5000") is False
    assert secure() is False
    assert secure(BASE_URL="http://127.0.0.1:5000", EVENTAPP_SECURE_COOKIES="1") is True


# ---- Cache-Control: no-store on everything with personal data ------------------------------------------------------

def _no_store(response) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "")


CACHEABLE = {"static", "registration.landing"}  # nothing about a person in them


def test_every_back_office_page_and_download_is_kept_out_of_caches(app, client, db, make_event, login_as):
    """Walks every GET route of the app (so a route added later is covered) as a signed-in organiser, with real
    rows for the ids: each answer, page, JSON or download, says no-store; only public pages may be kept."""
    from eventapp.events import operations as event_ops
    from eventapp.contacts.models import Contact

    organiser = login_as()
    event = make_event()
    event_ops.save_question(event, {"label": "Diet", "kind": "text", "required": False, "options": []})
    db.session.commit()
    manage_url = sign_up(client, event)
    deliver_due()
    [registration] = db.session.execute(sa.select(Registration)).scalars()
    values = {"event_id": event.id, "contact_id": db.session.execute(sa.select(Contact.id)).scalar_one(),
              "message_id": messages(db)[0].id, "registration_id": registration.id,
              "question_id": event.questions[0].id, "campaign_id": event.campaign_id or 1, "index": 0,
              "kind": "confirmation", "file_format": "csv", "slug": event.slug,
              "token": manage_url.rsplit("/", 1)[-1], "user_id": organiser.id}
    answered = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in CACHEABLE:
            continue
        path = rule.build({name: values.get(name, 1) for name in rule.arguments}, append_unknown=False)[1]
        response = client.get(path)
        response.close()
        assert response.status_code < 500, path
        assert _no_store(response), f"{path} answered {response.headers.get('Cache-Control')!r}"
        answered[rule.endpoint] = response.status_code
    for endpoint in ("events.dashboard", "events.detail", "exports.attendance", "exports.checkins", "event_messages.log",
                     "leads.contacts", "leads.contact", "checkin.scanner", "checkin.tickets", "checkin.search",
                     "checkin.stats", "dev_mailbox.show", "registration.manage", "registration.calendar",
                     "core.healthz"):
        assert answered[endpoint] == 200, endpoint  # the walk saw real pages, not only 404s


def test_the_attendees_own_pages_are_kept_out_of_caches_without_a_login(client, db, make_event):
    event = make_event()
    manage_url = sign_up(client, event)
    client.get("/logout")  # nobody is signed in (a visitor's client never was)
    for path in (manage_url, f"{manage_url}/calendar.ics", f"{manage_url}/cancel"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "private, no-store", path


def test_public_pages_and_static_files_stay_cacheable(client, make_event):
    event = make_event()
    for path in (f"/e/{event.slug}", "/static/css/app.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert not _no_store(response), path


def test_a_sign_up_sets_no_cookie_for_the_cache_rule(client, make_event):
    """The rule reads nothing of the session: a visitor's sign-up answer (a redirect) writes no session cookie,
    and its error page, which shows what they typed, is kept out of caches."""
    event = make_event()
    response = submit(client, f"/e/{event.slug}", signup_form())
    assert response.status_code == 303 and "session=" not in response.headers.get("Set-Cookie", "")
    page = submit(client, f"/e/{event.slug}", signup_form(email="not an address"))
    assert page.status_code == 422 and page.headers["Cache-Control"] == "private, no-store"
