"""What the browser tests share: an event with questions, filling the sign-up form by its labels, reading the DB."""
import sqlalchemy as sa

from eventapp.contacts.models import Contact
from eventapp.registration.models import Registration

QUESTIONS = [
    {"label": "What brings you here?", "kind": "single_choice", "options": ["Leads", "Brand", "Partners"],
     "required": True},
    {"label": "Would you like a product demo?", "kind": "yes_no"},
]


def event_with_questions(make_event, **overrides):
    return make_event(questions=QUESTIONS, **overrides)


def fill_signup(page, email="ada@example.com", consent=True):
    """Type into the real form the way a person does: by the labels they read."""
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Company").fill("Analytical Ltd")
    page.get_by_label("Job title").fill("CTO")
    page.get_by_label("Mobile phone").fill("+49 30 901820")
    page.get_by_role("group", name="What brings you here?").get_by_label("Brand", exact=True).check()
    page.get_by_role("group", name="Would you like a product demo?").get_by_label("Yes", exact=True).check()
    if consent:
        page.get_by_label("Yes, Acme Events may email me").check()


def submit_signup(page):
    page.get_by_role("button", name="Sign up").click()


def registrations(db):
    db.session.expire_all()
    return list(db.session.execute(sa.select(Registration).order_by(Registration.id)).scalars())


def contact_count(db):
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count()).select_from(Contact)).scalar()
