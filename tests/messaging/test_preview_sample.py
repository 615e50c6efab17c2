"""The wording page's preview is filled in for a made-up attendee, with or without real registrations, and
reading it changes nothing."""
import sqlalchemy as sa

from eventapp.messaging.models import Message
from eventapp.messaging.operations import deliver_due
from eventapp.registration.samples import SAMPLE_TICKET_CODE
from eventapp.registration.models import Registration
from eventapp.registration.tickets import ticket_code, ticket_svg
from tests.conftest import submit
from tests.messaging.test_email import messages, sign_up
from tests.messaging.test_test_send_sample import activities

WORDING = {"subject": "Hi {first_name} {last_name} of {company}", "body": "Code {ticket_code} at {manage_url}",
           "sms_text": "Hi {first_name}: {manage_url}"}


def test_preview_shows_the_sample_attendee_not_a_real_one(client, db, make_event, login_as):
    event = make_event()
    sign_up(client, event)
    deliver_due()
    registration = db.session.execute(sa.select(Registration)).scalar_one()
    login_as()
    url = f"/admin/events/{event.id}/messages/confirmation"
    assert submit(client, url, WORDING).status_code == 303
    before, messages_before = activities(db), messages(db)

    page = client.get(url).get_data(as_text=True)
    assert "Hi Alex Example of Example Ltd" in page and f"Code {ticket_code(SAMPLE_TICKET_CODE)} at" in page
    assert "/r/sample-preview" in page and "Hi Alex: " in page  # the SMS too
    assert "made-up attendee" in page
    for real in (registration.manage_token, registration.ticket_secret, ticket_code(registration.ticket_secret), "Ada", "Lovelace", "ada@example.com",
                 "Analytical"):
        assert real not in page
    assert ticket_svg(SAMPLE_TICKET_CODE) in page  # the ticket's QR code is the sample's
    assert activities(db) == before and messages(db) == messages_before


def test_preview_works_for_an_event_nobody_has_signed_up_for(client, db, make_event, login_as):
    event = make_event()
    login_as()
    page = client.get(f"/admin/events/{event.id}/messages/waitlisted").get_data(as_text=True)
    assert 'id="preview-subject"' in page and f"waiting list: {event.title}" in page
    assert "Hello Alex," in page and "Send me a test" in page
    assert "QR code of the sample ticket" not in page  # no ticket on the waiting list
    assert db.session.execute(sa.select(sa.func.count()).select_from(Message)).scalar() == 0
    assert activities(db) == []
