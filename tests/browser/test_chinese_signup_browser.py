"""Issue 17: a Chinese visitor signs up for an event offered in English and Chinese, on a phone, in Chinese; lands on
their manage page in Chinese; cancels there in Chinese. The Chinese texts come from the zh_Hans catalogue (these
tests pass once the lead has merged it)."""
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from eventapp.contacts.models import Contact
from tests.browser.signup_page import registrations


@pytest.fixture
def chinese_phone(browser, playwright_instance):
    """A phone whose browser asks for Chinese (Accept-Language: zh-CN)."""
    context = browser.new_context(locale="zh-CN", **playwright_instance.devices["Pixel 7"])
    yield context
    context.close()


def fill_in_chinese(page):
    page.get_by_label("姓", exact=True).fill("王")
    page.get_by_label("名", exact=True).fill("芳")
    page.get_by_label("工作邮箱").fill("wang.fang@example.cn")
    page.get_by_label("公司", exact=True).fill("上海云海科技有限公司")
    page.get_by_label("职位", exact=True).fill("市场总监")


def test_sign_up_and_cancel_in_chinese(chinese_phone, live_server, db, make_event):
    event = make_event(title="数字化转型研讨会", languages="en,zh_Hans")
    page = chinese_phone.new_page()
    page.goto(f"{live_server}/e/{event.slug}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")  # the browser's language, among the event's
    expect(page.get_by_role("link", name="English")).to_be_visible()
    fill_in_chinese(page)
    page.get_by_role("button", name="报名").click()

    expect(page.get_by_role("status")).to_contain_text("报名成功")
    [registration] = registrations(db)
    assert re.search(rf"/r/{registration.manage_token}\?.*lang=zh_Hans", page.url)
    expect(page.locator(".ticket .status")).to_have_text("已确认")
    assert db.session.execute(sa.select(Contact.language)).scalar_one() == "zh_Hans"

    page.get_by_role("link", name="取消我的报名").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page.get_by_role("button", name="是的，取消报名").click()
    expect(page.get_by_role("status").first).to_contain_text("您的报名已取消")
    [registration] = registrations(db)
    assert registration.status == "cancelled"


def test_the_switch_shows_the_form_in_english_and_the_sign_up_stays_english(chinese_phone, live_server, db,
                                                                            make_event):
    event = make_event(languages="zh_Hans,en")
    page = chinese_phone.new_page()
    page.goto(f"{live_server}/e/{event.slug}")
    expect(page.get_by_role("button", name="报名")).to_be_visible()
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Work email").fill("ada@example.com")
    page.get_by_label("Company").fill("Analytical Ltd")
    page.get_by_label("Job title").fill("CTO")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status")).to_contain_text("You're registered")
    expect(page.get_by_role("link", name="简体中文")).to_be_visible()
    assert db.session.execute(sa.select(Contact.language)).scalar_one() == "en"
