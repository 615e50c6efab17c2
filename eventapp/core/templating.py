"""Jinja filters: dates in the event's own time zone, in the reader's language."""
from zoneinfo import ZoneInfo

from babel import dates
from flask_babel import get_locale


def _locale():
    return get_locale() or "en"


def local_date(value, zone: str) -> str:
    return dates.format_date(value.astimezone(ZoneInfo(zone)), "full", locale=_locale())


def local_time(value, zone: str) -> str:
    return dates.format_time(value.astimezone(ZoneInfo(zone)), "short", locale=_locale())


def local_datetime(value, zone: str) -> str:
    if value is None:
        return ""
    return dates.format_datetime(value, "medium", tzinfo=ZoneInfo(zone), locale=_locale())


def zone_label(zone: str, value) -> str:
    """'Europe/Berlin, UTC+01:00': the zone's name and its offset on that day."""
    offset = value.astimezone(ZoneInfo(zone)).strftime("%z")
    return f"{zone}, UTC{offset[:3]}:{offset[3:]}"


def register_filters(app) -> None:
    app.jinja_env.filters.update(local_date=local_date, local_time=local_time, local_datetime=local_datetime,
                                 zone_label=zone_label)
    app.jinja_env.globals["get_locale"] = get_locale
