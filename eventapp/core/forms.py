"""Small WTForms pieces shared by every feature's forms."""
import functools
import re

from flask import has_request_context, request
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS
from wtforms import SelectMultipleField
from wtforms.i18n import get_builtin_gnu_translations
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

class Form(FlaskForm):
    """Every form of the app. CSRFProtect checks the token of every POST before any view runs (a failure gets its
    own page), so the form does not check it again; templates render it with the csrf_field() macro.

    A form reads the posted form fields and nothing else. Flask-WTF would also read uploaded files and a JSON
    body into the same fields, and a file or a number where text belongs broke the validators (a 500); none of
    our forms takes either, so such a post reads as one with those fields left empty."""

    class Meta:
        csrf = False

        def get_translations(self, form):
            return _CATALOGUE

        def wrap_formdata(self, form, formdata):
            if formdata is None or hasattr(formdata, "getlist"):  # given by the caller
                return formdata
            # Flask-WTF's marker for "from the request": its form fields, never its files or JSON body
            return request.form if has_request_context() and request.method in SUBMIT_METHODS else None


class _OurCatalogue:
    """WTForms' own sentences ("Not a valid choice.", "Field cannot be longer than ...") in the request's language:
    our catalogue where it has them, else WTForms' own translations, loaded once per language. (Flask-WTF's i18n
    would load WTForms' catalogue files on every request, which cost a millisecond of each sign-up;
    WTF_I18N_ENABLED is off.)"""

    @staticmethod
    def gettext(string):
        translated = get_translations().gettext(string)
        return translated if translated != string else _wtforms_catalogue(str(get_locale())).gettext(string)

    @staticmethod
    def ngettext(singular, plural, number):
        translated = get_translations().ngettext(singular, plural, number)
        if translated not in (singular, plural):
            return translated
        return _wtforms_catalogue(str(get_locale())).ngettext(singular, plural, number)


@functools.cache
def _wtforms_catalogue(locale: str):
    # WTForms names Simplified Chinese "zh"; a language it has no catalogue for answers in English.
    return get_builtin_gnu_translations([locale, locale.split("_")[0]])


_CATALOGUE = _OurCatalogue()
_MARKUP = re.compile(r"[<>]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n?|[\x85\u2028\u2029]")
_BREAK_OR_TAB = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]+")


def strip_text(value):
    """Trim what people type into a text area, drop control characters, and write every line break as \\n. A
    field the post left out reads as empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _CONTROL.sub("", _LINE_BREAK.sub("\n", value)).strip()
    return value


def strip_line(value):
    """strip_text for a one-line field (a name, a title, an address): line breaks and tabs become one space, so a
    name can never carry a second line into a mail header or a CSV row."""
    if isinstance(value, str):
        value = _BREAK_OR_TAB.sub(" ", value)
    return strip_text(value)


class NoMarkup:
    """Names and companies are plain text: refuse angle brackets instead of storing markup."""

    def __init__(self, message=None):
        self.message = message or _l("Use plain text here, without < or >.")

    def __call__(self, form, field):
        if field.data and _MARKUP.search(field.data):
            raise ValidationError(self.message)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
