"""What registration holds about a person, for a privacy request: each sign-up's details and answers as given. An
erasure blanks them; the registration's status, times and attribution stay, which the funnels count."""
import sqlalchemy as sa
from flask_babel import gettext as _

from eventapp import signals
from eventapp.core.tokens import ticket_secret, url_token
from eventapp.events.models import Event, Question
from eventapp.extensions import db
from eventapp.registration.models import Registration

# The person as typed into a sign-up form (see Registration): blanked on erasure.
GIVEN_FIELDS = ("email", "first_name", "last_name", "company", "job_title", "phone")


def _registrations(contact_id: int):
    return db.session.execute(sa.select(Registration, Event.title).join(Event, Event.id == Registration.event_id)
                              .where(Registration.contact_id == contact_id)
                              .order_by(Registration.created_at)).all()


def _answers_by_label(registration: Registration) -> dict:
    """The answers under their questions' wording (the stored keys are question ids)."""
    answers = registration.answers or {}
    labels = dict(db.session.execute(sa.select(Question.id, Question.label)
                                     .where(Question.event_id == registration.event_id)).all())
    return {labels.get(int(key), key) if str(key).isdigit() else key: value for key, value in answers.items()}


@signals.personal_data.connect
def _registration_data(ref: signals.ContactRef, **kwargs):
    return signals.PersonalData(_("Registrations"), [
        {"event": title, "status": registration.status, "created_at": registration.created_at,
         "cancelled_at": registration.cancelled_at, "checked_in_at": registration.checked_in_at,
         "walk_in": registration.walk_in, "channel": registration.channel, "sms_opt_in": registration.sms_opt_in,
         **{name: getattr(registration, name) for name in GIVEN_FIELDS},
         "answers": _answers_by_label(registration)}
        for registration, title in _registrations(ref.contact_id)])


@signals.contact_erasing.connect
def _erase_registration_details(ref: signals.ContactRef, **kwargs):
    for registration, _title in _registrations(ref.contact_id):
        for name in GIVEN_FIELDS:
            setattr(registration, name, "")
        registration.answers = {}
        registration.form_nonce = None
        # New tokens: the manage link and the ticket in the person's old mails open nothing any more.
        registration.manage_token, registration.ticket_secret = url_token(), ticket_secret()
