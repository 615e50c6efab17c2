"""Shared by the stage, handoff and sales tests (issue 16, helper "handoff")."""
import re

import sqlalchemy as sa

from eventapp.accounts.models import Role
from eventapp.accounts.operations import create_user
from eventapp.contacts.models import Contact
from eventapp.core.time import utcnow
from eventapp.extensions import db
from eventapp.leads.models import LeadActivity, LeadState
from eventapp.leads.models.scoring import ScoreModel
from eventapp.messaging.operations import deliver_due
from tests.conftest import PASSWORD


def a_contact(org, email="lin@example.com", **fields) -> Contact:
    values = {"first_name": "Lin", "last_name": "Wei", "company": "Acme Robotics", "job_title": "CTO",
              "city": "Shanghai", "industry": "Manufacturing", **fields}
    person = Contact(organisation_id=org.id, email=email, email_key=email.lower(), created_at=utcnow(),
                     updated_at=utcnow(), **values)
    db.session.add(person)
    db.session.commit()
    return person


def a_seller(org, email="sam@acme.example", name="Sam Seller"):
    user = create_user(email, PASSWORD, Role.SALES, org)
    user.name = name
    db.session.commit()
    return user


def a_model(org, threshold=50, required=("company", "job_title")) -> ScoreModel:
    model = ScoreModel(organisation_id=org.id, name="Default", is_primary=True, mql_threshold=threshold,
                       required_fields=list(required))
    db.session.add(model)
    db.session.commit()
    return model


def state_of(contact_id) -> LeadState | None:
    db.session.expire_all()
    return db.session.get(LeadState, contact_id)


def kinds_of(contact_id) -> list[str]:
    return list(db.session.execute(sa.select(LeadActivity.kind).where(LeadActivity.contact_id == contact_id)
                                   .order_by(LeadActivity.id)).scalars())


def activities_of(contact_id, kind) -> list[LeadActivity]:
    return list(db.session.execute(sa.select(LeadActivity).where(LeadActivity.contact_id == contact_id,
                                                                 LeadActivity.kind == kind)
                                   .order_by(LeadActivity.id)).scalars())


def delivered_mails(sink):
    deliver_due()
    return sink.messages


def plain(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def feedback_path(mail) -> str:
    return re.search(r"https?://[^/\s]+(/f/[\w-]+)", plain(mail)).group(1)
