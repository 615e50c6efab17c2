from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, RadioField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation, ValidationError

from eventapp.core.forms import Form, MultiCheckboxField, NoMarkup, strip_line, strip_text
from eventapp.core.templating import family_name_first
from eventapp.contacts.names import is_cjk
from eventapp.contacts.normalisation import (InvalidInput, local_example, normalise_email, normalise_phone,
                                             phone_region)
from eventapp.events.models import QUESTION_FIELD_PREFIX, QuestionKind

ANSWER_MAX = 2000


def _text(label, required_message, max_length):
    validators = _length_and_no_markup(max_length)
    validators.insert(0, DataRequired(message=required_message) if required_message else Optional())
    return StringField(label, filters=[strip_line], validators=validators)


def _length_and_no_markup(max_length) -> list:
    return [Length(max=max_length, message=_l("Keep this under %(max)d characters.", max=max_length)), NoMarkup()]


class NamePart:
    """A required part of the name, unless the other part holds a name written in Chinese: 王芳 typed whole into
    the family name field (or the given name's) is the whole name, shown as typed (contacts.names.person_name)."""

    field_flags = {"required": True}

    def __init__(self, other: str, message):
        self.other, self.message = other, message

    def __call__(self, form, field):
        if field.data:
            return
        if is_cjk(form[self.other].data or ""):
            raise StopValidation()  # no message: the field is fine empty
        raise StopValidation(self.message)


class DetailsForm(Form):
    """What a person tells us about themselves; the event decides whether the phone is required."""

    first_name = StringField(_l("First name"), filters=[strip_line], validators=[
        NamePart("last_name", _l("Enter your first name.")), *_length_and_no_markup(100)])
    last_name = StringField(_l("Last name"), filters=[strip_line], validators=[
        NamePart("first_name", _l("Enter your last name.")), *_length_and_no_markup(100)])
    company = _text(_l("Company"), _l("Enter the company you work for."), 200)
    job_title = _text(_l("Job title"), _l("Enter your job title."), 200)
    phone = TelField(_l("Mobile phone"), filters=[strip_line])
    sms_opt_in = BooleanField(_l("Also send me text messages (SMS) about this registration"), default=False)

    phone_required = False
    sms_offered = False  # the event sends SMS; otherwise a posted sms_opt_in means nothing
    # Whose region a phone number typed without its country code is read in (form_for_event sets them).
    organisation_id: int | None = None
    event_phone_region = ""

    @property
    def wants_sms(self) -> bool:
        return self.sms_offered and bool(self.sms_opt_in.data)

    def validate_phone(self, field):
        if not field.data:
            if self.phone_required:
                raise ValidationError(_l("Enter your mobile phone number; this event needs it."))
            if self.wants_sms:
                raise ValidationError(_l("Enter your mobile phone number to get text messages."))
            return
        if len(field.data) > 40:
            raise ValidationError(_l("Enter a phone number with its country code, like +44 20 7946 0958."))
        try:
            field.data = normalise_phone(field.data, phone_region(self.organisation_id, self.event_phone_region))
        except InvalidInput as error:
            raise ValidationError(str(error)) from None

    def phone_hint(self) -> str:
        """How to type the number: a local one of the event's country (its organisation's) without the country
        code, any other with it."""
        region = phone_region(self.organisation_id, self.event_phone_region)
        example = local_example(region)
        if not example:
            text = _("With the country code, like +44 20 7946 0958.")
        else:
            text = _("A number in %(country)s as you dial it there, like %(local)s; any other with its country "
                     "code, like +44 20 7946 0958.", country=get_locale().territories.get(region, region),
                     local=example)
        return text if self.phone_required else _("Optional. %(how)s", how=text)

    def name_fields(self) -> list:
        """The name's two fields in the order the page's language writes a name: 姓 then 名 in Chinese."""
        order = [self.last_name, self.first_name] if family_name_first() else [self.first_name, self.last_name]
        return [(field, "family-name" if field is self.last_name else "given-name") for field in order]

    def details(self) -> dict:
        return {name: getattr(self, name).data or "" for name in ("first_name", "last_name", "company",
                                                                   "job_title", "phone")}

    def answers(self, event) -> dict:
        result = {}
        for question in event.questions:
            value = getattr(self, question.field_name).data
            if value not in (None, "", []):
                result[str(question.id)] = value
        return result


class ManageForm(DetailsForm):
    """The attendee's own page. `proof`: present when the page was opened from a link mailed to the registration's
    address, which lets the details update the person's profile too."""

    proof = HiddenField()


UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
UTM_MAX = 100  # the size of the registration's utm_* columns


def utm_value(value) -> str:
    """A utm_* parameter as kept: one line of plain text without markup characters, cut to the column's size."""
    text = strip_line(value) if isinstance(value, str) else ""
    return text.replace("<", "").replace(">", "")[:UTM_MAX]


class SignupForm(DetailsForm):
    email = EmailField(_l("Work email"), filters=[strip_line],
                       validators=[DataRequired(message=_l("Enter your email address."))])
    marketing_consent = BooleanField(default=False)
    view_token = HiddenField()
    # The landing page URL's utm_* parameters, carried from the page to its sign-up (see utm_value).
    utm_source = HiddenField(filters=[utm_value])
    utm_medium = HiddenField(filters=[utm_value])
    utm_campaign = HiddenField(filters=[utm_value])

    normalised_email = None

    def validate_email(self, field):
        if len(field.data or "") > 320:
            raise ValidationError(_l("Enter an email address like name@company.com."))
        try:
            self.normalised_email = normalise_email(field.data)
        except InvalidInput as error:
            raise ValidationError(str(error)) from None


class ChoiceIn:
    """Only the options the organiser offered (a forged post cannot invent new ones)."""

    def __init__(self, options):
        self.options = set(options)

    def __call__(self, form, field):
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(value not in self.options for value in values if value not in (None, "")):
            raise ValidationError(_l("Choose one of the options given."))


def question_field(question):
    required = [InputRequired(message=_l("Answer this question."))] if question.required else [Optional()]
    kind = QuestionKind(question.kind)
    if kind is QuestionKind.TEXT:
        required = [DataRequired(message=_l("Answer this question."))] if question.required else [Optional()]
        return TextAreaField(question.label, filters=[strip_text], validators=required + [
            Length(max=ANSWER_MAX, message=_l("Keep this under %(max)d characters.", max=ANSWER_MAX))])
    if kind is QuestionKind.YES_NO:
        options = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]
    else:
        options = [SelectChoice(option) for option in question.options]
    checks = required + [ChoiceIn(option.value for option in options)]
    if kind is QuestionKind.MULTIPLE_CHOICE:
        return MultiCheckboxField(question.label, choices=options, validate_choice=False, validators=checks)
    return RadioField(question.label, choices=options, validate_choice=False, validators=checks)


def stored_answer_for(question, value):
    """A stored answer as the question's field shows it now: the organiser may have changed a single choice into a
    multiple one (or back, or into text) after people answered it."""
    if value in (None, "", []):
        return None
    kind = QuestionKind(question.kind)
    if kind is QuestionKind.MULTIPLE_CHOICE:
        return value if isinstance(value, list) else [value]
    if isinstance(value, list):
        if kind is QuestionKind.TEXT:
            return "; ".join(str(item) for item in value)
        return value[0] if len(value) == 1 else None  # several ticked: none of them is the one choice
    return value


def answers_to_missing_questions(form, posted) -> bool:
    """Does the post answer a question this form does not ask (removed since the page was loaded, or made up)?"""
    return any(name.startswith(QUESTION_FIELD_PREFIX) and name not in form for name in posted)


MISSING_QUESTION = _l("This form has changed since you opened it: one of the questions you answered is no longer "
                      "asked. Check your answers below and send the form again.")

_FORM_CLASSES: dict = {}


def form_for_event(base, event, **kwargs):
    """The base form plus one field per question of the event (the class is built once per version of the
    questions; building it on every request was a visible part of a sign-up's cost)."""
    questions = event.questions
    key = (base, event.id, tuple((q.id, q.label, q.kind, q.required, tuple(q.options or ())) for q in questions))
    form_class = _FORM_CLASSES.get(key)
    if form_class is None:
        if len(_FORM_CLASSES) > 500:
            _FORM_CLASSES.clear()
        fields = {question.field_name: question_field(question) for question in questions}
        form_class = _FORM_CLASSES[key] = type(f"{base.__name__}ForEvent", (base,), fields)
    form = form_class(**kwargs)
    form.phone_required = event.phone_required
    form.phone.flags.required = event.phone_required  # marked as required on the page (validate_phone checks it)
    form.sms_offered = event.sms_enabled
    form.organisation_id, form.event_phone_region = event.organisation_id, event.phone_region
    return form
