"""What organisers do with messages: event changes, approvals, reminders, wording, previews, tests, the log."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar

from eventapp.core.time import utcnow
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.messaging.models import Message, MessageStatus, MessageTemplate, ReminderRule
from eventapp.messaging.operations import deliver_due, sweep
from eventapp.registration.models import Registration
from tests.conftest import PASSWORD, submit
from tests.messaging.test_email import calendar_of, messages, sign_up

EVENT_FORM = {"kind": "seminar", "campaign_id": "", "timezone": "Europe/Berlin", "venue_name": "Hall A",
              "venue_address": "Alexanderplatz 1, 10178 Berlin", "capacity": "50", "waitlist_enabled": "y",
              "summary": "", "agenda_md": "", "speakers_md": ""}


def edit_form(event, **changes):
    local = event.starts_at.astimezone(ZoneInfo(event.timezone))
    end = event.ends_at.astimezone(local.tzinfo)
    return {**EVENT_FORM, "title": event.title, "slug": event.slug, "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": end.strftime("%Y-%m-%dT%H:%M"), **changes}


def test_moving_the_event_sends_an_update_that_moves_the_calendar_entry(client, db, make_event, smtp_sink, make_user):
    event = make_event()
    original_start = event.starts_at.replace(second=0)  # the form edits to the minute
    sign_up(client, event)
    deliver_due()
    _, original = calendar_of(smtp_sink.messages[0])
    smtp_sink.messages.clear()
    organiser = client.application.test_client()
    user = make_user()
    submit(organiser, "/login", {"email": user.email, "password": PASSWORD})
    new_start = (original_start + timedelta(hours=2)).astimezone(ZoneInfo("Europe/Berlin"))
    form = edit_form(event, starts_at=new_start.strftime("%Y-%m-%dT%H:%M"),
                     ends_at=(new_start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), venue_name="Hall B")
    assert submit(organiser, f"/admin/events/{event.id}/edit", form).status_code == 303
    # saving again without a change sends nothing more
    assert submit(organiser, f"/admin/events/{event.id}/edit", form).status_code == 303
    deliver_due()
    [update] = smtp_sink.messages
    assert update["Subject"].startswith("Updated:")
    part, calendar = calendar_of(update)
    entry, before = calendar.walk("VEVENT")[0], original.walk("VEVENT")[0]
    assert part.get_param("method") == "REQUEST"
    assert entry["UID"] == before["UID"] and int(entry["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert entry["DTSTART"].dt == original_start + timedelta(hours=2) and "Hall B" in str(entry["LOCATION"])

    smtp_sink.messages.clear()
    submit(organiser, f"/admin/events/{event.id}/cancel", {})
    deliver_due()
    [cancelled] = smtp_sink.messages
    part, calendar = calendar_of(cancelled)
    entry = calendar.walk("VEVENT")[0]
    assert part.get_param("method") == "CANCEL" and calendar["METHOD"] == "CANCEL"
    assert entry["UID"] == before["UID"] and int(entry["SEQUENCE"]) == int(before["SEQUENCE"]) + 2
    assert entry["STATUS"] == "CANCELLED"


def test_cancelling_an_event_unpublished_first_still_tells_everyone(client, db, make_event, smtp_sink, make_user):
    event = make_event()
    sign_up(client, event, email="one@example.com")
    deliver_due()
    smtp_sink.messages.clear()
    organiser = client.application.test_client()
    submit(organiser, "/login", {"email": make_user().email, "password": PASSWORD})
    response = submit(organiser, f"/admin/events/{event.id}", {}, post_url=f"/admin/events/{event.id}/status/draft")
    assert response.status_code == 303
    assert submit(organiser, f"/admin/events/{event.id}/cancel", {}).status_code == 303
    deliver_due()
    [cancelled] = smtp_sink.messages
    assert cancelled["To"].addresses[0].addr_spec == "one@example.com"
    part, calendar = calendar_of(cancelled)
    assert calendar["METHOD"] == "CANCEL"


def test_approving_and_declining_tell_the_person(client, db, make_event, smtp_sink, login_as):
    event = make_event(approval_required=True, capacity=1)
    sign_up(client, event, email="one@example.com")
    sign_up(client, event, email="two@example.com")  # waitlisted: the pending one holds the only seat
    deliver_due()
    smtp_sink.messages.clear()
    login_as()
    one, two = db.session.execute(sa.select(Registration).order_by(Registration.id)).scalars()
    assert (one.status, two.status) == ("pending", "waitlisted")
    response = submit(client, f"/admin/events/{event.id}", {}, post_url=f"/admin/registrations/{one.id}/decline")
    assert response.status_code == 303
    deliver_due()
    subjects = {m["To"].addresses[0].addr_spec: m["Subject"] for m in smtp_sink.messages}
    assert subjects["one@example.com"].startswith("About your sign-up")
    db.session.expire_all()
    assert two.status == "pending"  # promoted into the freed seat, still to be approved
    smtp_sink.messages.clear()
    submit(client, f"/admin/events/{event.id}", {}, post_url=f"/admin/registrations/{two.id}/approve")
    deliver_due()
    [approved] = [m for m in smtp_sink.messages if m["To"].addresses[0].addr_spec == "two@example.com"]
    assert approved["Subject"].startswith("Your place is confirmed")
    assert [p for p in approved.walk() if p.get("Content-ID")]  # now with the ticket
    # approving twice is refused with a sentence
    response = submit(client, f"/admin/events/{event.id}", {}, post_url=f"/admin/registrations/{two.id}/approve",
                      follow_redirects=True)
    assert "Only sign-ups waiting for approval can be approved." in response.get_data(as_text=True)
    # each decision is on the person's timeline, once, in the transaction that made it
    decisions = db.session.execute(
        sa.select(LeadActivity.contact_id, LeadActivity.kind, LeadActivity.channel, LeadActivity.meta)
        .where(LeadActivity.kind.in_([ActivityKind.APPROVED, ActivityKind.DECLINED])).order_by(LeadActivity.id)).all()
    assert [(row.contact_id, row.kind, row.channel, row.meta["registration_id"]) for row in decisions] == [
        (one.contact_id, "declined", "staff", one.id), (two.contact_id, "approved", "staff", two.id)]


def test_reminders_go_once_to_confirmed_people_and_never_stale(client, db, make_event, smtp_sink):
    event = make_event(capacity=10)
    sign_up(client, event, email="early@example.com")
    sign_up(client, event, email="cancels@example.com")
    deliver_due()
    smtp_sink.messages.clear()
    cancels = db.session.execute(sa.select(Registration).order_by(Registration.id)).scalars().all()[1]
    # the event is now 23 hours away; both signed up three days ago
    event.starts_at = utcnow() + timedelta(hours=23)
    event.ends_at = event.starts_at + timedelta(hours=2)
    for registration in db.session.execute(sa.select(Registration)).scalars():
        registration.created_at = utcnow() - timedelta(days=3)
    db.session.commit()
    submit(client, f"/r/{cancels.manage_token}", {}, post_url=f"/r/{cancels.manage_token}/cancel")
    sign_up(client, event, email="late@example.com")  # after the 1-day reminder's time: no stale reminder
    deliver_due()
    smtp_sink.messages.clear()
    sweep()
    sweep()
    reminders = [m for m in smtp_sink.messages if m["Subject"].startswith("Reminder")]
    assert [m["To"].addresses[0].addr_spec for m in reminders] == ["early@example.com"]
    assert [p for p in reminders[0].walk() if p.get("Content-ID")]  # the ticket is in the reminder
    # two hours before, the second default rule fires, once
    event.starts_at = utcnow() + timedelta(minutes=90)
    db.session.commit()
    smtp_sink.messages.clear()
    sweep()
    sweep()
    assert [m["To"].addresses[0].addr_spec for m in smtp_sink.messages] == ["early@example.com"]
    rules = db.session.execute(sa.select(ReminderRule.minutes_before).where(ReminderRule.event_id == event.id)
                               ).scalars()
    assert sorted(rules) == [120, 1440]


def test_a_reminder_queued_before_a_cancellation_is_not_sent(client, db, make_event, smtp_sink):
    event = make_event()
    url = sign_up(client, event)
    deliver_due()
    smtp_sink.messages.clear()
    event.starts_at = utcnow() + timedelta(hours=1)
    event.ends_at = event.starts_at + timedelta(hours=1)
    db.session.execute(sa.update(Registration).values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    from eventapp.registration.reminders import queue_due_reminders

    queue_due_reminders()
    db.session.commit()
    submit(client, url, {}, post_url=f"{url}/cancel")
    deliver_due()
    assert [m["Subject"].split(":")[0] for m in smtp_sink.messages] == ["Your registration is cancelled"]
    statuses = {m.kind: m.status for m in messages(db)}
    assert statuses["reminder"] == MessageStatus.CANCELLED


def test_organiser_rewords_previews_and_tests_a_message(client, db, make_event, smtp_sink, login_as):
    event = make_event()
    sign_up(client, event)
    deliver_due()
    smtp_sink.messages.clear()
    user = login_as()
    url = f"/admin/events/{event.id}/messages/confirmation"
    bad = submit(client, url, {"subject": "Hi {first_name} {password}", "body": "", "sms_text": ""})
    assert bad.status_code == 422 and "Unknown placeholder: {password}" in bad.get_data(as_text=True)
    response = submit(client, url, {"subject": "See you, {first_name}!", "body": "Doors open at {event_time}.",
                                    "sms_text": "Hi {first_name}: {manage_url}"})
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "See you, Alex!" in page and "Doors open at" in page  # filled in for the sample attendee
    assert "1 SMS segment" in page and "GSM-7" in page
    submit(client, url, {"subject": "", "body": "", "sms_text": "您好 {first_name}，活动即将开始，请查看：{manage_url}"})
    assert "UCS-2" in client.get(url).get_data(as_text=True)  # Chinese: 70 characters a segment
    submit(client, url, {"subject": "See you, {first_name}!", "body": "Doors open at {event_time}.",
                         "sms_text": "Hi {first_name}: {manage_url}"})
    submit(client, url, {}, post_url=f"{url}/test")
    deliver_due()
    [test] = smtp_sink.messages
    assert test["To"].addresses[0].addr_spec == user.email and test["Subject"] == "[Test] See you, Alex!"
    # the next real sign-up uses the new wording
    smtp_sink.messages.clear()
    sign_up(client.application.test_client(), event, email="grace@example.com", first_name="Grace")
    deliver_due()
    [real] = smtp_sink.messages
    assert real["Subject"] == "See you, Grace!" and "Doors open at" in real.get_body(("plain",)).get_content()



def test_a_subject_is_saved_on_one_line(client, db, make_event, login_as):
    event = make_event()
    login_as()
    url = f"/admin/events/{event.id}/messages/confirmation"
    response = submit(client, url, {"subject": "x: y\r\nz: w\tfor {first_name}\n", "body": "Line one\r\nLine two",
                                    "sms_text": ""})
    assert response.status_code == 303
    template = db.session.execute(sa.select(MessageTemplate)).scalar_one()
    assert template.subject == "x: y z: w for {first_name}"
    assert template.body.splitlines() == ["Line one", "Line two"]  # the text of the mail keeps its lines

def test_message_log_shows_failures_and_retries_them(client, db, make_event, smtp_sink, login_as):
    event = make_event()
    sign_up(client, event)
    smtp_sink.reply = "550 5.1.1 mailbox unknown"
    deliver_due()
    login_as()
    log = client.get(f"/admin/events/{event.id}/messages").get_data(as_text=True)
    assert "550 5.1.1 mailbox unknown" in log and "Retry" in log
    smtp_sink.reply = None
    [row] = messages(db)
    response = submit(client, f"/admin/events/{event.id}/messages", {}, post_url=f"/admin/messages/{row.id}/retry")
    assert response.status_code == 303
    deliver_due()
    assert len(smtp_sink.messages) == 1 and messages(db)[0].status == MessageStatus.SENT
    # the contact's page lists the person's messages too
    contact_page = client.get(f"/admin/contacts/{row.contact_id}").get_data(as_text=True)
    assert "Confirmation" in contact_page and '<span class="badge">Sent</span>' in contact_page
    assert client.get("/admin/events/999999/messages").status_code == 404


def test_dev_mailbox_shows_what_would_have_been_sent(client, db, make_event, login_as, app):
    assert app.extensions["message_backends"]["email"].is_dev_mailbox
    event = make_event()
    sign_up(client, event)
    deliver_due()
    assert client.get("/dev/mailbox/").status_code == 302  # login first: it holds everyone's links
    login_as()
    page = client.get("/dev/mailbox/").get_data(as_text=True)
    assert f"You&#39;re registered: {event.title}" in page or f"You're registered: {event.title}" in page
    [row] = messages(db)
    detail = client.get(f"/dev/mailbox/{row.id}").get_data(as_text=True)
    assert "invite.ics" in detail and "ticket.png" in detail
    html = client.get(f"/dev/mailbox/{row.id}/html").get_data(as_text=True)
    assert "cid:" not in html and f"/dev/mailbox/{row.id}/part/" in html
    index = int(detail.split("invite.ics")[0].rsplit("/part/", 1)[1].split('"')[0])
    ics = client.get(f"/dev/mailbox/{row.id}/part/{index}")
    assert Calendar.from_ical(ics.data).walk("VEVENT")


def test_dev_mailbox_does_not_exist_when_smtp_is_configured(client, db, login_as, smtp_sink):
    login_as()
    assert client.get("/dev/mailbox/").status_code == 404
