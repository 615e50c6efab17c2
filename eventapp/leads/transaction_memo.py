"""An organisation's lead settings (score models with their rules, webhook endpoints) read once per transaction.

A sign-up writes four activities and each asked the database again for the same rules and endpoints, inside
SQLite's write lock. Within one transaction the answer cannot change unless the transaction changes it itself, so
the memo lives in the session's `info` and goes at every commit or rollback, and at once when the transaction
changes a watched table (a flush of a model of it, or a statement run through the session), or is about to
(such an object waiting in the session to be flushed: it is flushed first, as a query would, since `load` may be a
Core statement on the connection). Another process's change is seen by the next transaction,
as before: nothing is kept across transactions."""
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from eventapp.extensions import db

WATCHED_TABLES = frozenset({"score_models", "score_rules", "webhook_endpoints"})
_MEMO = "leads_memo"
T = TypeVar("T")


def remembered(key: tuple, load: Callable[[], T]) -> T:
    """`load()`'s answer for `key`, read once in the current transaction."""
    session = db.session()
    if _watched_change_waiting(session):
        session.flush()  # the change reaches the database, and the flush drops the memo: load() reads it
    memo = session.info.setdefault(_MEMO, {})
    if key not in memo:
        memo[key] = load()
    return memo[key]


def forget(session: Session) -> None:
    session.info.pop(_MEMO, None)


def _watched(instance) -> bool:
    table = getattr(type(instance), "__table__", None)
    return table is not None and table.name in WATCHED_TABLES


def _watched_change_waiting(session: Session) -> bool:
    return any(_watched(instance) for collection in (session.new, session.deleted, session.dirty)
               for instance in collection)


@sa.event.listens_for(Session, "after_flush")
def _flushed(session, _flush_context):
    if any(_watched(instance) for collection in (session.new, session.deleted, session.dirty)
           for instance in collection):
        forget(session)


@sa.event.listens_for(Session, "do_orm_execute")
def _statement_run(execute_state):
    """An INSERT, UPDATE or DELETE of a watched table run through the session (a model's make_primary, the default
    model's rules)."""
    if execute_state.is_select:
        return
    table = getattr(execute_state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES:
        forget(execute_state.session)


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
@sa.event.listens_for(Session, "after_soft_rollback")
def _transaction_ended(session, *_):
    forget(session)
