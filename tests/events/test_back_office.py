"""Organisers build campaigns, events and questions through real forms; roles are checked."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.accounts.operations import ensure_organisation
from eventapp.events.models import Campaign, Event, Question
from tests.conftest import hidden_fields, signup_form, submit

EVENT_FORM = {
    "title": "Data summit", "slug": "data-summit", "kind": "roundtable", "campaign_id": "", "timezone": "Asia/Shanghai",
    "starts_at": "2031-05-04T09:30", "ends_at": "2031-05-04T12:00", "venue_name": "Bund Hall",
    "venue_address": "1 Zhongshan Rd, Shanghai", "capacity": "25", "waitlist_enabled": "y",
    "summary": "Talk **data**.", "agenda_md": "", "speakers_md": "",
}


def one(db, model):
    db.session.expire_all()
    return db.session.execute(sa.select(model)).scalar_one()


def test_back_office_needs_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.STAFF, Role.PARTNER, Role.SALES])
def test_other_roles_cannot_use_the_back_office(client, login_as, role):
    login_as(role)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "organiser role" in response.get_data(as_text=True)


def test_wrong_password_is_refused_without_saying_which_part(client, make_user):
    user = make_user()
    response = submit(client, "/login", {"email": user.email, "password": "wrong"})
    assert response.status_code == 401
    assert "That email and password do not match an account." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_login_ignores_an_offsite_next(client, make_user):
    user = make_user()
    response = submit(client, "/login?next=https://evil.example/", {"email": user.email,
                                                                   "password": "correct horse battery",
                                                                   "next": "https://evil.example/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_organiser_creates_campaign_event_and_questions_then_publishes(client, db, login_as):
    login_as(Role.ORGANISER)
    response = submit(client, "/admin/campaigns/new", {"name": "Autumn tour", "description": "Four cities"})
    assert response.status_code == 303
    campaign = one(db, Campaign)

    response = submit(client, "/admin/events/new", {**EVENT_FORM, "campaign_id": str(campaign.id)})
    assert response.status_code == 303, response.get_data(as_text=True)
    event = one(db, Event)
    assert event.status == "draft" and event.campaign_id == campaign.id and event.capacity == 25
    # 09:30 in Shanghai is 01:30 UTC
    assert event.starts_at == datetime(2031, 5, 4, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert client.get("/e/data-summit").status_code == 200  # the organiser sees a preview of the draft

    response = submit(client, f"/admin/events/{event.id}/questions/new",
                      {"label": "Your budget?", "kind": "single_choice", "required": "y",
                       "options": "< 10k\n10k-100k\n\n10k-100k\n> 100k"})
    assert response.status_code == 303
    question = one(db, Question)
    assert question.options == ["< 10k", "10k-100k", "> 100k"] and question.required

    response = submit(client, f"/admin/events/{event.id}", {}, post_url=f"/admin/events/{event.id}/status/published")
    assert response.status_code == 303
    assert one(db, Event).status == "published"
    public = client.application.test_client()
    page = public.get("/e/data-summit").get_data(as_text=True)
    assert "Your budget?" in page and "Executive roundtable" in page

    # the edit form shows times on the event's own wall clock
    edit = client.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="2031-05-04T09:30"' in edit


@pytest.mark.parametrize("target", ["/a\nb", "/a\r\nSet-Cookie: x=1", "/\\evil.example/", "/\x00x", "/\tx"])
def test_login_ignores_a_next_with_line_breaks_or_backslashes(client, make_user, target):
    user = make_user()
    response = submit(client, "/login", {"email": user.email, "password": "correct horse battery", "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/admin/").status_code == 200


def test_event_form_bad_input_is_explained(client, db, login_as):
    login_as()
    response = submit(client, "/admin/events/new", {**EVENT_FORM, "slug": "Bad Slug!", "ends_at": "2031-05-04T08:00",
                                                    "capacity": "0", "timezone": "Mars/Olympus", "title": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Give the event a title.", "Use lower-case letters, digits and single dashes",
                    "The event must end after it starts.", "Enter a number of seats from 1 up",
                    "Not a valid choice"):
        assert message in body, message
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar() == 0


@pytest.mark.parametrize("changes", [
    {"starts_at": "0001-01-01T00:00", "timezone": "Asia/Tokyo"},
    {"ends_at": "9999-12-31T20:00", "timezone": "America/Los_Angeles"},
    {"registration_opens_at": "0001-01-01T00:00", "timezone": "Asia/Tokyo"},
    {"registration_closes_at": "9999-12-31T23:59", "timezone": "America/Los_Angeles"},
])
def test_a_date_off_the_calendar_is_explained_not_a_server_error(client, db, login_as, changes):
    login_as()
    response = submit(client, "/admin/events/new", {**EVENT_FORM, **changes})
    assert response.status_code == 422
    assert "Enter a date between the years 1970 and 2199." in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar() == 0


def test_a_file_sent_where_text_belongs_is_a_missing_answer(client, make_user):
    import io

    user = make_user()
    response = submit(client, "/login", {"email": (io.BytesIO(user.email.encode()), "email.txt"),
                                         "password": "correct horse battery"},
                      content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Enter your email address." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_posts_that_leave_fields_out_are_read_as_empty_fields(client, db, login_as, make_event):
    login_as()
    event = make_event(questions=[{"label": "Goal", "kind": "single_choice", "options": ["A", "B"]}])
    form = {key: value for key, value in EVENT_FORM.items()
            if key not in ("summary", "agenda_md", "speakers_md", "venue_name", "venue_address")}
    response = submit(client, f"/admin/events/{event.id}/edit", {**form, "slug": event.slug})
    assert response.status_code == 303, response.get_data(as_text=True)
    edited = one(db, Event)
    assert (edited.title, edited.summary, edited.venue_name) == ("Data summit", "", "")

    question = edited.questions[0]
    response = submit(client, f"/admin/questions/{question.id}/edit", {})
    assert response.status_code == 422
    assert "Write the question." in response.get_data(as_text=True)
    db.session.expire_all()
    assert (question.label, question.options) == ("Goal", ["A", "B"])


def test_one_line_fields_lose_their_line_breaks_text_areas_keep_them(client, db, login_as):
    login_as()
    response = submit(client, "/admin/events/new", {**EVENT_FORM, "title": "Data\r\nBcc: victim@x.example\tsummit",
                                                    "summary": "Line one\r\nLine two\rLine three"})
    assert response.status_code == 303
    event = one(db, Event)
    assert event.title == "Data Bcc: victim@x.example summit"
    assert event.summary == "Line one\nLine two\nLine three"


def test_slug_must_be_unique(client, db, login_as, make_event):
    login_as()
    make_event(slug="taken")
    response = submit(client, "/admin/events/new", {**EVENT_FORM, "slug": "taken"})
    assert response.status_code == 422
    assert "Another event already uses this web address." in response.get_data(as_text=True)


def test_choice_question_needs_options(client, db, login_as, make_event):
    login_as()
    event = make_event()
    response = submit(client, f"/admin/events/{event.id}/questions/new",
                      {"label": "Pick", "kind": "multiple_choice", "options": "only one"})
    assert response.status_code == 422
    assert "Give at least two options" in response.get_data(as_text=True)


def test_unpublish_hides_and_cancel_closes_the_landing_page(client, db, login_as, make_event):
    login_as()
    event = make_event()
    submit(client, f"/admin/events/{event.id}", {}, post_url=f"/admin/events/{event.id}/status/draft")
    assert client.application.test_client().get(f"/e/{event.slug}").status_code == 404
    submit(client, f"/admin/events/{event.id}/cancel", {})
    page = client.application.test_client().get(f"/e/{event.slug}").get_data(as_text=True)
    assert "This event has been cancelled." in page


def test_organisers_only_see_their_own_organisation(client, db, login_as, make_event, make_user):
    event = make_event()
    other = ensure_organisation("rival", "Rival Inc")
    db.session.commit()
    login_as(Role.OWNER, email="boss@rival.example", organisation=other)
    assert client.get(f"/admin/events/{event.id}").status_code == 404
    assert client.get(f"/admin/events/{event.id}/edit").status_code == 404
    assert event.title not in client.get("/admin/").get_data(as_text=True)
    response = submit(client, "/admin/", {}, post_url=f"/admin/events/{event.id}/status/cancelled")
    assert response.status_code == 404
    db.session.refresh(event)
    assert event.status == "published"


def test_status_change_needs_csrf(client, db, login_as, make_event):
    login_as()
    event = make_event()
    assert client.post(f"/admin/events/{event.id}/status/cancelled").status_code == 400
    db.session.refresh(event)
    assert event.status == "published"


def test_wtforms_own_messages_go_through_our_catalogue(client, db, login_as, monkeypatch):
    import flask_babel
    from babel.support import NullTranslations

    class Marked(NullTranslations):  # a "translation" that can be told apart from the English
        def gettext(self, message):
            return f"«{message}»"

        def ngettext(self, singular, plural, number):
            return f"«{singular if number == 1 else plural}»"

    login_as()
    page = client.get("/admin/events/new").get_data(as_text=True)
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: Marked())
    response = client.post("/admin/events/new", data={**hidden_fields(page), **EVENT_FORM, "kind": "party",
                                                      "venue_name": "x" * 201})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "«Not a valid choice.»" in body
    assert "«Field cannot be longer than 200 characters.»" in body


@pytest.mark.parametrize("number", ["2147483647", "2147483648", "9223372036854775807", "9223372036854775808",
                                    "99999999999999999999"])
def test_ids_beyond_a_database_integer_are_addresses_that_do_not_exist(client, login_as, number):
    login_as()
    for url in (f"/admin/events/{number}", f"/admin/events/{number}/edit", f"/checkin/{number}",
                f"/checkin/{number}/stats", f"/admin/contacts/{number}"):
        assert client.get(url).status_code == 404, url
    page = client.get("/admin/")
    response = client.post(f"/admin/registrations/{number}/approve", data=hidden_fields(page.get_data(as_text=True)))
    assert response.status_code == 404
