"""Sign-ups per second through the real app against a bare Flask view that inserts one row, in the same run.

    python bench/registration.py [--seconds 10] [--clients 16] [--server gunicorn|waitress] [--workers N]
                                 [--database-url postgresql+psycopg://...]

For each database (SQLite always; PostgreSQL when --database-url or BENCH_POSTGRES_URL reaches one), both apps are
served in turn by the same WSGI server with the same settings on 127.0.0.1, and the same load is put on each:
`--clients` clients (keep-alive where the server offers it) spread over a few processes; each loads the landing
page once (cookie, CSRF token, view token) and then posts sign-ups with a fresh email each, as fast as the server
answers. Anything but a 303 is an error. The sign-up rate limit stays on (set very high), so its cost is measured too.

The rest of the environment passes through to the servers (REDIS_URL, for one, moves the queue and the rate
limiter to Redis). PostgreSQL runs in a fresh schema that is dropped afterwards.

On SQLite a third app, the floor, takes its turns too: eventapp's stack (the same page, session, CSRF check, rate
limit and form) writing the same rows by Core statements, with none of eventapp's own sign-up code. It is what the
stack itself allows a sign-up; eventapp can only approach it.

One run gives three figures, all in the last line (one JSON object), for SQLite at --clients: "ratio" (eventapp ÷
the bare insert's sign-ups per second, for the record), "floor_ratio" (eventapp ÷ the floor's) and "p95_ms"
(eventapp's). Targets (issue 14): floor_ratio >= 0.8 and p95 < 100 ms at 16 clients.
"""
import argparse
import http.client
import json
import multiprocessing
import os
import queue
import secrets
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from types import SimpleNamespace
from pathlib import Path

from common import (REQUEST_TIMEOUT, Server, add_database_url_argument, add_load_arguments, add_server_arguments,
                    bench_postgresql, cpu_shares, exit_on_sigterm, hidden_inputs, latency_ms, merged, migrate,
                    own_cpu_over_window, phase_figures, print_postgresql, remove_work_dir, server_cpu_over_window,
                    server_settings, sqlite_pragmas)

SIGNUP_RATE_LIMIT = "10000000 per minute"
TARGET_FLOOR_RATIO = 0.8
TARGET_P95_MS = 100.0
BASELINE_TABLE = "bench_baseline_signups"


# ---------------------------------------------------------------- the baseline: a bare Flask view, one INSERT

def baseline_app():
    """What a sign-up costs at the least: a Flask view that inserts one row and redirects (served via --call)."""
    from datetime import datetime, timezone

    import sqlalchemy as sa
    from flask import Flask, redirect, request

    engine = sa.create_engine(os.environ["BENCH_BASELINE_DATABASE_URL"])
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", sqlite_pragmas)  # the same pragmas eventapp sets
    signups = _baseline_table(sa.MetaData())
    app = Flask("baseline")

    @app.get("/e/<slug>")
    def landing(slug):
        return "<form method=post><input type=hidden name=csrf_token value=x>" \
               "<input type=hidden name=view_token value=x></form>"

    @app.post("/e/<slug>")
    def signup(slug):
        with engine.begin() as connection:
            connection.execute(signups.insert().values(email=request.form["email"],
                                                       created_at=datetime.now(timezone.utc)))
        return redirect(f"/r/{secrets.token_urlsafe(24)}", code=303)

    return app


def _baseline_table(metadata):
    import sqlalchemy as sa

    return sa.Table(BASELINE_TABLE, metadata,
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("email", sa.String(320), nullable=False),
                    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))


# ---------------------------------------------------------------- the floor: eventapp's stack, none of its code

def floor_app():
    """What a sign-up costs on eventapp's stack with none of eventapp's own code (served via --call): the same app,
    page, session, CSRF check, rate limit and form validation, then the rows a sign-up writes (contact,
    registration, three lead activities, the outbox row) as Core statements on the session's connection, with no
    ORM objects, no signals, no duplicate or capacity rules. Only for new addresses at an open event without a
    limit, which is what the load sends. eventapp's sign-ups per second ÷ this app's is `floor_ratio`."""
    import secrets as random_tokens

    import sqlalchemy as sa
    from flask import redirect, url_for

    from eventapp import create_app
    from eventapp.contacts.models import Contact
    from eventapp.core.ratelimit import rate_limited
    from eventapp.core.time import utcnow
    from eventapp.core.tokens import ticket_secret, url_token
    from eventapp.events.models import Event, Question
    from eventapp.extensions import db
    from eventapp.leads.models import LeadActivity
    from eventapp.messaging.models import Message
    from eventapp.registration.forms import SignupForm, form_for_event
    from eventapp.registration.models import Registration
    from eventapp.registration.views import _read_view_token

    app = create_app()
    events, questions, contacts = Event.__table__, Question.__table__, Contact.__table__
    event_by_slug = sa.select(events).where(events.c.slug == sa.bindparam("slug"))
    questions_of = sa.select(questions).where(questions.c.event_id == sa.bindparam("event_id"))
    contact_by_email = sa.select(contacts).where(contacts.c.organisation_id == sa.bindparam("organisation_id"),
                                                 contacts.c.email_key == sa.bindparam("email_key"))
    insert_contact = sa.insert(contacts).returning(contacts.c.id)
    insert_registration = sa.insert(Registration.__table__).returning(Registration.__table__.c.id)
    insert_activity = sa.insert(LeadActivity.__table__)
    insert_message = sa.insert(Message.__table__).returning(Message.__table__.c.id)

    @rate_limited(lambda config: config["SIGNUP_RATE_LIMIT"])
    def signup(slug):
        connection = db.session.connection()
        event = SimpleNamespace(**connection.execute(event_by_slug, {"slug": slug}).mappings().one())
        event.questions = [SimpleNamespace(**row) for row in
                           connection.execute(questions_of, {"event_id": event.id}).mappings()]
        form = form_for_event(SignupForm, event)
        if not form.validate_on_submit():
            return "invalid", 422
        viewed_at, nonce = _read_view_token(form.view_token.data, event.id)
        email, now = form.normalised_email, utcnow()
        connection.execute(contact_by_email, {"organisation_id": event.organisation_id, "email_key": email.key}).all()
        details = form.details()
        contact_id = connection.execute(insert_contact, {
            "organisation_id": event.organisation_id, "email": email.address, "email_key": email.key,
            **{name: value for name, value in details.items() if value}}).scalar_one()
        manage_token = url_token()
        registration_id = connection.execute(insert_registration, {
            "event_id": event.id, "contact_id": contact_id, "manage_token": manage_token,
            "ticket_secret": ticket_secret(), "status": "confirmed", "channel": "web", "answers": form.answers(event),
            "sms_opt_in": form.wants_sms, "form_nonce": nonce, "email": email.address,
            **{name: details.get(name) or "" for name in ("first_name", "last_name", "company", "job_title",
                                                           "phone")}}).scalar_one()
        activity = {"organisation_id": event.organisation_id, "contact_id": contact_id, "event_id": event.id,
                    "campaign_id": event.campaign_id, "channel": "web"}
        connection.execute(insert_activity, {**activity, "kind": "page_viewed", "meta": {},
                                             "occurred_at": viewed_at or now})
        connection.execute(insert_activity, {**activity, "kind": "registered", "occurred_at": now,
                                             "meta": {"registration_id": registration_id, "status": "confirmed"}})
        message_id = connection.execute(insert_message, {
            "organisation_id": event.organisation_id, "contact_id": contact_id, "registration_id": registration_id,
            "event_id": event.id, "channel": "email", "kind": "confirmation", "recipient": email.address,
            "recipient_name": f"{details.get('first_name') or ''} {details.get('last_name') or ''}".strip(),
            "idempotency_key": f"reg:{registration_id}:confirmation:{random_tokens.token_hex(6)}:email",
            "status": "queued", "due_at": now, "attempts": 0, "last_error": "", "provider_id": "", "subject": "",
            "body_text": "", "meta": {"sequence": event.calendar_sequence}, "created_at": now}).scalar_one()
        connection.execute(insert_activity, {**activity, "kind": "message_queued", "channel": "email",
                                             "occurred_at": now,
                                             "meta": {"message_id": message_id, "message_kind": "confirmation"}})
        db.session.info.setdefault("outbox", []).append(message_id)  # the same hand-off to the queue
        db.session.commit()
        return redirect(url_for("registration.manage", token=manage_token, new=1), code=303)

    app.view_functions["registration.signup"] = signup
    return app


# ---------------------------------------------------------------- setup: databases and the event

def prepare_databases(env: dict, run_id: str) -> str:
    """Migrate eventapp's database, publish an event without a capacity limit, (re)create the baseline table.
    Returns the event's slug."""
    from datetime import timedelta

    import sqlalchemy as sa

    from eventapp import create_app
    from eventapp.accounts.operations import ensure_organisation
    from eventapp.core.time import utcnow
    from eventapp.events import operations as events
    from eventapp.events.models import EventKind, EventStatus
    from eventapp.extensions import db

    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)  # create_app reads its settings from the environment
    try:
        app = create_app()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    slug = f"bench-{run_id}"
    with app.app_context():
        migrate()
        organisation = ensure_organisation("bench", "Benchmark Marketing Team")
        db.session.flush()
        event = events.save_event(organisation.id, {
            "title": "Benchmark trade show", "slug": slug, "kind": EventKind.TRADE_SHOW, "timezone": "Europe/London",
            "summary": "Come by our stand.", "agenda_md": "## Agenda\n\n- 09:00 doors open\n- 17:00 close",
            "starts_at": utcnow() + timedelta(days=30), "ends_at": utcnow() + timedelta(days=31),
            "venue_name": "ExCeL London", "venue_address": "Royal Victoria Dock, London E16 1XL", "capacity": None})
        events.set_status(event, EventStatus.PUBLISHED)
        db.session.commit()
        db.engine.dispose()

    engine = sa.create_engine(env["BENCH_BASELINE_DATABASE_URL"])
    metadata = sa.MetaData()
    table = _baseline_table(metadata)
    with engine.begin() as connection:
        table.drop(connection, checkfirst=True)
        table.create(connection)
    engine.dispose()
    return slug


def count_rows(env: dict, slug: str) -> dict:
    """What each app really stored, to check the 303s against."""
    import sqlalchemy as sa

    counts = {}
    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        counts["eventapp"] = connection.execute(sa.text(
            "SELECT count(*) FROM registrations r JOIN events e ON e.id = r.event_id WHERE e.slug = :slug"),
            {"slug": slug}).scalar_one()
    engine.dispose()
    engine = sa.create_engine(env["BENCH_BASELINE_DATABASE_URL"])
    with engine.connect() as connection:
        counts["baseline"] = connection.execute(sa.text(f"SELECT count(*) FROM {BASELINE_TABLE}")).scalar_one()
    engine.dispose()
    return counts


# ---------------------------------------------------------------- the load: client processes with threads

def cookies_from(response) -> dict:
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        cookies[name.strip()] = value.strip()
    return cookies


class LandingPageError(Exception):
    pass


def open_session(connection, path: str) -> tuple[dict, dict]:
    """Load the landing page as a visitor: the form's hidden fields and the headers for posting it."""
    connection.request("GET", path)
    page = connection.getresponse()
    body = page.read().decode()
    if page.status != 200:
        raise LandingPageError(f"landing page {page.status}")
    # The session cookie from the landing page is kept; the one a sign-up sets (with a flash message for the page
    # we do not follow) is not, or it would grow with every sign-up as no real visitor's does.
    cookie = "; ".join(f"{name}={value}" for name, value in cookies_from(page).items())
    return hidden_inputs(body), {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}


def client(port: int, path: str, label: str, prepared: threading.Barrier, go, timing, result: dict):
    """One visitor: load the page, wait for the go, post sign-ups until the window ends. Latencies of the posts
    sent inside the measured window go into result."""
    latencies, statuses, failures = [], Counter(), Counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        try:
            hidden, headers = open_session(connection, path)
        except LandingPageError as error:
            failures[str(error)] += 1
            return
        except (OSError, http.client.HTTPException) as error:
            failures[f"landing page {type(error).__name__}"] += 1
            return
        finally:
            prepared.wait()
        go.wait()
        _start_at, measure_from, stop_at = timing[:]
        number = 0
        while (sent := time.time()) < stop_at:
            number += 1
            form = urllib.parse.urlencode({
                **hidden, "first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines Ltd",
                "email": f"{label}-{number}@bench.example.org", "job_title": "Head of Marketing",
                "phone": "+44 20 7946 0958"})
            began = time.perf_counter()
            try:
                connection.request("POST", path, body=form, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                if sent >= measure_from:
                    failures[type(error).__name__] += 1
                connection.close()  # the next request opens a fresh connection
                continue
            elapsed = time.perf_counter() - began
            if sent >= measure_from:
                statuses[response.status] += 1
                if response.status == 303:
                    latencies.append(elapsed)
    except threading.BrokenBarrierError:
        failures["load generator out of step"] += 1
    finally:
        connection.close()
        result.update(latencies=latencies, statuses=statuses, failures=failures)


def client_process(index: int, port: int, path: str, run_label: str, thread_count: int, go, timing, reports):
    """One load process: thread_count visitors; reports when they have their sessions, then its results and its
    own CPU time over the measured window."""
    prepared = threading.Barrier(thread_count + 1, timeout=REQUEST_TIMEOUT + 10)
    results = [{} for _ in range(thread_count)]
    threads = [threading.Thread(target=client, daemon=True,
                                args=(port, path, f"{run_label}-{index}-{number}", prepared, go, timing,
                                      results[number]))
               for number in range(thread_count)]
    for thread in threads:
        thread.start()
    try:
        prepared.wait()
    except threading.BrokenBarrierError:
        pass
    reports.put(("ready", index, None))
    if not go.wait(timeout=120):
        return  # the benchmark gave up on this phase
    _start_at, measure_from, stop_at = timing[:]
    cpu = own_cpu_over_window(measure_from, stop_at)
    for thread in threads:
        thread.join(REQUEST_TIMEOUT + 5)
    reports.put(("done", index, {"cpu": cpu, "clients": results}))


def collect(reports, kind: str, processes: list, timeout: float) -> list:
    """Wait for one report of this kind from each load process; fail fast when one of them dies."""
    deadline = time.monotonic() + timeout
    payloads = []
    while len(payloads) < len(processes):
        try:
            report, _index, payload = reports.get(timeout=0.5)
        except queue.Empty:
            if dead := [process.exitcode for process in processes if process.exitcode not in (None, 0)]:
                raise RuntimeError(f"a load generator process exited with code {dead[0]}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"the load generator did not report '{kind}' in {timeout:.0f} s") from None
            continue
        if report == kind:
            payloads.append(payload)
    return payloads


def put_load(server: Server, path: str, run_label: str, seconds: float, args) -> dict:
    """One measured phase against one server: raw latencies, statuses and CPU use."""
    process_count = min(args.client_processes, args.clients)
    per_process = [args.clients // process_count + (1 if index < args.clients % process_count else 0)
                   for index in range(process_count)]
    context = multiprocessing.get_context("spawn")
    go, timing, reports = context.Event(), context.Array("d", 3), context.Queue()
    processes = [context.Process(target=client_process, daemon=True,
                                 args=(index, server.port, path, run_label, count, go, timing, reports))
                 for index, count in enumerate(per_process)]
    try:
        for process in processes:
            process.start()
        collect(reports, "ready", processes, timeout=60)
        start_at = time.time()
        measure_from = start_at + args.warmup
        stop_at = measure_from + seconds
        timing[:] = [start_at, measure_from, stop_at]
        go.set()
        server_cpu, busy = server_cpu_over_window(server, measure_from, stop_at)
        outcomes = collect(reports, "done", processes, timeout=REQUEST_TIMEOUT + 30)
        for process in processes:
            process.join(10)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(5)

    return phase_figures(outcomes, seconds, server_cpu, busy, ("statuses", "failures"))


def summarise(phases: list[dict]) -> dict:
    seconds, latencies, statuses, failures = merged(phases, "statuses", "failures")
    ok = statuses.get(303, 0)
    errors = {**{str(status): count for status, count in statuses.items() if status != 303}, **failures}
    server_cpu = sum(phase["server_cpu"] for phase in phases)
    return {
        "rps": round(ok / seconds, 1),
        **latency_ms(latencies),
        "ok": ok,
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "server_cpu_ms_per_signup": round(server_cpu * 1000 / ok, 2) if ok else None,
        "cpu_share": cpu_shares(phases),
    }


# ---------------------------------------------------------------- one database, both apps

APPS = {"baseline": (Path(__file__).stem, "baseline_app"), "eventapp": ("eventapp", "create_app"),
        "floor": (Path(__file__).stem, "floor_app")}


def bench_database(kind: str, database_url: str, baseline_url: str, work_dir: Path, run_id: str,
                   args) -> dict:
    data_dir = work_dir / kind
    data_dir.mkdir()
    env = {
        "EVENTAPP_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "EVENTAPP_SIGNUP_RATE_LIMIT": SIGNUP_RATE_LIMIT,
        "EVENTAPP_RATE_LIMITS": "1",  # on, whatever the caller's shell says
        "BENCH_BASELINE_DATABASE_URL": baseline_url,
    }
    print(f"[{kind}] preparing the databases ...", flush=True)
    slug = prepare_databases(env, run_id)
    path = f"/e/{slug}"
    names = ["baseline", "eventapp"]
    environments = {"baseline": env, "eventapp": env}
    if kind == "sqlite":  # its own database, prepared alike (the slug comes out the same)
        (work_dir / "floor").mkdir()
        environments["floor"] = {**env, "EVENTAPP_DATA_DIR": str(work_dir / "floor"),
                                 "DATABASE_URL": f"sqlite:///{work_dir / 'floor' / 'floor.db'}"}
        prepare_databases(environments["floor"], run_id)
        names.append("floor")
    servers, phases = {}, {name: [] for name in names}
    try:
        for name in names:
            servers[name] = Server(f"{kind}-{name}", APPS[name], args, environments[name], work_dir)
        for server in servers.values():
            server.wait_ready(path)
        # Both servers stay up (the idle one costs nothing); the apps take turns, in alternating order, so a
        # change in the machine's other load hits both alike.
        seconds = args.seconds / args.rounds
        for round_number in range(args.rounds):
            order = names if round_number % 2 == 0 else list(reversed(names))
            for name in order:
                print(f"[{kind}] round {round_number + 1}/{args.rounds} {name}: {args.clients} clients, "
                      f"{args.warmup:g} s warm-up + {seconds:g} s ...", flush=True)
                phases[name].append(put_load(servers[name], path, f"{run_id}-{kind}-{name}-{round_number}",
                                             seconds, args))
    finally:
        for server in servers.values():
            server.stop()
    results = {name: summarise(phases[name]) for name in names}
    for name, server in servers.items():
        if results[name]["errors"]:
            print(f"[{kind}] {name} errors: {results[name]['error_kinds']}; server log tail:\n"
                  f"{server.log_tail(15)}", flush=True)
    baseline, ours = results["baseline"], results["eventapp"]
    figures = {
        **results,
        "ratio": _ratio(ours["rps"], baseline["rps"]),
        "cpu_ratio": _ratio(baseline["server_cpu_ms_per_signup"], ours["server_cpu_ms_per_signup"]),
        "rows_stored": count_rows(env, slug),
    }
    if "floor" in results:
        figures["floor_ratio"] = _ratio(ours["rps"], results["floor"]["rps"])
        figures["stack_ratio"] = _ratio(results["floor"]["rps"], baseline["rps"])
        figures["rows_stored"]["floor"] = count_rows(environments["floor"], slug)["eventapp"]
    return figures


def _ratio(numerator, denominator):
    return round(numerator / denominator, 3) if numerator and denominator else None


def print_table(kind: str, figures: dict) -> None:
    print(f"\n{kind}")
    print(f"  {'':<10} {'sign-ups/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'ok':>7} {'errors':>7} {'rows stored':>12} "
          f"{'server CPU ms/sign-up':>22}   CPU share: server / load generator / other")
    for name in ("baseline", "eventapp", "floor"):
        if name not in figures:
            continue
        row = figures[name]
        cpu = row["server_cpu_ms_per_signup"]
        share = row["cpu_share"]
        print(f"  {name:<10} {row['rps']:>10.1f} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['ok']:>7} "
              f"{row['errors']:>7} {figures['rows_stored'][name]:>12} {cpu if cpu is not None else '-':>22}   "
              f"{share['server']:.0%} / {share['load_generator']:.0%} / {share['other']:.0%}")
    print("  (rows stored include the warm-up sign-ups; CPU shares are of all CPUs, 'other' is everything else on "
          "the machine, for PostgreSQL the database server too)")
    print(f"  ratio (eventapp ÷ baseline sign-ups/s): {figures['ratio']}   "
          f"(baseline ÷ eventapp server CPU per sign-up: {figures['cpu_ratio']})")
    if "floor" in figures:
        print(f"  floor_ratio (eventapp ÷ floor sign-ups/s): {figures['floor_ratio']}   "
              f"(floor ÷ baseline: {figures['stack_ratio']}, the most this stack allows a sign-up)")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_load_arguments(parser, "measured seconds per app and database")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    add_server_arguments(parser)
    add_database_url_argument(parser)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory (and logs)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    exit_on_sigterm()
    run_id = secrets.token_hex(4)
    work_dir = Path(tempfile.mkdtemp(prefix="bench-registration-"))
    settings = server_settings(args)
    print(f"bench/registration.py: {settings}, {args.clients} clients in {args.client_processes} "
          f"processes, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, work dir {work_dir}",
          flush=True)
    summary = {"bench": "registration", "clients": args.clients, "seconds": args.seconds, **settings}
    try:
        summary["sqlite"] = bench_database("sqlite", f"sqlite:///{work_dir / 'eventapp.db'}",
                                           f"sqlite:///{work_dir / 'baseline.db'}", work_dir, run_id, args)
        summary["postgresql"] = bench_postgresql(
            args.database_url, f"bench_registration_{run_id}",
            lambda url: bench_database("postgresql", url, url, work_dir, run_id, args))
    finally:
        remove_work_dir(work_dir, args.keep)

    print_table("sqlite", summary["sqlite"])
    print_postgresql(summary["postgresql"], print_table)
    sqlite = summary["sqlite"]
    summary.update(ratio=sqlite["ratio"], floor_ratio=sqlite["floor_ratio"], p95_ms=sqlite["eventapp"]["p95_ms"])
    met = (summary["floor_ratio"] or 0) >= TARGET_FLOOR_RATIO and summary["p95_ms"] < TARGET_P95_MS
    summary["target_met"] = met
    print(f"\ntarget (SQLite, {args.clients} clients): floor_ratio >= {TARGET_FLOOR_RATIO} and p95 < "
          f"{TARGET_P95_MS:.0f} ms -> {'met' if met else 'NOT met'} (floor_ratio {summary['floor_ratio']}, p95 "
          f"{summary['p95_ms']} ms; ratio to the bare insert {summary['ratio']})")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
