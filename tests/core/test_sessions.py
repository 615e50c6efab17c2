"""The session cookie: a checked cookie is remembered (RememberingSessionInterface), which must not make an expired,
forged or re-keyed cookie good, nor let one request's changes leak into another's session."""
import time

from flask import session

from eventapp.accounts.models import Role


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_remembered_cookie_still_expires(app, client, login_as, monkeypatch):
    login_as(Role.ORGANISER)
    assert client.get("/admin/").status_code == 200  # the cookie is checked, and remembered
    assert client.get("/admin/").status_code == 200
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/admin/")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_a_changed_cookie_is_not_taken_for_the_remembered_one(app, client, login_as):
    login_as(Role.ORGANISER)
    assert client.get("/admin/").status_code == 200
    good = _session_cookie(client)
    payload, dot, signature = good.rpartition(".")
    forged = payload + dot + ("A" if signature[0] != "A" else "B") + signature[1:]
    client.set_cookie("session", forged)
    assert client.get("/admin/").status_code in (302, 303)
    client.set_cookie("session", good)
    assert client.get("/admin/").status_code == 200


def test_a_new_secret_key_is_checked_afresh(app, client, login_as, monkeypatch):
    login_as(Role.ORGANISER)
    assert client.get("/admin/").status_code == 200
    monkeypatch.setattr(app, "secret_key", "another key entirely, after a leak")
    assert client.get("/admin/").status_code in (302, 303)


def test_one_request_cannot_change_what_the_next_reads(app):
    """Flash messages are a list that Flask appends to in place: a session holding one is never shared."""
    with app.test_request_context("/"):
        session["_flashes"] = [("message", "first")]
        session["name"] = "plain"
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
        cookie = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    for _ in range(2):
        with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}) as context:
            opened = app.session_interface.open_session(app, context.request)
            assert opened["_flashes"] == [("message", "first")]
            opened["_flashes"].append(("message", "second"))
            opened["name"] = "changed"
    with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}) as context:
        opened = app.session_interface.open_session(app, context.request)
        assert opened["name"] == "plain" and len(opened["_flashes"]) == 1


def test_plain_sessions_are_opened_as_separate_objects(app):
    with app.test_request_context("/"):
        session["name"] = "plain"
        response = app.response_class()
        app.session_interface.save_session(app, session, response)
        cookie = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    opened = []
    for _ in range(2):
        with app.test_request_context("/", headers={"Cookie": f"session={cookie}"}) as context:
            opened.append(app.session_interface.open_session(app, context.request))
    opened[0]["name"] = "changed"
    assert opened[1]["name"] == "plain" and opened[0] is not opened[1]
