"""The attendee's own page /r/<token>: see, change, cancel, calendar; forged and stale links."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from eventapp.core.time import utcnow
from eventapp.contacts.models import Contact
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.registration.models import Registration, RegistrationStatus
from tests.conftest import hidden_fields, signup_form, submit


@pytest.fixture
def signed_up(client, db, make_event):
    """An event with a question, and one confirmed registration; returns (event, manage_url)."""
    def make(**event_overrides):
        event = make_event(questions=[{"label": "Goal", "kind": "single_choice", "options": ["Leads", "Brand"]}],
                           **event_overrides)
        question = event.questions[0]
        response = submit(client, f"/e/{event.slug}", signup_form(**{question.field_name: "Leads"}))
        assert response.status_code == 303
        return event, response.headers["Location"].removesuffix("?new=1")
    return make


def the_registration(db):
    db.session.expire_all()
    return db.session.execute(sa.select(Registration)).scalar_one()


def kinds(db):
    return list(db.session.execute(sa.select(LeadActivity.kind).order_by(LeadActivity.id)).scalars())


def test_manage_page_shows_the_registration_and_is_not_cached(client, db, signed_up):
    event, url = signed_up()
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ada Lovelace" in body and "ada@example.com" in body and "Confirmed" in body
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_changing_answers_and_details_is_saved_and_recorded(client, db, signed_up):
    event, url = signed_up()
    question = event.questions[0]
    response = submit(client, url, {**signup_form(company="Babbage & Co", job_title="CEO"),
                                    question.field_name: "Brand"})
    assert response.status_code == 303
    registration = the_registration(db)
    assert registration.answers == {str(question.id): "Brand"}
    assert (registration.company, registration.job_title) == ("Babbage & Co", "CEO")
    # Opened from the link shown after the sign-up, not from the mail: the person's profile stays as it was.
    assert registration.contact.company == "Analytical Ltd"
    change = db.session.execute(sa.select(LeadActivity).where(LeadActivity.kind == ActivityKind.ANSWERS_CHANGED)
                                ).scalar_one()
    assert set(change.meta["changed"]) == {"company", "job_title", f"answer:{question.id}"}
    assert "Your changes are saved." in client.get(url).get_data(as_text=True)


def test_saving_without_changes_records_nothing(client, db, signed_up):
    event, url = signed_up()
    submit(client, url, {**signup_form(), event.questions[0].field_name: "Leads"})
    assert ActivityKind.ANSWERS_CHANGED not in kinds(db)


def test_bad_changes_are_refused_and_nothing_changes(client, db, signed_up):
    event, url = signed_up()
    response = submit(client, url, {**signup_form(first_name="", phone="abc"), event.questions[0].field_name: "X"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your first name." in body and "Choose one of the options given." in body
    assert the_registration(db).first_name == "Ada"
    assert ActivityKind.ANSWERS_CHANGED not in kinds(db)


def test_an_answer_to_a_question_that_is_not_asked_is_refused(client, db, signed_up):
    event, url = signed_up()
    response = submit(client, url, {**signup_form(company="Babbage & Co"), event.questions[0].field_name: "Brand",
                                    "q_424242": "made up"})
    assert response.status_code == 422
    assert "one of the questions you answered is no longer asked" in response.get_data(as_text=True)
    registration = the_registration(db)
    assert registration.contact.company != "Babbage & Co" and registration.answers == {
        str(event.questions[0].id): "Leads"}
    assert ActivityKind.ANSWERS_CHANGED not in kinds(db)


def ticked(body: str, name: str) -> set[str]:
    return {re.search(r'value="([^"]*)"', tag).group(1)
            for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', body) if re.search(r"\schecked[\s>]", tag)}


@pytest.mark.parametrize("first_kind, answer, new_kind, ticked_now, text_now", [
    ("single_choice", "Leads", "multiple_choice", {"Leads"}, None),
    ("multiple_choice", ["Brand"], "single_choice", {"Brand"}, None),
    ("multiple_choice", ["Leads", "Brand"], "single_choice", set(), None),  # no one choice to show
    ("multiple_choice", ["Leads", "Brand"], "text", set(), "Leads; Brand"),
    ("single_choice", "Leads", "text", set(), "Leads"),
])
def test_answers_still_show_after_the_organiser_changes_the_kind_of_question(client, db, make_event, first_kind,
                                                                               answer, new_kind, ticked_now,
                                                                               text_now):
    from eventapp.events.operations import save_question

    event = make_event(questions=[{"label": "Goal", "kind": first_kind, "options": ["Leads", "Brand"]}])
    question = event.questions[0]
    response = submit(client, f"/e/{event.slug}", signup_form(**{question.field_name: answer}))
    assert response.status_code == 303
    assert ticked(client.get(response.headers["Location"]).get_data(as_text=True), question.field_name) == (
        {answer} if isinstance(answer, str) else set(answer))
    save_question(event, {"label": "Goal", "kind": new_kind, "required": False, "options": ["Leads", "Brand"]},
                  question)
    db.session.commit()
    page = client.get(response.headers["Location"])
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert ticked(body, question.field_name) == ticked_now
    if text_now is not None:
        assert re.search(rf'<textarea[^>]*name="{question.field_name}"[^>]*>\s*{re.escape(text_now)}</textarea>', body)


def test_cancel_asks_first_then_frees_the_seat(client, db, signed_up):
    event, url = signed_up(capacity=5)
    confirm = client.get(f"{url}/cancel")
    assert confirm.status_code == 200 and "Yes, cancel my registration" in confirm.get_data(as_text=True)
    assert the_registration(db).status == RegistrationStatus.CONFIRMED  # a GET changes nothing
    fields = hidden_fields(confirm.get_data(as_text=True))
    response = client.post(f"{url}/cancel", data=fields)
    assert response.status_code == 303
    registration = the_registration(db)
    assert registration.status == RegistrationStatus.CANCELLED and registration.cancelled_at is not None
    db.session.refresh(event)
    assert event.seats_taken == 0
    # the cancellation and the mail about it (two features' receivers of one signal: blinker keeps no order)
    assert sorted(kinds(db)[-2:]) == sorted([ActivityKind.CANCELLED, ActivityKind.MESSAGE_QUEUED])
    page = client.get(url).get_data(as_text=True)
    assert "This registration has been cancelled." in page and "<svg" not in page
    # a double click sends the same form again: no second seat is freed, and the person is told why
    again = client.post(f"{url}/cancel", data=fields, follow_redirects=True)
    assert again.status_code == 200 and "This registration has been cancelled." in again.get_data(as_text=True)
    db.session.refresh(event)
    assert event.seats_taken == 0
    assert kinds(db).count(ActivityKind.CANCELLED) == 1


def test_cancel_without_csrf_changes_nothing(client, db, signed_up):
    event, url = signed_up()
    response = client.post(f"{url}/cancel")
    assert response.status_code == 400
    assert the_registration(db).status == RegistrationStatus.CONFIRMED


def test_calendar_download_is_a_proper_ics_and_an_activity(client, db, signed_up):
    event, url = signed_up()
    first = client.get(f"{url}/calendar.ics")
    second = client.get(f"{url}/calendar.ics")
    assert first.status_code == 200 and first.mimetype == "text/calendar"
    assert "attachment" in first.headers["Content-Disposition"]
    calendar = Calendar.from_ical(first.data)
    [entry] = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == event.title
    assert entry["DTSTART"].dt == event.starts_at and entry["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert calendar.walk("VTIMEZONE") and calendar.walk("VALARM")
    assert str(entry["UID"]) == str(Calendar.from_ical(second.data).walk("VEVENT")[0]["UID"])
    assert url in str(entry["URL"])
    assert kinds(db).count(ActivityKind.CALENDAR_DOWNLOADED) == 2


@pytest.mark.parametrize("approval, status", [(False, "CONFIRMED"), (True, "TENTATIVE")])
def test_the_downloaded_entry_says_how_sure_the_seat_is_and_carries_the_events_version(
        client, db, signed_up, approval, status):
    event, url = signed_up(approval_required=approval)
    event.calendar_sequence = 3  # the event was changed (and people told) three times
    db.session.commit()
    [entry] = Calendar.from_ical(client.get(f"{url}/calendar.ics").data).walk("VEVENT")
    assert str(entry["STATUS"]) == status
    assert int(entry["SEQUENCE"]) == 3


@pytest.mark.parametrize("suffix", ["", "/cancel", "/calendar.ics"])
def test_forged_manage_token_is_a_clear_404(client, db, signed_up, suffix):
    event, url = signed_up()
    token = url.rsplit("/", 1)[1]
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "a" * 300, "../../etc/passwd"):
        response = client.get(f"/r/{forged}{suffix}")
        assert response.status_code == 404
        assert "This registration link is not valid" in response.get_data(as_text=True) or \
            "We could not find this page" in response.get_data(as_text=True)
    assert the_registration(db).status == RegistrationStatus.CONFIRMED


def test_after_the_event_the_registration_is_read_only(client, db, signed_up, app):
    event, url = signed_up()
    fields = hidden_fields(client.get(url).get_data(as_text=True))  # a page left open from before the event
    event.starts_at = utcnow() - timedelta(days=2)
    event.ends_at = utcnow() - timedelta(days=1)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "This event has already taken place." in page and "Save changes" not in page
    response = client.post(url, data={**fields, **signup_form(company="Changed"),
                                      event.questions[0].field_name: "Brand"})
    assert response.status_code == 409
    assert "This event has already taken place." in response.get_data(as_text=True)
    assert the_registration(db).contact.company == "Analytical Ltd"
    client.post(f"{url}/cancel", data=fields)
    assert the_registration(db).status == RegistrationStatus.CONFIRMED
    assert ActivityKind.CANCELLED not in kinds(db)


def test_calendar_of_a_cancelled_registration_is_gone(client, db, signed_up):
    event, url = signed_up()
    submit(client, f"{url}/cancel", {})
    response = client.get(f"{url}/calendar.ics")
    assert response.status_code == 404
    assert "cancelled" in response.get_data(as_text=True)


def test_tokens_are_unguessable_and_distinct(client, db, make_event):
    event = make_event()
    for number in range(5):
        submit(client, f"/e/{event.slug}", signup_form(email=f"p{number}@example.com"))
    rows = list(db.session.execute(sa.select(Registration)).scalars())
    secrets = {r.ticket_secret for r in rows} | {r.manage_token for r in rows}
    assert len(secrets) == 10
    for r in rows:
        assert len(r.manage_token) >= 32 and str(r.id) != r.manage_token
        assert set(r.ticket_secret) <= set("abcdefghjkmnpqrstuvwxyz23456789")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Contact)).scalar() == 5
