"""insert_row: a row written by a Core INSERT and handed back as if loaded, so later changes are ordinary updates."""
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import object_session

from eventapp.core.persistence import insert_row
from eventapp.core.time import utcnow
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


# ---------------------------------------------------------------- Prepared: compiled once, run by the driver

@pytest.fixture(params=["driver", "observed"])
def watched(request, db):
    """Prepared statements run by the driver, or through SQLAlchemy's execution while a listener watches the
    engine (which then sees them); the statements the listener saw."""
    seen = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    if request.param == "observed":
        sa.event.listen(db.engine, "before_cursor_execute", note)
    yield request.param, seen
    if request.param == "observed":
        sa.event.remove(db.engine, "before_cursor_execute", note)


def test_prepared_insert_converts_values_fills_defaults_and_returns_typed_columns(db, org, watched):
    from datetime import datetime, timezone

    from eventapp.core.persistence import Prepared
    from eventapp.leads.models import LeadActivity

    table = LeadActivity.__table__
    contact = insert_row(Contact, {"organisation_id": org.id, "email": "a@example.com", "email_key": "a@example.com"})
    insert = Prepared(sa.insert(table).returning(table.c.id, table.c.meta, table.c.occurred_at, table.c.channel))
    at = datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    (new_id, meta, occurred_at, channel), = insert.rows({
        "organisation_id": org.id, "contact_id": contact.id, "kind": "registered", "occurred_at": at,
        "meta": {"registration_id": 7, "note": "ü \"quoted\""}})
    # JSON and an aware datetime come back as Python values, and the column's Python default was applied
    assert meta == {"registration_id": 7, "note": "ü \"quoted\""}
    assert occurred_at == at and occurred_at.tzinfo is not None
    assert channel == LeadActivity.__table__.c.channel.default.arg
    # what the ORM reads back is the same
    stored = db.session.get(LeadActivity, new_id)
    assert (stored.meta, stored.occurred_at, stored.kind) == (meta, at, "registered")
    path, seen = watched
    assert any(statement.startswith("INSERT INTO lead_activities") for statement in seen) == (path == "observed")


def test_prepared_statement_is_in_the_session_transaction(db, org):
    from eventapp.core.persistence import Prepared
    from eventapp.leads.models import LeadActivity

    contact = insert_row(Contact, {"organisation_id": org.id, "email": "a@example.com", "email_key": "a@example.com"})
    db.session.commit()
    insert = Prepared(sa.insert(LeadActivity.__table__))
    assert insert.execute({"organisation_id": org.id, "contact_id": contact.id, "kind": "registered",
                           "meta": {}, "occurred_at": utcnow()}) == 1
    db.session.rollback()  # the insert goes with the transaction it was made in
    assert db.session.execute(sa.select(sa.func.count()).select_from(LeadActivity)).scalar() == 0


def test_prepared_errors_are_sqlalchemy_errors_and_change_nothing(db, org, watched):
    from sqlalchemy.exc import IntegrityError

    contact = insert_row(Contact, {"organisation_id": org.id, "email": "a@example.com", "email_key": "a@example.com"})
    db.session.commit()
    with pytest.raises(IntegrityError):  # the same address twice in one organisation
        insert_row(Contact, {"organisation_id": org.id, "email": "A@example.com", "email_key": "a@example.com"})
    db.session.rollback()
    assert [c.id for c in db.session.execute(sa.select(Contact)).scalars()] == [contact.id]


def test_load_rows_gives_loaded_objects_and_the_ones_the_session_holds(db, org, watched):
    from eventapp.core.persistence import load_rows, select_all_columns

    by_key = select_all_columns(Contact, Contact.email_key == sa.bindparam("key"))
    contact = insert_row(Contact, {"organisation_id": org.id, "email": "a@example.com", "email_key": "a@example.com",
                                   "company": "Analytical Engines"})
    contact_id = contact.id
    db.session.commit()
    db.session.expunge_all()
    loaded, = load_rows(Contact, by_key, {"key": "a@example.com"})
    assert loaded.company == "Analytical Engines" and loaded.created_at.tzinfo is not None
    assert loaded not in db.session.dirty and db.session.get(Contact, contact_id) is loaded
    loaded.company = "Changed, not yet written"
    again, = load_rows(Contact, by_key, {"key": "a@example.com"})
    assert again is loaded and again.company == "Changed, not yet written"  # the session's object, as a query gives
    assert load_rows(Contact, by_key, {"key": "nobody@example.com"}) == []


def test_load_rows_sees_what_the_session_has_not_written_yet(db, org):
    from eventapp.core.persistence import load_rows, select_all_columns

    db.session.add(Contact(organisation_id=org.id, email="new@example.com", email_key="new@example.com"))
    found = load_rows(Contact, select_all_columns(Contact, Contact.email_key == sa.bindparam("key")),
                      {"key": "new@example.com"})
    assert [c.email for c in found] == ["new@example.com"]  # flushed first, as a query would


def test_a_lost_connection_is_not_given_back_to_the_pool(db, org, monkeypatch):
    """A driver error that means the connection is gone invalidates it, as SQLAlchemy's own execution does, so
    the next request gets a fresh one instead of the dead one. (Simulated: a statement the database refuses,
    with the dialect saying that error means a lost connection.)"""
    from sqlalchemy.exc import DBAPIError

    from eventapp.core.persistence import Prepared

    connection = db.session.connection()
    monkeypatch.setattr(connection.dialect, "is_disconnect", lambda *_args: True)
    with pytest.raises(DBAPIError) as raised:
        Prepared(sa.select(sa.table("no_such_table", sa.column("id")))).rows({})
    assert raised.value.connection_invalidated and connection.invalidated
    monkeypatch.undo()
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Contact)).scalar() == 0  # a working one


def test_unwatched_statements_skip_sqlalchemys_execution_and_watched_ones_take_it(db, org, monkeypatch):
    from eventapp.core.persistence import Prepared

    taken = []
    real = sa.engine.Connection.exec_driver_sql
    monkeypatch.setattr(sa.engine.Connection, "exec_driver_sql",
                        lambda self, *args, **kwargs: taken.append(args[0]) or real(self, *args, **kwargs))
    count = Prepared(sa.select(sa.func.count()).select_from(Contact.__table__))
    assert count.scalar({}) == 0 and taken == []  # nobody listens: the driver runs it

    def note(*_args):
        pass

    sa.event.listen(db.engine, "after_cursor_execute", note)
    try:
        assert count.scalar({}) == 0 and len(taken) == 1  # a listener: SQLAlchemy's execution, which it sees
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", note)
    assert count.scalar({}) == 0 and len(taken) == 1  # and the driver again once it is gone
