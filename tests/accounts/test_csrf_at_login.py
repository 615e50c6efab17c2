"""A new CSRF secret at login and at logout: a form token seen before (on the login page, or by someone who used the
browser before) does not validate after."""
from eventapp.accounts.models import Role
from tests.conftest import PASSWORD, hidden_fields


def csrf_refused(response) -> bool:
    return response.status_code == 400 and "sent from another page" in response.get_data(as_text=True)


def test_a_token_from_before_login_is_refused_after_it(client, make_user, db):
    from eventapp.events.models import Campaign

    user = make_user(Role.ORGANISER)
    before = hidden_fields(client.get("/login").get_data(as_text=True))["csrf_token"]
    login = client.post("/login", data={"csrf_token": before, "email": user.email, "password": PASSWORD})
    assert login.status_code == 303
    assert csrf_refused(client.post("/admin/campaigns/new", data={"csrf_token": before, "name": "Planted"}))
    assert db.session.query(Campaign).count() == 0
    after = hidden_fields(client.get("/admin/campaigns/new").get_data(as_text=True))["csrf_token"]
    assert client.post("/admin/campaigns/new", data={"csrf_token": after, "name": "Mine"}).status_code == 303


def test_a_token_from_before_logout_is_refused_after_it(client, login_as):
    login_as(Role.ORGANISER)
    before = hidden_fields(client.get("/admin/").get_data(as_text=True))["csrf_token"]
    assert client.post("/logout", data={"csrf_token": before}).status_code == 303
    assert csrf_refused(client.post("/login", data={"csrf_token": before, "email": "x@example.com",
                                                    "password": "whatever it is"}))
