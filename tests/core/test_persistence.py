"""insert_row: a row written by a Core INSERT and handed back as if loaded, so later changes are ordinary updates."""
import sqlalchemy as sa
from sqlalchemy.orm import object_session

from eventapp.core.persistence import insert_row
from eventapp.leads.models import Contact


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
