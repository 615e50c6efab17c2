"""The scanner in Chinese: a staff member whose language is 简体中文 scans 王芳's ticket with the phone's camera (the
fake camera shows its QR code) and reads every answer in Chinese, with the name written the Chinese way."""
from playwright.sync_api import expect

from eventapp.contacts.normalisation import normalise_email
from eventapp.registration.operations import Signup, register
from tests.browser.checkin_page import (  # noqa: F401  (fixtures)
    answer, camera, camera_browser, checkins, door, open_scanner, staff_phone)
from tests.browser.fake_camera import show


def test_a_chinese_staff_member_scans_a_ticket_and_reads_chinese(staff_phone, live_server, db, door, camera):
    event, staff, people = door
    staff.language = "zh_Hans"
    wang = register(event, Signup(email=normalise_email("wangfang@shenzhou.example"),
                                  details={"first_name": "芳", "last_name": "王", "company": "神州物流",
                                           "job_title": "市场总监", "phone": ""}, language="zh_Hans")).registration
    db.session.commit()
    show(camera, wang.ticket_secret)
    page = open_scanner(staff_phone, live_server, staff, event)

    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(answer(page)).to_have_class("answer answer-ok")
    expect(answer(page).locator(".answer-title")).to_have_text("已签到")
    expect(answer(page).locator(".answer-name")).to_have_text("王芳")
    expect(answer(page).locator(".answer-company")).to_have_text("神州物流 市场总监")  # as a Chinese card reads
    expect(page.locator("#count-checked-in")).to_have_text("已签到 1 / 4")
    expect(page.get_by_role("button", name="暂停摄像头")).to_be_visible()
    assert len(checkins(db, registration_id=wang.id, result="ok")) == 1

    page.reload()  # the same ticket again: the server remembers, and says so in Chinese
    expect(answer(page)).to_have_class("answer answer-warn")
    expect(answer(page).locator(".answer-title")).to_have_text("已签到过")
    expect(answer(page).locator(".answer-name")).to_have_text("王芳")
    assert len(checkins(db, registration_id=wang.id, result="ok")) == 1
