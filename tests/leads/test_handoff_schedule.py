"""Handoff deadlines in working days, reminders of overdue answers at fixed times, and who gets a lead (issue 16,
helper "handoff")."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.leads import handoffs, stages
from eventapp.leads.models import ActivityKind
from eventapp.leads.models.handoff import Handoff
from eventapp.messaging.models import Message
from eventapp.messaging.operations import sweep
from tests.conftest import submit
from tests.leads.handoff_helpers import a_contact, a_seller, activities_of, feedback_path, plain

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args, zone=SHANGHAI) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(timezone.utc)


@pytest.mark.parametrize("start, due", [
    (at(2026, 12, 4, 15, 0), at(2026, 12, 11, 15, 0)),  # Friday afternoon: the next Friday
    (at(2026, 12, 5, 10, 0), at(2026, 12, 11, 10, 0)),  # Saturday: the Friday after
    (at(2026, 12, 6, 23, 30), at(2026, 12, 11, 23, 30)),  # Sunday night
    (at(2026, 12, 7, 9, 0), at(2026, 12, 14, 9, 0)),  # Monday: the next Monday
])
def test_five_working_days_skip_the_weekend_in_the_organisations_zone(start, due):
    assert handoffs.add_working_days(start, 5, SHANGHAI) == due


def test_a_weekend_in_the_organisations_zone_is_not_the_weekend_in_utc():
    # Saturday 07:00 in Shanghai is still Friday 23:00 UTC: the deadline is counted from Shanghai's Saturday.
    assert handoffs.add_working_days(at(2026, 12, 5, 7, 0), 1, SHANGHAI) == at(2026, 12, 7, 7, 0)


def test_the_deadline_follows_the_organisations_events_zone_and_the_config(app, db, org, make_event):
    make_event(timezone="Asia/Shanghai")
    start = at(2026, 12, 4, 15, 0)
    assert handoffs.deadline(org.id, start) == at(2026, 12, 11, 15, 0)
    app.config["HANDOFF_WORKING_DAYS"] = 2
    try:
        assert handoffs.deadline(org.id, start) == at(2026, 12, 8, 15, 0)
    finally:
        app.config.pop("HANDOFF_WORKING_DAYS")


@pytest.fixture
def clock(monkeypatch):
    """The handoffs' clock, set by the test."""
    now = {"value": None}
    monkeypatch.setattr(handoffs, "utcnow", lambda: now["value"])
    return now


def test_overdue_handoffs_are_reminded_once_a_working_day_three_times_at_most(app, db, org, make_event, clock,
                                                                             smtp_sink):
    make_event(timezone="Asia/Shanghai")
    seller = a_seller(org)
    person = a_contact(org)
    handed_at = at(2026, 12, 3, 10, 0)  # Thursday
    clock["value"] = handed_at
    handoff = _hand(person, seller, handed_at)
    assert handoff.due_at == at(2026, 12, 10, 10, 0)
    first_link = feedback_path(_mails(smtp_sink)[-1])

    def sweep_at(moment):
        clock["value"] = moment
        sweep()
        db.session.expire_all()
        return db.session.get(Handoff, handoff.id).reminders_sent

    assert sweep_at(at(2026, 12, 10, 9, 59)) == 0  # not yet due
    assert sweep_at(at(2026, 12, 10, 10, 1)) == 1
    assert sweep_at(at(2026, 12, 10, 18, 0)) == 1  # once a day
    assert sweep_at(at(2026, 12, 11, 9, 0)) == 2  # Friday
    assert sweep_at(at(2026, 12, 12, 9, 0)) == 2  # Saturday: no reminder
    assert sweep_at(at(2026, 12, 13, 9, 0)) == 2  # Sunday
    assert sweep_at(at(2026, 12, 14, 9, 0)) == 3  # Monday
    assert sweep_at(at(2026, 12, 15, 9, 0)) == 3  # three at most
    mails = _mails(smtp_sink)
    assert len(mails) == 4
    for reminder in mails[1:]:
        assert "Reminder" in reminder["Subject"] and "Lin Wei" in reminder["Subject"]
        assert feedback_path(reminder) == first_link and "was due" in plain(reminder)
    reminded = activities_of(person.id, ActivityKind.HANDOFF_REMINDED)
    assert [activity.meta["reminder"] for activity in reminded] == [1, 2, 3]


def test_an_answered_handoff_is_not_reminded(app, db, org, clock, smtp_sink):
    seller = a_seller(org)
    person = a_contact(org)
    clock["value"] = at(2026, 12, 3, 10, 0)
    handoff = _hand(person, seller, clock["value"])
    handoffs.answer(handoff, "accepted", now=clock["value"])
    db.session.commit()
    clock["value"] = at(2026, 12, 14, 10, 0)
    sweep()
    assert activities_of(person.id, ActivityKind.HANDOFF_REMINDED) == []


def test_the_overdue_list_shows_owner_due_days_and_reminders(client, db, org, clock, login_as, smtp_sink):
    seller = a_seller(org)
    late, waiting_person = a_contact(org), a_contact(org, "wait@example.com", first_name="Wanda")
    clock["value"] = at(2026, 11, 2, 10, 0)
    handoff = _hand(late, seller, clock["value"])
    handoff.reminders_sent = 2
    db.session.commit()
    stages.move(waiting_person.id, "mql", organisation_id=org.id)
    db.session.commit()
    login_as()
    page = client.get("/admin/handoffs/").get_data(as_text=True)
    assert "Lin Wei" in page and "Sam Seller" in page and "Overdue" in page
    assert "Wanda" in page  # waiting for an owner


def _hand(person, seller, now):
    """The lead qualified at `now` and was handed to `seller`."""
    stages.move(person.id, "mql", organisation_id=person.organisation_id, now=now)
    handoff = handoffs.hand_off(person, seller, now=now)
    db.session.commit()
    return handoff


def _mails(sink):
    from eventapp.messaging.operations import deliver_due

    deliver_due()
    return sink.messages


def test_round_robin_gives_the_next_lead_to_whoever_got_one_least_recently(db, org):
    sellers = [a_seller(org, f"s{number}@acme.example", f"Seller {number}") for number in range(3)]
    got = []
    for number in range(7):
        person = a_contact(org, f"lead{number}@example.com")
        stages.move(person.id, "mql", organisation_id=org.id)
        got.append(handoffs.hand_off_automatically(person).owner_user_id)
    ids = [seller.id for seller in sellers]
    assert got == ids + ids + ids[:1]


def test_assignment_rules_come_first_and_by_position(db, org):
    north, south, other = (a_seller(org, f"{name}@acme.example", name) for name in ("north", "south", "other"))
    handoffs.save_rule(org.id, "city", "Beijing, Tianjin", north.id)
    handoffs.save_rule(org.id, "industry", "manufacturing", south.id)
    db.session.commit()
    assert handoffs.choose_owner(a_contact(org, "a@example.com", city="beijing"))[0] == north
    assert handoffs.choose_owner(a_contact(org, "b@example.com", city="Shanghai"))[0] == south  # Manufacturing
    owner, rule = handoffs.choose_owner(a_contact(org, "c@example.com", city="Paris", industry="Retail"))
    assert rule is None and owner in (north, south, other)
    with pytest.raises(handoffs.HandoffRefused):
        handoffs.save_rule(org.id, "password_hash", "x", None)
    with pytest.raises(handoffs.HandoffRefused):
        handoffs.save_rule(org.id, "city", " , ", None)


def test_the_rules_page_adds_and_deletes_a_rule_and_refuses_bad_input(client, db, org, login_as):
    seller = a_seller(org)
    login_as()
    added = submit(client, "/admin/handoffs/", {"field": "city", "pattern": "Shenzhen, Guangzhou",
                                                "owner": str(seller.id)}, post_url="/admin/handoffs/rules")
    assert added.status_code == 303
    [rule] = handoffs.rules_of(org.id)
    assert (rule.field, rule.pattern, rule.owner_user_id) == ("city", "Shenzhen, Guangzhou", seller.id)
    for bad in ({"field": "city", "pattern": "", "owner": "0"}, {"field": "email", "pattern": "x", "owner": "0"},
                {"field": "city", "pattern": "x", "owner": "12345"}):
        refused = submit(client, "/admin/handoffs/", bad, post_url="/admin/handoffs/rules")
        assert refused.status_code == 422, bad
    assert len(handoffs.rules_of(org.id)) == 1
    deleted = submit(client, "/admin/handoffs/", {}, post_url=f"/admin/handoffs/rules/{rule.id}/delete")
    assert deleted.status_code == 303 and handoffs.rules_of(org.id) == []
    assert db.session.execute(sa.select(Message)).scalars().all() == []


def test_a_reminder_whose_first_mail_is_gone_carries_a_new_link(app, db, org, clock, smtp_sink):
    seller = a_seller(org)
    person = a_contact(org)
    clock["value"] = at(2026, 12, 3, 10, 0)
    handoff = _hand(person, seller, clock["value"])
    db.session.execute(sa.delete(Message))
    db.session.commit()
    clock["value"] = at(2026, 12, 14, 10, 0)
    sweep()
    [reminder] = _mails(smtp_sink)
    path = feedback_path(reminder)
    db.session.expire_all()
    assert db.session.get(Handoff, handoff.id).token_hash == handoffs.token_hash(path.rsplit("/", 1)[1])
    assert app.test_client().get(path).status_code == 200
