"""A message's preview in the back office reads as most of the event's attendees will: in the event's first
language, whatever the organiser reads the back office in (issue 17, part 5)."""
import re

from eventapp.registration.samples import preview

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_a_chinese_events_preview_is_in_chinese_and_an_english_ones_in_english(app, db, make_event):
    event = make_event()
    with app.test_request_context():
        english = preview(event, "confirmation", "organiser@example.com")
    event.languages = "zh_Hans"
    db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        chinese = preview(event, "confirmation", "organiser@example.com")
    assert not CHINESE.search(english["subject"]) and not CHINESE.search(english["sms"])
    assert CHINESE.search(chinese["subject"]) and CHINESE.search(chinese["sms"]) and CHINESE.search(chinese["text"])
