"""The back office's contact forms: one contact by hand, a tag for many."""
import enum

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, RadioField, SelectMultipleField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from eventapp.contacts.editing import PROFILE_FIELDS, TAG_MAX, TAGS_PER_CONTACT, normalise_tag, parse_tags
from eventapp.contacts.normalisation import InvalidInput, normalise_email, normalise_phone, phone_region
from eventapp.core.forms import Form, NoMarkup, strip_line

EMAIL_MAX, PHONE_TYPED_MAX, TAGS_TYPED_MAX = 320, 40, 4000


def _text(label, max_length):
    return StringField(label, filters=[strip_line], validators=[
        Optional(), Length(max=max_length, message=_l("Keep this under %(max)d characters.", max=max_length)),
        NoMarkup()])


class ContactForm(Form):
    """A contact as the organiser types it: the email is required and checked like a sign-up's, the phone becomes
    E.164, the rest is plain text of the columns' lengths."""

    email = EmailField(_l("Email"), filters=[strip_line],
                       validators=[DataRequired(message=_l("Enter the contact's email address."))])
    first_name = _text(_l("First name"), 100)
    last_name = _text(_l("Last name"), 100)
    phone = TelField(_l("Mobile phone"), filters=[strip_line])
    company = _text(_l("Company"), 200)
    job_title = _text(_l("Job title"), 200)
    company_size = _text(_l("Company size"), 40)
    industry = _text(_l("Industry"), 100)
    city = _text(_l("City"), 100)
    tags = StringField(_l("Tags"), filters=[strip_line], description=_l("Separated by commas, like: VIP, Beijing 2026"),
                       validators=[Optional(), Length(max=TAGS_TYPED_MAX), NoMarkup()])

    normalised_email = None
    organisation_id: int | None = None  # whose phone region a local number is read in (the view sets it)

    def validate_email(self, field):
        if len(field.data or "") > EMAIL_MAX:
            raise ValidationError(_l("Enter an email address like name@company.com."))
        try:
            self.normalised_email = normalise_email(field.data)
        except InvalidInput as error:
            raise ValidationError(str(error)) from None

    def validate_phone(self, field):
        if not field.data:
            return
        if len(field.data) > PHONE_TYPED_MAX:
            raise ValidationError(_l("Enter a phone number with its country code, like +44 20 7946 0958."))
        try:
            field.data = normalise_phone(field.data, phone_region(self.organisation_id))
        except InvalidInput as error:
            raise ValidationError(str(error)) from None

    def validate_tags(self, field):
        tags = parse_tags(field.data)
        if any(len(tag) > TAG_MAX for tag in tags):
            raise ValidationError(_l("Keep each tag under %(max)d characters.", max=TAG_MAX))
        if len(tags) > TAGS_PER_CONTACT:
            raise ValidationError(_l("A contact can have up to %(max)d tags.", max=TAGS_PER_CONTACT))

    def details(self) -> dict:
        return {name: self[name].data or "" for name in PROFILE_FIELDS}

    def tag_list(self) -> list[str]:
        return parse_tags(self.tags.data)

    def fill_from(self, contact) -> None:
        """The form as the contact is now (for the edit page's first view)."""
        self.email.data = contact.email
        for name in PROFILE_FIELDS:
            self[name].data = getattr(contact, name)
        self.tags.data = ", ".join(row.tag for row in contact.tags)


class BulkScope(enum.StrEnum):
    SELECTED = "selected"
    MATCHING = "matching"


class TagAction(enum.StrEnum):
    ADD = "add"
    REMOVE = "remove"


ROW_ID_MAX = 2**31 - 1  # an id column's range (INTEGER on PostgreSQL): beyond it, no contact


class BulkTagForm(Form):
    """A tag added to or taken off the contacts ticked in the list, or every contact the search finds."""

    tag = StringField(_l("Tag"), filters=[strip_line], validators=[
        DataRequired(message=_l("Enter the tag to add or remove.")),
        Length(max=TAG_MAX, message=_l("Keep each tag under %(max)d characters.", max=TAG_MAX)), NoMarkup()])
    action = RadioField(_l("Action"), choices=[SelectChoice(TagAction.ADD, _l("Add the tag")),
                                                SelectChoice(TagAction.REMOVE, _l("Remove the tag"))],
                        default=TagAction.ADD, validators=[DataRequired(message=_l("Choose to add or remove the tag."))])
    scope = RadioField(_l("Apply to"), choices=[
        SelectChoice(BulkScope.SELECTED, _l("The contacts ticked below")),
        SelectChoice(BulkScope.MATCHING, _l("Every contact that matches the search"))],
                       default=BulkScope.SELECTED, validators=[DataRequired(message=_l("Choose which contacts."))])
    contact_ids = SelectMultipleField(_l("Contacts"), coerce=int, validate_choice=False)
    q = HiddenField(filters=[strip_line])

    def validate_tag(self, field):
        field.data = normalise_tag(field.data)

    def validate_contact_ids(self, field):
        if any(not 0 < contact_id <= ROW_ID_MAX for contact_id in field.data or ()):
            raise ValidationError(_l("Tick contacts from the list."))
        if self.scope.data == BulkScope.SELECTED and not field.data:
            raise ValidationError(_l("Tick at least one contact, or choose every contact that matches the search."))
