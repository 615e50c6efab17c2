"""Logging out, a password change and deactivation end every session of the user for real: a copy of the session
cookie (another device, or one taken from this browser) is worth nothing after, also at the door."""
import pytest
from flask_login import encode_cookie

from eventapp.accounts.models import Role, User
from eventapp.accounts.operations import find_user
from tests.conftest import PASSWORD, hidden_fields, submit

NEW_PASSWORD = "a brand new passphrase"


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def second_device(app, user) -> object:
    """Another browser, logged in as the same user."""
    other = app.test_client()
    assert submit(other, "/login", {"email": user.email, "password": PASSWORD}).status_code == 303
    return other


def copy_of_session(app, client) -> object:
    """A browser that sends a copy of this client's session cookie (a cookie taken from the first)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def log_out(client):
    token = hidden_fields(client.get("/admin/").get_data(as_text=True))["csrf_token"]
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    return response


def test_a_copied_session_cookie_is_dead_after_logout(app, client, login_as):
    login_as(Role.ORGANISER)
    thief = copy_of_session(app, client)
    assert logged_in(thief)  # the copy works while the session lasts
    log_out(client)
    assert not logged_in(client)
    assert not logged_in(thief)


def test_logging_out_ends_the_sessions_on_other_devices_too(app, client, login_as):
    user = login_as(Role.ORGANISER)
    other = second_device(app, user)
    log_out(client)
    assert not logged_in(other)
    assert submit(client, "/login", {"email": user.email, "password": PASSWORD}).status_code == 303  # logs in again
    assert logged_in(client)


def test_a_password_change_ends_every_other_session_and_keeps_this_one(app, client, login_as):
    user = login_as(Role.ORGANISER)
    other = second_device(app, user)
    copied = copy_of_session(app, client)
    response = submit(client, "/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                            "new_password_again": NEW_PASSWORD})
    assert response.status_code == 303
    assert "Your password is changed" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert logged_in(client)
    assert not logged_in(other)
    assert not logged_in(copied)  # a copy taken before the change, from this very browser
    fresh = copy_of_session(app, client)
    assert logged_in(fresh)  # this browser's new session is the user's current one


def test_deactivating_a_user_ends_their_sessions_and_refuses_their_logins(app, client, login_as, db):
    user = login_as(Role.ORGANISER)
    other = second_device(app, user)
    result = app.test_cli_runner().invoke(args=["user", "deactivate", "--email", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert "deactivated" in result.output
    assert not logged_in(client) and not logged_in(other)
    refused = submit(client, "/login", {"email": user.email, "password": PASSWORD})
    assert refused.status_code == 401 and not logged_in(client)

    result = app.test_cli_runner().invoke(args=["user", "activate", "--email", user.email])
    assert result.exit_code == 0, result.output
    assert not logged_in(other)  # activating does not bring old sessions back
    assert submit(client, "/login", {"email": user.email, "password": PASSWORD}).status_code == 303
    assert logged_in(client)


def test_an_inactive_user_with_a_session_is_not_logged_in(app, client, login_as, db):
    """Even with the token unchanged (set in the database by hand), an inactive account has no session (as it
    had none before tokens: Flask-Login takes an inactive user as not authenticated; kept so)."""
    user = login_as(Role.ORGANISER)
    db.session.execute(User.__table__.update().where(User.__table__.c.id == user.id).values(active=False))
    db.session.commit()
    assert not logged_in(client)


@pytest.mark.parametrize("command", [["deactivate"], ["activate"]])
def test_activating_or_deactivating_an_unknown_user_says_so(app, db, command):
    result = app.test_cli_runner().invoke(args=["user", *command, "--email", "nobody@example.com"])
    assert result.exit_code == 2
    assert "there is no user with the email 'nobody@example.com'" in result.output


def test_user_create_resetting_a_password_ends_the_users_sessions(app, client, login_as):
    user = login_as(Role.ORGANISER)
    result = app.test_cli_runner().invoke(args=["user", "create", "--email", user.email, "--role", "organiser",
                                                "--org", "acme", "--password-stdin"], input=f"{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert not logged_in(client)
    assert submit(client, "/login", {"email": user.email, "password": NEW_PASSWORD}).status_code == 303


def test_the_door_session_ends_too(app, client, login_as, make_event):
    """The scanner's requests load their user with the event in one query (a plain-values user): the token is
    checked there as well."""
    user = login_as(Role.ORGANISER)
    event = make_event()
    assert client.get(f"/checkin/{event.id}/stats").status_code == 200
    phone = copy_of_session(app, client)
    assert phone.get(f"/checkin/{event.id}/stats").status_code == 200
    log_out(second_device(app, user))
    assert phone.get(f"/checkin/{event.id}/stats").status_code != 200
    assert client.get(f"/checkin/{event.id}/stats").status_code != 200


def test_a_remember_cookie_dies_with_the_session(app, client, login_as):
    """The app sets no remember-me cookie; one made from a session id the user had (as Flask-Login makes them)
    is dead once that session has ended."""
    user = login_as(Role.ORGANISER)
    with app.test_request_context():
        remembered = encode_cookie(find_user(user.email).get_id())
    returning = app.test_client()
    returning.set_cookie("remember_token", remembered)
    assert logged_in(returning)
    log_out(client)
    late = app.test_client()
    late.set_cookie("remember_token", remembered)
    assert not logged_in(late)


def test_a_session_that_names_only_the_user_id_is_not_a_session(app, client, make_user):
    """Sessions made before session tokens (and anything else without the user's token) log nobody in."""
    user = make_user(Role.ORGANISER)
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert not logged_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:not-the-token"
    assert not logged_in(client)
