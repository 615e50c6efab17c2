"""eventapp: event registration and invitations for B2B marketing teams."""

import sqlalchemy as sa
from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, UnicodeConverter

from eventapp import config as settings
from eventapp.core import i18n, ratelimit
from eventapp.extensions import babel, csrf, db, login_manager, make_huey, migrate


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(settings.resource_dir("templates")),
                static_folder=str(settings.resource_dir("static")))
    app.config.update(settings.from_environment())
    app.config.update(config or {})
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    app.url_map.converters["int"] = RowId
    app.url_map.converters["default"] = app.url_map.converters["string"] = PlainText
    db.init_app(app)
    migrate.init_app(app, db, directory=str(settings.resource_dir("migrations")), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    ratelimit.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    app.extensions["huey"] = make_huey(app.config)

    with app.app_context():
        _tune_database(db.engine)

    from eventapp import models  # noqa: F401  (every table, for Alembic and relationships)
    from eventapp.leads import subscribers  # noqa: F401  (connect the activity writers)
    # Leads' own listeners and sweep steps: scores, stages and handoffs, webhooks, privacy.
    from eventapp.leads import handoffs, privacy, scoring, stages, webhooks  # noqa: F401
    # The features' mails (what they say, when they are queued) and the work of the outbox's minute sweep.
    from eventapp.checkin import operations as _no_shows  # noqa: F401
    from eventapp.registration import notifications, reminders as _reminders  # noqa: F401
    from eventapp.invitations import content as _invitation_mail  # noqa: F401  (what an invitation mail says)

    notifications.connect()
    from eventapp.invitations import sending as _invitation_sends, subscribers as _invitation_states  # noqa: F401

    _invitation_states.connect()  # what became of each invitation, for its send's report
    from eventapp.messaging.backends import make_backends
    from eventapp.messaging.tasks import register_tasks

    app.extensions["message_backends"] = make_backends(app.config)
    register_tasks(app)

    from eventapp.core.templating import register_filters

    register_filters(app)
    _register_blueprints(app)
    _register_error_pages(app)
    app.after_request(_security_headers)

    from eventapp.cli import register_commands

    register_commands(app)
    return app


class RowId(IntegerConverter):
    """<int:…> in our addresses is a row id: one beyond what an id column holds (INTEGER: 32 bits on PostgreSQL)
    is an address that does not exist (404), not an error of the database driver (a 500)."""

    def __init__(self, url_map, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, **kwargs)


class PlainText(UnicodeConverter):
    """A text part of our addresses (a slug, a token, a code) never holds a control character: /p/%00 is an address
    that does not exist (404), not a NUL byte handed to PostgreSQL, which refuses it in text (a 500)."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\x00-\x1f\x7f]")  # keeps any length the rule asks for


def _register_blueprints(app: Flask) -> None:
    from eventapp.accounts.views import bp as accounts
    from eventapp.checkin.back_office import bp as door_staff
    from eventapp.checkin.export_views import bp as exports
    from eventapp.checkin.views import bp as checkin
    from eventapp.core.views import bp as core
    from eventapp.events.views import bp as events
    from eventapp.invitations.import_views import bp as contacts_import
    from eventapp.invitations.public import bp as invitation
    from eventapp.invitations.send_views import bp as invitation_sends
    from eventapp.invitations import partner_views, portal as partner_portal
    from eventapp.invitations.segment_views import bp as segments
    from eventapp.leads.views import bp as leads
    from eventapp.leads import (export_views as lead_exports, feedback_views, funnel_views, handoff_views,
                                sales_views, score_views, webhook_views)
    from eventapp.messaging.sms_views import bp as twilio_webhooks
    from eventapp.messaging.tracking_views import bp as mail_tracking
    from eventapp.messaging.unsubscribe_views import bp as unsubscribe_page
    from eventapp.messaging.views import dev as dev_mailbox
    from eventapp.registration.back_office import bp as registrations
    from eventapp.registration.message_views import bp as event_messages
    from eventapp.registration.views import bp as registration

    for blueprint in (core, accounts, events, leads, segments, registration, event_messages, dev_mailbox,
                      twilio_webhooks, checkin,
                      exports, registrations, door_staff, invitation, invitation_sends,
                      partner_views.bp, partner_views.public, partner_portal.bp,
                      contacts_import,
                      unsubscribe_page, mail_tracking,
                      score_views.bp, handoff_views.bp, feedback_views.bp, sales_views.bp, webhook_views.bp,
                      lead_exports.bp, funnel_views.bp):
        app.register_blueprint(blueprint)


def _tune_database(engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def _kept_headers(error: HTTPException) -> list:
    """What the error says besides its page: Retry-After on a 429, Allow on a 405."""
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def _register_error_pages(app: Flask) -> None:
    messages = {  # lazy: translated for each request's language, not once when the app is made
        400: _l("The request could not be understood. Go back, reload the page and try again."),
        403: _l("You do not have access to this page."),
        404: _l("We could not find this page. Check the address, or go back to the link you followed."),
        405: _l("This address does not accept that kind of request."),
        413: _l("What you sent is too large."),
        429: _l("Too many attempts in a short time. Wait a minute and try again."),
    }

    @app.errorhandler(HTTPException)
    def _http_error(error):
        # CSRF failures are 400s with their own reason; show something a person can act on.
        # Werkzeug's stock descriptions are for developers; ours (given to abort()) are for people.
        custom = error.description and error.description != type(error).description
        description = error.description if custom and error.code in (403, 404, 429) else None
        if isinstance(error, CSRFError):
            description = _("This form has expired or was sent from another page. Reload the page and try again.")
        message = description or messages.get(error.code, error.name)
        if _wants_json():
            code = "csrf" if isinstance(error, CSRFError) else \
                error.name.lower().replace(" ", "_")
            return jsonify(error=code, message=str(message)), error.code, _kept_headers(error)
        return render_template("errors/error.html", code=error.code, title=error.name, message=message), \
            error.code, _kept_headers(error)

    @app.errorhandler(Exception)
    def _unexpected(error):
        app.logger.exception("unhandled error")
        db.session.rollback()
        if _wants_json():
            return jsonify(error="internal_error", message="Something went wrong on our side."), 500
        return render_template("errors/error.html", code=500, title=_("Something went wrong"),
                               message=_("Something went wrong on our side; nothing was saved. Try again in a "
                                         "moment.")), 500


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json or request.accept_mimetypes.best == "application/json"


_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
)


# With secure cookies the site is HTTPS only: browsers are told to go there for a year, subdomains included.
HSTS = "max-age=31536000; includeSubDomains"


def _security_headers(response):
    # A view may set its own (the dev mailbox's CSP); one pass over the headers instead of a search per name.
    present = {name.lower() for name in response.headers.keys()}
    for name, value in _SECURITY_HEADERS:
        if name.lower() not in present:
            response.headers.add(name, value)
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers["Strict-Transport-Security"] = HSTS
    if request.path.startswith(("/r/", "/i/")):
        # The manage link is the key to a registration, an invitation's to its sign-up: keep them out of referrers.
        response.headers["Referrer-Policy"] = "no-referrer"
    if _shows_personal_data():
        response.headers["Cache-Control"] = "private, no-store"
    return response


# What anyone may keep a copy of: nothing in them is about a person. Every other answer (the back office, exports,
# the message log, the scanner and its API, the attendee's own /r/ pages with their ticket, a route added later)
# is kept out of caches. Deciding by the signed-in user instead would read the session on every request, and
# Flask-Login then writes a session cookie to anonymous visitors who had none to write (a sign-up's redirect).
_CACHEABLE_ENDPOINTS = frozenset({"static", "registration.landing"})


def _shows_personal_data() -> bool:
    return request.endpoint not in _CACHEABLE_ENDPOINTS
