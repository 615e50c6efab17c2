"""A phone number typed without its country code is read in the event's region, else its organisation's, else
EVENTAPP_PHONE_REGION: a Shanghai mobile typed as 138 0013 8000 is taken for an event in China."""
import sqlalchemy as sa

from eventapp.contacts.models import Contact
from eventapp.contacts.normalisation import phone_region
from eventapp.registration.models import Registration
from tests.checkin.test_redeem import door  # noqa: F401 (a fixture)
from tests.conftest import signup_form, submit
from tests.contacts.test_import import contact, run_import

LOCAL_MOBILE = "138 0013 8000"


def test_the_event_s_region_then_the_organisation_s_then_the_app_s(app, db, org):
    assert phone_region(org.id, "cn") == "CN"
    assert phone_region(org.id) == app.config["PHONE_REGION"] == "US"
    org.phone_region = "CN"
    db.session.commit()
    assert phone_region(org.id) == "CN"
    assert phone_region(org.id, "GB") == "GB"
    assert phone_region(None) == "US"


def test_a_local_chinese_mobile_signs_up_for_an_event_in_china(client, db, make_event):
    event = make_event()
    event.phone_region = "CN"
    db.session.commit()
    response = submit(client, f"/e/{event.slug}", signup_form(phone=LOCAL_MOBILE))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert db.session.execute(sa.select(Registration.phone)).scalar_one() == "+8613800138000"


def test_an_event_of_an_organisation_in_china_reads_local_numbers_too(client, db, org, make_event):
    org.phone_region = "CN"
    event = make_event()
    response = submit(client, f"/e/{event.slug}", signup_form(phone=LOCAL_MOBILE))
    assert response.status_code == 303
    assert db.session.execute(sa.select(Contact.phone)).scalar_one() == "+8613800138000"


def test_the_same_digits_are_refused_for_a_us_event_with_a_message_naming_the_country(client, db, make_event):
    event = make_event()
    event.phone_region = "US"
    db.session.commit()
    response = submit(client, f"/e/{event.slug}", signup_form(phone=LOCAL_MOBILE))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "not a valid phone number in United States" in body and "+86 138 0013 8000" in body
    assert db.session.execute(sa.select(sa.func.count()).select_from(Registration)).scalar_one() == 0
    # With its country code it is taken anywhere.
    response = submit(client, f"/e/{event.slug}", signup_form(phone="+86 " + LOCAL_MOBILE))
    assert response.status_code == 303
    assert db.session.execute(sa.select(Registration.phone)).scalar_one() == "+8613800138000"


def test_an_import_for_an_organisation_in_china_reads_local_numbers(db, org):
    org.phone_region = "CN"
    db.session.commit()
    job = run_import(db, org, f"姓名,邮箱,手机\n王芳,wang.fang@example.cn,{LOCAL_MOBILE}\n".encode("gb18030"))
    assert (job.imported, job.skipped) == (1, 0)
    assert contact(db, org, "wang.fang@example.cn").phone == "+8613800138000"


def test_an_import_elsewhere_reports_the_local_number_as_bad(db, org):
    job = run_import(db, org, f"姓名,邮箱,手机\n王芳,wang.fang@example.cn,{LOCAL_MOBILE}\n".encode())
    assert job.skipped == 1


def test_a_walk_in_at_a_door_in_china_gives_a_local_mobile(door, db):
    door.event.phone_region = "CN"
    db.session.commit()
    response = door.post("walk-in", {"first_name": "芳", "last_name": "王", "email": "wang.fang@example.cn",
                                     "phone": LOCAL_MOBILE, "company": "东海物流", "job_title": "市场总监",
                                     "device_id": "phone-1"})
    assert response.status_code == 200, response.get_json()
    assert db.session.execute(sa.select(Registration.phone)).scalar_one() == "+8613800138000"


def test_the_contact_form_reads_the_organisation_s_region(client, db, org, login_as):
    org.phone_region = "CN"
    db.session.commit()
    login_as()
    response = submit(client, "/admin/contacts/new", {"email": "wang.fang@example.cn", "first_name": "芳",
                                                "last_name": "王", "phone": LOCAL_MOBILE})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert db.session.execute(sa.select(Contact.phone)).scalar_one() == "+8613800138000"


def test_the_organiser_sets_an_event_s_phone_region_on_its_form(client, db, login_as):
    from eventapp.events.models import Event
    from tests.events.test_back_office import EVENT_FORM

    login_as()
    page = client.get("/admin/events/new").get_data(as_text=True)
    assert "Phone numbers&#39; country" in page or "Phone numbers' country" in page
    response = submit(client, "/admin/events/new", {**EVENT_FORM, "phone_region": "CN"})
    assert response.status_code == 303, response.get_data(as_text=True)
    event = db.session.execute(sa.select(Event)).scalar_one()
    assert event.phone_region == "CN"
    refused = submit(client, f"/admin/events/{event.id}/edit", {**EVENT_FORM, "phone_region": "XX"})
    assert refused.status_code == 422
    db.session.expire_all()
    assert db.session.get(Event, event.id).phone_region == "CN"
