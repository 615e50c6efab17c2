"""What leads costs each activity (issue 17, P4): the organisation's score models, rules and webhook endpoints are
read once per transaction, and a change the transaction itself makes to them counts at once."""
import re

import sqlalchemy as sa

from eventapp.core.time import utcnow
from eventapp.leads import scoring, webhooks
from eventapp.leads.models import ActivityKind, LeadStage, LeadState
from eventapp.leads.models.scoring import RuleKind, ScoreEntry, ScoreRule
from eventapp.leads.operations import lead_state_for_update, record_activity
from eventapp.leads.stages import move
from tests.conftest import hidden_fields, signup_form
from tests.leads.handoff_helpers import a_contact, activities_of, state_of

LEADS_TABLES = re.compile(r"\b(lead_activities|lead_states|score_models|score_rules|score_entries|lead_scores|"
                         r"webhook_endpoints|webhook_deliveries)\b")
LEADS_READS = re.compile(r"^SELECT .*\bFROM (score_models|score_rules|webhook_endpoints|lead_states)\b")


def statements_of(db, request) -> list[str]:
    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        request()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    return statements


def test_a_sign_up_costs_leads_thirteen_statements_and_reads_its_settings_once(client, db, make_event):
    """Four activities (page view, registration, stage change, confirmation queued) with three behaviour scores,
    the new profile's fit (its entry and score; a new contact has nothing stored to compare with), the lead's stage
    and the two settings reads: 13 statements of a sign-up are leads' (28 after issue 16: the rules were read again
    for every activity, the lead's state three times)."""
    event = make_event(capacity=None)
    url = f"/e/{event.slug}"
    first = hidden_fields(client.get(url).get_data(as_text=True))
    assert client.post(url, data={**first, **signup_form(email="first@example.com")}).status_code == 303
    fields = hidden_fields(client.get(url).get_data(as_text=True))  # the organisation's default model exists now
    statements = statements_of(db, lambda: client.post(url, data={**fields, **signup_form()}))
    listing = "\n".join(statement[:100] for statement in statements)
    leads = [statement for statement in statements if LEADS_TABLES.search(statement)]
    assert len(leads) <= 13, listing
    reads = [LEADS_READS.match(statement).group(1) for statement in statements if LEADS_READS.match(statement)]
    assert sorted(reads) == ["score_models", "webhook_endpoints"], listing
    assert sum(statement.startswith("INSERT INTO lead_activities") for statement in statements) == 4, listing
    assert sum("lead_states" in statement for statement in statements) == 1, listing


def behaviour_points(db, contact_id) -> list[int]:
    return list(db.session.scalars(sa.select(ScoreEntry.points).where(
        ScoreEntry.contact_id == contact_id, ScoreEntry.occurred_at.is_not(None)).order_by(ScoreEntry.id)))


def test_a_rule_the_transaction_changes_scores_its_next_activity(db, org):
    person = a_contact(org)
    record_activity(ActivityKind.REGISTERED, organisation_id=org.id, contact_id=person.id)  # the rules are read
    model = scoring.primary_model(org.id)
    registered = next(rule for rule in model.rules if rule.activity_kind == ActivityKind.REGISTERED)
    registered.points = 12  # changed, not flushed yet
    db.session.add(ScoreRule(model=model, kind=RuleKind.BEHAVIOUR, activity_kind=ActivityKind.CALENDAR_DOWNLOADED,
                             points=7, position=99))
    record_activity(ActivityKind.REGISTERED, organisation_id=org.id, contact_id=person.id)
    record_activity(ActivityKind.CALENDAR_DOWNLOADED, organisation_id=org.id, contact_id=person.id)
    db.session.execute(sa.update(ScoreRule).where(ScoreRule.id == registered.id).values(points=3))  # a statement
    record_activity(ActivityKind.REGISTERED, organisation_id=org.id, contact_id=person.id)
    db.session.commit()
    assert behaviour_points(db, person.id) == [10, 12, 7, 3]


def test_a_rule_changed_by_another_transaction_counts_in_the_next(db, org, app):
    person = a_contact(org)
    record_activity(ActivityKind.REGISTERED, organisation_id=org.id, contact_id=person.id)
    db.session.commit()
    with db.engine.begin() as elsewhere:  # another worker's connection
        elsewhere.execute(sa.update(ScoreRule).where(ScoreRule.activity_kind == ActivityKind.REGISTERED)
                          .values(points=4))
    record_activity(ActivityKind.REGISTERED, organisation_id=org.id, contact_id=person.id)
    db.session.commit()
    assert behaviour_points(db, person.id) == [10, 4]


def test_an_endpoint_the_transaction_adds_or_switches_off_counts_at_once(db, org, app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", True)
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_HTTP", True)
    changed = webhooks.EventType.LEAD_STAGE_CHANGED

    def queued():
        return webhooks.queue_event(org.id, changed, utcnow(), lambda: {"stage": "engaged"})

    assert queued() == []  # nobody listens: remembered for the transaction
    endpoint = webhooks.save_endpoint(org.id, {"url": "http://127.0.0.1:9/hook", "description": "CRM",
                                               "event_types": [str(changed)]})
    [delivery] = queued()
    assert delivery.endpoint_id == endpoint.id
    endpoint.active = False  # switched off, not flushed yet
    assert queued() == []
    db.session.commit()


def test_only_a_new_lead_is_engaged_and_a_loaded_state_reads_the_change(db, org):
    new, nurtured = a_contact(org, "new@example.com"), a_contact(org, "nurture@example.com")
    move(nurtured.id, LeadStage.NURTURE, organisation_id=org.id)
    db.session.commit()
    loaded = lead_state_for_update(new.id)  # this transaction holds the row, in stage new
    for person in (new, nurtured):
        record_activity(ActivityKind.REGISTERED, organisation_id=org.id, contact_id=person.id)
    assert loaded.stage == LeadStage.ENGAGED
    db.session.commit()
    assert state_of(new.id).stage == LeadStage.ENGAGED and state_of(nurtured.id).stage == LeadStage.NURTURE
    assert [activity.meta["to"] for activity in activities_of(nurtured.id, ActivityKind.STAGE_CHANGED)] == ["nurture"]
    [engaged] = activities_of(new.id, ActivityKind.STAGE_CHANGED)
    assert (engaged.meta["from"], engaged.meta["to"]) == ("new", "engaged")
    assert db.session.get(LeadState, new.id).stage_reason == engaged.meta["reason"]
