"""The organisers' forms for partners, their logins and tracked links."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from eventapp.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from eventapp.contacts.normalisation import InvalidInput, normalise_email
from eventapp.core.forms import Form, NoMarkup, strip_line
from eventapp.invitations.models import PartnerKind


class PartnerForm(Form):
    name = StringField(_l("Name"), filters=[strip_line], validators=[
        DataRequired(message=_l("Give the partner a name.")), Length(max=200), NoMarkup()])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, k.label) for k in PartnerKind])
    shares_personal_data = BooleanField(_l("Share personal data with this partner"), description=_l(
        "Off: the partner's portal shows counts only. On: it also lists the names, companies and job titles of "
        "the people the partner brought. Turn it on only when your privacy notice and agreement with the partner "
        "allow it."))


class PartnerLoginForm(Form):
    email = EmailField(_l("Email"), filters=[strip_line], validators=[
        DataRequired(message=_l("Enter the email address the partner logs in with.")), Length(max=320)])
    name = StringField(_l("Name"), filters=[strip_line], validators=[Length(max=200), NoMarkup()])
    password = PasswordField(_l("Initial password"), description=_l(
        "At least %(count)d characters; not a common password. Pass it on to them safely; they can change it "
        "under Account.", count=MIN_LENGTH), validators=[
        DataRequired(message=_l("Choose an initial password.")), Length(max=MAX_LENGTH)])

    def validate_email(self, field):
        try:
            self.normalised_email = normalise_email(field.data)
        except InvalidInput as invalid:
            raise ValidationError(str(invalid)) from None


class LinkForm(Form):
    """A tracked link to an event or a campaign; for the organisation's own channels, with the channel's name."""
    target = SelectField(_l("Leads to"), validate_choice=True)
    label = StringField(_l("Channel"), filters=[strip_line], description=_l(
        "What the link is for, like \"WeChat article\" or \"Poster at the expo\"."), validators=[
        Length(max=200), NoMarkup()])

    def __init__(self, *args, events=(), campaigns=(), needs_label=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_label = needs_label
        self.target.choices = [SelectChoice(f"event:{event.id}", event.title) for event in events] + [
            SelectChoice(f"campaign:{campaign.id}", _l("Campaign: %(name)s", name=campaign.name))
            for campaign in campaigns]
        self.target.validators = [DataRequired(message=_l("Choose an event or a campaign."))]

    def validate_label(self, field):
        if self.needs_label and not field.data:
            raise ValidationError(_l("Name the channel, like \"WeChat article\"."))
