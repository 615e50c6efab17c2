"""Migration 8b2e1d6f3c24 on a database that has users: each gets a session token of their own, and the sessions
they had (which name only the user id) end."""
import sqlalchemy as sa
from flask_migrate import upgrade

from eventapp.extensions import db as _db


def test_existing_users_get_a_token_each(throwaway_app):
    with throwaway_app.app_context():
        upgrade(revision="7a1d0c5e2b13")
        with _db.engine.begin() as connection:
            for number in (1, 2):
                connection.execute(sa.text(
                    "INSERT INTO users (id, email, name, password_hash, active, created_at) "
                    "VALUES (:id, :email, '', 'x', 1, '2026-12-01 10:00:00')"),
                    {"id": number, "email": f"user{number}@example.com"})
        upgrade()
        with _db.engine.connect() as connection:
            tokens = connection.execute(sa.text("SELECT session_token FROM users ORDER BY id")).scalars().all()
            session_token = next(column for column in sa.inspect(connection).get_columns("users")
                                 if column["name"] == "session_token")
    assert len(tokens) == 2 and len(set(tokens)) == 2 and all(len(token) >= 32 for token in tokens)
    assert session_token["nullable"] is False
