"""A failed sign-up on a phone shows what went wrong where the person is looking: the error summary takes the focus
(it sits screens below the top, under the event's description), and each of its links takes them to the field.
Required fields say so, to browsers, screen readers and the eye."""
from html.parser import HTMLParser

import pytest
from playwright.sync_api import expect

from tests.browser.signup_page import QUESTIONS, submit_signup

LONG_SUMMARY = "\n\n".join(f"Paragraph {number}: what the morning holds for B2B marketing teams, in some detail."
                           for number in range(12))
BOXES = {"label": "Which topics interest you?", "kind": "multiple_choice", "options": ["Scoring", "Handoff"],
         "required": True}


def long_event(make_event, **overrides):
    return make_event(questions=[*QUESTIONS, BOXES], summary=LONG_SUMMARY, **overrides)


@pytest.fixture
def phone_without_js(browser, playwright_instance):
    context = browser.new_context(java_script_enabled=False, **playwright_instance.devices["Pixel 7"])
    yield context
    context.close()


def submit_bad_signup(page):
    """Some fields typed, some left empty, an address the server refuses (the form has novalidate, so the browser
    leaves the checking to the server)."""
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Work email").fill("ada.example.com")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        submit_signup(page)
    assert posted.value.status == 422


def top_in_page(locator) -> float:
    return locator.evaluate("element => element.getBoundingClientRect().top + window.scrollY")


def test_the_error_summary_takes_the_focus_and_its_links_lead_to_the_fields(phone, live_server, make_event):
    event = long_event(make_event)
    page = phone.new_page()
    page.goto(f"{live_server}/e/{event.slug}")
    submit_bad_signup(page)

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    assert top_in_page(summary) > page.viewport_size["height"]  # at the top of the page it was out of sight
    expect(summary.get_by_role("heading")).to_have_text("Please correct the highlighted fields:")
    assert sorted(summary.get_by_role("link").all_inner_texts()) == [
        "Company", "Job title", "Last name", "What brings you here?", "Which topics interest you?", "Work email"]

    summary.get_by_role("link", name="Work email").click()
    field = page.get_by_label("Work email")
    expect(field).to_be_focused()
    expect(field).to_be_in_viewport()
    expect(page.locator("label[for=email]")).to_be_in_viewport()  # with what it asks for in view
    expect(field).to_have_value("ada.example.com")

    summary.get_by_role("link", name="What brings you here?").click()  # a group of choices: its first choice
    group = page.get_by_role("group", name="What brings you here?")
    expect(group.get_by_label("Leads", exact=True)).to_be_focused()
    expect(group.get_by_text("What brings you here?")).to_be_in_viewport()

    summary.get_by_role("link", name="Last name").click()
    expect(page.get_by_label("Last name")).to_be_focused()


def test_without_javascript_the_error_summary_still_takes_the_focus(phone_without_js, live_server, make_event):
    event = long_event(make_event)
    page = phone_without_js.new_page()
    page.goto(f"{live_server}/e/{event.slug}")
    submit_bad_signup(page)
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()


class _Controls(HTMLParser):
    """Each form control's attributes, by id."""

    def __init__(self):
        super().__init__()
        self.controls = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("input", "textarea", "select") and "id" in attributes:
            self.controls[attributes["id"]] = attributes


def controls(html: str) -> dict:
    parser = _Controls()
    parser.feed(html)
    return parser.controls


def test_required_fields_are_marked_required(client, make_event):
    event = long_event(make_event, phone_required=True)
    html = client.get(f"/e/{event.slug}").get_data(as_text=True)
    fields = controls(html)
    for name in ("first_name", "last_name", "email", "company", "job_title", "phone"):
        assert "required" in fields[name], name
        assert f'<label for="{name}">' in html
        label_and_marker = html.split(f'<label for="{name}">', 1)[1].split("</div>", 1)[0]
        assert '<span class="req">(required)</span>' in label_and_marker.split("<input", 1)[0], name
    by_name = {}
    for attributes in fields.values():
        by_name.setdefault(attributes.get("name"), []).append(attributes)
    single, yes_no, boxes = (question.field_name for question in event.questions)
    assert all("required" in radio for radio in by_name[single])  # one of these must be chosen
    assert not any("required" in radio for radio in by_name[yes_no])  # an optional question
    assert not any("required" in box for box in by_name[boxes])  # one box is enough, not each
    assert html.count('<span class="req">(required)</span>') == 8  # six details and two questions

    optional_phone = make_event()
    fields = controls(client.get(f"/e/{optional_phone.slug}").get_data(as_text=True))
    assert "required" not in fields["phone"] and "required" in fields["email"]
