"""What an invitee's answers do: signing up through the invitation (the invitee, or someone it was forwarded to),
and "can't come". The token in the link proves that whoever answers got the mail, not who they are: the invitee's
own address signs the invitee up (and may bring their profile up to date); any other address is a forwarded copy."""
import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from eventapp import signals
from eventapp.contacts import operations as contacts
from eventapp.core.time import utcnow
from eventapp.extensions import db
from eventapp.invitations.models import Invitation, InvitationStatus, PartnerLink
from eventapp.messaging.models import MessageKind
from eventapp.registration import operations as registration
from eventapp.registration.notifications import queue_for
from eventapp.registration.operations import Outcome, Signup, SignupResult


class SignupChannel(enum.StrEnum):
    """A sign-up's channel through an invitation (the same values as leads' Channel, which no feature imports)."""
    INVITATION = "invitation"  # the invitee, through their invitation's form or link
    FORWARDED = "forwarded"  # someone else, through a copy forwarded to them


class ForwardingRefused(Exception):
    """Someone other than the invitee tried to sign up through an invitation the organisers keep personal."""


PERSONAL = _l("This invitation is personal, so only the person it was sent to can sign up with it. If you would "
              "like to come, please ask the organisers for an invitation of your own.")


def find_by_token(token: str) -> Invitation | None:
    if not token or len(token) > 64:
        return None
    return db.session.execute(sa.select(Invitation).where(Invitation.token == token)).scalar_one_or_none()


def invitee_registration(invitation: Invitation):
    """The invitee's active registration for the invitation's event, or None."""
    found = registration.registration_of(invitation.event, invitation.contact)
    return found if found is not None and found.is_active else None


def is_invitees_address(invitation: Invitation, signup: Signup) -> bool:
    return signup.email.key == invitation.contact.email_key


def sign_up(invitation: Invitation, signup: Signup) -> SignupResult:
    """Register whoever answered the invitation: the invitee (their own address), or, when the event allows
    forwarding, a new person referred by the invitee. Raises ForwardingRefused, RegistrationClosed, EventFull."""
    if is_invitees_address(invitation, signup):
        return _invitee_signs_up(invitation, signup)
    if not may_be_forwarded(invitation):
        raise ForwardingRefused(str(PERSONAL))
    return _forwarded_sign_up(invitation, signup)


def may_be_forwarded(invitation: Invitation) -> bool:
    """The organisers allow it for the event; a partner's own invitation is made to be forwarded to its members."""
    return invitation.event.forwarding_allowed or invitation.partner_id is not None


def _invitee_signs_up(invitation: Invitation, signup: Signup) -> SignupResult:
    signup.channel, signup.invited = SignupChannel.INVITATION, True
    signup.attribution = {"invitation_id": invitation.id, "partner_id": invitation.partner_id}
    result = registration.register(invitation.event, signup)
    if result.outcome is Outcome.CREATED:
        # The token came in the mail to this address: what they typed may update their profile.
        contacts.update_contact(invitation.contact, signup.details)
        invitation.status, invitation.registered_at = InvitationStatus.REGISTERED, utcnow()
    return result


def _forwarded_sign_up(invitation: Invitation, signup: Signup) -> SignupResult:
    event = invitation.event
    known = contacts.find_contact(event.organisation_id, signup.email) is not None
    signup.channel, signup.invited = SignupChannel.FORWARDED, True
    signup.attribution = {"referred_by_id": invitation.contact_id, "partner_id": invitation.partner_id}
    result = registration.register(event, signup)
    if result.outcome is not Outcome.CREATED:
        return result
    person = result.registration.contact
    if not known:  # a person new to the organisation came through the invitee (an existing contact stays as is)
        person.origin = SignupChannel.FORWARDED
        person.referred_by_id = invitation.contact_id
        person.referred_channel = referral_channel(invitation)
    signals.invitation_forwarded.send(signals.Referral(
        invitation_id=invitation.id, organisation_id=event.organisation_id, event_id=event.id,
        campaign_id=event.campaign_id, invitee_contact_id=invitation.contact_id, new_contact_id=person.id,
        registration_id=result.registration.id, partner_id=invitation.partner_id, occurred_at=utcnow()))
    return result


def referral_channel(invitation: Invitation) -> str:
    """How a forwarded person came: the invitee's partner (its tracked link's channel, for this event when it has
    one) or plainly "forwarded"."""
    if invitation.partner_id is None:
        return SignupChannel.FORWARDED
    link = db.session.execute(
        sa.select(PartnerLink).where(PartnerLink.partner_id == invitation.partner_id)
        .order_by(sa.case((PartnerLink.event_id == invitation.event_id, 0), else_=1), PartnerLink.id)
        .limit(1)).scalar_one_or_none()
    return link.channel if link is not None else SignupChannel.FORWARDED


def mail_manage_link(invitation: Invitation) -> bool:
    """The invitee, registered, asks for the link to their registration: it goes by mail to the address it was
    given with, at most once a day (the same mail as a second sign-up's), and is never shown on a page that whoever
    holds a forwarded copy can open. False when the invitee is not registered."""
    found = invitee_registration(invitation)
    if found is None:
        return False
    day = utcnow().strftime("%Y-%m-%d")
    queue_for(found, MessageKind.ALREADY_REGISTERED, channel="email", key=f"reg:{found.id}:already:{day}:email")
    return True


def decline(invitation: Invitation) -> bool:
    """The invitee can't come; False when they said so already (a second click changes nothing)."""
    if invitation.status == InvitationStatus.DECLINED:
        return False
    invitation.status, invitation.declined_at = InvitationStatus.DECLINED, utcnow()
    event = invitation.event
    signals.invitation_declined.send(signals.InvitationChange(
        invitation_id=invitation.id, organisation_id=invitation.organisation_id, event_id=event.id,
        campaign_id=event.campaign_id, contact_id=invitation.contact_id, partner_id=invitation.partner_id,
        occurred_at=invitation.declined_at))
    return True
