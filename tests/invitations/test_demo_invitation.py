"""The demo sends the seminar's invitation to a few demo contacts, as the demo contract says once invitations exist:
delivered through SMTP (here the test's sink) with the form inside, filled in with their details."""
import re

import sqlalchemy as sa

from eventapp.core.time import utcnow
from eventapp.invitations.models import Invitation
from eventapp.messaging.models import Message
from eventapp.messaging.operations import deliver_due
from eventapp.registration.models import Registration


def test_the_demo_invites_three_contacts_to_the_seminar_once_with_their_details_filled_in(app, db, client, smtp_sink):
    output = app.test_cli_runner().invoke(args=["demo"]).output
    assert "invitation to three demo contacts" in output
    # The send goes out at its rate (a tenth of a second apart at 600 a minute): all due now, as a worker would see.
    db.session.execute(sa.update(Message).values(due_at=utcnow()))
    db.session.commit()
    deliver_due()
    invitations = [message for message in smtp_sink.messages if message["Subject"].startswith("Invitation:")]
    invited = {message["To"].addresses[0].addr_spec: message for message in invitations}
    assert set(invited) == {"priya@orbit.example", "lucas@atelier.example", "zhang.wei@donghai.example"}
    mail = invited["zhang.wei@donghai.example"]
    assert mail["Subject"] == "Invitation: Events that make pipeline: a half-day seminar"
    html = mail.get_body(("html",)).get_content()
    assert "Dear 张伟," in html and 'value="东海物流"' in html  # the contact's own details, filled in
    token = re.search(r'action="[^"]*/i/([^"/]+)"', html).group(1)
    invitation = db.session.execute(sa.select(Invitation).where(Invitation.token == token)).scalar_one()
    assert invitation.event.slug == "demo-seminar"

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0  # again: no second invitation
    deliver_due()
    assert len([message for message in smtp_sink.messages if message["Subject"].startswith("Invitation:")]) == 3
    assert db.session.execute(sa.select(sa.func.count()).select_from(Invitation)).scalar() == 3
    assert db.session.execute(sa.select(Registration).where(Registration.invitation_id == invitation.id)
                              ).first() is None
