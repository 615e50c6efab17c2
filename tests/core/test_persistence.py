"""insert_row: a row written by a Core INSERT and handed back as if loaded, so later changes are ordinary updates."""
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session

from eventapp.core.persistence import insert_row
from eventapp.contacts.models import Contact


def test_the_row_comes_back_whole_and_persistent(db, org):
    contact = insert_row(Contact, {"organisation_id": org.id, "email": "Ada@Example.com", "email_key": "ada@example.com",
                                   "company": "Analytical Engines"})
    assert contact.id is not None and object_session(contact) is db.session()
    assert contact not in db.session.new and contact not in db.session.dirty  # nothing left to flush
    assert contact.first_name == "" and contact.marketing_consent is False  # the column defaults, as written
    assert contact.created_at is not None and contact.created_at.tzinfo is not None
    assert db.session.get(Contact, contact.id) is contact  # in the identity map: later reads are the same object

    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        contact.marketing_consent = True
        db.session.commit()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    assert [s.split()[0] for s in statements] == ["UPDATE"]  # the change, and only the change, is written
    db.session.expire_all()
    stored = db.session.execute(sa.select(Contact)).scalar_one()
    assert (stored.email, stored.company, stored.marketing_consent) == ("Ada@Example.com", "Analytical Engines", True)


def test_the_row_goes_with_the_session_transaction(db, org):
    org_id = org.id
    db.session.commit()
    insert_row(Contact, {"organisation_id": org_id, "email": "a@example.com", "email_key": "a@example.com"})
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Contact)).scalar() == 0


def test_a_refused_row_is_sqlalchemys_error_and_changes_nothing(db, org):
    contact = insert_row(Contact, {"organisation_id": org.id, "email": "a@example.com", "email_key": "a@example.com"})
    db.session.commit()
    with pytest.raises(IntegrityError):  # the same address twice in one organisation
        insert_row(Contact, {"organisation_id": org.id, "email": "A@example.com", "email_key": "a@example.com"})
    db.session.rollback()
    assert [c.id for c in db.session.execute(sa.select(Contact)).scalars()] == [contact.id]
