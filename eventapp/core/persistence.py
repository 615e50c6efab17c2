"""Statements on the hot paths (a sign-up, a walk-in): compiled once, and written without the unit of work."""
import functools

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict

from eventapp.extensions import db


class Prepared:
    """A Core statement compiled once per database driver (and, for an INSERT, per set of columns given), then run
    as that SQL string by the driver's cursor, on the session's connection (in its transaction).

    What SQLAlchemy does for each execution of a cached statement still happens, once per call and no more: the
    column types turn each value into what the driver takes (JSON, aware datetimes) and the RETURNING or selected
    columns back, Python-side column defaults are filled in, and the driver's errors come wrapped as SQLAlchemy's
    (IntegrityError, ...). What is skipped is the per-call planning and result set-up around it, which measured
    several times the driver's own work on a sign-up's statements. While anything listens to the engine's
    statement events or echoes them, the statement goes through SQLAlchemy's execution instead, so they see it.

    Only for statements whose SQL does not change with the values (no IN lists of varying length, no literals)."""

    def __init__(self, statement):
        self.statement = statement
        self._plans: dict = {}

    def execute(self, values: dict) -> int:
        """Run a statement that gives no rows back; the number of rows it changed."""
        cursor = self._run(values)[1]
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def rows(self, values: dict) -> list[tuple]:
        """The rows a SELECT or a RETURNING gives, each value turned into its column's Python type."""
        plan, cursor = self._run(values)
        try:
            return [plan.row(raw) for raw in cursor.fetchall()]
        finally:
            cursor.close()

    def scalar(self, values: dict):
        """The first column of the first row, or None when there is none."""
        rows = self.rows(values)
        return rows[0][0] if rows else None

    def _run(self, values: dict):
        connection = _connection()
        dialect = connection.dialect
        key = (dialect.name, dialect.driver, *values)  # psycopg and psycopg2 differ in their binds
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _Plan(self.statement, dialect, values)
        parameters = plan.parameters(values)
        if _observed(connection):  # whoever listens to the engine's statements or echoes them sees these too
            return plan, connection.exec_driver_sql(plan.sql, parameters)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(plan.sql, parameters)
        except dialect.loaded_dbapi.Error as error:
            lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
            cursor.close()
            if lost:  # as SQLAlchemy's execution does: the pool gets a fresh connection, not this dead one
                connection.invalidate(error)
            raise sa.exc.DBAPIError.instance(plan.sql, parameters, error, dialect.loaded_dbapi.Error,
                                             dialect=dialect, connection_invalidated=lost) from error
        return plan, cursor


def _connection():
    """The session's connection in its current transaction (Session.connection() asked once per transaction: a
    sign-up's nine statements asking it each time measured 3 % of the request)."""
    session = db.session()
    transaction = session.get_transaction()
    known = session.info.get("prepared_connection")
    if transaction is not None and known is not None and known[0] is transaction:
        return known[1]
    connection = session.connection()
    session.info["prepared_connection"] = (session.get_transaction(), connection)
    return connection


def _observed(connection) -> bool:
    """Does anything watch this connection's statements or their errors: a listener (statement counts in tests,
    instrumentation) on it, its engine or its dialect, or echo? Then they go through SQLAlchemy's own execution,
    where these see them."""
    try:
        return bool(connection._echo
                    or any(dispatch.before_cursor_execute or dispatch.after_cursor_execute
                           for dispatch in (connection.dispatch, connection.engine.dispatch))
                    or connection.dialect.dispatch.handle_error)
    except AttributeError:  # another SQLAlchemy than the one this was written for: take the safe way
        return True


class _Plan:
    """One compiled form of a statement: its SQL, the order and conversion of its parameters, and of its
    result columns."""

    def __init__(self, statement, dialect, values: dict):
        compiled = statement.compile(dialect=dialect, column_keys=list(values))
        self.sql = compiled.string
        processors = compiled._bind_processors
        defaults = {compiled.bind_names.get(column, column.key): column.default
                    for column in compiled.insert_prefetch}
        names = compiled.positiontup if dialect.positional else list(compiled.bind_names.values())
        self.binds = [(name, processors.get(name), defaults.get(name)) for name in names]
        self.positional = dialect.positional
        self.result_processors = [column.type._cached_result_processor(dialect, None)
                                  for column in compiled._result_columns]
        self.converts_results = any(self.result_processors)

    def parameters(self, values: dict):
        converted = []
        for name, processor, default in self.binds:
            if default is not None and name not in values:
                value = default.arg(None) if default.is_callable else default.arg
            else:
                value = values[name]
            converted.append(value if processor is None else processor(value))
        if self.positional:
            return tuple(converted)
        return {name: value for (name, _processor, _default), value in zip(self.binds, converted)}

    def row(self, raw) -> tuple:
        if not self.converts_results:
            return tuple(raw)
        return tuple(value if processor is None else processor(value)
                     for processor, value in zip(self.result_processors, raw))


def insert_row(model, values: dict):
    """INSERT one row and give it back as a persistent object, as if a query had loaded it: column defaults are
    applied and every column comes back with RETURNING. The unit of work's flush of one new object costs about
    twice the Python work (measured), a large share of a sign-up."""
    statement, attributes = _insert_returning(model)
    row, = statement.rows(values)
    return _as_loaded(model, dict(zip(attributes, row, strict=True)))


def load_rows(model, statement: Prepared, values: dict) -> list:
    """The model's objects for the rows a prepared SELECT of all its table's columns gives, in the session as if a
    query had loaded them; an object the session already holds is the one returned (unchanged, as with a query).
    """
    attributes = _column_attributes(model)
    session = db.session()
    if session.autoflush:
        session.flush()  # as a query would: rows the session holds unwritten are seen (a no-op when none are)
    loaded = []
    for row in statement.rows(values):
        state = dict(zip(attributes, row, strict=True))
        present = session.identity_map.get(sa.inspect(model).identity_key_from_primary_key(
            [state[key] for key in _primary_key_attributes(model)]))
        loaded.append(present if present is not None else _as_loaded(model, state))
    return loaded


def _as_loaded(model, state: dict):
    # As the ORM's loading does: the values go straight into the new object's dict, with no __init__ and no
    # attribute events (which cost as much as the INSERT's own Python work); then it is marked as holding what
    # the database holds, nothing left to flush, and joins the session.
    instance = sa.inspect(model).class_manager.new_instance()
    instance_dict(instance).update(state)
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance


@functools.cache
def _column_attributes(model) -> tuple[str, ...]:
    """The model's column attributes, in its table's column order (the order of select(table) and RETURNING)."""
    mapper = sa.inspect(model)
    by_column = {attribute.columns[0]: attribute.key for attribute in mapper.column_attrs}
    return tuple(by_column[column] for column in mapper.local_table.columns)


@functools.cache
def _primary_key_attributes(model) -> tuple[str, ...]:
    mapper = sa.inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


@functools.cache
def _insert_returning(model) -> tuple[Prepared, tuple[str, ...]]:
    table = sa.inspect(model).local_table
    return Prepared(sa.insert(table).returning(*table.columns)), _column_attributes(model)


def select_all_columns(model, *criteria) -> Prepared:
    """A prepared SELECT of every column of the model's table (for load_rows)."""
    return Prepared(sa.select(*sa.inspect(model).local_table.columns).where(*criteria))
