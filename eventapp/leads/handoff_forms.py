"""The forms of stages and handoffs (issue 16, helper "handoff"): sales' answer, the organiser's overrides on the
contact page, assignment rules."""
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from eventapp.core.forms import Form, strip_line
from eventapp.leads.handoffs import NOTE_MAX_LENGTH
from eventapp.leads.models import LeadStage
from eventapp.leads.models.handoff import ASSIGNABLE_FIELDS, FeedbackTag

AUTOMATIC = 0  # the owner select's "as the rules say"


def owner_choices(automatic_label, sellers) -> list[SelectChoice]:
    return [SelectChoice(AUTOMATIC, automatic_label)] + [SelectChoice(user.id, user.name or user.email)
                                                         for user in sellers]


class FeedbackForm(Form):
    feedback = RadioField(_l("How does this lead stand?"), choices=[SelectChoice(tag.value, tag.label) for tag in FeedbackTag],
                          validators=[InputRequired(message=_l("Choose the answer that fits best."))])
    note = TextAreaField(_l("Note for marketing (optional)"), validators=[Length(
        max=NOTE_MAX_LENGTH, message=_l("Keep the note under %(count)d characters.", count=NOTE_MAX_LENGTH))])


class StageForm(Form):
    stage = SelectField(_l("Stage"), choices=[SelectChoice(stage.value, stage.label) for stage in LeadStage
                                              if stage != LeadStage.HANDED_OFF],
                        validators=[InputRequired(message=_l("Choose a stage."))])
    reason = StringField(_l("Reason"), filters=[strip_line], validators=[
        Length(max=300, message=_l("Keep the reason under 300 characters."))])


class HandForm(Form):
    owner = SelectField(_l("Sales owner"), coerce=int, validators=[InputRequired(message=_l("Choose an owner."))])

    def offer(self, sellers) -> "HandForm":
        self.owner.choices = owner_choices(_l("As the assignment rules say"), sellers)
        return self


class RuleForm(Form):
    field = SelectField(_l("When the lead's"), choices=[SelectChoice(name, label) for name, label in ASSIGNABLE_FIELDS.items()],
                        validators=[InputRequired(message=_l("Choose a field."))])
    pattern = StringField(_l("contains one of these words (comma-separated)"), filters=[strip_line], validators=[
        DataRequired(message=_l("Give at least one word to look for.")),
        Length(max=500, message=_l("Keep the words under 500 characters."))])
    owner = SelectField(_l("hand it to"), coerce=int, validators=[InputRequired(message=_l("Choose an owner."))])

    def offer(self, sellers) -> "RuleForm":
        self.owner.choices = owner_choices(_l("Round robin among all sales users"), sellers)
        return self
