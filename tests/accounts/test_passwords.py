"""The password rule for new passwords (the account page and `eventapp user create`): long enough, not one of the
commonest passwords, not the account's email or its local part; each refusal says why."""
import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role, User
from eventapp.accounts.passwords import password_problem
from tests.conftest import PASSWORD, submit


@pytest.mark.parametrize("password, reason", [
    ("password", "one of the most common passwords"),
    ("PassWord", "one of the most common passwords"),
    ("qwertyuiop", "one of the most common passwords"),
    ("1234567890", "one of the most common passwords"),
    ("Password123", "one of the most common passwords"),
    ("ada.lovelace@example.com", "must not be your email address"),
    ("Ada.Lovelace", "must not be your email address"),
    ("short one", "at least 10 characters"),
    ("x" * 201, "at most 200 characters"),
])
def test_weak_passwords_are_refused_with_the_reason(app, password, reason):
    with app.test_request_context():
        assert reason in password_problem(password, "ada.lovelace@example.com")


def test_a_long_uncommon_password_is_fine(app):
    with app.test_request_context():
        assert password_problem("tulips under the aqueduct", "ada@example.com") is None
        assert password_problem("demo-organiser", "organiser@demo.example") is None  # the demo login


def change(client, current, new, again=None):
    return submit(client, "/account", {"current_password": current, "new_password": new,
                                       "new_password_again": new if again is None else again})


def test_the_account_page_refuses_a_common_password_and_keeps_the_old_one(client, login_as, db):
    user = login_as(Role.ORGANISER)
    response = change(client, PASSWORD, "password")
    assert response.status_code == 422
    assert "This is one of the most common passwords" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(PASSWORD)
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("current, new, again, message", [
    ("not my password", "tulips under the aqueduct", None, "That is not your current password."),
    (PASSWORD, "tulips under the aqueduct", "tulips under an aqueduct", "The two new passwords are not the same."),
    (PASSWORD, "organiser", None, "must not be your email address"),
    (PASSWORD, "too short", None, "Use at least 10 characters"),
    ("", "tulips under the aqueduct", None, "Enter your current password."),
])
def test_the_account_page_says_what_is_wrong(client, login_as, db, current, new, again, message):
    user = login_as(Role.ORGANISER)
    response = change(client, current, new, again)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(PASSWORD)


def test_the_new_password_is_the_one_that_logs_in(app, client, login_as):
    user = login_as(Role.STAFF)  # every role has an account page, not only the back office's
    assert client.get("/account").status_code == 200
    assert change(client, PASSWORD, "tulips under the aqueduct").status_code == 303
    other = app.test_client()
    assert submit(other, "/login", {"email": user.email, "password": PASSWORD}).status_code == 401
    assert submit(other, "/login", {"email": user.email, "password": "tulips under the aqueduct"}).status_code == 303


def test_the_account_page_needs_a_login(client):
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("password, message", [
    ("password", "one of the most common passwords"),
    ("qwertyuiop", "one of the most common passwords"),
    ("new.owner", "must not be your email address"),
])
def test_user_create_refuses_weak_passwords(app, db, password, message):
    result = app.test_cli_runner().invoke(args=["user", "create", "--email", "new.owner@example.com", "--role",
                                                "owner", "--password-stdin"], input=f"{password}\n")
    assert result.exit_code == 2
    assert message in result.output
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar() == 0
