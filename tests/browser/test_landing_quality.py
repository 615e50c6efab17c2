"""The public pages are light, load nothing from other hosts, and pass axe-core's WCAG 2.1 A/AA rules."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.signup_page import event_with_questions, fill_signup, registrations, submit_signup

PAGE_WEIGHT_LIMIT = 100 * 1024
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

AGENDA = """\
## Morning

| Time | What |
|------|------|
| 09:00 | **Keynote**: pipeline that sales trusts |
| 10:30 | Workshop: [scoring leads](https://example.com/scoring) |

1. Coffee
2. Round tables
"""
SPEAKERS = "- **Mei Lin**, VP Marketing, Example Corp\n- *Jonas Berg*, Head of Sales Ops\n\n> Bring questions."

_axe = Axe()


def rich_event(make_event):
    return event_with_questions(make_event, agenda_md=AGENDA, speakers_md=SPEAKERS,
                                summary="A morning on **pipeline** for B2B marketing teams.")


def assert_accessible(page, what):
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    if results.violations_count:
        print(results.generate_snapshot())
    assert results.violations_count == 0, f"{what}:\n{results.generate_snapshot()}\n{where(results)}"


def where(results) -> str:
    """Each violation with the elements it was found on, to know what to fix."""
    lines = []
    for violation in results.response["violations"]:
        lines.append(f"{violation['id']}: {violation['help']}")
        lines += [f"  {node['target']}: {node['failureSummary']}" for node in violation["nodes"]]
    return "\n".join(lines)


def test_landing_page_loads_only_from_its_own_origin_and_stays_light(phone, live_server, make_event):
    event = rich_event(make_event)
    page = phone.new_page()
    requests, responses = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("response", lambda response: responses.append(response))

    page.goto(f"{live_server}/e/{event.slug}", wait_until="networkidle")
    expect(page.get_by_role("heading", name="Agenda")).to_be_visible()
    expect(page.get_by_role("cell", name="Keynote: pipeline that sales trusts")).to_be_visible()

    foreign = [url for url in requests if not url.startswith(f"{live_server}/")]
    assert foreign == [], f"requests to other origins: {foreign}"
    assert f"{live_server}/static/css/app.css" in requests  # the stylesheet loads (so the count is real)
    assert all(response.ok for response in responses), [(r.url, r.status) for r in responses if not r.ok]
    weight = sum(len(response.body()) for response in responses)
    print(f"landing page weight: {weight / 1024:.1f} KB in {len(responses)} responses")
    assert weight < PAGE_WEIGHT_LIMIT, f"landing page is {weight / 1024:.1f} KB"


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture(params=["phone", "desktop"])
def any_screen(request):
    return request.getfixturevalue(request.param)


def test_landing_page_is_accessible(any_screen, live_server, make_event):
    event = rich_event(make_event)
    page = any_screen.new_page()
    page.goto(f"{live_server}/e/{event.slug}")
    assert_accessible(page, "landing page")


def test_landing_page_with_errors_is_accessible(any_screen, live_server, make_event):
    event = rich_event(make_event)
    page = any_screen.new_page()
    page.goto(f"{live_server}/e/{event.slug}")
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        submit_signup(page)
    assert posted.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("Please correct the highlighted fields")
    expect(page.get_by_label("First name")).to_have_accessible_description("Enter your first name.")
    assert page.locator(".field .error").count() >= 5
    # each line of the error summary takes you to its field, the required question included
    links = page.get_by_role("alert").get_by_role("link")
    targets = [link.get_attribute("href") for link in links.all()]
    assert "What brings you here?" in links.all_inner_texts()
    missing = [href for href in targets if page.locator(href).count() != 1]
    assert missing == [], f"error summary links to nothing: {missing}"
    assert_accessible(page, "landing page with errors")


def test_manage_page_is_accessible(any_screen, live_server, db, make_event):
    event = rich_event(make_event)
    page = any_screen.new_page()
    page.goto(f"{live_server}/e/{event.slug}")
    fill_signup(page)
    submit_signup(page)
    [registration] = registrations(db)
    expect(page).to_have_url(f"{live_server}/r/{registration.manage_token}?new=1")
    expect(page.locator(".qr-code")).to_be_visible()
    assert_accessible(page, "manage page")


def test_login_page_is_accessible(any_screen, live_server):
    page = any_screen.new_page()
    page.goto(f"{live_server}/login")
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    assert_accessible(page, "login page")
