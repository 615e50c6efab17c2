"""Two requests changing one registration at once: the second finds it changed and changes nothing.

The other request is played by a second database connection that commits between this request's read of the
registration and its write, which is the moment a real race hits.
"""
import pytest
import sqlalchemy as sa

from eventapp.contacts.normalisation import normalise_email
from eventapp.events.models import Event
from eventapp.leads.models import ActivityKind, LeadActivity
from eventapp.messaging.models import Message
from eventapp.registration import operations
from eventapp.registration.models import Registration
from tests.conftest import signup_form, submit


def signed_up(client, db, event, email="ada@example.com") -> Registration:
    assert submit(client, f"/e/{event.slug}", signup_form(email=email)).status_code == 303
    db.session.expire_all()
    return db.session.execute(sa.select(Registration).where(Registration.event_id == event.id)
                              .order_by(Registration.id.desc())).scalars().first()


def meanwhile(db, registration, status, seats_change=0):
    """Another request changes the registration (and the seat counter) and commits."""
    with db.engine.begin() as other:
        other.execute(sa.update(Registration).where(Registration.id == registration.id).values(status=status))
        other.execute(sa.update(Event).where(Event.id == registration.event_id)
                      .values(seats_taken=Event.seats_taken + seats_change))


def seats_taken(db, event) -> int:
    return db.session.execute(sa.select(Event.seats_taken).where(Event.id == event.id)).scalar_one()


def count(db, model, *where) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


@pytest.mark.parametrize("action, status_before, status_meanwhile, seats_meanwhile", [
    ("cancel", "confirmed", "cancelled", -1),   # two tabs cancel
    ("cancel", "pending", "confirmed", 0),      # the organiser approves while the attendee cancels
    ("approve", "pending", "cancelled", -1),    # the attendee cancels while the organiser approves
    ("decline", "pending", "confirmed", 0),     # approve and decline at once
    ("approve", "pending", "confirmed", 0),     # approve twice
])
def test_a_registration_changed_meanwhile_is_left_as_the_other_request_left_it(
        client, db, make_event, action, status_before, status_meanwhile, seats_meanwhile):
    event = make_event(capacity=2, approval_required=status_before == "pending")
    registration = signed_up(client, db, event)
    assert registration.status == status_before and seats_taken(db, event) == 1
    messages, activities = count(db, Message), count(db, LeadActivity)

    meanwhile(db, registration, status_meanwhile, seats_meanwhile)
    with pytest.raises(operations.RegistrationChanged):
        getattr(operations, action)(registration)
    db.session.rollback()

    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == status_meanwhile
    assert seats_taken(db, event) == 1 + seats_meanwhile  # no seat freed twice
    assert (count(db, Message), count(db, LeadActivity)) == (messages, activities)  # nobody told twice


def test_two_sign_ups_again_after_cancelling_take_one_seat(client, db, make_event):
    event = make_event(capacity=2)
    registration = signed_up(client, db, event)
    operations.cancel(registration)
    db.session.commit()
    assert seats_taken(db, event) == 0
    stale = db.session.get(Registration, registration.id)
    assert stale.status == "cancelled"

    meanwhile(db, stale, "confirmed", +1)  # the other submit signed up again first
    result = operations.register(event, operations.Signup(email=normalise_email("ada@example.com"),
                                                          details={"first_name": "Ada", "last_name": "Lovelace"}))
    db.session.commit()
    assert result.outcome is operations.Outcome.ALREADY_REGISTERED
    db.session.expire_all()
    assert seats_taken(db, event) == 1
    assert count(db, Registration) == 1
    assert count(db, LeadActivity, LeadActivity.kind == ActivityKind.REGISTERED) == 1
