"""The `eventapp` command and /healthz, as an operator uses them."""
import json
import os
import signal
import subprocess
import sys

import pytest
import sqlalchemy as sa

from eventapp import create_app
from eventapp.accounts.models import Membership, User
from eventapp.events.models import Event
from eventapp.contacts.models import Contact
from eventapp.leads.models import LeadActivity
from eventapp.registration.models import Registration


def test_healthz_reports_each_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_healthz_is_503_naming_the_broken_part(tmp_path):
    broken = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error", "queue": "ok"}


def test_user_create_reads_the_password_from_stdin(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "create", "--email", "Owner@Example.com", "--role", "owner", "--org", "acme",
                                 "--password-stdin"], input="s3cret-passphrase\n")
    assert result.exit_code == 0, result.output
    user = db.session.execute(sa.select(User)).scalar_one()
    assert user.email == "owner@example.com" and user.check_password("s3cret-passphrase")
    assert user.password_hash != "s3cret-passphrase"
    assert db.session.execute(sa.select(Membership.role)).scalar_one() == "owner"


def test_user_create_without_org_joins_the_only_organisation_and_asks_when_there_are_several(app, db):
    from eventapp.accounts.models import Organisation
    from eventapp.accounts.operations import ensure_organisation

    def create(email, *args):
        return app.test_cli_runner().invoke(args=["user", "create", "--email", email, "--role", "owner", *args,
                                                  "--password-stdin"], input="long-enough-pw\n")

    first = create("first@example.com")  # an empty database: the organisation 'default' is made
    assert first.exit_code == 0, first.output
    assert db.session.execute(sa.select(Organisation.slug)).scalars().all() == ["default"]
    db.session.execute(sa.delete(Membership))
    db.session.execute(sa.delete(Organisation))
    ensure_organisation("demo", "Demo Marketing Team")
    db.session.commit()
    joined = create("me@example.com")
    assert joined.exit_code == 0, joined.output
    assert "organisation 'demo'" in joined.output
    assert db.session.execute(sa.select(Organisation.slug)).scalars().all() == ["demo"]
    ensure_organisation("acme", "Acme")
    db.session.commit()
    refused = create("other@example.com")
    assert refused.exit_code != 0
    assert "several organisations; name one with --org (acme, demo)" in refused.output
    assert not db.session.execute(sa.select(User).where(User.email == "other@example.com")).first()


@pytest.mark.parametrize("args, text, message", [
    (["--email", "not-an-email", "--role", "owner"], "long-enough-pw\n", "email address"),
    (["--email", "a@b.example", "--role", "emperor"], "long-enough-pw\n", "emperor"),
    (["--email", "a@b.example", "--role", "staff"], "short\n", "at least 10 characters"),
])
def test_user_create_refuses_bad_input(app, db, args, text, message):
    result = app.test_cli_runner().invoke(args=["user", "create", *args, "--password-stdin"], input=text)
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar() == 0


def test_demo_is_idempotent_and_prints_urls_and_login(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "/e/demo-seminar" in first.output and "organiser@demo.example" in first.output
    counts = {model: db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()
              for model in (Event, Contact, Registration, LeadActivity, User)}
    assert counts[Event] == 4 and counts[Registration] >= 9
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    db.session.expire_all()
    assert counts == {model: db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()
                      for model in counts}
    slugs = set(db.session.execute(sa.select(Event.slug)).scalars())
    assert slugs == {"demo-seminar", "demo-roundtable", "demo-trade-show", "demo-shanghai"}
    kinds = set(db.session.execute(sa.select(Event.kind)).scalars())
    assert kinds == {"seminar", "roundtable", "trade_show"}


def test_demo_login_works(app, db):
    app.test_cli_runner().invoke(args=["demo"])
    from tests.conftest import submit

    client = app.test_client()
    response = submit(client, "/login", {"email": "organiser@demo.example", "password": "demo-organiser"})
    assert response.status_code == 303
    assert "Events that make pipeline" in client.get("/admin/").get_data(as_text=True)


def test_demo_runs_an_event_in_chinese(app, db):
    """The Chinese colleague's back office is in Chinese; the Shanghai seminar's page opens in Chinese for a
    Chinese browser and in English on request; its people are named the Chinese way and were mailed in Chinese."""
    from eventapp.messaging.models import Message
    from tests.conftest import submit

    output = app.test_cli_runner().invoke(args=["demo"]).output
    assert "organiser-zh@demo.example" in output and "/e/demo-shanghai" in output
    client = app.test_client()
    assert submit(client, "/login", {"email": "organiser-zh@demo.example",
                                     "password": "demo-organiser-zh"}).status_code == 303
    back_office = client.get("/admin/").get_data(as_text=True)
    assert "活动驱动增长" in back_office and ">活动<" in back_office and ">Events<" not in back_office
    visitor = app.test_client()
    page = visitor.get("/e/demo-shanghai", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in page and "报名" in page
    english = visitor.get("/e/demo-shanghai?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english and "Sign up" in english
    people = {contact.name for contact in db.session.execute(
        sa.select(Contact).where(Contact.email_key.in_(["wangfang@shenzhou.example", "liwei@huaxing.example"])))
        .scalars()}
    assert people == {"王芳", "李伟"}
    mailed = db.session.execute(sa.select(Message.language).where(
        Message.recipient == "wangfang@shenzhou.example")).scalars().all()
    assert mailed and set(mailed) == {"zh_Hans"}


def test_db_upgrade_brings_an_empty_database_to_head(tmp_path):
    env = {**os.environ, "EVENTAPP_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db"}
    result = subprocess.run([sys.executable, "-c", "from eventapp.cli import main; main()", "db", "upgrade"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(f"sqlite:///{tmp_path}/fresh.db")
    tables = set(sa.inspect(engine).get_table_names())
    assert {"events", "registrations", "contacts", "lead_activities", "alembic_version"} <= tables
    # the secret key was generated and persisted, readable only by its owner
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    with engine.connect() as connection:
        # WAL is a property of the file: the app switched it on, a plain connection sees it
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_secret_key_is_stable_across_restarts(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTAPP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"}).config["SECRET_KEY"]
    second = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"}).config["SECRET_KEY"]
    assert first == second and len(first) >= 64


def test_lead_activities_are_append_only(client, db, make_event):
    from tests.conftest import signup_form, submit

    event = make_event()
    submit(client, f"/e/{event.slug}", signup_form())
    activity = db.session.execute(sa.select(LeadActivity)).scalars().first()
    activity.kind = "tampered"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    activity = db.session.execute(sa.select(LeadActivity)).scalars().first()
    db.session.delete(activity)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert json.dumps(activity.meta)  # meta stays plain JSON


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serve_with_its_worker_stops_on_ctrl_c_and_sigterm(tmp_path, stop_signal):
    from tests.conftest import serve_process

    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env["EVENTAPP_DATA_DIR"] = str(tmp_path)
    server, _url = serve_process(lambda port: [sys.executable, "-c", "from eventapp.cli import main; main()", "serve",
                                               "--port", str(port)], env=env, log=tmp_path / "serve.log")
    try:
        server.send_signal(stop_signal)
        assert server.wait(timeout=15) in (0, 1, -stop_signal)
    finally:
        server.kill()


def test_error_pages_are_translated_for_each_request(client, monkeypatch):
    """Their sentences go through gettext when the page is made (a language added later shows on them), not once
    when the app was created."""
    import flask_babel
    from babel.support import NullTranslations

    class Shouting(NullTranslations):
        def ugettext(self, message):
            return message.upper()

        gettext = ugettext

    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: Shouting())
    for url, sentence in (("/e/no-such-event", "WE COULD NOT FIND THIS PAGE."),
                          ("/healthz/nothing-here", "WE COULD NOT FIND THIS PAGE.")):
        assert sentence in client.get(url).get_data(as_text=True)
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert "THIS ADDRESS DOES NOT ACCEPT THAT KIND OF REQUEST." in response.get_data(as_text=True)
