"""The demo has a sales login and a lead handed to it, whose mail shows the feedback link (issue 16, helper
"handoff")."""
import re

import sqlalchemy as sa

from eventapp.leads.handoffs import HANDOFF_MAIL
from eventapp.leads.models.handoff import Handoff
from eventapp.messaging.models import Message
from eventapp.messaging.operations import deliver_due
from tests.conftest import submit


def test_the_demo_hands_a_lead_to_its_sales_login(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "sales@demo.example" in first.output and "demo-sales-leads" in first.output
    assert runner.invoke(args=["demo"]).exit_code == 0
    handoffs = db.session.execute(sa.select(Handoff)).scalars().all()
    assert len(handoffs) >= 1 and all(handoff.owner.email == "sales@demo.example" for handoff in handoffs)
    deliver_due()
    mail = db.session.execute(sa.select(Message).where(Message.kind == HANDOFF_MAIL)).scalars().first()
    assert mail.recipient == "sales@demo.example" and re.search(r"/f/[\w-]{40,}", mail.body_text)

    client = app.test_client()
    assert submit(client, "/login", {"email": "sales@demo.example", "password": "demo-sales-leads"}).status_code == 303
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "My leads" in page and handoffs[0].contact.name in page
