"""Failed logins are counted per client address and per account, in the database, so that every process (several
waitress or gunicorn workers, no Redis) shares the count; a lock is given before any password is checked."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventapp import create_app
from eventapp.accounts import operations
from eventapp.accounts.models import LoginAttempt, Role
from eventapp.core.time import utcnow
from tests.conftest import PASSWORD, hidden_fields


@pytest.fixture
def make_process(app):
    """Another app on the test database with limits on, as a separate server process would be (its own memory)."""
    def make():
        return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                           "RATE_LIMITS_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"})

    return make


class Browser:
    def __init__(self, app, address="203.0.113.1"):
        self.client = app.test_client()
        self.address = address
        self.token = hidden_fields(self.client.get("/login", environ_base=self.environ).get_data(as_text=True))[
            "csrf_token"]

    @property
    def environ(self):
        return {"REMOTE_ADDR": self.address}

    def log_in(self, email, password):
        return self.client.post("/login", data={"csrf_token": self.token, "email": email, "password": password},
                                environ_base=self.environ)


def test_sixty_guesses_from_six_addresses_check_at_most_ten_passwords(make_process, make_user, checked):
    user = make_user(Role.ORGANISER)
    process = make_process()
    codes = []
    for network in range(6):
        browser = Browser(process, f"198.51.100.{network + 1}")
        codes += [browser.log_in(user.email, f"guess {network}-{n}").status_code for n in range(10)]
    assert len(checked) == 10
    assert codes == [401] * 10 + [429] * 50


def test_two_processes_share_the_count(make_process, make_user, checked):
    user = make_user(Role.ORGANISER)
    browsers = [Browser(make_process()), Browser(make_process())]
    codes = [browsers[n % 2].log_in(user.email, f"guess {n}").status_code for n in range(30)]
    assert codes.count(401) == 10 and codes.count(429) == 20
    assert len(checked) == 10


def test_a_locked_account_refuses_even_the_right_password_and_says_when(make_process, make_user, checked):
    user = make_user(Role.ORGANISER)
    process = make_process()
    for n in range(10):
        assert Browser(process, f"192.0.2.{n + 1}").log_in(user.email, "wrong guess").status_code == 401
    browser = Browser(process, "192.0.2.200")
    refused = browser.log_in(user.email.upper(), PASSWORD)
    assert refused.status_code == 429
    assert len(checked) == 10  # the right password was not even checked
    text = refused.get_data(as_text=True)
    assert "Too many failed log-ins for this account. Try again in 15 minutes." in text
    assert 14 * 60 <= int(refused.headers["Retry-After"]) <= 15 * 60 + 1
    assert browser.client.get("/admin/").status_code == 302


def test_unknown_accounts_are_counted_like_known_ones(make_process, checked):
    process = make_process()
    codes = [Browser(process, f"192.0.2.{n + 1}").log_in("Nobody@Example.com ", "guess").status_code
             for n in range(11)]
    assert codes == [401] * 10 + [429]
    assert "for this account" in Browser(process, "192.0.2.99").log_in("nobody@example.com", "x").get_data(
        as_text=True)


def test_an_address_is_locked_for_a_minute_whatever_account_it_tries(make_process, make_user):
    user = make_user(Role.ORGANISER)
    process = make_process()
    browser = Browser(process, "203.0.113.9")
    codes = [browser.log_in(f"someone{n}@example.com", "guess").status_code for n in range(10)]
    assert codes == [401] * 10
    refused = browser.log_in(user.email, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed log-ins from your network. Wait a minute and try again." in refused.get_data(
        as_text=True)
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert Browser(process, "203.0.113.10").log_in(user.email, PASSWORD).status_code == 303  # another network


def test_a_lock_ends_when_its_window_has_passed_and_old_rows_go(make_process, make_user, monkeypatch, db):
    user = make_user(Role.ORGANISER)
    process = make_process()
    for n in range(10):
        Browser(process, f"192.0.2.{n + 1}").log_in(user.email, "wrong guess")
    assert Browser(process, "192.0.2.50").log_in(user.email, PASSWORD).status_code == 429
    later = utcnow() + timedelta(minutes=15, seconds=5)
    monkeypatch.setattr(operations, "utcnow", lambda: later)
    assert Browser(process, "192.0.2.51").log_in(user.email, PASSWORD).status_code == 303
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(LoginAttempt)).scalar() == 0


def test_successful_logins_do_not_count(make_process, make_user):
    user = make_user(Role.ORGANISER)
    process = make_process()
    codes = [Browser(process, "192.0.2.7").log_in(user.email, PASSWORD).status_code for _ in range(15)]
    assert codes == [303] * 15


def test_a_wrong_current_password_on_the_account_page_counts_as_a_failed_login(make_process, make_user):
    user = make_user(Role.ORGANISER)
    process = make_process()
    browser = Browser(process, "192.0.2.8")
    assert browser.log_in(user.email, PASSWORD).status_code == 303
    token = hidden_fields(browser.client.get("/account", environ_base=browser.environ).get_data(as_text=True))[
        "csrf_token"]
    form = {"csrf_token": token, "new_password": "a brand new passphrase",
            "new_password_again": "a brand new passphrase"}
    codes = [browser.client.post("/account", data={**form, "current_password": f"guess {n}"},
                                 environ_base={"REMOTE_ADDR": f"192.0.2.{100 + n}"}).status_code
             for n in range(11)]
    assert codes == [422] * 10 + [429]
