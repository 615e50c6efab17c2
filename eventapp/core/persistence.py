"""Writing a new row on the hot paths (a sign-up, a walk-in) without the ORM's unit of work, with public
SQLAlchemy API only."""
import functools

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached

from eventapp.extensions import db


def insert_row(model, values: dict):
    """INSERT one row and give it back as a persistent object, as if a query had loaded it: the columns' defaults
    are applied by the INSERT and every column comes back with RETURNING, so later changes are ordinary UPDATEs.

    A Core INSERT on the session's connection (in its transaction) instead of session.add() and a flush: the unit
    of work's flush of one new object measured about twice the CPU of this (0.55 ms against 0.3 ms a row)."""
    statement, attributes = _insert_returning(model)
    row = db.session.connection().execute(statement, values).one()
    instance = model(**dict(zip(attributes, row, strict=True)))
    make_transient_to_detached(instance)  # holds what the database holds: nothing to flush, no history
    db.session.add(instance)
    return instance


@functools.cache
def _insert_returning(model) -> tuple[sa.Insert, tuple[str, ...]]:
    """The INSERT … RETURNING every column of the model's table, and the attribute each column comes back to."""
    mapper = sa.inspect(model)
    columns = tuple(mapper.local_table.columns)
    return (sa.insert(mapper.local_table).returning(*columns),
            tuple(mapper.get_property_by_column(column).key for column in columns))
