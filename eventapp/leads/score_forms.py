"""The scoring settings' forms: a score model's settings, one rule (issue 16, helper "scoring")."""
import math

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FloatField, IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from eventapp.core.forms import Form, MultiCheckboxField, NoMarkup, strip_line
from eventapp.leads.models import ActivityKind
from eventapp.leads.models.scoring import RuleKind
from eventapp.leads.scoring import REQUIRED_FIELD_CHOICES, rule_words

POINTS_MIN, POINTS_MAX = -1000, 1000
PATTERN_MAX, WORDS_MAX, WORD_MAX = 500, 50, 60


class ScoreModelForm(Form):
    name = StringField(_l("Name"), filters=[strip_line], validators=[
        DataRequired(message=_l("Give the score a name, like “Cloud products”.")),
        Length(max=80, message=_l("Keep the name under %(max)d characters.", max=80)), NoMarkup()])
    is_primary = BooleanField(_l("Primary score (used in lists, exports and for MQLs)"))
    half_life_days = FloatField(_l("Half-life in days"), default=30.0, validators=[
        InputRequired(message=_l("Enter the half-life in days, like 30.")),
        NumberRange(min=1, max=3650, message=_l("The half-life is between 1 and 3650 days."))],
        description=_l("After this many days an activity counts half as much."))
    mql_threshold = IntegerField(_l("MQL threshold"), default=50, validators=[
        InputRequired(message=_l("Enter the score from which a lead is marketing qualified, like 50.")),
        NumberRange(min=0, max=100000, message=_l("The threshold is between 0 and 100000."))])
    required_fields = MultiCheckboxField(
        _l("Profile fields sales needs before a lead becomes an MQL"), validate_choice=False,
        choices=[SelectChoice(name, label) for name, label in REQUIRED_FIELD_CHOICES.items()])

    def validate_half_life_days(self, field):
        if field.data is not None and not math.isfinite(field.data):  # "nan" passes NumberRange
            raise ValidationError(_l("The half-life is between 1 and 3650 days."))

    def validate_required_fields(self, field):
        if any(name not in REQUIRED_FIELD_CHOICES for name in field.data or ()):
            raise ValidationError(_l("Choose the fields from the list."))


class ScoreRuleForm(Form):
    """A fit rule (a field contains one of the words) or a behaviour rule (an activity kind), with its points."""

    kind = RadioField(_l("Kind of rule"), choices=[SelectChoice(str(kind), kind.label) for kind in RuleKind],
                      default=str(RuleKind.FIT), validators=[InputRequired(message=_l("Choose the kind of rule."))])
    field = SelectField(_l("Profile field"), validate_choice=False)
    pattern = StringField(_l("Words (separated by commas)"), filters=[strip_line],
                          description=_l("Latin words match whole words (CTO does not match Director); Chinese "
                                         "words match anywhere in the text."),
                          validators=[Length(max=PATTERN_MAX, message=_l("Keep the words under %(max)d characters.",
                                                                         max=PATTERN_MAX)), NoMarkup()])
    activity_kind = SelectField(_l("Activity"), validate_choice=False, choices=[SelectChoice("", "—")] + [
        SelectChoice(str(kind), kind.label) for kind in ActivityKind])
    points = IntegerField(_l("Points"), validators=[
        InputRequired(message=_l("Enter the points, like 10 or -5.")),
        NumberRange(min=POINTS_MIN, max=POINTS_MAX,
                    message=_l("Points are between %(min)d and %(max)d.", min=POINTS_MIN, max=POINTS_MAX))])

    def __init__(self, *args, fields: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.field.choices = [SelectChoice("", "—")] + [SelectChoice(value, label) for value, label in fields]
        self._field_values = {value for value, _label in fields}

    def validate_field(self, field):
        if self.kind.data != RuleKind.FIT:
            return
        if not field.data:
            raise ValidationError(_l("Choose the profile field the words are looked for in."))
        if field.data not in self._field_values:
            raise ValidationError(_l("Choose a field from the list."))

    def validate_pattern(self, field):
        if self.kind.data != RuleKind.FIT:
            return
        words = rule_words(field.data or "")
        if not words:
            raise ValidationError(_l("Enter at least one word, like: CEO, CTO, 总监."))
        if len(words) > WORDS_MAX:
            raise ValidationError(_l("Use at most %(max)d words in one rule.", max=WORDS_MAX))
        if any(len(word) > WORD_MAX for word in words):
            raise ValidationError(_l("Each word is at most %(max)d characters.", max=WORD_MAX))

    def validate_activity_kind(self, field):
        if self.kind.data != RuleKind.BEHAVIOUR:
            return
        if field.data not in {str(kind) for kind in ActivityKind}:
            raise ValidationError(_l("Choose the activity that earns the points."))

    def fill_from(self, rule) -> None:
        self.kind.data, self.points.data = rule.kind, rule.points
        self.field.data, self.pattern.data, self.activity_kind.data = rule.field, rule.pattern, rule.activity_kind

    def values(self) -> dict:
        return {"kind": self.kind.data, "field": self.field.data, "pattern": self.pattern.data,
                "activity_kind": self.activity_kind.data, "points": self.points.data}

