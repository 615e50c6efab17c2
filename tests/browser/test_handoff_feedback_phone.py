"""A sales owner answers a handoff from their phone (issue 16, helper "handoff"): the personal link's page fits the
screen, passes axe-core's WCAG 2.1 A/AA rules, and the answer sticks; the sales user's own lead page too."""
from playwright.sync_api import expect

from eventapp.core.time import utcnow
from eventapp.leads import handoffs, stages
from eventapp.leads.models import LeadStage
from tests.browser.test_landing_quality import assert_accessible
from tests.conftest import PASSWORD
from tests.leads.handoff_helpers import a_contact, a_seller, a_model, state_of


def fits(page, url):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, "
                           "window.innerWidth]")
    assert max(widths[:2]) <= widths[2], f"{url}: the page is wider than the screen: {widths}"


def test_sales_answers_the_handoff_on_a_phone(phone, live_server, db, org, monkeypatch):
    seller = a_seller(org)
    person = a_contact(org, phone="+8613800138000")
    tokens = []
    real_new_token = handoffs.new_token

    def remembered():
        token, hashed = real_new_token()
        tokens.append(token)
        return token, hashed

    monkeypatch.setattr(handoffs, "new_token", remembered)
    stages.score_changed(org.id, person.id, a_model(org).id, 90, utcnow())
    db.session.commit()
    page = phone.new_page()
    url = f"/f/{tokens[0]}"
    page.goto(f"{live_server}{url}", wait_until="networkidle")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    fits(page, url)
    assert_accessible(page, url)
    page.get_by_label("Buying within a year").check()
    page.get_by_label("Note for marketing (optional)").fill("Budget cycle starts in April.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("marketing has your answer")).to_be_visible()
    expect(page.get_by_text("Budget cycle starts in April.")).to_be_visible()
    assert state_of(person.id).stage == LeadStage.ACCEPTED

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(seller.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My leads")).to_be_visible()
    page.get_by_role("link", name="Lin Wei").click()
    expect(page.get_by_role("heading", name="Lin Wei", level=1)).to_be_visible()
    fits(page, "/sales/leads/…")
    assert_accessible(page, "/sales/leads/…")
