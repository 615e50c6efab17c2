"""SMS the Chinese way: 退订 and TD (as a Chinese phone may type them: lower case, full width, spaced) opt out like
STOP, through the inbound webhook with a valid Twilio signature; a Chinese text is counted in UCS-2 segments."""
import pytest

from eventapp.messaging.models import MessageStatus
from eventapp.messaging.operations import deliver_due
from eventapp.messaging.sms import keyword_of, sms_segments
from tests.messaging.test_sms import inbound, opted_out, rows, sign_up_for_sms


@pytest.mark.parametrize("body", ["TD", "td", "ＴＤ", "ｔｄ", " Td ", "退订", "退订 ", "退 订", "退订。", "ＳＴＯＰ"])
def test_td_and_tuiding_opt_out_however_typed(client, db, make_event, fake_twilio, body):
    sign_up_for_sms(client, make_event(sms_enabled=True))
    response = inbound(client, body)
    assert response.status_code == 200
    assert opted_out(db) is True
    deliver_due()
    _email, sms = rows(db)
    assert sms.status == MessageStatus.SUPPRESSED and fake_twilio.requests == []


@pytest.mark.parametrize("body", ["TDD", "退订单", "我想退订吗", "hello"])
def test_other_words_do_not_opt_out(client, db, make_event, fake_twilio, body):
    sign_up_for_sms(client, make_event(sms_enabled=True))
    inbound(client, body)
    assert opted_out(db) is False


def test_keywords_are_read_plain():
    assert keyword_of("ＴＤ") == keyword_of(" td\n") == "TD"
    assert keyword_of("退 订！") == "退订"


def test_chinese_text_is_counted_in_ucs2_segments():
    assert sms_segments("会" * 70) == ("UCS-2", 1)
    assert sms_segments("会" * 71) == ("UCS-2", 2)
    assert sms_segments("会" * 134) == ("UCS-2", 2)
    assert sms_segments("会" * 135) == ("UCS-2", 3)
    assert sms_segments("a" * 160) == ("GSM-7", 1)
    assert sms_segments("a" * 160 + "会") == ("UCS-2", 3)  # one Chinese character makes the whole text UCS-2


def test_the_wording_page_shows_the_saved_chinese_sms_in_segments(client, make_event, login_as):
    from tests.conftest import submit

    login_as()
    event = make_event(sms_enabled=True)
    url = f"/admin/events/{event.id}/messages/confirmation"
    response = submit(client, url, {"subject": "", "body": "", "sms_text": "会" * 71})
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "会" * 71 in page
    assert "2 SMS segments (71 characters, UCS-2" in page
    assert 'id="sms-live"' in page and "js/sms-segments.js" in page  # and counted live as it is typed


def test_the_reminders_show_the_size_of_the_reminder_sms(client, make_event, login_as):
    from tests.conftest import submit

    login_as()
    event = make_event(sms_enabled=True)
    assert submit(client, f"/admin/events/{event.id}/messages/reminder",
                  {"subject": "", "body": "", "sms_text": "提醒：" + "会" * 68}).status_code == 303
    page = client.get(f"/admin/events/{event.id}/messages").get_data(as_text=True)
    assert 'id="reminder-sms"' in page and "2 SMS segments, 71 characters, UCS-2" in page
    quiet = make_event()  # no SMS at this event: nothing to size
    assert 'id="reminder-sms"' not in client.get(f"/admin/events/{quiet.id}/messages").get_data(as_text=True)
