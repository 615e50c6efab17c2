"""Flask extensions, created here and bound to the app in create_app()."""
from pathlib import Path

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints, so Alembic batch migrations on SQLite can find them again.
naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=naming_convention))
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


babel = Babel()


def make_huey(config: dict):
    """The task queue: Redis when REDIS_URL is set, else a SQLite file in the data directory."""
    if config.get("REDIS_URL"):
        from huey import RedisHuey

        return RedisHuey("eventapp", url=config["REDIS_URL"])
    from huey import SqliteHuey

    # No fsync per enqueue: a hand-off lost in a power cut is found again by the sweep (the outbox row is safe).
    return SqliteHuey("eventapp", filename=str(Path(config["DATA_DIR"]) / "queue.db"), fsync=False)
