"""A double click's two requests both pass the "is it there yet?" check and meet at the unique constraint: the
second gets what the first made, or a sentence, never an error page. The race is played by making the check miss
once, as it does when the other request commits between check and commit."""
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.checkin import staffing
from eventapp.checkin.models import EventStaff
from eventapp.events import forms as event_forms
from eventapp.events import views as event_views
from eventapp.events.models import Campaign, Event, Question
from eventapp.registration import message_views
from eventapp.messaging.content import template_for
from eventapp.messaging.models import MessageTemplate
from tests.conftest import hidden_fields, submit
from tests.events.test_back_office import EVENT_FORM


def miss_once(monkeypatch, module, name, missed_value):
    real, calls = getattr(module, name), []

    def check(*args, **kwargs):
        calls.append(args)
        return missed_value if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(module, name, check)
    return calls


def test_the_same_web_address_taken_meanwhile_is_explained(client, db, login_as, make_event, monkeypatch):
    login_as()
    make_event(slug="data-summit")
    miss_once(monkeypatch, event_forms, "slug_taken", False)
    response = submit(client, "/admin/events/new", EVENT_FORM)
    assert response.status_code == 422
    assert "Another event already uses this web address." in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar() == 1


def test_a_staff_account_assigned_meanwhile_stays_assigned_once(client, db, login_as, make_event, make_user,
                                                                monkeypatch):
    event = make_event()
    staff = make_user(Role.STAFF, email="door@acme.example")
    login_as()
    submit(client, f"/admin/events/{event.id}", {"email": "door@acme.example"}, post_url=f"/admin/events/{event.id}/staff")
    calls = miss_once(monkeypatch, staffing, "_assigned", False)
    response = submit(client, f"/admin/events/{event.id}", {"email": "door@acme.example"},
                      post_url=f"/admin/events/{event.id}/staff", follow_redirects=True)
    assert calls and response.status_code == 200
    assert "door@acme.example can now check people in at this event." in response.get_data(as_text=True)
    assert list(db.session.execute(sa.select(EventStaff.user_id).where(EventStaff.event_id == event.id)).scalars()) \
        == [staff.id]


def test_a_message_wording_created_meanwhile_is_written_over(client, db, login_as, make_event, monkeypatch):
    event = make_event()
    login_as()
    url = f"/admin/events/{event.id}/messages/confirmation"
    assert submit(client, url, {"subject": "First", "body": "", "sms_text": ""}).status_code == 303
    page = client.get(url).get_data(as_text=True)
    calls = miss_once(monkeypatch, message_views, "template_for", None)
    response = client.post(url, data={**hidden_fields(page), "subject": "Second", "body": "", "sms_text": ""})
    assert response.status_code == 303 and len(calls) == 2
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(MessageTemplate)).scalar() == 1
    assert template_for(event.id, "confirmation").subject == "Second"


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()


def test_a_create_form_posted_twice_makes_one_campaign_and_one_question(client, db, login_as, make_event):
    login_as()
    page = client.get("/admin/campaigns/new").get_data(as_text=True)
    form = {**hidden_fields(page), "name": "Autumn tour", "description": ""}
    assert form["form_nonce"]
    assert [client.post("/admin/campaigns/new", data=form).status_code for _ in range(2)] == [303, 303]
    assert count(db, Campaign) == 1
    # a new page is a new form: the same name again is a second campaign, as asked
    again = {**hidden_fields(client.get("/admin/campaigns/new").get_data(as_text=True)), "name": "Autumn tour"}
    assert client.post("/admin/campaigns/new", data=again).status_code == 303
    assert count(db, Campaign) == 2

    event = make_event()
    url = f"/admin/events/{event.id}/questions/new"
    form = {**hidden_fields(client.get(url).get_data(as_text=True)), "label": "Budget?", "kind": "text"}
    assert [client.post(url, data=form).status_code for _ in range(3)] == [303, 303, 303]
    assert count(db, Question) == 1


def test_a_create_form_posted_twice_at_the_same_moment_makes_one_question(client, db, login_as, make_event,
                                                                          monkeypatch):
    """The second post's look for the first one's row runs before that row is committed: the unique nonce
    refuses the second row, and the organiser lands where a saved form leads."""
    login_as()
    event = make_event()
    url = f"/admin/events/{event.id}/questions/new"
    form = {**hidden_fields(client.get(url).get_data(as_text=True)), "label": "Budget?", "kind": "text"}
    assert client.post(url, data=form).status_code == 303
    looks = miss_once(monkeypatch, event_views, "_made_with", False)
    response = client.post(url, data=form)
    assert len(looks) == 2 and response.status_code == 303
    assert count(db, Question) == 1


def test_a_nonce_made_up_to_match_another_organisations_row_still_saves(client, db, login_as, make_event):
    from eventapp.accounts.operations import ensure_organisation

    other = ensure_organisation("other", "Other Ltd")
    db.session.add(Campaign(organisation_id=other.id, name="Theirs", form_nonce="taken"))
    db.session.commit()
    login_as()
    page = client.get("/admin/campaigns/new").get_data(as_text=True)
    response = client.post("/admin/campaigns/new", data={**hidden_fields(page), "name": "Ours", "form_nonce": "taken"})
    assert response.status_code == 303
    names = set(db.session.execute(sa.select(Campaign.name)).scalars())
    assert names == {"Theirs", "Ours"}
