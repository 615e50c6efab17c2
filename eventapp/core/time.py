"""Time is stored in UTC and shown in the event's time zone."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """An aware UTC datetime on every database (SQLite forgets the offset, so we put it back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def is_time_zone(name: str) -> bool:
    return name in _zone_names()


def _zone_names() -> frozenset:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


_ZONES = None


def common_time_zones() -> list[str]:
    return sorted(z for z in _zone_names() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))


def local(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))


def from_local(naive: datetime, zone: str) -> datetime:
    """A wall-clock time typed by an organiser, read in the event's zone."""
    return naive.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)
