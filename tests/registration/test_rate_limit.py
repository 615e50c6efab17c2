"""A flood of sign-ups from one address is slowed down with a clear message, and stores nothing more."""
import sqlalchemy as sa

from eventapp import create_app
from eventapp.registration.models import Registration
from tests.conftest import hidden_fields, signup_form


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
    assert client.get(f"/e/{event.slug}").status_code == 200  # reading the page is not limited
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Registration)).scalar() == 3


def test_a_second_app_in_the_process_does_not_switch_limits_on_for_the_first(app, client, make_event):
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "RATE_LIMITS_ENABLED": True, "SIGNUP_RATE_LIMIT": "1 per minute"})
    event = make_event()
    fields = hidden_fields(client.get(f"/e/{event.slug}").get_data(as_text=True))
    codes = {client.post(f"/e/{event.slug}", data={**fields, **signup_form(email=f"q{n}@example.com")}).status_code
             for n in range(4)}
    assert codes == {303}
