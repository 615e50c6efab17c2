"""Lead stages (issue 16, helper "handoff"): allowed moves, the activity and signal of each, first interest makes a
lead engaged, an organiser's override from the contact page."""
import re

import pytest
import sqlalchemy as sa

from eventapp import signals
from eventapp.leads import stages
from eventapp.leads.models import ActivityKind, Channel, LeadStage
from eventapp.leads.models.handoff import Handoff
from tests.conftest import signup_form, submit
from tests.leads.handoff_helpers import a_contact, a_seller, activities_of, delivered_mails, state_of


def test_a_move_writes_the_state_an_activity_and_a_signal(db, org, make_user):
    person = a_contact(org)
    organiser = make_user()
    heard = []
    signals.lead_stage_changed.connect(receiver := lambda change, **_: heard.append(change))
    try:
        assert stages.move(person.id, LeadStage.ENGAGED, organisation_id=org.id, reason="met at the fair",
                           by_user_id=organiser.id)
        assert not stages.move(person.id, LeadStage.ENGAGED, organisation_id=org.id)  # already there
    finally:
        signals.lead_stage_changed.disconnect(receiver)
    db.session.commit()
    state = state_of(person.id)
    assert (state.stage, state.stage_reason) == (LeadStage.ENGAGED, "met at the fair")
    [activity] = activities_of(person.id, ActivityKind.STAGE_CHANGED)
    assert activity.meta == {"from": "new", "to": "engaged", "reason": "met at the fair"}
    assert activity.actor_user_id == organiser.id and activity.channel == Channel.STAFF
    assert [(change.from_stage, change.to_stage, change.by_user_id) for change in heard] == [
        ("new", "engaged", organiser.id)]


def test_moves_the_stages_do_not_allow_are_refused_unless_an_organiser_overrides(db, org):
    person = a_contact(org)
    with pytest.raises(stages.StageRefused):
        stages.move(person.id, LeadStage.WON, organisation_id=org.id)
    assert stages.move(person.id, LeadStage.WON, organisation_id=org.id, by_user_id=None, override=True)
    with pytest.raises(stages.StageRefused):  # handed to sales only through a handoff (it needs an owner)
        stages.move(person.id, LeadStage.HANDED_OFF, organisation_id=org.id, override=True)


def test_a_sign_up_makes_a_new_lead_engaged_once(client, db, org, make_event):
    event = make_event()
    submit(client, f"/e/{event.slug}", signup_form())
    from eventapp.contacts.models import Contact

    person = db.session.execute(sa.select(Contact)).scalar_one()
    assert state_of(person.id).stage == LeadStage.ENGAGED
    other = make_event()
    submit(client.application.test_client(), f"/e/{other.slug}", signup_form())
    [moved] = activities_of(person.id, ActivityKind.STAGE_CHANGED)
    assert moved.meta["from"] == "new" and moved.meta["to"] == "engaged"


def test_a_scanner_click_does_not_engage(db, org):
    from eventapp.leads.operations import record_activity

    person = a_contact(org)
    record_activity(ActivityKind.LINK_CLICKED, organisation_id=org.id, contact_id=person.id, channel=Channel.EMAIL,
                    meta={"likely_automated": True})
    record_activity(ActivityKind.EMAIL_OPENED, organisation_id=org.id, contact_id=person.id, channel=Channel.EMAIL)
    db.session.commit()
    assert state_of(person.id) is None or state_of(person.id).stage == LeadStage.NEW
    record_activity(ActivityKind.LINK_CLICKED, organisation_id=org.id, contact_id=person.id, channel=Channel.EMAIL,
                    meta={"likely_automated": False})
    db.session.commit()
    assert state_of(person.id).stage == LeadStage.ENGAGED


def contact_page(client, person):
    return client.get(f"/admin/contacts/{person.id}")


def test_an_organiser_overrides_the_stage_and_hands_to_sales_from_the_contact_page(client, db, org, login_as,
                                                                                     smtp_sink):
    seller = a_seller(org)
    person = a_contact(org)
    organiser = login_as()
    page = contact_page(client, person).get_data(as_text=True)
    assert "Hand to sales" in page and "Sam Seller" in page
    stage = submit(client, f"/admin/contacts/{person.id}", {"stage": "nurture", "reason": "Not this year"},
                   post_url=f"/admin/handoffs/contacts/{person.id}/stage")
    assert stage.status_code == 303
    state = state_of(person.id)
    assert (state.stage, state.stage_reason) == (LeadStage.NURTURE, "Not this year")
    assert activities_of(person.id, ActivityKind.STAGE_CHANGED)[-1].actor_user_id == organiser.id

    handed = submit(client, f"/admin/contacts/{person.id}", {"owner": str(seller.id)},
                    post_url=f"/admin/handoffs/contacts/{person.id}/hand")
    assert handed.status_code == 303
    state = state_of(person.id)
    assert state.stage == LeadStage.HANDED_OFF and state.owner_user_id == seller.id
    [handoff] = db.session.execute(sa.select(Handoff)).scalars().all()
    assert handoff.assigned_by_user_id == organiser.id
    owner_changed = activities_of(person.id, ActivityKind.OWNER_CHANGED)
    assert owner_changed[0].actor_user_id == organiser.id and owner_changed[0].meta["to_user_id"] == seller.id
    assert len(delivered_mails(smtp_sink)) == 1
    page = contact_page(client, person).get_data(as_text=True)
    assert "Answer due" in page and "Sam Seller" in page


def test_the_overrides_refuse_bad_input_and_other_organisations(client, db, org, login_as, make_user):
    from eventapp.accounts.operations import ensure_organisation

    person = a_contact(org)
    login_as()
    for data, path in (({"stage": "handed_off"}, "stage"), ({"stage": "bogus"}, "stage"),
                       ({"stage": "nurture", "reason": "x" * 400}, "stage"), ({"owner": "999"}, "hand"),
                       ({"owner": "abc"}, "hand")):
        response = submit(client, f"/admin/contacts/{person.id}", data,
                          post_url=f"/admin/handoffs/contacts/{person.id}/{path}")
        assert response.status_code == 303, (data, response.status_code)
    assert state_of(person.id) is None or state_of(person.id).stage == LeadStage.NEW
    rival = ensure_organisation("rival", "Rival")
    db.session.commit()
    stranger = a_contact(rival, "stranger@example.com")
    refused = submit(client, f"/admin/contacts/{person.id}", {"stage": "nurture"},
                     post_url=f"/admin/handoffs/contacts/{stranger.id}/stage")
    assert refused.status_code == 404
    assert state_of(stranger.id) is None


def test_hand_to_sales_without_sales_users_says_what_to_do(client, db, org, login_as):
    person = a_contact(org)
    login_as()
    page = contact_page(client, person).get_data(as_text=True)
    assert "no sales user yet" in page
    response = submit(client, f"/admin/contacts/{person.id}", {"owner": "0"},
                      post_url=f"/admin/handoffs/contacts/{person.id}/hand", follow_redirects=True)
    assert re.search(r"no sales user yet", response.get_data(as_text=True))
    assert db.session.execute(sa.select(Handoff)).scalars().all() == []
