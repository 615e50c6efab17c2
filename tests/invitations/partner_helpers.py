"""What the partner and channel tests share: partners, tracked links and sign-ups made the way people make them."""
import html as html_module
import re
import uuid
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.accounts.operations import create_user, ensure_organisation
from eventapp.events import operations as event_ops
from eventapp.core.time import utcnow
from eventapp.extensions import db
from eventapp.invitations import partners
from eventapp.invitations.models import PartnerMember
from eventapp.registration.models import Registration
from tests.checkin.test_redeem import Door
from tests.conftest import PASSWORD, hidden_fields, signup_form, submit


BASE_URL = "https://events.example.com"


@pytest.fixture
def base_url(app):
    """BASE_URL set, as in production: links and QR codes are absolute from it."""
    previous = app.config["BASE_URL"]
    app.config["BASE_URL"] = BASE_URL
    yield BASE_URL
    app.config["BASE_URL"] = previous


def rival_event(like):
    """A published event of another organisation, at the time of `like`."""
    rival = ensure_organisation("rival", "Rival Events")
    event = event_ops.save_event(rival.id, {"title": "Rival summit", "slug": "rival-summit", "kind": "seminar",
                                            "timezone": "UTC", "starts_at": like.starts_at, "ends_at": like.ends_at})
    event.status = "published"
    db.session.commit()
    return event


def make_partner(organisation_id: int, name: str, shares: bool = False):
    partner = partners.save_partner(organisation_id, {"name": name, "kind": "university",
                                                      "shares_personal_data": shares})
    db.session.commit()
    return partner


def make_link(organisation_id: int, target: str, partner=None, label: str = ""):
    link = partners.create_link(organisation_id, target, partner=partner, label=label)
    db.session.commit()
    return link


def partner_login(app, partner, email: str):
    """A signed-in client of a new partner login of this partner."""
    from eventapp.accounts.models import Organisation

    user = create_user(email, PASSWORD, Role.PARTNER, db.session.get(Organisation, partner.organisation_id))
    db.session.flush()
    db.session.add(PartnerMember(user_id=user.id, partner_id=partner.id))
    db.session.commit()
    client = app.test_client()
    assert submit(client, "/login", {"email": email, "password": PASSWORD}).status_code == 303
    return client


def sign_up_through(app, code: str | None, slug: str, email: str, query: str = "", **details):
    """A new visitor: follows the tracked link (when given), then signs up on the landing page it leads to."""
    visitor = app.test_client()
    landing = f"/e/{slug}{query}"
    if code is not None:
        followed = visitor.get(f"/p/{code}")
        assert followed.status_code == 302, followed.status_code
        assert urlsplit(followed.headers["Location"]).path == f"/e/{slug}"
    page = visitor.get(landing)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    carried = {**hidden_fields(html), **{name: html_module.unescape(value) for name, value in _UTM_FIELD.findall(html)}}  # what the browser posts back
    response = visitor.post(f"/e/{slug}", data={**carried, **signup_form(email=email, **details)})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return registration_of(email)


_UTM_FIELD = re.compile(r'<input[^>]*name="(utm_\w+)"[^>]*value="([^"]*)"')


def registration_of(email: str) -> Registration:
    db.session.expire_all()
    return db.session.scalars(sa.select(Registration).where(Registration.email == email)).one()


def check_in(client, event, registration) -> None:
    """Check the person in at the door, as an organiser's phone does (a tap on the list)."""
    door = Door(client, event)
    answer = door.post(f"registrations/{registration.id}/checkin",
                       {"nonce": uuid.uuid4().hex, "device_id": "phone-1", "scanned_at": utcnow().isoformat()})
    assert answer.status_code == 200 and answer.get_json()["status"] == "ok", answer.get_data(as_text=True)
