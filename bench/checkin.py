"""Ticket redeems per second at the door through the real app, against a bare Flask view doing one indexed lookup
and one insert, in the same run; then the time and memory of a large attendance export.

    python bench/checkin.py [--seconds 10] [--clients 8,32] [--server gunicorn|waitress] [--workers N]
                            [--tickets 10000] [--export-rows 100000] [--database-url postgresql+psycopg://...]

For each database (SQLite always; PostgreSQL when --database-url or BENCH_POSTGRES_URL reaches one, in a fresh
schema dropped afterwards):

1. Setup (not timed): migrations, an organisation, a published trade show with --tickets confirmed registrations
   (bulk inserted), a staff account assigned to its door, an organiser; a second event with --export-rows
   registrations for the export; the baseline's tables (the same ticket secrets, indexed, and a scans table).
2. Both apps are served in turn by the same WSGI server with the same settings (common.py's Server). For each
   client count, the apps take turns (alternating order, --rounds each): every client is a thread with its own
   http.client connection in one of --client-processes load processes (until 23 November 2026 a requests.Session,
   whose own CPU use, about 2.5 ms a request, competed with the servers and was counted in every latency). Each
   load process logs in once through the /login form (csrf_token from the page; the login rate limit stays on,
   so not one login per client); each client then takes the session
   cookie, reads its CSRF token from GET /checkin/ and POSTs /checkin/<event>/redeem with JSON {secret, nonce,
   device_id, scanned_at} and the X-CSRFToken header, as the scanner page does: a fresh nonce each time and its
   own slice of distinct tickets (wrapping round to "already_checked_in" only if the slice runs out). Anything but
   a 200 with a JSON status is an error. The baseline answers the same requests with a bare Flask app: its login
   and scanner pages are stubs, and its redeem does one indexed SELECT and one INSERT.
3. Export: the organiser downloads attendance.csv (and .xlsx) of the large event from the running server; the
   time to the last byte and the serving processes' resident memory (sampled every 20 ms) are printed.

Targets (the issue): p95 < 50 ms at 8 clients on SQLite and eventapp >= 50 % of the baseline's redeems per
second; CSV export of 100k rows under 5 s with peak memory under 200 MB. The last line is one JSON object;
"ratio" is eventapp ÷ baseline redeems per second on SQLite at the first client count (8).
"""
import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import (BENCH_DIR, REQUEST_TIMEOUT, Server, add_database_url_argument, add_load_arguments,
                    add_server_arguments, bench_postgresql, cpu_shares, exit_on_sigterm, hidden_inputs, latency_ms,
                    login_cookies, merged, migrate, own_cpu_over_window, phase_figures, print_postgresql,
                    remove_work_dir, server_cpu_over_window, server_settings, sqlite_pragmas)

REPO_DIR = BENCH_DIR.parent
TARGET_RATIO = 0.5
TARGET_P95_MS = 50.0
TARGET_EXPORT_SECONDS = 5.0
TARGET_EXPORT_MB = 200.0
PASSWORD = "bench door password"
STAFF_EMAIL = "door@bench.example.org"
ORGANISER_EMAIL = "organiser@bench.example.org"
BASELINE_TICKETS = "bench_baseline_tickets"
BASELINE_SCANS = "bench_baseline_scans"


# ---------------------------------------------------------------- the baseline: a bare Flask view, lookup + insert

def baseline_app():
    """What a redeem costs at the least: find the ticket by its indexed secret, insert the scan, answer JSON.
    The login and scanner pages are stubs so the same clients can drive both apps (served via --call)."""
    import sqlalchemy as sa
    from flask import Flask, jsonify, redirect, request

    engine = sa.create_engine(os.environ["BENCH_BASELINE_DATABASE_URL"])
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", sqlite_pragmas)  # the same pragmas eventapp sets
    tickets, scans = _baseline_tables(sa.MetaData())
    app = Flask("baseline")

    @app.get("/login")
    @app.get("/checkin/")
    def page():
        return '<form method="post"><input type="hidden" name="csrf_token" value="x"></form>'

    @app.post("/login")
    def login():
        return redirect("/checkin/", code=303)

    @app.post("/checkin/<int:event_id>/redeem")
    def redeem(event_id):
        scan = request.get_json()
        with engine.begin() as connection:
            ticket_id = connection.execute(sa.select(tickets.c.id).where(tickets.c.secret == scan["secret"])) \
                .scalar_one_or_none()
            connection.execute(scans.insert().values(
                ticket_id=ticket_id, nonce=scan["nonce"], device_id=scan["device_id"],
                scanned_at=datetime.fromisoformat(scan["scanned_at"]), received_at=datetime.now(timezone.utc)))
        return jsonify(status="ok" if ticket_id is not None else "invalid")

    return app


def _baseline_tables(metadata):
    import sqlalchemy as sa

    tickets = sa.Table(BASELINE_TICKETS, metadata,
                       sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("secret", sa.String(64), nullable=False, unique=True))
    scans = sa.Table(BASELINE_SCANS, metadata,
                     sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("ticket_id", sa.Integer),
                     sa.Column("nonce", sa.String(64), nullable=False, unique=True),
                     sa.Column("device_id", sa.String(64), nullable=False),
                     sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
                     sa.Column("received_at", sa.DateTime(timezone=True), nullable=False))
    return tickets, scans


# ---------------------------------------------------------------- setup

def prepare_databases(env: dict, run_id: str, tickets: int, export_rows: int) -> dict:
    """Migrate, make the door event with its tickets, the staff and organiser logins, the export event, and the
    baseline's tables with the same secrets. Returns the ids and the secrets."""
    import sqlalchemy as sa

    os.environ.update(env)  # create_app reads its settings from the environment
    sys.path.insert(0, str(REPO_DIR))
    from eventapp import create_app
    from eventapp import models  # noqa: F401  (every mapper, before any module that builds queries at import)
    from eventapp.accounts.models import Role
    from eventapp.accounts.operations import create_user, ensure_organisation
    from eventapp.checkin.models import EventStaff
    from eventapp.core.time import utcnow
    from eventapp.events import operations as events
    from eventapp.events.models import EventKind, EventStatus
    from eventapp.extensions import db
    from tests.perf.bulk import seed_attendees

    app = create_app()
    with app.app_context():
        migrate()
        organisation = ensure_organisation("bench", "Benchmark Marketing Team")
        db.session.flush()
        made = {}
        for name, title in (("door", "Benchmark trade show"), ("export", "Benchmark export seminar")):
            event = events.save_event(organisation.id, {
                "title": title, "slug": f"bench-{name}-{run_id}", "kind": EventKind.TRADE_SHOW,
                "timezone": "Asia/Shanghai", "starts_at": utcnow() + timedelta(days=1),
                "ends_at": utcnow() + timedelta(days=2), "venue_name": "National Exhibition Centre",
                "capacity": None})
            events.set_status(event, EventStatus.PUBLISHED)
            made[name] = event
        events.save_question(made["export"], {"label": "What brings you here?", "kind": "text", "required": False,
                                              "options": []})
        staff = create_user(STAFF_EMAIL, PASSWORD, Role.STAFF, organisation)
        create_user(ORGANISER_EMAIL, PASSWORD, Role.ORGANISER, organisation)
        db.session.flush()
        db.session.add(EventStaff(event_id=made["door"].id, user_id=staff.id))
        db.session.commit()
        ids = {name: event.id for name, event in made.items()}
        question = str(made["export"].questions[0].id)
        with db.engine.begin() as connection:
            secrets_made = seed_attendees(connection, ids["door"], organisation.id, tickets, prefix=f"door-{run_id}")
            if export_rows:
                seed_attendees(connection, ids["export"], organisation.id, export_rows, prefix=f"export-{run_id}",
                               answers={question: "Meeting suppliers; 看看新产品"})
        db.engine.dispose()

    engine = sa.create_engine(env["BENCH_BASELINE_DATABASE_URL"])
    metadata = sa.MetaData()
    baseline_tickets, _scans = _baseline_tables(metadata)
    with engine.begin() as connection:
        metadata.drop_all(connection, checkfirst=True)
        metadata.create_all(connection)
        connection.execute(baseline_tickets.insert(), [{"secret": secret} for secret in secrets_made])
    engine.dispose()
    return {"door_event": ids["door"], "export_event": ids["export"], "secrets": secrets_made}


def count_scans(env: dict, door_event: int) -> dict:
    """What each app really stored, to check the answers against."""
    import sqlalchemy as sa

    counts = {}
    for name, url, query in (
            ("eventapp", env["DATABASE_URL"],
             f"SELECT count(*) FROM checkins WHERE event_id = {int(door_event)}"),
            ("baseline", env["BENCH_BASELINE_DATABASE_URL"], f"SELECT count(*) FROM {BASELINE_SCANS}")):
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            counts[name] = connection.execute(sa.text(query)).scalar_one()
        engine.dispose()
    return counts


# ---------------------------------------------------------------- the load: client processes with threads

_logins = {}  # per load process: base URL -> session cookies (one login per process, not per client)


def logged_in_cookies(base: str, email: str) -> dict:
    if base not in _logins:
        _logins[base] = login_cookies(base, email, PASSWORD)
    return _logins[base]


def door_client(base: str, event_id: int, tickets: list[str], label: str, start_at: float, measure_from: float,
                stop_at: float, result: dict):
    """One staff phone: a logged-in session with its CSRF token, redeeming its tickets until stop_at. A plain
    http.client connection, as in bench/registration.py: requests costs about 2.5 ms of CPU a request, which the
    load generator then takes from the servers it measures on this 2-core machine, and counts in every latency."""
    latencies, answers, failures = [], Counter(), Counter()
    connection = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=REQUEST_TIMEOUT)
    try:
        cookies = dict(logged_in_cookies(base, STAFF_EMAIL))
        connection.request("GET", "/checkin/", headers={"Cookie": _cookie_header(cookies)})
        page = connection.getresponse()
        token = hidden_inputs(page.read().decode()).get("csrf_token")
        _keep_cookies(page, cookies)
        if page.status != 200 or not token:
            failures[f"scanner page {page.status}"] += 1
            return
        path = f"/checkin/{event_id}/redeem"
        headers = {"Content-Type": "application/json", "X-CSRFToken": token, "Cookie": _cookie_header(cookies)}
        while time.time() < start_at:
            time.sleep(0.005)
        number = 0
        while (sent := time.time()) < stop_at:
            payload = json.dumps({"secret": tickets[number % len(tickets)], "nonce": uuid.uuid4().hex,
                                  "device_id": label, "scanned_at": datetime.now(timezone.utc).isoformat()})
            number += 1
            began = time.perf_counter()
            try:
                connection.request("POST", path, payload, headers)
                response = connection.getresponse()
                body = response.read()
                status = json.loads(body).get("status") if response.status == 200 else None
            except (OSError, http.client.HTTPException, ValueError) as error:
                failures[type(error).__name__] += 1
                connection.close()  # the next request opens a fresh connection
                continue
            elapsed = time.perf_counter() - began
            if sent < measure_from:
                continue
            if status is None:
                failures[f"HTTP {response.status}"] += 1
            else:
                answers[status] += 1
                latencies.append(elapsed)
    except (OSError, http.client.HTTPException, RuntimeError) as error:
        failures[f"setup {type(error).__name__}"] += 1
    finally:
        connection.close()
        result.update(latencies=latencies, answers=answers, failures=failures)


def _cookie_header(cookies: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _keep_cookies(response, cookies: dict) -> None:
    for header in response.headers.get_all("Set-Cookie") or ():
        name, _, value = header.split(";", 1)[0].partition("=")
        cookies[name.strip()] = value


def client_process(base, event_id, ticket_slices, run_label, start_at, measure_from, stop_at):
    """One load process: a thread per client, plus this process's CPU time over the measured window."""
    results = [{} for _ in ticket_slices]
    threads = [threading.Thread(target=door_client, daemon=True,
                                args=(base, event_id, tickets, f"{run_label}-{os.getpid()}-{number}", start_at,
                                      measure_from, stop_at, results[number]))
               for number, tickets in enumerate(ticket_slices)]
    for thread in threads:
        thread.start()
    cpu = own_cpu_over_window(measure_from, stop_at)
    for thread in threads:
        thread.join(REQUEST_TIMEOUT + 5)
    return {"cpu": cpu, "clients": results}


def put_load(pool, server: Server, event_id: int, tickets: list[str], clients: int, run_label: str,
             seconds: float, args) -> dict:
    """One measured phase against one server: latencies, answers and CPU use."""
    processes = min(args.client_processes, clients)
    slices = [tickets[index::clients] for index in range(clients)]  # each client its own tickets
    per_process = [slices[index::processes] for index in range(processes)]
    base = f"http://127.0.0.1:{server.port}"
    start_at = time.time() + 2.0  # clients get their session and CSRF token before this
    measure_from = start_at + args.warmup
    stop_at = measure_from + seconds
    pending = pool.starmap_async(client_process, [
        (base, event_id, process_slices, f"{run_label}-{index}", start_at, measure_from, stop_at)
        for index, process_slices in enumerate(per_process)])
    server_cpu, busy = server_cpu_over_window(server, measure_from, stop_at)
    outcomes = pending.get(timeout=REQUEST_TIMEOUT + 60)
    return phase_figures(outcomes, seconds, server_cpu, busy, ("answers", "failures"))


def summarise(phases: list[dict]) -> dict:
    seconds, latencies, answers, failures = merged(phases, "answers", "failures")
    answered = sum(answers.values())
    server_cpu = sum(phase["server_cpu"] for phase in phases)
    return {
        "rps": round(answered / seconds, 1),
        **latency_ms(latencies),
        "answered": answered,
        "answers": dict(answers),
        "errors": sum(failures.values()),
        "error_kinds": dict(failures),
        "server_cpu_ms_per_redeem": round(server_cpu * 1000 / answered, 2) if answered else None,
        "cpu_share": cpu_shares(phases),
    }


# ---------------------------------------------------------------- the export, from the running server

def time_export(server: Server, event_id: int, rows: int, file_format: str) -> dict:
    """Download one export as the organiser: seconds to the first and last byte, size, and the serving process's
    resident memory at its peak (sampled) and how much it grew over its size before the request."""
    import requests

    base = f"http://127.0.0.1:{server.port}"
    with requests.Session() as session:
        session.cookies.update(login_cookies(base, ORGANISER_EMAIL, PASSWORD))
        before = server.resident_mb()
        peaks = dict(before)
        done = threading.Event()

        def sample():
            while not done.wait(0.02):
                for pid, size in server.resident_mb().items():
                    peaks[pid] = max(peaks.get(pid, 0.0), size)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.perf_counter()
        first_byte, size, head = None, 0, b""
        with session.get(f"{base}/admin/events/{event_id}/attendance.{file_format}", stream=True,
                         timeout=REQUEST_TIMEOUT * 4) as response:
            response.raise_for_status()
            lines = 0
            for chunk in response.iter_content(64 * 1024):
                if first_byte is None:
                    first_byte = time.perf_counter() - began
                    head = chunk[:3]
                size += len(chunk)
                lines += chunk.count(b"\n")
        seconds = time.perf_counter() - began
        done.set()
        sampler.join()
    growth = {pid: peaks[pid] - before.get(pid, peaks[pid]) for pid in peaks}
    serving = max(growth, key=growth.get)
    figures = {"format": file_format, "rows": rows, "seconds": round(seconds, 2),
               "first_byte_s": round(first_byte or 0.0, 3), "mb": round(size / 1e6, 1),
               "peak_rss_mb": round(peaks[serving], 1), "rss_growth_mb": round(growth[serving], 1)}
    if file_format == "csv":
        figures["bom"] = head == b"\xef\xbb\xbf"
        figures["rows_received"] = lines - 1
    return figures


# ---------------------------------------------------------------- one database, both apps

APPS = {"baseline": ("checkin", "baseline_app"), "eventapp": ("eventapp", "create_app")}


def bench_database(pool, kind: str, database_url: str, baseline_url: str, work_dir: Path, run_id: str,
                   args) -> dict:
    data_dir = work_dir / kind
    data_dir.mkdir()
    env = {"EVENTAPP_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(32),
           "BENCH_BASELINE_DATABASE_URL": baseline_url}
    print(f"[{kind}] preparing: {args.tickets} tickets at the door, {args.export_rows} registrations to export ...",
          flush=True)
    began = time.perf_counter()
    setup = prepare_databases(env, run_id, args.tickets, args.export_rows)
    print(f"[{kind}] prepared in {time.perf_counter() - began:.1f} s", flush=True)
    servers, phases = {}, {(name, clients): [] for name in APPS for clients in args.clients}
    exports = []
    try:
        for name, app_spec in APPS.items():
            servers[name] = Server(f"{kind}-{name}", app_spec, args, env, work_dir)
        for server in servers.values():
            server.wait_ready("/login")
        # Both servers stay up (the idle one costs nothing); the apps take turns, in alternating order, so a change
        # in the machine's other load hits both alike. Each phase uses the next unused part of the tickets.
        seconds = args.seconds / args.rounds
        turn = 0
        for clients in args.clients:
            for round_number in range(args.rounds):
                order = list(APPS) if turn % 2 == 0 else list(reversed(APPS))
                turn += 1
                for name in order:
                    print(f"[{kind}] {clients} clients, round {round_number + 1}/{args.rounds} {name}: "
                          f"{args.warmup:g} s warm-up + {seconds:g} s ...", flush=True)
                    tickets = _fresh_tickets(setup["secrets"], name, args)
                    phases[(name, clients)].append(put_load(
                        pool, servers[name], setup["door_event"], tickets, clients,
                        f"{run_id}-{kind}-{name}-{clients}-{round_number}", seconds, args))
        if args.export_rows:
            for file_format in args.export_formats:
                print(f"[{kind}] exporting {args.export_rows} rows as {file_format} ...", flush=True)
                exports.append(time_export(servers["eventapp"], setup["export_event"], args.export_rows,
                                           file_format))
    finally:
        for server in servers.values():
            server.stop()
    results = {"by_clients": {}, "exports": exports, "scans_stored": count_scans(env, setup["door_event"])}
    for clients in args.clients:
        figures = {name: summarise(phases[(name, clients)]) for name in APPS}
        for name, server in servers.items():
            if figures[name]["errors"]:
                print(f"[{kind}] {name} at {clients} clients, errors: {figures[name]['error_kinds']}; "
                      f"server log tail:\n{server.log_tail(15)}", flush=True)
        baseline, ours = figures["baseline"], figures["eventapp"]
        figures["ratio"] = round(ours["rps"] / baseline["rps"], 3) if baseline["rps"] else None
        results["by_clients"][str(clients)] = figures
    return results


_used = Counter()


def _fresh_tickets(all_tickets: list[str], app_name: str, args) -> list[str]:
    """The next slice of tickets nobody has scanned at this app yet (the apps have separate databases)."""
    start = _used[app_name]
    size = max(len(all_tickets) // (len(args.clients) * args.rounds), 1)
    _used[app_name] = start + size
    return all_tickets[start:start + size] or all_tickets


def print_table(kind: str, figures: dict) -> None:
    print(f"\n{kind}: ticket redeems")
    print(f"  {'clients':>7} {'app':<9} {'redeems/s':>9} {'p50 ms':>7} {'p95 ms':>7} {'answered':>8} "
          f"{'errors':>6} {'server CPU ms/redeem':>21}   answers; CPU share: server / load generator / other")
    for clients, by_app in figures["by_clients"].items():
        for name in ("baseline", "eventapp"):
            row = by_app[name]
            cpu = row["server_cpu_ms_per_redeem"]
            share = row["cpu_share"]
            answers = ", ".join(f"{key} {value}" for key, value in sorted(row["answers"].items()))
            print(f"  {clients:>7} {name:<9} {row['rps']:>9.1f} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} "
                  f"{row['answered']:>8} {row['errors']:>6} {cpu if cpu is not None else '-':>21}   {answers}; "
                  f"{share['server']:.0%} / {share['load_generator']:.0%} / {share['other']:.0%}")
        print(f"  {clients:>7} ratio (eventapp ÷ baseline redeems/s): {by_app['ratio']}")
    print(f"  scans stored: {figures['scans_stored']}")
    for export in figures["exports"]:
        extra = f", BOM {'yes' if export['bom'] else 'NO'}, rows received {export['rows_received']}" \
            if export["format"] == "csv" else ""
        print(f"  export {export['rows']} rows as {export['format']}: {export['seconds']:.2f} s "
              f"(first byte {export['first_byte_s']:.2f} s), {export['mb']} MB, serving process "
              f"{export['peak_rss_mb']:.0f} MB resident at its peak, +{export['rss_growth_mb']:.1f} MB during the "
              f"export{extra}")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_load_arguments(parser, "measured seconds per app and client count")
    parser.add_argument("--clients", type=lambda text: [int(part) for part in text.split(",")], default=[8, 32],
                        help="concurrent clients, comma separated (default 8,32)")
    add_server_arguments(parser)
    parser.add_argument("--tickets", type=int, default=10_000, help="confirmed registrations at the door")
    parser.add_argument("--export-rows", type=int, default=100_000, help="registrations to export (0: no export)")
    parser.add_argument("--export-formats", type=lambda text: text.split(","), default=["csv", "xlsx"])
    add_database_url_argument(parser)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory (and logs)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()  # run the finally blocks: no server outlives us
    run_id = secrets.token_hex(4)
    # The servers import this checkout's eventapp, whichever copy is pip-installed and wherever we are started.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_DIR), os.environ.get("PYTHONPATH")]))
    work_dir = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    settings = server_settings(args)
    print(f"bench/checkin.py: {settings}, clients {args.clients} in {args.client_processes} processes, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, work dir {work_dir}", flush=True)
    summary = {"bench": "checkin", "clients": args.clients, "seconds": args.seconds, "tickets": args.tickets,
               **settings}
    pool = multiprocessing.get_context("spawn").Pool(args.client_processes)
    try:
        summary["sqlite"] = bench_database(pool, "sqlite", f"sqlite:///{work_dir / 'eventapp.db'}",
                                           f"sqlite:///{work_dir / 'baseline.db'}", work_dir, run_id, args)
        _used.clear()
        summary["postgresql"] = bench_postgresql(
            args.database_url, f"bench_registration_checkin_{run_id}",  # the name it has always had
            lambda url: bench_database(pool, "postgresql", url, url, work_dir, run_id, args))
    finally:
        pool.terminate()
        pool.join()
        remove_work_dir(work_dir, args.keep)

    print_table("sqlite", summary["sqlite"])
    print_postgresql(summary["postgresql"], print_table)

    first = summary["sqlite"]["by_clients"][str(args.clients[0])]
    csv_export = next((e for e in summary["sqlite"]["exports"] if e["format"] == "csv"), None)
    targets = {
        f"p95 < {TARGET_P95_MS:.0f} ms at {args.clients[0]} clients": first["eventapp"]["p95_ms"] < TARGET_P95_MS,
        f"ratio >= {TARGET_RATIO:.0%}": (first["ratio"] or 0) >= TARGET_RATIO,
    }
    if csv_export is not None:
        targets[f"CSV export of {csv_export['rows']} rows < {TARGET_EXPORT_SECONDS:.0f} s"] = \
            csv_export["seconds"] < TARGET_EXPORT_SECONDS
        targets[f"CSV export peak < {TARGET_EXPORT_MB:.0f} MB"] = csv_export["peak_rss_mb"] < TARGET_EXPORT_MB
    print("\ntargets (SQLite): " + "; ".join(f"{name} -> {'met' if met else 'NOT met'}"
                                           for name, met in targets.items()))
    summary["targets"] = targets
    summary["target_met"] = all(targets.values())
    summary["ratio"] = first["ratio"]
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
