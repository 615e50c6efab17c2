"""Statements SQLAlchemy builds per database dialect."""
from eventapp.extensions import db


def dialect_insert(model):
    """An INSERT of the session's database dialect, which offers ON CONFLICT (PostgreSQL's or SQLite's)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)
