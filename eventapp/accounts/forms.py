import phonenumbers
from babel import Locale
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from eventapp.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from eventapp.core import i18n
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


def _language_choices(with_organisations: bool) -> list[SelectChoice]:
    # Each language is named in itself (a reader who cannot read the page's language still finds their own).
    choices = [SelectChoice(name, title) for name, title in i18n.LANGUAGE_NAMES.items()]
    return [SelectChoice("", _l("The organisation's language"))] + choices if with_organisations else choices


def posted(form, field):
    """The field was sent (an empty choice is a choice, a missing field is not)."""
    if not field.raw_data:
        raise ValidationError(_l("Choose one of the options."))


class LanguageForm(Form):
    """A back-office user's own language ("": their organisation's)."""
    language = SelectField(_l("Language"), choices=_language_choices(with_organisations=True), default="",
                           validators=[posted])


class OrganisationSettingsForm(Form):
    language = SelectField(_l("Language"), choices=_language_choices(with_organisations=False), validators=[posted],
                           description=_l("The back office's language for users who chose none, and the language of "
                                          "new events' pages and mails."))
    phone_region = SelectField(_l("Phone numbers' country"), validators=[posted], description=_l(
        "Where a phone number typed without its country code (+86, +1…) is read, unless an event says otherwise."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.phone_region.choices = [SelectChoice("", _l("The app's default (%(region)s)",
                                                          region=default_region_name()))] + region_choices()


def region_choices() -> list[SelectChoice]:
    """Every country phone numbers can be read for, by its ISO code, named in the reader's language."""
    names = (get_locale() or Locale("en")).territories
    labels = sorted((f"{names.get(code, code)} ({code})", code) for code in phonenumbers.SUPPORTED_REGIONS)
    return [SelectChoice(code, label) for label, code in labels]


def default_region_name() -> str:
    code = current_app.config["PHONE_REGION"]
    return (get_locale() or Locale("en")).territories.get(code, code)
