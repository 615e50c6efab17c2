"""Behind a reverse proxy: a real `eventapp serve` process with EVENTAPP_PROXY_COUNT=1 takes the client's address
from X-Forwarded-For (the proxy's own entry, the right-most), so each client has its own sign-up rate-limit count and
its consent record says where it came from. Without the setting a forged X-Forwarded-For changes nothing."""
import os
import subprocess
import sys

import pytest
import requests
import sqlalchemy as sa

from eventapp import create_app
from eventapp.contacts.models import ConsentRecord
from tests.conftest import hidden_fields, serve_process, signup_form

pytestmark = pytest.mark.slow


class Server:
    def __init__(self, app, tmp_path, **env):
        environment = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL",
                                                                                   "EVENTAPP_PROXY_COUNT")}
        environment.update({"EVENTAPP_DATA_DIR": str(tmp_path), "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                            "EVENTAPP_RATE_LIMITS": "1", "EVENTAPP_SIGNUP_RATE_LIMIT": "2 per minute", **env})
        log = tmp_path / f"serve{len(list(tmp_path.glob('serve*.log')))}.log"
        self.process, self.url = serve_process(
            lambda port: [sys.executable, "-c", "from eventapp.cli import main; main()", "serve", "--no-worker",
                          "--port", str(port)], env=environment, log=log)

    def sign_up(self, event, email: str, forwarded_for: str | None = None) -> int:
        """A visitor (their own cookies) loads the landing page and signs up, with marketing consent."""
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        with requests.Session() as visitor:
            page = visitor.get(f"{self.url}/e/{event.slug}", headers=headers, timeout=10)
            assert page.status_code == 200
            data = {**hidden_fields(page.text), **signup_form(email=email), "marketing_consent": "y"}
            response = visitor.post(f"{self.url}/e/{event.slug}", data=data, headers=headers, allow_redirects=False,
                                    timeout=10)
        assert response.status_code in (303, 429), response.text
        return response.status_code

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def serve(app, db, tmp_path):
    servers = []

    def start(**env):
        servers.append(Server(app, tmp_path, **env))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def consent_address(db, email: str) -> str:
    from eventapp.contacts.models import Contact

    db.session.expire_all()
    return db.session.execute(sa.select(ConsentRecord.ip_address).join(Contact)
                              .where(Contact.email == email)).scalar_one()


def test_behind_one_proxy_each_client_has_its_own_count_and_address(serve, db, make_event):
    event = make_event()
    server = serve(EVENTAPP_PROXY_COUNT="1")
    # the proxy appends the address it saw; what a client put in front of it is not believed
    assert server.sign_up(event, "a1@example.com", "203.0.113.7") == 303
    assert server.sign_up(event, "a2@example.com", "198.51.100.99, 203.0.113.7") == 303
    assert server.sign_up(event, "a3@example.com", "192.0.2.1, 203.0.113.7") == 429  # that client's third
    assert server.sign_up(event, "b1@example.com", "203.0.113.8") == 303  # another client behind the same proxy
    assert consent_address(db, "a1@example.com") == "203.0.113.7"
    assert consent_address(db, "a2@example.com") == "203.0.113.7"
    assert consent_address(db, "b1@example.com") == "203.0.113.8"


def test_without_a_proxy_a_forged_forwarded_for_changes_nothing(serve, db, make_event):
    event = make_event()
    server = serve()
    assert server.sign_up(event, "a1@example.com", "203.0.113.7") == 303
    assert server.sign_up(event, "a2@example.com", "203.0.113.8") == 303
    assert server.sign_up(event, "a3@example.com", "203.0.113.9") == 429  # all three came from 127.0.0.1
    assert consent_address(db, "a1@example.com") == "127.0.0.1"
    assert consent_address(db, "a2@example.com") == "127.0.0.1"


def _probe_app(**config):
    """The app with a route that shows what it believes of the request."""
    from flask import jsonify, request

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **config})
    app.add_url_rule("/_probe", "probe", lambda: jsonify(address=request.remote_addr, scheme=request.scheme,
                                                         host=request.host))
    return app.test_client()


FORWARDED = {"X-Forwarded-For": "198.51.100.99, 203.0.113.7", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "events.example.com"}


def test_the_proxy_count_gives_address_scheme_and_host_for_gunicorn_too():
    probe = _probe_app(PROXY_COUNT=1).get("/_probe", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert probe.json == {"address": "203.0.113.7", "scheme": "https", "host": "events.example.com"}
    probe = _probe_app(PROXY_COUNT=0).get("/_probe", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert probe.json == {"address": "10.0.0.2", "scheme": "http", "host": "localhost"}


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_proxy_count_that_is_not_a_number_stops_the_app_with_a_sentence(tmp_path, value):
    from eventapp.config import from_environment

    with pytest.raises(ValueError, match="EVENTAPP_PROXY_COUNT must be a whole number of 0 or more"):
        from_environment({"EVENTAPP_DATA_DIR": str(tmp_path), "EVENTAPP_PROXY_COUNT": value})
