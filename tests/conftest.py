"""Shared fixtures: app, db, client, factories, login_as, live_server, browser.

The suite runs on SQLite by default and on PostgreSQL when EVENTAPP_TEST_DATABASE_URL points there. It empties that
database (DROP SCHEMA public), so it never reads DATABASE_URL, which may well name a production database in the
shell that runs it, and it refuses a database whose name does not say "test". The schema is built by the
real migrations (so every test run also proves `eventapp db upgrade` from empty), and every table is emptied
after each test.
"""
import contextvars
import errno
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import tracemalloc
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp import create_app
from eventapp.accounts.models import Role
from eventapp.accounts.operations import create_user, ensure_organisation
from eventapp.core.time import utcnow
from eventapp.events import operations as event_ops
from eventapp.events.models import EventStatus
from eventapp.extensions import db as _db

CHROMIUM = os.environ.get("EVENTAPP_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"


# The app under test, and every server or worker a test starts from this environment, use the test database only.
TEST_DATABASE_URL = os.environ.get("EVENTAPP_TEST_DATABASE_URL", "")
os.environ.pop("DATABASE_URL", None)
if TEST_DATABASE_URL:
    os.environ["DATABASE_URL"] = TEST_DATABASE_URL


def unsafe_test_database(url: str) -> str | None:
    """Why the suite must not empty the database at this URL, or None when it may (SQLite files are the tests'
    own, in a temporary directory; a server database must be named as a test one)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" or "test" in (parsed.database or "").lower():
        return None
    return (f"EVENTAPP_TEST_DATABASE_URL names the database {parsed.database!r}; the tests empty the database they "
            "run on, so they only run on one whose name contains 'test' (e.g. eventapp_test)")


def _reset_database(url: str) -> None:
    if reason := unsafe_test_database(url):
        pytest.exit(reason, returncode=4)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    os.environ["EVENTAPP_DATA_DIR"] = str(data_dir)
    url = TEST_DATABASE_URL or f"sqlite:///{data_dir / 'test.db'}"
    _reset_database(url)
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "RATE_LIMITS_ENABLED": False,
        "BASE_URL": "",
        "SERVER_NAME": None,
    })
    application.test_client_class = IsolatedClient
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
    return application


@pytest.fixture(autouse=True)
def db(app):
    """An app context for the test, and empty tables after it."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as connection:
            for table in reversed(_db.metadata.sorted_tables):
                connection.execute(table.delete())


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, session and `g`, as in production, even though the test itself
    runs inside an app context (Flask would otherwise reuse the test's context for every request)."""

    def open(self, *args, **kwargs):
        context = contextvars.Context()
        response = context.run(super().open, *args, **kwargs)
        # A body still being produced (stream_with_context) goes on in the request's context, as under a server.
        response.response = _RunIn(context, response.response)
        return response


class _RunIn:
    """Iterate (and close) a response body inside the given contextvars context."""

    def __init__(self, context, body):
        self.context, self.body, self.iterator = context, body, None

    def __iter__(self):
        return self

    def __next__(self):
        if self.iterator is None:
            self.iterator = self.context.run(iter, self.body)
        return self.context.run(next, self.iterator)

    def close(self):
        if hasattr(self.body, "close"):
            self.context.run(self.body.close)
            self.body = ()

    __del__ = close  # a body the test never read is closed like a server would, in its own context


@pytest.fixture
def client(app):
    return app.test_client()


# ---- factories -------------------------------------------------------------------------------------------------

@pytest.fixture
def org(db):
    organisation = ensure_organisation("acme", "Acme Events")
    db.session.commit()
    return organisation


@pytest.fixture
def make_event(db, org):
    counter = iter(range(1, 10_000))

    def make(**overrides):
        number = next(counter)
        starts = utcnow().replace(microsecond=0) + timedelta(days=10)
        values = {
            "title": f"Growth seminar {number}", "slug": f"growth-seminar-{number}", "kind": "seminar",
            "timezone": "Europe/Berlin", "starts_at": starts, "ends_at": starts + timedelta(hours=3),
            "venue_name": "Hall A", "venue_address": "Alexanderplatz 1, 10178 Berlin",
            "summary": "A morning on pipeline.", "capacity": 50, "waitlist_enabled": True,
        }
        status = overrides.pop("status", EventStatus.PUBLISHED)
        questions = overrides.pop("questions", [])
        values.update(overrides)
        event = event_ops.save_event(org.id, values)
        db.session.flush()
        for question in questions:
            event_ops.save_question(event, {"required": False, "options": [], **question})
        event.status = status
        db.session.commit()
        return event

    return make


def signup_form(**overrides) -> dict:
    """What a person types into the sign-up form."""
    data = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "company": "Analytical Ltd",
            "job_title": "CTO", "phone": ""}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def make_user(db, org):
    def make(role=Role.ORGANISER, email=None, organisation=None):
        user = create_user(email or f"{role}@acme.example", PASSWORD, Role(role), organisation or org)
        db.session.commit()
        return user

    return make


# ---- HTTP helpers ----------------------------------------------------------------------------------------------

_HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|view_token|form_nonce)"[^>]*value="([^"]*)"', re.S)
_HIDDEN_REVERSED = re.compile(r'<input[^>]*value="([^"]*)"[^>]*name="(csrf_token|view_token|form_nonce)"', re.S)


def hidden_fields(html: str) -> dict:
    fields = {name: value for name, value in _HIDDEN.findall(html)}
    fields.update({name: value for value, name in _HIDDEN_REVERSED.findall(html)})
    return fields


def submit(client, page_url: str, data: dict, post_url: str | None = None, **kwargs):
    """Load the page like a browser (cookie, CSRF token, hidden fields), then post the form."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(post_url or page_url, data={**hidden_fields(page.get_data(as_text=True)), **data}, **kwargs)


@pytest.fixture
def login_as(client, make_user):
    def login(role=Role.ORGANISER, **kwargs):
        user = make_user(role, **kwargs)
        response = submit(client, "/login", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)
        return user

    return login


# ---- a real server and a real browser --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def live_server(app):
    """The app under waitress on a free port, as people reach it."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=16)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def browser_required() -> bool:
    return os.environ.get("EVENTAPP_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_browser("the playwright package is not installed")
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        _missing_browser(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        yield playwright


def _missing_browser(reason: str):
    if browser_required():
        pytest.fail(f"browser tests are required (EVENTAPP_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def phone(browser, playwright_instance):
    """A fresh browser context that looks like a phone."""
    context = browser.new_context(**playwright_instance.devices["Pixel 7"], accept_downloads=True)
    yield context
    context.close()


# ---- outgoing mail -----------------------------------------------------------------------------------------

def on_a_free_port(start, attempts: int = 10):
    """(port, start(port)) for a port that was free a moment ago. Another process can take it between our probe and
    the bind in start(), which then raises OSError EADDRINUSE: the next free port is tried."""
    for _attempt in range(attempts):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        try:
            return port, start(port)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
    raise AssertionError(f"{attempts} free ports were each taken before they could be bound")


def serve_process(command, *, env: dict, log: Path, timeout: float = 60, **popen) -> tuple[subprocess.Popen, str]:
    """A server process (`command(port)` is its argv, e.g. `eventapp serve --port PORT`) on a free port, and its
    base URL, once its /healthz answers 200 while it runs; its output goes to `log`. A port taken by someone else
    between our probe and the server's bind makes it exit with "Address already in use": then another is tried."""

    def start(port):
        with open(log, "w") as output:
            process = subprocess.Popen(command(port), env=env, stdin=subprocess.DEVNULL, stdout=output,
                                       stderr=subprocess.STDOUT, **popen)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                process.wait(timeout=0.1)  # the poll's pace: returns at once when the server ends
            except subprocess.TimeoutExpired:
                if _answers_health(url) and process.poll() is None:
                    return process, url
                continue
            text = log.read_text()
            if "Address already in use" in text:
                raise OSError(errno.EADDRINUSE, f"port {port} was taken")
            raise AssertionError(f"{command(port)} exited with {process.returncode}:\n{text[-4000:]}")
        process.kill()
        process.wait()
        raise AssertionError(f"{url}/healthz did not answer 200 within {timeout}s:\n{log.read_text()[-4000:]}")

    return on_a_free_port(start)[1]


def _answers_health(url: str) -> bool:
    import requests

    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


@pytest.fixture
def refused_port():
    """A port where nothing listens and nothing can start listening while the test runs: ours, bound and never
    listening, so a connection to it is refused at once."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


class SmtpSink:
    """What an in-process aiosmtpd server received, parsed with the `email` package."""

    def __init__(self):
        self.messages = []
        self.raw = []  # the bytes of each message as received (envelope.content), for judging them as a receiver
        self.reply = None  # e.g. "451 try later" or "550 no such user" to make the server refuse
        self.delay = 0.0  # seconds per message, to make a batch take a while

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        if self.reply:
            return self.reply
        import email
        import email.policy

        self.raw.append(envelope.content)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp_sink(app):
    """A real SMTP server on localhost; the app's email backend points at it for the test."""
    from aiosmtpd.controller import Controller

    from eventapp.messaging.backends import EmailBackend
    from eventapp.messaging.email import SmtpSender, SmtpSettings

    sink = SmtpSink()

    def start(port):
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()  # raises the bind's OSError when the port was taken meanwhile
        return controller

    port, controller = on_a_free_port(start)
    sink.port = port
    backends = app.extensions["message_backends"]
    previous = backends["email"]
    backends["email"] = EmailBackend(SmtpSender(SmtpSettings("127.0.0.1", port, "plain", "", ""), timeout=5))
    yield sink
    backends["email"].sender.close()
    backends["email"] = previous
    controller.stop()


@pytest.fixture
def throwaway_app(tmp_path):
    """A second app on its own empty SQLite file, for migration tests: going down to base or upgrading from an
    older revision cannot touch the session's database."""
    application = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}", "TESTING": True})
    yield application
    with application.app_context():
        _db.engine.dispose()


@dataclass(frozen=True)
class StreamedDownload:
    """What a streamed download sent and what reading it cost (traced Python memory, in bytes)."""
    first: bytes  # the first chunk
    received: int  # bytes
    lines: int  # CRLF line ends
    chunks: int
    early_peak: int | None  # after the first 5 chunks
    peak: int
    seconds: float


def read_streamed(request) -> StreamedDownload:
    """Make the request (`request()`, with buffered=False) and read its streamed body chunk by chunk under
    tracemalloc, so a test can tell a file that streams in flat memory from one built whole."""
    tracemalloc.start()
    try:
        began = time.perf_counter()
        response = request()
        assert response.status_code == 200 and response.is_streamed
        received, lines, chunks, early_peak, first = 0, 0, 0, None, b""
        for chunk in response.response:
            first = first or chunk
            received += len(chunk)
            lines += chunk.count(b"\r\n")
            chunks += 1
            if chunks == 5:
                early_peak = tracemalloc.get_traced_memory()[1]
        response.close()
        seconds = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return StreamedDownload(first, received, lines, chunks, early_peak, peak, seconds)
