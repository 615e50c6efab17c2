"""A flood of sign-ups from one address is slowed down with a clear message, and stores nothing more."""
import sqlalchemy as sa

from eventapp import create_app
from eventapp.registration.models import Registration
from eventapp.accounts.models import Role
from tests.conftest import PASSWORD, hidden_fields, signup_form


def test_sign_up_flood_gets_429_with_a_message(app, db, make_event):
    limited = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "RATE_LIMITS_ENABLED": True, "SIGNUP_RATE_LIMIT": "3 per minute",
                          "RATELIMIT_STORAGE_URI": "memory://"})
    event = make_event()
    client = limited.test_client()
    fields = hidden_fields(client.get(f"/e/{event.slug}").get_data(as_text=True))
    codes = [client.post(f"/e/{event.slug}", data={**fields, **signup_form(email=f"p{n}@example.com")}).status_code
             for n in range(5)]
    assert codes == [303, 303, 303, 429, 429]
    response = client.post(f"/e/{event.slug}", data={**fields, **signup_form(email="late@example.com")})
    assert "Too many sign-ups from this network" in response.get_data(as_text=True)
    assert 1 <= int(response.headers["Retry-After"]) <= 61  # when the minute's window ends
    other_network = client.post(f"/e/{event.slug}", data={**fields, **signup_form(email="other@example.com")},
                                environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other_network.status_code == 303  # the limit is per client address
    assert client.get(f"/e/{event.slug}").status_code == 200  # reading the page is not limited
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Registration)).scalar() == 4


def test_a_second_app_in_the_process_does_not_switch_limits_on_for_the_first(app, client, make_event):
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "RATE_LIMITS_ENABLED": True, "SIGNUP_RATE_LIMIT": "1 per minute"})
    event = make_event()
    fields = hidden_fields(client.get(f"/e/{event.slug}").get_data(as_text=True))
    codes = {client.post(f"/e/{event.slug}", data={**fields, **signup_form(email=f"q{n}@example.com")}).status_code
             for n in range(4)}
    assert codes == {303}


def test_login_attempts_are_limited_apart_from_sign_ups(app, db, make_event, make_user):
    limited = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "RATE_LIMITS_ENABLED": True, "SIGNUP_RATE_LIMIT": "10 per minute",
                          "RATELIMIT_STORAGE_URI": "memory://"})
    user = make_user(Role.ORGANISER)
    event = make_event()
    client = limited.test_client()
    fields = hidden_fields(client.get("/login").get_data(as_text=True))
    codes = [client.post("/login", data={**fields, "email": user.email, "password": "wrong guess"}).status_code
             for _ in range(11)]
    assert codes == [401] * 10 + [429]
    refused = client.post("/login", data={**fields, "email": user.email, "password": PASSWORD})
    assert refused.status_code == 429 and "Retry-After" in refused.headers  # even the right password waits
    assert "Wait a minute" in refused.get_data(as_text=True)
    page = hidden_fields(client.get(f"/e/{event.slug}").get_data(as_text=True))
    assert client.post(f"/e/{event.slug}", data={**page, **signup_form()}).status_code == 303  # its own count
