"""What the door holds about a person, for a privacy request: each scan of their tickets. An erasure blanks what
staff typed about a scan (its reason); the scans stay, which attendance counts."""
import sqlalchemy as sa
from flask_babel import gettext as _

from eventapp import signals
from eventapp.checkin.models import CheckIn
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.registration.models import Registration


def _their_registrations(contact_id: int):
    return sa.select(Registration.id).where(Registration.contact_id == contact_id)


@signals.personal_data.connect
def _checkin_data(ref: signals.ContactRef, **kwargs):
    scans = db.session.execute(
        sa.select(CheckIn, Event.title).join(Event, Event.id == CheckIn.event_id)
        .where(CheckIn.registration_id.in_(_their_registrations(ref.contact_id)))
        .order_by(CheckIn.scanned_at, CheckIn.id)).all()
    return signals.PersonalData(_("Check-ins at the door"), [
        {"event": title, "result": scan.result, "direction": scan.direction, "method": scan.method,
         "scanned_at": scan.scanned_at, "reason": scan.reason} for scan, title in scans])


@signals.contact_erasing.connect
def _erase_checkin_notes(ref: signals.ContactRef, **kwargs):
    db.session.execute(sa.update(CheckIn).where(CheckIn.registration_id.in_(_their_registrations(ref.contact_id)))
                       .values(reason=""))
