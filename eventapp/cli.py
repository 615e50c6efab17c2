"""The `eventapp` command: serve, worker, demo, db, user."""
import contextlib
import signal
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade as migrate_to_head

from eventapp.accounts.models import Role


def _create_app(*_args):
    from eventapp import create_app

    return create_app()


def main():
    # Flask-Migrate's `db` group comes in through its flask.commands entry point.
    cli = FlaskGroup(create_app=_create_app, add_version_option=False, load_dotenv=False,
                     help="eventapp: event registration and invitations.")
    cli.main(prog_name="eventapp")


def register_commands(app):
    app.cli.add_command(serve)
    app.cli.add_command(worker)
    app.cli.add_command(demo)
    app.cli.add_command(user)
    app.cli.add_command(contacts)
    app.cli.add_command(leads)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo", "with_demo", is_flag=True, help="Load the demo data first.")
@click.option("--no-worker", is_flag=True, help="Do not run the queue consumer in this process.")
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def serve(host, port, with_demo, no_worker, threads):
    """Run the production server (waitress), after bringing the database to head."""
    import waitress

    app = current_app._get_current_object()
    if not no_worker:  # this process sends: its mail must not point at a host and port only this machine knows
        _refuse_links_nobody_can_open(app.config, "eventapp serve")
    if not app.config.get("BASE_URL"):
        app.config["BASE_URL"] = f"http://{host}:{port}"  # links in mail point back at this server
    migrate_to_head()
    if with_demo:
        _load_demo_and_print(f"http://{host}:{port}")
    consumer = None if no_worker else _start_consumer(app)
    if consumer is not None:
        _schedule_recovery(app)
    click.echo(f"eventapp is serving on http://{host}:{port}  (Ctrl+C stops it)")
    try:
        # create_server + run: what waitress.serve does, without its own "Serving on" line (we said it above)
        waitress.create_server(app, host=host, port=port, threads=threads, ident="eventapp",
                               **waitress_proxy_options(app.config)).run()
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)


def waitress_proxy_options(config) -> dict:
    """Behind EVENTAPP_PROXY_COUNT proxies, waitress passes X-Forwarded-* through to the app, whose ProxyFix (in
    create_app, so that gunicorn gets the same) reads them; with no proxy, waitress removes them.

    Waitress could read them itself (trusted_proxy, trusted_proxy_count, trusted_proxy_headers), but it trusts
    one proxy address or "*", and the app would then read the headers a second time: one reading, the app's,
    serves every server. Waitress 3 clears the headers by default (clear_untrusted_proxy_headers=True), which
    left every request behind nginx with the proxy's address: one rate-limit count for everyone."""
    return {"clear_untrusted_proxy_headers": not config.get("PROXY_COUNT")}


# An idle consumer looks at the SQLite queue at least this often (Huey's default backs off to 10 s, which a
# confirmation mail waited for whenever the worker had been idle). Redis queues block instead of polling.
IDLE_POLL_SECONDS = 1.0


def _start_consumer(app):
    """The queue consumer on threads beside the web server. Huey's start() takes over SIGINT/SIGTERM for a
    consumer that owns the process; here the server does, so Ctrl+C and SIGTERM must stop the server."""
    consumer = app.extensions["huey"].create_consumer(workers=2, worker_type="thread", periodic=True,
                                                      check_worker_health=False, max_delay=IDLE_POLL_SECONDS)
    consumer.start()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    return consumer


def _exit_on_sigterm(_signum, _frame):
    raise SystemExit(0)  # unwinds through serve()'s finally, which stops the consumer


@click.command()
@click.option("--workers", default=2, show_default=True, type=int)
@with_appcontext
def worker(workers):
    """Run the queue consumer alone (for deployments with separate web and worker processes)."""
    app = current_app._get_current_object()
    _refuse_links_nobody_can_open(app.config, "eventapp worker")
    consumer = app.extensions["huey"].create_consumer(workers=workers, worker_type="thread", periodic=True,
                                                      max_delay=IDLE_POLL_SECONDS)
    _schedule_recovery(app)
    consumer.run()


class NotConfigured(click.ClickException):
    exit_code = 2  # as a file that cannot be read: the command cannot do its work as set up


def _refuse_links_nobody_can_open(config, command: str) -> None:
    """Mail and SMS that really go out need BASE_URL: without it their manage, ticket and unsubscribe links point
    at 127.0.0.1 (or the host serve was given), which no recipient can open. The dev mailbox (no SMTP_URL and no
    Twilio) is read on this machine, where such links work."""
    if config.get("BASE_URL"):
        return
    sending = [name for name, key in (("SMTP_URL", "SMTP_URL"), ("TWILIO_ACCOUNT_SID", "TWILIO_ACCOUNT_SID"))
               if config.get(key)]
    if sending:
        raise NotConfigured(
            f"{' and '.join(sending)} {'are' if len(sending) > 1 else 'is'} set, so mail and SMS really go out, but "
            f"BASE_URL is not: their links would point at 127.0.0.1, which no recipient can open. Set BASE_URL to "
            f"the address people reach this site at (e.g. BASE_URL=https://events.example.com) and start "
            f"{command} again.")


def _schedule_recovery(app) -> None:
    """At start, sweep once now and once when a dead predecessor's claims have expired, instead of waiting for the
    minute's periodic sweep: what a crashed worker left behind goes out as soon as it safely can."""
    sweep = app.extensions["tasks"]["sweep"]
    sweep.schedule(delay=0)
    sweep.schedule(delay=app.config["OUTBOX_LEASE_SECONDS"] + 1)


@click.command()
@with_appcontext
def demo():
    """Load the demo organisation, events, contacts and registrations (idempotent)."""
    migrate_to_head()
    base = current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"
    _load_demo_and_print(base)


def _load_demo_and_print(base_url: str) -> None:
    from eventapp.demo import (DEMO_EMAIL, DEMO_PARTNER_EMAIL, DEMO_PARTNER_PASSWORD, DEMO_PASSWORD,
                               DEMO_SALES_EMAIL, DEMO_SALES_PASSWORD, DEMO_ZH_EMAIL, DEMO_ZH_PASSWORD,
                               demo_partner_link, load_demo)

    events = load_demo()
    click.echo("Demo data is ready.")
    for event in events:
        click.echo(f"  {str(event.kind_label):<22} {base_url}/e/{event.slug}")
    click.echo(f"  Back office: {base_url}/login  email {DEMO_EMAIL}  password {DEMO_PASSWORD}")
    click.echo(f"  Partner portal: {base_url}/login  email {DEMO_PARTNER_EMAIL}  password {DEMO_PARTNER_PASSWORD}")
    click.echo(f"  The partner's tracked link: {demo_partner_link(base_url)}")
    mailbox = "through SMTP" if current_app.config.get("SMTP_URL") else f"in {base_url}/dev/mailbox/ (log in first)"
    click.echo(f"  The seminar's invitation to three demo contacts: sent by the worker, {mailbox}")
    click.echo(f"  Sales (My leads): {base_url}/login  email {DEMO_SALES_EMAIL}  password {DEMO_SALES_PASSWORD}")
    click.echo(f"  A lead handed to sales: its mail with the feedback link, {mailbox}")
    click.echo(f"  In Chinese (back office 简体中文): {base_url}/login  email {DEMO_ZH_EMAIL}  password {DEMO_ZH_PASSWORD}")


@click.group()
def user():
    """Manage back-office users."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--org", "org_slug", default=None,
              help="Organisation slug (created if new). Without it: the only organisation there is, or 'default'.")
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(email, role, org_slug, name, password_stdin):
    """Create a user (or reset their password and role)."""
    import sqlalchemy as sa

    from eventapp.accounts.models import Organisation
    from eventapp.accounts.operations import create_user, ensure_organisation
    from eventapp.contacts.normalisation import InvalidInput, normalise_email
    from eventapp.extensions import db

    try:
        address = normalise_email(email).address
    except InvalidInput as error:
        raise click.BadParameter(str(error), param_hint="--email") from None
    if org_slug is None:  # e.g. after `eventapp serve --demo`: the owner joins the demo organisation
        slugs = db.session.execute(sa.select(Organisation.slug).order_by(Organisation.slug)).scalars().all()
        if len(slugs) > 1:
            raise click.UsageError(f"there are several organisations; name one with --org ({', '.join(slugs)})")
        org_slug = slugs[0] if slugs else "default"
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    from eventapp.accounts.passwords import password_problem

    if problem := password_problem(password, address):
        raise click.BadParameter(problem, param_hint="password")
    organisation = ensure_organisation(org_slug, org_slug.replace("-", " ").title())
    create_user(address, password, Role(role), organisation, name=name)
    db.session.commit()
    click.echo(f"User {address} is {role} of organisation '{org_slug}'.")


@user.command("deactivate")
@click.option("--email", required=True)
@with_appcontext
def deactivate_user_command(email):
    """Refuse the user's logins and end every session they have, on every device."""
    _set_active(email, False)


@user.command("activate")
@click.option("--email", required=True)
@with_appcontext
def activate_user_command(email):
    """Let a deactivated user log in again."""
    _set_active(email, True)


def _set_active(email: str, active: bool) -> None:
    from eventapp.accounts.operations import find_user, set_active
    from eventapp.extensions import db

    found = find_user(email)
    if found is None:
        raise click.BadParameter(f"there is no user with the email {email.strip()!r}", param_hint="--email")
    set_active(found, active)
    db.session.commit()
    if active:
        click.echo(f"User {found.email} is active and can log in.")
    else:
        click.echo(f"User {found.email} is deactivated: their sessions have ended and they cannot log in.")


# ---- contacts: importing a list (issue 15) ------------------------------------------------------------------------

@click.group()
def contacts():
    """Contacts of an organisation."""


class UnreadableList(click.ClickException):
    exit_code = 2  # the file cannot be imported at all (bad rows in a readable file are reported, exit 0)


@contacts.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--org", "org_slug", default=None, help="Organisation slug. Without it: the only organisation there is.")
@click.option("--consent-basis", default="",
              help="What the people on the list consented to, and how. Needed to record a consent column.")
@with_appcontext
def import_contacts_command(file, org_slug, consent_basis):
    """Import a contact list (CSV or XLSX with a header row) and print what became of each row."""
    from eventapp.contacts import importing
    from eventapp.contacts.importing import ImportField
    from eventapp.extensions import db

    organisation = _organisation(org_slug)
    job = _new_import(importing, organisation.id, file, consent_basis)
    mapping = job.mapping
    if ImportField.CONSENT in mapping and not consent_basis.strip():
        mapping = [name if name != ImportField.CONSENT else ImportField.IGNORE for name in mapping]
        click.echo("The consent column is ignored: say what people consented to with --consent-basis to record it.")
    if problem := importing.mapping_problem(mapping, consent_basis):
        db.session.rollback()
        raise UnreadableList(f"{file}: {problem}")
    click.echo("Columns: " + ", ".join(f"{name or '?'} → {ImportField(field).label}"
                                       for name, field in zip(importing.open_sheet(job.content).header, mapping)))
    importing.start(job, mapping, consent_basis)
    db.session.commit()
    importing.claim(job.id, lease_seconds=3600)
    importing.run(job)
    _print_import_report(job.id)


def _organisation(slug: str | None):
    import sqlalchemy as sa

    from eventapp.accounts.models import Organisation
    from eventapp.extensions import db

    query = sa.select(Organisation).order_by(Organisation.slug)
    found = db.session.scalars(query.where(Organisation.slug == slug) if slug else query).all()
    if slug and not found:
        raise click.BadParameter(f"there is no organisation with the slug {slug!r}", param_hint="--org")
    if len(found) != 1:
        names = ", ".join(organisation.slug for organisation in found) or "none yet"
        raise click.UsageError(f"name the organisation with --org (there are: {names})")
    return found[0]


def _new_import(importing, organisation_id: int, file: Path, consent_basis: str):
    try:
        if file.stat().st_size > importing.MAX_BYTES:
            raise importing.UnreadableFile(f"the file is larger than {importing.MAX_BYTES // (1024 * 1024)} MB")
        return importing.new_import(organisation_id, None, file.name, file.read_bytes(), consent_basis)
    except (OSError, importing.UnreadableFile) as error:
        raise UnreadableList(f"{file}: {error.strerror if isinstance(error, OSError) else error}") from None


def _print_import_report(job_id: int) -> None:
    from eventapp.contacts.importing import report_table
    from eventapp.contacts.models import ImportJob, ImportOutcome
    from eventapp.extensions import db

    rows = db.session.execute(report_table(job_id).execution_options(yield_per=1000))
    for number, outcome, reason, email in rows:
        click.echo("  ".join(part for part in (f"row {number}:", str(ImportOutcome(outcome).label).lower(),
                                                email or "", reason) if part))
    job = db.session.get(ImportJob, job_id)
    click.echo(f"{job.processed_rows} rows: {job.imported} imported, {job.updated} updated, {job.skipped} skipped"
               f" ({job.suppressed} of the imported and updated are suppressed and get no marketing mail).")
    if job.error:  # the file broke further down: the rows above were imported
        raise UnreadableList(f"the import stopped at row {job.last_row + 1}: {job.error}")


# ---- leads: the CRM-ready export (issue 16) ----------------------------------------------------------------------

@click.group()
def leads():
    """Leads of an organisation."""


@leads.command("export")
@click.option("--org", "org_slug", default=None, help="Organisation slug. Without it: the only organisation there is.")
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The file to write. Without it: standard output (CSV only).")
@click.option("--event", "event_id", type=int, help="Only people invited to or registered for this event (id).")
@click.option("--campaign", "campaign_id", type=int, help="Only people of this campaign's events (id).")
@click.option("--partner", "partner_id", type=int, help="Only people this partner brought or invited (id).")
@click.option("--channel", help="Only people who signed up through this channel (web, invitation, partner:CODE…).")
@click.option("--stage", help="Only leads at this stage (new, engaged, mql, handed_off, accepted…).")
@click.option("--min-score", "score_min", type=float, help="Lowest primary score.")
@click.option("--max-score", "score_max", type=float, help="Highest primary score.")
@click.option("--active-from", type=click.DateTime(["%Y-%m-%d"]), help="Last activity on or after this UTC day.")
@click.option("--active-to", type=click.DateTime(["%Y-%m-%d"]), help="Last activity on or before this UTC day.")
@with_appcontext
def export_leads_command(org_slug, file_format, output, active_from, active_to, **filters):
    """The CRM-ready lead export: the same file as the back office's download, logged the same way."""
    from eventapp.extensions import db
    from eventapp.leads import exports

    organisation = _organisation(org_slug)
    if file_format == "xlsx" and output is None:
        raise click.UsageError("an XLSX file needs --output FILE (standard output is for CSV)")
    chosen = exports.Filters(**filters, active_from=active_from and active_from.date(),
                             active_to=active_to and active_to.date())
    if problems := exports.filter_problems(organisation.id, chosen):
        raise click.UsageError(" ".join(problems.values()))
    try:  # opened before the export is logged: a file that cannot be written logs nothing
        target = output.open("wb") if output else click.get_binary_stream("stdout")
    except OSError as error:
        raise click.FileError(str(output), hint=f"cannot write it: {error.strerror}") from None
    logged = exports.start_export(organisation.id, None, chosen, exports.ExportFormat(file_format))
    db.session.commit()
    with target if output else contextlib.nullcontext(target):
        exports.write_file(logged, target)
    click.echo(f"{logged.row_count} contacts exported ({file_format.upper()}).", err=True)
