from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from eventapp.core.forms import Form, strip_line, strip_text
from eventapp.messaging.content import placeholders_in


def _known_placeholders(form, field):
    unknown = sorted(name for name in placeholders_in(field.data) if name not in form.placeholders)
    if unknown:
        raise ValidationError(_l("Unknown placeholder: %(names)s. Use the ones listed below.",
                                 names=", ".join("{" + name + "}" for name in unknown)))


class TemplateForm(Form):
    """An organiser's wording of one kind of message; `placeholders` are the {names} its feature fills in."""

    def __init__(self, *args, placeholders: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.placeholders = placeholders

    subject = StringField(_l("Email subject"), filters=[strip_line],
                          validators=[Length(max=300), _known_placeholders],
                          description=_l("Empty: our standard subject."))
    body = TextAreaField(_l("Email text"), filters=[strip_text], validators=[Length(max=5000), _known_placeholders],
                         description=_l("Shown above the event details and the ticket. Empty: our standard text."))
    sms_text = TextAreaField(_l("SMS text"), filters=[strip_text], validators=[Length(max=1600), _known_placeholders],
                             description=_l("Empty: our standard text."))


class ReminderForm(Form):
    amount = IntegerField(_l("How long before the start"), validators=[
        DataRequired(message=_l("Enter a number.")),
        NumberRange(min=1, max=60 * 24 * 30, message=_l("Enter a number from 1 up."))])
    unit = SelectField(_l("Unit"), choices=[SelectChoice("hours", _l("hours")), SelectChoice("days", _l("days")),
                                            SelectChoice("minutes", _l("minutes"))])
    channel = SelectField(_l("Channel"), choices=[SelectChoice("email", _l("Email")), SelectChoice("sms", _l("SMS"))])

    def minutes(self) -> int:
        return self.amount.data * {"minutes": 1, "hours": 60, "days": 24 * 60}[self.unit.data]

    def validate_amount(self, field):
        if field.data and self.unit.data in ("minutes", "hours", "days") and self.minutes() > 60 * 24 * 60:
            raise ValidationError(_l("Reminders can be at most 60 days before the event."))
