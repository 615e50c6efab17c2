"""A send's report: each figure (targeted, left out, sent, bounced, opened, clicked, registered, attended,
declined), its rate, and the people behind it, from the invitations' own columns and their registrations."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from eventapp.contacts.models import Contact
from eventapp.core.enums import LabelledEnum
from eventapp.extensions import db
from eventapp.invitations.models import Invitation, InvitationSend, InvitationStatus
from eventapp.registration.models import Registration

# Why people were left out of a send (InvitationSend.left_out's keys: the segment's reasons, suppression reasons).
LEFT_OUT_REASONS = {
    "invalid": _l("Not a usable address"),
    "no_consent": _l("No marketing consent"),
    "unsubscribed": _l("Unsubscribed"),
    "bounced": _l("Mail bounced before"),
    "complained": _l("Marked earlier mail as spam"),
    "stop": _l("Replied STOP"),
    "withdrawn": _l("Unsubscribed or bounced after the send started, or the send was cancelled"),
}


class Figure(LabelledEnum):
    TARGETED = "targeted", _l("Targeted (invitations written)")
    LEFT_OUT = "left_out", _l("Left out")
    SENT = "sent", _l("Sent")
    BOUNCED = "bounced", _l("Bounced")
    OPENED = "opened", _l("Opened (weak signal: mail apps may load images by themselves)")
    CLICKED = "clicked", _l("Clicked")
    REGISTERED = "registered", _l("Registered")
    ATTENDED = "attended", _l("Attended")
    DECLINED = "declined", _l("Can't come")


def _attended():
    return sa.select(Registration.id).where(Registration.invitation_id == Invitation.id,
                                            Registration.checked_in_at.is_not(None)).exists()


# Which invitations each figure counts, and what its rate is a share of.
CONDITIONS = {
    Figure.TARGETED: lambda: sa.true(),
    Figure.LEFT_OUT: lambda: Invitation.status == InvitationStatus.WITHDRAWN,
    Figure.SENT: lambda: Invitation.sent_at.is_not(None),
    Figure.BOUNCED: lambda: Invitation.status == InvitationStatus.BOUNCED,
    Figure.OPENED: lambda: Invitation.opened_at.is_not(None),
    Figure.CLICKED: lambda: Invitation.clicked_at.is_not(None),
    Figure.REGISTERED: lambda: Invitation.registered_at.is_not(None),
    Figure.ATTENDED: _attended,
    Figure.DECLINED: lambda: Invitation.declined_at.is_not(None),
}
# (targeted and left out: a share of everyone considered, written or left out at the start)
SHARE_OF = {Figure.SENT: Figure.TARGETED, Figure.ATTENDED: Figure.REGISTERED}


@dataclass(frozen=True)
class Line:
    figure: Figure
    count: int
    rate: float | None  # of `base`; None when the base is 0
    base: Figure | None  # None: of everyone considered


@dataclass(frozen=True)
class Report:
    lines: list[Line]
    left_out: dict[str, int]  # by reason, those never written as invitations plus those withdrawn later
    queued: int  # invitations in the outbox so far (progress of a send under way)

    def count(self, figure: Figure) -> int:
        return next(line.count for line in self.lines if line.figure == figure)


def report(send: InvitationSend) -> Report:
    """Every figure in one query."""
    counts = db.session.execute(sa.select(
        *(sa.func.count().filter(condition()) for condition in CONDITIONS.values()),
        sa.func.count().filter(Invitation.due_at.is_not(None))).where(Invitation.send_id == send.id)).one()
    found = dict(zip(CONDITIONS, counts, strict=False))
    withdrawn = found[Figure.LEFT_OUT]
    left_out = dict(send.left_out or {})
    if withdrawn:
        left_out["withdrawn"] = withdrawn
    found[Figure.LEFT_OUT] = sum(left_out.values())
    considered = found[Figure.TARGETED] + found[Figure.LEFT_OUT] - withdrawn  # written or left out at the start
    lines = []
    for figure in Figure:
        base = SHARE_OF.get(figure, Figure.SENT) if figure != Figure.TARGETED else None
        total = considered if figure in (Figure.TARGETED, Figure.LEFT_OUT) else found[base]
        lines.append(Line(figure, found[figure], found[figure] / total if total else None,
                          None if figure == Figure.LEFT_OUT else base))
    return Report(lines, left_out, counts[-1])


def people(send: InvitationSend, figure: Figure):
    """The invitations (with their contacts) behind a figure, oldest first: a statement to page or stream."""
    return (sa.select(Invitation, Contact).join(Contact, Contact.id == Invitation.contact_id)
            .where(Invitation.send_id == send.id, CONDITIONS[figure]()).order_by(Invitation.id))
