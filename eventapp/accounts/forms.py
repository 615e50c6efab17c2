from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from eventapp.core.forms import Form, strip_line


class LoginForm(Form):
    email = EmailField(_l("Email"), filters=[strip_line],
                       validators=[DataRequired(message=_l("Enter your email address.")), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password.")),
                                                         Length(max=200)])
    next = HiddenField()
