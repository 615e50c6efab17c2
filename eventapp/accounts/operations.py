import sqlalchemy as sa

from eventapp.accounts.models import Membership, Organisation, Role, User
from eventapp.extensions import db


def find_user(email: str) -> User | None:
    return db.session.execute(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())
                              ).scalar_one_or_none()


def find_organisation(slug: str) -> Organisation | None:
    return db.session.execute(sa.select(Organisation).where(Organisation.slug == slug)).scalar_one_or_none()


def ensure_organisation(slug: str, name: str) -> Organisation:
    organisation = find_organisation(slug)
    if organisation is None:
        organisation = Organisation(slug=slug, name=name)
        db.session.add(organisation)
        db.session.flush()
    return organisation


def create_user(email: str, password: str, role: Role, organisation: Organisation, name: str = "") -> User:
    """Create the user, or give an existing one this role in this organisation and the new password."""
    user = find_user(email)
    if user is None:
        user = User(email=email.strip().lower(), name=name)
        db.session.add(user)
    user.set_password(password)
    membership = next((m for m in user.memberships if m.organisation_id == organisation.id), None)
    if membership is None:
        user.memberships.append(Membership(organisation=organisation, role=role))
    else:
        membership.role = role
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    return user
