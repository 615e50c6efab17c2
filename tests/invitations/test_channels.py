"""Channels: utm_* on a landing page's URL are kept with the sign-up; organisers compare partners and channels per
event and per campaign (table, chart, CSV), from real sign-ups and check-ins; landing pages preview well when shared
(Open Graph), with the organiser's https image."""
import csv
import html
import io
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.events import operations as event_ops
from eventapp.events.models import Event
from eventapp.invitations import channels
from eventapp.registration.models import Registration
from tests.events.test_back_office import EVENT_FORM
from tests.conftest import submit
from tests.invitations.partner_helpers import (BASE_URL, base_url, check_in, make_link,  # noqa: F401 (a fixture)
                                              make_partner, rival_event, sign_up_through)

# ---- utm_* ------------------------------------------------------------------------------------------------------

def test_utm_parameters_of_the_landing_page_are_kept_with_the_sign_up(app, db, make_event):
    event = make_event()
    registration = sign_up_through(app, None, event.slug, "ada@example.com",
                                   query="?utm_source=newsletter&utm_medium=email&utm_campaign=spring-2027")
    assert (registration.utm_source, registration.utm_medium, registration.utm_campaign) == (
        "newsletter", "email", "spring-2027")
    assert registration.channel == "utm:newsletter" and registration.partner_id is None


def test_hostile_or_huge_utm_values_are_cut_and_kept_as_plain_text(app, client, db, make_event):
    event = make_event()
    hostile = '"><script>alert(1)</script>' + "\x07" + "w" * 300
    page = client.get(f"/e/{event.slug}", query_string={"utm_source": hostile, "utm_medium": "\r\nSet-Cookie: x"})
    assert page.status_code == 200 and "<script>alert(1)" not in page.get_data(as_text=True)
    registration = sign_up_through(app, None, event.slug, "ada@example.com",
                                   query="?" + "&".join(f"utm_source={part}" for part in ["%22%3E%3Cb%3E" + "w" * 300]))
    assert registration.utm_source == ('"' + "b" + "w" * 300)[:100] and len(registration.utm_source) == 100
    assert registration.channel == ("utm:" + registration.utm_source)[:40]


def test_a_tracked_link_wins_over_utm_and_keeps_them(app, db, org, make_event):
    event = make_event()
    partner = make_partner(org.id, "Jiao Tong Alumni")
    link = make_link(org.id, f"event:{event.id}", partner=partner)
    registration = sign_up_through(app, link.code, event.slug, "ada@example.com", query="?utm_source=wechat")
    assert (registration.partner_id, registration.channel, registration.utm_source) == (
        partner.id, f"partner:{link.code}", "wechat")


# ---- the comparison -----------------------------------------------------------------------------------------------

@pytest.fixture
def world(app, client, db, org, login_as, make_event):
    """A campaign with two events; two partners with links, an own channel's poster, a utm newsletter and direct
    visitors sign up for real; some cancel, some are checked in at the door."""
    login_as(Role.ORGANISER)
    campaign = event_ops.save_campaign(org.id, {"name": "Roadshow"})
    db.session.commit()
    first, second = make_event(campaign_id=campaign.id), make_event(campaign_id=campaign.id)
    alliance = make_partner(org.id, "University Alliance")
    press = make_partner(org.id, '=HYPERLINK("http://evil.example","Press")')
    links = {"alliance": make_link(org.id, f"event:{first.id}", partner=alliance),
             "alliance2": make_link(org.id, f"event:{second.id}", partner=alliance),
             "press": make_link(org.id, f"event:{first.id}", partner=press),
             "poster": make_link(org.id, f"event:{first.id}", label="Poster at the expo"),
             "unused": make_link(org.id, f"event:{first.id}", label="Radio")}
    people = {}
    for number in range(3):
        people[f"a{number}"] = sign_up_through(app, links["alliance"].code, first.slug, f"a{number}@example.com")
    assert app.test_client().get(f"/p/{links['alliance'].code}").status_code == 302  # a click, no sign-up
    people["p0"] = sign_up_through(app, links["press"].code, first.slug, "p0@example.com")
    people["o0"] = sign_up_through(app, links["poster"].code, first.slug, "o0@example.com")
    people["u0"] = sign_up_through(app, None, first.slug, "u0@example.com", query="?utm_source=newsletter")
    people["w0"] = sign_up_through(app, None, first.slug, "w0@example.com")
    people["s0"] = sign_up_through(app, links["alliance2"].code, second.slug, "s0@example.com")
    cancelled = submit(app.test_client(), f"/r/{people['a2'].manage_token}/cancel", {})  # the person cancels
    assert cancelled.status_code == 303
    for key in ("a0", "a1", "u0"):
        check_in(client, first, people[key])
    check_in(client, second, people["s0"])
    return {"campaign": campaign, "first": first, "second": second, "alliance": alliance, "press": press,
            "links": links}


def figures_by_label(rows):
    return {row.label: (row.figures.clicks, row.figures.sign_ups, row.figures.confirmed, row.figures.attended)
            for row in rows}


def test_the_event_comparison_adds_up_from_real_sign_ups_and_check_ins(world, db, org):
    first, links = world["first"], world["links"]
    rows = channels.compare(org.id, [first.id])
    assert figures_by_label(rows) == {
        "University Alliance": (4, 2, 2, 2),  # 3 signed up (one cancelled since) after 4 clicks; 2 came
        world["press"].name: (1, 1, 1, 0),
        "Poster at the expo": (1, 1, 1, 0),
        "Radio": (0, 0, 0, 0),  # made, not used yet
        "utm_source: newsletter": (None, 1, 1, 1),
        "Landing page (direct, no tracking)": (None, 1, 1, 0),
    }
    assert [row.kind for row in rows[:2]] == ["partner", "partner"]
    total = channels.totals(rows)
    registrations = db.session.scalars(sa.select(Registration).where(Registration.event_id == first.id)).all()
    assert total.sign_ups == sum(1 for r in registrations if r.is_active) == 6
    assert total.attended == sum(1 for r in registrations if r.checked_in_at) == 3
    assert total.clicks == 6 and links["alliance"].code  # every click of every link to this event


def test_the_campaign_comparison_adds_up_its_events(world, org):
    rows = channels.compare(org.id, channels.event_ids_of_campaign(org.id, world["campaign"].id),
                            world["campaign"].id)
    assert figures_by_label(rows)["University Alliance"] == (5, 3, 3, 3)
    assert channels.totals(rows).sign_ups == 7


def test_the_comparison_page_shows_the_table_and_the_chart(world, client):
    first = world["first"]
    page = client.get(f"/admin/events/{first.id}/channels")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "University Alliance" in text and "Poster at the expo" in text and "utm_source: newsletter" in text
    chart = re.search(r'<svg class="chart".*?</svg>', text, re.S).group(0)
    assert chart.count("<rect") == 3 * 6 and "<script" not in chart
    assert 'style="' not in text  # the stylesheet colours the bars
    detail = client.get(f"/admin/events/{first.id}").get_data(as_text=True)
    assert f"/admin/events/{first.id}/channels" in detail
    assert f"/admin/campaigns/{world['campaign'].id}/channels" in detail
    campaign_page = client.get(f"/admin/campaigns/{world['campaign'].id}/channels")
    assert campaign_page.status_code == 200 and "Roadshow" in campaign_page.get_data(as_text=True)


def test_the_csv_download_is_formula_safe_and_matches_the_table(world, client, org):
    response = client.get(f"/admin/events/{world['first'].id}/channels.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert table[0][:6] == ["Source", "Kind", "Clicks", "Sign-ups", "Confirmed", "Attended"]
    by_source = {row[0]: row for row in table[1:]}
    assert by_source["University Alliance"][2:8] == ["4", "2", "2", "2", "50%", "100%"]
    assert "'" + world["press"].name in by_source  # a formula-looking name is text
    assert not any(cell and cell[0] in "=+-@" for row in table for cell in row)
    campaign = client.get(f"/admin/campaigns/{world['campaign'].id}/channels.csv")
    assert campaign.status_code == 200 and "University Alliance" in campaign.get_data(as_text=True)


def test_another_organisations_comparison_is_not_found(client, db, login_as, make_event):
    login_as(Role.ORGANISER)
    theirs = rival_event(make_event())
    campaign = event_ops.save_campaign(theirs.organisation_id, {"name": "Their roadshow"})
    db.session.commit()
    for url in (f"/admin/events/{theirs.id}/channels", f"/admin/events/{theirs.id}/channels.csv",
                f"/admin/campaigns/{campaign.id}/channels", f"/admin/campaigns/{campaign.id}/channels.csv"):
        assert client.get(url).status_code == 404, url


def test_an_event_with_nothing_yet_says_so(client, login_as, make_event):
    login_as(Role.ORGANISER)
    page = client.get(f"/admin/events/{make_event().id}/channels")
    assert page.status_code == 200 and "Nothing to compare yet" in page.get_data(as_text=True)


# ---- Open Graph -------------------------------------------------------------------------------------------------

def meta(text: str) -> dict:
    found = re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', text)
    return {name: html.unescape(content) for name, content in found}


def test_the_landing_page_carries_open_graph_tags_escaped(client, make_event, base_url):
    title = 'Summit "><script>alert(1)</script>'
    summary = "**Data** & pipelines. <img src=x onerror=alert(2)> " + "word " * 100
    event = make_event(title=title, summary=summary)
    page = client.get(f"/e/{event.slug}")
    text = page.get_data(as_text=True)
    assert "<script>alert(1)" not in text and "<img src=x" not in text
    tags = meta(text)
    assert tags["og:title"] == title and tags["og:type"] == "website"
    assert tags["og:url"] == f"{BASE_URL}/e/{event.slug}"
    assert tags["og:image"] == f"{BASE_URL}/static/img/share-default.png"
    assert tags["twitter:card"] == "summary_large_image"
    description = tags["og:description"]
    # the summary's text as the organiser wrote it, its Markdown gone (its markup was never HTML: escaped above)
    assert description.startswith("Data & pipelines. <img src=x") and "**" not in description
    assert len(description) <= 201 and description.endswith("…")
    image = client.get(urlsplit(tags["og:image"]).path)
    assert image.status_code == 200 and image.mimetype == "image/png"


def test_a_landing_page_without_a_summary_still_describes_itself(client, make_event):
    tags = meta(client.get(f"/e/{make_event(summary='').slug}").get_data(as_text=True))
    assert tags["og:description"] == "Seminar by Acme Events"


@pytest.mark.parametrize("url, accepted", [
    ("https://cdn.example.com/seminar.jpg", True),
    ("http://cdn.example.com/seminar.jpg", False),
    ("javascript:alert(1)", False),
    ("data:image/png;base64,AAAA", False),
    ("https://cdn.example.com/a b.jpg", False),
    ('https://cdn.example.com/a".jpg', False),
    ("https://[::1", False),
    ("https://", False),
    ("https://cdn.example.com/" + "x" * 500, False),
])
def test_the_image_for_shared_links_must_be_an_https_address(client, db, login_as, make_event, url, accepted):
    login_as(Role.ORGANISER)
    event = make_event()
    response = submit(client, f"/admin/events/{event.id}/edit",
                      {**EVENT_FORM, "slug": event.slug, "image_url": url})
    db.session.expire_all()
    saved = db.session.get(Event, event.id).image_url
    if accepted:
        assert response.status_code == 303 and saved == url
        assert meta(client.get(f"/e/{event.slug}").get_data(as_text=True))["og:image"] == url
    else:
        assert response.status_code == 422 and saved == ""
        assert "https://" in response.get_data(as_text=True)
