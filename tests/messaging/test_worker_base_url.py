"""`eventapp worker` (and `eventapp serve` with its in-process worker) refuse to send real mail or SMS whose links
would point at 127.0.0.1: without BASE_URL they stop with a sentence saying what to set."""
import os
import subprocess
import sys

import pytest

from eventapp import cli


@pytest.fixture
def no_consumer(app, monkeypatch):
    """The command gets as far as starting its consumer, which then returns at once instead of running forever."""
    started = []

    class Consumer:
        def run(self):
            started.append("run")

        def start(self):
            started.append("start")

        def stop(self, graceful=True):
            started.append("stop")

    monkeypatch.setattr(app.extensions["huey"], "create_consumer", lambda **options: Consumer())
    monkeypatch.setattr(cli, "_schedule_recovery", lambda app: None)
    return started


@pytest.mark.parametrize("settings, named", [
    ({"SMTP_URL": "smtp://mail.example.com:25"}, "SMTP_URL is set"),
    ({"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+15005550006"},
     "TWILIO_ACCOUNT_SID is set"),
    ({"SMTP_URL": "smtp://mail.example.com:25", "TWILIO_ACCOUNT_SID": "AC123"}, "SMTP_URL and TWILIO_ACCOUNT_SID are set"),
])
def test_worker_refuses_to_send_without_base_url(app, monkeypatch, no_consumer, settings, named):
    monkeypatch.setitem(app.config, "BASE_URL", "")
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code == 2
    assert named in result.stderr
    assert "Set BASE_URL to the address people reach this site at" in result.stderr
    assert "eventapp worker again" in result.stderr
    assert no_consumer == []  # nothing was started, nothing sent


def test_worker_starts_with_base_url_or_with_the_dev_mailbox(app, monkeypatch, no_consumer):
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://mail.example.com:25")
    monkeypatch.setitem(app.config, "BASE_URL", "https://events.example.com")
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code == 0, result.output
    monkeypatch.setitem(app.config, "SMTP_URL", "")
    monkeypatch.setitem(app.config, "BASE_URL", "")  # the dev mailbox is read here, where 127.0.0.1 works
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code == 0, result.output
    assert no_consumer == ["run", "run"]


def test_serve_with_its_worker_refuses_too_but_not_with_no_worker(app, monkeypatch, no_consumer):
    import waitress

    served = []

    class NoServer:
        def run(self):
            pass

    def create_server(app, **options):
        served.append(options)
        return NoServer()

    monkeypatch.setattr(waitress, "create_server", create_server)
    monkeypatch.setattr(cli, "migrate_to_head", lambda: None)
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://mail.example.com:25")
    monkeypatch.setitem(app.config, "BASE_URL", "")
    result = app.test_cli_runner().invoke(args=["serve", "--port", "5999"])
    assert result.exit_code == 2
    assert "BASE_URL is not" in result.stderr and "eventapp serve again" in result.stderr
    assert served == [] and no_consumer == []
    # without a worker of its own this process sends nothing: it serves, its own address as the fallback
    result = app.test_cli_runner().invoke(args=["serve", "--port", "5999", "--no-worker"])
    assert result.exit_code == 0, result.output
    assert len(served) == 1 and no_consumer == []


def test_a_real_worker_process_says_what_to_set(app, tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("BASE_URL", "TWILIO_ACCOUNT_SID")}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "EVENTAPP_DATA_DIR": str(tmp_path),
                "SMTP_URL": "smtp://127.0.0.1:1"})
    done = subprocess.run([sys.executable, "-c", "from eventapp.cli import main; main()", "worker"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "BASE_URL" in done.stderr and "no recipient can open" in done.stderr
