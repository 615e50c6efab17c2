"""Time is stored in UTC and shown in the event's time zone."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
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


@dataclass(frozen=True)
class ClockChange:
    """Where a wall-clock time falls in a change of the zone's clocks: skipped (clocks go forward, the time does
    not exist) or shown twice (clocks go back). `before` and `after` are the wall clock at the change, e.g. 02:00
    and 03:00 going forward; `offset` is the UTC offset before the change."""
    skipped: bool
    before: datetime
    after: datetime
    offset: timedelta


def clock_change_at(naive: datetime, zone: str) -> ClockChange | None:
    """The change of clocks this wall-clock time falls into in the zone, or None for an ordinary time (PEP 495:
    only then do both readings, fold=0 and fold=1, have different offsets)."""
    tz = ZoneInfo(zone)
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    # The change happens between the two readings' instants: find its second by halving.
    early, late = sorted((first.astimezone(timezone.utc), second.astimezone(timezone.utc)))
    old = early.astimezone(tz).utcoffset()
    while late - early > timedelta(seconds=1):
        middle = early + timedelta(seconds=(late - early).total_seconds() // 2)
        early, late = (middle, late) if middle.astimezone(tz).utcoffset() == old else (early, middle)
    new = late.astimezone(tz).utcoffset()
    return ClockChange(skipped=new > old, before=(late + old).replace(tzinfo=None),
                       after=(late + new).replace(tzinfo=None), offset=old)
