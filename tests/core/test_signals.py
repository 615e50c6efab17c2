"""Every signal sends one kind of payload, named in its docstring: a small frozen dataclass of ids, times and plain
values, so that a subscriber never meets a detached ORM object or a stand-in where an ORM object was expected."""
import dataclasses
import re
import types
import typing
from datetime import datetime, timedelta

import pytest
from blinker import NamedSignal

from eventapp import signals
from eventapp.accounts.models import Role
from eventapp.contacts.normalisation import normalise_email
from eventapp.core.time import utcnow
from eventapp.events import operations as events
from eventapp.events.models import EventStatus
from eventapp.messaging.operations import deliver_due
from eventapp.registration import operations as registrations
from eventapp.registration.operations import Signup
from tests.checkin.test_redeem import Door

ALL = {name: value for name, value in vars(signals).items() if isinstance(value, NamedSignal)}
PLAIN = (int, str, bool, datetime, type(None))


def payload_class(signal) -> type:
    """The class the signal's docstring names after "Sender:"."""
    named = re.search(r"Sender:\s+an?\s+(\w+)", " ".join(signal.__doc__.split()))
    assert named, f"{signal.name}: its docstring does not say what it sends"
    return getattr(signals, named.group(1))


@pytest.mark.parametrize("name", sorted(ALL))
def test_each_signal_documents_one_frozen_dataclass_of_plain_values(name):
    payload = payload_class(ALL[name])
    assert dataclasses.is_dataclass(payload) and payload.__dataclass_params__.frozen
    for field, hint in typing.get_type_hints(payload).items():
        assert plain_type(hint), f"{payload.__name__}.{field}: {hint}"


def plain_type(hint) -> bool:
    """int, str, bool, datetime, a tuple of them, or one of them or None."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        return all(plain_type(arg) for arg in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return all(arg is Ellipsis or plain_type(arg) for arg in typing.get_args(hint))
    return hint in PLAIN


@pytest.fixture
def sent():
    """Every (signal name, sender) the app sends while the test runs."""
    seen = []
    receivers = {name: (lambda sender, _name=name, **_: seen.append((_name, sender))) for name in ALL}
    for name, receiver in receivers.items():
        ALL[name].connect(receiver)
    yield seen
    for name, receiver in receivers.items():
        ALL[name].disconnect(receiver)


def sign_up(event, email, **extra):
    result = registrations.register(event, Signup(email=normalise_email(email), details={
        "first_name": email.split("@")[0].title(), "last_name": "Test", "company": "Acme", "job_title": "CTO",
        "phone": ""}, **extra))
    return result.registration


def test_what_a_whole_event_sends_is_the_documented_payload_every_time(sent, db, client, login_as, make_event,
                                                                        smtp_sink):
    login_as(Role.ORGANISER)
    event = make_event(capacity=1, waitlist_enabled=True)
    ada = sign_up(event, "ada@example.com", marketing_consent=True, viewed_at=utcnow())
    grace = sign_up(event, "grace@example.com")  # waitlisted: the one seat is Ada's
    sign_up(event, "grace@example.com")  # again
    db.session.commit()
    registrations.update_registration(grace, {"company": "Navy"}, {})
    registrations.calendar_downloaded(grace)
    registrations.cancel(ada)  # Grace gets the seat
    registrations.promote_from_waitlist(event)
    db.session.commit()
    deliver_due()

    door = Door(client, event)
    door.scan(grace.ticket_secret)
    door.post("undo", {"device_id": door.device, "reason": "wrong person"})
    door.post("walk-in", {"first_name": "Walt", "last_name": "Inn", "email": "walt@example.com",
                          "company": "Acme", "job_title": "CTO", "phone": ""})

    events.save_event(event.organisation_id, {"capacity": 5, "title": "Moved breakfast"}, event)
    events.cancel_event(event)
    db.session.commit()

    names = {name for name, _ in sent}
    assert names >= {"registration_created", "registration_repeated", "registration_updated", "calendar_downloaded",
                     "registration_cancelled", "registration_promoted", "landing_page_viewed", "consent_requested",
                     "message_queued", "message_sent", "checked_in", "check_in_undone", "walked_in",
                     "capacity_changed", "event_rescheduled", "event_status_changed", "event_cancelled"}, names
    for name, sender in sent:
        assert type(sender) is payload_class(ALL[name]), name
        for field in dataclasses.fields(sender):
            value = getattr(sender, field.name)
            assert isinstance(value, PLAIN) or (isinstance(value, tuple) and all(isinstance(v, PLAIN) for v in value)), \
                f"{name}.{field.name} = {value!r}"


def test_a_no_show_and_a_status_change_send_theirs(sent, db, make_event):
    event = make_event()
    sign_up(event, "ada@example.com")
    event.starts_at, event.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
    db.session.commit()
    from eventapp.checkin.operations import record_no_shows

    record_no_shows()
    events.set_status(event, EventStatus.DRAFT)
    [no_show] = [sender for name, sender in sent if name == "no_show"]
    assert no_show.occurred_at == event.ends_at
    [status] = [sender for name, sender in sent if name == "event_status_changed"]
    assert (status.old_status, status.new_status) == (EventStatus.PUBLISHED, EventStatus.DRAFT)
