"""What the handoff mails say (issue 16, helper "handoff"): to the sales owner, the lead's summary, timeline
highlights and the personal feedback link; the reminder repeats them with the same link. Messaging delivers them
(see messaging.content); handoffs.py queues them."""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from eventapp.accounts.models import Organisation
from eventapp.core.templating import local_datetime
from eventapp.extensions import db
from eventapp.leads import handoffs
from eventapp.leads.models.handoff import Handoff
from eventapp.messaging.content import Mail, MessageContent, Wording, register_content
from eventapp.registration.notifications import N_


SUBJECT = N_("New lead for you: %(name)s, %(company)s")
REMINDER_SUBJECT = N_("Reminder: please answer about %(name)s, %(company)s")


class HandoffMessages(MessageContent):
    """A handoff mail or its reminder (`message.about` is the Handoff, with its contact and owner); the message's
    context holds the handoff's id and the link's token."""

    def load(self, messages: list) -> None:
        ids = {message.meta["handoff_id"] for message in messages}
        found = {handoff.id: handoff for handoff in db.session.execute(
            sa.select(Handoff).where(Handoff.id.in_(ids))
            .options(joinedload(Handoff.contact), joinedload(Handoff.owner))).scalars()}
        for message in messages:
            message.about = found.get(message.meta["handoff_id"])

    def withdrawn(self, message) -> bool:
        # Answered or handed to someone else before the mail went: nothing left to ask.
        handoff = message.about
        return handoff is None or handoff.answered_at is not None or handoff.withdrawn_at is not None

    def mail(self, message, translations, locale: str, wording: Wording | None) -> Mail:
        handoff, person = message.about, message.about.contact
        reminder = message.kind == handoffs.REMINDER_MAIL
        zone = handoffs.organisation_timezone(handoff.organisation_id).key
        names = {"name": person.name or person.email, "company": person.company or translations.gettext("no company")}
        subject = translations.gettext(REMINDER_SUBJECT if reminder else SUBJECT) % names
        context = {**handoffs.summary(person), "handoff": handoff, "locale": locale, "reminder": reminder,
                   "owner_name": handoff.owner.name if handoff.owner else "",
                   "due": local_datetime(handoff.due_at, zone), "zone": zone,
                   "feedback_url": handoffs.feedback_url(message.meta["token"]),
                   "organisation_name": db.session.get(Organisation, handoff.organisation_id).name}
        return Mail(subject=subject, template="emails/leads/handoff", context=context)

    def sms(self, message, translations, wording: Wording | None) -> str:
        raise LookupError("handoffs go by email only")


register_content([handoffs.HANDOFF_MAIL, handoffs.REMINDER_MAIL], HandoffMessages())
