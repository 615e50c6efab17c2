"""The sign-up form says how to type a mobile number where the event is: a local number of the event's country (else
its organisation's, else EVENTAPP_PHONE_REGION) as it is dialled there, any other with its country code."""
import html


def _page(client, event, language):
    return html.unescape(client.get(f"/e/{event.slug}", headers={"Accept-Language": language}).get_data(as_text=True))


def test_a_chinese_event_shows_a_local_chinese_mobile_in_chinese(client, make_event):
    event = make_event(languages="zh_Hans", phone_region="CN", timezone="Asia/Shanghai")
    page = _page(client, event, "zh-CN")
    assert "选填。中国的号码可按当地拨号方式填写，例如 131 2345 6789；其他国家/地区的号码请加国家/地区代码" in page


def test_an_english_event_reads_numbers_in_its_organisations_or_the_apps_region(client, make_event, app, db, org):
    event = make_event(phone_required=True)
    page = _page(client, event, "en")
    assert "A number in United States as you dial it there, like (201) 555-0123; any other with its country code" \
        in page and "Optional." not in page  # EVENTAPP_PHONE_REGION's default, and the event needs the phone
    org.phone_region = "DE"
    db.session.commit()
    assert "A number in Germany as you dial it there, like 01512 3456789" in _page(client, event, "en")
