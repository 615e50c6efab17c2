"""Issue 17: the language a back-office user reads (their own choice, else the organisation's, else the browser's),
and the organisation's settings page (owners only)."""
from eventapp.accounts.models import Organisation, Role, User
from eventapp.extensions import db as _db
from tests.conftest import submit


def _lang(page) -> str:
    return page.get_data(as_text=True).split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_user_choice_then_the_organisation_then_the_browser(client, login_as, org):
    user = login_as(Role.ORGANISER)
    chinese_browser = {"Accept-Language": "zh-CN,zh;q=0.9"}
    assert _lang(client.get("/account", headers=chinese_browser)) == "en"  # the organisation's (en) comes first

    org.language = "zh_Hans"
    _db.session.commit()
    assert _lang(client.get("/account")) == "zh-Hans"

    response = submit(client, "/account", {"language": "en"}, post_url="/account/language")
    assert response.status_code == 303
    assert _db.session.get(User, user.id).language == "en"
    assert _lang(client.get("/account", headers=chinese_browser)) == "en"

    response = submit(client, "/account", {"language": ""}, post_url="/account/language")
    assert response.status_code == 303, response.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(User, user.id).language == ""
    assert _lang(client.get("/account")) == "zh-Hans"


def test_a_bad_or_missing_language_changes_nothing(client, login_as):
    user = login_as(Role.ORGANISER)
    for data in ({"language": "fr"}, {"language": "<script>"}, {}):
        response = submit(client, "/account", data, post_url="/account/language")
        assert response.status_code == 422
        assert _db.session.get(User, user.id).language == ""


def test_signed_out_pages_go_by_the_browser_and_set_no_cookie(client):
    page = client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert _lang(page) == "zh-Hans"
    assert _lang(client.get("/login", headers={"Accept-Language": "fr, en;q=0.5"})) == "en"


def test_the_owner_sets_the_organisation_language_and_phone_region(client, login_as, org):
    login_as(Role.OWNER)
    page = client.get("/admin/organisation").get_data(as_text=True)
    assert "简体中文" in page and 'value="CN"' in page
    response = submit(client, "/admin/organisation", {"language": "zh_Hans", "phone_region": "CN"})
    assert response.status_code == 303
    saved = _db.session.get(Organisation, org.id)
    assert (saved.language, saved.phone_region) == ("zh_Hans", "CN")
    assert _lang(client.get("/admin/organisation")) == "zh-Hans"  # the owner chose no language of their own
    assert 'href="/admin/organisation"' in client.get("/account").get_data(as_text=True)


def test_bad_settings_are_refused(client, login_as, org):
    login_as(Role.OWNER)
    for data in ({"language": "de", "phone_region": "CN"}, {"language": "en", "phone_region": "XX"},
                 {"language": "en"}, {"language": "en", "phone_region": "cn\r\nX"}):
        assert submit(client, "/admin/organisation", data).status_code == 422
    saved = _db.session.get(Organisation, org.id)
    assert (saved.language, saved.phone_region) == ("en", "")


def test_organisers_cannot_change_the_organisation(client, login_as):
    login_as(Role.ORGANISER)
    assert client.get("/admin/organisation").status_code == 403
    assert 'href="/admin/organisation"' not in client.get("/account").get_data(as_text=True)


def test_exports_have_their_column_headers_in_the_downloaders_language(client, login_as, make_event):
    """The Chinese headers come from the zh_Hans catalogue (once the lead has merged it)."""
    user = login_as(Role.ORGANISER)
    event = make_event()
    english = client.get(f"/admin/events/{event.id}/attendance.csv").get_data(as_text=True)
    assert english.lstrip("\ufeff").startswith("First name,Last name,Email")
    user.language = "zh_Hans"
    _db.session.commit()
    chinese = client.get(f"/admin/events/{event.id}/attendance.csv").get_data(as_text=True)
    header = chinese.lstrip("\ufeff").splitlines()[0]
    assert "邮箱" in header and "First name" not in header
