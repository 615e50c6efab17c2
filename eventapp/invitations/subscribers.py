"""What happens to an invitation after it is queued, kept on its row for the send's report: its mail went or
bounced, the person opened it or followed a link in it, signed up through it. Each signal carries the ids; one
UPDATE by the message's or the invitation's id, in the transaction of what happened."""
import sqlalchemy as sa

from eventapp import signals
from eventapp.extensions import db
from eventapp.invitations.models import Invitation, InvitationStatus
from eventapp.messaging.models import MessageKind


def _update_by_message(message_id: int, *conditions, **values) -> None:
    db.session.execute(sa.update(Invitation).where(Invitation.message_id == message_id, *conditions).values(**values)
                       .execution_options(synchronize_session=False))


def _on_sent(change: signals.MessageChange, **_):
    if change.kind != MessageKind.INVITATION:
        return
    _update_by_message(change.message_id, Invitation.sent_at.is_(None), sent_at=change.occurred_at,
                       status=sa.case((Invitation.status == InvitationStatus.QUEUED, InvitationStatus.SENT),
                                      else_=Invitation.status))


def _on_failed(change: signals.MessageChange, **_):
    # Only a refused address is a bounce: a 5xx about the mail itself or about our sender is not the invitee's
    # doing, and a retry is not final.
    if change.kind == MessageKind.INVITATION and change.bounced:
        _update_by_message(change.message_id, Invitation.status.in_((InvitationStatus.QUEUED, InvitationStatus.SENT)),
                           status=InvitationStatus.BOUNCED)


def _on_opened(engagement: signals.Engagement, **_):
    if engagement.kind == MessageKind.INVITATION:
        _update_by_message(engagement.message_id, Invitation.opened_at.is_(None), opened_at=engagement.occurred_at)


def _on_clicked(engagement: signals.Engagement, **_):
    if engagement.kind == MessageKind.INVITATION:
        _update_by_message(engagement.message_id, Invitation.clicked_at.is_(None), clicked_at=engagement.occurred_at)


def _on_registered(change: signals.RegistrationChange, **_):
    if change.invitation_id is None:
        return
    db.session.execute(
        sa.update(Invitation).where(Invitation.id == change.invitation_id, Invitation.registered_at.is_(None))
        .values(registered_at=change.occurred_at, status=InvitationStatus.REGISTERED)
        .execution_options(synchronize_session=False))


def connect() -> None:
    """Connect the subscribers (create_app calls it; connecting again changes nothing)."""
    for signal, receiver in (
        (signals.message_sent, _on_sent),
        (signals.message_failed, _on_failed),
        (signals.message_opened, _on_opened),
        (signals.message_clicked, _on_clicked),
        (signals.registration_created, _on_registered),
    ):
        signal.connect(receiver)
