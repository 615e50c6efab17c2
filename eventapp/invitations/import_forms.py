"""The contact import's forms: the upload (the file is read by the view, see import_views) and the mapping."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from eventapp.contacts.importing import ImportField
from eventapp.core.forms import Form, strip_text

CONSENT_TEXT_MAX = 2000


def _consent_text():
    return TextAreaField(
        _l("Consent basis"), filters=[strip_text],
        validators=[Length(max=CONSENT_TEXT_MAX, message=_l("Keep this under %(max)d characters.",
                                                            max=CONSENT_TEXT_MAX))],
        description=_l("Only if the list has a consent column: what these people agreed to, where and when "
                       "(e.g. “Ticked ‘keep me informed’ on our stand’s sign-up sheet, Expo 2026”). It is kept "
                       "with each consent the import records."))


class UploadForm(Form):
    consent_text = _consent_text()


def mapping_form(header: list[str], mapping: list[str], consent_text: str) -> Form:
    """A <select> per column of the file, set to the guessed field, and the consent basis."""

    class MappingForm(Form):
        consent_text = _consent_text()

    choices = [SelectChoice(choice.value, choice.label) for choice in ImportField]
    for index, name in enumerate(header):
        setattr(MappingForm, column_field(index), SelectField(name[:100] or _l("(no name)"), choices=choices))
    data = {column_field(index): guess for index, guess in enumerate(mapping)}
    return MappingForm(data={**data, "consent_text": consent_text})


def column_field(index: int) -> str:
    return f"column_{index}"


def chosen_mapping(form, width: int) -> list[str]:
    return [form[column_field(index)].data or "" for index in range(width)]
