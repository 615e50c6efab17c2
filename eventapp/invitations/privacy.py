"""What invitations hold about a person, for a privacy request: the invitations sent to them and what became of
each. An erasure takes their address out of the pasted lists of sends and gives each invitation a new token; the
invitations stay (ids and times, no personal data), which the sends' reports and the funnels count."""
import sqlalchemy as sa
from flask_babel import gettext as _

from eventapp import signals
from eventapp.contacts.models import Contact
from eventapp.core.tokens import url_token
from eventapp.events.models import Event
from eventapp.extensions import db
from eventapp.invitations.models import Invitation, InvitationSend, Partner


@signals.personal_data.connect
def _invitation_data(ref: signals.ContactRef, **kwargs):
    invitations = db.session.execute(
        sa.select(Invitation, Event.title, Partner.name).join(Event, Event.id == Invitation.event_id)
        .outerjoin(Partner, Partner.id == Invitation.partner_id)
        .where(Invitation.contact_id == ref.contact_id).order_by(Invitation.created_at, Invitation.id)).all()
    return signals.PersonalData(_("Invitations"), [
        {"event": title, "partner": partner, "status": invitation.status, "created_at": invitation.created_at,
         "sent_at": invitation.sent_at, "opened_at": invitation.opened_at, "clicked_at": invitation.clicked_at,
         "registered_at": invitation.registered_at, "declined_at": invitation.declined_at}
        for invitation, title, partner in invitations])


def _without(pasted: str, address: str) -> str:
    """The pasted list without the lines that hold the address (any spelling of its case)."""
    return "\n".join(line for line in pasted.splitlines() if address.casefold() not in line.casefold())


@signals.contact_erasing.connect
def _erase_invitation_links_and_addresses(ref: signals.ContactRef, **kwargs):
    contact = db.session.get(Contact, ref.contact_id)
    # New tokens: the form inside their old invitation mails opens nothing (it would show the erased contact).
    for invitation in db.session.execute(sa.select(Invitation).where(Invitation.contact_id == contact.id)).scalars():
        invitation.token = url_token()
    sends = db.session.execute(sa.select(InvitationSend).where(
        InvitationSend.organisation_id == contact.organisation_id,
        InvitationSend.pasted_addresses.icontains(contact.email, autoescape=True))).scalars()
    for send in sends:
        send.pasted_addresses = _without(send.pasted_addresses, contact.email)
