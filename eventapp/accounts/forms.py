from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from eventapp.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from eventapp.core.forms import Form, strip_line


class LoginForm(Form):
    email = EmailField(_l("Email"), filters=[strip_line],
                       validators=[DataRequired(message=_l("Enter your email address.")), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password.")),
                                                         Length(max=200)])
    next = HiddenField()


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(message=_l("Enter your current password.")), Length(max=200)])
    new_password = PasswordField(
        _l("New password"), description=_l("At least %(count)d characters; not a common password.", count=MIN_LENGTH),
        validators=[DataRequired(message=_l("Enter a new password.")), Length(max=MAX_LENGTH)])
    new_password_again = PasswordField(_l("New password again"), validators=[
        DataRequired(message=_l("Enter the new password a second time.")),
        EqualTo("new_password", message=_l("The two new passwords are not the same. Type them again."))])
