"""What the benchmark scripts share: the servers and workers they start (each in its own process group), CPU and
memory readings from /proc, PostgreSQL reachability and a throwaway schema per run, latency percentiles and CPU
shares, page scraping and logins, and the command-line options and report lines they have in common.

Not a script: bench/registration.py, bench/messaging.py and bench/checkin.py import it (Python puts the running
script's directory, bench/, on sys.path; the servers started here get it on their PYTHONPATH too).
"""
import html
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REQUEST_TIMEOUT = 30  # seconds; a request slower than this is an error, not a hang


# ---------------------------------------------------------------- databases

def sqlite_pragmas(dbapi_connection, _record):
    """The pragmas eventapp sets on each SQLite connection (for the baselines' engines)."""
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def migrate() -> None:
    """Upgrade eventapp's database to the latest migration (inside an app context)."""
    from flask_migrate import upgrade

    try:
        upgrade()
    except SystemExit:  # Flask-Migrate logs the error and exits
        raise RuntimeError("migrating the database failed (the error is above)") from None


def postgres_unreachable(url: str) -> str | None:
    """Why we cannot use this PostgreSQL URL, or None when we can connect."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 (any failure means: skip PostgreSQL, say why)
        first_line = str(error).splitlines()[0] if str(error) else ""
        return f"{type(error).__name__}: {first_line}"
    return None


class TemporarySchema:
    """CREATE SCHEMA for the run, DROP … CASCADE afterwards, so each run starts from empty tables like SQLite does
    and the database named by --database-url is left as it was; .url points search_path at it (for every
    process)."""

    def __init__(self, url: str, name: str):
        import sqlalchemy as sa

        self.admin_url, self.name = url, name
        self.url = sa.engine.make_url(url).update_query_dict({"options": f"-csearch_path={name}"}) \
            .render_as_string(hide_password=False)

    def _execute(self, statement: str) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.admin_url, connect_args={"connect_timeout": 5})
        with engine.begin() as connection:
            connection.execute(sa.text(statement))
        engine.dispose()

    def __enter__(self):
        self._execute(f'CREATE SCHEMA "{self.name}"')
        return self

    def __exit__(self, *_exc):
        self._execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')


def bench_postgresql(database_url: str, schema_name: str, bench) -> dict:
    """bench(schema_url) in a fresh schema, or why PostgreSQL was skipped or failed (SQLite's figures still count)."""
    if not database_url:
        return {"skipped": "no --database-url or BENCH_POSTGRES_URL"}
    if why := postgres_unreachable(database_url):
        return {"skipped": f"not reachable: {why}"}
    try:
        with TemporarySchema(database_url, schema_name) as schema:
            return bench(schema.url)
    except Exception as error:  # noqa: BLE001 (say what went wrong)
        return {"failed": f"{type(error).__name__}: {error}"}


# ---------------------------------------------------------------- processes: servers, workers, CPU and memory

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ProcessGroup:
    """A child process in its own process group, its output in a log file; stop() ends the whole group."""

    log_lines = 30  # log_tail()'s default

    def _start(self, command: list[str], env: dict, log_path: Path) -> None:
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)

    def _members(self):
        """(/proc entry, stat fields after the command name) of every live process in the group."""
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) != self.process.pid:  # fields[2] is the process group id
                    continue
            except (OSError, ValueError, IndexError):
                continue
            yield entry, fields

    def cpu_seconds(self) -> float:
        """User + system CPU of every live process in the group (e.g. a server's master and its workers)."""
        ticks = sum(int(fields[11]) + int(fields[12]) for _entry, fields in self._members())
        return ticks / os.sysconf("SC_CLK_TCK")

    def resident_mb(self) -> dict:
        """Resident memory (MB) of every live process in the group, by pid."""
        sizes = {}
        for entry, _fields in self._members():
            try:
                for line in Path(entry.path, "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[int(entry.name)] = int(line.split()[1]) / 1024
            except (OSError, ValueError, IndexError):
                continue
        return sizes

    def log_tail(self, lines: int | None = None) -> str:
        if not self.log.closed:
            self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-(lines or self.log_lines):])

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.log.close()


class Server(ProcessGroup):
    """One WSGI server (gunicorn or waitress, per args) on 127.0.0.1 serving module:factory()."""

    def __init__(self, name: str, app_spec: tuple[str, str], args, env: dict, log_dir: Path):
        self.name = name
        self.port = free_port()
        module, factory = app_spec
        if args.server == "gunicorn":
            command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                       "--workers", str(args.workers), "--worker-class", args.worker_class,
                       # (gunicorn turns sync workers into gthread ones when given --threads)
                       *(["--threads", str(args.threads)] if args.worker_class == "gthread" else []),
                       "--pythonpath", str(BENCH_DIR),
                       "--log-level", "warning", f"{module}:{factory}()"]
        else:
            command = [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{self.port}",
                       f"--threads={args.threads}", "--call", f"{module}:{factory}"]
        server_env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(BENCH_DIR), os.environ.get("PYTHONPATH")]))}
        self._start(command, server_env, log_dir / f"{name}.log")

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path)
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} server not ready after {timeout:.0f} s:\n{self.log_tail()}")


def busy_cpu_seconds() -> float:
    """CPU time spent by everything on the machine (all CPUs), from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def server_cpu_over_window(server: ProcessGroup, measure_from: float, stop_at: float) -> tuple[float, float]:
    """Sleep through the measured window (time.time() values); the server's CPU seconds and the whole machine's
    busy CPU seconds over it."""
    time.sleep(max(0.0, measure_from - time.time()))
    server_cpu_from, busy_from = server.cpu_seconds(), busy_cpu_seconds()
    time.sleep(max(0.0, stop_at - time.time()))
    return server.cpu_seconds() - server_cpu_from, busy_cpu_seconds() - busy_from


def own_cpu_over_window(measure_from: float, stop_at: float) -> float:
    """Sleep through the measured window; this process's CPU seconds over it (a load process's threads)."""
    time.sleep(max(0.0, measure_from - time.time()))
    cpu_from = time.process_time()
    time.sleep(max(0.0, stop_at - time.time()))
    return time.process_time() - cpu_from


def remove_work_dir(work_dir: Path, keep: bool) -> None:
    """The end of a run: remove the temporary work dir (databases, logs), or say where it was kept."""
    if keep:
        print(f"kept {work_dir}")
    else:
        shutil.rmtree(work_dir, ignore_errors=True)


def exit_on_sigterm() -> None:
    """A SIGTERM runs the finally blocks too, so no server, worker or client outlives the benchmark."""
    def handler(*_):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not interrupt that cleanup
        sys.exit(143)

    signal.signal(signal.SIGTERM, handler)


# ---------------------------------------------------------------- figures

def percentile(values: list[float], percent: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def phase_figures(outcomes: list[dict], seconds: float, server_cpu: float, busy: float, counters: tuple) -> dict:
    """One measured phase from the load processes' outcomes ({"cpu", "clients": [result, ...]}): the clients'
    latencies and counters (e.g. statuses, failures) merged, and the CPU of the server, the load generator and
    everything else."""
    phase = {"seconds": seconds, "latencies": [], **{name: Counter() for name in counters},
             "server_cpu": server_cpu, "load_cpu": sum(outcome["cpu"] for outcome in outcomes)}
    phase["other_cpu"] = max(0.0, busy - server_cpu - phase["load_cpu"])
    for outcome in outcomes:
        for result in outcome["clients"]:
            phase["latencies"] += result.get("latencies", [])
            for name in counters:
                phase[name].update(result.get(name, {}))
    return phase


def merged(phases: list[dict], *counters: str) -> tuple:
    """Total seconds, all latencies, and each named counter summed over the phases."""
    totals = [Counter() for _ in counters]
    for phase in phases:
        for total, name in zip(totals, counters):
            total.update(phase[name])
    return (sum(phase["seconds"] for phase in phases),
            [latency for phase in phases for latency in phase["latencies"]], *totals)


def latency_ms(latencies: list[float]) -> dict:
    return {"p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "p95_ms": round(percentile(latencies, 95) * 1000, 1)}


def cpu_shares(phases: list[dict]) -> dict:
    """Shares of all CPUs during the measured windows: the app's server, our load generator, everything else
    (other programs on the machine; for PostgreSQL also the database server)."""
    cpu_capacity = sum(phase["seconds"] for phase in phases) * os.cpu_count()
    return {"server": round(sum(phase["server_cpu"] for phase in phases) / cpu_capacity, 2),
            "load_generator": round(sum(phase["load_cpu"] for phase in phases) / cpu_capacity, 2),
            "other": round(sum(phase["other_cpu"] for phase in phases) / cpu_capacity, 2)}


# ---------------------------------------------------------------- pages and logins

INPUT_TAG = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'([\w-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s>]+))')


def hidden_inputs(page: str) -> dict:
    """A page's hidden form fields (the CSRF token among them), by name."""
    fields = {}
    for tag in INPUT_TAG.findall(page):
        attributes = {name.lower(): html.unescape(a or b or c) for name, a, b, c in ATTRIBUTE.findall(tag)}
        if attributes.get("type", "").lower() == "hidden" and "name" in attributes:
            fields[attributes["name"]] = attributes.get("value", "")
    return fields


def login_cookies(base: str, email: str, password: str, timeout: float = REQUEST_TIMEOUT) -> dict:
    """Log in through the /login form (csrf_token from the page) with requests; the session's cookies."""
    import requests

    with requests.Session() as session:
        page = session.get(f"{base}/login", timeout=timeout)
        page.raise_for_status()
        answer = session.post(f"{base}/login", data={**hidden_inputs(page.text), "email": email,
                                                     "password": password},
                              allow_redirects=False, timeout=timeout)
        if answer.status_code != 303:
            raise RuntimeError(f"login as {email} at {base} answered {answer.status_code}")
        return session.cookies.get_dict()


# ---------------------------------------------------------------- command line and report

def add_database_url_argument(parser) -> None:
    parser.add_argument("--database-url", default=os.environ.get("BENCH_POSTGRES_URL", ""),
                        help="PostgreSQL URL (default: $BENCH_POSTGRES_URL; PostgreSQL is skipped without one)")


def add_load_arguments(parser, seconds_help: str) -> None:
    """The options of the scripts that serve two apps under load: timing, load processes, the WSGI server."""
    parser.add_argument("--seconds", type=float, default=10, help=seconds_help)
    parser.add_argument("--rounds", type=int, default=2, help="turns each app takes (the seconds are split)")
    parser.add_argument("--warmup", type=float, default=1, help="seconds of load before each measured turn")


def add_server_arguments(parser) -> None:
    parser.add_argument("--client-processes", type=int, default=4, help="load generator processes")
    parser.add_argument("--server", choices=("gunicorn", "waitress"), default="gunicorn")
    # One per core, as the README recommends on SQLite: more processes only queue for its one writer lock (measured:
    # with 4, sign-ups and door scans were no faster and their p95 latency was higher).
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="gunicorn worker processes (default: one per core)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync, gthread)")
    parser.add_argument("--threads", type=int, default=8,
                        help="waitress threads; threads per gunicorn worker (gthread only)")


def server_settings(args) -> dict:
    return {"server": args.server, **({"workers": args.workers, "worker_class": args.worker_class}
                                      if args.server == "gunicorn" else {}),
            "threads": args.threads}


def print_postgresql(postgresql: dict, print_table) -> None:
    """PostgreSQL's table, or the line saying why it was skipped or failed."""
    if "skipped" in postgresql or "failed" in postgresql:
        print(f"\npostgresql: {', '.join(f'{key} ({value})' for key, value in postgresql.items())}")
    else:
        print_table("postgresql", postgresql)
