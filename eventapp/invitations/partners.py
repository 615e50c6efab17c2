"""Partners, their logins and tracked links: the domain actions behind the organisers' partner pages, the public
/p/<code> redirect and the partner portal (figures live in channels.py)."""
import functools
import io
import secrets
from dataclasses import dataclass

import segno
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from eventapp import signals
from eventapp.accounts.models import Organisation, Role, User
from eventapp.accounts.operations import create_user, find_user
from eventapp.accounts.passwords import password_problem
from eventapp.core.time import utcnow
from eventapp.events.models import Campaign, Event, EventStatus
from eventapp.extensions import db
from eventapp.invitations import sending
from eventapp.invitations.models import (Invitation, InvitationSend, LinkClick, Partner, PartnerKind, PartnerLink,
                                         PartnerMember, SendStatus)
from eventapp.messaging.compose import public_base_url

CODE_BYTES = 6  # 8 URL-safe characters, 48 random bits: short enough to type from a poster, too many to guess
POSTER_SCALE = 20  # pixels per module: a 33-module code with its quiet zone is 820 pixels, sharp when printed
QR_BORDER = 4  # modules of quiet zone, as the QR standard asks
# The attributions a browser remembers (event id → partner and channel); the oldest go first.
SESSION_LIMIT = 10


class PartnerRefused(Exception):
    """The change cannot be made; str() is the sentence for the organiser, `field` the form field it is about."""

    def __init__(self, message: str, field: str = "name"):
        super().__init__(message)
        self.field = field


# ---- partners and their logins -----------------------------------------------------------------------------

def partners_of(organisation_id: int) -> list[Partner]:
    return list(db.session.scalars(sa.select(Partner).where(Partner.organisation_id == organisation_id)
                                   .order_by(Partner.name)))


def save_partner(organisation_id: int, values: dict, partner: Partner | None = None) -> Partner:
    """Create a partner, or change one; a name another partner of the organisation has is refused."""
    name_taken = PartnerRefused(_("Another partner already has this name."))
    if _name_taken(organisation_id, values["name"], partner):
        raise name_taken
    if partner is None:
        partner = Partner(organisation_id=organisation_id)
        db.session.add(partner)
    partner.name = values["name"]
    partner.kind = PartnerKind(values["kind"])
    partner.shares_personal_data = bool(values.get("shares_personal_data"))
    _flush_or_refuse(name_taken)
    return partner


def _name_taken(organisation_id: int, name: str, partner: Partner | None) -> bool:
    same_name = sa.select(Partner.id).where(Partner.organisation_id == organisation_id, Partner.name == name)
    if partner is not None:
        same_name = same_name.where(Partner.id != partner.id)
    return db.session.scalar(same_name) is not None


def _flush_or_refuse(refusal: PartnerRefused) -> None:
    """Write what is pending; a unique row that a request at the same moment wrote first (a double click, a
    colleague) is the refusal, not an error."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise refusal from None


def members_of(partner: Partner) -> list[User]:
    return list(db.session.scalars(sa.select(User).join(PartnerMember, PartnerMember.user_id == User.id)
                                   .where(PartnerMember.partner_id == partner.id).order_by(User.email)))


def add_login(partner: Partner, email: str, name: str, password: str) -> User:
    """A new partner login of this partner, with the initial password the organiser chose and passes on. An
    address that has an account already is refused: giving it this role would reset its password."""
    address_taken = PartnerRefused(_("An account with this address exists already. Use another address."), "email")
    if find_user(email) is not None:
        raise address_taken
    problem = password_problem(password, email)
    if problem:
        raise PartnerRefused(problem, "password")
    organisation = db.session.get(Organisation, partner.organisation_id)
    user = create_user(email, password, Role.PARTNER, organisation, name=name)
    _flush_or_refuse(address_taken)
    db.session.add(PartnerMember(user_id=user.id, partner_id=partner.id))
    db.session.flush()
    return user


def partner_of_user(user) -> Partner | None:
    """The partner whose portal this user sees: a partner login of the partner's own organisation, else None."""
    membership = user.membership
    if membership is None or membership.role != Role.PARTNER:
        return None
    return db.session.scalar(sa.select(Partner).join(PartnerMember, PartnerMember.partner_id == Partner.id).where(
        PartnerMember.user_id == user.id, Partner.organisation_id == membership.organisation_id))


# ---- tracked links -----------------------------------------------------------------------------------------

def links_of(organisation_id: int, partner: Partner | None = None, own_channels: bool = False) -> list[PartnerLink]:
    """The organisation's tracked links: a partner's, or (own_channels) those of no partner, or all."""
    query = sa.select(PartnerLink).where(PartnerLink.organisation_id == organisation_id)
    if partner is not None:
        query = query.where(PartnerLink.partner_id == partner.id)
    elif own_channels:
        query = query.where(PartnerLink.partner_id.is_(None))
    return list(db.session.scalars(query.order_by(PartnerLink.id)))


def create_link(organisation_id: int, target: str, partner: Partner | None = None, label: str = "") -> PartnerLink:
    """A tracked link to an event ("event:<id>") or a campaign ("campaign:<id>") of the organisation, for a
    partner or for one of the organisation's own channels (then `label` names it)."""
    kind, _colon, number = target.partition(":")
    model = {"event": Event, "campaign": Campaign}.get(kind)
    row = db.session.get(model, int(number)) if model and number.isdigit() and len(number) < 10 else None
    if row is None or row.organisation_id != organisation_id:
        raise PartnerRefused(_("Choose an event or a campaign from the list."), "target")
    for _attempt in range(3):  # a clash of random codes is rare; a new one settles it
        link = PartnerLink(organisation_id=organisation_id, partner_id=partner.id if partner else None,
                           code=secrets.token_urlsafe(CODE_BYTES), label=label,
                           event_id=row.id if model is Event else None,
                           campaign_id=row.id if model is Campaign else None)
        try:
            with db.session.begin_nested():
                db.session.add(link)
        except IntegrityError:
            continue
        return link
    raise PartnerRefused(_("The link could not be made. Try again."), "target")


def find_link(code: str) -> PartnerLink | None:
    if not code or len(code) > 40:
        return None
    return db.session.scalar(sa.select(PartnerLink).where(PartnerLink.code == code))


def link_url(link: PartnerLink) -> str:
    """The link as printed and shared: an absolute URL from BASE_URL (never the request's Host header)."""
    return f"{public_base_url()}/p/{link.code}"


def target_event(link: PartnerLink) -> Event | None:
    """Where the link leads now: its event, or its campaign's next published event still to come."""
    if link.event_id is not None:
        return link.event
    return db.session.scalar(sa.select(Event).where(
        Event.campaign_id == link.campaign_id, Event.status == EventStatus.PUBLISHED, Event.ends_at > utcnow())
        .order_by(Event.starts_at).limit(1))


def record_click(link: PartnerLink, event: Event | None) -> None:
    """Count a visit (no personal data: no address, no cookie id) and tell the features above."""
    now = utcnow()
    db.session.add(LinkClick(link_id=link.id, event_id=event.id if event else None, clicked_at=now))
    db.session.flush()
    signals.link_visited.send(signals.LinkVisit(
        organisation_id=link.organisation_id, event_id=event.id if event else None,
        campaign_id=event.campaign_id if event else link.campaign_id, link_id=link.id,
        partner_id=link.partner_id, channel=link.channel, occurred_at=now))


def remembered(attributions: dict | None, event_id: int, link: PartnerLink) -> dict:
    """The session's attributions with this link's for the event, the newest last and at most SESSION_LIMIT."""
    kept = {key: value for key, value in (attributions or {}).items() if key != str(event_id)}
    kept[str(event_id)] = {"partner_id": link.partner_id, "channel": link.channel}
    return dict(list(kept.items())[-SESSION_LIMIT:])


# ---- QR codes for posters ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _qr(url: str) -> segno.QRCode:
    return segno.make_qr(url, error="m")


def poster_png(url: str) -> bytes:
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=POSTER_SCALE, border=QR_BORDER)
    return buffer.getvalue()


def poster_svg(url: str) -> bytes:
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="svg", scale=POSTER_SCALE, border=QR_BORDER, light="#fff")
    return buffer.getvalue()


# ---- the partner's own invitation to forward ---------------------------------------------------------------

@dataclass
class ForwardableInvitation:
    invitation: Invitation | None  # None: the partner user's address may get no mail (it unsubscribed or bounced)
    created: bool


def mail_partner_invitation(partner: Partner, event: Event, user: User) -> ForwardableInvitation:
    """The partner's own invitation to the event, once per partner and event: a send of the partner (sending.py
    writes its Invitation, with the partner, and queues the mail) to the partner user who asks, who forwards it.
    Sign-ups through it with other addresses are forwarded sign-ups of the partner. SendRefused when the event
    takes no sign-ups."""
    send = db.session.scalar(sa.select(InvitationSend).where(
        InvitationSend.partner_id == partner.id, InvitationSend.event_id == event.id,
        InvitationSend.status != SendStatus.CANCELLED).order_by(InvitationSend.id).limit(1))
    if send is not None:
        return ForwardableInvitation(_invitation_of(send), created=False)
    send = sending.save_send(None, event, {
        "subject": _("Invitation: %(title)s", title=event.title), "sender_name": partner.name,
        "body_md": _("%(partner)s invites you to this event. Sign up with the form below; it takes a minute.",
                     partner=partner.name),
        "pasted_addresses": user.email}, user.id)
    send.partner_id = partner.id
    sending.start_send(send)
    return ForwardableInvitation(_invitation_of(send), created=True)


def _invitation_of(send: InvitationSend) -> Invitation | None:
    return db.session.scalar(sa.select(Invitation).where(Invitation.send_id == send.id).order_by(Invitation.id)
                             .limit(1))
