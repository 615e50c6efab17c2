"""Leads at volume: the CRM-ready lead export of 100k contacts as CSV and XLSX against a bare `csv.writer` loop over
the same rows, in the same run, its peak memory, and a full rescore of 100k contacts with 1M activities.

    python bench/leads.py [--contacts 100000] [--activities 1000000] [--keep]

1. Setup (not timed): a temporary data dir, `create_app()` + migrations (SQLite), an organisation, two events,
   --contacts contacts (some with Chinese names, a formula-looking company, E.164 phones), registrations for a
   third of them (a third of those attended), a lead state each and --activities activities spread over 90 days,
   all by bulk INSERTs; the organisation's default score model (scoring.ensure_default_model).
2. Rescore (timed): `scoring.rescore_all(model_id)`, committed. Target (the issue): under 60 s.
3. The baseline: the export's own SELECT (the same joins and aggregates, read with yield_per) written by a bare
   `csv.writer` loop to a file: no formatting, no formula-safe cells, no log. Run before and after eventapp's CSV
   export; its time is the mean of the two passes, which bracket eventapp's.
4. eventapp CSV (timed): what the back office and `eventapp leads export` do: `exports.start_export` (the LeadExport
   row and one EXPORTED activity per contact by INSERT … SELECT), commit, `exports.write_file` to a file. "ratio"
   = baseline seconds ÷ eventapp seconds (rows per second relative to the bare loop). Target: >= 0.5.
   "stream_ratio" leaves the log out (the file only).
5. eventapp XLSX (timed): the same with the XLSX writer (constant memory, to a temporary file, then copied).
   Target: under 30 s.
6. Peak memory: the process's peak resident set (VmHWM), reset (/proc/self/clear_refs) before each export, so it
   is each export's own peak over a process that has the app loaded (steps 1–2 run in a forked child, whose
   memory leaves with it). Target: under 300 MB.

Each phase also has its CPU seconds (this process), a steadier figure than wall time on a shared, busy machine.
The last line is the figures as JSON; the exit status is 1 when a target is missed or a count is wrong.
"""
import argparse
import csv
import json
import multiprocessing
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import exit_on_sigterm, migrate, remove_work_dir

TARGET_CSV_RATIO = 0.5
TARGET_XLSX_SECONDS = 30
TARGET_PEAK_MB = 300
TARGET_RESCORE_SECONDS = 60
CHUNK = 20_000
KINDS = (("email_opened", 40), ("link_clicked", 15), ("page_viewed", 20), ("registered", 8), ("checked_in", 4),
         ("invited", 10), ("no_show", 1), ("unsubscribed", 1), ("forwarded", 1))


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: the peak resident set starts again from now
    except OSError:
        pass


def seed(contacts: int, activities: int) -> int:
    """The organisation and its rows (bulk INSERTs); its id."""
    import sqlalchemy as sa

    from eventapp.accounts.operations import ensure_organisation
    from eventapp.contacts.models import Contact
    from eventapp.core.time import utcnow
    from eventapp.events.models import Event
    from eventapp.extensions import db
    from eventapp.leads.models import LeadActivity, LeadState
    from eventapp.registration.models import Registration

    organisation = ensure_organisation("bench-leads", "Benchmark Marketing Team")
    db.session.flush()
    now = utcnow()
    event_ids = []
    for number in (1, 2):
        event = Event(organisation_id=organisation.id, slug=f"bench-leads-{number}", title=f"Seminar {number}",
                      starts_at=now - timedelta(days=20 * number), ends_at=now - timedelta(days=20 * number - 1))
        db.session.add(event)
        db.session.flush()
        event_ids.append(event.id)
    db.session.commit()
    random.seed(16)
    connection = db.session.connection()
    titles = ("CEO", "CTO", "Marketing Director", "Buyer", "总监", "销售经理", "Engineer")
    for start in range(0, contacts, CHUNK):
        numbers = range(start, min(start + CHUNK, contacts))
        connection.execute(Contact.__table__.insert(), [{
            "organisation_id": organisation.id, "email": f"lead{n}@bench.example",
            "email_key": f"lead{n}@bench.example",
            "first_name": "伟" if n % 7 == 0 else f"Person{n}", "last_name": "王" if n % 7 == 0 else "Bench",
            "company": '=HYPERLINK("http://x")' if n % 1000 == 0 else f"Company {n % 700}",
            "job_title": titles[n % len(titles)], "phone": f"+8613{n:09d}" if n % 3 else "",
            "company_size": ("1-10", "11-200", "201-1000", "1000+")[n % 4], "industry": "Manufacturing",
            "city": ("上海", "Berlin", "London")[n % 3], "origin": ("web", "import:list.csv", "manual")[n % 3],
            "marketing_consent": True, "referred_channel": "", "created_at": now, "updated_at": now}
            for n in numbers])
    ids = connection.execute(sa.select(Contact.id).where(Contact.organisation_id == organisation.id)
                             .order_by(Contact.id)).scalars().all()
    states = ("new", "engaged", "mql", "handed_off", "accepted")
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        connection.execute(LeadState.__table__.insert(), [
            {"contact_id": contact_id, "stage": states[contact_id % len(states)], "stage_reason": "",
             "updated_at": now} for contact_id in chunk])
        connection.execute(Registration.__table__.insert(), [
            {"event_id": event_ids[contact_id % 2], "contact_id": contact_id, "status": "confirmed", "answers": {},
             "manage_token": secrets.token_hex(12), "ticket_secret": secrets.token_hex(12), "channel": "web",
             "sms_opt_in": False, "walk_in": False, "no_show_recorded": False,
             "checked_in_at": now - timedelta(days=20) if contact_id % 9 == 0 else None,
             "created_at": now, "updated_at": now} for contact_id in chunk if contact_id % 3 == 0])
    kinds = [kind for kind, weight in KINDS for _ in range(weight)]
    for start in range(0, activities, CHUNK):
        connection.execute(LeadActivity.__table__.insert(), [
            {"organisation_id": organisation.id, "contact_id": ids[n % len(ids)], "kind": random.choice(kinds),
             "occurred_at": now - timedelta(minutes=random.randrange(90 * 24 * 60)),
             "event_id": event_ids[n % 2], "channel": "email", "meta": {}}
            for n in range(start, min(start + CHUNK, activities))])
    db.session.commit()
    return organisation.id


def in_child(function, *args):
    """function(*args) in a forked child process, its result sent back: the child's memory (seeding's row lists, the
    rescore's page cache) leaves with it, so the exports' peak below is theirs over a process with the app loaded,
    as in a web worker."""
    from eventapp.extensions import db

    db.engine.dispose()  # no SQLite connection is shared across the fork
    reader, writer = multiprocessing.Pipe(duplex=False)

    def run():
        try:
            writer.send(("ok", function(*args)))
        except BaseException as error:  # noqa: BLE001  (reported by the parent)
            writer.send(("error", repr(error)))

    process = multiprocessing.get_context("fork").Process(target=run)
    process.start()
    status, result = reader.recv()
    process.join()
    if status != "ok":
        raise RuntimeError(f"{function.__name__} failed in its process: {result}")
    return result


def prepare(contacts: int, activities: int) -> tuple[int, float, dict]:
    """Seed, then rescore: (organisation id, seconds seeding took, the rescore's figures)."""
    began = time.perf_counter()
    organisation_id = seed(contacts, activities)
    seed_seconds = time.perf_counter() - began
    print(f"seeded in {seed_seconds:.1f} s; rescoring ...", flush=True)
    return organisation_id, seed_seconds, rescore(organisation_id)


def rescore(organisation_id: int) -> dict:
    from eventapp.extensions import db
    from eventapp.leads import scoring

    if not hasattr(scoring, "rescore_all"):
        return {"rescore_skipped": "eventapp.leads.scoring.rescore_all is not there yet"}
    scoring.ensure_default_model(organisation_id)
    db.session.commit()
    model = scoring.primary_model(organisation_id)
    began, cpu_began = time.perf_counter(), time.process_time()
    scored = scoring.rescore_all(model.id)
    db.session.commit()
    return {"rescore_seconds": round(time.perf_counter() - began, 2),
            "rescore_cpu_seconds": round(time.process_time() - cpu_began, 2), "rescore_contacts": scored}


def bare_csv(organisation_id: int, path: Path) -> tuple[float, int, float]:
    """The export's own SELECT through a bare csv.writer: the floor for reading and writing these rows."""
    from eventapp.core.time import utcnow
    from eventapp.extensions import db
    from eventapp.leads import exports

    began, cpu_began = time.perf_counter(), time.process_time()
    query = exports.export_query(organisation_id, exports.Filters(), utcnow())
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow(exports.HEADER)
        for row in db.session.execute(query):
            writer.writerow(row)
            rows += 1
    db.session.rollback()
    return time.perf_counter() - began, rows, time.process_time() - cpu_began


def eventapp_export(organisation_id: int, file_format: str, path: Path) -> dict:
    """As the back office and the command line do it: log, commit, write the file; seconds, rows, peak RSS."""
    from eventapp.extensions import db
    from eventapp.leads import exports

    reset_peak_rss()
    began, cpu_began = time.perf_counter(), time.process_time()
    logged = exports.start_export(organisation_id, None, exports.Filters(), exports.ExportFormat(file_format))
    db.session.commit()
    logged_at = time.perf_counter()
    with path.open("wb") as target:
        exports.write_file(logged, target)
    ended, cpu = time.perf_counter(), time.process_time() - cpu_began
    rows = logged.row_count
    db.session.commit()
    return {"seconds": ended - began, "cpu_seconds": cpu, "file_seconds": ended - logged_at,
            "log_seconds": logged_at - began,
            "rows": rows, "peak_mb": peak_rss_mb(), "bytes": path.stat().st_size}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000, help="contacts (default 100000)")
    parser.add_argument("--activities", type=int, default=1_000_000, help="activities (default 1000000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = parser.parse_args(argv)
    if args.contacts < 1 or args.activities < 0:
        parser.error("--contacts must be at least 1 and --activities not negative")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()
    os.environ.pop("REDIS_URL", None)
    work_dir = Path(tempfile.mkdtemp(prefix="bench-leads-"))
    print(f"bench/leads.py: {args.contacts} contacts, {args.activities} activities; {os.cpu_count()} CPUs, load "
          f"average {os.getloadavg()[0]:.1f}; work dir {work_dir}", flush=True)
    try:
        os.environ.update({"EVENTAPP_DATA_DIR": str(work_dir), "DATABASE_URL": f"sqlite:///{work_dir / 'e.db'}",
                           "SECRET_KEY": secrets.token_hex(32), "BASE_URL": "https://events.example.test"})
        from eventapp import create_app

        app = create_app()
        with app.app_context():
            migrate()
            print("seeding ...", flush=True)
            organisation_id, seed_seconds, rescored = in_child(prepare, args.contacts, args.activities)
            print("bare csv.writer ...", flush=True)
            bare = [bare_csv(organisation_id, work_dir / "bare-1.csv")]
            print("eventapp CSV ...", flush=True)
            ours_csv = eventapp_export(organisation_id, "csv", work_dir / "leads.csv")
            print("bare csv.writer again ...", flush=True)
            bare.append(bare_csv(organisation_id, work_dir / "bare-2.csv"))
            print("eventapp XLSX ...", flush=True)
            ours_xlsx = eventapp_export(organisation_id, "xlsx", work_dir / "leads.xlsx")
    finally:
        remove_work_dir(work_dir, args.keep)

    bare_seconds = sum(seconds for seconds, _, _ in bare) / len(bare)
    bare_cpu = sum(cpu for _, _, cpu in bare) / len(bare)
    figures = {
        "bench": "leads", "contacts": args.contacts, "activities": args.activities,
        "seed_seconds": round(seed_seconds, 1), **rescored,
        "bare_csv_seconds": round(bare_seconds, 2), "bare_csv_passes": [round(s, 2) for s, _, _ in bare],
        "bare_csv_cpu_seconds": round(bare_cpu, 2), "csv_cpu_seconds": round(ours_csv["cpu_seconds"], 2),
        "xlsx_cpu_seconds": round(ours_xlsx["cpu_seconds"], 2),
        "cpu_ratio": round(bare_cpu / ours_csv["cpu_seconds"], 3), "load_average": os.getloadavg()[0],
        "csv_seconds": round(ours_csv["seconds"], 2), "csv_log_seconds": round(ours_csv["log_seconds"], 2),
        "csv_file_seconds": round(ours_csv["file_seconds"], 2), "csv_mb": round(ours_csv["bytes"] / 1e6, 1),
        "csv_peak_rss_mb": round(ours_csv["peak_mb"], 1),
        "ratio": round(bare_seconds / ours_csv["seconds"], 3),
        "stream_ratio": round(bare_seconds / ours_csv["file_seconds"], 3),
        "xlsx_seconds": round(ours_xlsx["seconds"], 2), "xlsx_file_seconds": round(ours_xlsx["file_seconds"], 2),
        "xlsx_mb": round(ours_xlsx["bytes"] / 1e6, 1), "xlsx_peak_rss_mb": round(ours_xlsx["peak_mb"], 1),
    }
    problems = []
    for name, result in (("bare", {"rows": bare[0][1]}), ("csv", ours_csv), ("xlsx", ours_xlsx)):
        if result["rows"] != args.contacts:
            problems.append(f"{name}: {result['rows']} rows of {args.contacts}")
    if figures["ratio"] < TARGET_CSV_RATIO:
        problems.append(f"CSV ratio {figures['ratio']} under {TARGET_CSV_RATIO}")
    if figures["xlsx_seconds"] >= TARGET_XLSX_SECONDS:
        problems.append(f"XLSX took {figures['xlsx_seconds']} s (target under {TARGET_XLSX_SECONDS})")
    if max(figures["csv_peak_rss_mb"], figures["xlsx_peak_rss_mb"]) >= TARGET_PEAK_MB:
        problems.append(f"peak memory over {TARGET_PEAK_MB} MB")
    if figures.get("rescore_seconds", 0) >= TARGET_RESCORE_SECONDS:
        problems.append(f"rescore took {figures['rescore_seconds']} s (target under {TARGET_RESCORE_SECONDS})")
    figures["problems"] = problems

    print(f"\n{args.contacts} contacts, {args.activities} activities (SQLite)")
    print(f"  {'':<34} {'seconds':>8} {'CPU s':>7} {'rows/s':>10} {'peak RSS MB':>12}")
    print(f"  {'bare csv.writer (same SELECT)':<34} {bare_seconds:>8.2f} {bare_cpu:>7.2f} "
          f"{args.contacts / bare_seconds:>10.0f} {'':>12}   passes "
          f"{' / '.join(str(s) for s in figures['bare_csv_passes'])}")
    print(f"  {'eventapp CSV (log + file)':<34} {ours_csv['seconds']:>8.2f} {ours_csv['cpu_seconds']:>7.2f} "
          f"{args.contacts / ours_csv['seconds']:>10.0f} {ours_csv['peak_mb']:>12.1f}   log "
          f"{figures['csv_log_seconds']} s, file {figures['csv_file_seconds']} s, {figures['csv_mb']} MB")
    print(f"  {'eventapp XLSX (log + file)':<34} {ours_xlsx['seconds']:>8.2f} {ours_xlsx['cpu_seconds']:>7.2f} "
          f"{args.contacts / ours_xlsx['seconds']:>10.0f} {ours_xlsx['peak_mb']:>12.1f}   {figures['xlsx_mb']} MB")
    print(f"  CSV ratio (bare ÷ eventapp): {figures['ratio']} (file only: {figures['stream_ratio']}); target "
          f"{TARGET_CSV_RATIO} -> {'met' if figures['ratio'] >= TARGET_CSV_RATIO else 'NOT met'}; by CPU time "
          f"{figures['cpu_ratio']}; load average at the end {figures['load_average']:.1f}")
    if "rescore_seconds" in figures:
        print(f"  full rescore: {figures['rescore_seconds']} s ({figures['rescore_cpu_seconds']} s CPU) for "
              f"{figures['rescore_contacts']} scores (target under {TARGET_RESCORE_SECONDS} s)")
    else:
        print(f"  full rescore: skipped ({figures['rescore_skipped']})")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    print(json.dumps(figures))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
