"""The sales handoff end to end (issue 16, helper "handoff"): an MQL reaches a sales owner by mail through the SMTP
sink, the owner answers through the personal link with a fresh client, and the stage, timeline, handoff row and
signals follow."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventapp import signals
from eventapp.core.time import utcnow
from eventapp.leads import handoffs, stages
from eventapp.leads.models import ActivityKind, Channel, LeadStage
from eventapp.leads.models.handoff import Handoff
from eventapp.leads.operations import record_activity
from tests.conftest import hidden_fields, submit
from tests.leads.handoff_helpers import (a_contact, a_model, a_seller, activities_of, delivered_mails,
                                         feedback_path, kinds_of, plain, state_of)


@pytest.fixture
def heard():
    """What the webhooks part would hear: every handoff and feedback signal sent during the test."""
    got = []

    def listen(change, **_):
        got.append(change)

    signals.lead_handed_off.connect(listen)
    signals.lead_feedback_given.connect(listen)
    signals.lead_stage_changed.connect(listen)
    yield got
    signals.lead_handed_off.disconnect(listen)
    signals.lead_feedback_given.disconnect(listen)
    signals.lead_stage_changed.disconnect(listen)


def qualify(org, person, score=80):
    model = a_model(org)
    stages.score_changed(org.id, person.id, model.id, score, utcnow())
    from eventapp.extensions import db
    db.session.commit()
    return model


def test_an_mql_reaches_its_owner_who_answers_through_the_link(app, db, org, smtp_sink, heard):
    seller = a_seller(org)
    person = a_contact(org, phone="+8613800138000")
    record_activity(ActivityKind.LINK_CLICKED, organisation_id=org.id, contact_id=person.id, channel=Channel.EMAIL)
    qualify(org, person)

    state = state_of(person.id)
    assert state.stage == LeadStage.HANDED_OFF and state.owner_user_id == seller.id
    mails = delivered_mails(smtp_sink)
    assert len(mails) == 1
    mail = mails[0]
    assert mail["To"].addresses[0].addr_spec == seller.email
    assert "Lin Wei" in mail["Subject"] and "Acme Robotics" in mail["Subject"]
    text = plain(mail)
    for expected in ("CTO", "Acme Robotics", "lin@example.com", "+8613800138000", "Shanghai",
                     "Clicked a link in an email"):
        assert expected in text, expected
    html = mail.get_body(("html",)).get_content()
    assert feedback_path(mail) in html

    handoff = db.session.execute(sa.select(Handoff)).scalar_one()
    token = feedback_path(mail).rsplit("/", 1)[1]
    assert handoff.token_hash == handoffs.token_hash(token) and token not in handoff.token_hash

    sales_browser = app.test_client()  # no login: the link is the key
    page = sales_browser.get(feedback_path(mail))
    assert page.status_code == 200 and "Lin Wei" in page.get_data(as_text=True)
    answered = submit(sales_browser, feedback_path(mail), {"feedback": "buying_3_months", "note": "Budget in Q2"})
    assert answered.status_code == 303

    db.session.expire_all()
    handoff = db.session.get(Handoff, handoff.id)
    assert handoff.feedback == "buying_3_months" and handoff.note == "Budget in Q2" and handoff.answered_at
    assert state_of(person.id).stage == LeadStage.ACCEPTED
    feedback = activities_of(person.id, ActivityKind.SALES_FEEDBACK)
    assert len(feedback) == 1 and feedback[0].actor_user_id == seller.id and feedback[0].channel == Channel.SALES
    assert feedback[0].meta["feedback"] == "buying_3_months"
    kinds = [type(change).__name__ for change in heard]
    assert "HandoffChange" in kinds
    moved = [change.to_stage for change in heard if isinstance(change, signals.StageChange)]
    assert moved == [LeadStage.ENGAGED, LeadStage.MQL, LeadStage.HANDED_OFF, LeadStage.ACCEPTED]  # the click engaged
    given = [change for change in heard if isinstance(change, signals.HandoffChange) and change.feedback]
    assert [change.feedback for change in given] == ["buying_3_months"]
    shown = sales_browser.get(feedback_path(mail)).get_data(as_text=True)
    assert "Buying within 3 months" in shown and "Budget in Q2" in shown and 'name="feedback"' not in shown


def test_a_rejection_goes_back_to_nurture_with_its_reason_kept(app, db, org, smtp_sink):
    a_seller(org)
    person = a_contact(org)
    qualify(org, person)
    mail = delivered_mails(smtp_sink)[0]
    assert submit(app.test_client(), feedback_path(mail), {"feedback": "no_budget"}).status_code == 303
    state = state_of(person.id)
    assert state.stage == LeadStage.NURTURE and state.stage_reason == '{"why":"feedback","tag":"no_budget"}'
    moves = [(a.meta["from"], a.meta["to"]) for a in activities_of(person.id, ActivityKind.STAGE_CHANGED)]
    assert moves[-2:] == [("handed_off", "rejected"), ("rejected", "nurture")]


def test_answering_twice_keeps_the_first_answer(app, db, org, smtp_sink):
    a_seller(org)
    person = a_contact(org)
    qualify(org, person)
    path = feedback_path(delivered_mails(smtp_sink)[0])
    browser = app.test_client()
    page = browser.get(path)
    token = hidden_fields(page.get_data(as_text=True))["csrf_token"]
    assert browser.post(path, data={"csrf_token": token, "feedback": "accepted"}).status_code == 303
    again = browser.post(path, data={"csrf_token": token, "feedback": "bad_data"})
    assert again.status_code == 409 and "Accepted" in again.get_data(as_text=True)
    assert db.session.execute(sa.select(Handoff.feedback)).scalar_one() == "accepted"
    assert len(activities_of(person.id, ActivityKind.SALES_FEEDBACK)) == 1
    assert state_of(person.id).stage == LeadStage.ACCEPTED


def test_forged_expired_and_withdrawn_links_change_nothing(app, db, org, smtp_sink, make_user):
    first, second = a_seller(org), a_seller(org, "kim@acme.example", "Kim")
    person = a_contact(org)
    qualify(org, person)
    path = feedback_path(delivered_mails(smtp_sink)[0])
    browser = app.test_client()
    assert browser.get("/f/" + "x" * 43).status_code == 404
    assert browser.get(path[:-1] + ("A" if path[-1] != "A" else "B")).status_code == 404
    assert browser.get("/f/" + "y" * 500).status_code == 404

    handoff = db.session.execute(sa.select(Handoff)).scalar_one()
    handoff.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = browser.get(path)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    csrf = hidden_fields(app.test_client().get("/login").get_data(as_text=True))
    assert browser.post(path, data={"feedback": "accepted", **csrf}).status_code in (400, 409)

    handoff.expires_at = utcnow() + timedelta(days=30)
    db.session.commit()
    handed = handoffs.hand_off_by_organiser(person, second.id if handoff.owner_user_id == first.id else first.id,
                                            make_user().id)
    db.session.commit()
    page = browser.get(path)
    assert page.status_code == 410 and "someone else" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Handoff, handoff.id).withdrawn_at is not None
    assert db.session.get(Handoff, handoff.id).answered_at is None
    assert db.session.get(Handoff, handed.id).withdrawn_at is None
    assert state_of(person.id).owner_user_id == handed.owner_user_id
    assert ActivityKind.OWNER_CHANGED in kinds_of(person.id)


def test_the_feedback_post_needs_the_csrf_token_and_a_known_answer(app, db, org, smtp_sink):
    a_seller(org)
    person = a_contact(org)
    qualify(org, person)
    path = feedback_path(delivered_mails(smtp_sink)[0])
    browser = app.test_client()
    assert browser.post(path, data={"feedback": "accepted"}).status_code == 400  # no CSRF token
    refused = submit(browser, path, {"feedback": "delete everything", "note": "x" * 5000})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Keep the note under" in body
    assert db.session.execute(sa.select(Handoff.answered_at)).scalar_one() is None
    assert state_of(person.id).stage == LeadStage.HANDED_OFF


def test_a_get_of_the_link_changes_nothing(app, db, org, smtp_sink):
    a_seller(org)
    person = a_contact(org)
    qualify(org, person)
    path = feedback_path(delivered_mails(smtp_sink)[0])
    before = kinds_of(person.id)
    for _ in range(3):
        assert app.test_client().get(path).status_code == 200
    assert kinds_of(person.id) == before
    assert db.session.execute(sa.select(Handoff.answered_at)).scalar_one() is None


def test_an_mql_without_sales_users_waits_and_is_assigned_when_one_exists(app, db, org, smtp_sink):
    from eventapp.messaging.operations import sweep

    person = a_contact(org)
    qualify(org, person)
    assert state_of(person.id).stage == LeadStage.MQL
    assert [state.contact_id for state in handoffs.waiting_for_owner(org.id)] == [person.id]
    seller = a_seller(org)
    sweep()
    assert state_of(person.id).stage == LeadStage.HANDED_OFF and state_of(person.id).owner_user_id == seller.id
    assert handoffs.waiting_for_owner(org.id) == []
    assert len(smtp_sink.messages) == 1


def test_score_changed_needs_the_threshold_and_the_fields_sales_needs(db, org):
    a_seller(org)
    model = a_model(org, threshold=50)
    low, incomplete = a_contact(org, "low@example.com"), a_contact(org, "nojob@example.com", job_title="")
    stages.score_changed(org.id, low.id, model.id, 49, utcnow())
    stages.score_changed(org.id, incomplete.id, model.id, 90, utcnow())
    db.session.commit()
    assert state_of(low.id) is None or state_of(low.id).stage == LeadStage.NEW
    assert state_of(incomplete.id) is None or state_of(incomplete.id).stage == LeadStage.NEW
    assert db.session.execute(sa.select(Handoff)).scalars().all() == []


def test_the_handoff_mail_and_its_reminder_score_below_one_spam_point(app, db, org, smtp_sink, monkeypatch):
    """Judged as a receiving server would (tests/messaging/test_spam_score.py), like every other kind of mail."""
    from tests.messaging.test_spam_score import LOCAL_ONLY, PASSING, spam_report

    seller = a_seller(org)
    person = a_contact(org, phone="+8613800138000", industry="Logistics", company_size="200-500")
    qualify(org, person)
    handoff = db.session.execute(sa.select(Handoff)).scalar_one()
    overdue = handoff.due_at + timedelta(hours=1)
    while overdue.weekday() >= 5:  # reminders go on working days (the organisation's zone is UTC here)
        overdue += timedelta(days=1)
    monkeypatch.setattr(handoffs, "utcnow", lambda: overdue)
    handoffs.remind_overdue()
    db.session.commit()
    delivered_mails(smtp_sink)
    assert len(smtp_sink.raw) == 2 and seller.email in smtp_sink.messages[1]["To"]
    for raw in smtp_sink.raw:
        score, rules = spam_report(raw)
        assert score < PASSING, [rule for rule in rules if rule not in LOCAL_ONLY]


def test_two_answers_at_once_make_one(db, org):
    """A double click: both requests found the handoff unanswered; the second one's write finds it answered."""
    from eventapp.extensions import db as _db

    a_seller(org)
    person = a_contact(org)
    qualify(org, person)
    handoff = _db.session.execute(sa.select(Handoff)).scalar_one()
    _db.session.execute(sa.update(Handoff).values(answered_at=utcnow(), feedback="bad_data")
                        .execution_options(synchronize_session=False))  # another request's write
    assert handoff.answered_at is None
    with pytest.raises(handoffs.HandoffRefused):
        handoffs.answer(handoff, "accepted")  # its copy still says unanswered
    _db.session.rollback()
    assert _db.session.execute(sa.select(Handoff.feedback)).scalar_one() == ""
    assert activities_of(person.id, ActivityKind.SALES_FEEDBACK) == []


def test_the_link_tells_the_second_of_two_answers_at_once(app, db, org, smtp_sink, monkeypatch):
    a_seller(org)
    person = a_contact(org)
    qualify(org, person)
    path = feedback_path(delivered_mails(smtp_sink)[0])
    real_answer = handoffs.answer

    def meanwhile(handoff, *args, **kwargs):  # the other request's answer lands between the check and the write
        db.session.execute(sa.update(Handoff).values(answered_at=utcnow(), feedback="no_budget")
                           .execution_options(synchronize_session=False))
        return real_answer(handoff, *args, **kwargs)

    monkeypatch.setattr(handoffs, "answer", meanwhile)
    response = submit(app.test_client(), path, {"feedback": "accepted"})
    assert response.status_code == 409
    assert db.session.execute(sa.select(Handoff.feedback)).scalar_one() == ""  # the other request was rolled back too


def test_a_score_from_the_rules_hands_the_lead_over_and_the_mail_explains_it(app, db, org, smtp_sink):
    """Through scoring itself: a fit rule worth more than the threshold, recomputed by the sweep, makes the MQL;
    the mail gives the score and its reason."""
    from eventapp.leads import scoring
    from eventapp.messaging.operations import sweep

    seller = a_seller(org)
    person = a_contact(org, city="Shanghai")
    scoring.ensure_default_model(org.id)
    model = scoring.primary_model(org.id)
    model.mql_threshold = 50
    scoring.save_rule(model, None, {"kind": "fit", "field": "city", "pattern": "Shanghai", "points": 60})
    db.session.commit()
    for _ in range(5):
        sweep()
        if state_of(person.id) is not None and state_of(person.id).stage == LeadStage.HANDED_OFF:
            break
    assert state_of(person.id).owner_user_id == seller.id
    [mail] = smtp_sink.messages
    text = plain(mail)
    assert re.search(rf"Score \({model.name}\): \d+", text) and "+60 City: Shanghai" in text
