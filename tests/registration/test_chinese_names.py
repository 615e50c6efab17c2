"""The sign-up form asks for a name the way the page's language writes it (姓 then 名 in Chinese), and a Chinese name
typed whole into one field is taken as it is, never lost."""
import sqlalchemy as sa
from flask_babel import force_locale

from eventapp.contacts.models import Contact
from eventapp.registration.forms import SignupForm
from eventapp.registration.models import Registration
from tests.conftest import signup_form, submit

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _field_order(page: str) -> list[str]:
    return sorted(("first_name", "last_name"), key=lambda name: page.index(f'name="{name}"'))


def test_a_chinese_page_asks_for_the_family_name_first(client, db, make_event):
    event = make_event()
    event.languages = "zh_Hans,en"
    db.session.commit()
    page = client.get(f"/e/{event.slug}", headers=CHINESE).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert _field_order(page) == ["last_name", "first_name"]
    assert 'autocomplete="family-name"' in page


def test_an_english_page_asks_for_the_given_name_first(client, make_event):
    page = client.get(f"/e/{make_event().slug}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _field_order(page) == ["first_name", "last_name"]


def test_the_form_orders_its_name_fields_by_locale(app):
    with app.test_request_context():
        form = SignupForm(formdata=None)
        with force_locale("zh_Hans"):
            assert [field.name for field, _ in form.name_fields()] == ["last_name", "first_name"]
        with force_locale("en"):
            assert [(field.name, autocomplete) for field, autocomplete in form.name_fields()] == [
                ("first_name", "given-name"), ("last_name", "family-name")]


def test_a_chinese_name_typed_whole_into_the_family_name_field_is_kept(client, db, make_event):
    event = make_event()
    response = submit(client, f"/e/{event.slug}", signup_form(first_name="", last_name="王芳", email="wf@example.cn"))
    assert response.status_code == 303, response.get_data(as_text=True)
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    assert (registration.last_name, registration.first_name, registration.name) == ("王芳", "", "王芳")
    assert db.session.execute(sa.select(Contact)).scalar_one().name == "王芳"


def test_or_into_the_given_name_field(client, db, make_event):
    response = submit(client, f"/e/{make_event().slug}", signup_form(first_name="王芳", last_name=""))
    assert response.status_code == 303
    assert db.session.execute(sa.select(Registration)).scalar_one().name == "王芳"


def test_a_latin_name_still_needs_both_parts(client, db, make_event):
    response = submit(client, f"/e/{make_event().slug}", signup_form(first_name="", last_name="Lovelace"))
    assert response.status_code == 422 and "Enter your first name." in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Registration)).scalar_one() == 0


def test_both_parts_empty_is_refused(client, db, make_event):
    response = submit(client, f"/e/{make_event().slug}", signup_form(first_name=" ", last_name=""))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Enter your first name." in body and "Enter your last name." in body
