"""The session cookie is Flask's own signed cookie: an expired, forged or re-keyed one is no session."""
import time

from eventapp.accounts.models import Role


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_expires_with_the_session_lifetime(app, client, login_as, monkeypatch):
    login_as(Role.ORGANISER)
    assert client.get("/admin/").status_code == 200
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/admin/")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_a_changed_cookie_is_no_session(app, client, login_as):
    login_as(Role.ORGANISER)
    assert client.get("/admin/").status_code == 200
    good = _session_cookie(client)
    payload, dot, signature = good.rpartition(".")
    forged = payload + dot + ("A" if signature[0] != "A" else "B") + signature[1:]
    client.set_cookie("session", forged)
    assert client.get("/admin/").status_code in (302, 303)
    client.set_cookie("session", good)
    assert client.get("/admin/").status_code == 200


def test_a_new_secret_key_ends_the_sessions_signed_with_the_old_one(app, client, login_as, monkeypatch):
    login_as(Role.ORGANISER)
    assert client.get("/admin/").status_code == 200
    monkeypatch.setattr(app, "secret_key", "another key entirely, after a leak")
    assert client.get("/admin/").status_code in (302, 303)
