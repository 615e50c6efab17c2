"""The organisers' form for a webhook endpoint."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from eventapp.core.forms import Form, MultiCheckboxField, NoMarkup, strip_line
from eventapp.leads.webhooks import EventType


class EndpointForm(Form):
    url = StringField(_l("Address (URL)"), filters=[strip_line], description=_l(
        "Where your CRM or integration receives the messages, like https://crm.example.com/hooks/eventapp."),
        validators=[DataRequired(message=_l("Enter the address that receives the messages.")),
                    Length(max=2000, message=_l("Keep the address under 2,000 characters."))])
    description = StringField(_l("Description"), filters=[strip_line], description=_l(
        "For you: what receives these messages."), validators=[Length(max=200), NoMarkup()])
    event_types = MultiCheckboxField(_l("Events to send"), choices=[
        SelectChoice(kind.value, kind.label) for kind in EventType], validators=[
        DataRequired(message=_l("Choose at least one event to send."))])
    active = BooleanField(_l("Active"), default=True, description=_l(
        "Off: nothing is sent to this address (messages waiting for a retry are not sent either)."))
