"""Funnels per event and campaign: every step, rate, breakdown, time line, no-show rate and cost checked against a
seeded event (rows written directly, so no subscriber moves a lead on its own), on the page, in the CSV and in the
SVG; an empty event; bad cost input; another organisation's rows."""
import csv
import io
import re
import secrets
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from eventapp.accounts.operations import ensure_organisation
from eventapp.contacts.models import Contact
from eventapp.events import operations as event_ops
from eventapp.invitations.models import Invitation, InvitationStatus, Partner, PartnerLink
from eventapp.leads import funnels
from eventapp.leads.funnels import Dimension, Step
from eventapp.leads.models import ActivityKind, LeadActivity, LeadState
from eventapp.leads.models.analytics import EventCost
from eventapp.registration.models import Registration
from tests.conftest import submit

# The event took place (Berlin) on 2026-11-20, 09:00–12:00 UTC.
STARTS = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
SIGN_UP_DAY = datetime(2026, 11, 10, 10, 0, tzinfo=timezone.utc)


class Seed:
    """Builds contacts, invitations, activities, registrations and lead states of one organisation."""

    def __init__(self, db, organisation_id):
        self.db, self.organisation_id, self.contacts = db, organisation_id, {}

    def contact(self, name, **profile):
        if name not in self.contacts:
            contact = Contact(organisation_id=self.organisation_id, email=f"{name}@example.com",
                              email_key=f"{name}@example.com", first_name=name, **profile)
            self.db.session.add(contact)
            self.db.session.flush()
            self.contacts[name] = contact
        return self.contacts[name]

    def invite(self, event, name, status=InvitationStatus.SENT, **profile):
        contact = self.contact(name, **profile)
        self.db.session.add(Invitation(organisation_id=self.organisation_id, event_id=event.id, contact_id=contact.id,
                                       token=secrets.token_urlsafe(16), status=status))
        return contact

    def activity(self, event, name, kind, **meta):
        self.db.session.add(LeadActivity(organisation_id=self.organisation_id, contact_id=self.contact(name).id,
                                         kind=str(kind), event_id=event.id if event else None,
                                         occurred_at=SIGN_UP_DAY, meta=meta))

    def register(self, event, name, status="confirmed", channel="web", attended=False, walk_in=False,
                 created_at=SIGN_UP_DAY, partner_id=None, **profile):
        contact = self.contact(name, **profile)
        self.db.session.add(Registration(
            event_id=event.id, contact_id=contact.id, status=status, channel=channel, walk_in=walk_in,
            partner_id=partner_id, manage_token=secrets.token_urlsafe(16), ticket_secret=secrets.token_urlsafe(16),
            email=contact.email, created_at=created_at,
            checked_in_at=STARTS + timedelta(minutes=10) if attended or walk_in else None))

    def stage(self, name, stage, *moves):
        """The lead's stage now, and the STAGE_CHANGED activities it went through."""
        contact = self.contact(name)
        self.db.session.add(LeadState(contact_id=contact.id, stage=stage))
        for from_stage, to_stage in moves:
            self.activity(None, name, ActivityKind.STAGE_CHANGED, **{"from": from_stage, "to": to_stage})


@pytest.fixture
def seeded(db, org, make_event):
    """Ten invitations out (and one queued, one withdrawn: not counted); opens, clicks (one by a scanner);
    registrations of every status, through each channel; check-ins, a walk-in, no-shows; stage changes."""
    campaign = event_ops.save_campaign(org.id, {"name": "Roadshow"})
    db.session.commit()
    event = make_event(title="Shanghai seminar", starts_at=STARTS, ends_at=STARTS + timedelta(hours=3),
                       campaign_id=campaign.id)
    partner = Partner(organisation_id=org.id, name="Alumni Association")
    db.session.add(partner)
    db.session.flush()
    db.session.add(PartnerLink(organisation_id=org.id, partner_id=partner.id, code="alumni1", event_id=event.id))
    seed = Seed(db, org.id)
    for number in range(1, 11):
        seed.invite(event, f"c{number}", city="Shanghai" if number <= 4 else "",
                    industry="Banking" if number <= 2 else "", company_size="51-200" if number == 1 else "")
    seed.invite(event, "withdrawn", status=InvitationStatus.WITHDRAWN)
    for name in ("c1", "c1", "c2", "c3", "c4", "c5", "c6"):
        seed.activity(event, name, ActivityKind.EMAIL_OPENED)
    for name in ("c1", "c2", "c3", "c7"):  # c7 clicked with images blocked: opened too
        seed.activity(event, name, ActivityKind.LINK_CLICKED, likely_automated=False)
    seed.activity(event, "c5", ActivityKind.LINK_CLICKED, likely_automated=True)  # a mail scanner
    seed.invite(event, "queued", status=InvitationStatus.QUEUED, city="Hangzhou")
    seed.activity(event, "queued", ActivityKind.EMAIL_OPENED)  # not invited (yet): not counted, no Hangzhou row
    seed.register(event, "c1", channel="invitation", attended=True)
    seed.register(event, "c2", channel="invitation")  # a no-show
    seed.register(event, "c3", status="waitlisted", channel="invitation")
    seed.register(event, "c4", status="cancelled", channel="web")
    seed.register(event, "c8", status="pending", channel="invitation", created_at=SIGN_UP_DAY + timedelta(days=2))
    seed.register(event, "u1", attended=True, city="Beijing")
    seed.register(event, "u2", channel="partner:alumni1", partner_id=partner.id, attended=True, city="Beijing")
    seed.register(event, "u3", channel="utm:newsletter")  # a no-show
    seed.register(event, "w1", channel="staff", walk_in=True, created_at=STARTS + timedelta(minutes=10))
    seed.stage("c1", "nurture", ("new", "mql"), ("mql", "nurture"))
    seed.stage("c2", "engaged", ("new", "engaged"))
    seed.stage("u1", "handed_off")  # no history: the stage it is in counts
    seed.stage("u2", "won", ("mql", "handed_off"), ("handed_off", "won"))
    seed.stage("w1", "accepted")
    seed.stage("outsider", "won", ("new", "mql"))  # not one of the event's people
    db.session.commit()
    return event, campaign, seed


# What the seed makes: step → (people, of which invited, rate vs previous, rate vs invited).
EXPECTED = {
    Step.INVITED: (10, 10, "–", "–"),
    Step.OPENED: (7, 7, "70.0%", "70.0%"),
    Step.CLICKED: (4, 4, "57.1%", "40.0%"),
    Step.REGISTERED: (8, 5, "200.0%", "80.0%"),
    Step.CONFIRMED: (5, 2, "62.5%", "50.0%"),
    Step.ATTENDED: (4, 1, "80.0%", "40.0%"),
    Step.MQL: (4, 1, "100.0%", "40.0%"),
    Step.ACCEPTED: (2, 0, "50.0%", "20.0%"),
    Step.WON: (1, 0, "50.0%", "10.0%"),
}


def test_every_step_of_the_event_funnel_counts_distinct_contacts(seeded):
    event, _campaign, _seed = seeded
    figures = funnels.funnel(funnels.event_scope(event))
    found = {figure.step: (figure.people, figure.invited, funnels.percent(figure.of_previous),
                           funnels.percent(figure.of_top)) for figure in figures.steps}
    assert found == EXPECTED
    assert figures.walk_ins == 1 and figures.above_previous


def _table_rows(page: str, table_class: str) -> list[list[str]]:
    table = re.search(rf'<table (?:class|id)="{table_class}"[^>]*>(.*?)</table>', page, re.S).group(1)
    body = table.split("<tbody>")[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_the_page_shows_each_number_and_rate_in_its_table_and_its_chart(client, login_as, seeded):
    event, _campaign, _seed = seeded
    login_as()
    page = client.get(f"/admin/funnels/events/{event.id}").get_data(as_text=True)
    rows = _table_rows(page, "funnel-table")
    assert rows == [[str(step.label), str(people), str(invited), previous, top]
                    for step, (people, invited, previous, top) in EXPECTED.items()]
    bar_labels = re.findall(r'<text[^>]*class="chart-value funnel-value">([^<]*)</text>', page)
    assert bar_labels == ["10", "7 · 70.0%", "4 · 40.0%", "8 · 80.0%", "5 · 50.0%", "4 · 40.0%", "4 · 40.0%",
                          "2 · 20.0%", "1 · 10.0%"]
    assert 'viewBox="0 0 640 364"' in page and "A rate above 100% means people joined at that step" in page
    assert "1 of the attendees walked in without registering." in page
    assert "2 of 5 confirmed registrations did not come: 40.0%." in page


def test_the_funnel_csv_has_a_bom_the_same_numbers_and_safe_cells(client, login_as, seeded):
    event, _campaign, _seed = seeded
    login_as()
    response = client.get(f"/admin/funnels/events/{event.id}/steps.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:6] == ["Step", "People", "Of which invited", "Not invited", "Rate vs previous step",
                           "Rate vs invited"]
    assert [row[:6] for row in rows[1:]] == [
        [str(step.label), str(people), str(invited), str(people - invited), previous, top]
        for step, (people, invited, previous, top) in EXPECTED.items()]


def test_breakdowns_by_channel_partner_and_profile(seeded):
    event, _campaign, _seed = seeded
    found = {breakdown.dimension: {row.label: [row.counts[step] for step in breakdown.steps]
                                   for row in breakdown.rows}
             for breakdown in funnels.breakdowns(funnels.event_scope(event))}
    # registered, confirmed, attended, MQL
    assert found[Dimension.CHANNEL] == {
        "Invitation emails": [4, 2, 1, 1], "Landing page (direct, no tracking)": [2, 1, 1, 1],
        "Tracked link alumni1": [1, 1, 1, 1], "utm_source: newsletter": [1, 1, 0, 0],
        "Added by staff or at the door": [0, 0, 1, 1]}
    assert found[Dimension.PARTNER] == {"No partner": [7, 4, 3, 3], "Alumni Association": [1, 1, 1, 1]}
    # invited, registered, confirmed, attended, MQL
    assert found[Dimension.CITY] == {"Shanghai": [4, 4, 2, 1, 1], "Beijing": [0, 2, 2, 2, 2],
                                     "(not given)": [6, 2, 1, 1, 1]}
    assert found[Dimension.INDUSTRY]["Banking"] == [2, 2, 2, 1, 1]
    assert found[Dimension.COMPANY_SIZE]["51-200"] == [1, 1, 1, 1, 1]


def test_breakdowns_on_the_page_and_in_their_csv(client, login_as, seeded):
    event, _campaign, _seed = seeded
    login_as()
    page = client.get(f"/admin/funnels/events/{event.id}").get_data(as_text=True)
    assert _table_rows(page, "breakdown-table")[:2] == [["Invitation emails", "4", "2", "1", "1"],
                                                       ["Landing page (direct, no tracking)", "2", "1", "1", "1"]]
    assert '<caption>By city</caption>' in page
    rows = list(csv.reader(io.StringIO(
        client.get(f"/admin/funnels/events/{event.id}/breakdowns.csv").get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Breakdown", "Value", "Invited", "Registered", "Confirmed", "Attended", "MQL"]
    assert ["City", "Shanghai", "4", "4", "2", "1", "1"] in rows
    assert ["Channel", "Invitation emails", "", "4", "2", "1", "1"] in rows


def test_the_time_line_counts_registrations_and_check_ins_per_day(client, login_as, seeded):
    event, _campaign, _seed = seeded
    line = funnels.time_line(funnels.event_scope(event))
    assert not line.weekly
    assert line.periods[0].starts.isoformat() == "2026-11-10" and line.periods[-1].starts.isoformat() == "2026-11-20"
    by_day = {period.starts.isoformat(): (period.registrations, period.check_ins, period.has_event)
              for period in line.periods}
    assert by_day["2026-11-10"] == (7, 0, False) and by_day["2026-11-12"] == (1, 0, False)
    assert by_day["2026-11-20"] == (0, 4, True) and by_day["2026-11-15"] == (0, 0, False)
    login_as()
    rows = list(csv.reader(io.StringIO(
        client.get(f"/admin/funnels/events/{event.id}/timeline.csv").get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Day", "Registrations", "Check-ins", "Event day"] and len(rows) == 12
    assert rows[-1] == ["2026-11-20", "0", "4", "yes"]


def test_a_long_time_line_is_drawn_per_week(db, seeded):
    event, _campaign, seed = seeded
    seed.register(event, "early", created_at=SIGN_UP_DAY - timedelta(days=100))
    db.session.commit()
    line = funnels.time_line(funnels.event_scope(event))
    assert line.weekly and all(period.starts.weekday() == 0 for period in line.periods)
    assert sum(period.registrations for period in line.periods) == 9


def test_the_campaign_counts_each_person_once(client, db, login_as, make_event, seeded):
    event, campaign, seed = seeded
    second = make_event(title="Beijing seminar", starts_at=STARTS + timedelta(days=7),
                        ends_at=STARTS + timedelta(days=7, hours=3), campaign_id=campaign.id)
    seed.invite(second, "c1")
    seed.register(second, "c1", channel="invitation", attended=True)  # again: counted once
    seed.register(second, "n1")
    db.session.commit()
    figures = funnels.funnel(funnels.campaign_scope(campaign))
    assert [figures[step].people for step in Step] == [10, 7, 4, 9, 6, 4, 4, 2, 1]
    login_as()
    page = client.get(f"/admin/funnels/campaigns/{campaign.id}").get_data(as_text=True)
    assert _table_rows(page, "funnel-table")[3] == ["Registered", "9", "5", "225.0%", "90.0%"]
    listing = client.get("/admin/funnels/").get_data(as_text=True)
    # invited, registered, attended, MQL
    assert _table_rows(listing, "campaign-funnels") == [["Roadshow", "10", "9", "4", "4"]]
    assert [row[:1] + row[2:] for row in _table_rows(listing, "event-funnels")] == [
        ["Beijing seminar", "1", "2", "1", "1"], ["Shanghai seminar", "10", "8", "4", "4"]]


def test_costs_per_registrant_attendee_and_mql(client, db, login_as, seeded):
    event, campaign, _seed = seeded
    login_as()
    page_url = f"/admin/funnels/events/{event.id}"
    response = submit(client, page_url, {"amount": "1000.10", "currency": "eur", "save": "Save the cost"},
                      post_url=f"{page_url}/cost")
    assert response.status_code == 303
    cost = db.session.get(EventCost, event.id)
    assert (cost.amount, cost.currency, cost.organisation_id) == (Decimal("1000.10"), "EUR", event.organisation_id)
    page = client.get(page_url).get_data(as_text=True)
    # 1000.10 / 8 = 125.0125 → 125.01; / 4 = 250.025 → 250.03 (half up)
    assert _table_rows(page, "cost-table") == [["Registered", "8", "125.01 EUR"], ["Attended", "4", "250.03 EUR"],
                                              ["MQL", "4", "250.03 EUR"]]
    assert 'value="1000.10"' in page
    costs_row = list(csv.reader(io.StringIO(
        client.get(f"{page_url}/steps.csv").get_data().decode("utf-8-sig"))))[4]
    assert costs_row[0] == "Registered" and costs_row[6] == "125.01 EUR"
    campaign_page = client.get(f"/admin/funnels/campaigns/{campaign.id}").get_data(as_text=True)
    assert _table_rows(campaign_page, "cost-table")[0] == ["Registered", "8", "125.01 EUR"]
    removed = submit(client, page_url, {"remove": "Remove the cost"}, post_url=f"{page_url}/cost")
    db.session.expire_all()
    assert removed.status_code == 303 and db.session.get(EventCost, event.id) is None


def test_cost_rounding_and_an_empty_step():
    assert funnels.cost_per(Decimal("100"), 3) == Decimal("33.33")
    assert funnels.cost_per(Decimal("0.05"), 2) == Decimal("0.03")
    assert funnels.cost_per(Decimal("100"), 0) is None


@pytest.mark.parametrize("amount, currency, message", [
    ("", "EUR", "Enter what the event cost"),
    ("12,500", "EUR", "Enter the amount as a number with up to two decimals"),
    ("1.005", "EUR", "Enter the amount as a number with up to two decimals"),
    ("-5", "EUR", "Enter the amount as a number with up to two decimals"),
    ("0", "EUR", "Enter an amount above zero"),
    ("١٢٣", "EUR", "Enter the amount as a number with up to two decimals"),  # Arabic-Indic digits
    ("99999999999", "EUR", "Enter the amount as a number with up to two decimals"),
    ("=1+1" + "9" * 5000, "EUR", "Enter the amount as a number with up to two decimals"),
    ("100", "", "Enter a currency code"),
    ("100", "XXQ", "is not a currency code"),
    ("100", "<script>", "is not a currency code"),
])
def test_bad_cost_input_is_refused_with_a_clear_message_and_changes_nothing(client, db, login_as, seeded, amount,
                                                                            currency, message):
    event, _campaign, _seed = seeded
    login_as()
    page_url = f"/admin/funnels/events/{event.id}"
    response = submit(client, page_url, {"amount": amount, "currency": currency}, post_url=f"{page_url}/cost")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text and "<script>" not in text.split("<main", 1)[1].replace('<script type="module"', "")
    assert db.session.execute(sa.select(sa.func.count()).select_from(EventCost)).scalar() == 0


def test_a_cost_post_without_the_csrf_token_is_refused(client, db, login_as, seeded):
    event, _campaign, _seed = seeded
    login_as()
    response = client.post(f"/admin/funnels/events/{event.id}/cost", data={"amount": "100", "currency": "EUR"})
    assert response.status_code == 400 and db.session.get(EventCost, event.id) is None


def test_an_empty_event_divides_by_nothing(client, login_as, make_event):
    event = make_event()
    figures = funnels.funnel(funnels.event_scope(event))
    assert [figure.people for figure in figures.steps] == [0] * 9 and figures.is_empty
    assert all(figure.of_previous is None and figure.of_top is None for figure in figures.steps)
    assert funnels.no_shows(funnels.event_scope(event)) is None  # not over yet
    login_as()
    page = client.get(f"/admin/funnels/events/{event.id}")
    assert page.status_code == 200 and "Nobody yet" in page.get_data(as_text=True)
    funnels.save_cost(event, Decimal("500"), "CNY")
    funnels.db.session.commit()
    text = client.get(f"/admin/funnels/events/{event.id}").get_data(as_text=True)
    assert _table_rows(text, "cost-table") == [["Registered", "0", "–"], ["Attended", "0", "–"], ["MQL", "0", "–"]]
    for table in ("steps", "breakdowns", "timeline"):
        assert client.get(f"/admin/funnels/events/{event.id}/{table}.csv").status_code == 200


def test_an_empty_campaign(client, db, org, login_as):
    campaign = event_ops.save_campaign(org.id, {"name": "Nothing yet"})
    db.session.commit()
    login_as()
    page = client.get(f"/admin/funnels/campaigns/{campaign.id}")
    assert page.status_code == 200 and "No events here yet." in page.get_data(as_text=True)


def test_campaign_costs_in_two_currencies_are_not_added(client, db, login_as, make_event, seeded):
    event, campaign, _seed = seeded
    second = make_event(campaign_id=campaign.id)
    funnels.save_cost(event, Decimal("100"), "EUR")
    funnels.save_cost(second, Decimal("100"), "USD")
    db.session.commit()
    login_as()
    page = client.get(f"/admin/funnels/campaigns/{campaign.id}").get_data(as_text=True)
    assert "different currencies (EUR, USD)" in page and 'class="cost-table"' not in page


def test_another_organisations_event_and_campaign_are_not_found(client, db, login_as, seeded):
    event, campaign, _seed = seeded
    rival = ensure_organisation("rival", "Rival Events")
    db.session.commit()
    login_as(email="owner@rival.example", organisation=rival)
    for url in (f"/admin/funnels/events/{event.id}", f"/admin/funnels/events/{event.id}/steps.csv",
                f"/admin/funnels/campaigns/{campaign.id}", f"/admin/funnels/campaigns/{campaign.id}/timeline.csv"):
        assert client.get(url).status_code == 404, url
    listing = client.get("/admin/funnels/").get_data(as_text=True)
    assert "Shanghai seminar" not in listing and "Roadshow" not in listing
    page = client.get("/admin/funnels/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(f"/admin/funnels/events/{event.id}/cost",
                           data={"csrf_token": csrf, "amount": "100", "currency": "EUR"})
    assert response.status_code == 404 and db.session.get(EventCost, event.id) is None


def test_the_event_page_links_to_its_funnel(client, login_as, seeded):
    event, _campaign, _seed = seeded
    login_as()
    page = client.get(f"/admin/events/{event.id}").get_data(as_text=True)
    assert f'href="/admin/funnels/events/{event.id}"' in page


def test_an_erased_contact_still_counts(db, seeded):
    event, _campaign, seed = seeded
    contact = seed.contacts["u1"]
    contact.email = contact.email_key = f"erased-{contact.id}@invalid"
    contact.first_name, contact.city = "", ""
    db.session.commit()
    figures = funnels.funnel(funnels.event_scope(event))
    assert [figures[step].people for step in Step] == [people for people, *_ in EXPECTED.values()]
    cities = next(b for b in funnels.breakdowns(funnels.event_scope(event)) if b.dimension == Dimension.CITY)
    assert {row.label: row.counts[Step.ATTENDED] for row in cities.rows}["(not given)"] == 2


def test_real_sign_ups_and_a_check_in_at_the_door_show_in_the_funnel(app, client, db, login_as, make_event):
    """End to end: people sign up on the landing page (one through a utm link), one cancels, one is checked in
    by the door; the funnel and its channel breakdown read what those flows wrote."""
    from tests.invitations.partner_helpers import check_in, sign_up_through

    event = make_event()
    ada = sign_up_through(app, None, event.slug, "ada@example.com")
    sign_up_through(app, None, event.slug, "grace@example.com", query="?utm_source=newsletter")
    leaving = sign_up_through(app, None, event.slug, "leaving@example.com")
    assert submit(app.test_client(), f"/r/{leaving.manage_token}/cancel", {}).status_code == 303
    login_as()
    check_in(client, event, ada)
    figures = funnels.funnel(funnels.event_scope(event))
    assert [figures[step].people for step in (Step.INVITED, Step.REGISTERED, Step.CONFIRMED, Step.ATTENDED)] == [
        0, 3, 2, 1]
    assert figures[Step.REGISTERED].of_previous is None  # nobody invited: no rate against it
    page = client.get(f"/admin/funnels/events/{event.id}").get_data(as_text=True)
    assert ["Landing page (direct, no tracking)", "2", "1", "1"] == _table_rows(page, "breakdown-table")[0][:4]
    assert ["utm_source: newsletter", "1", "1", "0"] == _table_rows(page, "breakdown-table")[1][:4]


def test_days_are_the_event_time_zones(db, make_event):
    """23:30 UTC is the next morning in Shanghai (UTC+8): the registration counts on that day."""
    event = make_event(timezone="Asia/Shanghai", starts_at=STARTS, ends_at=STARTS + timedelta(hours=3))
    seed = Seed(db, event.organisation_id)
    seed.register(event, "late", created_at=datetime(2026, 11, 9, 23, 30, tzinfo=timezone.utc))
    seed.register(event, "early", created_at=datetime(2026, 11, 10, 15, 59, tzinfo=timezone.utc))
    db.session.commit()
    by_day = {period.starts.isoformat(): period.registrations
              for period in funnels.time_line(funnels.event_scope(event)).periods}
    assert by_day["2026-11-10"] == 2 and "2026-11-09" not in by_day


def test_hostile_names_are_plain_text_on_the_page_and_formula_safe_in_the_csv(client, db, login_as, seeded):
    event, _campaign, seed = seeded
    partner = db.session.execute(sa.select(Partner)).scalar_one()
    partner.name = '=HYPERLINK("http://evil.example","<b>Alumni</b>")'
    seed.contacts["c1"].city = "@SUM(A1:A9)"
    db.session.commit()
    login_as()
    page = client.get(f"/admin/funnels/events/{event.id}").get_data(as_text=True)
    assert "<b>Alumni</b>" not in page and "&lt;b&gt;Alumni&lt;/b&gt;" in page
    rows = list(csv.reader(io.StringIO(
        client.get(f"/admin/funnels/events/{event.id}/breakdowns.csv").get_data().decode("utf-8-sig"))))
    assert ["Partner", "'" + partner.name, "", "1", "1", "1", "1"] in rows
    assert any(row[:2] == ["City", "'@SUM(A1:A9)"] for row in rows)
