"""What the outbox holds about a person, for a privacy request: the mails and text messages sent to them. An
erasure blanks their addresses and contents (and cancels what is still to go); the rows stay with their kind,
status and times, which delivery and invitation figures count."""
import sqlalchemy as sa
from flask_babel import gettext as _

from eventapp import signals
from eventapp.contacts.models import Contact
from eventapp.extensions import db
from eventapp.messaging.models import Message, MessageStatus

# Not yet handed to a provider: an erased person gets nothing more.
UNSENT = (MessageStatus.QUEUED, MessageStatus.SENDING)
BLANK = {"recipient": "", "recipient_name": "", "subject": "", "body_text": "", "raw": None, "meta": {},
         "last_error": ""}


@signals.personal_data.connect
def _message_data(ref: signals.ContactRef, **kwargs):
    messages = db.session.execute(sa.select(Message).where(Message.contact_id == ref.contact_id)
                                  .order_by(Message.created_at, Message.id)).scalars()
    return signals.PersonalData(_("Mails and text messages sent to them"), [
        {"kind": message.kind, "channel": message.channel, "to": message.recipient,
         "to_name": message.recipient_name, "subject": message.subject, "body": message.body_text,
         "status": message.status, "created_at": message.created_at, "sent_at": message.sent_at,
         "delivered_at": message.delivered_at} for message in messages])


def _mentioning(contact: Contact):
    """Messages to others that name the person (a sales owner's mail about the lead), and any to their address or
    number without their contact id: by address, number or full name."""
    words = [contact.email, contact.phone] + ([contact.name] if contact.first_name and contact.last_name else [])
    columns = (Message.recipient, Message.recipient_name, Message.subject, Message.body_text)
    found = sa.or_(*(column.icontains(word, autoescape=True) for word in words if word for column in columns))
    return sa.and_(Message.organisation_id == contact.organisation_id, found)


@signals.contact_erasing.connect
def _erase_messages(ref: signals.ContactRef, **kwargs):
    contact = db.session.get(Contact, ref.contact_id)
    theirs = Message.contact_id == ref.contact_id
    db.session.execute(sa.update(Message).where(theirs, Message.status.in_(UNSENT))
                       .values(status=MessageStatus.CANCELLED), execution_options={"synchronize_session": False})
    db.session.execute(sa.update(Message).where(sa.or_(theirs, _mentioning(contact))).values(**BLANK),
                       execution_options={"synchronize_session": False})
