"""Chinese search at the door in the browser (issue 17): one character, the pinyin and the company find the person
online from the server and offline from the ticket list the phone saved, which carries no email or phone."""
from playwright.sync_api import expect

from eventapp.contacts.normalisation import normalise_email
from eventapp.registration.operations import Signup, register
from tests.browser.checkin_page import (  # noqa: F401  (fixtures)
    answer, camera, camera_browser, checkins, door, open_scanner, staff_phone)
from tests.browser.fake_camera import show

SEARCH_LABEL = "Name, company, email or phone"


def test_a_chinese_name_is_found_by_one_character_and_pinyin_online_and_offline(
        staff_phone, live_server, db, door, camera):
    event, staff, _people = door
    for given, family, company, email in (("芳", "王", "华为技术有限公司", "wang.fang@huawei.example"),
                                          ("伟", "张", "腾讯", "zhang.wei@tencent.example")):
        register(event, Signup(email=normalise_email(email), details={
            "first_name": given, "last_name": family, "company": company, "job_title": "", "phone": ""}))
        db.session.commit()
    show(camera, None)
    page = open_scanner(staff_phone, live_server, staff, event)
    expect(page.locator("body")).to_have_attribute("data-tickets-saved", "5")
    results = page.locator("#search-results li")

    page.get_by_label(SEARCH_LABEL).fill("王")  # one character is a search
    expect(results).to_have_count(1)
    expect(results).to_contain_text("华为技术有限公司")
    expect(results.get_by_role("button")).to_be_visible()  # online: tap to check in

    staff_phone.set_offline(True)
    expect(page.locator("#connection")).to_contain_text("Offline")
    for query, company in (("王", "华为技术有限公司"), ("芳", "华为技术有限公司"), ("王芳", "华为技术有限公司"),
                           ("wangfang", "华为技术有限公司"), ("Wang Fang", "华为技术有限公司"),
                           ("ｗａｎｇ", "华为技术有限公司"), ("huawei", "华为技术有限公司"), ("zhang", "腾讯"),
                           ("腾讯", "腾讯")):
        page.get_by_label(SEARCH_LABEL).fill(query)
        expect(results).to_have_count(1)
        expect(results).to_contain_text(company)
        expect(page.locator("#search-note")).to_be_visible()  # says the list is the phone's own
    page.get_by_label(SEARCH_LABEL).fill("wang.fang@huawei")  # the phone keeps no email addresses
    expect(results).to_have_count(0)
    page.get_by_label(SEARCH_LABEL).fill("lovelace")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("Ada")
