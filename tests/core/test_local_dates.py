"""Event times as each language writes them, from Babel's locale data: 2027年3月18日 周四 14:00 in Chinese."""
from datetime import datetime, timezone

import pytest
from flask_babel import force_locale

from eventapp.core.templating import local_date, local_day_time, local_when
from eventapp.invitations.content import schedule
from eventapp.registration.notifications import _schedule

STARTS = datetime(2027, 3, 18, 6, 0, tzinfo=timezone.utc)  # 14:00 in Shanghai
ENDS = datetime(2027, 3, 18, 9, 0, tzinfo=timezone.utc)
ZONE = "Asia/Shanghai"


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield


def test_chinese_dates_have_the_short_weekday_after_the_day_and_a_24_hour_clock(request_context):
    with force_locale("zh_Hans"):
        assert local_date(STARTS, ZONE) == "2027年3月18日 周四"
        assert local_day_time(STARTS, ZONE) == "2027年3月18日 周四 14:00"
        assert local_when(STARTS, ENDS, ZONE) == "2027年3月18日 周四 14:00 – 17:00"
        # An event over two days names the second day too.
        assert local_when(STARTS, datetime(2027, 3, 19, 9, 0, tzinfo=timezone.utc), ZONE) == \
            "2027年3月18日 周四 14:00 – 2027年3月19日 周五 17:00"


def test_english_dates_read_as_before(request_context):
    # (CLDR writes a narrow no-break space before PM)
    with force_locale("en"):
        assert local_date(STARTS, ZONE) == "Thursday, March 18, 2027"
        assert local_day_time(STARTS, ZONE) == "Thursday, March 18, 2027, 2:00\u202fPM"
        assert local_when(STARTS, ENDS, ZONE) == "Thursday, March 18, 2027, 2:00\u202fPM – 5:00\u202fPM"


def test_mails_schedules_are_in_the_reader_s_language(request_context, make_event):
    event = make_event(starts_at=STARTS, ends_at=ENDS, timezone=ZONE)
    with force_locale("zh_Hans"):
        assert _schedule(STARTS, ENDS, ZONE, "zh_Hans")[0] == "2027年3月18日 周四 14:00 – 17:00"
        assert schedule(event)[0] == "2027年3月18日 周四 14:00 – 17:00"
    with force_locale("en"):
        assert _schedule(STARTS, ENDS, ZONE, "en")[0] == "Thursday, March 18, 2027, 2:00\u202fPM – 5:00\u202fPM"
