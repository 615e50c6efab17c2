"""What organisers download after the door: attendance (one row per registration) and the check-in log.

Rows are read from the database in batches (yield_per) as the file is written, so a large event streams in flat
memory. The formats themselves (CSV, XLSX, safe cells) live in eventapp.core.spreadsheet."""
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from flask_babel import gettext as _

from eventapp.accounts.models import User
from eventapp.checkin.models import CheckIn
from eventapp.core.spreadsheet import Table, iso_time, yes_no
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.contacts.models import Contact
from eventapp.contacts.names import person_name
from eventapp.registration.models import Registration, RegistrationStatus

BATCH = 1000


class UnknownStatus(ValueError):
    """A status filter that is not a registration status; str() is the sentence to show."""


def parse_statuses(values: Iterable[str]) -> list[RegistrationStatus]:
    """?status=confirmed&status=pending or ?status=confirmed,pending; nothing given means every status."""
    wanted = [part.strip() for value in values for part in value.split(",") if part.strip()]
    known = {status.value for status in RegistrationStatus}
    unknown = [value for value in wanted if value not in known]
    if unknown:
        raise UnknownStatus(_("Unknown status “%(unknown)s”. Use one of: %(known)s.", unknown=", ".join(unknown),
                              known=", ".join(status.value for status in RegistrationStatus)))
    return [RegistrationStatus(value) for value in dict.fromkeys(wanted)]


def _staff(name: str | None, email: str | None) -> str:
    return name or email or ""


def _answer(value) -> str:
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return "" if value is None else str(value)


def attendance(event: Event, statuses: list[RegistrationStatus] | None = None) -> Table:
    questions = list(event.questions)
    header = [_("First name"), _("Last name"), _("Email"), _("Company"), _("Job title"), _("Phone"),
              *(question.label for question in questions),
              _("Status"), _("Checked in"), _("Checked in at"), _("Device"), _("Staff"), _("Checked out at"),
              _("Walk-in"), _("Channel"), _("Registered at"), _("Marketing consent")]
    return Table(_("Attendance"), header, _attendance_rows(event, [str(q.id) for q in questions], statuses))


def _attendance_rows(event: Event, question_keys: list[str], statuses) -> Iterator[list]:
    query = (
        sa.select(Registration.first_name, Registration.last_name, Registration.email, Registration.company,
                  Registration.job_title, Registration.phone, Registration.answers, Registration.status,
                  Registration.checked_in_at,
                  Registration.checked_in_device, User.name, User.email, Registration.checked_out_at,
                  Registration.walk_in, Registration.channel, Registration.created_at, Contact.marketing_consent)
        .join(Contact, Registration.contact_id == Contact.id)
        .outerjoin(User, Registration.checked_in_by_id == User.id)
        .where(Registration.event_id == event.id)
        .order_by(Registration.id)
        .execution_options(yield_per=BATCH))
    if statuses:
        query = query.where(Registration.status.in_([str(status) for status in statuses]))
    zone = event.timezone
    # Unpacked by position: a large export spends its time here, and named access costs more per cell.
    for (*person, answers, status, checked_in_at, device, staff_name, staff_email, checked_out_at, walk_in, channel,
         created_at, consent) in db.session.execute(query):
        answers = answers or {}
        yield [*person, *(_answer(answers.get(key)) for key in question_keys),
               status, yes_no(checked_in_at), iso_time(checked_in_at, zone), device or "",
               _staff(staff_name, staff_email), iso_time(checked_out_at, zone), yes_no(walk_in), channel,
               iso_time(created_at, zone), yes_no(consent)]


def checkin_log(event: Event) -> Table:
    header = [_("Received at"), _("Scanned at"), _("Result"), _("Direction"), _("Method"), _("Device"), _("Staff"),
              _("Attendee"), _("Attendee email"), _("Reason")]
    return Table(_("Check-ins"), header, _checkin_rows(event))


def _checkin_rows(event: Event) -> Iterator[list]:
    query = (
        sa.select(CheckIn.received_at, CheckIn.scanned_at, CheckIn.result, CheckIn.direction, CheckIn.method,
                  CheckIn.device_id, CheckIn.reason, User.name, User.email, Contact.id, Registration.first_name,
                  Registration.last_name, Registration.email)
        .outerjoin(User, CheckIn.staff_user_id == User.id)
        .outerjoin(Registration, CheckIn.registration_id == Registration.id)
        # A scanned ticket of another organisation's event stays anonymous here.
        .outerjoin(Contact, sa.and_(Registration.contact_id == Contact.id,
                                    Contact.organisation_id == event.organisation_id))
        .where(CheckIn.event_id == event.id)
        .order_by(CheckIn.received_at, CheckIn.id)
        .execution_options(yield_per=BATCH))
    zone = event.timezone
    for (received_at, scanned_at, result, direction, method, device, reason, staff_name, staff_email, contact_id,
         first_name, last_name, email) in db.session.execute(query):
        if contact_id is None:
            first_name = last_name = email = None
        name = person_name(first_name, last_name)
        yield [iso_time(received_at, zone), iso_time(scanned_at, zone), result, direction, method, device,
               _staff(staff_name, staff_email), name, email or "", reason]
