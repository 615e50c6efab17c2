"""Invitation sends: compose, test, send now or later, throttled and resumable sending, cancelling, the report."""
import re
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventapp import signals
from eventapp.accounts.models import Role
from eventapp.accounts.operations import create_user, ensure_organisation
from eventapp.contacts import operations as contacts
from eventapp.contacts.models import Contact, SuppressionChannel, SuppressionReason
from eventapp.contacts.normalisation import normalise_email
from eventapp.core.time import from_local, local, utcnow
from eventapp.events import operations as event_ops
from eventapp.events.models import EventStatus
from eventapp.extensions import db as _db
from eventapp.invitations import sending
from eventapp.invitations.models import Invitation, InvitationSend, InvitationStatus, SendStatus
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.messaging.models import Message, MessageKind, MessageStatus
from eventapp.messaging.operations import deliver_due, sweep
from eventapp.registration import operations as registration_ops
from tests.conftest import PASSWORD, submit

TOKEN_IN_TEXT = re.compile(r"/i/([A-Za-z0-9_-]{20,})")


def compose_form(**overrides) -> dict:
    form = {"subject": "Join us, {first_name}", "preheader": "A morning on pipeline", "body_md": "Hello **there**.",
            "sender_name": "Acme Events", "audience": "pasted", "pasted_addresses": "", "rate_per_minute": "600"}
    form.update(overrides)
    return form


def compose(client, event, **overrides) -> InvitationSend:
    response = submit(client, f"/admin/events/{event.id}/invitations/new", compose_form(**overrides))
    assert response.status_code == 303, response.get_data(as_text=True)
    return _db.session.get(InvitationSend, int(response.headers["Location"].rsplit("/", 1)[-1]))


def post(client, url: str, data: dict | None = None):
    """A POST from the send's page, with its CSRF token; the test's session then reads what it changed."""
    response = submit(client, url.rsplit("/", 1)[0], data or {}, post_url=url)
    _db.session.expire_all()
    return response


def deliver_all(db):
    """Deliver every queued mail now, whatever its throttled due time (the throttle has its own tests)."""
    db.session.execute(sa.update(Message).where(Message.status == MessageStatus.QUEUED).values(due_at=utcnow()))
    db.session.commit()
    return deliver_due(limit=10_000)


def received_by(sink) -> Counter:
    return Counter(message["To"].addresses[0].addr_spec for message in sink.messages)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def invitations_of(db, send) -> list[Invitation]:
    return db.session.execute(sa.select(Invitation).where(Invitation.send_id == send.id)
                              .order_by(Invitation.id)).scalars().all()


def pasted(count: int, domain: str = "example.com") -> str:
    return "\n".join(f"person{number}@{domain}" for number in range(count))


# ---- sending to pasted addresses --------------------------------------------------------------------------------

def test_a_send_to_pasted_addresses_mails_each_person_once_with_their_own_token(client, db, login_as, make_event,
                                                                                 smtp_sink):
    login_as()
    event = make_event()
    known = contacts.contact_for(event.organisation_id, normalise_email("grace@example.com"),
                                 {"first_name": "Grace", "last_name": "Hopper"})
    db.session.commit()
    send = compose(client, event, pasted_addresses="ada@example.com, Grace Hopper <grace@example.com>\n"
                                                   "ADA@example.com;\n\nalan@example.org")
    assert send.status == SendStatus.DRAFT and send.pasted_addresses.split() == [
        "ada@example.com", "grace@example.com", "alan@example.org"]

    response = post(client, f"/admin/invitations/{send.id}/send")
    assert response.status_code == 303
    assert "Sending to 3 people" in client.get(response.headers["Location"]).get_data(as_text=True)
    deliver_all(db)

    assert received_by(smtp_sink) == {"ada@example.com": 1, "grace@example.com": 1, "alan@example.org": 1}
    invitations = invitations_of(db, send)
    tokens = {invitation.contact.email: invitation.token for invitation in invitations}
    for message in smtp_sink.messages:
        found = set(TOKEN_IN_TEXT.findall(text_of(message)))
        assert found == {tokens[message["To"].addresses[0].addr_spec]}
    assert len(set(tokens.values())) == 3
    assert {invitation.status for invitation in invitations} == {InvitationStatus.SENT}
    assert all(invitation.sent_at is not None for invitation in invitations)
    # The known contact kept their profile; the new ones came from the invitation.
    assert invitations[1].contact_id == known.id
    new = db.session.execute(sa.select(Contact).where(Contact.email.in_(["ada@example.com", "alan@example.org"])))
    assert {contact.origin for contact in new.scalars()} == {sending.ORIGIN}
    # Each person's timeline says they were invited, by email, naming the send.
    invited = db.session.execute(sa.select(LeadActivity).where(LeadActivity.kind == ActivityKind.INVITED)).scalars()
    assert sorted((activity.contact_id, activity.channel, activity.meta["send_id"]) for activity in invited) == \
        sorted((invitation.contact_id, "email", send.id) for invitation in invitations)
    assert db.session.get(InvitationSend, send.id).status == SendStatus.SENT


def test_a_second_click_on_send_starts_it_once(client, db, login_as, make_event):
    login_as()
    send = compose(client, make_event(), pasted_addresses="ada@example.com")
    post(client, f"/admin/invitations/{send.id}/send")
    again = post(client, f"/admin/invitations/{send.id}/send")
    assert "already on its way" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Message.id))).scalar() == 1


def test_suppressed_addresses_are_left_out_with_their_reason_on_the_report(client, db, login_as, make_event,
                                                                           smtp_sink):
    login_as()
    event = make_event()
    contacts.suppress(SuppressionChannel.EMAIL, "gone@example.com", SuppressionReason.UNSUBSCRIBED)
    contacts.suppress(SuppressionChannel.EMAIL, "bounced@example.com", SuppressionReason.BOUNCED)
    db.session.commit()
    send = compose(client, event, pasted_addresses="ada@example.com\ngone@example.com\nbounced@example.com")
    post(client, f"/admin/invitations/{send.id}/send")
    deliver_all(db)

    assert received_by(smtp_sink) == {"ada@example.com": 1}
    assert db.session.get(InvitationSend, send.id).left_out == {"unsubscribed": 1, "bounced": 1}
    page = client.get(f"/admin/invitations/{send.id}").get_data(as_text=True)
    assert "Unsubscribed: 1" in page and "Mail bounced before: 1" in page
    assert re.search(r'id="figure-left_out">\s*<th scope="row">Left out</th>\s*<td class="number">2<', page)


def test_a_segment_send_leaves_out_contacts_without_marketing_consent(client, db, login_as, make_event, smtp_sink):
    segments = pytest.importorskip("eventapp.invitations.segments")
    from eventapp.invitations.models import Segment

    login_as()
    event = make_event()
    for address, consent in (("yes@example.com", True), ("no@example.com", False)):
        contact = contacts.contact_for(event.organisation_id, normalise_email(address), {"company": "Segmented"})
        contact.marketing_consent = consent
    segment = Segment(organisation_id=event.organisation_id, name="Segmented", filters={"company": "Segmented"})
    db.session.add(segment)
    db.session.commit()
    assert segments.audience(segment, marketing=True).contact_ids

    send = compose(client, event, audience=str(segment.id))
    post(client, f"/admin/invitations/{send.id}/send")
    deliver_all(db)

    assert received_by(smtp_sink) == {"yes@example.com": 1}
    assert db.session.get(InvitationSend, send.id).left_out == {"no_consent": 1}
    assert "No marketing consent: 1" in client.get(f"/admin/invitations/{send.id}").get_data(as_text=True)


# ---- throttled, resumable ------------------------------------------------------------------------------------------

def make_send(db, event, count: int, rate: int) -> InvitationSend:
    send = sending.save_send(None, event, {"subject": "Join us", "pasted_addresses": pasted(count),
                                           "rate_per_minute": rate}, None)
    db.session.commit()
    return send


def due_times(db, send) -> list:
    return [due for (due,) in db.session.execute(
        sa.select(Message.due_at).join(Invitation, Invitation.message_id == Message.id)
        .where(Invitation.send_id == send.id).order_by(Message.due_at))]


def test_mails_are_spread_at_the_send_s_rate_a_minute_or_two_ahead(db, make_event):
    send = make_send(db, make_event(), count=150, rate=60)
    now = utcnow()
    assert sending.start_send(send, now) == 150
    db.session.commit()
    first = due_times(db, send)
    # Two minutes ahead at one a second: 120 queued, a second apart, from now.
    assert len(first) == 120
    assert first[0] == now and all(later - earlier == timedelta(seconds=1) for earlier, later in zip(first, first[1:]))

    sending.advance_sends(now + timedelta(minutes=1))
    db.session.commit()
    second = due_times(db, send)
    assert len(second) == 150 and second[120] == first[-1] + timedelta(seconds=1)
    # Everyone is in the outbox: the send is sent (the outbox delivers each mail at its time).
    assert db.session.get(InvitationSend, send.id).status == SendStatus.SENT


def test_a_send_that_stopped_for_a_while_resumes_at_its_rate_not_all_at_once(db, make_event):
    send = make_send(db, make_event(), count=30, rate=10)
    now = utcnow()
    sending.start_send(send, now)
    db.session.commit()
    assert len(due_times(db, send)) == 20
    later = now + timedelta(hours=3)  # no sweep ran for three hours
    sending.advance_sends(later)
    db.session.commit()
    resumed = due_times(db, send)[20:]
    assert resumed[0] == later and resumed[-1] == later + timedelta(seconds=6 * 9)


def test_a_crash_in_the_middle_loses_nobody_and_doubles_nobody(db, make_event, smtp_sink, monkeypatch):
    send = make_send(db, make_event(), count=40, rate=10)
    real = sending._queue_mail
    calls = Counter()

    def dies_after(limit):
        def queue_mail(*args, **kwargs):
            calls["queued"] += 1
            if calls["queued"] > limit:
                raise RuntimeError("the worker died")
            return real(*args, **kwargs)
        return queue_mail

    started = utcnow() - timedelta(hours=1)
    monkeypatch.setattr(sending, "_queue_mail", dies_after(5))
    with pytest.raises(RuntimeError):
        sending.start_send(send, started)
    db.session.rollback()  # the start's transaction never committed: nothing of it is left
    assert db.session.get(InvitationSend, send.id).status == SendStatus.DRAFT
    assert not invitations_of(db, send)

    monkeypatch.setattr(sending, "_queue_mail", real)
    sending.start_send(send, started)  # started again: two minutes' worth (20) queued
    db.session.commit()
    deliver_all(db)
    assert len(smtp_sink.messages) == 20

    calls.clear()
    monkeypatch.setattr(sending, "_queue_mail", dies_after(10))
    sweep()  # dies half way through the rest: the sweep rolls its job back and logs it
    monkeypatch.setattr(sending, "_queue_mail", real)
    assert len(due_times(db, send)) == 20
    sweep()  # the next minute's sweep carries on where it stopped
    deliver_all(db)

    counts = received_by(smtp_sink)
    assert len(counts) == 40 and set(counts.values()) == {1}
    sweep()
    assert db.session.get(InvitationSend, send.id).status == SendStatus.SENT


def test_an_invitation_whose_mail_is_in_the_outbox_already_is_not_queued_twice(db, make_event):
    send = make_send(db, make_event(), count=3, rate=600)
    sending.start_send(send, utcnow())
    db.session.commit()
    [first, *_] = invitations_of(db, send)
    message_id = first.message_id
    # As if a run raced this one: the mail is queued but the invitation does not say so.
    db.session.execute(sa.update(Invitation).where(Invitation.id == first.id).values(due_at=None, message_id=None))
    send.status = SendStatus.SENDING
    db.session.commit()
    sending.queue_due(send, utcnow() + timedelta(minutes=5))
    db.session.commit()
    assert db.session.get(Invitation, first.id).message_id == message_id
    assert db.session.execute(sa.select(sa.func.count(Message.id))).scalar() == 3
    assert db.session.execute(sa.select(sa.func.count(LeadActivity.id))
                              .where(LeadActivity.kind == ActivityKind.INVITED)).scalar() == 3


def test_an_address_unsubscribed_after_queueing_gets_nothing(db, make_event, smtp_sink):
    send = make_send(db, make_event(), count=3, rate=600)
    sending.start_send(send, utcnow())
    db.session.commit()
    contacts.suppress(SuppressionChannel.EMAIL, "person1@example.com", SuppressionReason.UNSUBSCRIBED)
    db.session.commit()
    deliver_all(db)
    assert received_by(smtp_sink) == {"person0@example.com": 1, "person2@example.com": 1}


def test_an_address_unsubscribed_before_its_turn_is_not_queued(db, make_event):
    send = make_send(db, make_event(), count=200, rate=60)
    now = utcnow()
    sending.start_send(send, now)
    db.session.commit()
    contacts.suppress(SuppressionChannel.EMAIL, "person199@example.com", SuppressionReason.UNSUBSCRIBED)
    db.session.commit()
    sending.advance_sends(now + timedelta(minutes=2))
    db.session.commit()
    last = invitations_of(db, send)[-1]
    assert last.status == InvitationStatus.WITHDRAWN and last.message_id is None
    report = sending_report(send)
    assert report.left_out == {"withdrawn": 1}


def sending_report(send):
    from eventapp.invitations.send_report import report

    return report(send)


def test_cancelling_a_send_under_way_withdraws_what_has_not_gone(client, db, login_as, make_event, smtp_sink):
    login_as()
    event = make_event()
    send = compose(client, event, pasted_addresses=pasted(5), rate_per_minute="1")
    post(client, f"/admin/invitations/{send.id}/send")
    deliver_due()  # the first is due now; the next ones a minute apart
    assert len(smtp_sink.messages) == 1
    response = post(client, f"/admin/invitations/{send.id}/cancel")
    assert "4 invitations did not go" in client.get(response.headers["Location"]).get_data(as_text=True)
    deliver_all(db)
    sending.advance_sends(utcnow() + timedelta(hours=1))
    db.session.commit()
    deliver_all(db)
    assert len(smtp_sink.messages) == 1
    assert db.session.get(InvitationSend, send.id).status == SendStatus.CANCELLED


def test_a_send_under_way_stops_when_its_event_is_cancelled(db, make_event, smtp_sink):
    event = make_event()
    send = make_send(db, event, count=30, rate=10)
    now = utcnow()
    sending.start_send(send, now)
    db.session.commit()
    event.status = EventStatus.CANCELLED
    db.session.commit()
    sending.advance_sends(now + timedelta(minutes=1))
    db.session.commit()
    deliver_all(db)
    assert not smtp_sink.messages
    assert db.session.get(InvitationSend, send.id).status == SendStatus.CANCELLED
    assert {invitation.status for invitation in invitations_of(db, send)} == {InvitationStatus.WITHDRAWN}


# ---- scheduled -----------------------------------------------------------------------------------------------------

def test_a_scheduled_send_starts_only_when_due_on_the_event_s_clock(client, db, login_as, make_event):
    login_as()
    event = make_event(timezone="Asia/Shanghai")
    send = compose(client, event, pasted_addresses="ada@example.com")
    when = (local(utcnow(), "Asia/Shanghai") + timedelta(hours=2)).replace(second=0, microsecond=0, tzinfo=None)
    page = client.get(f"/admin/invitations/{send.id}").get_data(as_text=True)
    assert "Asia/Shanghai" in page
    response = post(client, f"/admin/invitations/{send.id}/schedule", {"send_at": when.strftime("%Y-%m-%dT%H:%M")})
    assert "Scheduled" in client.get(response.headers["Location"]).get_data(as_text=True)
    send = db.session.get(InvitationSend, send.id)
    assert send.status == SendStatus.SCHEDULED and send.scheduled_at == from_local(when, "Asia/Shanghai")

    sending.advance_sends(send.scheduled_at - timedelta(seconds=1))
    db.session.commit()
    assert send.status == SendStatus.SCHEDULED and not invitations_of(db, send)
    sending.advance_sends(send.scheduled_at)
    db.session.commit()
    assert send.status == SendStatus.SENT and len(invitations_of(db, send)) == 1
    assert db.session.execute(sa.select(Message.due_at)).scalar_one() == send.scheduled_at


def test_a_schedule_in_the_past_or_after_the_event_is_refused(client, db, login_as, make_event):
    login_as()
    event = make_event()
    send = compose(client, event, pasted_addresses="ada@example.com")
    for when, sentence in ((utcnow() - timedelta(hours=1), "in the future"),
                           (event.starts_at + timedelta(hours=1), "before the event starts")):
        typed = local(when, event.timezone).strftime("%Y-%m-%dT%H:%M")
        response = post(client, f"/admin/invitations/{send.id}/schedule", {"send_at": typed})
        assert sentence in client.get(response.headers["Location"]).get_data(as_text=True)
    response = post(client, f"/admin/invitations/{send.id}/schedule", {"send_at": "not a time"})
    assert "Choose a day and time" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.get(InvitationSend, send.id).status == SendStatus.DRAFT


# ---- the test send and the preview ---------------------------------------------------------------------------------

def test_a_test_send_goes_only_to_the_organiser_and_writes_no_invitation(client, db, login_as, make_event,
                                                                         smtp_sink):
    user = login_as()
    send = compose(client, make_event(), pasted_addresses="ada@example.com")
    response = post(client, f"/admin/invitations/{send.id}/test")
    assert "A test is on its way" in client.get(response.headers["Location"]).get_data(as_text=True)
    deliver_all(db)
    assert received_by(smtp_sink) == {user.email: 1}
    assert "Test" in smtp_sink.messages[0]["Subject"]
    assert not db.session.execute(sa.select(Invitation)).first()
    assert not db.session.execute(sa.select(LeadActivity)).first()
    assert db.session.execute(sa.select(Message.kind)).scalar_one() == MessageKind.TEST
    assert db.session.get(InvitationSend, send.id).status == SendStatus.DRAFT


def test_the_draft_page_previews_the_mail_with_the_sample_person(client, login_as, make_event):
    login_as()
    send = compose(client, make_event(), pasted_addresses="ada@example.com")
    page = client.get(f"/admin/invitations/{send.id}").get_data(as_text=True)
    assert "Join us, Alex" in page and "ada@example.com" not in page.split('id="preview-h"')[1]
    html = client.get(f"/admin/invitations/{send.id}/preview.html")
    assert html.status_code == 200 and "Alex" in html.get_data(as_text=True)
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]


# ---- the report ------------------------------------------------------------------------------------------------

def test_the_report_counts_what_happened_and_lists_the_people_behind_each_figure(client, db, login_as, make_event,
                                                                                 smtp_sink):
    login_as()
    event = make_event()
    send = compose(client, event, pasted_addresses=pasted(6))
    post(client, f"/admin/invitations/{send.id}/send")
    invitations = invitations_of(db, send)
    # The last one's mail is refused by the receiving server (5xx): bounced.
    last_message = invitations[-1].message_id
    db.session.execute(sa.update(Message).where(Message.status == MessageStatus.QUEUED).values(
        due_at=sa.case((Message.id == last_message, utcnow() + timedelta(hours=1)), else_=utcnow())))
    db.session.commit()
    deliver_due()
    smtp_sink.reply = "550 no such user"
    deliver_all(db)
    smtp_sink.reply = None
    hostile = invitations[0].contact
    hostile.first_name, hostile.company = "=HYPERLINK(\"http://evil\")", "Opened Ltd"
    for invitation, signal in ((invitations[0], signals.message_opened), (invitations[1], signals.message_opened),
                               (invitations[1], signals.message_clicked)):
        for _twice in range(2):
            signal.send(signals.Engagement(message_id=invitation.message_id, organisation_id=event.organisation_id,
                                           contact_id=invitation.contact_id, event_id=event.id, kind="invitation",
                                           occurred_at=utcnow()))
    for invitation in invitations[1:3]:  # two sign up through their invitation, one of whom comes
        result = registration_ops.register(event, registration_ops.Signup(
            email=normalise_email(invitation.contact.email), details={"first_name": "Invited"},
            invited=True, channel="invitation", attribution={"invitation_id": invitation.id}))
    result.registration.checked_in_at = utcnow()
    invitations[3].declined_at = utcnow()
    invitations[3].status = InvitationStatus.DECLINED
    db.session.commit()

    report = sending_report(send)
    assert {line.figure.value: line.count for line in report.lines} == {
        "targeted": 6, "left_out": 0, "sent": 5, "bounced": 1, "opened": 2, "clicked": 1, "registered": 2,
        "attended": 1, "declined": 1}
    assert {line.figure.value: line.rate for line in report.lines}["registered"] == pytest.approx(2 / 5)
    page = client.get(f"/admin/invitations/{send.id}").get_data(as_text=True)
    assert "weak signal" in page and "40.0 %" in page

    registered = client.get(f"/admin/invitations/{send.id}/people/registered").get_data(as_text=True)
    assert "person1@example.com" in registered and "person2@example.com" in registered
    assert "person0@example.com" not in registered
    opened = client.get(f"/admin/invitations/{send.id}/export/opened.csv")
    assert opened.headers["Content-Type"].startswith("text/csv")
    text = opened.get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "person1@example.com" in text and "person2@example.com" not in text
    assert client.get(f"/admin/invitations/{send.id}/people/nonsense").status_code == 404


def test_the_event_page_has_invite_people_and_lists_its_sends(client, db, login_as, make_event):
    login_as()
    event = make_event()
    send = compose(client, event, pasted_addresses="ada@example.com")
    post(client, f"/admin/invitations/{send.id}/send")
    page = client.get(f"/admin/events/{event.id}").get_data(as_text=True)
    assert f"/admin/events/{event.id}/invitations/new" in page
    assert "Join us, {first_name}" in page and "1 of 1 queued" in page


# ---- access and bad input -----------------------------------------------------------------------------------------

def test_another_organisation_s_send_is_not_found(client, db, login_as):
    login_as()
    rival = ensure_organisation("rival", "Rival Events")
    db.session.flush()
    starts = utcnow() + timedelta(days=5)
    event = event_ops.save_event(rival.id, {"title": "Theirs", "slug": "theirs", "kind": "seminar",
                                            "timezone": "UTC", "starts_at": starts,
                                            "ends_at": starts + timedelta(hours=1)})
    event.status = EventStatus.PUBLISHED
    db.session.flush()
    send = sending.save_send(None, event, {"subject": "Theirs", "pasted_addresses": "x@example.com"}, None)
    db.session.commit()
    own_page = client.get("/admin/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").get_data(as_text=True)).group(1)
    assert own_page.status_code == 200
    for url in (f"/admin/invitations/{send.id}", f"/admin/invitations/{send.id}/edit",
                f"/admin/invitations/{send.id}/people/sent", f"/admin/invitations/{send.id}/export/sent.csv",
                f"/admin/events/{event.id}/invitations/new"):
        assert client.get(url).status_code == 404, url
    for action in ("send", "test", "cancel", "schedule"):
        assert client.post(f"/admin/invitations/{send.id}/{action}", data={"csrf_token": token}).status_code == 404
    assert db.session.get(InvitationSend, send.id).status == SendStatus.DRAFT
    assert not db.session.execute(sa.select(Message)).first()


@pytest.mark.parametrize("overrides, sentence", [
    ({"subject": ""}, "Write a subject"),
    ({"pasted_addresses": ""}, "Paste at least one address"),
    ({"pasted_addresses": "ada@example.com, not-an-address, <script>alert(1)</script>"},
     "These cannot be used"),
    ({"pasted_addresses": "a@example.com\n" * 30_000}, "too much text"),
    ({"pasted_addresses": pasted(sending.MAX_PASTED + 1)}, "At most 5000 addresses"),
    ({"rate_per_minute": "-5"}, "from 1 to 100000"),
    ({"rate_per_minute": "many"}, "how many mails"),
    ({"audience": "999999"}, "Not a valid choice"),
    ({"subject": "x" * 301}, "300"),
])
def test_bad_input_on_the_compose_form_says_what_is_wrong_and_saves_nothing(client, db, login_as, make_event,
                                                                            overrides, sentence):
    login_as()
    event = make_event()
    response = submit(client, f"/admin/events/{event.id}/invitations/new", compose_form(
        pasted_addresses="ada@example.com", **overrides) if "pasted_addresses" not in overrides else
        compose_form(**overrides))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert sentence in body
    assert "<script>alert" not in body
    assert not db.session.execute(sa.select(InvitationSend)).first()


def test_a_sent_invitation_can_no_longer_be_edited(client, db, login_as, make_event):
    login_as()
    send = compose(client, make_event(), pasted_addresses="ada@example.com")
    post(client, f"/admin/invitations/{send.id}/send")
    response = client.get(f"/admin/invitations/{send.id}/edit")
    assert response.status_code == 303
    assert "can no longer be changed" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_send_for_a_cancelled_event_is_refused(client, db, login_as, make_event):
    login_as()
    event = make_event()
    send = compose(client, event, pasted_addresses="ada@example.com")
    event.status = EventStatus.CANCELLED
    db.session.commit()
    response = post(client, f"/admin/invitations/{send.id}/send")
    assert "cancelled" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert not db.session.execute(sa.select(Invitation)).first()


def test_staff_cannot_compose(client, db, make_event, make_user):
    make_event()
    user = create_user("door@acme.example", PASSWORD, Role.STAFF, ensure_organisation("acme", "Acme Events"))
    db.session.commit()
    submit(client, "/login", {"email": user.email, "password": PASSWORD})
    assert client.get("/admin/events/1/invitations/new").status_code == 403


def test_a_mail_refused_for_its_content_or_our_sender_is_no_bounce(client, db, login_as, make_event, smtp_sink):
    """A 5xx about the mail itself (5.7.1 policy) fails the message for good but is not the invitee's address
    refusing it: the invitation stays unbounced and the address stays off the suppression list."""
    login_as()
    event = make_event()
    send = compose(client, event, pasted_addresses="ada@example.com")
    post(client, f"/admin/invitations/{send.id}/send")
    smtp_sink.reply = "554 5.7.1 Message rejected as spam"
    deliver_all(db)
    smtp_sink.reply = None
    (invitation,) = invitations_of(db, send)
    assert db.session.get(Message, invitation.message_id).status == MessageStatus.FAILED
    assert invitation.status != InvitationStatus.BOUNCED
    assert not contacts.is_suppressed(SuppressionChannel.EMAIL, "ada@example.com")
