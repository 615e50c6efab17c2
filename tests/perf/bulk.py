"""Many attendees fast, for tests and benchmarks of volume (exports, the door): SQLAlchemy Core bulk inserts of
contacts and confirmed registrations, bypassing the operations (no activities, no outbox rows, no seat counts)."""
import secrets

import sqlalchemy as sa

from eventapp.core.time import utcnow
from eventapp.contacts.models import Contact
from eventapp.registration.models import Registration, RegistrationStatus

BATCH = 5000


def seed_attendees(connection, event_id: int, organisation_id: int, count: int, prefix: str = "bulk",
                   answers: dict | None = None) -> list[str]:
    """`count` contacts with one confirmed registration each for the event; returns their ticket secrets."""
    contacts, registrations = Contact.__table__, Registration.__table__
    if connection.dialect.name == "sqlite":
        # Random ticket secrets land all over their unique index: keep it in memory instead of re-reading pages.
        connection.exec_driver_sql("PRAGMA cache_size=-262144")
    now = utcnow()
    secrets_made = []
    for start in range(0, count, BATCH):
        numbers = range(start, min(start + BATCH, count))
        emails = [f"{prefix}-{number}@bulk.example.org" for number in numbers]
        connection.execute(contacts.insert(), [
            {"organisation_id": organisation_id, "email": email, "email_key": email, "first_name": f"Person{number}",
             "last_name": "Bulk", "company": f"Company {number % 500}", "job_title": "Buyer",
             "phone": f"+4930{number:08d}", "marketing_consent": number % 2 == 0, "created_at": now, "updated_at": now}
            for number, email in zip(numbers, emails)])
        # (executemany without RETURNING: SQLite would send one INSERT per row to return the ids in order)
        found = dict(connection.execute(sa.select(contacts.c.email_key, contacts.c.id).where(
            contacts.c.organisation_id == organisation_id, contacts.c.email_key.in_(emails))).all())
        ids = [found[email] for email in emails]
        batch_secrets = [secrets.token_hex(16) for _ in ids]
        connection.execute(registrations.insert(), [
            {"event_id": event_id, "contact_id": contact_id, "status": RegistrationStatus.CONFIRMED.value,
             "answers": answers or {}, "manage_token": secrets.token_urlsafe(24), "ticket_secret": secret,
             "channel": "web", "sms_opt_in": False, "walk_in": False, "no_show_recorded": False, "created_at": now,
             "updated_at": now} for contact_id, secret in zip(ids, batch_secrets)])
        secrets_made += batch_secrets
    return secrets_made


def seed_attendees_in(db, event, count: int, **kwargs) -> list[str]:
    """The same, in the app's database, committed (for tests running inside an app context)."""
    with db.engine.begin() as connection:
        made = seed_attendees(connection, event.id, event.organisation_id, count, **kwargs)
    db.session.expire_all()
    return made
