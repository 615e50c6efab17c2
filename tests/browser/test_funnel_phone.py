"""The funnel page on a phone: nothing wider than the screen (charts scale, tables scroll in their own box), and
axe-core's WCAG 2.1 A/AA rules pass."""
from playwright.sync_api import expect

from eventapp.accounts.models import Role
from tests.browser.back_office import log_in
from tests.browser.test_landing_quality import assert_accessible
from tests.leads.test_funnels import seeded  # noqa: F401 (a fixture)


def test_the_funnel_page_fits_a_phone(phone, live_server, make_user, seeded):  # noqa: F811
    event, campaign, _seed = seeded
    user = make_user(Role.ORGANISER)
    page = phone.new_page()
    log_in(page, live_server, user)
    for url in (f"/admin/funnels/events/{event.id}", f"/admin/funnels/campaigns/{campaign.id}", "/admin/funnels/"):
        page.goto(f"{live_server}{url}", wait_until="networkidle")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, "
                               "window.innerWidth]")
        assert max(widths[:2]) <= widths[2], f"{url}: the page is wider than the screen: {widths}"
        assert_accessible(page, url)
    page.goto(f"{live_server}/admin/funnels/events/{event.id}", wait_until="networkidle")
    chart = page.locator("svg.funnel-chart")
    assert chart.bounding_box()["width"] <= page.evaluate("() => window.innerWidth")
    expect(page.get_by_role("img", name="Where people drop")).to_be_visible()
