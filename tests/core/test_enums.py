"""One labelled-enum base: each member is its stored value and carries the words people see."""
from flask_babel import lazy_gettext as _l

from eventapp.core.enums import LabelledEnum
from eventapp.events.models import EventKind
from eventapp.registration.models import RegistrationStatus


class Colour(LabelledEnum):
    RED = "red", _l("Red")
    PLAIN = "plain"


def test_a_member_is_its_value_and_carries_its_label():
    assert Colour("red") is Colour.RED and Colour.RED == "red" and f"{Colour.RED}" == "red"
    assert str(Colour.RED.label) == "Red"
    assert Colour.PLAIN.label == "plain"  # no label given: its value
    assert [member.value for member in Colour] == ["red", "plain"]


def test_labels_go_through_the_catalogue_when_shown_not_when_declared(app, monkeypatch):
    import flask_babel
    from babel.support import NullTranslations

    class Marked(NullTranslations):  # a "translation" that can be told apart from the English
        def gettext(self, message):
            return f"«{message}»"

        ugettext = gettext  # what flask_babel asks

    with app.test_request_context():
        assert str(RegistrationStatus.CONFIRMED.label) == "Confirmed"
        monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: Marked())
        assert str(RegistrationStatus.CONFIRMED.label) == "«Confirmed»"
        assert str(EventKind("roundtable").label) == "«Executive roundtable»"
