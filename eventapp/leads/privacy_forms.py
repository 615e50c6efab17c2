"""The erasure's confirmation: the organiser types the person's address, so a slip of the mouse erases nobody."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, Length, ValidationError

from eventapp.core.forms import Form, strip_line


class EraseForm(Form):
    confirmation = StringField(_l("Type their email address to confirm"), filters=[strip_line],
                               validators=[InputRequired(), Length(max=320)])

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def validate_confirmation(self, field):
        if field.data.casefold() != self.email.casefold():
            raise ValidationError(_l("This is not their email address: nothing was erased. Type it exactly as "
                                     "shown above."))
