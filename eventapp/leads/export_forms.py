"""The lead export's form: filters chosen from the organisation's own events, campaigns, partners and channels."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from eventapp.core.forms import Form
from eventapp.leads.exports import ExportFormat, Filters, filter_problems

ANY = ""


class LeadExportForm(Form):
    file_format = RadioField(_l("Format"), default=ExportFormat.CSV.value,
                             choices=[SelectChoice(ExportFormat.CSV.value,
                                                   _l("CSV (UTF-8, opens in Excel and imports into CRMs)")),
                                      SelectChoice(ExportFormat.XLSX.value, _l("Excel workbook (.xlsx)"))],
                             validators=[InputRequired(message=_l("Choose CSV or Excel."))])
    event_id = SelectField(_l("Event"), description=_l("People invited to it or registered for it."))
    campaign_id = SelectField(_l("Campaign"), description=_l("People invited to or registered for any of its events."))
    stage = SelectField(_l("Lead stage"))
    score_min = DecimalField(_l("Lowest score"), places=None, validators=[Optional()],
                             description=_l("The primary score today; empty for no limit."))
    score_max = DecimalField(_l("Highest score"), places=None, validators=[Optional()])
    partner_id = SelectField(_l("Partner"), description=_l("People who signed up through the partner or were "
                                                           "invited by it."))
    channel = SelectField(_l("Sign-up channel"))
    active_from = DateField(_l("Last activity from"), validators=[Optional()],
                            description=_l("Days in UTC, both included; an export itself is no activity."))
    active_to = DateField(_l("Last activity until"), validators=[Optional()])

    def __init__(self, *args, choices, organisation_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id = organisation_id
        for select, offered in ((self.event_id, choices.events), (self.campaign_id, choices.campaigns),
                                (self.partner_id, choices.partners), (self.channel, choices.channels),
                                (self.stage, choices.stages)):
            select.choices = [SelectChoice(ANY, _l("Any"))] + [SelectChoice(str(value), label)
                                                               for value, label in offered]
        for select in (self.event_id, self.campaign_id, self.partner_id, self.channel, self.stage):
            select.validators = [Optional()]  # "Any" is no choice to check; the rest must be one of the list

    def filters(self) -> Filters:
        def row_id(select):
            return int(select.data) if select.data else None

        def number(field):
            return float(field.data) if field.data is not None else None

        return Filters(event_id=row_id(self.event_id), campaign_id=row_id(self.campaign_id),
                       stage=self.stage.data or None, score_min=number(self.score_min),
                       score_max=number(self.score_max), partner_id=row_id(self.partner_id),
                       channel=self.channel.data or None, active_from=self.active_from.data,
                       active_to=self.active_to.data)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        # The same checks as the operation's (the command line has no form): min above max, dates the wrong way.
        for name, problem in filter_problems(self.organisation_id, self.filters()).items():
            self[name].errors = [*self[name].errors, problem]
        return not self.errors
