"""Personalised invitations sent through the outbox (queued by the send, delivered by the worker's
deliver_waiting/deliver_batch) against a raw smtplib loop sending the same messages to the same local SMTP sink, in
the same run.

    python bench/invitations.py [--count 10000] [--profile] [--profile-count 500] [--keep]

1. Setup (not timed): a temporary data dir, `create_app()` + migrations (SQLite), an organisation, a published
   event with a required question, and --count contacts with marketing consent (one bulk INSERT); a draft send
   with a subject, preheader, Markdown body and sender name.
2. Queue (timed): `sending.start_send` writes one Invitation per contact and the sweep's `queue_due` puts their
   mails in the outbox, commit by commit, until the send is sent. The send is started ten minutes in the past at
   100,000 a minute, so every mail is due when delivery starts: this measures the pipeline, not the throttle.
3. The baseline's messages: each queued invitation composed once with the app's own `compose_email` (the
   personalised HTML with its embedded form, the text part, the tracking and List-Unsubscribe headers), so raw
   smtplib sends byte for byte what the worker will (only Date, boundaries and tracking tokens differ).
4. raw smtplib: one connection, `sendmail()` of each prepared message.
5. eventapp: `deliver_waiting()` in this process (the queue task's loop: batches claimed with one UPDATE, composed,
   sent over the SMTP backend's connection, each outcome committed), one thread.
6. raw smtplib again; its rate is the mean of the two passes, which bracket eventapp's.

The sink is bench/messaging.py's aiosmtpd server in its own process; each rate is measured at the sink, first
arrival to last. Every message must arrive exactly once. "ratio" (the last line's JSON) is eventapp's rate through
the whole outbox (queue + delivery: count over the queueing time plus the delivery span) over raw smtplib's;
"delivery_ratio" leaves the queueing out. Target (the issue): ratio >= 0.5. --profile runs deliver_waiting() on a
further --profile-count invitations under cProfile and prints where the time goes.
"""
import argparse
import cProfile
import json
import os
import pstats
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import exit_on_sigterm, migrate, remove_work_dir
from messaging import Sink, raw_smtplib, rate, wait_for_arrivals

TARGET_RATIO = 0.5
BENCH_RATE = 100_000  # a minute: the throttle out of the way (see the docstring)


def make_world(count: int, label: str):
    """The organisation's event, `count` contacts and a draft send to them (ids)."""
    import sqlalchemy as sa

    from eventapp.accounts.operations import ensure_organisation
    from eventapp.contacts.models import Contact
    from eventapp.core.time import utcnow
    from eventapp.events import operations as events
    from eventapp.events.models import EventKind, EventStatus
    from eventapp.extensions import db
    from eventapp.invitations.sending import save_send

    organisation = ensure_organisation("bench-invitations", "Benchmark Marketing Team")
    db.session.flush()
    event = db.session.execute(sa.select(events.Event).where(events.Event.slug == "bench-invitations")).scalar()
    if event is None:
        event = events.save_event(organisation.id, {
            "title": "Benchmark seminar: demand generation in 2026", "slug": "bench-invitations",
            "kind": EventKind.SEMINAR, "timezone": "Europe/Berlin", "summary": "Half a day on what works.",
            "starts_at": utcnow() + timedelta(days=30), "ends_at": utcnow() + timedelta(days=30, hours=4),
            "venue_name": "Kongresshaus", "venue_address": "Gotthardstrasse 5, 8002 Zürich", "capacity": None})
        db.session.flush()
        events.save_question(event, {"label": "Dietary needs", "kind": "text", "required": True, "options": []})
        events.set_status(event, EventStatus.PUBLISHED)
    now = utcnow()
    db.session.execute(sa.insert(Contact), [
        {"organisation_id": organisation.id, "email": f"{label}{number}@example.com",
         "email_key": f"{label}{number}@example.com", "first_name": f"Guest{number}", "last_name": "Example",
         "company": "Example Industries AG", "job_title": "Head of Marketing", "marketing_consent": True,
         "created_at": now, "updated_at": now} for number in range(count)])
    contact_ids = list(db.session.execute(sa.select(Contact.id).where(Contact.email.like(f"{label}%@example.com"))
                                          .order_by(Contact.id)).scalars())
    send = save_send(None, event, {
        "subject": "{first_name}, you are invited: demand generation in 2026",
        "preheader": "Half a day with the people who run B2B events",
        "body_md": "Dear {first_name},\n\nwe would like to see **{company}** at our seminar. Sign up below, "
                   "right in this mail.\n\n- talks from practitioners\n- lunch and time to talk",
        "sender_name": "Benchmark Marketing Team", "rate_per_minute": BENCH_RATE}, None)
    db.session.commit()
    return send.id, contact_ids


def queue_all(send_id: int, contact_ids: list[int]) -> tuple[float, int]:
    """Start the send and queue it to the end, as the sweep would; (seconds, commits)."""
    from eventapp.core.time import utcnow
    from eventapp.extensions import db
    from eventapp.invitations import sending
    from eventapp.invitations.models import InvitationSend, SendStatus

    started = utcnow() - timedelta(minutes=10)
    began = time.perf_counter()
    send = db.session.get(InvitationSend, send_id)
    sending.start_send(send, started, audience=sending.Audience(contact_ids, {}))
    db.session.commit()
    commits = 1
    while send.status == SendStatus.SENDING:
        sending.queue_due(send, utcnow())
        db.session.commit()
        commits += 1
    return time.perf_counter() - began, commits


def prepared_messages(send_id: int) -> list:
    """The queued invitations composed as the worker will: (sender, recipients, bytes)."""
    import sqlalchemy as sa

    from eventapp.extensions import db
    from eventapp.invitations.models import Invitation
    from eventapp.messaging.compose import compose_email
    from eventapp.messaging.content import load_about
    from eventapp.messaging.models import Message

    messages = list(db.session.execute(sa.select(Message).join(Invitation, Invitation.message_id == Message.id)
                                       .where(Invitation.send_id == send_id).order_by(Message.id)).scalars())
    prepared = []
    for start in range(0, len(messages), 500):
        batch = messages[start:start + 500]
        load_about(batch)
        for message in batch:
            mail = compose_email(message)
            prepared.append((mail.sender, list(mail.recipients), mail.data))
    db.session.rollback()  # composing may have touched the rows' loaded state; the outbox is unchanged
    return prepared


def deliver(count: int) -> float:
    from eventapp.messaging.operations import deliver_waiting

    began = time.perf_counter()
    delivered = deliver_waiting(count)
    if delivered != count:
        raise RuntimeError(f"deliver_waiting settled {delivered} of {count}")
    return time.perf_counter() - began


def outbox_statuses(send_id: int) -> dict:
    import sqlalchemy as sa

    from eventapp.extensions import db
    from eventapp.invitations.models import Invitation
    from eventapp.messaging.models import Message

    rows = db.session.execute(sa.select(Message.status, sa.func.count())
                              .join(Invitation, Invitation.message_id == Message.id)
                              .where(Invitation.send_id == send_id).group_by(Message.status)).all()
    return {str(status): number for status, number in rows}


def profile(count: int, sink: Sink) -> None:
    """deliver_waiting() over `count` more invitations under cProfile: where a mail's time goes."""
    send_id, contact_ids = make_world(count, "profile")
    queue_all(send_id, contact_ids)
    sink.reset()
    profiler = cProfile.Profile()
    profiler.enable()
    seconds = deliver(count)
    profiler.disable()
    wait_for_arrivals(sink, count, time.monotonic() + 60)
    print(f"\ncProfile of deliver_waiting() over {count} invitations in-process "
          f"({seconds * 1000 / count:.1f} ms each under the profiler):")
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(15)


def import_rate(rows: int) -> dict:
    """A --import-rows CSV of contacts (name, email, mobile, company, job title, tags, consent) imported the way the
    CLI does it (new_import, start, run to the end: chunks of 500 rows a commit), timed from the file's bytes to the
    last commit; the floor is one bulk INSERT of the same contacts, already parsed and checked."""
    import csv
    import io

    import sqlalchemy as sa

    from eventapp.accounts.operations import ensure_organisation
    from eventapp.contacts import importing
    from eventapp.contacts.models import Contact
    from eventapp.core.time import utcnow
    from eventapp.extensions import db

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Name", "Email", "Mobile", "Company", "Job title", "Tags", "Consent"])
    for number in range(rows):
        writer.writerow([f"Guest{number} Example", f"imported{number}@example.com", f"+4917{number:09d}",
                         "Example Industries AG", "Head of Marketing", "expo, 2026", "yes"])
    content = buffer.getvalue().encode("utf-8-sig")
    organisation = ensure_organisation("bench-import", "Benchmark import")
    db.session.commit()

    began = time.perf_counter()
    job = importing.new_import(organisation.id, None, "bench.csv", content)
    importing.start(job, job.mapping, "Visitors of our stand who ticked the consent box")
    db.session.commit()
    assert importing.claim(job.id, lease_seconds=3600)
    importing.run(db.session.get(type(job), job.id))
    ours = time.perf_counter() - began
    job = db.session.get(type(job), job.id)
    imported = job.imported

    organisation = ensure_organisation("bench-import-floor", "Benchmark import floor")
    db.session.commit()
    now = utcnow()
    began = time.perf_counter()
    db.session.execute(sa.insert(Contact), [
        {"organisation_id": organisation.id, "email": f"imported{number}@example.com",
         "email_key": f"imported{number}@example.com", "first_name": f"Guest{number}", "last_name": "Example",
         "phone": f"+4917{number:09d}", "company": "Example Industries AG", "job_title": "Head of Marketing",
         "marketing_consent": True, "created_at": now, "updated_at": now} for number in range(rows)])
    db.session.commit()
    floor = time.perf_counter() - began
    return {"import_rows": rows, "import_imported": imported, "import_seconds": round(ours, 2),
            "import_rows_per_s": round(rows / ours, 1), "import_floor_rows_per_s": round(rows / floor, 1),
            "import_ratio": round(floor / ours, 3)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="invitations (default 10000)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds a sender may take")
    parser.add_argument("--profile", action="store_true", help="also cProfile the delivery of --profile-count more")
    parser.add_argument("--profile-count", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    parser.add_argument("--import-rows", type=int, default=50_000,
                        help="rows of the contact import measured after the sends (default 50000; 0: none)")
    args = parser.parse_args(argv)
    if args.count < 2:
        parser.error("--count must be at least 2")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()
    os.environ.pop("REDIS_URL", None)
    work_dir = Path(tempfile.mkdtemp(prefix="bench-invitations-"))
    print(f"bench/invitations.py: {args.count} invitations; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}; work dir {work_dir}", flush=True)
    sink = None
    try:
        sink = Sink()
        os.environ.update({"EVENTAPP_DATA_DIR": str(work_dir), "DATABASE_URL": f"sqlite:///{work_dir / 'e.db'}",
                           "SECRET_KEY": secrets.token_hex(32), "SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
                           "BASE_URL": "https://events.example.test"})
        from eventapp import create_app

        app = create_app()
        with app.app_context():
            migrate()
            app.extensions["huey"].flush()
            send_id, contact_ids = make_world(args.count, "guest")
            print("queueing: start_send + queue_due until sent ...", flush=True)
            queue_seconds, commits = queue_all(send_id, contact_ids)
            print(f"composing {args.count} messages for the baseline ...", flush=True)
            began = time.perf_counter()
            prepared = prepared_messages(send_id)
            compose_seconds = time.perf_counter() - began
            print("raw smtplib ...", flush=True)
            raw_passes = [raw_smtplib(sink, prepared, args.timeout)]
            print("eventapp: deliver_waiting() ...", flush=True)
            sink.reset()
            delivery_began = time.monotonic()
            deliver_seconds = deliver(args.count)
            ours = wait_for_arrivals(sink, args.count, time.monotonic() + args.timeout)
            ids = sink.ids()
            statuses = outbox_statuses(send_id)
            print("raw smtplib again ...", flush=True)
            raw_passes.append(raw_smtplib(sink, prepared, args.timeout))
            if args.profile:
                profile(args.profile_count, sink)
            imports = {}
            if args.import_rows:
                print(f"contact import: {args.import_rows} CSV rows ...", flush=True)
                imports = import_rate(args.import_rows)
    finally:
        if sink is not None:
            sink.stop()
        remove_work_dir(work_dir, args.keep)

    problems = []
    duplicates = sum(number - 1 for number in ids.values() if number > 1)
    if ours["distinct"] != args.count or duplicates:
        problems.append(f"eventapp: {ours['distinct']} distinct of {args.count}, {duplicates} duplicates")
    if statuses != {"sent": args.count}:
        problems.append(f"outbox rows {statuses}, expected all sent")
    if any(raw["received"] != args.count for raw in raw_passes):
        problems.append("raw smtplib: not every message arrived")
    raw_rates = [rate(raw) for raw in raw_passes]
    raw_per_s = sum(raw_rates) / len(raw_rates) if all(raw_rates) else None
    delivery_per_s = rate(ours)
    span = ours["last"] - delivery_began if ours["received"] else None
    through_per_s = args.count / (queue_seconds + span) if span else None
    figures = {
        "bench": "invitations", "count": args.count,
        "queue_seconds": round(queue_seconds, 2), "queue_per_s": round(args.count / queue_seconds, 1),
        "queue_commits": commits, "deliver_seconds": round(deliver_seconds, 2),
        "ours_delivery_per_s": round(delivery_per_s, 1) if delivery_per_s else None,
        "ours_per_s": round(through_per_s, 1) if through_per_s else None,
        "raw_per_s": round(raw_per_s, 1) if raw_per_s else None,
        "raw_per_s_passes": [round(value, 1) if value else None for value in raw_rates],
        "ours_avg_bytes": round(ours["bytes"] / ours["received"]) if ours["received"] else None,
        "raw_avg_bytes": round(raw_passes[0]["bytes"] / raw_passes[0]["received"]) if raw_passes[0]["received"]
        else None,
        "compose_ms_per_msg": round(compose_seconds * 1000 / args.count, 2),
        "delivery_ratio": round(delivery_per_s / raw_per_s, 3) if delivery_per_s and raw_per_s else None,
        "ratio": round(through_per_s / raw_per_s, 3) if through_per_s and raw_per_s else None,
        "duplicates": duplicates, **imports, "problems": problems,
    }
    if imports and imports["import_imported"] != imports["import_rows"]:
        problems.append(f"import: {imports['import_imported']} of {imports['import_rows']} rows imported")
    print(f"\n{args.count} personalised invitations (HTML with the sign-up form + text), sink on 127.0.0.1")
    print(f"  {'':<26} {'msg/s':>9} {'avg bytes':>10}")
    print(f"  {'raw smtplib (composed)':<26} {figures['raw_per_s'] or 0:>9.1f} {figures['raw_avg_bytes'] or 0:>10}"
          f"   passes {' / '.join(map(str, figures['raw_per_s_passes']))}; composing took "
          f"{figures['compose_ms_per_msg']} ms a mail beforehand")
    print(f"  {'eventapp delivery':<26} {figures['ours_delivery_per_s'] or 0:>9.1f} "
          f"{figures['ours_avg_bytes'] or 0:>10}   deliver_waiting(), one thread")
    print(f"  {'eventapp queue':<26} {figures['queue_per_s']:>9.1f} {'':>10}   start_send + queue_due, "
          f"{commits} commits")
    print(f"  {'eventapp queue + delivery':<26} {figures['ours_per_s'] or 0:>9.1f}")
    print(f"  ratio (queue + delivery ÷ raw): {figures['ratio']}; delivery only: {figures['delivery_ratio']}; "
          f"target {TARGET_RATIO} -> {'met' if (figures['ratio'] or 0) >= TARGET_RATIO else 'NOT met'}")
    if imports:
        print(f"  contact import, {imports['import_rows']} CSV rows: {imports['import_rows_per_s']} rows/s "
              f"({imports['import_seconds']} s); one bulk INSERT of the same contacts "
              f"{imports['import_floor_rows_per_s']} rows/s (ratio {imports['import_ratio']})")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    print(json.dumps(figures))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
