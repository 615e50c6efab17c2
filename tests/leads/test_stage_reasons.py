"""A stage's reason the system gives is stored as a code with its values and read in the reader's language; an
organiser's own typed reason stays as typed (issue 17)."""
import json

from flask_babel import force_locale

from eventapp.leads import handoffs, stages
from eventapp.leads.models import ActivityKind, LeadStage
from eventapp.leads.reasons import Why, reason_text, system_reason
from tests.leads.handoff_helpers import a_contact, a_seller, activities_of, state_of


def test_a_handoff_stores_what_it_means_and_each_reader_reads_it_in_their_language(app, db, org, make_user):
    person, seller = a_contact(org), a_seller(org, email="wang@acme.example", name="王芳")
    handoffs.hand_off_by_organiser(person, seller.id, by_user_id=make_user().id)
    db.session.commit()
    stored = state_of(person.id).stage_reason
    assert json.loads(stored) == {"why": "handed_to", "owner": "王芳"}
    first, second = [activity.meta["reason"] for activity in activities_of(person.id, ActivityKind.STAGE_CHANGED)]
    assert json.loads(first) == {"why": "handed_by_hand"} and second == stored
    with app.test_request_context(), force_locale("en"):
        assert reason_text(stored) == "handed to 王芳"
    won = system_reason(Why.OUTCOME, stage="won")
    with app.test_request_context(), force_locale("zh_Hans"):  # the stored form is the same in every language
        assert reason_text(won) == str(LeadStage.WON.label) and reason_text(won) != "Won"


def test_a_typed_reason_stays_as_typed_and_an_unknown_code_shows_as_stored(app, db, org):
    person = a_contact(org)
    stages.move(person.id, LeadStage.ENGAGED, organisation_id=org.id, reason='{"why": met at the fair')
    db.session.commit()
    with app.test_request_context():
        assert reason_text(state_of(person.id).stage_reason) == '{"why": met at the fair'
        assert reason_text('{"why":"from_a_later_version"}') == '{"why":"from_a_later_version"}'
        assert reason_text("") == ""


def test_every_system_reason_reads_as_a_sentence_and_fits_its_column(app):
    with app.test_request_context(), force_locale("en"):
        assert reason_text(system_reason(Why.MQL_THRESHOLD, score=72.0, model="Default", threshold=60)) == \
            "score 72 reached Default's threshold of 60"
        assert reason_text(system_reason(Why.HANDED_BY_HAND)) == "handed to sales by hand"
        assert reason_text(system_reason(Why.FEEDBACK, tag="no_budget")) == "No budget"
        assert reason_text(system_reason(Why.OUTCOME, stage="won")) == "Won"
        assert reason_text(system_reason(Why.ENGAGED_BY, kind="registered")) == "Registered"
        long = system_reason(Why.HANDED_TO, owner="x" * 1000)
        assert len(long) <= 300 and reason_text(long) == "handed to " + "x" * 120


def test_an_endpoint_switched_off_by_a_410_says_why_in_the_readers_words(app):
    from datetime import datetime, timezone

    from eventapp.leads import webhooks
    from eventapp.leads.models.webhooks import WebhookEndpoint

    endpoint = WebhookEndpoint(active=True)
    webhooks._switch_off(endpoint, datetime(2026, 12, 7, 14, 50, tzinfo=timezone.utc))
    assert not endpoint.active and json.loads(endpoint.disabled_reason)["why"] == "gone"
    with app.test_request_context(), force_locale("en"):
        text = webhooks.disabled_reason_text(endpoint.disabled_reason)
        assert text.startswith("The receiver answered 410 Gone on ") and "2026" in text
        assert webhooks.disabled_reason_text("switched off by hand") == "switched off by hand"
