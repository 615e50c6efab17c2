"""Jinja filters: dates in the event's own time zone, in the reader's language."""
import functools
from zoneinfo import ZoneInfo

from babel import Locale, dates
from flask_babel import get_locale


def _locale():
    return get_locale() or "en"


def local_date(value, zone: str) -> str:
    """The day with its weekday as the reader's locale writes it: "Thursday, March 18, 2027", "2027年3月18日 周四"."""
    day, locale = value.astimezone(ZoneInfo(zone)), _locale()
    if _weekday_last(str(locale)):
        # Chinese notices print the short weekday after the date, set apart: 2027年3月18日 周四
        return f"{dates.format_skeleton('yMMMd', day, locale=locale)} {dates.format_date(day, 'EEE', locale=locale)}"
    return dates.format_date(day, "full", locale=locale)


def local_time(value, zone: str) -> str:
    return dates.format_time(value.astimezone(ZoneInfo(zone)), "short", locale=_locale())


def local_day_time(value, zone: str) -> str:
    """Day and start time joined as the locale joins them: "Thursday, March 18, 2027, 2:00 PM",
    "2027年3月18日 周四 14:00"."""
    return _joined(local_date(value, zone), local_time(value, zone))


def local_when(starts_at, ends_at, zone: str) -> str:
    """An event's day and times: "2027年3月18日 周四 14:00 – 17:00" (the end's day too when it is another)."""
    end = local_time(ends_at, zone)
    if local_date(ends_at, zone) != local_date(starts_at, zone):
        end = local_day_time(ends_at, zone)
    return f"{local_day_time(starts_at, zone)} – {end}"


def _joined(day: str, time: str) -> str:
    # The locale's own pattern for a date followed by a time ("{1}, {0}" in English, "{1} {0}" in Chinese).
    pattern = Locale.parse(_locale()).datetime_formats["medium"]
    return str(pattern).replace("{1}", day).replace("{0}", time)


@functools.cache
def _weekday_last(locale: str) -> bool:
    # Whether the locale writes the weekday after the date (y年M月d日E), not before it (E, MMM d, y).
    return Locale.parse(locale).datetime_skeletons["yMMMEd"].pattern.rstrip().endswith("E")


def local_datetime(value, zone: str) -> str:
    if value is None:
        return ""
    return dates.format_datetime(value, "medium", tzinfo=ZoneInfo(zone), locale=_locale())


def zone_label(zone: str, value) -> str:
    """'Europe/Berlin, UTC+01:00': the zone and its offset on that day; in Chinese the zone by its place, in
    Babel's words ('中国（上海）时间，UTC+08:00'), for a reader who does not read English zone names."""
    offset = value.astimezone(ZoneInfo(zone)).strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}"
    locale = str(_locale())
    if locale.startswith("en") or "/" not in zone:
        return f"{zone}, {offset}"
    return dates.get_timezone_location(zone, locale=locale) + "，" + offset


def family_name_first() -> bool:
    """Whether the page's language writes a name family name first (姓 before 名), so forms ask for it first."""
    return Locale.parse(_locale()).language in FAMILY_NAME_FIRST


# Languages whose names are written family name first.
FAMILY_NAME_FIRST = frozenset({"zh", "ja", "ko"})


def register_filters(app) -> None:
    app.jinja_env.filters.update(local_date=local_date, local_time=local_time, local_datetime=local_datetime,
                                 local_day_time=local_day_time, local_when=local_when,
                                 zone_label=zone_label)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["family_name_first"] = family_name_first
