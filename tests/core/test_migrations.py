"""The migrations are the schema: they match the models, and they go down and up again cleanly."""
import pprint

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from eventapp.extensions import db as _db


def _schema_differences(connection, metadata):
    # The same comparison `flask db migrate` makes: types and server defaults included, so a column type changed
    # in a model without a migration shows up here.
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True,
                                                           "render_as_batch": True})
    return compare_metadata(context, metadata)


def test_models_and_migrated_schema_do_not_differ(db):
    """After `upgrade()` (the session's app fixture ran it), autogenerate would find nothing to write.

    UTCDateTime is a TypeDecorator over DateTime(timezone=True); alembic compares the implementation type, and
    SQLite reflects DATETIME either way, so a timezone-aware column is no spurious difference on either database.
    """
    with db.engine.connect() as connection:
        differences = _schema_differences(connection, db.metadata)
    assert differences == [], (
        "the models and the migrations disagree; generate a migration (`flask --app eventapp db migrate`), "
        "read it, and commit it:\n" + pprint.pformat(differences))


def test_the_schema_has_a_table_for_every_model_and_the_alembic_stamp(db):
    inspector = sa.inspect(db.engine)
    tables = set(inspector.get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_downgrade_to_base_and_upgrade_to_head_round_trip(throwaway_app):
    with throwaway_app.app_context():
        upgrade()
        head_tables = set(sa.inspect(_db.engine).get_table_names())
        assert set(_db.metadata.tables) <= head_tables

        downgrade(revision="base")
        left = set(sa.inspect(_db.engine).get_table_names()) - {"alembic_version"}
        assert left == set(), f"downgrade to base left tables behind: {sorted(left)}"

        upgrade()
        assert set(sa.inspect(_db.engine).get_table_names()) == head_tables
        with _db.engine.connect() as connection:
            assert _schema_differences(connection, _db.metadata) == []
            heads = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        assert len(heads) == 1


def _insert_filled(connection, table_name: str, **values) -> None:
    """A row as the schema of that revision takes it: the values given, and a plain value for each other required
    column."""
    from datetime import datetime, timezone

    table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
    plain = {sa.String: "", sa.Text: "", sa.Integer: 0, sa.Boolean: False, sa.JSON: {},
             sa.DateTime: datetime(2026, 12, 1, 10, tzinfo=timezone.utc)}
    for column in table.columns:
        if column.name in values or column.nullable or column.server_default is not None or column.primary_key:
            continue
        values[column.name] = next(value for kind, value in plain.items() if isinstance(column.type, kind))
    connection.execute(table.insert().values(**values))


def test_registrations_take_their_contacts_details_when_upgraded(throwaway_app):
    """A database from before registrations kept their own details: each gets its contact's, so mails, the door and
    exports of existing registrations read the same after the upgrade."""
    with throwaway_app.app_context():
        upgrade(revision="4f0c3e9a7b21")
        with _db.engine.begin() as connection:
            _insert_filled(connection, "organisations", id=1, slug="o", name="O")
            _insert_filled(connection, "contacts", id=1, organisation_id=1, email="ada@example.com",
                           email_key="ada@example.com", first_name="Ada", last_name="Lovelace", company="Analytical",
                           job_title="CTO", phone="+447400123456")
            _insert_filled(connection, "events", id=1, organisation_id=1, slug="e", title="E")
            _insert_filled(connection, "registrations", id=1, event_id=1, contact_id=1, status="confirmed",
                           manage_token="m", ticket_secret="t")
            # Rows that reference the tables batch mode rebuilds ON DELETE CASCADE (SQLite's DROP would delete them).
            _insert_filled(connection, "messages", id=1, organisation_id=1, contact_id=1, registration_id=1,
                           event_id=1, channel="email", kind="confirmation", recipient="ada@example.com",
                           idempotency_key="reg:1:confirmation:email", status="sent")
        upgrade()
        with _db.engine.connect() as connection:
            row = connection.execute(sa.text("SELECT email, first_name, last_name, company, job_title, phone "
                                             "FROM registrations")).one()
            assert connection.execute(sa.text("SELECT registration_id FROM messages")).scalar_one() == 1
    assert tuple(row) == ("ada@example.com", "Ada", "Lovelace", "Analytical", "CTO", "+447400123456")
