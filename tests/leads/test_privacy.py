"""A person's data on request: the JSON export gathers every feature's part, and the erasure leaves no personal data
in any table (suppressions keep the address, on purpose) while the counts funnels are made of stay the same."""
import json
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.checkin.models import CheckIn
from eventapp.contacts.models import ConsentRecord, Contact, ContactTag, Suppression, SuppressionChannel
from eventapp.core.time import utcnow
from eventapp.invitations.models import Invitation, InvitationSend
from eventapp.leads.models import ActivityKind, Channel, LeadActivity
from eventapp.leads.models.handoff import Handoff
from eventapp.leads.models.scoring import LeadScore, ScoreEntry
from eventapp.leads.operations import lead_state_for_update, record_activity
from eventapp.messaging.models import Message, MessageStatus
from eventapp.messaging.operations import deliver_due
from eventapp.registration.models import Registration
from tests.conftest import hidden_fields, signup_form, submit

EMAIL = "zephyrine.quill@example.org"
PHONE = "+4915123456789"
# What must be gone from every table after the erasure (compared case-insensitively).
NEEDLES = ("zephyrine", "quillfeather", "quillworks", "15123456789")


def person_form(**overrides):
    return signup_form(first_name="Zephyrine", last_name="Quillfeather", email=EMAIL, company="Quillworks GmbH",
                       job_title="Chief Wonder Officer", **overrides)


def seed_person(client, db, make_event, make_user):
    """A person with something in every feature: a sign-up with an answer, mail sent, an invitation to another
    event from a pasted list, a check-in with staff's note, consent, a tag, a suppressed number, a handoff's note,
    an activity with details, a sales mail that names them, a text to their number that names no contact. Returns
    (contact, seminar, roundtable)."""
    seminar = make_event(questions=[{"label": "What brings you?", "kind": "text"}])
    roundtable = make_event(title="Executive roundtable")
    visitor = client.application.test_client()
    question = seminar.questions[0]
    assert submit(visitor, f"/e/{seminar.slug}",
                  person_form(**{question.field_name: "Zephyrine wants Quillworks to grow"})).status_code == 303
    contact = db.session.execute(sa.select(Contact).where(Contact.email == EMAIL)).scalar_one()
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    contact.phone = registration.phone = PHONE
    contact.city, contact.industry = "Quillfeather Heath", "Publishing"
    staff = make_user(Role.STAFF)
    db.session.add_all([
        ContactTag(contact_id=contact.id, tag="quillfeather-vip"),
        ConsentRecord(contact_id=contact.id, purpose="email_marketing", granted=True, text_version="v1",
                      text="Yes, email me", source="Quillworks stand", ip_address="203.0.113.9",
                      user_agent="Mozilla/5.0"),
        Suppression(channel=SuppressionChannel.SMS, address=PHONE, reason="stop", keyword="STOP",
                    source="twilio"),
    ])
    send = InvitationSend(organisation_id=seminar.organisation_id, event_id=roundtable.id,
                          pasted_addresses=f"someone@example.com\nZephyrine.Quill@example.org\n")
    db.session.add(send)
    db.session.flush()
    db.session.add(Invitation(organisation_id=seminar.organisation_id, send_id=send.id, event_id=roundtable.id,
                              contact_id=contact.id, token="h6-invitation-token", status="sent", sent_at=utcnow()))
    registration.checked_in_at = utcnow()
    db.session.add(CheckIn(event_id=seminar.id, registration_id=registration.id, result="ok", method="search",
                           nonce="h6-nonce", scanned_at=utcnow(), staff_user_id=staff.id,
                           reason="Zephyrine's badge reprinted"))
    record_activity(ActivityKind.CHECKED_IN, organisation_id=contact.organisation_id, contact_id=contact.id,
                    event_id=seminar.id, channel=Channel.STAFF, actor_user_id=staff.id)
    record_activity(ActivityKind.SALES_FEEDBACK, organisation_id=contact.organisation_id, contact_id=contact.id,
                    channel=Channel.SALES, meta={"note": "Zephyrine Quillfeather is keen"})
    now = utcnow()
    db.session.add(Handoff(organisation_id=contact.organisation_id, contact_id=contact.id, due_at=now,
                           expires_at=now + timedelta(days=5), token_hash="h6" * 32, note="Called Zephyrine"))
    db.session.add(Message(organisation_id=contact.organisation_id, channel="email", kind="test",
                           recipient="sales@acme.example", recipient_name="Sales",
                           subject="New lead: Zephyrine Quillfeather", body_text=f"Write to {EMAIL} soon.",
                           idempotency_key="h6-sales-mail", status=MessageStatus.SENT))
    db.session.add(Message(organisation_id=contact.organisation_id, channel="sms", kind="test", recipient=PHONE,
                           body_text="A test text", idempotency_key="h6-bare-sms", status=MessageStatus.SENT))
    state = lead_state_for_update(contact.id)
    state.stage_reason = "Quillworks has a budget"
    db.session.commit()
    deliver_due()
    return contact, seminar, roundtable


def text_of(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def personal_data_left(db) -> dict:
    """Every table's rows that still hold one of the needles: {table: [row, ...]}."""
    found = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                text = " ".join(text_of(value) for value in row).casefold()
                if any(needle in text for needle in NEEDLES):
                    found.setdefault(table.name, []).append(dict(row._mapping))
    return found


def counts(db) -> dict:
    """The figures funnels and reports are made of."""
    with db.engine.connect() as connection:
        return {
            "registrations": Counter(connection.execute(sa.select(Registration.status)).scalars()),
            "checkins": connection.execute(sa.select(sa.func.count()).select_from(CheckIn)).scalar_one(),
            "checked_in": connection.execute(sa.select(sa.func.count()).select_from(Registration)
                                             .where(Registration.checked_in_at.is_not(None))).scalar_one(),
            "activities": Counter(connection.execute(sa.select(LeadActivity.kind)).scalars()),
            "invitations": Counter(connection.execute(sa.select(Invitation.status)).scalars()),
            "messages": Counter(connection.execute(sa.select(Message.kind)).scalars()),
            "contacts": connection.execute(sa.select(sa.func.count()).select_from(Contact)).scalar_one(),
        }


def download(client, contact_id):
    page = client.get(f"/admin/contacts/{contact_id}").get_data(as_text=True)
    return client.post(f"/admin/contacts/{contact_id}/data.json", data=hidden_fields(page))


def erase(client, contact_id, confirmation):
    return submit(client, f"/admin/contacts/{contact_id}/erase", {"confirmation": confirmation})


def test_the_data_file_holds_every_features_part_and_is_an_activity(client, db, login_as, make_event, make_user):
    contact, seminar, roundtable = seed_person(client, db, make_event, make_user)
    organiser = login_as()
    response = download(client, contact.id)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.get_data(as_text=True))
    sections = {section["title"]: section["rows"] for section in document["sections"]}
    assert sections["Profile"][0]["email"] == EMAIL and sections["Profile"][0]["phone"] == PHONE
    assert sections["Tags"] == [{"tag": "quillfeather-vip"}]
    assert sections["Consent records"][0]["source"] == "Quillworks stand"
    assert sections["Suppressions (do not contact)"][0]["address"] == PHONE
    [signed_up] = sections["Registrations"]
    assert signed_up["event"] == seminar.title and signed_up["first_name"] == "Zephyrine"
    assert signed_up["answers"] == {"What brings you?": "Zephyrine wants Quillworks to grow"}
    assert [row["event"] for row in sections["Invitations"]] == [roundtable.title]
    assert sections["Check-ins at the door"][0]["reason"] == "Zephyrine's badge reprinted"
    assert any(row["kind"] == "confirmation" and row["to"] == EMAIL
               for row in sections["Mails and text messages sent to them"])
    kinds = [row["kind"] for row in sections["Activity timeline"]]
    assert ActivityKind.REGISTERED in kinds and ActivityKind.SALES_FEEDBACK in kinds
    assert sections["Lead stage"][0]["reason"] == "Quillworks has a budget"
    assert sections["Handoffs to sales"][0]["note"] == "Called Zephyrine"
    exported = db.session.execute(sa.select(LeadActivity).where(
        LeadActivity.kind == ActivityKind.DATA_EXPORTED)).scalar_one()
    assert (exported.contact_id, exported.actor_user_id) == (contact.id, organiser.id)


def test_the_data_file_needs_the_csrf_token_and_a_post(client, db, login_as, make_event, make_user):
    contact, _seminar, _roundtable = seed_person(client, db, make_event, make_user)
    login_as()
    assert client.post(f"/admin/contacts/{contact.id}/data.json").status_code == 400
    assert client.get(f"/admin/contacts/{contact.id}/data.json").status_code == 405
    assert db.session.execute(sa.select(LeadActivity).where(
        LeadActivity.kind == ActivityKind.DATA_EXPORTED)).first() is None


def test_erasure_leaves_no_personal_data_and_the_counts_stay(client, db, login_as, make_event, make_user):
    contact, _seminar, _roundtable = seed_person(client, db, make_event, make_user)
    organiser = login_as()
    assert personal_data_left(db).keys() >= {"contacts", "contact_tags", "consent_records", "registrations",
                                             "messages", "checkins", "invitation_sends", "lead_activities",
                                             "lead_states", "handoffs", "suppressions"}
    before = counts(db)
    assert db.session.execute(sa.select(ScoreEntry).where(ScoreEntry.contact_id == contact.id)).first() is not None
    assert client.get("/i/h6-invitation-token").status_code == 200
    page = client.get(f"/admin/contacts/{contact.id}/erase").get_data(as_text=True)
    assert "suppression list" in page and EMAIL in page
    response = erase(client, contact.id, EMAIL.upper())
    assert response.status_code == 303
    db.session.expire_all()
    assert counts(db) == before
    left = personal_data_left(db)
    assert set(left) == {"suppressions"}, left
    [kept] = left["suppressions"]
    assert kept["address"] == PHONE  # do-not-contact is honoured after the erasure too
    erased = db.session.get(Contact, contact.id)
    assert erased.email == f"erased-{contact.id}@invalid" and erased.erased_at is not None
    assert erased.tags == [] and erased.marketing_consent is False
    assert erased.erased_by_id == organiser.id
    assert db.session.execute(sa.select(Handoff.withdrawn_at)).scalar_one() is not None  # its link is dead
    for scored in (ScoreEntry, LeadScore):  # what their profile matched goes with it
        assert db.session.execute(sa.select(scored).where(scored.contact_id == contact.id)).first() is None
    send = db.session.execute(sa.select(InvitationSend)).scalar_one()
    assert send.pasted_addresses.strip() == "someone@example.com"
    assert client.get("/i/h6-invitation-token").status_code == 404  # the link in their old mail opens nothing
    assert db.session.execute(sa.select(Invitation.contact_id)).scalar_one() == contact.id
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    assert registration.status == "confirmed" and registration.checked_in_at is not None
    shown = client.get(f"/admin/contacts/{contact.id}").get_data(as_text=True)
    assert "data was erased on request" in shown and "Erase their data" not in shown
    assert f"Erased by {organiser.name or organiser.email}." in shown
    listed = client.get("/admin/contacts/").get_data(as_text=True)
    assert not any(needle in listed.casefold() for needle in NEEDLES) and "Erased contact" in listed
    found = client.get("/admin/contacts/", query_string={"q": "zephyrine"}).get_data(as_text=True)
    assert f"/admin/contacts/{contact.id}\"" not in found
    assert client.get(f"/admin/contacts/{contact.id}/erase").status_code == 303  # once is enough


def test_a_sign_up_after_the_erasure_makes_a_fresh_contact(client, db, login_as, make_event, make_user):
    contact, seminar, _roundtable = seed_person(client, db, make_event, make_user)
    login_as()
    assert erase(client, contact.id, EMAIL).status_code == 303
    visitor = client.application.test_client()
    assert submit(visitor, f"/e/{seminar.slug}", person_form()).status_code == 303
    db.session.expire_all()
    fresh = db.session.execute(sa.select(Contact).where(Contact.email == EMAIL)).scalar_one()
    assert fresh.id != contact.id and fresh.erased_at is None
    assert db.session.get(Contact, contact.id).erased_at is not None
    statuses = db.session.execute(sa.select(Registration.contact_id, Registration.status)
                                  .order_by(Registration.id)).all()
    assert [tuple(row) for row in statuses] == [(contact.id, "confirmed"), (fresh.id, "confirmed")]


@pytest.mark.parametrize("typed, said", [("", "This field is required."),
                                         ("someone@example.com", "This is not their email address: nothing was"),
                                         ("x" * 5000, "Field cannot be longer than 320 characters.")])
def test_a_wrong_confirmation_erases_nothing(client, db, login_as, make_event, make_user, typed, said):
    contact, _seminar, _roundtable = seed_person(client, db, make_event, make_user)
    login_as()
    before = personal_data_left(db)
    response = erase(client, contact.id, typed)
    assert response.status_code == 422
    assert said in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).erased_at is None
    assert personal_data_left(db) == before


def test_erasure_needs_the_csrf_token(client, db, login_as, make_event, make_user):
    contact, _seminar, _roundtable = seed_person(client, db, make_event, make_user)
    login_as()
    response = client.post(f"/admin/contacts/{contact.id}/erase", data={"confirmation": EMAIL})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).erased_at is None


@pytest.mark.parametrize("role", [Role.STAFF, Role.SALES, Role.PARTNER])
def test_only_owners_and_organisers_may_erase(client, db, login_as, make_event, make_user, role):
    contact, _seminar, _roundtable = seed_person(client, db, make_event, make_user)
    login_as(role, email=f"{role}-eraser@acme.example")
    page = client.get("/login")  # any page with a CSRF token of this session
    token = hidden_fields(page.get_data(as_text=True)).get("csrf_token")
    response = client.post(f"/admin/contacts/{contact.id}/erase", data={"csrf_token": token, "confirmation": EMAIL})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).erased_at is None


def test_another_organisations_contact_is_not_found(client, db, login_as, make_event, make_user):
    from eventapp.accounts.operations import ensure_organisation

    contact, _seminar, _roundtable = seed_person(client, db, make_event, make_user)
    rival = ensure_organisation("rival", "Rival Events")
    db.session.commit()
    login_as(Role.OWNER, email="owner@rival.example", organisation=rival)
    page = client.get("/account").get_data(as_text=True)
    token = hidden_fields(page)["csrf_token"]
    assert client.get(f"/admin/contacts/{contact.id}/erase").status_code == 404
    assert client.post(f"/admin/contacts/{contact.id}/erase",
                       data={"csrf_token": token, "confirmation": EMAIL}).status_code == 404
    assert client.post(f"/admin/contacts/{contact.id}/data.json", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).erased_at is None
