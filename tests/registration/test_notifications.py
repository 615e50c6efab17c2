"""What the registration mails say is registration's (registration/notifications.py): messaging asks the content
registered for each kind, in the reader's language, with the organiser's wording where there is one."""
from datetime import datetime, timezone
from types import SimpleNamespace

from eventapp.messaging.content import Wording, content_for
from eventapp.messaging.models import MARKETING_KINDS, MessageKind
from eventapp.registration.notifications import RegistrationMessages


class Catalogue:
    def gettext(self, message):
        return {"About your sign-up: %(title)s": "关于您的报名：%(title)s", "Test": "测试",
                "Sorry, no place at %(title)s this time.": "很抱歉，%(title)s 没有名额。"}.get(message, f"«{message}»")


def declined(kind=MessageKind.DECLINED, meta=None):
    event = SimpleNamespace(id=7, title="研讨会", starts_at=datetime(2027, 3, 1, 9, tzinfo=timezone.utc),
                            ends_at=datetime(2027, 3, 1, 12, tzinfo=timezone.utc), timezone="Asia/Shanghai",
                            venue_name="会议中心", venue_address="", status="published")
    registration = SimpleNamespace(id=3, event=event, event_id=7, status="declined", manage_token="t" * 32,
                                   ticket_secret="s" * 32, first_name="Ada", last_name="Lovelace", company="",
                                   email="ada@example.com", name="Ada Lovelace")
    return SimpleNamespace(kind=kind, meta=meta or {}, channel="email", about=registration, event_id=7,
                           idempotency_key="k")


def test_every_registration_kind_is_written_by_registration(app):
    for kind in set(MessageKind) - MARKETING_KINDS:  # marketing mail (invitations) is the invitations feature's
        assert isinstance(content_for(kind), RegistrationMessages)


def test_subject_intro_and_sms_come_from_the_readers_catalogue_and_a_test_says_so(app):
    content = content_for(MessageKind.DECLINED)
    with app.test_request_context():
        mail = content.mail(declined(), Catalogue(), "zh", None)
        assert mail.subject == "关于您的报名：研讨会"
        assert mail.context["intro"].startswith("«Thank you for your interest.")
        assert mail.inline_image is None and mail.calendar is None  # no ticket for a declined sign-up
        assert content.sms(declined(), Catalogue(), None) == "很抱歉，研讨会 没有名额。"

        test = declined(MessageKind.TEST, {"as_kind": MessageKind.DECLINED})
        assert content.mail(test, Catalogue(), "zh", None).subject == "[测试] 关于您的报名：研讨会"
        assert content.sms(test, Catalogue(), None) == "[测试] 很抱歉，研讨会 没有名额。"


def test_the_organisers_wording_is_filled_in_instead(app):
    content = content_for(MessageKind.DECLINED)
    with app.test_request_context():
        message = declined()
        wording = Wording(subject="{first_name}, about {event_title} {unknown}", body="Sorry {first_name}.",
                          sms_text="No seat, {first_name}: {manage_url}",
                          values=content.placeholder_values(message, mailed=False))
        mail = content.mail(message, Catalogue(), "zh", wording)
        assert mail.subject == "Ada, about 研讨会 {unknown}"  # an unknown name stays as written
        assert mail.context["intro"] == "Sorry Ada."
        assert content.sms(message, Catalogue(), wording) == f"No seat, Ada: http://127.0.0.1:5000/r/{'t' * 32}"
