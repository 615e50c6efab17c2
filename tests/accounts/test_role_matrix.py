"""Who may use which route: every rule of `app.url_map` (each method but HEAD and OPTIONS), tried by a visitor, each
role of the organisation, staff on and off the event's door, and an owner of another organisation, with the ids and
tokens of real rows in the URL. What each route allows comes from ROUTES below, and a route without a line there
fails the suite, so a route added later gets an access rule before it lands.

Refused means: a visitor is sent to /login (the door's JSON API may answer 401), a signed-in user with the wrong role
gets 403, a user of another organisation gets 404 for its rows (ids are not a lookup service); nobody ever gets a
500, and a refused request changes no row of any table. Allowed means the page (200), its redirect, or for a POST
with an empty form the answer to bad input (400, 409, 422): never 401, 403 or 404.

The users, their signed-in clients and one set of rows are made once for the module; a POST, which may change what it
names (cancel, delete, approve, take staff off the door), gets rows of its own.
"""
import contextlib
import dataclasses
import email
import email.policy
import enum
import itertools
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from eventapp.accounts.models import Role
from eventapp.accounts.operations import create_user, ensure_organisation
from eventapp.core.time import utcnow
from eventapp.events import operations as event_ops
from eventapp.events.models import EventStatus
from eventapp.extensions import db as _db
from eventapp.invitations.models import Partner, PartnerMember
from eventapp.invitations.partners import create_link, save_partner
from eventapp.messaging.operations import deliver_due
from tests.conftest import PASSWORD, hidden_fields, signup_form, submit
from tests.fake_twilio import AUTH_TOKEN


class Access(enum.Enum):
    PUBLIC = "anyone, signed in or not"
    SIGNED_IN = "any signed-in user"
    BACK_OFFICE = "owners and organisers of the organisation"
    DOOR = "owners and organisers of the organisation, and staff on the event's door"
    TWILIO = "requests signed by Twilio (X-Twilio-Signature), whoever sends them"
    PARTNER = "partner logins of the organisation (the partner portal)"
    SALES = "sales logins of the organisation (their own leads)"
    OWNER = "owners of the organisation (its settings)"


PUBLIC, SIGNED_IN, BACK_OFFICE, DOOR, TWILIO, PARTNER, SALES, OWNER = Access


@dataclasses.dataclass(frozen=True)
class Rule:
    access: Access
    ok: frozenset = frozenset({200})  # what an allowed user gets with the rows below and an empty form
    args: tuple = ()  # (argument, key of the rows) where the argument's name alone does not say which value
    changes: bool = False  # the first allowed request changes a row (proves the rows in the URL are the real ones)
    ends_session: bool = False  # an allowed request signs the user out: they sign in again after it
    lands_on_login: bool = False  # an allowed request is sent on to /login (the home page of the signed-out)


def rule(access, *ok, **options) -> Rule:
    return Rule(access, frozenset(ok or {200}), **options)


REDIRECT, BAD_FORM = 303, 422  # a form post's answer; an empty form that does not validate
BAD_JSON = frozenset({400, 422})  # the door's API, sent an empty JSON object

# Every route of the app: rule → {method: what it allows}. A new route needs a line here.
ROUTES = {
    "/": {"GET": rule(PUBLIC, 302, lands_on_login=True)},
    "/healthz": {"GET": rule(PUBLIC)},
    "/static/<path:filename>": {"GET": rule(PUBLIC)},
    "/login": {"GET": rule(PUBLIC), "POST": rule(PUBLIC, BAD_FORM)},
    "/logout": {"POST": rule(SIGNED_IN, REDIRECT, ends_session=True, lands_on_login=True)},
    "/account": {"GET": rule(SIGNED_IN), "POST": rule(SIGNED_IN, BAD_FORM)},
    # issue 17 (P1, languages): a user's own language; the organisation's language and phone region
    "/account/language": {"POST": rule(SIGNED_IN, BAD_FORM)},
    "/admin/organisation": {"GET": rule(OWNER), "POST": rule(OWNER, BAD_FORM)},
    # the attendee's side: the landing page, the manage link, the consent link
    "/e/<slug>": {"GET": rule(PUBLIC), "POST": rule(PUBLIC, BAD_FORM)},
    "/r/<token>": {"GET": rule(PUBLIC), "POST": rule(PUBLIC, BAD_FORM)},
    "/r/<token>/calendar.ics": {"GET": rule(PUBLIC)},
    "/r/<token>/cancel": {"GET": rule(PUBLIC), "POST": rule(PUBLIC, REDIRECT, changes=True)},
    "/consent/<token>": {"GET": rule(PUBLIC, args=(("token", "consent_token"),)),
                         "POST": rule(PUBLIC, args=(("token", "consent_token"),), changes=True)},
    # an invitation's own pages (the token authenticates them: the sign-up's POST takes no CSRF token)
    "/i/<token>": {"GET": rule(PUBLIC, args=(("token", "invitation_token"),)),
                   "POST": rule(PUBLIC, BAD_FORM, args=(("token", "invitation_token"),))},
    "/i/<token>/decline": {"GET": rule(PUBLIC, args=(("token", "invitation_token"),)),
                           "POST": rule(PUBLIC, args=(("token", "invitation_token"),), changes=True)},
    # the invitation's contact is not registered: asking for the link to a registration leads back to the form
    "/i/<token>/manage-link": {"POST": rule(PUBLIC, REDIRECT, args=(("token", "invitation_token"),))},
    "/twilio/inbound": {"POST": rule(TWILIO)},
    "/twilio/status": {"POST": rule(TWILIO, 204)},
    # marketing mail's links (issue 15, tracking): the signed token is the key, and the unsubscribe POST (RFC 8058
    # one-click, from a mail provider) takes no CSRF token
    "/unsubscribe/<token>": {"GET": rule(PUBLIC, args=(("token", "unsubscribe_token"),)),
                             "POST": rule(PUBLIC, args=(("token", "unsubscribe_token"),), changes=True)},
    "/o/<token>.gif": {"GET": rule(PUBLIC, args=(("token", "open_token"),))},
    "/c/<token>": {"GET": rule(PUBLIC, 302, args=(("token", "click_token"),))},
    # the back office
    "/admin/": {"GET": rule(BACK_OFFICE)},
    "/admin/campaigns/new": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    # the campaign form is filled from the row, so an empty post saves it unchanged (the question form does not)
    "/admin/campaigns/<int:campaign_id>/edit": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, REDIRECT)},
    "/admin/contacts/": {"GET": rule(BACK_OFFICE)},
    "/admin/contacts/<int:contact_id>": {"GET": rule(BACK_OFFICE)},
    # a person's data on request (issue 16, helper "contact"): the download is an activity; an empty erase form
    # has no confirmation typed: refused
    "/admin/contacts/<int:contact_id>/data.json": {"POST": rule(BACK_OFFICE, changes=True)},
    "/admin/contacts/<int:contact_id>/erase": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    # contact imports: upload, the mapping (its POST starts the import), progress and report, the report's CSV
    "/admin/contacts/import": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},  # no file: refused
    "/admin/contacts/import/<int:import_id>": {"GET": rule(BACK_OFFICE),
                                               "POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/contacts/import/<int:import_id>/report.csv": {"GET": rule(BACK_OFFICE)},
    "/admin/events/new": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/events/<int:event_id>": {"GET": rule(BACK_OFFICE)},
    "/admin/events/<int:event_id>/edit": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/events/<int:event_id>/attendance.<any(csv, xlsx):file_format>": {"GET": rule(BACK_OFFICE)},
    "/admin/events/<int:event_id>/checkins.<any(csv, xlsx):file_format>": {"GET": rule(BACK_OFFICE)},
    "/admin/events/<int:event_id>/cancel": {"GET": rule(BACK_OFFICE),
                                            "POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/events/<int:event_id>/status/<status>": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/events/<int:event_id>/questions/new": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/questions/<int:question_id>/edit": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/questions/<int:question_id>/delete": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/registrations/<int:registration_id>/<decision>": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/events/<int:event_id>/staff": {"POST": rule(BACK_OFFICE, REDIRECT)},
    "/admin/events/<int:event_id>/staff/<int:user_id>/remove": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/events/<int:event_id>/messages": {"GET": rule(BACK_OFFICE)},
    "/admin/events/<int:event_id>/messages/<kind>": {"GET": rule(BACK_OFFICE),
                                                     "POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/events/<int:event_id>/messages/<kind>/test": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/events/<int:event_id>/reminders": {"POST": rule(BACK_OFFICE, REDIRECT)},
    "/admin/reminders/<int:rule_id>/delete": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/messages/<int:message_id>/retry": {"POST": rule(BACK_OFFICE, REDIRECT)},
    # contacts by hand, bulk tags (issue 15, helper "segments")
    "/admin/contacts/new": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/contacts/<int:contact_id>/edit": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/contacts/tags": {"POST": rule(BACK_OFFICE, BAD_FORM)},
    # saved segments (issue 15, helper "segments")
    "/admin/segments/": {"GET": rule(BACK_OFFICE)},
    "/admin/segments/new": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/segments/<int:segment_id>": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/segments/<int:segment_id>/members": {"GET": rule(BACK_OFFICE)},
    "/admin/segments/<int:segment_id>/delete": {"GET": rule(BACK_OFFICE),
                                                "POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    # invitation sends: compose, preview, test, send now or later, cancel, the report and its lists
    "/admin/events/<int:event_id>/invitations/new": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/invitations/<int:send_id>": {"GET": rule(BACK_OFFICE)},
    "/admin/invitations/<int:send_id>/edit": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/invitations/<int:send_id>/preview.html": {"GET": rule(BACK_OFFICE)},
    "/admin/invitations/<int:send_id>/test": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/invitations/<int:send_id>/send": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/invitations/<int:send_id>/schedule": {"POST": rule(BACK_OFFICE, REDIRECT)},  # no time given: refused
    "/admin/invitations/<int:send_id>/cancel": {"POST": rule(BACK_OFFICE, REDIRECT)},  # a draft: nothing to cancel
    "/admin/invitations/<int:send_id>/people/<figure>": {"GET": rule(BACK_OFFICE)},
    "/admin/invitations/<int:send_id>/export/<figure>.csv": {"GET": rule(BACK_OFFICE)},
    # partners and channels: the organisers' pages, the public tracked link, the partner portal
    "/admin/partners/": {"GET": rule(BACK_OFFICE)},
    "/admin/partners/new": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/partners/<int:partner_id>": {"GET": rule(BACK_OFFICE)},
    # the partner form is filled from the row, so an empty post saves it unchanged
    "/admin/partners/<int:partner_id>/edit": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, REDIRECT)},
    "/admin/partners/<int:partner_id>/logins": {"POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/partners/<int:partner_id>/links": {"POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/partners/channels": {"POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/links/<int:link_id>/qr.png": {"GET": rule(BACK_OFFICE)},
    "/admin/links/<int:link_id>/qr.svg": {"GET": rule(BACK_OFFICE)},
    "/admin/events/<int:event_id>/channels": {"GET": rule(BACK_OFFICE)},
    "/admin/events/<int:event_id>/channels.csv": {"GET": rule(BACK_OFFICE)},
    "/admin/campaigns/<int:campaign_id>/channels": {"GET": rule(BACK_OFFICE)},
    "/admin/campaigns/<int:campaign_id>/channels.csv": {"GET": rule(BACK_OFFICE)},
    "/p/<code>": {"GET": rule(PUBLIC, 302)},
    "/partner/": {"GET": rule(PARTNER)},
    "/partner/events/<int:event_id>": {"GET": rule(PARTNER)},
    "/partner/events/<int:event_id>/invitation": {"POST": rule(PARTNER, REDIRECT, changes=True)},
    "/partner/links/<int:link_id>/qr.png": {"GET": rule(PARTNER)},
    "/partner/links/<int:link_id>/qr.svg": {"GET": rule(PARTNER)},
    # the dev mailbox: the back office's, and only without an SMTP server (test_the_dev_mailbox_is_gone_with_smtp)
    "/dev/mailbox/": {"GET": rule(BACK_OFFICE)},
    "/dev/mailbox/<int:message_id>": {"GET": rule(BACK_OFFICE)},
    "/dev/mailbox/<int:message_id>/html": {"GET": rule(BACK_OFFICE)},
    "/dev/mailbox/<int:message_id>/part/<int:index>": {"GET": rule(BACK_OFFICE)},
    # the door
    "/checkin/": {"GET": rule(SIGNED_IN)},
    "/checkin/sw.js": {"GET": rule(SIGNED_IN)},
    "/checkin/qr-worker.js": {"GET": rule(SIGNED_IN)},
    "/checkin/<int:event_id>": {"GET": rule(DOOR)},
    "/checkin/<int:event_id>/tickets": {"GET": rule(DOOR)},
    "/checkin/<int:event_id>/stats": {"GET": rule(DOOR)},
    "/checkin/<int:event_id>/search": {"GET": rule(DOOR)},
    "/checkin/<int:event_id>/redeem": {"POST": Rule(DOOR, BAD_JSON)},
    "/checkin/<int:event_id>/sync": {"POST": Rule(DOOR, BAD_JSON)},
    "/checkin/<int:event_id>/undo": {"POST": Rule(DOOR, BAD_JSON)},
    "/checkin/<int:event_id>/walk-in": {"POST": Rule(DOOR, BAD_JSON)},
    "/checkin/<int:event_id>/registrations/<int:registration_id>/checkin": {"POST": Rule(DOOR, BAD_JSON)},
    # funnels (issue 16, helper "funnels"): the list, an event's and a campaign's funnel with their CSVs; the cost form
    # (an empty form is refused)
    "/admin/funnels/": {"GET": rule(BACK_OFFICE)},
    "/admin/funnels/events/<int:event_id>": {"GET": rule(BACK_OFFICE)},
    "/admin/funnels/events/<int:event_id>/cost": {"POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/funnels/events/<int:event_id>/steps.csv": {"GET": rule(BACK_OFFICE)},
    "/admin/funnels/events/<int:event_id>/breakdowns.csv": {"GET": rule(BACK_OFFICE)},
    "/admin/funnels/events/<int:event_id>/timeline.csv": {"GET": rule(BACK_OFFICE)},
    "/admin/funnels/campaigns/<int:campaign_id>": {"GET": rule(BACK_OFFICE)},
    "/admin/funnels/campaigns/<int:campaign_id>/steps.csv": {"GET": rule(BACK_OFFICE)},
    "/admin/funnels/campaigns/<int:campaign_id>/breakdowns.csv": {"GET": rule(BACK_OFFICE)},
    "/admin/funnels/campaigns/<int:campaign_id>/timeline.csv": {"GET": rule(BACK_OFFICE)},
    # lead exports (issue 16, helper "exports"): the form and past exports; its POST logs and downloads (an empty
    # form names no format: refused)
    "/admin/leads/export/": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    # scores (issue 16, helper "scoring"): the models, one model's settings and rules (an empty form is refused),
    # a rule's page, deleting a rule (the world's rule is added to its default score)
    "/admin/scoring/": {"GET": rule(BACK_OFFICE)},
    "/admin/scoring/new": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/scoring/<int:model_id>": {"GET": rule(BACK_OFFICE, args=(("model_id", "score_model_id"),)),
                                      "POST": rule(BACK_OFFICE, BAD_FORM, args=(("model_id", "score_model_id"),))},
    "/admin/scoring/<int:model_id>/rules": {"POST": rule(BACK_OFFICE, BAD_FORM,
                                                         args=(("model_id", "score_model_id"),))},
    "/admin/scoring/rules/<int:score_rule_id>": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/scoring/rules/<int:score_rule_id>/delete": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    # stages and handoffs (issue 16, helper "handoff"): the organisers' list and assignment rules, the contact page's
    # overrides (an empty form is sent back to the contact page with what to fix), the sales owner's personal link
    # (the token is the key) and the sales users' own leads (the world's lead is handed to its sales user)
    "/admin/handoffs/": {"GET": rule(BACK_OFFICE)},
    "/admin/handoffs/rules": {"POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/handoffs/rules/<int:rule_id>/delete": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True,
                                                                args=(("rule_id", "assignment_rule_id"),))},
    "/admin/handoffs/contacts/<int:contact_id>/stage": {"POST": rule(BACK_OFFICE, REDIRECT)},
    "/admin/handoffs/contacts/<int:contact_id>/hand": {"POST": rule(BACK_OFFICE, REDIRECT)},
    "/f/<token>": {"GET": rule(PUBLIC, args=(("token", "handoff_token"),)),
                   "POST": rule(PUBLIC, BAD_FORM, args=(("token", "handoff_token"),))},
    "/sales/": {"GET": rule(SALES)},
    "/sales/leads/<int:contact_id>": {"GET": rule(SALES)},
    "/sales/leads/<int:contact_id>/feedback": {"POST": rule(SALES, BAD_FORM)},
    "/sales/leads/<int:contact_id>/<any(won, lost):outcome>": {"POST": rule(SALES, REDIRECT, changes=True)},
    # webhooks (issue 16, helper "webhooks"): endpoints, their log, a test event, a new secret, Resend (an empty
    # form names no address: refused)
    "/admin/webhooks/": {"GET": rule(BACK_OFFICE)},
    "/admin/webhooks/new": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/webhooks/<int:endpoint_id>": {"GET": rule(BACK_OFFICE)},
    "/admin/webhooks/<int:endpoint_id>/edit": {"GET": rule(BACK_OFFICE), "POST": rule(BACK_OFFICE, BAD_FORM)},
    "/admin/webhooks/<int:endpoint_id>/secret": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/webhooks/<int:endpoint_id>/test": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/webhooks/<int:endpoint_id>/delete": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
    "/admin/webhooks/deliveries/<int:delivery_id>": {"GET": rule(BACK_OFFICE)},
    "/admin/webhooks/deliveries/<int:delivery_id>/resend": {"POST": rule(BACK_OFFICE, REDIRECT, changes=True)},
}

IDENTITIES = ("anonymous", "owner", "organiser", "staff_on", "staff_off", "partner", "sales", "other_owner")
ROLES = {"owner": Role.OWNER, "organiser": Role.ORGANISER, "staff_on": Role.STAFF, "staff_off": Role.STAFF,
         "partner": Role.PARTNER, "sales": Role.SALES}


class Outcome(enum.Enum):
    ALLOWED = "allowed"
    LOGIN = "sent to /login"
    FORBIDDEN = "403"
    NOT_FOUND = "404"


def expected(access: Access, who: str, names_a_row: bool) -> Outcome:
    if access is PUBLIC:
        return Outcome.ALLOWED
    if access is TWILIO:
        return Outcome.FORBIDDEN  # unsigned, as every identity's request here is
    if who == "anonymous":
        return Outcome.LOGIN
    if access is PARTNER:  # the portal is the partner logins'; everyone else is told it is not for them
        return Outcome.ALLOWED if who == "partner" else Outcome.FORBIDDEN
    if access is SALES:  # a sales user's own leads; everyone else is told these pages are not for them
        return Outcome.ALLOWED if who == "sales" else Outcome.FORBIDDEN
    if access is OWNER:  # an owner of another organisation has settings of their own (the URL names no row)
        return Outcome.ALLOWED if who in ("owner", "other_owner") else Outcome.FORBIDDEN
    if access is SIGNED_IN or who in ("owner", "organiser"):
        return Outcome.ALLOWED
    if who == "other_owner":  # allowed in their own organisation; our rows do not exist for them
        return Outcome.NOT_FOUND if names_a_row else Outcome.ALLOWED
    if access is BACK_OFFICE:
        return Outcome.FORBIDDEN
    # the door: staff on it scan; staff of the organisation off it are told why (403); partners and sales of the
    # organisation find no such door (404, as checkin.views answers whoever may not scan there)
    return {"staff_on": Outcome.ALLOWED, "staff_off": Outcome.FORBIDDEN}.get(who, Outcome.NOT_FOUND)


def routes():
    return [(path, method) for path, methods in ROUTES.items() for method in methods]


# ---- the world: an organisation, its people, their rows; another organisation --------------------------------------

class World:
    def __init__(self, app):
        self.app = app
        self.emails = itertools.count(1)
        with app.app_context():
            organisation = ensure_organisation("acme", "Acme Events")
            other = ensure_organisation("rival", "Rival Events")
            users = {who: create_user(f"{who}@acme.example", PASSWORD, role, organisation)
                     for who, role in ROLES.items()}
            users["other_owner"] = create_user("owner@rival.example", PASSWORD, Role.OWNER, other)
            _db.session.flush()
            partner = save_partner(organisation.id, {"name": "Alumni Association", "kind": "association"})
            _db.session.add(PartnerMember(user_id=users["partner"].id, partner_id=partner.id))
            self.partner_id = partner.id
            _db.session.commit()
            self.organisation_id = organisation.id
            self.user_ids = {who: user.id for who, user in users.items()}
            self.user_emails = {who: user.email for who, user in users.items()}
        self.clients, self.csrf = {}, {}
        for who in IDENTITIES:
            self.sign_in(who)
        self.shared = self.make_rows()

    def sign_in(self, who: str) -> None:
        """A client of its own for this identity (signed in unless anonymous), and its CSRF token."""
        client = self.app.test_client()
        if who != "anonymous":
            response = submit(client, "/login", {"email": self.user_emails[who], "password": PASSWORD})
            assert response.status_code == 303, (who, response.status_code)
        page = client.get("/login")  # any page with a form gives this session's token
        self.clients[who], self.csrf[who] = client, hidden_fields(page.get_data(as_text=True))["csrf_token"]

    def make_rows(self, approval_required: bool = False) -> dict:
        """A campaign, a published event with a question, reminder rules and a staff member on its door, and one
        person signed up through the landing page (with marketing consent), their mails delivered."""
        number = next(self.emails)
        with self.app.app_context():
            campaign = event_ops.save_campaign(self.organisation_id, {"name": f"Roadshow {number}"})
            _db.session.flush()
            starts = utcnow().replace(microsecond=0) + timedelta(days=10)
            event = event_ops.save_event(self.organisation_id, {
                "title": f"Access seminar {number}", "slug": f"access-seminar-{number}", "kind": "seminar",
                "timezone": "Europe/Berlin", "starts_at": starts, "ends_at": starts + timedelta(hours=3),
                "venue_name": "Hall A", "venue_address": "Alexanderplatz 1, 10178 Berlin", "capacity": 50,
                "waitlist_enabled": True, "approval_required": approval_required, "campaign_id": campaign.id})
            _db.session.flush()
            question = event_ops.save_question(event, {"label": "Diet", "kind": "text", "required": False,
                                                       "options": []})
            event.status = EventStatus.PUBLISHED
            _db.session.commit()
            rows = {"campaign_id": campaign.id, "event_id": event.id, "question_id": question.id,
                    "slug": event.slug}
            link = create_link(self.organisation_id, f"event:{event.id}", _db.session.get(Partner, self.partner_id))
            _db.session.commit()
            rows.update(partner_id=self.partner_id, link_id=link.id, code=link.code, qr_format="png")
        owner = self.clients["owner"]
        assigned = owner.post(f"/admin/events/{rows['event_id']}/staff",
                              data={"email": self.user_emails["staff_on"], "csrf_token": self.csrf["owner"]})
        assert assigned.status_code == 303
        visitor = self.app.test_client()
        signed_up = submit(visitor, f"/e/{rows['slug']}",
                           signup_form(email=f"person{number}@example.com", marketing_consent="y"))
        assert signed_up.status_code == 303, signed_up.status_code
        rows["token"] = urlsplit(signed_up.headers["Location"]).path.rsplit("/", 1)[-1]
        with self.app.app_context():
            deliver_due()
            rows.update(self._ids_of(rows["event_id"]))
            rows["import_id"] = _an_import(self.organisation_id)
            rows.update(_mail_link_tokens(rows["message_id"]))
            rows["invitation_token"] = self._invitation_token(rows["event_id"], number)
            rows["segment_id"] = _a_segment(self.organisation_id, number)
            rows["send_id"] = self._draft_send(rows["event_id"])
            rows.update(_a_webhook(self.organisation_id))
            rows.update(_a_score_rule(self.organisation_id))
            rows.update(self._a_handoff(rows["contact_id"]))
        rows.update(user_id=self.user_ids["staff_on"], kind="confirmation", decision="approve", status="draft",
                    file_format="csv", filename="css/app.css", figure="sent")
        return rows

    @staticmethod
    def _ids_of(event_id: int) -> dict:
        """The registration, contact, a delivered mail, a mail part, a reminder rule and the consent link of the
        event's one sign-up, found by table (the schema is the contract; the models move between packages)."""
        tables = _db.metadata.tables
        registrations, messages, rules = tables["registrations"], tables["messages"], tables["reminder_rules"]
        registration_id, contact_id = _db.session.execute(
            sa.select(registrations.c.id, registrations.c.contact_id)
            .where(registrations.c.event_id == event_id)).one()
        mails = _db.session.execute(sa.select(messages.c.id, messages.c.raw).where(
            messages.c.contact_id == contact_id, messages.c.raw.is_not(None)).order_by(messages.c.id)).all()
        message_id, raw = mails[0]
        parts = list(email.message_from_bytes(raw, policy=email.policy.default).walk())
        consent_tokens = [found.group(1) for _id, raw in mails
                          for found in [re.search(r"/consent/([\w.-]+)", _plain_text(raw))] if found]
        assert consent_tokens, "the sign-up with marketing consent mailed no consent link"
        return {"registration_id": registration_id, "contact_id": contact_id, "message_id": message_id,
                "index": next(index for index, part in enumerate(parts) if not part.is_multipart()),
                "rule_id": _db.session.execute(sa.select(rules.c.id).where(rules.c.event_id == event_id)
                                               .order_by(rules.c.id).limit(1)).scalar_one(),
                "consent_token": consent_tokens[0]}

    def _a_handoff(self, contact_id: int) -> dict:
        """The contact handed to the organisation's sales user (its feedback link's token), and an assignment
        rule."""
        from eventapp.contacts.models import Contact
        from eventapp.leads import handoffs

        contact = _db.session.get(Contact, contact_id)
        token = "handoff-token-" + "h" * 32
        handoff = handoffs.hand_off_by_organiser(contact, self.user_ids["sales"], self.user_ids["owner"])
        handoff.token_hash = handoffs.token_hash(f"{token}{contact_id}")
        rule = handoffs.save_rule(self.organisation_id, "city", "Berlin", None)
        _db.session.commit()
        return {"handoff_token": f"{token}{contact_id}", "assignment_rule_id": rule.id, "outcome": "won"}

    @staticmethod
    def _draft_send(event_id: int) -> int:
        """A draft invitation of the event to one pasted address, ready to send."""
        from eventapp.events.models import Event
        from eventapp.invitations.sending import save_send

        send = save_send(None, _db.session.get(Event, event_id), {
            "subject": "You are invited", "pasted_addresses": f"guest{event_id}@example.com"}, None)
        _db.session.commit()
        return send.id

    def _invitation_token(self, event_id: int, number: int) -> str:
        """The token of an invitation to the event, of a contact who has not answered it."""
        tables = _db.metadata.tables
        contact_id = _db.session.execute(sa.insert(tables["contacts"]).values(
            organisation_id=self.organisation_id, email=f"invitee{number}@example.com",
            email_key=f"invitee{number}@example.com", first_name="Ivy", last_name="Invitee", created_at=utcnow(),
            updated_at=utcnow()).returning(tables["contacts"].c.id)).scalar_one()
        token = f"invitation-token-{number:04d}-{'x' * 16}"
        _db.session.execute(sa.insert(tables["invitations"]).values(
            organisation_id=self.organisation_id, event_id=event_id, contact_id=contact_id, token=token,
            status="queued", created_at=utcnow()))
        _db.session.commit()
        return token

    def request(self, who: str, method: str, path: str, **kwargs):
        client, token = self.clients[who], self.csrf[who]
        if method == "GET":
            return client.get(path, **kwargs)
        if path.startswith("/checkin/"):  # the door's JSON API
            return client.post(path, json={}, headers={"X-CSRFToken": token}, **kwargs)
        return client.post(path, data={"csrf_token": token}, **kwargs)


def _plain_text(raw: bytes) -> str:
    body = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",))
    return body.get_content() if body is not None else ""


def _mail_link_tokens(message_id: int) -> dict:
    """The tokens a marketing mail's links would carry for this mail: unsubscribe, the open pixel, a tracked link."""
    from eventapp.messaging import tracking, unsubscribe
    from eventapp.messaging.models import Message

    return {"unsubscribe_token": unsubscribe.unsubscribe_token(_db.session.get(Message, message_id)),
            "open_token": tracking.open_token(message_id),
            "click_token": tracking.click_token(message_id, "https://example.com/agenda")}


def _a_segment(organisation_id: int, number: int) -> int:
    """A saved segment of the organisation (its filters: everyone tagged VIP)."""
    segments = _db.metadata.tables["segments"]
    segment_id = _db.session.execute(sa.insert(segments).values(
        organisation_id=organisation_id, name=f"Segment {number}", filters={"tags_any": ["VIP"]},
        created_at=utcnow(), updated_at=utcnow()).returning(segments.c.id)).scalar_one()
    _db.session.commit()
    return segment_id


def _a_score_rule(organisation_id: int) -> dict:
    """The organisation's default score and a rule of its own added to it (issue 16, helper "scoring")."""
    from eventapp.leads import scoring

    scoring.ensure_default_model(organisation_id)
    model = scoring.primary_model(organisation_id)
    job = scoring.save_rule(model, None, {"kind": "fit", "field": "city", "pattern": "Berlin", "points": 5})
    _db.session.commit()
    return {"score_model_id": model.id, "score_rule_id": model.rules[-1].id, "rescore_job_id": job.id}


def _an_import(organisation_id: int) -> int:
    """An uploaded contact list of the organisation, waiting for its column mapping."""
    from eventapp.contacts.importing import new_import

    import_id = new_import(organisation_id, None, "list.csv", b"Email,Name\nlist@example.com,Lis Tee\n").id
    _db.session.commit()
    return import_id


def _a_webhook(organisation_id: int) -> dict:
    """A webhook endpoint of the organisation and one delivered message in its log (issue 16, helper
    "webhooks")."""
    tables = _db.metadata.tables
    endpoints, deliveries = tables["webhook_endpoints"], tables["webhook_deliveries"]
    endpoint_id = _db.session.execute(sa.insert(endpoints).values(
        organisation_id=organisation_id, url="https://crm.example.com/hooks", description="CRM",
        secret="whsec_" + "A" * 43 + "=", event_types=["lead.handed_off"], active=True, disabled_reason="",
        created_at=utcnow()).returning(endpoints.c.id)).scalar_one()
    delivery_id = _db.session.execute(sa.insert(deliveries).values(
        endpoint_id=endpoint_id, webhook_id=f"msg_matrix{endpoint_id}", event_type="webhook.test",
        payload='{"type":"webhook.test","timestamp":"2026-12-07T09:00:00Z","data":{}}', status="delivered",
        attempts=1, next_attempt_at=utcnow(), last_status_code=200, last_error="", created_at=utcnow(),
        delivered_at=utcnow()).returning(deliveries.c.id)).scalar_one()
    _db.session.commit()
    return {"endpoint_id": endpoint_id, "delivery_id": delivery_id}


def everything() -> dict:
    """Every row of every table, to compare before and after a refused request."""
    with _db.engine.connect() as connection:
        return {table.name: connection.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
                for table in _db.metadata.sorted_tables}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@contextlib.contextmanager
def world_of(app):
    """A World for a module's tests (Twilio's token set, so signed webhooks check), its tables emptied after."""
    previous_token = app.config.get("TWILIO_AUTH_TOKEN")
    app.config["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    try:
        yield World(app)
    finally:
        app.config["TWILIO_AUTH_TOKEN"] = previous_token
        with app.app_context(), _db.engine.begin() as connection:
            for table in reversed(_db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture(scope="module")
def world(app):
    with world_of(app) as world:
        yield world


@pytest.fixture(autouse=True)
def db(app):
    """This module's rows live as long as the module (the world fixture empties the tables at its end)."""
    with app.app_context():
        yield _db
        _db.session.remove()


# ---- the matrix --------------------------------------------------------------------------------------------------

def test_every_route_has_an_access_rule(app):
    routed = {(rule.rule, method) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    missing = sorted(f"add an access rule for {method} {path}" for path, method in routed - set(routes()))
    gone = sorted(f"{method} {path} is no route any more: remove its access rule"
                  for path, method in set(routes()) - routed)
    assert not missing + gone, "\n".join(missing + gone)


def _url_rule(app, path: str, method: str):
    for url_rule in app.url_map.iter_rules():
        if url_rule.rule == path and method in url_rule.methods:
            return url_rule
    pytest.fail(f"{method} {path} is no route any more: remove its access rule")


def _outcome_problem(response, outcome: Outcome, access_rule: Rule) -> str | None:
    """Why the response is not the expected outcome, or None."""
    status, location = response.status_code, urlsplit(response.headers.get("Location", "")).path
    if outcome is Outcome.ALLOWED:
        if status in (401, 403, 404) or (location == "/login" and not access_rule.lands_on_login):
            return f"refused ({status})"
        body = response.get_data(as_text=True)
        if status == 400 and ('"csrf"' in body or "This form has expired" in body):
            return "refused its CSRF token"
        if status not in access_rule.ok:
            return f"answered {status}, expected one of {sorted(access_rule.ok)}"
        return None
    if outcome is Outcome.LOGIN:
        if status in (302, 303) and location == "/login" or (access_rule.access is DOOR and status == 401):
            return None
        return f"answered {status} {location}, expected a redirect to /login"
    wanted = 403 if outcome is Outcome.FORBIDDEN else 404
    return None if status == wanted else f"answered {status}, expected {wanted}"


def _url(url_rule, access_rule: Rule, rows: dict) -> str:
    """The rule's address with the ids and tokens of these rows."""
    values = {**rows, **{argument: rows[key] for argument, key in access_rule.args}}
    return url_rule.build({name: values[name] for name in url_rule.arguments}, append_unknown=False)[1]


@pytest.mark.parametrize("path, method", routes(), ids=[f"{m} {p}" for p, m in routes()])
def test_route_allows_exactly_its_users(world, path, method):
    access_rule = ROUTES[path][method]
    url_rule = _url_rule(world.app, path, method)
    url = _url(url_rule, access_rule, world.shared if method == "GET" else world.make_rows(approval_required=True))
    names_a_row = any(name.endswith("_id") for name in url_rule.arguments)
    plan = {who: expected(access_rule.access, who, names_a_row) for who in IDENTITIES}
    problems, first_allowed = [], True
    # The refused go first: what they try must find the rows as they were.
    for who in sorted(IDENTITIES, key=lambda who: plan[who] is Outcome.ALLOWED):
        allowed = plan[who] is Outcome.ALLOWED
        if allowed and access_rule.changes and not first_allowed:  # the first one used up the rows: new ones
            url = _url(url_rule, access_rule, world.make_rows(approval_required=True))
        watch = not allowed or access_rule.changes
        before = everything() if watch else None
        response = world.request(who, method, url)
        response.close()
        changed = changed_tables(before, everything()) if watch else []
        if response.status_code >= 500:
            problems.append(f"{who}: {response.status_code}")
        elif problem := _outcome_problem(response, plan[who], access_rule):
            problems.append(f"{who} ({plan[who].value}): {problem}")
        if not allowed and changed:
            problems.append(f"{who} was refused but changed {', '.join(changed)}")
        if allowed and access_rule.changes and not changed:
            problems.append(f"{who}'s request changed nothing: are the rows in {url} the real ones?")
        if allowed:
            first_allowed = False
            if access_rule.ends_session and who != "anonymous":
                world.sign_in(who)
    assert not problems, f"{method} {url}:\n" + "\n".join(problems)


def test_twilio_webhooks_take_a_signed_request_from_anyone(world):
    """The webhooks' refusal above is of unsigned requests; Twilio's own, signed with the auth token, get through."""
    validator = RequestValidator(AUTH_TOKEN)
    for path, form, status in (("/twilio/status", {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}, 204),
                               ("/twilio/inbound", {"From": "+15005550006", "Body": "HELP"}, 200)):
        signature = validator.compute_signature(f"http://localhost{path}", form)
        response = world.clients["anonymous"].post(path, data=form, headers={"X-Twilio-Signature": signature})
        assert response.status_code == status, (path, response.status_code)


def test_the_dev_mailbox_is_gone_with_smtp(world, app, monkeypatch):
    """With an SMTP server configured the mailbox does not exist, for owners too."""
    from eventapp.messaging.backends import EmailBackend
    from eventapp.messaging.email import SmtpSender, SmtpSettings

    sender = SmtpSender(SmtpSettings("127.0.0.1", 25, "plain", "", ""))  # never used: nothing is sent here
    monkeypatch.setitem(app.extensions["message_backends"], "email", EmailBackend(sender))
    rows = world.shared
    for url in ("/dev/mailbox/", f"/dev/mailbox/{rows['message_id']}", f"/dev/mailbox/{rows['message_id']}/html",
                f"/dev/mailbox/{rows['message_id']}/part/{rows['index']}"):
        for who in ("owner", "organiser", "anonymous"):
            assert world.request(who, "GET", url).status_code == 404, (who, url)



@pytest.mark.parametrize("role, shown, hidden", [
    (Role.ORGANISER, ["Events", "Contacts", "Segments", "Partners", "Check-in", "Account"], ["Partner portal"]),
    (Role.STAFF, ["Check-in", "Account"], ["Events", "Contacts", "Segments", "Partners", "Partner portal"]),
    (Role.PARTNER, ["Partner portal", "Account"], ["Events", "Contacts", "Segments", "Check-in"]),
    (Role.SALES, ["My leads", "Account"], ["Events", "Contacts", "Segments", "Partners", "Check-in", "Partner portal"]),
])
def test_the_navigation_offers_each_role_only_what_it_may_open(app, db, role, shown, hidden):
    """A link that answers 403 is not offered: each role's navigation holds what its role may open."""
    organisation = ensure_organisation("nav", "Nav")
    create_user(f"{role}@nav.example", PASSWORD, role, organisation)
    _db.session.commit()
    client = app.test_client()
    assert submit(client, "/login", {"email": f"{role}@nav.example", "password": PASSWORD}).status_code == 303
    nav = re.search(r'<nav aria-label="Back office">(.*?)</nav>', client.get("/account").get_data(as_text=True),
                    re.S).group(1)
    links = re.findall(r">([^<>]+)</a>", nav)
    assert [name for name in shown if name not in links] == []
    assert [name for name in hidden if name in links] == []
